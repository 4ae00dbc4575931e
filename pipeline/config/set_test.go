package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestParseOverrideReadsKeyAndValue(t *testing.T) {
	tests := []struct {
		arg    string
		key    string
		tag    string
		values []string // the value, or the sweep axis's values
	}{
		{"train.hidden=4", "train.hidden", "!!int", []string{"4"}},
		{"seed=3", "seed", "!!int", []string{"3"}},
		{"name=book-ch7", "name", "!!str", []string{"book-ch7"}},
		{"train.init.seed=7", "train.init.seed", "!!int", []string{"7"}},
		{"train.learning_rate=0.5", "train.learning_rate", "!!float", []string{"0.5"}},
		{"train.learning_rate=1e-3", "train.learning_rate", "!!float", []string{"1e-3"}},
		{"split.shuffle=true", "split.shuffle", "!!bool", []string{"true"}},
		{"train.gradient=backprop", "train.gradient", "!!str", []string{"backprop"}},
		{`train.gradient="4"`, "train.gradient", "!!str", []string{"4"}},
		{" train.hidden = 4 ", "train.hidden", "!!int", []string{"4"}},
		{"name=a=b", "name", "!!str", []string{"a=b"}},
		{"name=a,b", "name", "!!str", []string{"a,b"}},
		{"train.hidden=null", "train.hidden", "!!null", []string{"null"}},
		{"sweep.train.hidden=1,2,4", "sweep.train.hidden", "!!seq", []string{"1", "2", "4"}},
		{"sweep.train.hidden=[1,2]", "sweep.train.hidden", "!!seq", []string{"1", "2"}},
		{"sweep.train.hidden= [1, 2] ", "sweep.train.hidden", "!!seq", []string{"1", "2"}},
		{"sweep.train.hidden=1, 2", "sweep.train.hidden", "!!seq", []string{"1", "2"}},
		{"sweep.seed=5", "sweep.seed", "!!seq", []string{"5"}},
		{"sweep.train.gradient=numerical,backprop", "sweep.train.gradient", "!!seq", []string{"numerical", "backprop"}},
		{"sweep.train.init.seed=[1, 2, 3]", "sweep.train.init.seed", "!!seq", []string{"1", "2", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			o, err := ParseOverride(tt.arg)
			if err != nil {
				t.Fatalf("ParseOverride(%q) = %v, want no error", tt.arg, err)
			}
			if o.Origin != "--set "+Shown(tt.arg) || o.Key != tt.key {
				t.Errorf("ParseOverride(%q) = origin %q, key %q; want %q, %q", tt.arg, o.Origin, o.Key, "--set "+Shown(tt.arg), tt.key)
			}
			var got []string
			if o.Value.Kind == yaml.SequenceNode {
				for _, c := range o.Value.Content {
					if c.Kind != yaml.ScalarNode {
						t.Errorf("ParseOverride(%q) sweep value %v is not a scalar", tt.arg, c)
					}
					got = append(got, c.Value)
				}
			} else {
				got = []string{o.Value.Value}
			}
			if o.Value.ShortTag() != tt.tag || !reflect.DeepEqual(got, tt.values) {
				t.Errorf("ParseOverride(%q) value = %s %q, want %s %q", tt.arg, o.Value.ShortTag(), got, tt.tag, tt.values)
			}
		})
	}
}

