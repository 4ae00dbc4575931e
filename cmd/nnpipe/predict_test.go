package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/results"
)

// predictOf runs `nnpipe predict RUN DATA --out OUT --json` and fails the test unless it
// succeeds; it returns stderr.
func predictOf(t *testing.T, run, data, out string, more ...string) string {
	t.Helper()
	_, stderr, code := nnpipe(t, append([]string{"predict", run, data, "--out", out, "--json"}, more...)...)
	if code != 0 {
		t.Fatalf("nnpipe predict %s %s: exit %d\n%s", run, data, code, stderr)
	}
	return stderr
}

// readTable reads a Parquet table and returns a lookup of its columns by name.
func readTable(t *testing.T, path string) (*dataset.Table, func(string) any) {
	t.Helper()
	tbl, err := dataset.ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, func(name string) any {
		c, ok := tbl.Column(name)
		if !ok {
			t.Fatalf("%s has no column %q", path, name)
		}
		return c
	}
}

// samePredictions checks that pred (nnpipe predict's output) holds, for every row of the
// run's predictions.parquet, the very bits of its probabilities, its predicted class, label
// and correctness.
func samePredictions(t *testing.T, runDir, pred string, classes int) {
	t.Helper()
	run, runCol := readTable(t, filepath.Join(runDir, "predictions.parquet"))
	got, gotCol := readTable(t, pred)
	if got.Rows != run.Rows {
		t.Fatalf("predict wrote %d rows, the run's predictions have %d", got.Rows, run.Rows)
	}
	rows := gotCol("row").([]int64)
	at := make(map[int64]int, len(rows))
	for i, r := range rows {
		at[r] = i
	}
	for _, name := range []string{"predicted", "label", "correct"} {
		for i, r := range runCol("row").([]int64) {
			a, b := fmt.Sprint(results.Value(runCol(name), i)), fmt.Sprint(results.Value(gotCol(name), at[r]))
			if a != b {
				t.Fatalf("row %d: %s %s, the run's %s", r, name, b, a)
			}
		}
	}
	for k := range classes {
		name := "p_" + strconv.Itoa(k)
		want, have := runCol(name).([]float64), gotCol(name).([]float64)
		for i, r := range runCol("row").([]int64) {
			if math.Float64bits(want[i]) != math.Float64bits(have[at[r]]) {
				t.Fatalf("row %d: %s = %v, the run's predictions hold %v", r, name, have[at[r]], want[i])
			}
		}
	}
}

// TestPredictReproducesTheRunsProbabilities predicts a run's own data file with its model:
// the book's (generated data, scored from its CSV), iris (loaded from CSV, standardized), and
// a standardized run on 3,000 generated rows from CSV and from Parquet. Every probability must
// be the bit the run's predictions.parquet holds for that row.
func TestPredictReproducesTheRunsProbabilities(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, config, data string
		classes            int
	}{
		{"the book", bookConfig, "../../data/book_ch7.csv", 3},
		{"iris", irisConfig, irisData, 3},
	}
	if !testing.Short() { // a second more
		csvConfig, pqConfig := writeScaleData(t, dir, 3000)
		cases = append(cases, []struct {
			name, config, data string
			classes            int
		}{
			{"a standardized CSV run", csvConfig, filepath.Join(dir, "data.csv"), 3},
			{"a standardized Parquet run", pqConfig, filepath.Join(dir, "data.parquet"), 3},
		}...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runJSONOf(t, c.config, "--results", t.TempDir())
			out := filepath.Join(t.TempDir(), "p.parquet")
			predictOf(t, r.RunDir, c.data, out)
			samePredictions(t, r.RunDir, out, c.classes)
		})
	}
}

