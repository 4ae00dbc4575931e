package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// validModel is a model of 2 inputs, 1 hidden unit and 2 classes, standardized once.
func validModel() *Model {
	return &Model{Format: Format, Nnpipe: "0.1.0", D: 2, M: 1, K: 2, Features: []string{"x", "y"}, Label: "label",
		Classes: []string{"no", "yes"}, Preprocess: []Step{{Op: Standardize, Mean: []float64{1, 2}, Std: []float64{3, 0.5}}},
		Weights: []float64{1, -1, 0.5, 2, -2, -0.25, 0.25}, Steps: 10, Gradient: "backprop"}
}

// edit returns validModel's JSON with change applied to its decoded map.
func edit(t *testing.T, change func(map[string]any)) []byte {
	t.Helper()
	b, err := validModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseReadsBackWhatMarshalWrites(t *testing.T) {
	want := validModel()
	want.Source = &Source{Name: "iris", ConfigSHA256: strings.Repeat("ab", 32)}
	want.Weights[0] = math.Nextafter(0.1, 1) // a value that needs all 17 digits
	b, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if !bytes.Equal(again, b) {
		t.Errorf("Parse(Marshal(m)) marshals to\n%s\nwant\n%s", again, b)
	}
	if math.Float64bits(got.Weights[0]) != math.Float64bits(want.Weights[0]) {
		t.Errorf("weight read back as %v, want the bits of %v", got.Weights[0], want.Weights[0])
	}
}

// TestParseRefusesWhatCannotScoreRows edits one thing of a valid model file at a time; each
// must be refused with a message that says what, and newer formats name the writer.
func TestParseRefusesWhatCannotScoreRows(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"a newer format", func(m map[string]any) { m["format"] = 3; m["nnpipe"] = "9.0.0"; m["new"] = 1 },
			"model format 3, written by nnpipe 9.0.0, is newer than this nnpipe reads (format 2): use a newer nnpipe"},
		{"format 1", func(m map[string]any) { m["format"] = 1; delete(m, "label") }, "model format 1 predates"},
		{"no format", func(m map[string]any) { delete(m, "format") }, "no format number"},
		{"a fractional format", func(m map[string]any) { m["format"] = 2.5 }, "no format number"},
		{"an unknown field", func(m map[string]any) { m["dropout"] = 0.5 }, `unknown field "dropout"`},
		{"one class", func(m map[string]any) { m["k"] = 1; m["classes"] = []string{"no"} }, "classes: must be >= 2"},
		{"a feature short", func(m map[string]any) { m["features"] = []string{"x"} }, "1 features and 2 classes"},
		{"a weight short", func(m map[string]any) { m["wv"] = []float64{1, 2, 3} }, "3 weights, want 7"},
		{"a repeated feature", func(m map[string]any) { m["features"] = []string{"x", "x"} }, `feature name "x" appears twice`},
		{"an empty class name", func(m map[string]any) { m["classes"] = []string{"no", ""} }, "class 2 has an empty name"},
		{"no label", func(m map[string]any) { m["label"] = "" }, "no label column"},
		{"the label a feature", func(m map[string]any) { m["label"] = "y" }, `the label column "y" is also a feature`},
		{"an unknown step", func(m map[string]any) {
			m["preprocess"] = []any{map[string]any{"op": "log", "mean": []float64{0, 0}, "std": []float64{1, 1}}}
		}, `preprocess step 1: unknown operation "log"`},
		{"a step of the wrong size", func(m map[string]any) {
			m["preprocess"] = []any{map[string]any{"op": "standardize", "mean": []float64{0}, "std": []float64{1, 1}}}
		}, "1 means and 2 deviations for 2 features"},
		{"a zero deviation", func(m map[string]any) {
			m["preprocess"] = []any{map[string]any{"op": "standardize", "mean": []float64{0, 0}, "std": []float64{1, 0}}}
		}, "deviation 2 is 0"},
		{"a negative deviation", func(m map[string]any) {
			m["preprocess"] = []any{map[string]any{"op": "standardize", "mean": []float64{0, 0}, "std": []float64{-1, 1}}}
		}, "deviation 1 is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(edit(t, tt.change))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse error %q is more than one line", err)
			}
		})
	}
	for _, b := range []string{"", "{", "[]", "null", `{"format": 2} {}`, `{"format": "2"}`} {
		if _, err := Parse([]byte(b)); err == nil {
			t.Errorf("Parse(%q) = nil error, want one", b)
		}
	}
}

