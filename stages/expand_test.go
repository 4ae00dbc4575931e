package stages

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	yaml "go.yaml.in/yaml/v3"
)

// referenceEffective is the effective config of p as json.Marshal writes
// it, each stage's parameters through ParamsMap.
func referenceEffective(t *testing.T, p *pipeline.Chain) []byte {
	t.Helper()
	type stage struct {
		ID     string            `json:"id"`
		Kind   string            `json:"kind"`
		Inputs map[string]string `json:"inputs,omitempty"`
		With   map[string]any    `json:"with"`
	}
	ec := struct {
		Name   string  `json:"name"`
		Seed   uint64  `json:"seed"`
		Stages []stage `json:"stages"`
	}{Name: p.Name, Seed: p.Seed}
	for _, s := range p.Stages {
		with, err := pipeline.ParamsMap(s.Params)
		if err != nil {
			t.Fatal(err)
		}
		st := stage{ID: s.ID, Kind: s.Kind, Inputs: map[string]string{}, With: with}
		for _, b := range s.Inputs {
			st.Inputs[b.Slot] = b.From + "." + b.FromSlot
		}
		ec.Stages = append(ec.Stages, st)
	}
	b, err := json.Marshal(ec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExpandingTheShippedSweepsGivesEachTrialItsOwnPlan checks, with the real
// stage kinds, that the trials Expand builds from shared steps are the plans
// compiling each trial alone gives, with effective configs equal byte for
// byte to json.Marshal of ParamsMap's view.
func TestExpandingTheShippedSweepsGivesEachTrialItsOwnPlan(t *testing.T) {
	reg := Builtin()
	paths, err := filepath.Glob(filepath.Join("..", "configs", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped configs (%v)", err)
	}
	sweeps := 0
	for _, path := range paths {
		f, err := config.Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := pipeline.Compile(f, reg)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if eff, _ := plan.Effective(); !bytes.Equal(eff, referenceEffective(t, plan)) {
			t.Errorf("%s: Effective = %s, want %s", path, eff, referenceEffective(t, plan))
		}
		if len(f.Sweep) == 0 {
			continue
		}
		sweeps++
		trials, err := pipeline.Expand(context.Background(), f, reg)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, tr := range trials {
			keys := make([]string, len(tr.Values))
			nodes := make([]*yaml.Node, len(tr.Values))
			for i, v := range tr.Values {
				keys[i] = v.Key
				for _, n := range f.Sweep[i].Values {
					if n.Value == v.Value {
						nodes[i] = n
					}
				}
			}
			g, _, err := f.SetAll(keys, nodes)
			if err != nil {
				t.Fatal(err)
			}
			alone, err := pipeline.Compile(g, reg)
			if err != nil {
				t.Fatal(err)
			}
			eff, _ := tr.Chain.Effective()
			if want := referenceEffective(t, alone); !bytes.Equal(eff, want) || tr.Chain.Hash != alone.Hash {
				t.Errorf("%s trial %s: Expand gives %s\nalone: %s", path, tr.Label(), eff, want)
			}
		}
	}
	if sweeps == 0 {
		t.Error("no shipped config has a sweep")
	}
}

// TestUnusedKeysNameParameters checks that every key a kind reports unused,
// in each setting that changes the answer, is one of its parameters.
func TestUnusedKeysNameParameters(t *testing.T) {
	variants := map[string][]func(p pipeline.Params){
		"generate": {
			func(p pipeline.Params) { setField(p, "Dataset", "gaussian_mixture") },
			func(p pipeline.Params) { setField(p, "Dataset", "moons") },
			func(p pipeline.Params) { setField(p, "Dataset", "spirals") },
		},
		"split": {
			func(pipeline.Params) {},
			func(p pipeline.Params) { setField(p, "Shuffle", true) },
			func(p pipeline.Params) { setField(p, "Column", "part") },
			func(p pipeline.Params) { setField(p, "Folds", 5) },
		},
		"train": {
			func(pipeline.Params) {},
			func(p pipeline.Params) { setField(p, "Gradient", "backprop") },
			func(p pipeline.Params) { setField(p, "Optimizer", "adam"); setField(p, "Schedule", "step") },
			func(p pipeline.Params) { setField(p, "Optimizer", "nesterov"); setField(p, "Schedule", "invscaling") },
		},
	}
	reported := 0
	for _, spec := range Builtin().Specs() {
		keys := map[string]bool{} // every parameter and every mapping of them
		for _, f := range config.Describe(spec.NewParams()) {
			for k := f.Key; ; {
				keys[k] = true
				i := strings.LastIndex(k, ".")
				if i < 0 {
					break
				}
				k = k[:i]
			}
		}
		for _, change := range append(variants[spec.Kind], func(pipeline.Params) {}) {
			p := spec.NewParams()
			change(p)
			u, ok := p.(pipeline.Unused)
			if !ok {
				continue
			}
			for _, k := range u.UnusedKeys() {
				reported++
				if !keys[k] {
					t.Errorf("kind %q reports %q unused, which is not one of its parameters %v", spec.Kind, k, keys)
				}
			}
		}
	}
	if reported == 0 {
		t.Error("no kind reports an unused parameter in any setting")
	}
}

// setField sets the exported field name of the struct p points to.
func setField(p pipeline.Params, name string, v any) {
	reflect.ValueOf(p).Elem().FieldByName(name).Set(reflect.ValueOf(v))
}