func TestParseOverrideRefusesBadSyntax(t *testing.T) {
	tests := []struct {
		name string
		arg  string
		want string
	}{
		{"no equals sign", "train.hidden", "expected KEY=VALUE"},
		{"no key", "=4", "is not a key path"},
		{"an upper-case key", "Train.hidden=4", "is not a key path"},
		{"an empty key segment", "train..hidden=4", "is not a key path"},
		{"a leading dot", ".hidden=4", "is not a key path"},
		{"a trailing dot", "train.=4", "is not a key path"},
		{"a space inside the key", "train hidden=4", "is not a key path"},
		{"a path escape in the key", "../x=4", "is not a key path"},
		{"no value", "train.hidden=", "expected a value after ="},
		{"a blank value", "train.hidden=   ", "expected a value after ="},
		{"a list for a single value", "train.hidden=[1,2]", "is not a single value"},
		{"a mapping for a single value", "train.hidden={a: 1}", "is not a single value"},
		{"a comment for a value", "train.hidden=#4", "is not a YAML scalar"},
		{"an alias for a value", "train.hidden=*a", "is not a YAML scalar"},
		{"malformed YAML", `train.gradient="abc`, "is not a YAML scalar"},
		{"an empty sweep value", "sweep.train.hidden=1,,2", "is not a YAML scalar"},
		{"a nested sweep list", "sweep.train.hidden=[1,[2]]", "expected a list of scalars"},
		{"an unclosed sweep list", "sweep.train.hidden=[1,2", "is not a YAML list"},
		{"a sweep list that is a mapping", "sweep.train.hidden=[1]: 2", "is not a YAML list"},
		{"an argument over the size limit", "name=" + strings.Repeat("a", MaxOverrideBytes), "too long"},
		{"a tagged value", "train.hidden=!custom 5", "the YAML tag !custom is not supported"},
		{"a tagged sweep value", "sweep.seed=1,!!binary eA==", "the YAML tag !!binary is not supported"},
		{"a tagged value in a sweep list", "sweep.seed=[1, !x 2]", "the YAML tag !x is not supported"},
		{"a sweep key with the sweep prefix", "sweep.sweep.seed=1,2", `write "seed"; the sweep. prefix belongs to --set only`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOverride(tt.arg)
			if err == nil {
				t.Fatalf("ParseOverride(%q) = %+v, want an error about %q", tt.arg, o, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "--set") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseOverride(%q) = %q, want an error starting --set about %q", tt.arg, err, tt.want)
			}
		})
	}
}

