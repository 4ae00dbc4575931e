package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

type canonInner struct {
	Std  float64 `yaml:"std"`
	Seed *uint64 `yaml:"seed"`
}

// canonParams has a field of every type ParamsJSON writes directly.
type canonParams struct {
	F      float64     `yaml:"f"`
	I      int         `yaml:"i"`
	I32    int32       `yaml:"i32"`
	U      uint64      `yaml:"u"`
	B      bool        `yaml:"b"`
	S      string      `yaml:"s"`
	P      *uint64     `yaml:"p"`
	Floats []float64   `yaml:"floats"`
	Matrix [][]float64 `yaml:"matrix"`
	Names  []string    `yaml:"names"`
	Inner  canonInner  `yaml:"inner"`
	PInner *canonInner `yaml:"p_inner"`
	Any    any         `yaml:"any"`
	Skip   int         `yaml:"-"`
	hidden int
}

func (*canonParams) Validate() []FieldError { return nil }

// canonOmit takes ParamsMap's round trip: omitempty is not written directly.
type canonOmit struct {
	A int    `yaml:"a,omitempty"`
	B string `yaml:"b"`
}

func (*canonOmit) Validate() []FieldError { return nil }

// canonOmitAll has omitempty on a field of every kind the fast path
// decides itself.
type canonOmitAll struct {
	S  string         `yaml:"s,omitempty"`
	I  int            `yaml:"i,omitempty"`
	I8 int8           `yaml:"i8,omitempty"`
	U  uint64         `yaml:"u,omitempty"`
	F  float64        `yaml:"f,omitempty"`
	B  bool           `yaml:"b,omitempty"`
	P  *float64       `yaml:"p,omitempty"`
	L  []int          `yaml:"l,omitempty"`
	M  map[string]int `yaml:"m,omitempty"`
	A  any            `yaml:"a,omitempty"`
	In *canonInner    `yaml:"in,omitempty"`
}

func (*canonOmitAll) Validate() []FieldError { return nil }

// canonOmitRound has omitempty where the fast path leaves the decision to
// the round trip: on a struct, and on values with an IsZero method.
type canonOmitRound struct {
	A  any          `yaml:"a,omitempty"`
	Z  *canonZeroer `yaml:"z,omitempty"`
	St canonInner   `yaml:"st,omitempty"`
}

func (*canonOmitRound) Validate() []FieldError { return nil }

// canonZeroer counts as empty when it is 7.
type canonZeroer struct {
	V int `yaml:"v"`
}

func (z *canonZeroer) IsZero() bool { return z.V == 7 }

// canonWire is a parameter struct that marshals as another one: the keys
// after "b" are left out at their defaults.
type canonWire struct {
	A float64
	B string
	C float64 // default 0.9
	D *canonInner
}

func (*canonWire) Validate() []FieldError { return nil }

type canonWireYAML struct {
	A float64     `yaml:"a"`
	B string      `yaml:"b"`
	C *float64    `yaml:"c,omitempty"`
	D *canonInner `yaml:"d,omitempty"`
	V canonValue  `yaml:"v"`
}

func (w *canonWire) MarshalYAML() (any, error) {
	out := canonWireYAML{A: w.A, B: w.B, D: w.D, V: canonValue{w.A}}
	if w.C != 0.9 {
		out.C = &w.C
	}
	if w.B == "fail" {
		return nil, errors.New("marshal failed")
	}
	if w.B == "nil" {
		return nil, nil
	}
	return out, nil
}

// canonValue marshals, by value, as a one-element list.
type canonValue struct{ X float64 }

func (v canonValue) MarshalYAML() (any, error) { return []float64{v.X}, nil }

// reference is what ParamsJSON must equal.
func reference(t testing.TB, p Params) ([]byte, error) {
	t.Helper()
	m, err := ParamsMap(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func checkParamsJSON(t testing.TB, p Params) {
	t.Helper()
	got, err := ParamsJSON(p)
	want, wantErr := reference(t, p)
	if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("ParamsJSON(%+v) = %s, %v\nwant            %s, %v", p, got, err, want, wantErr)
	}
}

// interestingFloats are where the YAML round trip and JSON differ in form:
// integers (and -0) come back as integers, 1e6 and up take an exponent in
// YAML, 1e21 and up and below 1e-6 in JSON.
var interestingFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.1, 2.5e-7, 1e-6, 9.99999e-7, 123456, 999999, 1e6, -1e6,
	1234567, 999999.5, 1e15, 1e20, 1e21, 1.5e21, 1e300, -1e-300, 5e-324, math.MaxFloat64, 1 << 53, 1<<53 + 2, 0.30000000000000004}