// sourcedFile returns the bytes of validModel with a source, and a function that returns them
// with the first old replaced by new.
func sourcedFile(t *testing.T) ([]byte, func(old, new string) string) {
	t.Helper()
	m := validModel()
	m.Source = &Source{Name: "iris", ConfigSHA256: "ab"}
	valid, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return valid, func(old, new string) string {
		t.Helper()
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("the model file holds no %q", old)
		}
		return string(bytes.Replace(valid, []byte(old), []byte(new), 1))
	}
}

// TestParseSaysWhereTheFileIsWrong: JSON that is no model file, a syntax error, a value of the
// wrong type are refused with one line that says what, and where — the line and column of a
// syntax error, the field of a value — in the user's terms rather than Go's.
func TestParseSaysWhereTheFileIsWrong(t *testing.T) {
	valid, replaced := sourcedFile(t)
	for _, tt := range []struct{ name, file, want string }{
		{"a NaN weight", replaced("    1,\n    -1,", "    1,\n    NaN,"),
			"not a model file: line 35, column 5: invalid character 'N' looking for beginning of value"},
		{"nothing", "", "not a model file: line 1, column 1: unexpected end of JSON input"},
		{"a cut file", "{\n  \"format\": 2,", "not a model file: line 2, column 15: unexpected end of JSON input"},
		{"data after the object", `{"format": 2} {}`, "not a model file: line 1, column 15: invalid character '{' after top-level value"},
		{"a list", "[" + string(valid) + "]", "not a model file: the JSON is a list, not an object"},
		{"null", "null", "not a model file: the JSON is null, not an object"},
		{"a string", `"model"`, "not a model file: the JSON is a string, not an object"},
		{"a quoted number", replaced(`"d": 2`, `"d": "2"`), `model: field "d": found a string, want an integer`},
		{"a fractional number of steps", replaced(`"steps": 10`, `"steps": 10.5`), `model: field "steps": found the number 10.5, want an integer`},
		{"a weight that is text", replaced("    1,\n    -1,", "    1,\n    \"x\","), `model: field "wv": found a string, want a number`},
		{"a source that is a list", string(edit(t, func(m map[string]any) { m["source"] = []int{} })), `model: field "source": found a list, want an object`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.file)); err == nil || err.Error() != tt.want {
				t.Errorf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestParseReadsEveryKeyAsWrittenOnly edits the bytes of a valid model file (with a source)
// one way at a time. A key encoding/json would forgive — missing (but the optional ones), null,
// in another letter case, twice, at any level — is refused with the one line that names it;
// the optional keys may be left out.
func TestParseReadsEveryKeyAsWrittenOnly(t *testing.T) {
	_, replaced := sourcedFile(t)
	without := func(key string) string {
		return string(edit(t, func(m map[string]any) { delete(m, key) }))
	}
	const noSteps = `; a model that takes the features as read has "preprocess": []`
	tests := []struct{ name, file, want string }{
		{"no preprocess", without("preprocess"), `model: field "preprocess" is missing` + noSteps},
		{"a null preprocess", string(edit(t, func(m map[string]any) { m["preprocess"] = nil })), `model: field "preprocess" is null` + noSteps},
		{"a preprocess in another case", replaced(`"preprocess": [`, `"Preprocess": [], "preprocess": [`),
			`model: unknown field "Preprocess" (did you mean "preprocess"? field names are case-sensitive)`},
		{"weights in another case beside them", replaced(`"wv": [`, `"WV": [0, 0, 0, 0, 0, 0, 0], "wv": [`),
			`model: unknown field "WV" (did you mean "wv"? field names are case-sensitive)`},
		{"the weights twice", replaced(`"wv": [`, `"wv": [0, 0, 0, 0, 0, 0, 0], "wv": [`), `model: field "wv" appears twice`},
		{"a null weight", replaced("    1,\n    -1,", "    1,\n    null,"), `model: field "wv": item 2 is null`},
		{"a null step", replaced(`"preprocess": [`, `"preprocess": [null, `), `model: field "preprocess": item 1 is null`},
		{"a null mean", replaced(`"mean": [`, `"mean": [null, `), `model: preprocess step 1: field "mean": item 1 is null`},
		{"a step's key in another case", replaced(`"mean": [`, `"Mean": [0, 0], "mean": [`),
			`model: preprocess step 1: unknown field "Mean" (did you mean "mean"? field names are case-sensitive)`},
		{"a step's key twice", replaced(`"std": [`, `"std": [1, 1], "std": [`), `model: preprocess step 1: field "std" appears twice`},
		{"a step without op", replaced(`"op": "standardize",`, ``), `model: preprocess step 1: field "op" is missing`},
		{"a source key in another case", replaced(`"name": "iris"`, `"Name": "iris"`),
			`model: source: unknown field "Name" (did you mean "name"? field names are case-sensitive)`},
		{"a source key twice", replaced(`"name": "iris",`, `"name": "iris", "name": "other",`), `model: source: field "name" appears twice`},
		{"a source missing a key", replaced(`"name": "iris",`, ``), `model: source: field "name" is missing`},
		{"a null source", string(edit(t, func(m map[string]any) { m["source"] = nil })), `model: field "source" is null`},
		{"a null format", string(edit(t, func(m map[string]any) { m["format"] = nil })), "not a model file: no format number"},
	}
	for _, key := range []string{"nnpipe", "d", "m", "k", "features", "label", "classes", "wv", "steps", "gradient"} {
		tests = append(tests, struct{ name, file, want string }{"no " + key, without(key), fmt.Sprintf("model: field %q is missing", key)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.file)); err == nil || err.Error() != tt.want {
				t.Errorf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
	for _, key := range []string{"source", "l2", "best_step"} {
		if _, err := Parse([]byte(without(key))); err != nil {
			t.Errorf("Parse of a model without %q = %v, want it read", key, err)
		}
	}
	plain := validModel()
	plain.Preprocess = nil
	if b, err := plain.Marshal(); err != nil || !bytes.Contains(b, []byte(`"preprocess": [],`)) {
		t.Errorf("Marshal of a model without preprocessing = %s, %v; want \"preprocess\": []", b, err)
	}
}

// TestPrepareIsTheStandardizeStagesArithmetic checks that replaying the steps gives the bits
// the stage wrote: (x − mean) / std, step after step.
func TestPrepareIsTheStandardizeStagesArithmetic(t *testing.T) {
	m := validModel()
	m.Preprocess = append(m.Preprocess, Step{Op: Standardize, Mean: []float64{-0.1, 0.3}, Std: []float64{0.7, 1.1}})
	x := []float64{0.1, 0.2, 1e10, -3}
	want := make([]float64, len(x))
	for i, v := range x {
		j := i % 2
		v = (v - m.Preprocess[0].Mean[j]) / m.Preprocess[0].Std[j]
		want[i] = (v - m.Preprocess[1].Mean[j]) / m.Preprocess[1].Std[j]
	}
	m.Prepare(x)
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(want[i]) {
			t.Errorf("Prepare value %d = %v, want %v", i, x[i], want[i])
		}
	}
}

func TestReadLineageOfADatasetWithoutOne(t *testing.T) {
	dir := t.TempDir()
	d := &dataset.Dataset{Features: []string{"x"}, X: []float64{1, 2}, Labels: []int32{0, 1}, Classes: []string{"a", "b"}}
	plain, marked := filepath.Join(dir, "plain.parquet"), filepath.Join(dir, "marked.parquet")
	if err := dataset.WriteFile(plain, d, nil); err != nil {
		t.Fatal(err)
	}
	meta, err := Lineage{Label: "kind"}.Meta()
	if err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteFile(marked, d, meta); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{plain: DefaultLabel, marked: "kind"} {
		l, err := ReadLineage(path)
		if err != nil || l.Label != want || l.Preprocess == nil || len(l.Preprocess) != 0 {
			t.Errorf("ReadLineage(%s) = %+v, %v; want label %q and no steps", filepath.Base(path), l, err, want)
		}
	}
}

func TestStampNamesTheRunAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := validModel().Write(src); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if err := Stamp(dst, src, hex.EncodeToString(sum[:]), Source{Name: "n", ConfigSHA256: "h"}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source == nil || *got.Source != (Source{Name: "n", ConfigSHA256: "h"}) {
		t.Errorf("stamped source = %+v", got.Source)
	}
	got.Source = nil
	a, _ := got.Marshal()
	if !bytes.Equal(a, b) {
		t.Errorf("stamping changed more than the source:\n%s\nwant\n%s", a, b)
	}
}

// TestStampRefusesAModelOtherThanItsEntrySays: a model file that no longer
// has the digest its cache entry records is not stamped into the run.
func TestStampRefusesAModelOtherThanItsEntrySays(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := validModel().Write(src); err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256([]byte("the model the entry was made with"))
	err := Stamp(dst, src, hex.EncodeToString(other[:]), Source{Name: "n"})
	if !errors.Is(err, pipeline.ErrChangedInCache) {
		t.Errorf("Stamp of a model with another digest = %v, want %v", err, pipeline.ErrChangedInCache)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("Stamp wrote %s (%v), want nothing", dst, err)
	}
}

// FuzzParseModel feeds arbitrary bytes to the model file's parser, seeded with a valid file and
// edits of it. Parse must never panic, nor return a message of more than one line; a model it
// accepts must score a row (NewNetwork accepts it, Prepare and Forward do not panic) and
// marshal to a file that parses back to the same bytes.
func FuzzParseModel(f *testing.F) {
	b, _ := validModel().Marshal()
	f.Add(b)
	f.Add(bytes.Replace(b, []byte(`"format": 2`), []byte(`"format": 3`), 1))
	f.Add(bytes.Replace(b, []byte(`"std": [`), []byte(`"std": [0, `), 1))
	f.Add([]byte(`{"format": 2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is more than one line", err)
			}
			return
		}
		if m.D > 1000 || m.M > 1000 || m.K > 1000 {
			return
		}
		net, err := nn.NewNetwork(m.Shape(), m.Weights)
		if err != nil {
			t.Fatalf("Parse accepted a model NewNetwork refuses: %v", err)
		}
		x := make([]float64, m.D)
		m.Prepare(x)
		y := make([]float64, m.K)
		net.Forward(x, y, nil, nil)
		again, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse(Marshal(m)) = %v", err)
		}
		if third, _ := m2.Marshal(); !bytes.Equal(third, again) {
			t.Fatalf("a model read back marshals differently")
		}
	})
}

func TestHistoryColumnsAreTheBooksParameterNames(t *testing.T) {
	s := nn.Shape{D: 2, M: 2, K: 3}
	var names []string
	for p := range s.NumParams() {
		names = append(names, HistoryColumn(s, p))
	}
	want := "w_0_0 w_0_1 w_0_2 w_1_0 w_1_1 w_1_2 v_0_0 v_0_1 v_0_2 v_1_0 v_1_1 v_1_2 v_2_0 v_2_1 v_2_2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("column names = %s, want %s", got, want)
	}
	// Every parameter of a wider network: the brackets of its name become
	// underscores, indices of any width kept.
	wide := nn.Shape{D: 13, M: 12, K: 10}
	brackets := strings.NewReplacer("[", "_", "]", "")
	for p := range wide.NumParams() {
		if got, want := HistoryColumn(wide, p), brackets.Replace(wide.ParamName(p)); got != want {
			t.Errorf("HistoryColumn(%v, %d) = %s, want %s", wide, p, got, want)
		}
	}
}
