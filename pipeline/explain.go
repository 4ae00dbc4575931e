package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// StagePlan is what running a chain would do with one of its stages, worked
// out by Explain without running anything.
type StagePlan struct {
	ID   string
	Kind string
	// Key is the stage's cache key. It is empty when a stage it depends on
	// is not cached: the key covers the digests of its inputs, which are
	// known only once those stages have run.
	Key string
	// Cached reports a hit: the entry for Key exists and verifies.
	Cached bool
	// After names, when Key is empty, the uncached upstream stages whose
	// outputs this stage waits for, in chain order.
	After []string
	// Damaged is why the entry for Key, which exists, does not verify; the
	// stage will be recomputed.
	Damaged string
	// Failure is the record of an earlier failed computation of Key.
	Failure *Failure
	// Nearest is, on a miss, the earlier cache entry of the same kind that
	// differs least from this stage; nil when the cache holds none.
	Nearest *Nearest
	// Result is, on a hit, the cached outputs (paths and digests) and how
	// long they took to compute.
	Result *StageResult
}

// Nearest is the earlier cache entry of a kind closest to a stage that
// misses, and what differs between them. A stage whose Key is empty is
// compared on everything but its inputs.
type Nearest struct {
	Key     string
	Stage   string    // the id of the stage that computed the entry
	Created time.Time // when the entry was published
	Seconds float64   // how long it took to compute
	Changes []Change  // sorted: version, key format, parameters by key, inputs by slot, fingerprint, config
}

// Kinds of Change.
const (
	ChangeVersion   = "version"    // the stage kind's version
	ChangeKeyFormat = "key-format" // the layout of the key preimage (KeyFormat), and the architecture beside it
	ChangeParam     = "param"      // a parameter, Key its path: "train.hidden"
	ChangeInput     = "input"      // the digest of an input slot, Key the slot
	// ChangeFingerprint is what the stage reads beyond its inputs
	// (Spec.Fingerprint: a load's file, by its SHA-256).
	ChangeFingerprint = "fingerprint"
	ChangeConfig      = "config" // the config hash of a run-scoped kind
)

// Change is one difference between a stage and an earlier cache entry.
// Old and New are canonical JSON values for parameters and the literal
// values otherwise; an empty Old or New means absent on that side.
type Change struct {
	Kind string `json:"kind"`
	Key  string `json:"key,omitempty"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// String describes the change for a person: `train.hidden: 2 → 4`,
// `input dataset changed`, `stage version 1 → 2`.
func (c Change) String() string {
	switch c.Kind {
	case ChangeVersion:
		return fmt.Sprintf("stage version %s → %s", c.Old, c.New)
	case ChangeKeyFormat:
		return fmt.Sprintf("key format %q → %q", c.Old, c.New)
	case ChangeInput:
		switch {
		case c.Old == "":
			return fmt.Sprintf("input %s added", c.Key)
		case c.New == "":
			return fmt.Sprintf("input %s removed", c.Key)
		}
		return fmt.Sprintf("input %s changed", c.Key)
	case ChangeConfig:
		return fmt.Sprintf("run config changed (%s → %s)", shortHash(c.Old), shortHash(c.New))
	case ChangeFingerprint:
		return fmt.Sprintf("what it reads changed (%s → %s)", shortFingerprint(c.Old), shortFingerprint(c.New))
	}
	return fmt.Sprintf("%s: %s → %s", c.Key, displayValue(c.Old), displayValue(c.New))
}

// displayValue shows a canonical JSON value: strings without quotes when
// that is unambiguous, absence as "(unset)".
func displayValue(v string) string {
	if v == "" {
		return "(unset)"
	}
	var s string
	if strings.HasPrefix(v, `"`) && json.Unmarshal([]byte(v), &s) == nil && s != "" && !strings.ContainsAny(s, " \t\n→") {
		return s
	}
	return v
}

// shortFingerprint shows a fingerprint ("sha256 <hex>") with its hash cut short.
func shortFingerprint(f string) string {
	if f == "" {
		return "none"
	}
	name, h, ok := strings.Cut(f, " ")
	if !ok {
		return shortHash(f)
	}
	return name + " " + shortHash(h)
}