func TestParseAppliesOverrides(t *testing.T) {
	tests := []struct {
		name  string
		sets  []string
		check func(t *testing.T, f *File, params map[string]testParams)
	}{
		{"the master seed", []string{"seed=3"}, func(t *testing.T, f *File, _ map[string]testParams) {
			if f.Seed != 3 {
				t.Errorf("Seed = %d, want 3", f.Seed)
			}
		}},
		{"the name", []string{"name=other"}, func(t *testing.T, f *File, _ map[string]testParams) {
			if f.Name != "other" {
				t.Errorf("Name = %q, want other", f.Name)
			}
		}},
		{"a stage parameter", []string{"train.hidden=4"}, func(t *testing.T, _ *File, p map[string]testParams) {
			if p["train"].Hidden != 4 || p["train"].Steps != 1000 {
				t.Errorf("train = %+v, want hidden 4 and the file's steps 1000", p["train"])
			}
		}},
		{"a nested parameter keeps its siblings", []string{"train.init.seed=9"}, func(t *testing.T, _ *File, p map[string]testParams) {
			want := testInit{Std: 0.01, RNG: "numpy", Seed: ptr[uint64](9)}
			if !reflect.DeepEqual(p["train"].Init, want) {
				t.Errorf("train.init = %+v, want %+v", p["train"].Init, want)
			}
		}},
		{"a nested parameter the file leaves out", []string{"data.init.std=2"}, func(t *testing.T, _ *File, p map[string]testParams) {
			if p["data"].Init.Std != 2 || p["data"].Init.RNG != "pcg" {
				t.Errorf("data.init = %+v, want std 2 and the default rng", p["data"].Init)
			}
		}},
		{"a parameter of a stage without with", []string{"split.shuffle=true"}, func(t *testing.T, f *File, p map[string]testParams) {
			if f.Stage("split").With == nil || !p["split"].Shuffle {
				t.Errorf("split = %+v, want shuffle true", p["split"])
			}
		}},
		{"the last of two overrides of one key wins", []string{"train.hidden=4", "train.hidden=8"}, func(t *testing.T, _ *File, p map[string]testParams) {
			if p["train"].Hidden != 8 {
				t.Errorf("train.hidden = %d, want 8", p["train"].Hidden)
			}
		}},
		{"a sweep axis replaces the file's", []string{"sweep.train.hidden=1,2,4,8"}, func(t *testing.T, f *File, _ map[string]testParams) {
			if len(f.Sweep) != 2 || f.Sweep[0].Key != "train.hidden" || len(f.Sweep[0].Values) != 4 || f.Sweep[0].Origin != "--set sweep.train.hidden=1,2,4,8" {
				t.Errorf("Sweep = %v, want train.hidden with 4 values from --set first", axes(f))
			}
		}},
		{"a new sweep axis is added", []string{"sweep.train.learning_rate=[0.1, 0.5]"}, func(t *testing.T, f *File, _ map[string]testParams) {
			if len(f.Sweep) != 3 || f.Sweep[2].Key != "train.learning_rate" || len(f.Sweep[2].Values) != 2 {
				t.Errorf("Sweep = %v, want a third axis train.learning_rate with 2 values", axes(f))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, params, errs := load(t, "book.yaml", bookCh7, tt.sets...)
			if len(errs) > 0 {
				t.Fatalf("load(bookCh7, %q) = %v, want no errors", tt.sets, errs)
			}
			tt.check(t, f, params)
		})
	}
}

func axes(f *File) string {
	var b strings.Builder
	for _, a := range f.Sweep {
		fmt.Fprintf(&b, "[%s: %d values] ", a.Key, len(a.Values))
	}
	return b.String()
}

func TestParseAttributesOverrideErrorsToTheirOrigin(t *testing.T) {
	tests := []struct {
		name string
		sets []string
		want []fileErr // fileErr.line 0 with an origin, see below
		orig []string  // the origin of each error; "" for the file
	}{
		{"an unknown stage id suggests the nearest", []string{"trian.hidden=4"},
			[]fileErr{{0, "", "", `no stage with id "trian" (did you mean "train"?)`}}, []string{"--set trian.hidden=4"}},
		{"a stage id near nothing lists the stages", []string{"zzz.hidden=4"},
			[]fileErr{{0, "", "", "stages: data, split, train"}}, []string{"--set zzz.hidden=4"}},
		{"a top-level key that cannot be set", []string{"colour=red"},
			[]fileErr{{0, "", "", `not "colour"`}}, []string{"--set colour=red"}},
		{"stages cannot be set", []string{"stages=3"},
			[]fileErr{{0, "", "", `not "stages"`}}, []string{"--set stages=3"}},
		{"a negative master seed", []string{"seed=-1"},
			[]fileErr{{0, "", "seed", "expected a non-negative integer, got -1"}}, []string{"--set seed=-1"}},
		{"a bad name", []string{"name=Book"},
			[]fileErr{{1, "", "name", `got "Book"`}}, []string{"--set name=Book"}},
		{"a wrong type in a stage", []string{"train.hidden=two"},
			[]fileErr{{0, "train", "hidden", `expected an integer, got "two"`}}, []string{"--set train.hidden=two"}},
		{"an unknown parameter", []string{"train.hiden=3"},
			[]fileErr{{0, "train", "hiden", `did you mean "hidden"?`}}, []string{"--set train.hiden=3"}},
		{"a wrong type in a nested parameter", []string{"train.init.seed=-1"},
			[]fileErr{{0, "train", "init.seed", "expected a non-negative integer"}}, []string{"--set train.init.seed=-1"}},
		{"a string where a nested block belongs", []string{"train.init=x"},
			[]fileErr{{0, "train", "init", `expected a mapping of keys to values, got "x"`}}, []string{"--set train.init=x"}},
		{"a key beneath a value makes the value a mapping", []string{"train.hidden.x=2"},
			[]fileErr{{0, "train", "hidden", "expected an integer, got a mapping"}}, []string{"--set train.hidden.x=2"}},
		{"with in the key path is a parameter named with", []string{"train.with.hidden=2"},
			[]fileErr{{0, "train", "with", "unknown key"}}, []string{"--set train.with.hidden=2"}},
		{"inputs in the key path is a parameter named inputs", []string{"train.inputs.dataset=data.dataset"},
			[]fileErr{{0, "train", "inputs", "unknown key"}}, []string{"--set train.inputs.dataset=data.dataset"}},
		{"an argument on two lines is quoted, to keep the message on one", []string{"train.hidden=2\n3"},
			[]fileErr{{0, "train", "hidden", `expected an integer, got "2 3"`}}, []string{`--set "train.hidden=2\n3"`}},
		{"an error in the file stays the file's", []string{"train.hidden=4", "train.init.seed=2"},
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := bookCh7
			if tt.want == nil {
				// The file's own problem, next to overrides of other keys.
				src = strings.Replace(bookCh7, "steps: 1000", "steps: 20.5", 1)
				tt.want = []fileErr{{15, "train", "steps", "expected an integer, got 20.5"}}
				tt.orig = []string{""}
			}
			_, _, errs := load(t, "book.yaml", src, tt.sets...)
			if len(errs) != len(tt.want) {
				t.Fatalf("load(bookCh7, %q) = %v, want %d errors", tt.sets, errs, len(tt.want))
			}
			for i, w := range tt.want {
				e := errs[i]
				if e.Origin != tt.orig[i] || e.Stage != w.stage || e.Key != w.key || !strings.Contains(e.Msg, w.msg) {
					t.Errorf("load(bookCh7, %q) error %d = %#v, want origin %q, %+v", tt.sets, i, e, tt.orig[i], w)
				}
				if e.Origin != "" && !strings.HasPrefix(e.Error(), e.Origin+": ") {
					t.Errorf("load(bookCh7, %q) error %d = %q, want it to start with its origin", tt.sets, i, e)
				}
			}
		})
	}
}

