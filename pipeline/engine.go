package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// KeyFormat is the version of the preimage layout; changing the layout
// must change it, so that old entries are never mistaken for new ones.
const KeyFormat = "nnpipe stage key v1"

// keyHeader returns the first line of every preimage made here (see
// keyHeaderFor).
func keyHeader() string { return keyHeaderFor(runtime.GOARCH) }

// keyHeaderFor returns the first line of the preimages a build for the
// architecture arch makes: KeyFormat, followed on an architecture other
// than amd64 by its name. Results are the same bits on every amd64 CPU,
// but not elsewhere (arm64's math package rounds its log, expm1, sin and
// cos otherwise), so a cache shared by two architectures keeps each one's
// results under keys of their own; amd64's keys are as they always were.
func keyHeaderFor(arch string) string {
	if arch == "amd64" {
		return KeyFormat
	}
	return KeyFormat + " " + arch
}

// Engine runs chains against a cache.
type Engine struct {
	Cache     cache.Store
	NoCache   bool         // recompute every stage once (results are still published)
	Log       *slog.Logger // warnings about damaged entries and the like
	Version   string       // nnpipe's version, recorded in entries
	Workers   int          // goroutines a stage may use
	DebugKeys bool         // log every key's preimage
	// Progress returns the progress display for a stage; nil means none.
	Progress func(step *Step) Progress
	// RecordFailures stores a record of every failed stage in the cache, so
	// that `sweep --collect` can tell failed trials from unfinished ones.
	RecordFailures bool
	// ReadOnly makes lookups protect nothing from gc and so write nothing
	// (Cache.Get instead of Cache.Use): for `plan`, which reads no entry's
	// files.
	ReadOnly bool

	locks        sync.Map // key -> *sync.Mutex: one computation per key in this process
	computed     sync.Map // key -> true: computed by this engine, reused even with NoCache
	verified     sync.Map // key -> *cache.Entry: published or verified by this engine
	fingerprints sync.Map // kind and the files it reads (else folder and parameters) -> *fingerprinted
}

// fingerprinted is a Spec.Fingerprint the engine took, once.
type fingerprinted struct {
	once sync.Once
	fp   string
	err  error
}

// fingerprint returns step's fingerprint as the engine first took it for
// the files step's parameters name (Spec.PathKeys, resolved), or, for a
// kind without path parameters, for its parameters. Every trial of a sweep
// loads the same file, and each key computation would otherwise read all
// of it again: a sweep of 40 trials read its data 40 times, and a file
// changed meanwhile gave later trials other data than earlier ones (and
// the earlier ones' results then looked lost). Taken once per file, every
// trial, however its load stage is set, has the key of the data as it was
// when the engine first looked, and the stage that reads the file fails
// if it changed since (Spec.Fingerprint).
func (e *Engine) fingerprint(p *Chain, step *Step, params string) (string, error) {
	id := step.Spec.Kind + "\x00" + p.BaseDir + "\x00" + params
	if files, ok := pathsOf(step, p.BaseDir); ok {
		id = step.Spec.Kind + "\x00" + strings.Join(files, "\x00")
	}
	v, _ := e.fingerprints.LoadOrStore(id, &fingerprinted{})
	f := v.(*fingerprinted)
	f.once.Do(func() { f.fp, f.err = step.Spec.Fingerprint(step.Params, p.BaseDir) })
	return f.fp, f.err
}

// pathsOf returns the files step's path parameters name, absolute and with
// symbolic links resolved where they exist, in the order of Spec.PathKeys;
// false for a kind without path parameters.
func pathsOf(step *Step, base string) ([]string, bool) {
	params := pathKeysOf(step, base)
	if len(params) == 0 {
		return nil, false
	}
	files := make([]string, len(params))
	for i, p := range params {
		if p.path != "" {
			files[i] = ResolvePath(p.path)
		}
	}
	return files, true
}