func shortHash(h string) string {
	if h == "" {
		return "none"
	}
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// History is what a cache held when it was read: the metadata of every
// entry the engine published, by kind, without verifying any file. Explain
// compares the stages that miss against it.
type History struct {
	byKind map[string][]*pastEntry
	// Unreadable counts entries whose entry.json or metadata could not be
	// read; they are left out.
	Unreadable int
}

// pastEntry is one cache entry as History keeps it.
type pastEntry struct {
	key         string
	created     time.Time
	meta        EntryMeta
	params      map[string]string // flattened parameter path -> canonical JSON
	keyFormat   string
	configHash  string
	fingerprint string // the preimage's fingerprint line, "" without one
}

// ReadHistory lists c (see cache.List) and keeps the entries the engine
// published, grouped by kind. It never writes.
func ReadHistory(c cache.Store) (*History, error) {
	listed, err := c.List()
	if err != nil {
		return nil, err
	}
	h := &History{byKind: map[string][]*pastEntry{}}
	for _, l := range listed {
		if l.Err != nil || len(l.Entry.Meta) == 0 {
			h.Unreadable++
			continue
		}
		pe, err := newPastEntry(l.Entry)
		if err != nil {
			h.Unreadable++
			continue
		}
		h.byKind[pe.meta.Kind] = append(h.byKind[pe.meta.Kind], pe)
	}
	return h, nil
}

func newPastEntry(e *cache.Entry) (*pastEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(e.Meta))
	dec.UseNumber() // seeds beyond 2^53 must compare exactly
	var meta EntryMeta
	if err := dec.Decode(&meta); err != nil {
		return nil, err
	}
	if meta.Kind == "" {
		return nil, errors.New("metadata names no kind")
	}
	pe := &pastEntry{key: e.Key, created: e.Created, meta: meta, params: map[string]string{}}
	if err := flattenJSON(pe.params, "", meta.Params); err != nil {
		return nil, err
	}
	pe.keyFormat, _, _ = strings.Cut(meta.Preimage, "\n")
	for _, line := range strings.Split(meta.Preimage, "\n") {
		if h, ok := strings.CutPrefix(line, "config "); ok {
			pe.configHash = h
		}
		if f, ok := strings.CutPrefix(line, fingerprintLine); ok {
			pe.fingerprint = f
		}
	}
	return pe, nil
}

// Len returns the number of entries of kind.
func (h *History) Len(kind string) int {
	if h == nil {
		return 0
	}
	return len(h.byKind[kind])
}

// flattenJSON adds the leaves of the parameters an entry's metadata
// recorded (decoded JSON) to out, keyed by their dotted path under prefix;
// arrays and empty objects are leaves, written as canonical JSON.
func flattenJSON(out map[string]string, prefix string, m map[string]any) error {
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			if err := flattenJSON(out, path, sub); err != nil {
				return err
			}
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("parameter %s: %w", path, err)
		}
		out[path] = string(b)
	}
	return nil
}

// flatParams returns a step's parameters keyed by their dotted paths, each
// leaf as canonical JSON: what flattenJSON makes of the parameters an entry
// records for the same step, flattened from the same canonical JSON, so
// that a key the canonical form leaves out (a zero value tagged omitempty,
// a default a MarshalYAML drops) is left out of both.
func flatParams(p Params) (map[string]string, error) {
	b, _, err := paramsJSON(p, nil)
	if err != nil {
		return nil, err
	}
	return flattenCanonical(b)
}

// flattenCanonical flattens the canonical JSON of parameters, as an
// entry's metadata records them.
func flattenCanonical(b []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var decoded map[string]any
	if err := dec.Decode(&decoded); err != nil {
		return nil, err
	}
	out := map[string]string{}
	return out, flattenJSON(out, "", decoded)
}

// probeState is a step as Explain compares it with the past.
type probeState struct {
	id         string
	kind       string
	version    int
	params     map[string]string
	inputs     map[string]string // nil: unknown, not compared
	configHash string
	// fingerprint is the step's (Spec.Fingerprint), compared when known.
	fingerprint    string
	hasFingerprint bool
}

// changes lists what differs between the step and an earlier entry.
func (s *probeState) changes(pe *pastEntry) []Change {
	var out []Change
	if pe.meta.Version != s.version {
		out = append(out, Change{Kind: ChangeVersion, Old: fmt.Sprint(pe.meta.Version), New: fmt.Sprint(s.version)})
	}
	if header := keyHeader(); pe.keyFormat != header {
		out = append(out, Change{Kind: ChangeKeyFormat, Old: pe.keyFormat, New: header})
	}
	for _, k := range unionKeys(pe.params, s.params) {
		if pe.params[k] != s.params[k] {
			out = append(out, Change{Kind: ChangeParam, Key: s.id + "." + k, Old: pe.params[k], New: s.params[k]})
		}
	}
	if s.inputs != nil {
		for _, k := range unionKeys(pe.meta.Inputs, s.inputs) {
			if pe.meta.Inputs[k] != s.inputs[k] {
				out = append(out, Change{Kind: ChangeInput, Key: k, Old: pe.meta.Inputs[k], New: s.inputs[k]})
			}
		}
	}
	if s.hasFingerprint && pe.fingerprint != s.fingerprint {
		out = append(out, Change{Kind: ChangeFingerprint, Old: pe.fingerprint, New: s.fingerprint})
	}
	if pe.configHash != s.configHash {
		out = append(out, Change{Kind: ChangeConfig, Old: pe.configHash, New: s.configHash})
	}
	return out
}

