package config

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// testInit is a nested parameter block, like train's init.
type testInit struct {
	Std  float64 `yaml:"std"`
	RNG  string  `yaml:"rng"`
	Seed *uint64 `yaml:"seed"`
}

// testParams stands in for a stage kind's parameters: every field type a
// kind uses.
type testParams struct {
	Hidden       int       `yaml:"hidden"`
	Steps        int       `yaml:"steps"`
	LearningRate float64   `yaml:"learning_rate"`
	Epsilon      float64   `yaml:"epsilon"`
	Shuffle      bool      `yaml:"shuffle"`
	Gradient     string    `yaml:"gradient"`
	Seed         *uint64   `yaml:"seed"`
	Small        int8      `yaml:"small"`
	Ratio        float32   `yaml:"ratio"`
	Init         testInit  `yaml:"init"`
	Layers       []int     `yaml:"layers"`
	Noise        []float64 `yaml:"noise"`
	//lint:ignore U1000 an unexported field is never a key, which the decoder tests check
	ignored int // unexported, so not a key even though it is a field
	Skipped int `yaml:"-"`
}

// defaultParams is what a constructor pre-fills before decoding; Shuffle
// defaults to true here so that an explicit false is seen to survive.
func defaultParams() testParams {
	return testParams{
		Hidden:       2,
		Steps:        1000,
		LearningRate: 0.5,
		Epsilon:      0.001,
		Shuffle:      true,
		Gradient:     "numerical",
		Init:         testInit{Std: 0.01, RNG: "pcg"},
	}
}

func ptr[T any](v T) *T { return &v }

// yamlNode parses src and returns its top node.
func yamlNode(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml.Unmarshal(%q): %v", src, err)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("yaml.Unmarshal(%q): %d documents", src, len(doc.Content))
	}
	return doc.Content[0]
}

func decodeParams(t testing.TB, src string) (testParams, Lines, Errors) {
	t.Helper()
	p := defaultParams()
	lines, errs := Decode(yamlNode(t, src), &p)
	return p, lines, errs
}

// wantErr describes one expected problem: where it is and a fragment of
// what it says.
type wantErr struct {
	line int
	key  string
	msg  string
}

func (w wantErr) String() string { return fmt.Sprintf("line %d, key %q, %q", w.line, w.key, w.msg) }

func checkErrors(t *testing.T, call string, got Errors, want []wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %d errors %v, want %d %v", call, len(got), got, len(want), want)
	}
	for i, w := range want {
		e := got[i]
		if e.Line != w.line || e.Key != w.key || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("%s error %d = line %d, key %q, %q; want %v", call, i, e.Line, e.Key, e.Msg, w)
		}
	}
}

func TestDecodeAcceptsWellTypedValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want func(p *testParams)
	}{
		{"an empty mapping keeps every default", "{}", func(p *testParams) {}},
		{"every field can be set", `
hidden: 4
steps: 20
learning_rate: 0.25
epsilon: 1e-6
shuffle: false
gradient: backprop
seed: 7
small: -128
ratio: 0.5
init: {std: 0.1, rng: numpy, seed: 3}
layers: [1, 2, 3]
noise: [0.5, 1]
`, func(p *testParams) {
			p.Hidden, p.Steps, p.LearningRate, p.Epsilon = 4, 20, 0.25, 1e-6
			p.Shuffle, p.Gradient, p.Seed, p.Small, p.Ratio = false, "backprop", ptr[uint64](7), -128, 0.5
			p.Init = testInit{Std: 0.1, RNG: "numpy", Seed: ptr[uint64](3)}
			p.Layers, p.Noise = []int{1, 2, 3}, []float64{0.5, 1}
		}},
		{"an explicit false and zero survive the defaults", "shuffle: false\nlearning_rate: 0\nhidden: 0",
			func(p *testParams) { p.Shuffle, p.LearningRate, p.Hidden = false, 0, 0 }},
		{"a nested block keeps the defaults of the keys it leaves out", "init: {seed: 5}",
			func(p *testParams) { p.Init.Seed = ptr[uint64](5) }},
		{"seed 0 is set, not absent", "seed: 0", func(p *testParams) { p.Seed = ptr[uint64](0) }},
		{"the largest uint64 seed", "seed: 18446744073709551615", func(p *testParams) { p.Seed = ptr(uint64(math.MaxUint64)) }},
		{"an exponent that names an integer", "steps: 1e3", func(p *testParams) { p.Steps = 1000 }},
		{"a float with no fraction for an integer", "steps: 20.0", func(p *testParams) { p.Steps = 20 }},
		{"a hexadecimal integer", "steps: 0x10", func(p *testParams) { p.Steps = 16 }},
		{"an octal integer written 0o", "steps: 0o10", func(p *testParams) { p.Steps = 8 }},
		{"a quoted string of digits with a leading zero", `gradient: "010"`, func(p *testParams) { p.Gradient = "010" }},
		{"2^53 is still exact", "steps: 9007199254740992.0", func(p *testParams) { p.Steps = 1 << 53 }},
		{"an integer for a float", "learning_rate: 1", func(p *testParams) { p.LearningRate = 1 }},
		{"a capitalised boolean", "shuffle: False", func(p *testParams) { p.Shuffle = false }},
		{"a quoted string", `gradient: "backprop"`, func(p *testParams) { p.Gradient = "backprop" }},
		{"an empty list", "layers: []", func(p *testParams) { p.Layers = []int{} }},
		{"an alias to an anchored value", "layers: &l [4, 5]\nnoise: [1]\ninit: {std: 2}", func(p *testParams) {
			p.Layers, p.Noise, p.Init.Std = []int{4, 5}, []float64{1}, 2
		}},
		{"the smallest int8", "small: -128", func(p *testParams) { p.Small = -128 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := decodeParams(t, tt.src)
			if len(errs) > 0 {
				t.Fatalf("Decode(%q) = %v, want no errors", tt.src, errs)
			}
			want := defaultParams()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(%q) = %+v, want %+v", tt.src, got, want)
			}
		})
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantErr
	}{
		{"a misspelt key suggests the nearest", "hidden: 2\nhiden: 3", []wantErr{{2, "hiden", `unknown key (did you mean "hidden"?)`}}},
		{"learning_rte suggests learning_rate", "learning_rte: 0.1", []wantErr{{1, "learning_rte", `did you mean "learning_rate"?`}}},
		{"a key in the wrong case suggests the right one", "Hidden: 2", []wantErr{{1, "Hidden", `did you mean "hidden"?`}}},
		{"a misspelt nested key is named by its path", "init:\n  sdt: 0.1", []wantErr{{2, "init.sdt", `did you mean "std"?`}}},
		{"a key near nothing lists the valid keys", "colour: red", []wantErr{{1, "colour", "valid keys: epsilon, gradient, hidden, init, layers, learning_rate, noise, ratio, seed, shuffle, small, steps"}}},
		{"an unexported field is not a key", "ignored: 1", []wantErr{{1, "ignored", "unknown key"}}},
		{"a field tagged - is not a key", "-: 1", []wantErr{{1, "-", "unknown key"}}},
		{"a word for an integer", "hidden: two", []wantErr{{1, "hidden", `expected an integer, got "two"`}}},
		{"a quoted number for an integer", `steps: "20"`, []wantErr{{1, "steps", `expected an integer, got "20"`}}},
		{"an integer with a leading zero, octal to YAML", "hidden: 010", []wantErr{{1, "hidden", "got 010: a leading zero reads as octal in YAML; write 10, or 0o10 for octal"}}},
		{"a negative integer with leading zeros", "steps: -007", []wantErr{{1, "steps", "write -7, or -0o7 for octal"}}},
		{"zeros alone", "steps: 00", []wantErr{{1, "steps", "write 0, or 0o0 for octal"}}},
		{"a number with a leading zero for a float", "learning_rate: 010", []wantErr{{1, "learning_rate", "expected a number, got 010: a leading zero"}}},
		{"a seed with a leading zero", "seed: 0123", []wantErr{{1, "seed", "expected a non-negative integer, got 0123: a leading zero"}}},
		{"a list item with a leading zero", "layers: [1, 02]", []wantErr{{1, "layers[1]", "got 02: a leading zero"}}},
		{"a fraction for an integer", "steps: 20.5", []wantErr{{1, "steps", "expected an integer, got 20.5"}}},
		{"1e100 for an integer", "steps: 1e100", []wantErr{{1, "steps", "out of range"}}},
		{"an integer beyond int64", "steps: 99999999999999999999", []wantErr{{1, "steps", "out of range"}}},
		{"infinity for an integer", "steps: .inf", []wantErr{{1, "steps", "expected an integer"}}},
		{"NaN for an integer", "steps: .nan", []wantErr{{1, "steps", "expected an integer"}}},
		{"a value beyond int8", "small: 128", []wantErr{{1, "small", "out of range"}}},
		{"a negative seed", "seed: -1", []wantErr{{1, "seed", "expected a non-negative integer, got -1"}}},
		{"a negative float seed", "seed: -1e3", []wantErr{{1, "seed", "expected a non-negative integer"}}},
		{"a seed beyond uint64", "seed: 18446744073709551616", []wantErr{{1, "seed", "out of range"}}},
		{"yes for a boolean", "shuffle: yes", []wantErr{{1, "shuffle", `expected true or false, got "yes"`}}},
		{"1 for a boolean", "shuffle: 1", []wantErr{{1, "shuffle", "expected true or false, got 1"}}},
		{"a quoted boolean", `shuffle: "true"`, []wantErr{{1, "shuffle", "expected true or false"}}},
		{"a number for a string", "gradient: 5", []wantErr{{1, "gradient", "expected a string, got 5"}}},
		{"a list for a string", "gradient: [a]", []wantErr{{1, "gradient", "expected a string, got a list"}}},
		{"a quoted number for a float", `learning_rate: "0.5"`, []wantErr{{1, "learning_rate", `expected a number, got "0.5"`}}},
		{"a float that overflows", "learning_rate: 1e400", []wantErr{{1, "learning_rate", "expected a number"}}},
		{"null for an integer", "hidden: null", []wantErr{{1, "hidden", "expected an integer, got null"}}},
		{"~ for an integer", "hidden: ~", []wantErr{{1, "hidden", "got null"}}},
		{"an empty value", "hidden:\nsteps: 3", []wantErr{{1, "hidden", "got null"}}},
		{"null for a pointer", "seed: null", []wantErr{{1, "seed", "expected a non-negative integer, got null"}}},
		{"null for a nested block", "init: null", []wantErr{{1, "init", "got null"}}},
		{"null for a list", "layers: ~", []wantErr{{1, "layers", "got null"}}},
		{"a scalar for a nested block", "init: 3", []wantErr{{1, "init", "expected a mapping of keys to values, got 3"}}},
		{"a scalar for a list", "layers: 3", []wantErr{{1, "layers", "expected a list, got 3"}}},
		{"a mapping for an integer", "hidden: {a: 1}", []wantErr{{1, "hidden", "expected an integer, got a mapping"}}},
		{"a bad list item is named by its index", "layers:\n  - 1\n  - x", []wantErr{{3, "layers[1]", `expected an integer, got "x"`}}},
		{"a key written twice", "hidden: 2\nsteps: 3\nhidden: 4", []wantErr{{3, "hidden", "key repeated (first at line 1)"}}},
		{"a key written twice in different case", "seed: 1\nSeed: 2", []wantErr{{2, "Seed", `key repeats "seed" of line 1 in another letter case`}}},
		{"a nested key written twice", "init:\n  std: 1\n  std: 2", []wantErr{{3, "init.std", "key repeated (first at line 2)"}}},
		{"a dotted key", `"init.std": 0.1`, []wantErr{{1, "init.std", `dotted keys are not allowed here; write "init.std" as nested keys`}}},
		{"a dotted key whose first part is no key", `"learning.rate": 0.1`, []wantErr{{1, "learning.rate", `unknown key (did you mean "learning_rate"?)`}}},
		{"a dotted key under a key that takes a value", `"steps.max": 3`, []wantErr{{1, "steps.max", "unknown key (valid keys: epsilon, gradient, "}}},
		{"a merge key", "<<: {hidden: 3}", []wantErr{{1, "", "merge keys (<<) are not supported"}}},
		{"a list as a key", "? [a, b]\n: 1", []wantErr{{1, "", "expected a key name, got a list"}}},
		{"a list where the mapping should be", "[1, 2]", []wantErr{{1, "", "expected a mapping of keys to values, got a list"}}},
		{"every problem at once, in order", "hiden: 2\nsteps: 20.5\nshuffle: yes\ninit: {rgn: numpy}", []wantErr{
			{1, "hiden", "did you mean"},
			{2, "steps", "expected an integer"},
			{3, "shuffle", "expected true or false"},
			{4, "init.rgn", `did you mean "rng"?`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, errs := decodeParams(t, tt.src)
			checkErrors(t, fmt.Sprintf("Decode(%q)", tt.src), errs, tt.want)
			for _, e := range errs {
				if e.File != "" || e.Stage != "" || e.Origin != "" {
					t.Errorf("Decode(%q) error %+v sets File, Stage or Origin, which are the caller's", tt.src, e)
				}
			}
		})
	}
}

