package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	yaml "go.yaml.in/yaml/v3"
)

// Chain is a config compiled against a registry: the stages a run executes,
// in order, every stage's parameters decoded, defaulted and validated, and
// every input slot bound.
type Chain struct {
	File    *config.File // the config compiled; for a sweep trial, the sweep's (its values are in Stages)
	BaseDir string       // the config file's folder
	Name    string
	Seed    uint64
	Stages  []*Step
	Hash    string // hex SHA-256 of the canonical effective config
}

// Step is one stage of a chain.
type Step struct {
	ID     string
	Kind   string
	Spec   *Spec
	Params Params
	Inputs []Binding // in the order of Spec.Inputs
	Line   int

	with   []byte       // the canonical JSON of Params, set when compiled (see ParamsJSON)
	direct bool         // with was written directly, not through the YAML round trip (see paramsJSON)
	prefix []byte       // the step's effective stage up to its parameters, set when compiled
	lines  config.Lines // the lines of its parameters' keys, for messages
}

// Binding says which earlier stage's output fills an input slot.
type Binding struct {
	Slot     string
	From     string // stage id
	FromSlot string
}

// ref is the output the binding reads, as `stage.slot`.
func (b Binding) ref() string { return b.From + "." + b.FromSlot }

// ConfigDir returns the folder of the config file at path, against which
// the relative paths in its parameters resolve, with its symbolic links
// resolved: a path is joined to it as text, so "../data.csv" must leave the
// folder the link leads to, as the system's own lookup of
// "link/../data.csv" does, not the one holding the link. Where the folder
// cannot be resolved (it is gone), it is the config's folder as named.
func ConfigDir(path string) string {
	dir := filepath.Dir(path)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return real
	}
	return dir
}

