package stages

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// everyKind is a config that uses every stage kind; determinism is checked
// for each. A kind missing from it fails TestEveryStageIsDeterministic.
const everyKind = `
name: every-kind
seed: 7
stages:
  - {id: data, kind: generate, with: {dataset: moons, n: 120}}
  - {id: csv, kind: load, with: {path: data.csv, label: label}}
  - {id: split, kind: split, with: {shuffle: true, stratify: true}}
  - {id: scaled, kind: standardize}
  - {id: train, kind: train, with: {hidden: 3, steps: 30, learning_rate: 1}}
  - {id: check, kind: gradcheck}
  - {id: eval, kind: evaluate}
  - {id: predictions, kind: predictions}
  - {id: plots, kind: plot, with: {width: 300, height: 200, grid: 20}}
  - {id: score, kind: predict, with: {run: model.json, path: data.csv}}
`

const dataCSV = "x,y,label\n0,1,a\n1,0,b\n0.5,0.5,a\n1,1,b\n0.2,0.1,a\n0.9,0.8,b\n0.1,0.3,a\n0.7,0.9,b\n"

// modelJSON is a model of data.csv's columns for the predict stage: standardized, 1 hidden
// unit, the classes a and b.
const modelJSON = `{"format": 2, "nnpipe": "test", "d": 2, "m": 1, "k": 2, "features": ["x", "y"], "label": "label",
"classes": ["a", "b"], "preprocess": [{"op": "standardize", "mean": [0.5, 0.5], "std": [0.3, 0.3]}],
"wv": [1, -1, 0.5, 2, -2, -0.5, 0.5], "steps": 1, "gradient": "backprop"}`

func runEveryKind(t *testing.T, dir string) []*pipeline.StageResult {
	t.Helper()
	reg := Builtin()
	cfgPath := filepath.Join(dir, "every.yaml")
	if err := os.WriteFile(cfgPath, []byte(everyKind), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), []byte(dataCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), []byte(modelJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Lookup("load"); !ok {
		t.Skip("the load stage is not registered yet")
	}
	plan, err := pipeline.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	e := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), Version: "test", Workers: 1}
	results, err := e.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

func TestEveryStageIsDeterministic(t *testing.T) {
	a, b := runEveryKind(t, t.TempDir()), runEveryKind(t, t.TempDir())
	covered := map[string]bool{}
	for i := range a {
		covered[a[i].Kind] = true
		if a[i].Key != b[i].Key {
			t.Errorf("stage %q: keys differ between two runs", a[i].ID)
		}
		for slot, pa := range a[i].Outputs {
			pb := b[i].Outputs[slot]
			filepath.WalkDir(pa, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(pa, path)
				x, _ := os.ReadFile(path)
				y, err := os.ReadFile(filepath.Join(pb, rel))
				if err != nil || !bytes.Equal(x, y) {
					t.Errorf("stage %q (%s): output %s differs between two runs", a[i].ID, a[i].Kind, filepath.Join(slot, rel))
				}
				return nil
			})
		}
	}
	for _, kind := range Builtin().Kinds() {
		if !covered[kind] {
			t.Errorf("kind %q is not in the determinism config", kind)
		}
	}
}

func TestEveryKindDocumentsItselfAndValidatesItsDefaults(t *testing.T) {
	for _, s := range Builtin().Specs() {
		if s.Doc == "" {
			t.Errorf("kind %q has no doc line", s.Kind)
		}
		p := s.NewParams()
		if seeded, ok := p.(pipeline.Seeded); ok {
			seeded.DefaultSeeds(1, "x")
		}
		// Defaults may leave required keys (load's path) unset, but Validate
		// must report them, not panic.
		for _, e := range p.Validate() {
			if e.Key == "" || e.Msg == "" {
				t.Errorf("kind %q: Validate of the defaults gave an error without key or message: %+v", s.Kind, e)
			}
		}
		for _, f := range config.Describe(s.NewParams()) {
			if f.Doc == "" {
				t.Errorf("kind %q: parameter %q has no doc tag", s.Kind, f.Key)
			}
		}
	}
}

// TestEveryKindTellsPlanAndResultsWhatTheyNeed checks what a kind declares
// for plan and the run directory instead of their knowing it by name:
// every dataset and split output reads its shape back (Output.ReadShape),
// a shape a kind tells from its config (Spec.Shape) is the one it then
// makes, every stage with a cost model is estimated once its inputs are
// cached, a headline holds printable values, and some kind outputs the
// metrics.
func TestEveryKindTellsPlanAndResultsWhatTheyNeed(t *testing.T) {
	dir := t.TempDir()
	results := runEveryKind(t, dir)
	byID := map[string]*pipeline.StageResult{}
	for _, r := range results {
		byID[r.ID] = r
	}
	metrics := false
	for _, r := range results {
		for _, o := range r.Spec.Outputs {
			metrics = metrics || o.Metrics
			if (o.Type == "dataset" || o.Type == "split") && o.ReadShape == nil {
				t.Errorf("kind %q: output %q of type %s does not read its shape", r.Kind, o.Slot, o.Type)
			}
		}
	}
	if !metrics {
		t.Error("no kind outputs the metrics (Output.Metrics)")
	}
	f, err := config.Load(filepath.Join(dir, "every.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pipeline.Compile(f, Builtin())
	if err != nil {
		t.Fatal(err)
	}
	shapeOf := func(from, slot string) pipeline.Shape {
		r := byID[from]
		o, _ := r.Spec.Output(slot)
		if o.ReadShape == nil {
			return pipeline.Shape{}
		}
		s, err := o.ReadShape(r.Outputs[slot])
		if err != nil {
			t.Fatalf("stage %q: read the shape of %s: %v", from, slot, err)
		}
		return s
	}
	for _, step := range chain.Stages {
		if step.Spec.Headline != nil {
			for _, h := range step.Spec.Headline(step.Params) {
				switch h.Value.(type) {
				case int64, float64, bool, string:
				default:
					t.Errorf("kind %q: headline %q is a %T", step.Kind, h.Label, h.Value)
				}
			}
		}
		if step.Spec.Shape == nil {
			continue
		}
		in := map[string]pipeline.Shape{}
		for _, b := range step.Inputs {
			in[b.Slot] = shapeOf(b.From, b.FromSlot)
		}
		for slot, told := range step.Spec.Shape(step.Params, in) {
			made := shapeOf(step.ID, slot)
			// A stratified split rounds each class's share: a row or two off.
			if told.Columns != made.Columns || told.Classes != made.Classes || told.Rows < made.Rows-2 || told.Rows > made.Rows+2 {
				t.Errorf("stage %q (%s): the config tells output %q is %+v, the stage made %+v", step.ID, step.Kind, slot, told, made)
			}
		}
	}
	// Every stage is cached now: plan knows every input's shape.
	eng := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), ReadOnly: true}
	rep := &pipeline.PlanReport{}
	if err := pipeline.NewPlanner(eng).Chain(rep, chain, nil); err != nil {
		t.Fatal(err)
	}
	costs := 0
	for _, step := range chain.Stages {
		if step.Spec.Cost != nil {
			costs++
		}
	}
	if len(rep.Train) != costs {
		t.Errorf("plan estimated %d stages, want the %d with a cost model", len(rep.Train), costs)
	}
	for _, c := range rep.Train {
		if strings.Contains(c.String(), "unknown") {
			t.Errorf("plan of a cached chain cannot estimate a stage:\n%s", c)
		}
	}
}