func TestDecodeLeavesTheDefaultOfABadValue(t *testing.T) {
	got, _, errs := decodeParams(t, "hidden: two\nseed: -1\nlayers: [1, x]\ninit: {seed: null}\nsteps: 30")
	if len(errs) != 4 {
		t.Fatalf("Decode = %v, want 4 errors", errs)
	}
	want := defaultParams()
	want.Steps = 30
	// A list with a bad item is kept, with the item's zero value, so callers
	// can go on checking the good items.
	want.Layers = got.Layers
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
	if got.Seed != nil || got.Init.Seed != nil {
		t.Errorf("Decode set a pointer whose value was refused: seed %v, init.seed %v", got.Seed, got.Init.Seed)
	}
}

func TestDecodeReturnsTheLineOfEveryKey(t *testing.T) {
	src := "hidden: 2\ninit:\n  std: 0.1\n  seed: 4\nlayers:\n  - 1\n  - 2\nhiden: 3\n"
	_, lines, errs := decodeParams(t, src)
	if len(errs) != 1 {
		t.Fatalf("Decode(%q) = %v, want one error", src, errs)
	}
	want := Lines{"hidden": 1, "init": 2, "init.std": 3, "init.seed": 4, "layers": 5}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("Decode(%q) lines = %v, want %v", src, lines, want)
	}
}

