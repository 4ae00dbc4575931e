package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/config"
	"go.yaml.in/yaml/v3"
)

// effectiveStage is one stage of the effective config, its parameters as
// ParamsMap gives them: the reference the fast encodings are checked
// against.
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

// effectiveOf returns p's effective config through ParamsMap.
func effectiveOf(t testing.TB, p *Chain) *effectiveConfig {
	t.Helper()
	ec := &effectiveConfig{Name: p.Name, Seed: p.Seed}
	for _, s := range p.Stages {
		with, err := ParamsMap(s.Params)
		if err != nil {
			t.Fatalf("stage %q: %v", s.ID, err)
		}
		es := effectiveStage{ID: s.ID, Kind: s.Kind, With: with, Inputs: map[string]string{}}
		for _, b := range s.Inputs {
			es.Inputs[b.Slot] = b.From + "." + b.FromSlot
		}
		ec.Stages = append(ec.Stages, es)
	}
	return ec
}

// referenceEffectiveYAML is config.yaml the long way: the effective config
// encoded to a node, each stage's `with` replaced by its parameters encoded
// in their declared order, relative paths made absolute.
func referenceEffectiveYAML(t testing.TB, p *Chain) []byte {
	t.Helper()
	var doc yaml.Node
	if err := doc.Encode(effectiveOf(t, p)); err != nil {
		t.Fatal(err)
	}
	stages := mappingValue(&doc, "stages")
	for i, s := range p.Stages {
		var with yaml.Node
		if err := with.Encode(s.Params); err != nil {
			t.Fatal(err)
		}
		for _, key := range s.Spec.PathKeys {
			if v := mappingValue(&with, key); v != nil && v.Value != "" && !filepath.IsAbs(v.Value) {
				abs, err := filepath.Abs(filepath.Join(p.BaseDir, v.Value))
				if err != nil {
					t.Fatal(err)
				}
				v.Value = abs
			}
		}
		st := stages.Content[i]
		for k := 0; k+1 < len(st.Content); k += 2 {
			if st.Content[k].Value == "with" {
				st.Content[k+1] = &with
			}
		}
	}
	b, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pathParams are the parameters of the test kind "file": a path, and a
// label that may need quoting in YAML.
type pathParams struct {
	Path  string `yaml:"path"`
	Label string `yaml:"label"`
	N     int    `yaml:"n"`
}

func (*pathParams) Validate() []FieldError { return nil }

func TestEffectiveYAMLEqualsTheConfigEncodedTheLongWay(t *testing.T) {
	specs := append(testSpecs(1), Spec{Kind: "file", Version: 1, PathKeys: []string{"path"},
		Outputs:   []Output{{Slot: "data", File: "d.txt"}},
		NewParams: func() Params { return &pathParams{Path: "in.csv", N: 2} },
		Run:       func(context.Context, Params, *IO) error { return nil }})
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	var chains []*Chain
	trials, err := Expand(context.Background(), parseTest(t, sweepTestConfig), reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trials {
		chains = append(chains, tr.Chain)
	}
	// The files the configs name exist: a path to nothing is a problem of
	// the config.
	tmp := t.TempDir()
	t.Chdir(tmp)
	abs := filepath.Join(tmp, "abs", "x.csv")
	for _, f := range []string{filepath.Join("dir0", "data", "x.csv"), abs} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, src := range []string{
		"name: \"1\"\nstages:\n  - {id: f, kind: file, with: {path: data/x.csv, label: \"yes\"}}\n",
		"name: \"007\"\nseed: 9223372036854775807\nstages:\n  - {id: f, kind: file, with: {path: " + abs + ", label: \"multi\\nline\"}}\n  - {id: m, kind: scale, inputs: {data: f.data}}\n  - {id: s, kind: sink, inputs: {scaled: m.scaled}}\n",
		"name: n\nstages:\n  - {id: f, kind: file, with: {path: \"\", label: \"x<y #z\", n: -3}}\n",
	} {
		f, err := config.Parse(fmt.Sprintf("dir%d/t.yaml", i), []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := Compile(f, reg)
		if err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
		chains = append(chains, ch)
	}
	for i, ch := range chains {
		got, err := ch.EffectiveYAML()
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceEffectiveYAML(t, ch); !bytes.Equal(got, want) {
			t.Errorf("chain %d: EffectiveYAML\n%s\nwant\n%s", i, got, want)
		}
	}
}

// BenchmarkEffectiveYAML writes a sweep trial's config.yaml (see
// sweepTestConfig), and the same the long way for comparison.
func BenchmarkEffectiveYAML(b *testing.B) {
	f, err := config.Parse("test.yaml", []byte(sweepTestConfig), nil)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := NewRegistry(testSpecs(1)...)
	if err != nil {
		b.Fatal(err)
	}
	trials, err := Expand(context.Background(), f, reg)
	if err != nil {
		b.Fatal(err)
	}
	ch := trials[0].Chain
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ch.EffectiveYAML(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("long-way", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			referenceEffectiveYAML(b, ch)
		}
	})
}