func TestStageErrorOfAnOverriddenValueNamesTheOverride(t *testing.T) {
	f, _, errs := load(t, "book.yaml", bookCh7, "train.hidden=0", "train.init.seed=3")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := f.Stage("train")
	p := defaultParams()
	lines, _ := Decode(s.With, &p)
	// A range check the kind's Validate would make.
	e := f.StageError(s, lines, "hidden", "must be > 0, got 0")
	if e.Origin != "--set train.hidden=0" || e.Stage != "train" || e.Key != "hidden" {
		t.Errorf("StageError(hidden) = %#v, want origin --set train.hidden=0", e)
	}
	if got, want := e.Error(), `--set train.hidden=0: stage "train": hidden: must be > 0, got 0`; got != want {
		t.Errorf("StageError(hidden).Error() = %q, want %q", got, want)
	}
	// A key of the file keeps its line.
	e = f.StageError(s, lines, "steps", "must be > 0")
	if e.Origin != "" || e.Line != 15 || e.File != "book.yaml" {
		t.Errorf("StageError(steps) = %#v, want book.yaml line 15 and no origin", e)
	}
	// A key the user left out is reported at the stage's with.
	e = f.StageError(s, lines, "epsilon", "must be > 0")
	if e.Origin != "" || e.Line != 12 {
		t.Errorf("StageError(epsilon) = %#v, want line 12 (the with) and no origin", e)
	}
	// A stage without with is reported at its entry.
	split := f.Stage("split")
	if e := f.StageError(split, Lines{}, "shuffle", "x"); e.Line != 7 || e.Stage != "split" {
		t.Errorf("StageError(split.shuffle) = %#v, want line 7", e)
	}
}

func TestLocateFillsFileAndStage(t *testing.T) {
	f, _, _ := load(t, "book.yaml", bookCh7, "train.hidden=two")
	e := &Error{Line: 0, Key: "hidden", Msg: "m"}
	f.Locate(e, f.Stage("train"))
	if e.File != "book.yaml" || e.Stage != "train" || e.Origin != "--set train.hidden=two" {
		t.Errorf("Locate(hidden, train) = %#v, want file, stage and origin", e)
	}
	e = &Error{Line: 3, Key: "seed", Msg: "m"}
	f.Locate(e, nil)
	if e.File != "book.yaml" || e.Stage != "" || e.Origin != "" {
		t.Errorf("Locate(seed, nil) = %#v, want the file only", e)
	}
}

// scalar builds a plain scalar node as a sweep value would be.
func scalar(t testing.TB, src string) *yaml.Node { return yamlNode(t, src) }

func decodeStage(t testing.TB, f *File, id string) testParams {
	t.Helper()
	p := defaultParams()
	if s := f.Stage(id); s != nil && s.With != nil {
		if _, errs := Decode(s.With, &p); len(errs) > 0 {
			t.Fatalf("Decode(%s) = %v", id, errs)
		}
	}
	return p
}