func TestDecodePanicsOnADestinationThatIsNotAPointerToAStruct(t *testing.T) {
	n := yamlNode(t, "hidden: 1")
	for _, dst := range []any{testParams{}, new(int), nil, new(map[string]int)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Decode(n, %T) did not panic", dst)
				}
			}()
			Decode(n, dst)
		}()
	}
}

// lol is a recursive parameter type: a tree as deep as the document.
type lol struct {
	Kids []lol `yaml:"kids"`
}

// billionLaughs returns a document of a few hundred bytes whose aliases
// expand to 10^levels leaves.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 {kids: []}\n")
	for i := 1; i <= levels; i++ {
		ref := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d {kids: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(ref+", ", 10), ", "))
	}
	fmt.Fprintf(&b, "kids: [*l%d]\n", levels)
	return b.String()
}

func TestDecodeRefusesABillionLaughs(t *testing.T) {
	src := billionLaughs(9)
	n := yamlNode(t, src)
	// Only the last key is a field, so the other keys are unknown-key
	// errors; the `kids` key expands through every level.
	var dst struct {
		Kids []lol `yaml:"kids"`
	}
	_, errs := Decode(n, &dst)
	limit := strconv.Itoa(MaxAliasNodes) + " nodes"
	found := 0
	for _, e := range errs {
		if strings.Contains(e.Msg, limit) {
			found++
		}
	}
	if found != 1 {
		t.Errorf("Decode(billion laughs) = %d errors mentioning %q in %v, want exactly 1", found, limit, errs)
	}
}

