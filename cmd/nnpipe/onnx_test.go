package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// onnxRuntime returns the node binary and the npm folder (holding node_modules/onnxruntime-node)
// that TestONNXRuntimeAgreesWithNnpipe runs the exported models with: $NNPIPE_ONNXRUNTIME_DIR,
// or ${XDG_CACHE_HOME:-$HOME/.cache}/nnpipe-npm, where .ci/run installs the package. It skips
// the test when either is missing, unless $NNPIPE_REQUIRE_ONNXRUNTIME is set (as in CI, once it
// installed them): then it fails.
func onnxRuntime(t *testing.T) (node, dir string) {
	t.Helper()
	dir = os.Getenv("NNPIPE_ONNXRUNTIME_DIR")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "nnpipe-npm")
	}
	node, err := exec.LookPath("node")
	_, serr := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json"))
	if err == nil && serr == nil {
		return node, dir
	}
	msg := "onnxruntime not found: needs node on the PATH and onnxruntime-node installed under " + dir +
		" (ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix " + dir + " onnxruntime-node; or set NNPIPE_ONNXRUNTIME_DIR)"
	if os.Getenv("NNPIPE_REQUIRE_ONNXRUNTIME") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return "", ""
}

// ortScript runs the jobs of a JSON file with onnxruntime: for each, the model at `model` is
// given the rows `x` (`rows` × `cols`) as float64 or float32, and its probabilities and classes
// are written out, as JSON, to `out`. JavaScript prints numbers in the shortest form that reads
// back to the same float64, so nothing is lost on the way back.
const ortScript = `
const ort = require("onnxruntime-node");
const fs = require("fs");
(async () => {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  for (const j of jobs) {
    const s = await ort.InferenceSession.create(j.model);
    const data = j.dtype === "float32" ? Float32Array.from(j.x) : Float64Array.from(j.x);
    const r = await s.run({features: new ort.Tensor(j.dtype, data, [j.rows, j.cols])});
    fs.writeFileSync(j.out, JSON.stringify({
      probabilities: Array.from(r.probabilities.data, Number),
      class: Array.from(r.class.data, Number),
      dims: r.probabilities.dims,
    }));
  }
})().catch(e => { console.error(String(e)); process.exit(1); });
`

// TestONNXRuntimeAgreesWithNnpipe exports the book's run and iris (standardized) in float64
// and float32 and runs each export with onnxruntime on the run's own data file: in float64 the
// probabilities must be within 1e-12 of nnpipe's and the classes the same; in float32 within
// 1e-5, the classes the same where nnpipe's two largest probabilities are further apart.
func TestONNXRuntimeAgreesWithNnpipe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	node, npm := onnxRuntime(t)
	t.Parallel()
	ws := t.TempDir()
	type job struct {
		Model     string    `json:"model"`
		DType     string    `json:"dtype"`
		Rows      int       `json:"rows"`
		Cols      int       `json:"cols"`
		X         []float64 `json:"x"`
		Out       string    `json:"out"`
		want      [][]float64
		predicted []int32
		name      string
		tolerance float64
		tieMargin float64
	}
	var jobs []*job
	for _, c := range []struct{ name, config, data string }{
		{"book", bookConfig, "../../data/book_ch7.csv"},
		{"iris", irisConfig, irisData},
	} {
		run := runJSONOf(t, c.config, "--results", filepath.Join(ws, "results")).RunDir
		pred := filepath.Join(ws, c.name+".parquet")
		predictOf(t, run, c.data, pred)
		tbl, col := readTable(t, pred)
		var x []float64
		var features []string
		for _, f := range tbl.Fields[1:] {
			if f.Name == "label" {
				break
			}
			features = append(features, f.Name)
		}
		for i := range tbl.Rows {
			for _, f := range features {
				x = append(x, col(f).([]float64)[i])
			}
		}
		want := make([][]float64, tbl.Rows)
		for i := range want {
			for k := 0; ; k++ {
				p, ok := tbl.Column("p_" + strconv.Itoa(k))
				if !ok {
					break
				}
				want[i] = append(want[i], p.([]float64)[i])
			}
		}
		// The tolerances: float64 sums in another order than nnpipe's differ in the last bits
		// (~1e-16 relative), far below 1e-12; float32 carries 24 bits, about 6e-8 relative per
		// operation, and the few dozen operations of a row stay within 1e-5.
		for _, dtype := range []struct {
			name           string
			tol, tieMargin float64
		}{{"float64", 1e-12, 0}, {"float32", 1e-5, 1e-4}} {
			model := filepath.Join(ws, c.name+"-"+dtype.name+".onnx")
			if _, stderr, code := nnpipe(t, "export", run, "--format", "onnx", "-o", model, "--dtype", dtype.name); code != 0 {
				t.Fatalf("export %s: exit %d\n%s", run, code, stderr)
			}
			jobs = append(jobs, &job{Model: model, DType: dtype.name, Rows: tbl.Rows, Cols: len(features), X: x,
				Out: model + ".json", want: want, predicted: col("predicted").([]int32), name: c.name + " " + dtype.name,
				tolerance: dtype.tol, tieMargin: dtype.tieMargin})
		}
	}
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	script, input := filepath.Join(ws, "ort.js"), filepath.Join(ws, "jobs.json")
	if err := os.WriteFile(script, []byte(ortScript), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, input)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(npm, "node_modules"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, out)
	}
	for _, j := range jobs {
		var got struct {
			Probabilities []float64
			Class         []int64
			Dims          []int
		}
		if err := json.Unmarshal(readFile(t, j.Out), &got); err != nil {
			t.Fatal(err)
		}
		k := len(j.want[0])
		if len(got.Dims) != 2 || got.Dims[0] != j.Rows || got.Dims[1] != k || len(got.Class) != j.Rows {
			t.Fatalf("%s: onnxruntime gave probabilities of shape %v and %d classes for %d rows", j.name, got.Dims, len(got.Class), j.Rows)
		}
		worst := 0.0
		for i, want := range j.want {
			for c := range k {
				worst = math.Max(worst, math.Abs(got.Probabilities[i*k+c]-want[c]))
			}
			if got.Class[i] != int64(j.predicted[i]) && margin(want) > j.tieMargin {
				t.Errorf("%s: row %d: onnxruntime predicts class %d, nnpipe %d (probabilities %v)", j.name, i, got.Class[i], j.predicted[i], want)
			}
		}
		if worst > j.tolerance {
			t.Errorf("%s: probabilities differ from nnpipe's by up to %.3g, want at most %g", j.name, worst, j.tolerance)
		}
		t.Logf("%s: %d rows, largest difference from nnpipe's probabilities %.3g", j.name, j.Rows, worst)
	}
}

// margin is the difference between the two largest probabilities of a row.
func margin(p []float64) float64 {
	a, b := math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		if v > a {
			a, b = v, a
		} else if v > b {
			b = v
		}
	}
	return a - b
}
