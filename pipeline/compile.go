package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
	yaml "go.yaml.in/yaml/v3"
)

// Plan is a config compiled against a registry: every stage's parameters
// decoded, defaulted and validated, and every input slot bound.
type Plan struct {
	File    *config.File
	BaseDir string // the config file's folder
	Name    string
	Seed    uint64
	Stages  []*Step
	Hash    string // hex SHA-256 of the canonical effective config
}

// Step is one stage of a plan.
type Step struct {
	ID     string
	Kind   string
	Spec   *Spec
	Params Params
	Inputs []Binding // in the order of Spec.Inputs
	Line   int
}

// Binding says which earlier stage's output fills an input slot.
type Binding struct {
	Slot     string
	From     string // stage id
	FromSlot string
}

// Compile decodes and validates every stage of f against reg and binds the
// inputs. It reports every problem at once, as config.Errors.
func Compile(f *config.File, reg *Registry) (*Plan, error) {
	p := &Plan{File: f, Name: f.Name, Seed: f.Seed, BaseDir: filepath.Dir(f.Path)}
	var errs config.Errors
	provided := map[string]string{} // slot -> nearest earlier stage id providing it
	outputsOf := map[string]*Spec{}
	for _, st := range f.Stages {
		spec, ok := reg.Lookup(st.Kind)
		if !ok {
			msg := fmt.Sprintf("unknown stage kind %q (kinds: %s)", st.Kind, strings.Join(reg.Kinds(), ", "))
			if s := config.Suggest(st.Kind, reg.Kinds()); s != "" {
				msg = fmt.Sprintf("unknown stage kind %q (did you mean %q?)", st.Kind, s)
			}
			if st.Kind != "" {
				errs = append(errs, &config.Error{File: f.Path, Line: st.Lines["kind"], Stage: st.ID, Key: "kind", Msg: msg})
			}
			continue
		}
		step := &Step{ID: st.ID, Kind: st.Kind, Spec: spec, Params: spec.NewParams(), Line: st.Line}
		errs = append(errs, decodeParams(f, st, step)...)
		errs = append(errs, bind(f, st, step, provided, outputsOf)...)
		for _, o := range spec.Outputs {
			provided[o.Slot] = st.ID
		}
		outputsOf[st.ID] = spec
		p.Stages = append(p.Stages, step)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	eff, err := p.Effective()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(eff)
	p.Hash = hex.EncodeToString(sum[:])
	return p, nil
}

func decodeParams(f *config.File, st *config.Stage, step *Step) config.Errors {
	var errs config.Errors
	lines := config.Lines{}
	if st.With != nil {
		var decodeErrs config.Errors
		lines, decodeErrs = config.Decode(st.With, step.Params)
		for _, e := range decodeErrs {
			f.Locate(e, st)
			errs = append(errs, e)
		}
	}
	if s, ok := step.Params.(Seeded); ok {
		s.DefaultSeeds(f.Seed, st.ID)
	}
	if len(errs) > 0 {
		return errs // range checks on half-decoded values only add noise
	}
	for _, fe := range step.Params.Validate() {
		errs = append(errs, f.StageError(st, lines, fe.Key, fe.Msg))
	}
	return errs
}

func bind(f *config.File, st *config.Stage, step *Step, provided map[string]string, outputsOf map[string]*Spec) config.Errors {
	var errs config.Errors
	declared := map[string]bool{}
	for _, slot := range step.Spec.Inputs {
		declared[slot] = true
	}
	explicit := make([]string, 0, len(st.Inputs))
	for slot := range st.Inputs {
		explicit = append(explicit, slot)
	}
	sort.Strings(explicit)
	for _, slot := range explicit {
		if !declared[slot] {
			errs = append(errs, &config.Error{File: f.Path, Line: st.Lines["inputs."+slot], Stage: st.ID, Key: "inputs." + slot,
				Msg: fmt.Sprintf("kind %q has no input slot %q (slots: %s)", st.Kind, slot, strings.Join(step.Spec.Inputs, ", "))})
		}
	}
	for _, slot := range step.Spec.Inputs {
		b := Binding{Slot: slot, FromSlot: slot}
		if ref, ok := st.Inputs[slot]; ok {
			from, fromSlot, _ := strings.Cut(ref, ".")
			if fromSlot == "" {
				fromSlot = slot
			}
			spec, ok := outputsOf[from]
			if !ok || !hasOutput(spec, fromSlot) {
				errs = append(errs, &config.Error{File: f.Path, Line: st.Lines["inputs."+slot], Stage: st.ID, Key: "inputs." + slot,
					Msg: fmt.Sprintf("%q is not an output of an earlier stage", ref)})
				continue
			}
			b.From, b.FromSlot = from, fromSlot
		} else if from, ok := provided[slot]; ok {
			b.From = from
		} else {
			errs = append(errs, &config.Error{File: f.Path, Line: st.Line, Stage: st.ID,
				Msg: fmt.Sprintf("input slot %q is not provided by any earlier stage", slot)})
			continue
		}
		step.Inputs = append(step.Inputs, b)
	}
	return errs
}

func hasOutput(s *Spec, slot string) bool {
	for _, o := range s.Outputs {
		if o.Slot == slot {
			return true
		}
	}
	return false
}

// effectiveStage is one stage of the effective config.
type effectiveStage struct {
	ID     string            `yaml:"id" json:"id"`
	Kind   string            `yaml:"kind" json:"kind"`
	Inputs map[string]string `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	With   map[string]any    `yaml:"with" json:"with"`
}

type effectiveConfig struct {
	Name   string           `yaml:"name" json:"name"`
	Seed   uint64           `yaml:"seed" json:"seed"`
	Stages []effectiveStage `yaml:"stages" json:"stages"`
}

func (p *Plan) effective() (*effectiveConfig, error) {
	ec := &effectiveConfig{Name: p.Name, Seed: p.Seed}
	for _, s := range p.Stages {
		with, err := ParamsMap(s.Params)
		if err != nil {
			return nil, fmt.Errorf("stage %q: %w", s.ID, err)
		}
		es := effectiveStage{ID: s.ID, Kind: s.Kind, With: with, Inputs: map[string]string{}}
		for _, b := range s.Inputs {
			es.Inputs[b.Slot] = b.From + "." + b.FromSlot
		}
		ec.Stages = append(ec.Stages, es)
	}
	return ec, nil
}

// Effective returns the canonical JSON of the effective config: every
// default filled in, every seed resolved, every input bound. Its SHA-256 is
// the plan's Hash.
func (p *Plan) Effective() ([]byte, error) {
	ec, err := p.effective()
	if err != nil {
		return nil, err
	}
	return json.Marshal(ec)
}

// EffectiveYAML returns the effective config as YAML, for config.yaml in the
// run directory; it runs as it is, from anywhere, and gives the same
// results: relative file paths (Spec.PathKeys) are made absolute.
func (p *Plan) EffectiveYAML() ([]byte, error) {
	ec, err := p.effective()
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := doc.Encode(ec); err != nil {
		return nil, err
	}
	// Keep parameters in the order the kind declares them, not sorted.
	stages := mappingValue(&doc, "stages")
	for i, s := range p.Stages {
		if stages != nil && i < len(stages.Content) {
			var with yaml.Node
			if err := with.Encode(s.Params); err != nil {
				return nil, err
			}
			for _, key := range s.Spec.PathKeys {
				if v := mappingValue(&with, key); v != nil && v.Value != "" && !filepath.IsAbs(v.Value) {
					abs, err := filepath.Abs(filepath.Join(p.BaseDir, v.Value))
					if err != nil {
						return nil, err
					}
					v.Value = abs
				}
			}
			setMapping(stages.Content[i], "with", &with)
		}
	}
	return yaml.Marshal(&doc)
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func setMapping(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
		}
	}
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