func TestDecodeOfANestedBillionLaughsInsideAStageIsRefused(t *testing.T) {
	src := "name: lol\nstages:\n  - id: a\n    kind: k\n    with: &w {kids: []}\n" +
		"  - {id: b, kind: k, with: &b1 {kids: [*w, *w, *w, *w, *w, *w, *w, *w, *w, *w]}}\n" +
		"  - {id: c, kind: k, with: &b2 {kids: [*b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1, *b1]}}\n" +
		"  - {id: d, kind: k, with: &b3 {kids: [*b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2, *b2]}}\n" +
		"  - {id: e, kind: k, with: &b4 {kids: [*b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3, *b3]}}\n" +
		"  - {id: f, kind: k, with: &b5 {kids: [*b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4, *b4]}}\n" +
		"  - {id: g, kind: k, with: &b6 {kids: [*b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5, *b5]}}\n" +
		"  - {id: h, kind: k, with: &b7 {kids: [*b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6, *b6]}}\n" +
		"  - {id: i, kind: k, with: &b8 {kids: [*b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7, *b7]}}\n"
	// Parse measures the whole document with aliases expanded (in linear
	// time) before it copies any stage's with, so the bomb is refused once,
	// not stage by stage.
	_, err := Parse("lol.yaml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), "at most "+strconv.Itoa(MaxAliasNodes)+" more from aliases") {
		t.Errorf("Parse(billion laughs in with) = %v, want the alias limit", err)
	}
}

func TestDecodeOfDeeplyNestedYAMLDoesNotPanic(t *testing.T) {
	// 2000 levels of {kids: [...]} are 4000 flow levels, within yaml.v3's
	// limit of 10000; 300 block levels are 600 indents.
	flow := "kids: [" + strings.Repeat("{kids: [", 2000) + strings.Repeat("]}", 2000) + "]"
	var block strings.Builder
	block.WriteString("kids:\n")
	for i := range 300 {
		fmt.Fprintf(&block, "%s- kids:\n", strings.Repeat(" ", 2+4*i))
	}
	fmt.Fprintf(&block, "%s- {}\n", strings.Repeat(" ", 2+4*300))
	for name, src := range map[string]string{"flow": flow, "block": block.String()} {
		var p lol
		if _, errs := Decode(yamlNode(t, src), &p); len(errs) > 0 {
			t.Errorf("Decode(%s nesting) into a recursive type = %v, want no errors", name, errs)
		}
		depth := 0
		for k := p.Kids; len(k) > 0; k = k[0].Kids {
			depth++
		}
		if depth < 300 {
			t.Errorf("Decode(%s nesting) decoded %d levels, want at least 300", name, depth)
		}
		// Into a flat type, the first level is a type error and the rest is not visited.
		var q testParams
		if _, errs := Decode(yamlNode(t, strings.Replace(src, "kids", "hidden", 1)), &q); len(errs) != 1 {
			t.Errorf("Decode(hidden: %s nesting) = %v, want one error", name, errs)
		}
	}
	// Beyond yaml.v3's depth limit, Parse says the YAML is malformed.
	deep := "name: x\nstages: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	_, err := Parse("deep.yaml", []byte(deep), nil)
	if es := asErrors(t, err); len(es) != 1 || !strings.Contains(es[0].Msg, "malformed YAML") {
		t.Errorf("Parse(20000 nested lists) = %v, want one malformed YAML error", err)
	}
}

func TestSetScalarRefusesUnsupportedKinds(t *testing.T) {
	var m map[string]int
	defer func() {
		if recover() == nil {
			t.Errorf("SetScalar(map) did not panic")
		}
	}()
	SetScalar(reflect.ValueOf(&m).Elem(), yamlNode(t, "1"))
}