// Compile decodes and validates every stage of f against reg and binds the
// inputs. It reports every problem at once, as config.Errors: unknown
// kinds, parameters, and wiring — an input slot nobody fills, an input
// wired to an output of another type, and inputs that must describe the
// same rows (Input.SameRows) but come from different data.
func Compile(f *config.File, reg *Registry) (*Chain, error) {
	w := newWiring(f, reg)
	p := &Chain{File: f, Name: f.Name, Seed: f.Seed, BaseDir: ConfigDir(f.Path)}
	var errs config.Errors
	for i := range f.Stages {
		errs = append(errs, w.errs[i]...)
		if w.specs[i] == nil {
			continue
		}
		step, stepErrs := w.step(f, i)
		errs = append(errs, stepErrs...)
		p.Stages = append(p.Stages, step)
	}
	if len(errs) == 0 {
		errs = checkColumns(f, p.Stages)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := p.hash(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkColumns reports each column a step reads from an input beside the
// features (Input.Column) that the output bound there does not carry
// (Output.Carries, passed on through ShapeFrom), at the line of the
// parameter that names it. steps are f's stages, decoded without error.
func checkColumns(f *config.File, steps []*Step) config.Errors {
	var errs config.Errors
	byID := make(map[string]*Step, len(steps))
	for _, s := range steps {
		byID[s.ID] = s
	}
	for _, s := range steps {
		for _, in := range s.Spec.Inputs {
			if in.Column == nil {
				continue
			}
			column, key := in.Column(s.Params)
			if column == "" {
				continue
			}
			from, carried, carriesKey, known := carriedBy(byID, bindingOf(s, in.Slot))
			if !known || slices.Contains(carried, column) {
				continue
			}
			msg := fmt.Sprintf("%q: stage %q carries no column beside its features", column, from)
			if carriesKey != "" {
				list := "none"
				if len(carried) > 0 {
					quoted := make([]string, len(carried))
					for i, c := range carried {
						quoted[i] = strconv.Quote(c)
					}
					list = strings.Join(quoted, ", ")
				}
				msg = fmt.Sprintf("%q is not among the columns stage %q carries beside its features (%s); list it under that stage's %s", column, from, list, carriesKey)
			}
			for _, st := range f.Stages {
				if st.ID == s.ID {
					errs = append(errs, f.StageError(st, s.lines, key, msg))
				}
			}
		}
	}
	return errs
}

// bindingOf returns the binding of s's input slot.
func bindingOf(s *Step, slot string) Binding {
	for _, b := range s.Inputs {
		if b.Slot == slot {
			return b
		}
	}
	return Binding{}
}

// carriedBy follows b to the output that says what it carries beside its
// features (Output.Carries), through outputs that pass their input's on
// (ShapeFrom): it returns that output's stage, the columns and the key
// that lists them, and whether they are known before the run.
func carriedBy(byID map[string]*Step, b Binding) (stage string, columns []string, key string, known bool) {
	for range len(byID) + 1 { // a chain is acyclic; the bound only guards the loop
		s, ok := byID[b.From]
		if !ok {
			return "", nil, "", false
		}
		i := slices.IndexFunc(s.Spec.Outputs, func(o Output) bool { return o.Slot == b.FromSlot })
		if i < 0 {
			return "", nil, "", false
		}
		o := s.Spec.Outputs[i]
		switch {
		case o.Carries != nil:
			return s.ID, o.Carries(s.Params), o.CarriesKey, true
		case o.ShapeFrom == "":
			return "", nil, "", false
		}
		b = bindingOf(s, o.ShapeFrom)
	}
	return "", nil, "", false
}

// hash fills in p.Hash, and each step's parameter JSON on the way.
func (p *Chain) hash() error {
	for _, s := range p.Stages {
		if s.with != nil {
			continue
		}
		with, direct, err := paramsJSON(s.Params, nil)
		if err != nil {
			return fmt.Errorf("stage %q: %w", s.ID, err)
		}
		s.with, s.direct = with, direct
	}
	eff, err := p.Effective()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(eff)
	p.Hash = hex.EncodeToString(sum[:])
	return nil
}

// wiring is what compiling a config decides before any parameter is
// decoded: each stage's kind and where each of its inputs comes from. It
// does not depend on parameter values, so every trial of a sweep shares
// the wiring of the sweep's config.
type wiring struct {
	specs    []*Spec         // by stage; nil for an unknown kind
	bindings [][]Binding     // by stage
	errs     []config.Errors // by stage
	prefixes [][]byte        // by stage: its effective JSON up to the parameters
	dec      config.Decoder  // reads each parameter type's tags once
}

func newWiring(f *config.File, reg *Registry) *wiring {
	n := len(f.Stages)
	w := &wiring{specs: make([]*Spec, n), bindings: make([][]Binding, n), errs: make([]config.Errors, n), prefixes: make([][]byte, n)}
	provided := map[string]string{} // slot -> nearest earlier stage id providing it
	outputsOf := map[string]*Spec{}
	rows := map[string]string{}            // output `stage.slot` -> the output whose rows it carries
	made := map[string]map[string]string{} // output `stage.slot` -> input slot of its From -> the output bound there
	unknown := map[string]bool{}           // ids of earlier stages whose kind is unknown: their outputs are too
	for i, st := range f.Stages {
		spec, ok := reg.Lookup(st.Kind)
		if !ok {
			unknown[st.ID] = true
			msg := fmt.Sprintf("unknown stage kind %s (kinds: %s)", config.QuoteShort(st.Kind), strings.Join(reg.Kinds(), ", "))
			if s := config.Suggest(st.Kind, reg.Kinds()); s != "" {
				msg = fmt.Sprintf("unknown stage kind %s (did you mean %q?)", config.QuoteShort(st.Kind), s)
			}
			if st.Kind != "" {
				w.errs[i] = append(w.errs[i], &config.Error{File: f.Path, Line: st.Lines["kind"], Stage: st.ID, Key: "kind", Msg: msg})
			}
			continue
		}
		w.specs[i] = spec
		w.bindings[i], w.errs[i] = bind(f, st, spec, provided, outputsOf, unknown)
		w.errs[i] = append(w.errs[i], checkRows(f, st, spec, w.bindings[i], rows)...)
		w.errs[i] = append(w.errs[i], checkMadeFrom(f, st, spec, w.bindings[i], made)...)
		w.prefixes[i] = appendStagePrefix(nil, st.ID, st.Kind, w.bindings[i])
		for _, o := range spec.Outputs {
			provided[o.Slot] = st.ID
			ref := st.ID + "." + o.Slot
			// An output with another's rows whose input is not bound (an
			// error already reported) has rows nobody knows: "" keeps the
			// stages that read it from reporting a mismatch made up of it.
			rows[ref] = ref
			if o.RowsFrom != "" {
				rows[ref] = ""
			}
			made[ref] = map[string]string{}
			for _, b := range w.bindings[i] {
				if o.RowsFrom != "" && b.Slot == o.RowsFrom {
					rows[ref] = rows[b.ref()]
				}
				if slices.Contains(o.From, b.Slot) {
					made[ref][b.Slot] = b.ref()
				}
			}
		}
		outputsOf[st.ID] = spec
	}
	return w
}

// step decodes, defaults and validates the parameters of stage i of f,
// which has the wiring's stages.
func (w *wiring) step(f *config.File, i int) (*Step, config.Errors) {
	st, spec := f.Stages[i], w.specs[i]
	step := &Step{ID: st.ID, Kind: st.Kind, Spec: spec, Params: spec.NewParams(), Inputs: w.bindings[i], Line: st.Line, prefix: w.prefixes[i]}
	return step, decodeParams(f, st, step, &w.dec)
}

func decodeParams(f *config.File, st *config.Stage, step *Step, dec *config.Decoder) config.Errors {
	var errs config.Errors
	lines := config.Lines{}
	if st.With != nil {
		var decodeErrs config.Errors
		lines, decodeErrs = dec.Decode(st.With, step.Params)
		step.lines = lines
		for _, e := range decodeErrs {
			f.Locate(e, st)
			errs = append(errs, e)
		}
	}
	if s, ok := step.Params.(Seeded); ok {
		s.DefaultSeeds(f.Seed, st.ID)
	}
	for _, e := range errs {
		if !e.Kept {
			return errs // range checks on half-decoded values only add noise
		}
	}
	decoded := len(errs) // problems that left every value decoded, such as a repeated key
	for _, fe := range step.Params.Validate() {
		errs = append(errs, f.StageError(st, lines, fe.Key, fe.Msg))
	}
	if len(errs) == decoded {
		for _, fe := range missingPaths(step, ConfigDir(f.Path)) {
			errs = append(errs, f.StageError(st, lines, fe.Key, fe.Msg))
		}
	}
	return errs
}

// missingPaths reports the paths among step's parameters (Spec.PathKeys)
// that name nothing, relative to base, the config's folder, or name a
// directory where a file is wanted (see Spec.DirKeys) or something that is
// neither a regular file nor a directory (a device, a named pipe):
// a problem validate lists with the others, at the key's line, rather than
// one the run meets when it first reads the file.
func missingPaths(step *Step, base string) []FieldError {
	var errs []FieldError
	for _, p := range pathKeysOf(step, base) {
		if p.path == "" {
			continue
		}
		fi, err := os.Stat(p.path)
		switch {
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			errs = append(errs, Errorf(p.key, "%s: %v", strconv.Quote(p.path), err))
		case fi.IsDir() && !slices.Contains(step.Spec.DirKeys, p.key):
			errs = append(errs, Errorf(p.key, "%s is a directory, want a file", strconv.Quote(p.path)))
		case !fi.IsDir() && !fi.Mode().IsRegular():
			errs = append(errs, Errorf(p.key, "%s is %s, not a regular file", strconv.Quote(p.path), FileKind(fi.Mode())))
		}
	}
	return errs
}

// FileKind names, for a message, the kind of file of mode m: "a file",
// "a directory", "a symbolic link", "a named pipe", "a socket", "a device"
// or "a special file".
func FileKind(m fs.FileMode) string { return cache.FileKind(m) }

// pathParam is a path parameter of a stage: its key, and the path it
// names, joined to the config's folder when relative ("" when not set).
type pathParam struct{ key, path string }

// pathKeysOf returns step's path parameters (Spec.PathKeys), in their
// order; none for a kind without them, or parameters that do not encode
// (the run reports those).
func pathKeysOf(step *Step, base string) []pathParam {
	return pathKeysOfParams(step.Spec, step.Params, base)
}

// pathKeysOfParams is pathKeysOf for the parameters p of a stage of kind spec.
func pathKeysOfParams(spec *Spec, p Params, base string) []pathParam {
	if len(spec.PathKeys) == 0 {
		return nil
	}
	params, err := ParamsMap(p)
	if err != nil {
		return nil
	}
	out := make([]pathParam, len(spec.PathKeys))
	for i, key := range spec.PathKeys {
		path, _ := params[key].(string)
		if path != "" && !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		out[i] = pathParam{key: key, path: path}
	}
	return out
}

// bind binds each input slot of stage st (of kind spec) to the output
// the config names or the nearest earlier one of its name (provided).
// An input that may come from an earlier stage whose kind is unknown
// (reported at its kind) is left unbound without a problem of its own:
// what that stage outputs is not known.
func bind(f *config.File, st *config.Stage, spec *Spec, provided map[string]string, outputsOf map[string]*Spec, unknown map[string]bool) ([]Binding, config.Errors) {
	var errs config.Errors
	slots := make([]string, len(spec.Inputs))
	for i, in := range spec.Inputs {
		slots[i] = in.Slot
	}
	explicit := make([]string, 0, len(st.Inputs))
	for slot := range st.Inputs {
		explicit = append(explicit, slot)
	}
	sort.Strings(explicit)
	for _, slot := range explicit {
		if _, ok := spec.Input(slot); !ok {
			msg := fmt.Sprintf("kind %q has no input slot %q (slots: %s)", st.Kind, slot, strings.Join(slots, ", "))
			if len(slots) == 0 {
				msg = fmt.Sprintf("kind %q has no input slots", st.Kind)
			}
			errs = append(errs, &config.Error{File: f.Path, Line: st.Lines["inputs."+slot], Stage: st.ID, Key: "inputs." + slot, Msg: msg})
		}
	}
	var bindings []Binding
	for _, in := range spec.Inputs {
		b := Binding{Slot: in.Slot, FromSlot: in.Slot}
		ref, isExplicit := st.Inputs[in.Slot]
		if isExplicit {
			from, fromSlot, _ := strings.Cut(ref, ".")
			if fromSlot == "" {
				fromSlot = in.Slot
			}
			b.From, b.FromSlot = from, fromSlot
		} else if from, ok := provided[in.Slot]; ok {
			b.From = from
		} else if len(unknown) > 0 {
			continue
		} else {
			errs = append(errs, &config.Error{File: f.Path, Line: st.Line, Stage: st.ID,
				Msg: fmt.Sprintf("input slot %q is not provided by any earlier stage", in.Slot)})
			continue
		}
		out, ok := Output{}, false
		if from := outputsOf[b.From]; from != nil {
			out, ok = from.Output(b.FromSlot)
		}
		switch {
		case !ok && unknown[b.From]:
			continue
		case !ok:
			errs = append(errs, &config.Error{File: f.Path, Line: st.Lines["inputs."+in.Slot], Stage: st.ID, Key: "inputs." + in.Slot,
				Msg: fmt.Sprintf("%q is not an output of an earlier stage", ref)})
			continue
		case out.Type != in.Type:
			line, how := st.Lines["inputs."+in.Slot], ""
			if !isExplicit {
				line, how = st.Line, " (the nearest earlier output of that name)"
			}
			errs = append(errs, &config.Error{File: f.Path, Line: line, Stage: st.ID, Key: "inputs." + in.Slot,
				Msg: fmt.Sprintf("%s%s is of type %s, but the slot takes type %s", b.ref(), how, out.Type, in.Type)})
			continue
		}
		bindings = append(bindings, b)
	}
	return bindings, errs
}

// checkRows refuses inputs that must describe the same rows (SameRows) but
// trace back to different data; rows maps each earlier output to the
// output whose rows it carries.
func checkRows(f *config.File, st *config.Stage, spec *Spec, bindings []Binding, rows map[string]string) config.Errors {
	bound := map[string]Binding{}
	for _, b := range bindings {
		bound[b.Slot] = b
	}
	var errs config.Errors
	for _, in := range spec.Inputs {
		b, ok := bound[in.Slot]
		other, otherOK := bound[in.SameRows]
		if in.SameRows == "" || !ok || !otherOK || rows[b.ref()] == rows[other.ref()] {
			continue
		}
		if rows[b.ref()] == "" || rows[other.ref()] == "" {
			continue // rows not known: an input upstream is not bound
		}
		line := st.Lines["inputs."+in.Slot]
		if line == 0 {
			line = st.Lines["inputs."+in.SameRows]
		}
		if line == 0 {
			line = st.Line
		}
		errs = append(errs, &config.Error{File: f.Path, Line: line, Stage: st.ID, Key: "inputs." + in.Slot,
			Msg: fmt.Sprintf("%s describes the rows of %s, but the %s input is %s; wire both to the same data (inputs: {%s: STAGE.SLOT, %s: STAGE.SLOT})",
				b.ref(), rows[b.ref()], in.SameRows, withRows(other.ref(), rows), in.SameRows, in.Slot)})
	}
	return errs
}

// checkMadeFrom refuses inputs that must have been made from the data of
// other inputs (MadeFrom) but were made from something else; made maps each
// earlier output to the outputs bound to the inputs it was made from.
func checkMadeFrom(f *config.File, st *config.Stage, spec *Spec, bindings []Binding, made map[string]map[string]string) config.Errors {
	bound := map[string]Binding{}
	for _, b := range bindings {
		bound[b.Slot] = b
	}
	var errs config.Errors
	for _, in := range spec.Inputs {
		b, ok := bound[in.Slot]
		if !ok {
			continue
		}
		for _, m := range in.MadeFrom {
			other, otherOK := bound[m]
			from, known := made[b.ref()][m]
			if !otherOK || !known || from == other.ref() {
				continue // unbound, or the producing kind does not say
			}
			line := st.Lines["inputs."+in.Slot]
			if line == 0 {
				line = st.Lines["inputs."+m]
			}
			if line == 0 {
				line = st.Line
			}
			errs = append(errs, &config.Error{File: f.Path, Line: line, Stage: st.ID, Key: "inputs." + in.Slot,
				Msg: fmt.Sprintf("%s was made from %s %s, but the %s input is %s; wire both to the same data (inputs: {%s: STAGE.SLOT, %s: STAGE.SLOT})",
					b.ref(), m, from, m, other.ref(), m, in.Slot)})
		}
	}
	return errs
}

// withRows names an output and, when they are another's, whose rows it has.
func withRows(ref string, rows map[string]string) string {
	if r := rows[ref]; r != ref {
		return fmt.Sprintf("%s (the rows of %s)", ref, r)
	}
	return ref
}

// Effective returns the canonical JSON of the effective config: every
// default filled in, every seed resolved, every input bound. Its SHA-256 is
// the chain's Hash. It equals json.Marshal of the config with each stage's
// `with` as ParamsMap gives it, built without the round trip.
func (p *Chain) Effective() ([]byte, error) {
	b := make([]byte, 0, 64+256*len(p.Stages))
	b = append(b, `{"name":`...)
	b = appendJSONString(b, p.Name)
	b = append(b, `,"seed":`...)
	b = strconv.AppendUint(b, p.Seed, 10)
	b = append(b, `,"stages":`...)
	if p.Stages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range p.Stages {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = s.appendEffective(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendEffective appends the step's stage of the effective config.
func (s *Step) appendEffective(b []byte) ([]byte, error) {
	with := s.with
	if with == nil {
		var err error
		if with, err = ParamsJSON(s.Params); err != nil {
			return nil, fmt.Errorf("stage %q: %w", s.ID, err)
		}
	}
	if s.prefix != nil {
		b = append(b, s.prefix...)
	} else {
		b = appendStagePrefix(b, s.ID, s.Kind, s.Inputs)
	}
	b = append(b, with...)
	return append(b, '}'), nil
}

// appendStagePrefix appends a stage of the effective config up to the
// value of its "with".
func appendStagePrefix(b []byte, id, kind string, inputs []Binding) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, kind)
	if len(inputs) > 0 {
		inputs = slices.SortedFunc(slices.Values(inputs), func(x, y Binding) int { return strings.Compare(x.Slot, y.Slot) })
		b = append(b, `,"inputs":{`...)
		for i, in := range inputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, in.Slot)
			b = append(b, ':')
			b = appendJSONString(b, in.ref())
		}
		b = append(b, '}')
	}
	return append(b, `,"with":`...)
}

// yamlStage is a stage of the effective config as EffectiveYAML writes it:
// its parameters as the kind declares them, in their order.
type yamlStage struct {
	ID     string            `yaml:"id"`
	Kind   string            `yaml:"kind"`
	Inputs map[string]string `yaml:"inputs,omitempty"`
	With   any               `yaml:"with"` // the Params, or their node with paths made absolute
}

type yamlConfig struct {
	Name   string      `yaml:"name"`
	Seed   uint64      `yaml:"seed"`
	Stages []yamlStage `yaml:"stages"`
}

// EffectiveYAML returns the effective config as YAML, for config.yaml in the
// run directory; it runs as it is, from anywhere, and gives the same
// results: relative file paths (Spec.PathKeys) are made absolute.
// Parameters keep the order their kind declares, not sorted.
func (p *Chain) EffectiveYAML() ([]byte, error) {
	yc := yamlConfig{Name: p.Name, Seed: p.Seed, Stages: make([]yamlStage, len(p.Stages))}
	for i, s := range p.Stages {
		ys := yamlStage{ID: s.ID, Kind: s.Kind, With: s.Params}
		if len(s.Inputs) > 0 {
			ys.Inputs = make(map[string]string, len(s.Inputs))
			for _, b := range s.Inputs {
				ys.Inputs[b.Slot] = b.From + "." + b.FromSlot
			}
		}
		if len(s.Spec.PathKeys) > 0 {
			with, err := p.absolutePaths(s)
			if err != nil {
				return nil, fmt.Errorf("stage %q: %w", s.ID, err)
			}
			ys.With = with
		}
		yc.Stages[i] = ys
	}
	return yaml.Marshal(&yc)
}

// absolutePaths returns the parameters of stage s as a node, with the
// relative paths among them (Spec.PathKeys) made absolute from the
// config's folder.
func (p *Chain) absolutePaths(s *Step) (*yaml.Node, error) {
	with := &yaml.Node{}
	if err := with.Encode(s.Params); err != nil {
		return nil, err
	}
	for _, key := range s.Spec.PathKeys {
		if v := mappingValue(with, key); v != nil && v.Value != "" && !filepath.IsAbs(v.Value) {
			abs, err := filepath.Abs(filepath.Join(p.BaseDir, v.Value))
			if err != nil {
				return nil, err
			}
			v.Value = abs
		}
	}
	return with, nil
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// ParamsMap converts a parameter struct to a map keyed by its config keys,
// via its YAML form, so that JSON of it is canonical (keys sorted, floats
// in shortest round-trip form).
func ParamsMap(p Params) (map[string]any, error) {
	b, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