// get is Cache.Use, except that an entry this engine has already published
// or verified is not read and digested again: the trials of a sweep share
// their upstream stages, and collecting a sweep probes every stage it ran.
// Every entry it returns stays safe from gc until Close.
func (e *Engine) get(key string) (*cache.Entry, error) {
	if v, ok := e.verified.Load(key); ok {
		return v.(*cache.Entry), nil
	}
	use := e.Cache.Use
	if e.ReadOnly {
		use = e.Cache.Get
	}
	entry, err := use(key)
	if err == nil {
		e.verified.Store(key, entry)
	}
	return entry, err
}

// Close releases the cache entries and build folders the engine used to
// `cache gc`. Call it once the results are copied out of the cache. An
// engine used again afterwards verifies and protects its hits anew, and
// takes the fingerprints of its stages' files anew.
func (e *Engine) Close() error {
	e.verified.Clear()
	e.fingerprints.Clear()
	return e.Cache.Close()
}

// FailedStageError is a stage failure whose partial outputs were kept in
// Dir (a diverged training's history), for the run directory to show.
type FailedStageError struct {
	Stage string // the stage's id
	Key   string
	Dir   string
	Spec  *Spec
	Err   error
}

// Error is the wrapped error's message, unchanged.
func (e *FailedStageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so that errors.Is and errors.As see through e.
func (e *FailedStageError) Unwrap() error { return e.Err }

// Failure is the record of a stage that failed.
type Failure struct {
	Stage  string `json:"stage"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Status string `json:"status"` // StatusFailed or StatusDiverged
	Error  string `json:"error"`
}

// StageResult is the outcome of one stage of a run.
type StageResult struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Key     string            `json:"key"`
	Cached  bool              `json:"cached"`
	Seconds float64           `json:"seconds"`
	Digests map[string]string `json:"digests"` // output slot -> digest

	// ComputeSeconds is how long the stage took when it was computed, this
	// run or the run that filled the cache entry.
	ComputeSeconds float64 `json:"compute_seconds"`

	Outputs map[string]string `json:"-"` // output slot -> path in the cache
	Spec    *Spec             `json:"-"`
}

// EntryMeta is what the engine stores in a cache entry's entry.json about
// the computation, so that `plan` can explain a miss.
type EntryMeta struct {
	Stage    string            `json:"stage"`
	Kind     string            `json:"kind"`
	Version  int               `json:"version"`
	Params   map[string]any    `json:"params"`
	Inputs   map[string]string `json:"inputs"`
	Preimage string            `json:"preimage"`
	Seconds  float64           `json:"seconds"`
	Nnpipe   string            `json:"nnpipe"`
}

// Run runs every stage of p in order, reusing cached outputs. A failing
// stage's error is wrapped with its id; nothing of a failed stage is
// published.
func (e *Engine) Run(ctx context.Context, p *Chain) ([]*StageResult, error) {
	results := map[string]*StageResult{}
	var out []*StageResult
	checked := map[string]bool{} // the later stages whose Precheck ran
	for i, step := range p.Stages {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := e.runStep(ctx, p, step, results)
		if err != nil {
			return out, fmt.Errorf("stage %q: %w", step.ID, err)
		}
		results[step.ID] = r
		out = append(out, r)
		for _, later := range p.Stages[i+1:] {
			if err := precheck(later, results, checked); err != nil {
				return out, fmt.Errorf("stage %q: %w", later.ID, err)
			}
		}
	}
	return out, nil
}

// precheck runs step's Precheck once the stages filling the slots it
// names are among done, unless it ran already (checked).
func precheck(step *Step, done map[string]*StageResult, checked map[string]bool) error {
	pc := step.Spec.Precheck
	if pc == nil || checked[step.ID] {
		return nil
	}
	inputs := map[string]string{}
	for _, slot := range pc.Slots {
		for _, b := range step.Inputs {
			if b.Slot != slot {
				continue
			}
			r, ok := done[b.From]
			if !ok {
				return nil // not made yet
			}
			inputs[slot] = r.Outputs[b.FromSlot]
		}
	}
	checked[step.ID] = true
	return CatchPanic(func() error {
		return pc.Check(step.Params, func(slot string) string { return inputs[slot] })
	})
}

// Key returns the cache key of step and its preimage, given the digests of
// the results of earlier stages.
func (e *Engine) Key(p *Chain, step *Step, done map[string]*StageResult) (key, preimage string, inputs map[string]string, err error) {
	key, preimage, _, inputs, err = e.key(p, step, done)
	return key, preimage, inputs, err
}

// key is Key, also returning the fingerprint the preimage holds ("" for a
// kind without one), which runStep hands to the stage to check its read.
func (e *Engine) key(p *Chain, step *Step, done map[string]*StageResult) (key, preimage, fingerprint string, inputs map[string]string, err error) {
	params, err := step.keyParams()
	if err != nil {
		return "", "", "", nil, err
	}
	inputs = map[string]string{}
	for _, b := range step.Inputs {
		r, ok := done[b.From]
		if !ok {
			return "", "", "", nil, fmt.Errorf("input %q: stage %q has not run", b.Slot, b.From)
		}
		inputs[b.Slot] = r.Digests[b.FromSlot]
	}
	preimage, err = preimageOf(step.Spec, params, inputs, p.configHashFor(step.Spec))
	if err != nil {
		return "", "", "", nil, err
	}
	if step.Spec.Fingerprint != nil {
		fingerprint, err = e.fingerprint(p, step, string(params))
		if err != nil {
			return "", "", "", nil, Invalid(err)
		}
		preimage += fingerprintLine + fingerprint + "\n"
	}
	return cache.Key(preimage), preimage, fingerprint, inputs, nil
}

// fingerprintLine starts the preimage's line of a stage's fingerprint.
const fingerprintLine = "fingerprint "

func (p *Chain) configHashFor(s *Spec) string {
	if s.RunScoped {
		return p.Hash
	}
	return ""
}

// Preimage is the printable description a stage's key hashes: the key
// format, the kind and its version, the canonical JSON of its parameters,
// the digest of each input slot (sorted by slot) and, for run-scoped
// kinds, the config hash.
func Preimage(s *Spec, params map[string]any, inputs map[string]string, configHash string) (string, error) {
	// JSON would turn invalid UTF-8 into U+FFFD, giving different values
	// one key; configs are UTF-8 (YAML requires it), so refuse the rest.
	if err := checkUTF8(params); err != nil {
		return "", err
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("encode parameters: %w", err)
	}
	return preimageOf(s, pj, inputs, configHash)
}

// keyParams returns the canonical JSON of the step's parameters as
// Preimage writes them, json.Marshal(ParamsMap(s.Params)), refusing as
// Preimage does a string that is not valid UTF-8. It takes the JSON the
// step was compiled with, or writes it directly (see ParamsJSON), and goes
// through the YAML round trip only for parameters that need it.
func (s *Step) keyParams() ([]byte, error) {
	if s.with != nil && s.direct {
		return s.with, nil
	}
	if b, ok, err := fieldCache(nil).appendCanonical(make([]byte, 0, 256), reflect.ValueOf(s.Params)); ok {
		if err != nil {
			return nil, fmt.Errorf("encode parameters: %w", err)
		}
		return b, nil
	}
	m, err := ParamsMap(s.Params)
	if err != nil {
		return nil, err
	}
	if err := checkUTF8(m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode parameters: %w", err)
	}
	return b, nil
}

// preimageOf is Preimage given the canonical JSON of the parameters, pj.
func preimageOf(s *Spec, pj []byte, inputs map[string]string, configHash string) (string, error) {
	for slot, d := range inputs {
		if !utf8.ValidString(slot) || !utf8.ValidString(d) {
			return "", fmt.Errorf("input %q is not valid UTF-8", slot)
		}
	}
	slots := make([]string, 0, len(inputs))
	header := keyHeader()
	n := len(header) + len(s.Kind) + len(pj) + len(configHash) + 48
	for slot, d := range inputs {
		slots = append(slots, slot)
		n += len(slot) + len(d) + 8
	}
	sort.Strings(slots)
	b := make([]byte, 0, n)
	b = append(b, header...)
	b = append(b, "\nkind "...)
	b = append(b, s.Kind...)
	b = append(b, "\nversion "...)
	b = strconv.AppendInt(b, int64(s.Version), 10)
	b = append(b, "\nparams "...)
	b = append(b, pj...)
	b = append(b, '\n')
	for _, slot := range slots {
		b = append(b, "input "...)
		b = append(b, slot...)
		b = append(b, ' ')
		b = append(b, inputs[slot]...)
		b = append(b, '\n')
	}
	if configHash != "" {
		b = append(b, "config "...)
		b = append(b, configHash...)
		b = append(b, '\n')
	}
	return string(b), nil
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// trialKey is the context key under which RunTrials records the id of the
// trial a run is of.
type trialKey struct{}

// logFor returns the engine's logger for a run with ctx: one that names
// the trial when the run is a sweep's trial (RunTrials), so that a message
// from one of many trials running at once says which.
func (e *Engine) logFor(ctx context.Context) *slog.Logger {
	if id, ok := ctx.Value(trialKey{}).(string); ok {
		return e.log().With("trial", id)
	}
	return e.log()
}

func (e *Engine) runStep(ctx context.Context, p *Chain, step *Step, done map[string]*StageResult) (*StageResult, error) {
	log := e.logFor(ctx)
	key, preimage, fingerprint, inputDigests, err := e.key(p, step, done)
	if err != nil {
		return nil, err
	}
	if e.DebugKeys {
		log.Info("cache key", "stage", step.ID, "key", key, "preimage", preimage)
	}
	r := &StageResult{ID: step.ID, Kind: step.Kind, Key: key, Spec: step.Spec}
	// Trials of a sweep share upstream stages: the first to need a key
	// computes it, the others wait and then find it in the cache.
	mu, _ := e.locks.LoadOrStore(key, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if _, done := e.computed.Load(key); !e.NoCache || done {
		lookup := time.Now()
		entry, err := e.get(key)
		switch {
		case err == nil:
			r.Cached, r.Seconds = true, time.Since(lookup).Seconds()
			var meta EntryMeta
			if json.Unmarshal(entry.Meta, &meta) == nil {
				r.ComputeSeconds = meta.Seconds
			}
			return r, fill(r, step.Spec, entry)
		case errors.Is(err, cache.ErrMiss):
		default:
			var damaged *cache.DamagedError
			if !errors.As(err, &damaged) {
				return nil, err
			}
			log.Warn("recomputing damaged cache entry", "stage", step.ID, "reason", damaged.Reason)
		}
	}
	tmp, err := e.Cache.TempDir()
	if err != nil {
		return nil, err
	}
	io := NewIO(step.ID, map[string]string{}, map[string]string{})
	io.Version, io.Workers, io.Log = e.Version, max(1, e.Workers), log
	io.ConfigHash = p.configHashFor(step.Spec)
	io.Fingerprint = fingerprint
	io.BaseDir = p.BaseDir
	if e.Progress != nil {
		if pr := e.Progress(step); pr != nil {
			io.Progress = pr
		}
	}
	for _, b := range step.Inputs {
		io.inputs[b.Slot] = done[b.From].Outputs[b.FromSlot]
	}
	for _, o := range step.Spec.Outputs {
		path := outputPath(tmp, o)
		if strings.HasSuffix(o.File, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				os.RemoveAll(tmp)
				return nil, err
			}
		}
		io.outputs[o.Slot] = path
	}
	start := time.Now()
	err = runSpec(ctx, step.Spec, step.Params, io)
	var panicked *PanicError
	if errors.As(err, &panicked) {
		// A bug, not an outcome of the key: nothing is kept or recorded,
		// and the next run computes the stage again.
		log.Error("stage panicked", "stage", step.ID, "kind", step.Kind, "panic", panicked.Value, "stack", string(panicked.Stack))
		e.discardTemp(tmp)
		return nil, err
	}
	if cerr := checkInputs(step, done, io, inputDigests); cerr != nil {
		// What the stage made, or the way it failed, is not the outcome of
		// its key: keep nothing, record nothing.
		e.discardTemp(tmp)
		return nil, cerr
	}
	if err != nil {
		status := StatusOf(err)
		var kept string
		if status == StatusDiverged && ctx.Err() == nil {
			// What a diverged stage wrote (the history up to the divergence)
			// is worth showing: keep it beside the failure record.
			var kerr error
			if kept, kerr = e.Cache.KeepFailed(key, tmp); kerr != nil {
				log.Warn("could not keep the diverged stage's outputs", "stage", step.ID, "error", kerr)
			}
		}
		if kept == "" {
			e.discardTemp(tmp)
		}
		if e.RecordFailures && ctx.Err() == nil {
			f := Failure{Stage: step.ID, Kind: step.Kind, Key: key, Status: status, Error: err.Error()}
			if rerr := e.Cache.RecordFailure(key, f); rerr != nil {
				log.Warn("could not record the failure", "stage", step.ID, "error", rerr)
			}
		}
		if kept != "" {
			return nil, &FailedStageError{Stage: step.ID, Key: key, Dir: kept, Spec: step.Spec, Err: err}
		}
		return nil, err
	}
	r.Seconds = time.Since(start).Seconds()
	r.ComputeSeconds = r.Seconds
	if err := ctx.Err(); err != nil {
		e.discardTemp(tmp)
		return nil, err
	}
	freeMemory()
	params, _ := ParamsMap(step.Params)
	meta := EntryMeta{Stage: step.ID, Kind: step.Kind, Version: step.Spec.Version, Params: params,
		Inputs: inputDigests, Preimage: preimage, Seconds: r.Seconds, Nnpipe: e.Version}
	var computed map[string]string
	if e.NoCache {
		// Publish keeps an entry another computation of the key published
		// before: digest what this one made, to tell if that entry differs.
		described, err := cache.NewEntry(key, tmp, nil, time.Now())
		if err != nil {
			e.discardTemp(tmp)
			return nil, err
		}
		computed = digestsOf(described.Files)
	}
	entry, err := e.Cache.Publish(key, tmp, meta)
	if err != nil {
		return nil, err
	}
	if differ := differentFiles(computed, entry.Files); len(differ) > 0 {
		where := entry.Dir
		if entry.Location != "" {
			where = entry.Location // what to remove: the entry, not its local copy
		}
		log.Warn("the cache already held other outputs for this key, and the run uses them, not the ones it recomputed: the key leaves out what made them differ (another build of nnpipe, or an edit); remove the entry to keep the new ones",
			"stage", step.ID, "files", strings.Join(differ, ", "), "entry", where)
	}
	if entry.Quarantined != "" {
		log.Warn("the damaged cache entry held files it did not make; moved it aside instead of deleting it", "stage", step.ID, "path", entry.Quarantined)
	}
	if e.RecordFailures {
		e.Cache.ClearFailure(key)
	}
	e.computed.Store(key, true)
	e.verified.Store(key, entry)
	return r, fill(r, step.Spec, entry)
}

// digestsOf returns the digests of files, by name.
func digestsOf(files []cache.File) map[string]string {
	m := make(map[string]string, len(files))
	for _, f := range files {
		m[f.Name] = f.SHA256
	}
	return m
}

// differentFiles returns, sorted, the names of the files that an entry
// (files) holds with other content than a computation made them (computed,
// digests by name; nil when they were not taken), or that only one of the
// two has.
func differentFiles(computed map[string]string, files []cache.File) []string {
	if computed == nil {
		return nil
	}
	var names []string
	held := digestsOf(files)
	for name, sum := range computed {
		if held[name] != sum {
			names = append(names, name)
		}
	}
	for name := range held {
		if _, ok := computed[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// ErrInputChanged is the error of a stage whose input files, read from
// cache entries, no longer have the digests its key holds once it has run:
// an entry was edited or replaced after its lookup verified it. Nothing is
// kept, so no entry holds what was made of other bytes than its key says;
// the next run finds the damaged entry, recomputes it and then the stage.
var ErrInputChanged = errors.New("changed while the stage ran; nothing was kept, run again")

// checkInputs digests step's input files as they are now and compares them
// with the digests its key was computed from (inputs, by slot).
func checkInputs(step *Step, done map[string]*StageResult, io *IO, inputs map[string]string) error {
	for _, b := range step.Inputs {
		out, _ := done[b.From].Spec.Output(b.FromSlot)
		path := io.inputs[b.Slot]
		var got string
		var err error
		if dir, isDir := strings.CutSuffix(out.File, "/"); isDir {
			got, err = folderDigest(path, dir)
		} else {
			_, got, err = cache.DigestFile(path)
		}
		if err != nil || got != inputs[b.Slot] {
			return fmt.Errorf("input %s (%s): %w", b.Slot, path, ErrInputChanged)
		}
	}
	return nil
}

// folderDigest is the digest fill gives a folder output named dir whose
// files are under path.
func folderDigest(path, dir string) (string, error) {
	var files []cache.File
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		_, sum, err := cache.DigestFile(p)
		files = append(files, cache.File{Name: dir + "/" + filepath.ToSlash(rel), SHA256: sum})
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return digestOfFiles(files), nil
}

// digestOfFiles is the digest of a folder output whose files, in name
// order, are files: the SHA-256 of one line "NAME SHA256" per file, NAME
// starting with the folder's name.
func digestOfFiles(files []cache.File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s %s\n", f.Name, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PanicError is a stage's Run that panicked: a bug in the stage, which
// the engine turns into the stage's failure so that it ends like any other
// (its build folder removed, the run directory not committed, the other
// trials of a sweep going on) instead of ending the process with its
// leases and build folders left behind.
type PanicError struct {
	Value any    // what the stage panicked with
	Stack []byte // the panicking goroutine's stack
}

// Error says that the stage panicked and with what.
func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (a bug in nnpipe; please report it with the stack logged above): panic: %v", e.Value)
}

// runSpec runs s, turning a panic in Run's goroutine into a *PanicError.
// A stage's library that works in goroutines of its own carries a panic in
// one of them to Run's goroutine and panics again there, with a value whose
// PanicStack method gives the stack of the goroutine that first panicked:
// that stack is the one kept. A stage may instead return what CatchPanic
// returns.
func runSpec(ctx context.Context, s *Spec, params Params, io *IO) error {
	return CatchPanic(func() error { return s.Run(ctx, params, io) })
}

// panicError is the *PanicError of a recovered value v, called in the
// deferred function that recovered it.
func panicError(v any) *PanicError {
	if p, ok := v.(*PanicError); ok {
		return p
	}
	if p, ok := v.(interface{ PanicStack() []byte }); ok {
		return &PanicError{Value: v, Stack: p.PanicStack()}
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// CatchPanic calls f and returns its error, or, if f panicked, a
// *PanicError with the panic's value and stack. A stage that runs work in
// goroutines of its own runs it through CatchPanic and returns the error
// from Run: a panic there then fails the stage, as one in Run's goroutine
// does, instead of ending the process.
func CatchPanic(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	return f()
}

// discardTemp removes a failed stage's temporary folder, and the cache's
// temporary folder and the cache itself when that leaves them empty, so a
// run refused for bad data leaves nothing behind.
func (e *Engine) discardTemp(tmp string) {
	os.RemoveAll(tmp)
	parent := filepath.Dir(tmp)
	if os.Remove(parent) == nil {
		os.Remove(filepath.Dir(parent))
	}
}

// freeMemoryAbove is the heap size above which the engine returns memory
// to the system between stages: a large data set's stages each hold it
// once, and without this the garbage collector's target keeps twice the
// previous stage's peak.
const freeMemoryAbove = 128 << 20

func freeMemory() {
	// runtime/metrics, unlike runtime.ReadMemStats, does not stop the
	// world: a sweep's other workers go on.
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > freeMemoryAbove {
		debug.FreeOSMemory()
	}
}

// fill records where each output slot of an entry is and its digest: a
// file's SHA-256, or for a folder slot the SHA-256 of its files' names and
// digests.
func fill(r *StageResult, s *Spec, entry *cache.Entry) error {
	r.Outputs, r.Digests = map[string]string{}, map[string]string{}
	for _, o := range s.Outputs {
		r.Outputs[o.Slot] = outputPath(entry.Dir, o)
		if dir, isDir := strings.CutSuffix(o.File, "/"); isDir {
			var files []cache.File // in name order, as entries list them
			for _, f := range entry.Files {
				if strings.HasPrefix(f.Name, dir+"/") {
					files = append(files, f)
				}
			}
			r.Digests[o.Slot] = digestOfFiles(files)
			continue
		}
		f, ok := entry.File(o.File)
		if !ok {
			// Its entry.json was edited to leave the file out: the entry is
			// whole as it says, so only its removal makes the stage run again.
			return fmt.Errorf("cache entry %s lacks output %s, which its entry.json does not list: remove %s and run again", entry.Key[:12], o.File, entry.Dir)
		}
		r.Digests[o.Slot] = f.SHA256
	}
	return nil
}

// Published is an output of a run's results that goes into the run
// directory.
type Published struct {
	// Src is where it is in the cache.
	Src string
	// Digest is what its entry records of it (StageResult.Digests): a
	// file's SHA-256, or a folder's as fill computes it.
	Digest string
	// Folder is a folder output's name in its entry, which the lines of
	// its digest start with; "" for a file.
	Folder string
}

// PublishedFiles lists the outputs of a run's results that go into the run
// directory, by run-directory name. A name claimed by two stages is
// prefixed with the later stage's id.
func PublishedFiles(results []*StageResult) map[string]Published {
	files := map[string]Published{}
	for _, r := range results {
		for _, o := range r.Spec.Outputs {
			if !o.Publish {
				continue
			}
			folder, isDir := strings.CutSuffix(o.File, "/")
			name := folder
			if !isDir {
				folder = ""
			}
			if _, taken := files[name]; taken {
				name = r.ID + "-" + name
			}
			files[name] = Published{Src: r.Outputs[o.Slot], Digest: r.Digests[o.Slot], Folder: folder}
		}
	}
	return files
}

// ProbeStatus is how far a chain's computation has got in the cache.
type ProbeStatus int

// Probe outcomes.
const (
	ProbeDone    ProbeStatus = iota // every stage is in the cache
	ProbeFailed                     // a stage has a failure record
	ProbePending                    // a stage is neither cached nor failed
)

// Probe looks p's stages up in the cache without running anything: it
// returns the results of the stages that are cached, in order, and stops
// at the first that is not, returning its failure record when it has one.
// Damaged entries count as missing; a cache that cannot be read is an
// error. It writes nothing but the lease lines that keep the entries it
// returns safe from gc, and not those when the engine is ReadOnly.
func (e *Engine) Probe(p *Chain) ([]*StageResult, ProbeStatus, *Failure, error) {
	done := map[string]*StageResult{}
	var out []*StageResult
	for _, step := range p.Stages {
		key, _, _, err := e.Key(p, step, done)
		if err != nil {
			return out, ProbePending, nil, err
		}
		entry, err := e.get(key)
		var damaged *cache.DamagedError
		if err != nil && !errors.Is(err, cache.ErrMiss) && !errors.As(err, &damaged) {
			return out, ProbePending, nil, err // an unreadable cache is not an unfinished trial
		}
		if err != nil {
			if b, ok := e.Cache.Failure(key); ok {
				var f Failure
				if json.Unmarshal(b, &f) == nil {
					return out, ProbeFailed, &f, nil
				}
			}
			return out, ProbePending, nil, nil
		}
		r := &StageResult{ID: step.ID, Kind: step.Kind, Key: key, Spec: step.Spec, Cached: true}
		var meta EntryMeta
		if json.Unmarshal(entry.Meta, &meta) == nil {
			r.ComputeSeconds = meta.Seconds
		}
		if err := fill(r, step.Spec, entry); err != nil {
			return out, ProbePending, nil, err
		}
		done[step.ID] = r
		out = append(out, r)
	}
	return out, ProbeDone, nil, nil
}

// checkUTF8 reports a string anywhere in v (maps, lists) that is not
// valid UTF-8.
func checkUTF8(v any) error {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("parameter value %q is not valid UTF-8", x)
		}
	case map[string]any:
		for k, e := range x {
			if !utf8.ValidString(k) {
				return fmt.Errorf("parameter name %q is not valid UTF-8", k)
			}
			if err := checkUTF8(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkUTF8(e); err != nil {
				return err
			}
		}
	}
	return nil
}