func TestSetScalarSetsAnAddressableValue(t *testing.T) {
	tests := []struct {
		src  string
		dst  any
		want any
	}{
		{"3", new(int), 3},
		{"3", new(uint16), uint16(3)},
		{"1e3", new(int64), int64(1000)},
		{"0.5", new(float64), 0.5},
		{"true", new(bool), true},
		{"abc", new(string), "abc"},
	}
	for _, tt := range tests {
		v := reflect.ValueOf(tt.dst).Elem()
		if err := SetScalar(v, yamlNode(t, tt.src)); err != nil {
			t.Errorf("SetScalar(%T, %q) = %v, want nil", tt.dst, tt.src, err)
			continue
		}
		if got := v.Interface(); got != tt.want {
			t.Errorf("SetScalar(%T, %q) set %v, want %v", tt.dst, tt.src, got, tt.want)
		}
	}
}

// TestNumbersDecodeAsYAMLDecodesThem checks the fast paths for plain numbers
// against yaml.v3's own decoding, over tricky spellings and random ones.
func TestNumbersDecodeAsYAMLDecodesThem(t *testing.T) {
	spellings := []string{"0", "-0", "+0", "1", "+1", "-1", "010", "-010", "0o17", "0x1F", "1_000", "0.5", ".5", "-.5", "5.",
		"1e3", "1E3", "1e+3", "1e-3", "-1.5e-300", "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551616", "00.5", "0e0", ".inf", "-.inf", ".nan", "1.7976931348623157e308",
		"4.9e-324", "2.5e-324", "0.1e1", "1e", "e1", "--1", "1-1", "1e1e1", "+", "-", ".", "123456789012345678901234567890"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		for range 1 + rnd.IntN(8) {
			b.WriteByte("0123456789.e-+_"[rnd.IntN(15)])
		}
		spellings = append(spellings, b.String())
	}
	for _, s := range spellings {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte("v: "+s), &doc); err != nil {
			continue
		}
		n := doc.Content[0].Content[1]
		if tag := n.ShortTag(); tag != "!!int" && tag != "!!float" {
			continue
		}
		var fast, slow float64
		fastErr, slowErr := decodeFloat(n, &fast), n.Decode(&slow)
		if (fastErr == nil) != (slowErr == nil) || (fastErr == nil && math.Float64bits(fast) != math.Float64bits(slow) && !(math.IsNaN(fast) && math.IsNaN(slow))) {
			t.Errorf("decodeFloat(%q) = %v, %v; yaml.v3 gives %v, %v", s, fast, fastErr, slow, slowErr)
		}
		if n.ShortTag() != "!!int" {
			continue
		}
		var fi, si int64
		fastErr, slowErr = decodeInt(n, &fi), n.Decode(&si)
		if (fastErr == nil) != (slowErr == nil) || fi != si {
			t.Errorf("decodeInt(%q) = %v, %v; yaml.v3 gives %v, %v", s, fi, fastErr, si, slowErr)
		}
	}
}

// TestTheAliasBudgetCountsOnlyWhatAliasesAdd checks that large documents
// written out in full are not refused as alias bombs: only the nodes
// aliases add count against MaxAliasNodes, and the size of a document as
// written is bounded by MaxFileBytes, with a message that says so.
func TestTheAliasBudgetCountsOnlyWhatAliasesAdd(t *testing.T) {
	list := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]" }
	// Ten aliases of a list of 9,000 add 90,000 nodes: within the budget.
	aliased := "x: &x " + list(9_000) + "\ny: [" + strings.TrimSuffix(strings.Repeat("*x, ", 10), ", ") + "]\n"
	cases := []struct {
		name, src string
		want      string // a substring of the one error, or "" for none
	}{
		{"a plain list of 200,000 values, twice the alias budget", "name: big\nstages: [{id: a, kind: k}]\nsweep:\n  a.n: " + list(200_000) + "\n", ""},
		{"a large list plus aliases within the budget", "name: big\nstages: [{id: a, kind: k}]\nsweep:\n  a.n: " + list(120_000) + "\n" + aliased, "unknown key"},
		{"aliases beyond the budget in a small document", billionLaughs(6), "at most 100000 more from aliases"},
		{"a document over the size limit", "name: big\nx: " + list(600_000) + "\n", "bytes is too large for a config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("big.yaml", []byte(c.src), nil)
			es := asErrors(t, err)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Parse = %v, want no error", err)
			case c.want != "" && (len(es) == 0 || !strings.Contains(es[0].Msg, c.want)):
				t.Errorf("Parse = %v, want an error about %q", err, c.want)
			}
			for _, e := range es {
				if c.want != "at most 100000 more from aliases" && strings.Contains(e.Msg, "alias") {
					t.Errorf("Parse blames aliases the document does not use: %v", e)
				}
			}
		})
	}
	// Decode of a long plain list reaches no alias and is no bomb.
	var dst struct {
		Noise []float64 `yaml:"noise"`
	}
	if _, errs := Decode(yamlNode(t, "noise: "+list(150_000)), &dst); len(errs) > 0 || len(dst.Noise) != 150_000 {
		t.Errorf("Decode(a plain list of 150,000) = %d values, %v; want every value and no error", len(dst.Noise), errs)
	}
}

