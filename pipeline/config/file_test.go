package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/nnpipe/nnpipe/pipeline/golden"
)

// asErrors returns err as Errors, failing the test when it is anything else.
func asErrors(t testing.TB, err error) Errors {
	t.Helper()
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T) is not a config.Errors", err, err)
	}
	return es
}

// cfg joins lines into a config file, so that a test reads with its line
// numbers.
func cfg(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// utf16Text returns s in UTF-16, big- or little-endian, after a byte order
// mark, as yaml.v3 reads it.
func utf16Text(bigEndian bool, s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune("\ufeff" + s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// load does what `nnpipe validate` does with a file: Parse, then decode
// every stage's with into testParams, located the way the engine does it.
func load(t testing.TB, path, src string, sets ...string) (*File, map[string]testParams, Errors) {
	t.Helper()
	var overrides []*Override
	for _, s := range sets {
		o, err := ParseOverride(s)
		if err != nil {
			t.Fatalf("ParseOverride(%q) = %v", s, err)
		}
		overrides = append(overrides, o)
	}
	f, err := Parse(path, []byte(src), overrides)
	errs := asErrors(t, err)
	if f == nil {
		if len(errs) == 0 {
			t.Fatalf("Parse(%q) = nil, nil", src)
		}
		return nil, nil, errs
	}
	params := map[string]testParams{}
	for _, s := range f.Stages {
		p := defaultParams()
		if s.With != nil {
			_, decodeErrs := Decode(s.With, &p)
			for _, e := range decodeErrs {
				f.Locate(e, s)
				errs = append(errs, e)
			}
		}
		params[s.ID] = p
	}
	return f, params, errs
}

// bookCh7 is a valid config in the shape of configs/book-ch7.yaml, with the
// line of each key in a comment.
var bookCh7 = cfg(
	"name: book-ch7", // 1
	"seed: 1",        // 2
	"stages:",        // 3
	"  - id: data",   // 4
	"    kind: generate",
	"    with: {seed: 1, shuffle: false}", // 6
	"  - id: split",
	"    kind: split", // 8
	"  - id: train",
	"    kind: train", // 10
	"    inputs: {dataset: data.dataset, split: split}",
	"    with:",       // 12
	"      hidden: 2", // 13
	"      learning_rate: 0.5",
	"      steps: 1000", // 15
	"      init: {std: 0.01, rng: numpy, seed: 1}",
	"sweep:",                    // 17
	"  train.hidden: [1, 2, 4]", // 18
	"  seed: 3",                 // 19
)

func TestParseReadsAValidConfig(t *testing.T) {
	f, params, errs := load(t, "book.yaml", bookCh7)
	if len(errs) > 0 {
		t.Fatalf("load(bookCh7) = %v, want no errors", errs)
	}
	if f.Path != "book.yaml" || f.Name != "book-ch7" || f.Seed != 1 {
		t.Errorf("Parse(bookCh7) = path %q, name %q, seed %d; want book.yaml, book-ch7, 1", f.Path, f.Name, f.Seed)
	}
	var ids, kinds []string
	for _, s := range f.Stages {
		ids, kinds = append(ids, s.ID), append(kinds, s.Kind)
	}
	if want := []string{"data", "split", "train"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Parse(bookCh7) stage ids = %v, want %v", ids, want)
	}
	if want := []string{"generate", "split", "train"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("Parse(bookCh7) stage kinds = %v, want %v", kinds, want)
	}
	train := f.Stage("train")
	if train == nil || f.Stage("nope") != nil || f.Stage("") != nil {
		t.Fatalf("Stage(train) = %v, Stage(nope) = %v, want the train stage and nil", train, f.Stage("nope"))
	}
	if want := map[string]string{"dataset": "data.dataset", "split": "split"}; !reflect.DeepEqual(train.Inputs, want) {
		t.Errorf("train.Inputs = %v, want %v", train.Inputs, want)
	}
	if train.Line != 9 {
		t.Errorf("train.Line = %d, want 9", train.Line)
	}
	wantLines := Lines{"id": 9, "kind": 10, "inputs": 11, "inputs.dataset": 11, "inputs.split": 11, "with": 12}
	if !reflect.DeepEqual(train.Lines, wantLines) {
		t.Errorf("train.Lines = %v, want %v", train.Lines, wantLines)
	}
	if f.Stage("split").With != nil {
		t.Errorf("split.With = %v, want nil for a stage without with", f.Stage("split").With)
	}
	want := defaultParams()
	want.Hidden, want.LearningRate, want.Steps = 2, 0.5, 1000
	want.Init = testInit{Std: 0.01, RNG: "numpy", Seed: ptr[uint64](1)}
	if !reflect.DeepEqual(params["train"], want) {
		t.Errorf("train params = %+v, want %+v", params["train"], want)
	}
	if len(f.Sweep) != 2 {
		t.Fatalf("Parse(bookCh7) sweep = %d axes, want 2", len(f.Sweep))
	}
	hidden, seed := f.Sweep[0], f.Sweep[1]
	if hidden.Key != "train.hidden" || hidden.Line != 18 || len(hidden.Values) != 3 || hidden.Values[2].Value != "4" || hidden.Origin != "" {
		t.Errorf("sweep axis 0 = %+v, want train.hidden at line 18 with 3 values", hidden)
	}
	if seed.Key != "seed" || seed.Line != 19 || len(seed.Values) != 1 || seed.Values[0].Value != "3" {
		t.Errorf("sweep axis 1 = %+v, want seed at line 19 with the value 3", seed)
	}
}

func TestParseAcceptsTheSmallestConfig(t *testing.T) {
	f, _, errs := load(t, "x.yaml", "name: x\nstages: [{id: a, kind: k}]\n")
	if len(errs) > 0 {
		t.Fatalf("load = %v, want no errors", errs)
	}
	if f.Seed != 0 || len(f.Sweep) != 0 || len(f.Stages) != 1 || f.Stages[0].With != nil || f.Stages[0].Inputs != nil {
		t.Errorf("Parse = %+v, want seed 0, no sweep, one stage without with or inputs", f)
	}
}

// TestParseAcceptsEmptyDocumentsAfterTheConfig: a "---" at the end of the
// file, with nothing or comments after it, starts a document that holds
// nothing, and the config is still the one document.
func TestParseAcceptsEmptyDocumentsAfterTheConfig(t *testing.T) {
	for _, tail := range []string{"---\n", "---", "---\n# nothing here\n", "---\n---\n", "...\n---\n"} {
		f, _, errs := load(t, "x.yaml", "name: x\nstages: [{id: a, kind: k}]\n"+tail)
		if len(errs) > 0 || f.Name != "x" {
			t.Errorf("load of a config followed by %q = %v, want the config", tail, errs)
		}
	}
}

// fileErr is one expected problem of a whole config.
type fileErr struct {
	line  int
	stage string
	key   string
	msg   string
}

func TestParseRefusesBadConfigs(t *testing.T) {
	long := strings.Repeat("a", 10000)
	tests := []struct {
		name string
		src  string
		want []fileErr
	}{
		// Unknown keys, with the nearest valid key suggested.
		{"an unknown key at the top level", cfg("name: x", "sede: 1", "stages: [{id: a, kind: k}]"),
			[]fileErr{{2, "", "sede", `unknown key (did you mean "seed"?)`}}},
		{"an unknown key in a stage", cfg("name: x", "stages:", "  - id: data", "    knd: generate", "    kind: generate"),
			[]fileErr{{4, "data", "knd", `unknown key (did you mean "kind"?)`}}},
		{"an unknown key inside with", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      hiden: 2"),
			[]fileErr{{6, "train", "hiden", `did you mean "hidden"?`}}},
		{"learning_rte inside with", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with: {learning_rte: 0.1}"),
			[]fileErr{{5, "train", "learning_rte", `did you mean "learning_rate"?`}}},
		{"an unknown key inside a nested block", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      init:", "        sdt: 1"),
			[]fileErr{{7, "train", "init.sdt", `did you mean "std"?`}}},
		// Wrong types.
		{"hidden: two", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with: {hidden: two}"),
			[]fileErr{{5, "train", "hidden", `expected an integer, got "two"`}}},
		{`steps: "20"`, cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", `      steps: "20"`),
			[]fileErr{{6, "train", "steps", `expected an integer, got "20"`}}},
		{"steps: 20.5", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      steps: 20.5"),
			[]fileErr{{6, "train", "steps", "expected an integer, got 20.5"}}},
		{"steps: 1e100", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      steps: 1e100"),
			[]fileErr{{6, "train", "steps", "out of range"}}},
		{"a negative seed in a stage", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      init: {seed: -1}"),
			[]fileErr{{6, "train", "init.seed", "expected a non-negative integer, got -1"}}},
		{"shuffle: yes", cfg("name: x", "stages:", "  - id: split", "    kind: split", "    with:", "      shuffle: yes"),
			[]fileErr{{6, "split", "shuffle", `expected true or false, got "yes"`}}},
		{"a null parameter", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      hidden:"),
			[]fileErr{{6, "train", "hidden", "got null"}}},
		{"with that is not a mapping", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with: 3"),
			[]fileErr{{5, "train", "", "expected a mapping of keys to values, got 3"}}},
		{"an empty with", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:"),
			[]fileErr{{5, "train", "with", "got null"}}},
		{"a negative master seed", cfg("name: x", "seed: -1", "stages: [{id: a, kind: k}]"),
			[]fileErr{{2, "", "seed", "expected a non-negative integer, got -1"}}},
		{"a fractional master seed", cfg("name: x", "seed: 1.5", "stages: [{id: a, kind: k}]"),
			[]fileErr{{2, "", "seed", "expected a non-negative integer, got 1.5"}}},
		{"inputs that are not a mapping", cfg("name: x", "stages:", "  - id: a", "    kind: k", "    inputs: [data]"),
			[]fileErr{{5, "a", "inputs", "expected a mapping of slot: stage.slot, got a list"}}},
		{"inputs that are null", cfg("name: x", "stages:", "  - id: a", "    kind: k", "    inputs: ~"),
			[]fileErr{{5, "a", "inputs", "expected a mapping of slot: stage.slot, got null"}}},
		{"a tag on a value", cfg("name: x", "seed: !custom 5", "stages:", "  - {id: a, kind: k}"),
			[]fileErr{{2, "", "seed", "the YAML tag !custom is not supported; write the value without a tag"}}},
		{"a standard tag of another type", cfg("name: !!binary eA==", "stages:", "  - {id: a, kind: k}"),
			[]fileErr{{1, "", "name", "the YAML tag !!binary is not supported; write the value without a tag"}}},
		{"a tag on a key", cfg("name: x", "!custom seed: 5", "stages:", "  - {id: a, kind: k}"),
			[]fileErr{{2, "", "seed", "the YAML tag !custom is not supported; write the value without a tag"}}},
		{"a tag on a stage", cfg("name: x", "stages:", "  - !stage {id: a, kind: k}"),
			[]fileErr{{3, "", "stages[0]", "the YAML tag !stage is not supported; write the value without a tag"}}},
		{"a tag on a stage's with", cfg("name: x", "stages:", "  - {id: a, kind: k, with: !p {n: 1}}"),
			[]fileErr{{3, "a", "with", "the YAML tag !p is not supported; write the value without a tag"}}},
		{"a tag on an input", cfg("name: x", "stages:", "  - {id: a, kind: k, inputs: {dataset: !ref data}}"),
			[]fileErr{{3, "a", "inputs.dataset", "the YAML tag !ref is not supported; write the value without a tag"}}},
		{"a tag on a sweep value", cfg("name: x", "stages:", "  - {id: a, kind: k}", "sweep:", "  a.n: [1, !custom 2]"),
			[]fileErr{{5, "", "sweep.a.n", "value 2: the YAML tag !custom is not supported; write the value without a tag"}}},
		{"a tag on the sweep", cfg("name: x", "stages:", "  - {id: a, kind: k}", "sweep: !grid", "  a.n: [1, 2]"),
			[]fileErr{{4, "", "sweep", "the YAML tag !grid is not supported; write the value without a tag"}}},
		{"a tag on a sweep key", cfg("name: x", "stages:", "  - {id: a, kind: k}", "sweep:", "  !k a.n: [1, 2]"),
			[]fileErr{{5, "", "sweep.a.n", "the YAML tag !k is not supported; write the value without a tag"}}},
		{"an input that is not a string", cfg("name: x", "stages:", "  - id: a", "    kind: k", "    inputs: {dataset: 3}"),
			[]fileErr{{5, "a", "inputs.dataset", "expected a string, got 3"}}},
		// Repeated and dotted keys.
		{"the same key twice", cfg("name: x", "seed: 1", "seed: 2", "stages: [{id: a, kind: k}]"),
			[]fileErr{{3, "", "seed", "key repeated (first at line 2)"}}},
		{"the same key twice in different case", cfg("name: x", "Seed: 1", "seed: 2", "stages: [{id: a, kind: k}]"),
			[]fileErr{{2, "", "Seed", `unknown key (did you mean "seed"?)`}, {3, "", "seed", `key repeats "Seed" of line 2 in another letter case`}}},
		{"the same key twice inside with", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      hidden: 1", "      Hidden: 2"),
			[]fileErr{{7, "train", "Hidden", `key repeats "hidden" of line 6 in another letter case`}}},
		{"a dotted key at the top level", cfg("name: x", `"train.hidden": 4`, "stages: [{id: train, kind: k}]"),
			[]fileErr{{2, "", "train.hidden", "unknown key (valid keys: name, seed, stages, sweep)"}}},
		{"a dotted key under a key of the stage", cfg("name: x", "stages:", "  - id: train", "    kind: train", `    "with.hidden": 1`),
			[]fileErr{{5, "train", "with.hidden", `write "with.hidden" as nested keys`}}},
		{"a dotted key inside with", cfg("name: x", "stages:", "  - id: train", "    kind: train", `    with: {"init.std": 1}`),
			[]fileErr{{5, "train", "init.std", "dotted keys are not allowed"}}},
		// The stage list.
		{"a duplicate stage id", cfg("name: x", "stages:", "  - {id: a, kind: k}", "  - {id: b, kind: k}", "  - {id: a, kind: k}"),
			[]fileErr{{5, "", "id", `duplicate stage id "a" (first at line 3)`}}},
		{"a stage without an id", cfg("name: x", "stages:", "  - {id: a, kind: k}", "  - kind: k"),
			[]fileErr{{4, "", "id", "stage 2 of the list has no id"}}},
		{"a stage without a kind", cfg("name: x", "stages:", "  - id: a", "    with: {}"),
			[]fileErr{{3, "a", "kind", "missing kind"}}},
		{"an id with ../", cfg("name: x", "stages:", "  - {id: ../x, kind: k}"),
			[]fileErr{{3, "", "id", `must match [a-z][a-z0-9_]*`}}},
		{"an id that is /", cfg("name: x", "stages:", "  - {id: /, kind: k}"),
			[]fileErr{{3, "", "id", `got "/"`}}},
		{"an id with NUL", cfg("name: x", "stages:", `  - {id: "a\0b", kind: k}`),
			[]fileErr{{3, "", "id", `got "a\x00b"`}}},
		{"an id of 10,000 characters", cfg("name: x", "stages:", "  - {id: "+long+", kind: k}"),
			[]fileErr{{3, "", "id", "at most 64 characters"}}},
		{"an id of 65 characters", cfg("name: x", "stages:", "  - {id: "+long[:65]+", kind: k}"),
			[]fileErr{{3, "", "id", "at most 64 characters"}}},
		{"an id in upper case", cfg("name: x", "stages:", "  - {id: Train, kind: k}"),
			[]fileErr{{3, "", "id", `got "Train"`}}},
		{"an id with a dash", cfg("name: x", "stages:", "  - {id: my-stage, kind: k}"),
			[]fileErr{{3, "", "id", `got "my-stage"`}}},
		{"an id that starts with a digit", cfg("name: x", "stages:", "  - {id: 1a, kind: k}"),
			[]fileErr{{3, "", "id", `got "1a"`}}},
		{"an empty stage list", cfg("name: x", "stages: []"),
			[]fileErr{{2, "", "stages", "expected at least one stage"}}},
		{"stages that are not a list", cfg("name: x", "stages: {id: a}"),
			[]fileErr{{2, "", "stages", "expected a list, got a mapping"}}},
		{"no stages", cfg("name: x", "seed: 1"),
			[]fileErr{{1, "", "stages", "missing; expected a list of stages"}}},
		// The name.
		{"no name", cfg("seed: 1", "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", "missing"}}},
		{"a name with ../", cfg("name: ../x", "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", `must match [a-z0-9][a-z0-9_-]*`}}},
		{"a name that is /", cfg("name: /", "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", `got "/"`}}},
		{"a name with NUL", cfg(`name: "x\0"`, "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", `got "x\x00"`}}},
		{"a name of 10,000 characters", cfg("name: "+long, "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", "at most 64 characters"}}},
		{"a name in upper case", cfg("name: Book", "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", `got "Book"`}}},
		{"an empty name", cfg(`name: ""`, "stages: [{id: a, kind: k}]"),
			[]fileErr{{1, "", "name", `got ""`}}},
		// The sweep.
		{"a sweep that is not a mapping", cfg("name: x", "stages: [{id: a, kind: k}]", "sweep: [1, 2]"),
			[]fileErr{{3, "", "sweep", "expected a mapping of key paths to lists of values"}}},
		{"a sweep axis without values", cfg("name: x", "stages: [{id: a, kind: k}]", "sweep:", "  seed: []"),
			[]fileErr{{4, "", "sweep.seed", "expected at least one value"}}},
		{"a sweep axis that is a mapping", cfg("name: x", "stages: [{id: a, kind: k}]", "sweep:", "  seed: {a: 1}"),
			[]fileErr{{4, "", "sweep.seed", "expected a list of values, got a mapping"}}},
		{"a sweep value that is a list", cfg("name: x", "stages: [{id: a, kind: k}]", "sweep:", "  seed: [1, [2]]"),
			[]fileErr{{4, "", "sweep.seed", "value 2: expected a scalar, got a list"}}},
		{"a sweep axis twice in different case", cfg("name: x", "stages: [{id: a, kind: k}]", "sweep:", "  seed: [1]", "  Seed: [2]"),
			[]fileErr{{5, "", "sweep.Seed", "key repeated (first at line 4)"}}},
		// The document itself.
		{"a list at the top level", cfg("- name: x"),
			[]fileErr{{1, "", "", "expected a mapping with name, seed and stages at the top level"}}},
		{"a scalar at the top level", cfg("hello"),
			[]fileErr{{1, "", "", "expected a mapping"}}},
		{"a second document", cfg("name: x", "stages: [{id: a, kind: k}]", "---", "name: y"),
			[]fileErr{{3, "", "", "a second YAML document (after ---); a config is one document"}}},
		{"a second document after an empty one", cfg("name: x", "stages: [{id: a, kind: k}]", "---", "---", "name: y"),
			[]fileErr{{4, "", "", "a second YAML document (after ---); a config is one document"}}},
		{"a null document after the config", cfg("name: x", "stages: [{id: a, kind: k}]", "---", "~"),
			[]fileErr{{3, "", "", "a second YAML document (after ---); a config is one document"}}},
		{"a malformed second document", cfg("name: x", "stages: [{id: a, kind: k}]", "---", "stages: ["),
			[]fileErr{{4, "", "", "after the document (a config is one document): malformed YAML"}}},
		{"text after the document's end", cfg("name: x", "stages: [{id: a, kind: k}]", "...", "name: y"),
			[]fileErr{{4, "", "", "after the document (a config is one document): malformed YAML"}}},
		{"an unknown anchor in a second document", cfg("name: x", "stages: [{id: a, kind: k}]", "---", "*nowhere"),
			[]fileErr{{0, "", "", "after the document (a config is one document): malformed YAML: unknown anchor"}}},
		{"an empty file", "", []fileErr{{0, "", "", "the file is empty"}}},
		{"a file of blank lines", "\n\n  \n", []fileErr{{0, "", "", "the file is empty"}}},
		{"a file of comments", "# nothing\n# here\n", []fileErr{{0, "", "", "the file is empty"}}},
		{"a tab in the indentation", cfg("name: x", "stages:", "\t- {id: a, kind: k}"),
			[]fileErr{{3, "", "", "malformed YAML: found character that cannot start any token"}}},
		{"a key indented under a scalar", cfg("name: x", "seed: 1", "  bad: 2"),
			[]fileErr{{3, "", "", "malformed YAML: mapping values are not allowed in this context"}}},
		{"an unterminated quote", cfg("name: x", "seed: 1", `stages: "abc`),
			[]fileErr{{3, "", "", "malformed YAML: found unexpected end of stream"}}},
		// yaml.v3 reports these a line or more before the problem.
		{"an unclosed flow mapping", cfg("name: x", "stages:", "  - id: a", "    kind: k", "    with: {n: 200", "  - id: b", "    kind: k"),
			[]fileErr{{5, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"an unclosed flow list", cfg("name: x", "stages:", "  - id: a", "    with: [1, 2", "  - id: b"),
			[]fileErr{{4, "", "", "malformed YAML: did not find expected ',' or ']'"}}},
		{"an unclosed flow mapping after one spread over lines", cfg("name: x", "stages:", "  - id: a", "    with: {a: 1", "      , b: 2}", "  - id: b", "    with: {c: 3", "  - id: c"),
			[]fileErr{{7, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"a key indented less than its siblings", cfg("name: x", "stages:", "  - id: a", "    with:", "      x: 1", "     y: 2", "  - id: b", "    kind: c"),
			[]fileErr{{6, "", "", "malformed YAML: did not find expected key"}}},
		{"a tab after spaces in the indentation", cfg("name: x", "stages:", "  - id: a", "    with:", "      x: 1", "	  y: 2", "  - id: b"),
			[]fileErr{{6, "", "", "malformed YAML: found a tab character that violates indentation"}}},
		{"an unclosed flow mapping, lines ended by CR alone", "name: x\rstages:\r  - id: a\r    with: {n: 200\r  - id: b\r",
			[]fileErr{{4, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"an unclosed flow mapping, lines ended by CRLF", "name: x\r\nstages:\r\n  - id: a\r\n    with: {n: 200\r\n  - id: b\r\n",
			[]fileErr{{4, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"an unclosed flow mapping, UTF-16 little-endian", utf16Text(false, cfg("name: x", "stages:", "  - id: a", "    with: {n: 200", "  - id: b", "    kind: k")),
			[]fileErr{{4, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"an unclosed flow mapping, UTF-16 big-endian, CRLF", utf16Text(true, "name: x\r\nstages:\r\n  - id: a\r\n    with: {n: 200\r\n  - id: b\r\n    kind: k\r\n"),
			[]fileErr{{4, "", "", "malformed YAML: did not find expected ',' or '}'"}}},
		{"a key indented less than its siblings, UTF-16 with a line break byte in a character", utf16Text(false, cfg("name: x", "stages:", "  - id: \u0a0a", "    with:", "      x: 1", "     y: 2", "  - id: b")),
			[]fileErr{{6, "", "", "malformed YAML: did not find expected key"}}},
		{"a quote left open on the first line", cfg(`name: "x`, "seed: 1"),
			[]fileErr{{1, "", "", "malformed YAML: found unexpected end of stream"}}},
		{"a list item indented less than the list", cfg("name: x", "stages:", "  - id: a", "    with: {a: [1,", "      2], b: 3}", "  - id: b", "   kind: c"),
			[]fileErr{{7, "", "", "malformed YAML: did not find expected '-' indicator"}}},
		{"a NUL byte", "name: x\x00\n", []fileErr{{1, "", "", "malformed YAML: control characters are not allowed"}}},
		{"invalid UTF-8", "name: \xff\n", []fileErr{{1, "", "", "malformed YAML: invalid leading UTF-8 octet"}}},
		{"a control character in a comment, lines down", "name: x\nseed: 1\nstages: [] # \x01\n", []fileErr{{3, "", "", "malformed YAML: control characters are not allowed"}}},
		{"a C1 control character after UTF-8 text", "name: x # 日本\nseed: 1 # \u0090\n", []fileErr{{2, "", "", "malformed YAML: control characters are not allowed"}}},
		{"a control character on a line ended by CR alone", "name: x\rseed: 1\rstages: [] # \x01\r", []fileErr{{3, "", "", "malformed YAML: control characters are not allowed"}}},
		{"a control character after CRLF lines", "name: x\r\nseed: 1\r\nstages: [] # \x01\r\n", []fileErr{{3, "", "", "malformed YAML: control characters are not allowed"}}},
		{"U+FFFE, which YAML does not allow", "name: x\nseed: 1 # \ufffe\n", []fileErr{{2, "", "", "malformed YAML: control characters are not allowed"}}},
		{"an alias to an unknown anchor", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", "      init: *x"),
			[]fileErr{{6, "", "", "malformed YAML: unknown anchor 'x' referenced"}}},
		{"an alias before its anchor, in a flow list", cfg("name: x", "stages: [*a, {id: b, kind: k}]", "sweep: &a {}"),
			[]fileErr{{2, "", "", "malformed YAML: unknown anchor 'a' referenced"}}},
		{"an alias to an unknown anchor after another", cfg("name: x", "# *x in a comment", "seed: *y", "stages: [{id: a, kind: k, with: *x}]"),
			[]fileErr{{3, "", "", "malformed YAML: unknown anchor 'y' referenced"}}},
		// An empty key is shown as "", not as no key.
		{"an empty key at the top level", cfg("name: x", `"": 1`, "stages: [{id: a, kind: k}]"),
			[]fileErr{{2, "", `""`, "unknown key (valid keys: name, seed, stages, sweep)"}}},
		{"an empty key inside with", cfg("name: x", "stages:", "  - id: train", "    kind: train", `    with: {hidden: 2, "": 3}`),
			[]fileErr{{5, "train", `""`, "unknown key (valid keys: "}}},
		{"an empty key in a nested block", cfg("name: x", "stages:", "  - id: train", "    kind: train", `    with: {init: {"": 3}}`),
			[]fileErr{{5, "train", `init.""`, "unknown key (valid keys: "}}},
		{"an empty key given twice", cfg("name: x", "stages:", "  - id: train", "    kind: train", "    with:", `      "": 3`, `      "": 4`),
			[]fileErr{{6, "train", `""`, "unknown key"}, {7, "train", `""`, "key repeated (first at line 6)"}}},
		// Everything at once.
		{"every problem together", cfg(
			"name: x",
			"sede: 1",
			"stages:",
			"  - id: data",
			"    kind: generate",
			"    with: {hiden: 2}",
			"  - id: data",
			"    kind: split",
			"    with: {steps: 20.5, shuffle: yes}",
		), []fileErr{
			{2, "", "sede", "did you mean"},
			{7, "", "id", "duplicate stage id"},
			{6, "data", "hiden", "did you mean"},
			{9, "data", "steps", "expected an integer"},
			{9, "data", "shuffle", "expected true or false"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, errs := load(t, "bad.yaml", tt.src)
			if len(errs) != len(tt.want) {
				t.Fatalf("load(%q) = %d errors:\n%v\nwant %d: %v", tt.src, len(errs), errs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				e := errs[i]
				if e.File != "bad.yaml" || e.Line != w.line || e.Stage != w.stage || e.Key != w.key || !strings.Contains(e.Msg, w.msg) || e.Origin != "" {
					t.Errorf("load(%q) error %d = %#v, want file bad.yaml, %+v", tt.src, i, e, w)
				}
			}
		})
	}
}

func TestParseQuotesALongNameShortly(t *testing.T) {
	_, _, errs := load(t, "x.yaml", cfg("name: "+strings.Repeat("A", 10000), "stages: [{id: a, kind: k}]"))
	if len(errs) != 1 || len(errs[0].Error()) > 200 {
		t.Errorf("load(10,000-character name) = %v, want one error of at most 200 bytes", errs)
	}
}

func TestParseRefusesAConfigOverTheSizeLimit(t *testing.T) {
	src := "name: x\nstages: [{id: a, kind: k}]\n#" + strings.Repeat("x", MaxFileBytes)
	f, err := Parse("big.yaml", []byte(src), nil)
	es := asErrors(t, err)
	if f != nil || len(es) != 1 || !strings.Contains(es[0].Msg, "too large") {
		t.Errorf("Parse(%d bytes) = %v, %v; want nil and one too-large error", len(src), f, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxFileBytes+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string // a fragment of the one error; "" for none
	}{
		{"a valid file", filepath.Join("testdata", "book-ch7.yaml"), ""},
		{"a missing file", filepath.Join(dir, "nope.yaml"), "no such file"},
		{"a file in a missing folder", filepath.Join(dir, "nope", "x.yaml"), "no such file"},
		{"a directory", dir, "not a regular file"},
		{"a file over the size limit", big, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Load(tt.path, nil)
			es := asErrors(t, err)
			if tt.want == "" {
				if err != nil || f == nil || f.Path != tt.path {
					t.Fatalf("Load(%q) = %v, %v; want the file", tt.path, f, err)
				}
				return
			}
			if f != nil || len(es) != 1 || es[0].File != tt.path || !strings.Contains(es[0].Msg, tt.want) {
				t.Errorf("Load(%q) = %v, %v; want nil and one error about %s naming the file", tt.path, f, err, tt.want)
			}
		})
	}
}

func TestLoadOfTheTestdataConfigMatchesParse(t *testing.T) {
	path := filepath.Join("testdata", "book-ch7.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, _, errs := load(t, path, string(src))
	if len(errs) > 0 {
		t.Fatalf("load(%s) = %v", path, errs)
	}
	g, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(%s) = %v", path, err)
	}
	if f.Name != g.Name || f.Seed != g.Seed || len(f.Stages) != len(g.Stages) || len(f.Sweep) != len(g.Sweep) {
		t.Errorf("Load(%s) = %+v, want %+v as Parse gives", path, g, f)
	}
}

// TestBadConfigsGolden checks the full text of the messages the CLI prints
// for the configs under testdata/bad (refresh with -update).
func TestBadConfigsGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configs under testdata/bad: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sets := setsOf(string(src))
			_, _, errs := load(t, filepath.ToSlash(path), string(src), sets...)
			if len(errs) == 0 {
				t.Fatalf("load(%s) = no errors, want some", path)
			}
			got := errs.Error() + "\n"
			golden.CheckString(t, strings.TrimSuffix(path, ".yaml")+".golden", got)
		})
	}
}

// setsOf returns the --set arguments a golden config asks for in comments
// of the form `# --set KEY=VALUE`.
func setsOf(src string) []string {
	var sets []string
	for line := range strings.Lines(src) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# --set "); ok {
			sets = append(sets, rest)
		}
	}
	return sets
}
