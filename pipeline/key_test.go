package pipeline

import (
	"encoding/json"
	"maps"
	"math"
	"strings"
	"testing"
)

// TestKeyIsThePreimageOfTheYAMLRoundTrip checks that the key path, which
// writes a step's parameters directly, gives byte for byte the preimage
// Preimage makes of ParamsMap's round trip, for parameters written directly
// and for those that take the round trip; and that it refuses what
// Preimage refuses.
func TestKeyIsThePreimageOfTheYAMLRoundTrip(t *testing.T) {
	seed := uint64(1<<63 + 5)
	spec := &Spec{Kind: "k", Version: 3}
	inputs := map[string]string{"split": "ab", "dataset": "cd"}
	for _, p := range []Params{
		&canonParams{},
		&canonParams{F: 1e-7, I: -4, U: math.MaxUint64, S: "numpy", P: &seed, Floats: []float64{0.5, 1e21}, Names: []string{"a b"}, Inner: canonInner{Std: 0.01, Seed: &seed}},
		&canonParams{S: "é \u2028 <b>", Names: []string{"tab\there"}}, // not plain ASCII: the round trip
		&canonOmit{A: 2, B: "x"},
		noParams{},
	} {
		for _, compiled := range []bool{false, true} {
			step := &Step{ID: "s", Kind: spec.Kind, Spec: spec, Params: p}
			if compiled {
				var err error
				if step.with, step.direct, err = paramsJSON(p, nil); err != nil {
					t.Fatal(err)
				}
			}
			pj, err := step.keyParams()
			if err != nil {
				t.Fatalf("keyParams(%+v): %v", p, err)
			}
			got, err := preimageOf(spec, pj, inputs, "cafe")
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParamsMap(p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Preimage(spec, m, inputs, "cafe")
			if err != nil || got != want {
				t.Errorf("key preimage of %+v (compiled %v) =\n%s\nwant\n%s (%v)", p, compiled, got, want, err)
			}
		}
	}
	bad := &Step{ID: "s", Kind: spec.Kind, Spec: spec, Params: &canonParams{S: "\xff"}}
	if pj, err := bad.keyParams(); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("keyParams of a string that is not UTF-8 = %s, %v; want an error naming UTF-8", pj, err)
	}
	nan := &Step{ID: "s", Kind: spec.Kind, Spec: spec, Params: &canonParams{F: math.NaN()}}
	if pj, err := nan.keyParams(); err == nil {
		t.Errorf("keyParams of NaN = %s, want an error", pj)
	}
}

// emptyInner has no config keys: the round trip writes it as {}.
type emptyInner struct{ _ int }

type walkParams struct {
	canonParams `yaml:"-"`
	A           canonParams `yaml:"a"`
	E           emptyInner  `yaml:"e"`
	N           *canonInner `yaml:"n"`
}

func (*walkParams) Validate() []FieldError { return nil }

// TestFlatParamsWalksToWhatEntriesRecord checks that the parameters plan
// compares, walked key by key, are those it reads back from an entry's
// metadata (ParamsMap's JSON, flattened), so that nothing shows as changed
// that did not change.
func TestFlatParamsWalksToWhatEntriesRecord(t *testing.T) {
	seed := uint64(3)
	for _, p := range []Params{
		&canonParams{},
		&canonParams{F: 1e-7, I: -4, U: math.MaxUint64, S: "numpy", P: &seed, Floats: []float64{0.5, 1e21}, Matrix: [][]float64{{1, 2}}, Names: []string{"a b"}, Inner: canonInner{Std: 0.01, Seed: &seed}, PInner: &canonInner{}},
		&canonParams{S: "<b>&", Names: []string{"é"}},
		&walkParams{A: canonParams{P: &seed}},
		&canonOmit{A: 2},
		&canonWire{},
		noParams{},
	} {
		got, err := flatParams(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := flatParamsJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("flatParams(%+v) =\n%v\nthe recorded parameters flatten to\n%v", p, got, want)
		}
	}
}

// flatParamsJSON is flatParams through ParamsMap's YAML round trip: the
// parameters as an entry's metadata records them, flattened.
func flatParamsJSON(p Params) (map[string]string, error) {
	m, err := ParamsMap(p)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return flattenCanonical(b)
}