func TestFileSetReturnsAnIndependentCopy(t *testing.T) {
	f, _, errs := load(t, "book.yaml", bookCh7)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	before := map[string]testParams{}
	for _, s := range f.Stages {
		before[s.ID] = decodeStage(t, f, s.ID)
	}
	g, err := f.Set("train.hidden", scalar(t, "8"))
	if err != nil {
		t.Fatalf("Set(train.hidden, 8) = %v", err)
	}
	h, err := g.Set("train.init.seed", scalar(t, "5"))
	if err != nil {
		t.Fatalf("Set(train.init.seed, 5) = %v", err)
	}
	h, err = h.Set("seed", scalar(t, "4"))
	if err != nil {
		t.Fatalf("Set(seed, 4) = %v", err)
	}
	h, err = h.Set("name", scalar(t, "trial-1"))
	if err != nil {
		t.Fatalf("Set(name, trial-1) = %v", err)
	}
	h, err = h.Set("split.shuffle", scalar(t, "true"))
	if err != nil {
		t.Fatalf("Set(split.shuffle, true) = %v", err)
	}
	if got := decodeStage(t, g, "train"); got.Hidden != 8 || got.Init.Seed == nil || *got.Init.Seed != 1 {
		t.Errorf("g train = %+v, want hidden 8 and init.seed 1", got)
	}
	ht := decodeStage(t, h, "train")
	if ht.Hidden != 8 || *ht.Init.Seed != 5 || ht.Init.Std != 0.01 || h.Seed != 4 || h.Name != "trial-1" || !decodeStage(t, h, "split").Shuffle {
		t.Errorf("h = seed %d, name %q, train %+v; want seed 4, trial-1, hidden 8, init.seed 5, std 0.01", h.Seed, h.Name, ht)
	}
	// f is untouched by either copy.
	for _, s := range f.Stages {
		if got := decodeStage(t, f, s.ID); !reflect.DeepEqual(got, before[s.ID]) {
			t.Errorf("after Set, f stage %s = %+v, want %+v", s.ID, got, before[s.ID])
		}
	}
	if f.Seed != 1 || f.Name != "book-ch7" || f.Stage("split").With != nil {
		t.Errorf("after Set, f = seed %d, name %q, split.With %v; want 1, book-ch7, nil", f.Seed, f.Name, f.Stage("split").With)
	}
	// The stages Set changed are copies; the others may be shared.
	for _, id := range []string{"train", "split"} {
		if fs, hs := f.Stage(id), h.Stage(id); fs == hs || (fs.With != nil && fs.With == hs.With) {
			t.Errorf("Set shares the stage %q it changed with f", id)
		}
	}
	if gs, hs := g.Stage("train"), h.Stage("train"); gs == hs || gs.With == hs.With {
		t.Errorf("Set shares the stage \"train\" it changed with the file it was called on")
	}
}

func TestFileSetRefusesBadValues(t *testing.T) {
	f, _, errs := load(t, "book.yaml", bookCh7)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		key, value, want string
	}{
		{"seed", "-1", "seed: expected a non-negative integer"},
		{"seed", "abc", "seed: expected a non-negative integer"},
		{"seed", `"3"`, "seed: expected a non-negative integer"},
		{"seed", "1.5", "seed: expected a non-negative integer"},
		{"seed", "010", "seed: expected a non-negative integer"},
		{"seed", "9007199254740993.0", "which is not exactly an integer"},
		{"seed", "1.0000000000000001", "which is not exactly an integer"},
		{"seed", "1e19", "above 2^53, write an integer in digits"},
		{"seed", "1e20", "out of range"},
		{"name", "Book", "name: must match"},
		{"name", "3", "name: must match"},
		{"colour", "1", `not "colour"`},
		{"trian.hidden", "1", `no stage with id "trian" (did you mean "train"?)`},
	}
	for _, tt := range tests {
		g, err := f.Set(tt.key, scalar(t, tt.value))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Set(%s, %s) = %v, %v; want an error about %q", tt.key, tt.value, g, err, tt.want)
		}
	}
}