func TestParamsJSONEqualsTheYAMLRoundTrip(t *testing.T) {
	seed := uint64(7)
	for _, f := range interestingFloats {
		checkParamsJSON(t, &canonParams{F: f, Floats: []float64{f, -f}, Matrix: [][]float64{{f}, nil}, Inner: canonInner{Std: f}, Any: f})
	}
	strs := []string{"", "numpy", "true", "1", "1.5", "null", "~", "0x1F", "2001-12-14", "yes", " lead", "trail ", "a: b", "#x", "- x", "<b>&", `"q"`, `back\slash`,
		"tab\there", "line\nbreak", "é", "\u2028", "\x00", "\xff", "[a]", "{a}", "'s'", "*x", "&x", "!x", "%x", "@x", "`x"}
	for _, s := range strs {
		checkParamsJSON(t, &canonParams{S: s, Names: []string{s}, Any: s})
	}
	cases := []Params{
		&canonParams{},
		&canonParams{I: math.MinInt, I32: math.MaxInt32, U: math.MaxUint64, B: true, P: &seed, PInner: &canonInner{Seed: &seed}, Skip: 3, hidden: 4},
		&canonParams{Names: []string{}, Floats: []float64{}, Matrix: [][]float64{}},
		&canonOmit{}, &canonOmit{A: 1, B: "x"},
		noParams{},
	}
	for _, p := range cases {
		checkParamsJSON(t, p)
	}
	one, seven := 1.5, &canonZeroer{7}
	omit := []Params{
		&canonOmitAll{}, &canonOmitAll{S: "x", I: -1, I8: 3, U: 1, F: math.Copysign(0, -1), B: true, P: &one, L: []int{}, M: map[string]int{}, A: 0},
		&canonOmitAll{F: 0.25, L: []int{1}, M: map[string]int{"k": 1}, A: "", In: &canonInner{}}, &canonOmitAll{P: new(float64)},
		&canonOmitRound{}, &canonOmitRound{Z: seven, A: seven}, &canonOmitRound{Z: &canonZeroer{1}, A: &canonZeroer{}, St: canonInner{Std: 1}},
	}
	for _, p := range omit {
		checkParamsJSON(t, p)
	}
	seed = 3
	for _, p := range []*canonWire{{}, {A: 1, B: "x", C: 0.9}, {C: 0.5, D: &canonInner{Std: 2, Seed: &seed}}, {B: "fail"}, {B: "nil"}} {
		checkParamsJSON(t, p)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		f := math.Float64frombits(rnd.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		u := rnd.Uint64()
		checkParamsJSON(t, &canonParams{F: f, I: int(rnd.Int64()), U: u, P: &u, Floats: []float64{float64(rnd.IntN(3_000_000)) - 1_500_000, rnd.NormFloat64()}})
	}
}

// TestParamsJSONWritesOmitEmptyAndMarshalersDirectly checks that the
// fields tagged omitempty and the values with MarshalYAML that stages use
// do not send ParamsJSON through the YAML round trip.
func TestParamsJSONWritesOmitEmptyAndMarshalersDirectly(t *testing.T) {
	one := 1.0
	for _, p := range []Params{
		&canonOmitAll{S: "x", P: &one, A: 2.5}, &canonOmitAll{},
		&canonWire{A: 1, B: "x", C: 0.5, D: &canonInner{}}, &canonWire{C: 0.9},
	} {
		if _, ok, err := fieldCache(nil).appendCanonical(nil, reflect.ValueOf(p)); !ok || err != nil {
			t.Errorf("appendCanonical(%+v) takes the round trip (ok %v, err %v), want it written directly", p, ok, err)
		}
	}
	for _, p := range []Params{&canonOmitRound{St: canonInner{Std: 1}}, &canonOmitRound{Z: &canonZeroer{}}, &canonOmitRound{A: &canonZeroer{}}} {
		if _, ok, _ := fieldCache(nil).appendCanonical(nil, reflect.ValueOf(p)); ok {
			t.Errorf("appendCanonical(%+v) is written directly, want the round trip for omitempty on a struct or an IsZero method", p)
		}
	}
}

func TestParamsJSONRefusesWhatJSONCannotHold(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if b, err := ParamsJSON(&canonParams{F: f}); err == nil {
			t.Errorf("ParamsJSON(f = %v) = %s, want an error", f, b)
		}
	}
}

func FuzzParamsJSON(f *testing.F) {
	f.Add(0.5, int64(3), uint64(1), "numpy", true)
	f.Add(math.Copysign(0, -1), int64(-1), uint64(math.MaxUint64), "a: b", false)
	f.Add(1e6, int64(math.MinInt64), uint64(0), "\xff", true)
	f.Fuzz(func(t *testing.T, fl float64, i int64, u uint64, s string, b bool) {
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			return
		}
		checkParamsJSON(t, &canonParams{F: fl, I: int(i), U: u, S: s, B: b, P: &u, Names: []string{s}, Floats: []float64{fl}, Inner: canonInner{Std: fl}, Any: s})
		checkParamsJSON(t, &canonWire{A: fl, B: s, C: fl})
		checkParamsJSON(t, &canonOmitAll{S: s, I: int(i), F: fl, B: b, U: u})
	})
}