func unionKeys(a, b map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// nearest returns the entry of s's kind with the fewest changes, then the
// most recent, then the smallest key; exclude is a key not to consider.
func (h *History) nearest(s *probeState, exclude string) *Nearest {
	if h == nil {
		return nil
	}
	var best *pastEntry
	var bestChanges []Change
	for _, pe := range h.byKind[s.kind] {
		if pe.key == exclude {
			continue
		}
		c := s.changes(pe)
		switch {
		case best == nil, len(c) < len(bestChanges):
		case len(c) > len(bestChanges):
			continue
		case pe.created.After(best.created):
		case pe.created.Equal(best.created) && pe.key < best.key:
		default:
			continue
		}
		best, bestChanges = pe, c
	}
	if best == nil {
		return nil
	}
	return &Nearest{Key: best.key, Stage: best.meta.Stage, Created: best.created, Seconds: best.meta.Seconds, Changes: bestChanges}
}

// Explain works out, without running or writing anything, what Run would
// do with each stage of p: a hit (the entry exists and verifies, as Run
// would check) or a miss, and on a miss what differs from the nearest
// earlier entry of the same kind in h (nil: compare with nothing). A stage
// whose upstream misses has no key yet: it is reported with After and
// compared on everything but its inputs. Explain ignores e.NoCache and
// holds no locks.
func (e *Engine) Explain(p *Chain, h *History) ([]*StagePlan, error) {
	done := map[string]*StageResult{}
	waits := map[string][]string{} // stage id -> uncached stages it waits for (itself for a computable miss)
	out := make([]*StagePlan, 0, len(p.Stages))
	for _, step := range p.Stages {
		sp := &StagePlan{ID: step.ID, Kind: step.Kind}
		out = append(out, sp)
		params, err := flatParams(step.Params)
		if err != nil {
			return out, fmt.Errorf("stage %q: %w", step.ID, err)
		}
		state := &probeState{id: step.ID, kind: step.Kind, version: step.Spec.Version, params: params, configHash: p.configHashFor(step.Spec)}
		for _, b := range step.Inputs {
			if _, ok := done[b.From]; !ok {
				sp.After = appendNew(sp.After, waits[b.From]...)
			}
		}
		if len(sp.After) > 0 {
			sortByChain(sp.After, p)
			waits[step.ID] = sp.After
			sp.Nearest = h.nearest(state, "")
			continue
		}
		key, _, fingerprint, inputs, err := e.key(p, step, done)
		if err != nil {
			return out, fmt.Errorf("stage %q: %w", step.ID, err)
		}
		sp.Key, state.inputs = key, inputs
		state.fingerprint, state.hasFingerprint = fingerprint, step.Spec.Fingerprint != nil
		if r, damaged, err := e.lookup(step, key); err != nil {
			return out, fmt.Errorf("stage %q: %w", step.ID, err)
		} else if r != nil {
			sp.Cached, sp.Result = true, r
			done[step.ID] = r
			continue
		} else {
			sp.Damaged = damaged
		}
		if b, ok := e.Cache.Failure(key); ok {
			var f Failure
			if json.Unmarshal(b, &f) == nil {
				sp.Failure = &f
			}
		}
		waits[step.ID] = []string{step.ID}
		sp.Nearest = h.nearest(state, key)
	}
	return out, nil
}

// lookup returns the verified cached result of step under key, or why an
// entry that exists is unusable ("" when there is none).
func (e *Engine) lookup(step *Step, key string) (*StageResult, string, error) {
	entry, err := e.Cache.Get(key)
	var damaged *cache.DamagedError
	switch {
	case errors.Is(err, cache.ErrMiss):
		return nil, "", nil
	case errors.As(err, &damaged):
		return nil, damaged.Reason, nil
	case err != nil:
		return nil, "", err
	}
	r := &StageResult{ID: step.ID, Kind: step.Kind, Key: key, Spec: step.Spec, Cached: true}
	var meta EntryMeta
	if json.Unmarshal(entry.Meta, &meta) == nil {
		r.ComputeSeconds = meta.Seconds
	}
	if err := fill(r, step.Spec, entry); err != nil {
		return nil, err.Error(), nil
	}
	return r, "", nil
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, have := range list {
			found = found || have == it
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// sortByChain orders stage ids as p runs them.
func sortByChain(ids []string, p *Chain) {
	pos := map[string]int{}
	for i, s := range p.Stages {
		pos[s.ID] = i
	}
	sort.Slice(ids, func(i, j int) bool { return pos[ids[i]] < pos[ids[j]] })
}