// TestFileSetTakesASeedAsTheConfigDoes: a sweep's seed written 1.0, 1e0
// or 2^63-1 is the seed the same value at the top of a config is, and a
// seed above 2^63-1 is refused by both, with one message.
func TestFileSetTakesASeedAsTheConfigDoes(t *testing.T) {
	f, _, errs := load(t, "book.yaml", bookCh7)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, value := range []string{"9223372036854775808", "18446744073709551615"} {
		g, err := f.Set("seed", scalar(t, value))
		if err == nil || !strings.Contains(err.Error(), "seed: must be at most 9223372036854775807") {
			t.Errorf("Set(seed, %s) = %v, %v; want the seed refused as above 2^63-1", value, g, err)
		}
		_, _, errs := load(t, "top.yaml", strings.Replace(bookCh7, "seed: 1\n", "seed: "+value+"\n", 1))
		if len(errs) != 1 || errs[0].Key != "seed" || errs[0].Line != 2 || !strings.Contains(errs[0].Msg, "must be at most 9223372036854775807") {
			t.Errorf("seed: %s at the top: errors %v; want one, at top.yaml:2 seed, refusing it as above 2^63-1", value, errs)
		}
	}
	for value, want := range map[string]uint64{"7": 7, "1.0": 1, "1e0": 1, "9223372036854775807": MaxSeed} {
		g, err := f.Set("seed", scalar(t, value))
		if err != nil || g.Seed != want {
			t.Errorf("Set(seed, %s) = seed %v, %v; want %d", value, g, err, want)
			continue
		}
		top, _, errs := load(t, "top.yaml", strings.Replace(bookCh7, "seed: 1\n", "seed: "+value+"\n", 1))
		if len(errs) > 0 || top.Seed != g.Seed {
			t.Errorf("seed: %s at the top = %v, %v; want %d, as Set gives", value, top, errs, want)
		}
	}
}

func TestFileSetErrorNamesWhereTheValueCameFrom(t *testing.T) {
	src := strings.Replace(bookCh7, "train.hidden: [1, 2, 4]", "train.hidden: [1, two]", 1)
	f, _, errs := load(t, "book.yaml", src)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := f.Set(f.Sweep[0].Key, f.Sweep[0].Values[1])
	if err != nil {
		t.Fatalf("Set(train.hidden, two) = %v, want the error from Decode", err)
	}
	s := g.Stage("train")
	p := defaultParams()
	_, decodeErrs := Decode(s.With, &p)
	if len(decodeErrs) != 1 {
		t.Fatalf("Decode(trial) = %v, want one error", decodeErrs)
	}
	g.Locate(decodeErrs[0], s)
	if got, want := decodeErrs[0].Error(), `book.yaml:18: stage "train": hidden: expected an integer, got "two"`; got != want {
		t.Errorf("trial error = %q, want %q", got, want)
	}
}

// TestSetCopiesOnlyThePathToTheKey checks that a value set in a stage with
// large parameters costs the key's path: the parameters beside it are
// shared with the original, which stays as it was.
func TestSetCopiesOnlyThePathToTheKey(t *testing.T) {
	const src = "name: x\nstages:\n  - {id: a, kind: k, with: {layers: [1, 2, 3], init: {std: 0.1, seed: 1}, hidden: 2}}\n"
	f, err := Parse("x.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.Set("a.init.seed", scalar(t, "7"))
	if err != nil {
		t.Fatal(err)
	}
	fw, gw := f.Stages[0].With, g.Stages[0].With
	if fw == gw || lookup(fw, "init") == lookup(gw, "init") {
		t.Fatal("Set did not copy the mappings along the key's path")
	}
	if lookup(fw, "layers") != lookup(gw, "layers") || lookup(lookup(fw, "init"), "std") != lookup(lookup(gw, "init"), "std") {
		t.Error("Set copied parameters beside the key's path")
	}
	if got := lookup(lookup(fw, "init"), "seed").Value; got != "1" {
		t.Errorf("after Set, the original's init.seed = %s, want 1", got)
	}
	if got := lookup(lookup(gw, "init"), "seed").Value; got != "7" {
		t.Errorf("the copy's init.seed = %s, want 7", got)
	}
}

// TestSetSeedAboveMaxSeedIsRefused: --set seed=2^63 is refused naming the
// override, as the same value written in the file is refused naming its line.
func TestSetSeedAboveMaxSeedIsRefused(t *testing.T) {
	_, _, errs := load(t, "book.yaml", bookCh7, "seed=9223372036854775808")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "--set seed=9223372036854775808") || !strings.Contains(errs[0].Error(), "must be at most 9223372036854775807") {
		t.Fatalf("--set seed=2^63: errors %v; want one naming the override and the largest seed", errs)
	}
	t.Log(errs[0])
}