// TestDecodeIntoNothingSaysSo: a key given to parameters that have none
// (evaluate's) says that nothing is taken, not an empty list of keys.
func TestDecodeIntoNothingSaysSo(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("x: 1"), &n); err != nil {
		t.Fatal(err)
	}
	var none struct{}
	_, errs := Decode(n.Content[0], &none)
	if len(errs) != 1 || errs[0].Key != "x" || errs[0].Msg != "unknown key: this takes no keys" {
		t.Errorf("Decode(x: 1) into no parameters = %v, want one error at x saying it takes no keys", errs)
	}
}

// TestDecodeTakesMinusZeroAsZero checks that a float parameter written as a
// negative zero decodes as 0. Cache keys and config hashes write -0 as 0,
// so the two must give the same computation: a Gaussian mixture's mean of
// -0.0 beside a deviation of 0 would otherwise give other bits than 0 under
// the same key.
func TestDecodeTakesMinusZeroAsZero(t *testing.T) {
	for _, tt := range []struct {
		src string
		get func(p testParams) float64
	}{
		{"learning_rate: -0.0", func(p testParams) float64 { return p.LearningRate }},
		{"learning_rate: -0.", func(p testParams) float64 { return p.LearningRate }},
		{"learning_rate: -.0", func(p testParams) float64 { return p.LearningRate }},
		{"learning_rate: -0e5", func(p testParams) float64 { return p.LearningRate }},
		{"learning_rate: -0.000e-3", func(p testParams) float64 { return p.LearningRate }},
		{"learning_rate: -0", func(p testParams) float64 { return p.LearningRate }},
		{"ratio: -0.0", func(p testParams) float64 { return float64(p.Ratio) }},
		{"init: {std: -0.0}", func(p testParams) float64 { return p.Init.Std }},
		{"noise: [1, -0.0]", func(p testParams) float64 { return p.Noise[1] }},
	} {
		p, _, errs := decodeParams(t, tt.src)
		if len(errs) > 0 {
			t.Fatalf("Decode(%q) = %v, want no errors", tt.src, errs)
		}
		if got := tt.get(p); got != 0 || math.Signbit(got) {
			t.Errorf("Decode(%q) = %v (sign bit %t), want 0", tt.src, got, math.Signbit(got))
		}
	}
}

func TestCheckDecimalInteger(t *testing.T) {
	cases := []struct {
		s      string
		signed bool
		want   error
	}{
		{"0", false, nil}, {"12", false, nil}, {"-12", true, nil}, {"-0", true, nil},
		{"-12", false, strconv.ErrSyntax}, {"+12", true, strconv.ErrSyntax}, {"", false, strconv.ErrSyntax},
		{"-", true, strconv.ErrSyntax}, {"0x10", false, strconv.ErrSyntax}, {"1_000", false, strconv.ErrSyntax},
		{"1e3", false, strconv.ErrSyntax}, {" 1", false, strconv.ErrSyntax},
		{"010", false, ErrLeadingZero}, {"-007", true, ErrLeadingZero}, {"00", false, ErrLeadingZero},
	}
	for _, c := range cases {
		if got := CheckDecimalInteger(c.s, c.signed); !errors.Is(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("CheckDecimalInteger(%q, %v) = %v, want %v", c.s, c.signed, got, c.want)
		}
	}
}