// TestPredictRefusesBadInput gives predict one bad input of each kind: exit status 2, one
// line naming the file, line and column (testdata/predict/errors.golden), and nothing
// written.
func TestPredictRefusesBadInput(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	run := runJSONOf(t, irisConfig, "--results", filepath.Join(ws, "results")).RunDir
	diverged := filepath.Join(ws, "diverged")
	if _, stderr, code := nnpipe(t, "run", bookConfig, "--out", diverged, "--quiet", "--set", "train.learning_rate=1e6",
		"--results", filepath.Join(ws, "results")); code != 1 {
		t.Fatalf("a diverging run: exit %d, want 1\n%s", code, stderr)
	}
	file := func(name, data string) string {
		path := filepath.Join(ws, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	header := "sepal_length,sepal_width,petal_length,petal_width,species\n"
	good := file("good.csv", header+"5.1,3.5,1.4,0.2,setosa\n")
	newer := strings.Replace(string(readFile(t, filepath.Join(run, "model.json"))), `"format": 2`, `"format": 3`, 1)
	newer = strings.Replace(newer, `"nnpipe": "0.1.0"`, `"nnpipe": "0.9.0"`, 1)
	modelCopy := file("m.json", string(readFile(t, filepath.Join(run, "model.json"))))
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(readFile(t, filepath.Join(run, "model.json")), &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "preprocess")
	unscaled, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	noPreprocess := file("unscaled.json", string(unscaled))
	twoWeights := file("wv.json", strings.Replace(string(readFile(t, filepath.Join(run, "model.json"))), `"wv": [`, `"WV": [0], "wv": [`, 1))
	modelDir := filepath.Join(ws, "model") // a plain folder holding a model.json
	if err := os.Mkdir(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	modelInDir := filepath.Join(modelDir, "model.json")
	if err := os.WriteFile(modelInDir, readFile(t, filepath.Join(run, "model.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	pipe, dangling := filepath.Join(ws, "pipe.parquet"), filepath.Join(ws, "dangling.parquet")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere.parquet", dangling); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
	}{
		{"a missing feature column", []string{run, file("missing.csv", "sepal_length,sepal_width,petal_width,species\n1,2,3,setosa\n")}},
		{"a header name with a line break", []string{run, file("break.csv", "\"sepal\nlength\",sepal_width,petal_length,petal_width\n1,2,3,4\n")}},
		{"a header name cut in a long header", []string{run, file("long.csv", strings.Repeat("日", 30)+",sepal_width,petal_length,petal_width\n1,2,3,4\n")}},
		{"a non-numeric cell", []string{run, file("text.csv", header+"5.1,3.5,1.4,0.2,setosa\n5.1,3.5,wide,0.2,setosa\n")}},
		{"a non-finite cell", []string{run, file("nan.csv", header+"5.1,3.5,1.4,NaN,setosa\n")}},
		{"an empty file", []string{run, file("empty.csv", "")}},
		{"a header without rows", []string{run, file("header.csv", header)}},
		{"a file without a header row", []string{run, file("no-header.csv", "5.1,3.5,1.4,0.2,setosa\n")}},
		{"a missing data file", []string{run, filepath.Join(ws, "nope.csv")}},
		{"a folder that is no run", []string{ws, good}},
		{"a diverged run", []string{diverged, good}},
		{"a model of a newer format", []string{file("newer.json", newer), good}},
		{"a model without its preprocessing", []string{noPreprocess, good}},
		{"a model with weights in another letter case", []string{twoWeights, good}},
		{"an output that is a folder", []string{run, good, "--out", ws}},
		{"an output in no folder", []string{run, good, "--out", filepath.Join(ws, "no", "p.parquet")}},
		{"an output that is the data", []string{run, good, "--out", good}},
		{"an output that is the model file", []string{modelCopy, good, "--out", modelCopy, "--format", "csv"}},
		{"an output that is the model file of a folder", []string{modelDir, good, "--out", modelInDir}},
		{"an output that is a named pipe", []string{run, good, "--out", pipe}},
		{"an output that is a link to nothing", []string{run, good, "--out", dangling}},
		{"an output inside the run", []string{run, good, "--out", filepath.Join(run, "p.parquet")}},
		{"an unknown output format", []string{run, good, "--format", "xlsx"}},
		{"a csv format for an output named parquet", []string{run, good, "--out", filepath.Join(ws, "p.parquet"), "--format", "csv"}},
		{"a parquet format for an output named csv", []string{run, good, "--out", filepath.Join(ws, "p.CSV"), "--format", "parquet"}},
		{"an empty output", []string{run, good, "--out", ""}},
		{"a delimiter of two characters", []string{run, good, "--delimiter", ";;"}},
		{"a NUL delimiter", []string{run, good, "--delimiter", "\x00"}},
		{"a data file of no known extension", []string{run, file("flowers.txt", header+"5.1,3.5,1.4,0.2,setosa\n")}},
		{"an unknown data format", []string{run, good, "--data-format", "xlsx"}},
		{"a data file that is a folder", []string{run, ws}},
	}
	before := listTree(t, ws)
	var got strings.Builder
	for _, c := range cases {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--out") {
			args = append(args, "--out", filepath.Join(ws, "p.parquet"))
		}
		stdout, stderr, code := nnpipe(t, append([]string{"predict"}, args...)...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", c.name, code, stdout, stderr)
		}
		fmt.Fprintf(&got, "%s\n\t%s", c.name, strings.ReplaceAll(strings.ReplaceAll(stderr, run, "$RUN"), ws, "$WS"))
	}
	golden(t, filepath.Join("testdata", "predict", "errors.golden"), got.String())
	if after := listTree(t, ws); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("refused predictions changed the folder:\nbefore %v\nafter  %v", before, after)
	}
	if _, stderr, code := nnpipe(t, "export", diverged, "-o", filepath.Join(ws, "m.onnx")); code != 2 || !strings.Contains(stderr, "the run diverged") {
		t.Errorf("export of a diverged run: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	if _, stderr, code := nnpipe(t, "export", ws, "-o", filepath.Join(ws, "m.onnx")); code != 2 || !strings.Contains(stderr, "has no model.json") {
		t.Errorf("export of a folder without a model: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	if _, stderr, code := nnpipe(t, "export", run, "-o", filepath.Join(run, "m.onnx")); code != 2 || !strings.Contains(stderr, "is inside the run") {
		t.Errorf("export into the run directory: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	if _, stderr, code := nnpipe(t, "export", modelCopy, "-o", modelCopy); code != 2 || !strings.Contains(stderr, "is the model file") {
		t.Errorf("export over its own model file: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	if _, stderr, code := nnpipe(t, "export", run, "-o", pipe); code != 2 || stderr != "nnpipe: "+pipe+" is a named pipe; give a file to write\n" {
		t.Errorf("export to a named pipe: exit %d, stderr %q; want 2 and what it is", code, stderr)
	}
	if fi, err := os.Lstat(pipe); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("a refused predict or export replaced the named pipe %s: %v, %v", pipe, fi, err)
	}
	for _, c := range []struct{ flag, value, want string }{
		{"--format", "tflite", `nnpipe: --format: unknown format "tflite"; the one format is onnx` + "\n"},
		{"--dtype", "bf16", `nnpipe: --dtype: unknown dtype "bf16"; want float64 or float32` + "\n"},
	} {
		if _, stderr, code := nnpipe(t, "export", run, "-o", filepath.Join(ws, "m.onnx"), c.flag, c.value); code != 2 || stderr != c.want {
			t.Errorf("export %s %s: exit %d, stderr %q; want 2 and %q", c.flag, c.value, code, stderr, c.want)
		}
	}
	if _, stderr, code := nnpipe(t, "export", noPreprocess, "-o", filepath.Join(ws, "m.onnx")); code != 2 || !strings.Contains(stderr, `field "preprocess" is missing`) {
		t.Errorf("export of a model without its preprocessing: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	if _, stderr, code := nnpipe(t, "export", modelDir, "-o", modelInDir); code != 2 || stderr != "nnpipe: "+modelInDir+" is the model file; give another file to write\n" {
		t.Errorf("export over the model file of its folder: exit %d, stderr %q; want 2 and why", code, stderr)
	}
	for _, m := range []string{modelCopy, modelInDir} {
		if !bytes.Equal(readFile(t, m), readFile(t, filepath.Join(run, "model.json"))) {
			t.Errorf("a refused predict or export changed the model file %s", m)
		}
	}
	if after := listTree(t, ws); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("refused exports changed the folder:\nbefore %v\nafter  %v", before, after)
	}
}

// TestPredictWarnsOfLabelsTheModelNeverSaw scores rows whose label is not one of the model's
// classes: a warning names the values, the rows are marked incorrect, and the rest is scored.
func TestPredictWarnsOfLabelsTheModelNeverSaw(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	run := runJSONOf(t, irisConfig, "--results", filepath.Join(ws, "results")).RunDir
	data := filepath.Join(ws, "new.csv")
	rows := "sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n6.3,3.3,6.0,2.5,unicorn\n5.0,3.6,1.4,0.2,setosa\n"
	if err := os.WriteFile(data, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(ws, "p.csv")
	stdout, stderr, code := nnpipe(t, "predict", run, data, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := fmt.Sprintf("nnpipe: warning: %s: column \"species\": 1 row has a label the model never saw, and is marked incorrect: \"unicorn\" (1)\n", data)
	if stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "labelled: 3 rows, cross-entropy") {
		t.Errorf("stdout lacks the metrics line:\n%s", stdout)
	}
	lines := strings.Split(string(readFile(t, out)), "\n")
	if !strings.HasPrefix(lines[0], "row,sepal_length,sepal_width,petal_length,petal_width,label,label_name,predicted,predicted_name,p_0,p_1,p_2,correct") ||
		!strings.HasPrefix(lines[2], "1,6.3,3.3,6,2.5,-1,unicorn,") || !strings.HasSuffix(lines[2], ",false") {
		t.Errorf("CSV predictions:\n%s", strings.Join(lines[:3], "\n"))
	}
}

// TestPredictCountsTheRowsItWrote prints how many rows were predicted, one as "1 row".
func TestPredictCountsTheRowsItWrote(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	run := runJSONOf(t, irisConfig, "--results", filepath.Join(ws, "results")).RunDir
	for _, tc := range []struct {
		rows string
		want string
	}{
		{"5.1,3.5,1.4,0.2\n", "1 row predicted"},
		{"5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n", "2 rows predicted"},
	} {
		data := filepath.Join(ws, "new.csv")
		if err := os.WriteFile(data, []byte("sepal_length,sepal_width,petal_length,petal_width\n"+tc.rows), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(ws, "p.csv")
		stdout, stderr, code := nnpipe(t, "predict", run, data, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if want := fmt.Sprintf("%s: %s, written to %s\n", data, tc.want, out); stdout != want {
			t.Errorf("stdout %q, want %q", stdout, want)
		}
	}
}

// TestPredictStageGivesTheCommandsFile runs a config whose predict stage scores iris with a
// run's model: its predictions.parquet must be the bytes `nnpipe predict` writes, a rerun a
// cache hit, and a new model (a new run of other settings) or new data a miss.
func TestPredictStageGivesTheCommandsFile(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	results := filepath.Join(ws, "results")
	run := runJSONOf(t, irisConfig, "--results", results).RunDir
	data := filepath.Join(ws, "iris.csv")
	if err := os.WriteFile(data, readFile(t, irisData), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(ws, "score.yaml")
	src := fmt.Sprintf("name: score\nstages:\n  - {id: score, kind: predict, with: {run: %q, path: iris.csv}}\n", run)
	if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	first := runJSONOf(t, config, "--results", results)
	out := filepath.Join(ws, "p.parquet")
	predictOf(t, run, data, out)
	if a, b := readFile(t, filepath.Join(first.RunDir, "predictions.parquet")), readFile(t, out); !bytes.Equal(a, b) {
		t.Error("the predict stage's predictions.parquet differs from nnpipe predict's")
	}
	if again := runJSONOf(t, config, "--results", results); !again.Stages[0].Cached {
		t.Error("the predict stage rerun on the same model and data is not a cache hit")
	}
	if err := os.WriteFile(data, append(readFile(t, data), "5.0,3.0,1.5,0.2,setosa\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if again := runJSONOf(t, config, "--results", results); again.Stages[0].Cached || again.Stages[0].Key == first.Stages[0].Key {
		t.Error("the predict stage on new data is a cache hit")
	}
	other := runJSONOf(t, irisConfig, "--results", results, "--set", "train.steps=10").RunDir
	src = strings.Replace(src, run, other, 1)
	if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if again := runJSONOf(t, config, "--results", results); again.Stages[0].Cached {
		t.Error("the predict stage with another run's model is a cache hit")
	}
	// A run directory and its model file score alike: sweeping the one
	// against the other is a value listed twice.
	swept := src + fmt.Sprintf("sweep:\n  score.run: [%q, %q]\n", other, filepath.Join(other, "model.json"))
	if err := os.WriteFile(config, []byte(swept), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := nnpipe(t, "validate", config); code != exitInvalid || !strings.Contains(stderr, "are the same value") {
		t.Errorf("validate of a sweep over a run and its model file: exit %d, want %d naming the same value\n%s", code, exitInvalid, stderr)
	}
}

// TestPredictStageRefusesADivergedRunBeforeRunning points a predict stage at a diverged run:
// the config is refused before anything runs, exit 2, one line, nothing written.
func TestPredictStageRefusesADivergedRunBeforeRunning(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	diverged := filepath.Join(ws, "diverged")
	if _, stderr, code := nnpipe(t, "run", bookConfig, "--out", diverged, "--quiet", "--set", "train.learning_rate=1e6",
		"--results", filepath.Join(ws, "r")); code != 1 {
		t.Fatalf("a diverging run: exit %d, want 1\n%s", code, stderr)
	}
	config := filepath.Join(ws, "score.yaml")
	src := "name: score\nstages:\n  - {id: score, kind: predict, with: {run: diverged, path: ../../data/book_ch7.csv}}\n"
	src = strings.Replace(src, "../../data/book_ch7.csv", mustAbs(t, "../../data/book_ch7.csv"), 1)
	if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	results, cacheDir := filepath.Join(ws, "results"), filepath.Join(ws, "cache")
	_, stderr, code := nnpipe(t, "run", config, "--results", results, "--cache", cacheDir)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "the run diverged") {
		t.Errorf("a predict stage on a diverged run: exit %d, stderr %q; want 2 and one line saying it diverged", code, stderr)
	}
	for _, dir := range []string{results, cacheDir} {
		if left := listTree(t, dir); len(left) > 0 {
			t.Errorf("%s holds %v, want nothing", dir, left)
		}
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestPredictJSON checks the JSON predict prints: the output, the rows, the model's digest and
// source, the metrics.
func TestPredictJSON(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	run := runJSONOf(t, irisConfig, "--results", ws).RunDir
	out := filepath.Join(ws, "p.parquet")
	stdout, stderr, code := nnpipe(t, "predict", run, irisData, "-o", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var res struct {
		Out     string
		Rows    int
		Model   string `json:"model_sha256"`
		Source  struct{ Name string }
		Metrics struct {
			N        int
			Accuracy float64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if res.Out != out || res.Rows != 150 || len(res.Model) != 64 || res.Source.Name != "iris" || res.Metrics.N != 150 || res.Metrics.Accuracy < 0.9 {
		t.Errorf("predict --json = %+v", res)
	}
}

// TestPredictDataFormatReadsAFileOfAnyName scores iris saved as flowers.txt, which predict
// cannot tell by its extension, with --data-format csv: the predictions must be the bytes the
// same rows give from iris.csv.
func TestPredictDataFormatReadsAFileOfAnyName(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	run := runJSONOf(t, irisConfig, "--results", filepath.Join(ws, "results")).RunDir
	txt := filepath.Join(ws, "flowers.txt")
	if err := os.WriteFile(txt, readFile(t, irisData), 0o644); err != nil {
		t.Fatal(err)
	}
	fromCSV, fromTxt := filepath.Join(ws, "csv.parquet"), filepath.Join(ws, "txt.parquet")
	predictOf(t, run, irisData, fromCSV)
	predictOf(t, run, txt, fromTxt, "--data-format", "csv")
	if !bytes.Equal(readFile(t, fromCSV), readFile(t, fromTxt)) {
		t.Errorf("predictions of flowers.txt with --data-format csv differ from those of %s", irisData)
	}
}
