package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"

	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// fixtureRun is one row of a synthetic summary.parquet.
type fixtureRun struct {
	id, name, status, err  string
	seed, hidden, initSeed int64
	noise                  float64 // the sweep's data.noise; NaN: the column is left out
	trainCE, testCE        float64
	trainAcc, testAcc      float64
}

// writeSummary writes dir/summary.parquet with rows in the layout of
// results.go's writeSummaries: the fixed columns, the parameters (data.noise
// only when the first row has one), the metrics, train_seconds.
func writeSummary(tb testing.TB, dir string, rows ...fixtureRun) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	withNoise := len(rows) > 0 && !math.IsNaN(rows[0].noise)
	fields := []dataset.Field{
		{Name: "trial_id", Type: dataset.String}, {Name: "name", Type: dataset.String},
		{Name: "status", Type: dataset.String}, {Name: "error", Type: dataset.String},
		{Name: "seconds", Type: dataset.Float64},
		{Name: "seed", Type: dataset.Int64}, {Name: "data.n", Type: dataset.Int64},
	}
	if withNoise {
		fields = append(fields, dataset.Field{Name: "data.noise", Type: dataset.Float64})
	}
	fields = append(fields,
		dataset.Field{Name: "train.hidden", Type: dataset.Int64}, dataset.Field{Name: "train.gradient", Type: dataset.String},
		dataset.Field{Name: "train.learning_rate", Type: dataset.Float64}, dataset.Field{Name: "train.init.seed", Type: dataset.Int64},
		dataset.Field{Name: "train.shuffle", Type: dataset.Bool},
		dataset.Field{Name: "train_cross_entropy", Type: dataset.Float64}, dataset.Field{Name: "test_cross_entropy", Type: dataset.Float64},
		dataset.Field{Name: "train_accuracy", Type: dataset.Float64}, dataset.Field{Name: "test_accuracy", Type: dataset.Float64},
		dataset.Field{Name: "train_seconds", Type: dataset.Float64})
	var (
		ids, names, statuses, errs, gradients []string
		seconds, noise, lrs, trainCE, testCE  []float64
		trainAcc, testAcc, trainSeconds       []float64
		seeds, ns, hidden, initSeeds          []int64
		shuffle                               []bool
	)
	for i, r := range rows {
		ids, names, statuses, errs = append(ids, r.id), append(names, r.name), append(statuses, r.status), append(errs, r.err)
		seconds = append(seconds, 1.5+float64(i)) // distinct per row, as wall times are
		seeds, ns, noise = append(seeds, r.seed), append(ns, 200), append(noise, r.noise)
		hidden, gradients, lrs = append(hidden, r.hidden), append(gradients, "numerical"), append(lrs, 0.5)
		initSeeds, shuffle = append(initSeeds, r.initSeed), append(shuffle, false)
		trainCE, testCE, trainAcc, testAcc = append(trainCE, r.trainCE), append(testCE, r.testCE), append(trainAcc, r.trainAcc), append(testAcc, r.testAcc)
		trainSeconds = append(trainSeconds, 0.25*float64(i+1))
	}
	cols := []any{ids, names, statuses, errs, seconds, seeds, ns}
	if withNoise {
		cols = append(cols, noise)
	}
	cols = append(cols, hidden, gradients, lrs, initSeeds, shuffle, trainCE, testCE, trainAcc, testAcc, trainSeconds)
	w, err := dataset.CreateTable(filepath.Join(dir, results.SummaryFile), fields, map[string]string{"nnpipe.version": Version})
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Abort()
	if err := w.Append(cols...); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

func okRun(id string, hidden, initSeed int64, trainCE, testCE, trainAcc, testAcc float64) fixtureRun {
	return fixtureRun{id: id, name: "book-ch7", status: results.StatusOK, seed: 1, hidden: hidden, initSeed: initSeed, noise: math.NaN(),
		trainCE: trainCE, testCE: testCE, trainAcc: trainAcc, testAcc: testAcc}
}

func sweepTrial(id string, hidden, initSeed int64, trainCE, testCE, trainAcc, testAcc float64) fixtureRun {
	r := okRun(id, hidden, initSeed, trainCE, testCE, trainAcc, testAcc)
	r.name, r.noise = "sweep-hidden", 0.2
	return r
}

// Fixture paths, relative to the folder writeFixture makes current.
const (
	runA  = "book/20250101T000000-aaaaaaaa"
	runB  = "book/20250101T000100-bbbbbbbb"
	runC  = "book/20250101T000200-cccccccc"
	sweep = "sweep/sweep-5e5e5e5e"
)

// writeFixture builds, in a fresh current folder, a results/<name> folder
// "book" of three runs (one diverged) and an unfinished one, and a sweep of
// six trials (hidden 2, 4, 12 × init seed 1, 2; one failed).
func writeFixture(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	writeSummary(t, runA, okRun("20250101T000000-aaaaaaaa", 2, 1, 0.41, 0.45, 0.86, 0.84))
	writeSummary(t, runB, okRun("20250101T000100-bbbbbbbb", 3, 1, 0.30, 0.38, 0.90, 0.88))
	diverged := okRun("20250101T000200-cccccccc", 8, 1, math.NaN(), math.NaN(), math.NaN(), math.NaN())
	diverged.status, diverged.err = results.StatusDiverged, "train: cross-entropy is NaN at step 412"
	writeSummary(t, runC, diverged)
	writeSummary(t, "book/.tmp-20250101T000300-dddddddd-123", okRun("20250101T000300-dddddddd", 99, 1, 0.1, 0.1, 0.99, 0.99))
	failed := sweepTrial("e5f6a7b8c9d0", 12, 2, 0.11, 0.62, 0.99, 0.81)
	failed.status, failed.err = results.StatusFailed, "train: write model: no space left on device"
	writeSummary(t, sweep,
		sweepTrial("0a1b2c3d4e5f", 2, 1, 0.40, 0.44, 0.86, 0.84),
		sweepTrial("1b2c3d4e5f6a", 2, 2, 0.42, 0.46, 0.84, 0.82),
		sweepTrial("2c3d4e5f6a7b", 4, 1, 0.20, 0.31, 0.95, 0.90),
		sweepTrial("3d4e5f6a7b8c", 4, 2, 0.22, 0.29, 0.93, 0.94),
		sweepTrial("4e5f6a7b8c9d", 12, 1, 0.05, 0.35, 1.00, 0.91),
		failed)
	if err := os.MkdirAll("empty/.tmp-x", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("notes.txt", []byte("not a summary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("damaged", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("damaged/summary.parquet", []byte("PAR1 this is no parquet file PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit("split.parquet", dataset.Split{Train: []int{0}, Test: []int{1}}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("notsummary", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename("split.parquet", "notsummary/summary.parquet"); err != nil {
		t.Fatal(err)
	}
}

// goldenDir is testdata/compare as an absolute path: the tests run from a
// temporary folder (writeFixture).
func goldenDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "compare"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCompareTables(t *testing.T) {
	cases := []struct {
		name string
		args []string // after "compare"
	}{
		{"folder of runs shows only the differing parameter, skips unfinished runs, keeps the diverged one", []string{"book"}},
		{"runs and a sweep mixed get a source column and blanks for missing parameters", []string{"book", sweep}},
		{"a summary.parquet path reads like its directory", []string{sweep + "/summary.parquet", "--format", "csv"}},
		{"numeric sort orders hidden sizes 2 4 12", []string{sweep, "--sort", "train.hidden", "--format", "csv"}},
		{"lexical sort orders trial ids descending", []string{sweep, "--sort", "-trial_id", "--format", "csv"}},
		{"descending sort on test accuracy puts rows without one last", []string{"book", sweep, "--sort", "-test_accuracy", "--format", "csv"}},
		{"sorting on a time column shows it", []string{sweep, "--sort", "seconds", "--format", "csv"}},
		{"group by hidden size gives mean and std", []string{sweep, "--group-by", "train.hidden"}},
		{"group by hidden size in json splits std into its own column", []string{sweep, "--group-by", "train.hidden", "--format", "json"}},
		{"group by two keys sorted on the mean", []string{"book", sweep, "--group-by", "name,train.hidden", "--sort", "-test_accuracy", "--format", "md"}},
		{"baseline outside the paths is compared first with deltas", []string{sweep, "--baseline", runA, "--format", "md"}},
		{"baseline deltas in csv are columns", []string{"book", sweep, "--baseline", "book", "--format", "csv"}},
		{"baseline deltas in json are columns", []string{runA, runB, "--baseline", runA, "--format", "json"}},
		{"baseline with group by", []string{sweep, "--group-by", "train.hidden", "--baseline", runB}},
		{"markdown", []string{"book", sweep, "--format", "md"}},
		{"csv", []string{"book", sweep, "--format", "csv"}},
		{"json", []string{"book", sweep, "--format", "json"}},
	}
	dir := goldenDir(t)
	writeFixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := nnpipe(t, append([]string{"compare"}, c.args...)...)
			if code != exitOK || stderr != "" {
				t.Fatalf("nnpipe compare %s: exit %d, stderr:\n%s", strings.Join(c.args, " "), code, stderr)
			}
			if strings.Contains(stdout, "dddddddd") {
				t.Errorf("nnpipe compare %s printed the unfinished run:\n%s", strings.Join(c.args, " "), stdout)
			}
			golden(t, filepath.Join(dir, goldenName(c.name)+".golden"), stdout)
		})
	}
}

// writeClash writes dir/summary.parquet: one ok row of trial_id, status,
// test_accuracy and a string column named col.
func writeClash(t *testing.T, dir, col string) {
	t.Helper()
	fields := []dataset.Field{{Name: "trial_id", Type: dataset.String}, {Name: "status", Type: dataset.String},
		{Name: "test_accuracy", Type: dataset.Float64}, {Name: col, Type: dataset.String}}
	writeTable(t, dir, fields, []string{"20250101T000400-eeeeeeee"}, []string{results.StatusOK}, []float64{0.5}, []string{"mine"})
}

// writeTable writes dir/summary.parquet with the fields and their columns.
func writeTable(t *testing.T, dir string, fields []dataset.Field, cols ...any) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := dataset.CreateTable(filepath.Join(dir, results.SummaryFile), fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Append(cols...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// goldenName turns a case name into a file name.
func goldenName(name string) string {
	return strings.NewReplacer(" ", "-", ".", "", ",", "").Replace(name)
}

func TestCompareRefusesBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string // after "compare"
	}{
		{"missing path", []string{"book", "results/nope"}},
		{"a file other than summary.parquet", []string{"notes.txt"}},
		{"a folder with no finished run", []string{"empty"}},
		{"an unfinished run given directly", []string{"book/.tmp-20250101T000300-dddddddd-123"}},
		{"a damaged summary", []string{"damaged"}},
		{"a parquet file that is not a summary", []string{"notsummary"}},
		{"unknown sort column", []string{"book", "--sort", "hidden"}},
		{"unknown sort column when grouped", []string{sweep, "--group-by", "train.hidden", "--sort", "seed"}},
		{"unknown group key", []string{"book", "--group-by", "train.hidden,train.hiden"}},
		{"a metric as group key", []string{"book", "--group-by", "test_accuracy", "--format", "json"}},
		{"a summary with a column named source", []string{"book", "clash/source", "--format", "csv"}},
		{"a summary with a column named n", []string{"clash/n", "--group-by", "n", "--format", "json"}},
		{"a summary with a column named like a delta", []string{"clash/test_accuracy_delta"}},
		{"empty group key", []string{"book", "--group-by", "train.hidden,"}},
		{"unknown format", []string{"book", "--format", "xml"}},
		{"missing baseline", []string{"book", "--baseline", "book/nope"}},
		{"baseline without an ok row", []string{"book", "--baseline", runC}},
		{"no path", nil},
	}
	dir := goldenDir(t)
	writeFixture(t)
	for _, col := range []string{"source", "n", "test_accuracy_delta"} {
		writeClash(t, filepath.Join("clash", col), col)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := nnpipe(t, append([]string{"compare"}, c.args...)...)
			if code != exitInvalid {
				t.Errorf("nnpipe compare %s: exit %d, want %d; stderr:\n%s", strings.Join(c.args, " "), code, exitInvalid, stderr)
			}
			if stdout != "" {
				t.Errorf("nnpipe compare %s printed on stdout:\n%s", strings.Join(c.args, " "), stdout)
			}
			if lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "nnpipe: ") {
				t.Errorf("nnpipe compare %s: stderr = %q, want one line starting with \"nnpipe: \"", strings.Join(c.args, " "), stderr)
			}
			golden(t, filepath.Join(dir, "error-"+goldenName(c.name)+".golden"), stderr)
		})
	}
	t.Run("report skips a summary with a column named like one compare adds", func(t *testing.T) {
		_, stderr, code := nnpipe(t, "report", "book", "clash/source", "-o", "page.html")
		want := "nnpipe: warning: skipped clash/source/summary.parquet: " + `clash/source/summary.parquet: column "source" is named like`
		if code != exitOK || !strings.HasPrefix(stderr, want) {
			t.Errorf("report book clash/source: exit %d, stderr %q; want exit %d and a warning starting %q", code, stderr, exitOK, want)
		}
	})
	t.Run("a bad path is named", func(t *testing.T) {
		for _, p := range []string{"results/nope", "notes.txt", "empty", "book/.tmp-20250101T000300-dddddddd-123", "damaged/summary.parquet"} {
			_, stderr, _ := nnpipe(t, "compare", "book", p)
			if !strings.Contains(stderr, p) {
				t.Errorf("nnpipe compare book %s: stderr = %q, want it to name %s", p, stderr, p)
			}
		}
	})
}

// compareJSON runs compare with --format json and decodes its rows.
func compareJSON(t *testing.T, args ...string) ([]string, []map[string]any) {
	t.Helper()
	stdout, stderr, code := nnpipe(t, append(append([]string{"compare"}, args...), "--format", "json")...)
	if code != exitOK {
		t.Fatalf("nnpipe compare %v: exit %d, stderr:\n%s", args, code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("nnpipe compare --format json printed invalid JSON: %v\n%s", err, stdout)
	}
	return firstKeys(t, stdout), rows
}

// firstKeys returns the keys of the first object of a JSON array, in order.
func firstKeys(t *testing.T, text string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	for _, want := range []json.Delim{'[', '{'} {
		if tok, err := dec.Token(); err != nil || tok != want {
			return nil // no rows
		}
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestCompareShowsOnlyDifferingParameters(t *testing.T) {
	writeFixture(t)
	metrics := []string{"train_cross_entropy", "test_cross_entropy", "train_accuracy", "test_accuracy"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"one run shows no parameter", []string{runA}, append([]string{"trial_id", "status"}, metrics...)},
		{"two runs show the hidden size", []string{"book"}, append(append([]string{"trial_id", "status", "train.hidden"}, metrics...), "error")},
		{"a sweep shows hidden size and init seed", []string{sweep}, append(append([]string{"trial_id", "status", "train.hidden", "train.init.seed"}, metrics...), "error")},
		{"runs with a sweep add source, name and the sweep-only noise, columns in first-seen order", []string{runA, sweep},
			append(append([]string{"trial_id", "source", "status", "name", "train.hidden", "train.init.seed", "data.noise"}, metrics...), "error")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, _ := compareJSON(t, c.args...)
			if !slices.Equal(keys, c.want) {
				t.Errorf("compare %v columns = %v, want %v", c.args, keys, c.want)
			}
		})
	}
	t.Run("a parameter missing from a summary is blank", func(t *testing.T) {
		_, rows := compareJSON(t, runA, sweep)
		if v, ok := rows[0]["data.noise"]; !ok || v != nil {
			t.Errorf("run's data.noise = %v, want null", v)
		}
		if v := rows[1]["data.noise"]; v != 0.2 {
			t.Errorf("sweep trial's data.noise = %v, want 0.2", v)
		}
	})
	t.Run("failed rows keep status and error, metrics blank", func(t *testing.T) {
		_, rows := compareJSON(t, "book")
		r := rows[2]
		if r["status"] != results.StatusDiverged || r["error"] != "train: cross-entropy is NaN at step 412" {
			t.Errorf("diverged row = %v, want status diverged and its error", r)
		}
		for _, m := range metrics {
			if r[m] != nil {
				t.Errorf("diverged row's %s = %v, want null", m, r[m])
			}
		}
	})
}

// TestCompareJSONTellsAMissingValueFromAnEmptyOne: in json a value a
// summary does not have is null, an empty text "", and a bool true or
// false; in csv both of the first are blank.
func TestCompareJSONTellsAMissingValueFromAnEmptyOne(t *testing.T) {
	t.Chdir(t.TempDir())
	id, status := dataset.Field{Name: "trial_id", Type: dataset.String}, dataset.Field{Name: "status", Type: dataset.String}
	format, shuffle := dataset.Field{Name: "data.format", Type: dataset.String}, dataset.Field{Name: "split.shuffle", Type: dataset.Bool}
	// "csv" has data.format ""; "gen" has no data.format at all.
	writeTable(t, "csv", []dataset.Field{id, status, format, shuffle}, []string{"csv-run"}, []string{results.StatusOK}, []string{""}, []bool{true})
	writeTable(t, "gen", []dataset.Field{id, status, shuffle}, []string{"gen-run"}, []string{results.StatusOK}, []bool{false})
	cases := []struct {
		name string
		args []string
		col  string
		want []any // per row, as encoding/json decodes it
	}{
		{"a text a summary lacks is null, an empty one empty", []string{"csv", "gen"}, "data.format", []any{"", nil}},
		{"a bool is true or false", []string{"csv", "gen"}, "split.shuffle", []any{true, false}},
		{"groups of an empty and of a missing key differ", []string{"csv", "gen", "--group-by", "data.format"}, "data.format", []any{"", nil}},
		{"a bool group key is true or false", []string{"csv", "gen", "--group-by", "split.shuffle"}, "split.shuffle", []any{true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rows := compareJSON(t, c.args...)
			var got []any
			for _, r := range rows {
				v, ok := r[c.col]
				if !ok {
					v = "(no key)"
				}
				got = append(got, v)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("compare %v --format json: %s = %#v, want %#v", c.args, c.col, got, c.want)
			}
		})
	}
	t.Run("csv prints both blank", func(t *testing.T) {
		stdout, stderr, code := nnpipe(t, "compare", "csv", "gen", "--group-by", "data.format", "--format", "csv")
		lines := strings.Split(stdout, "\n")
		if code != exitOK || len(lines) != 4 || !strings.HasPrefix(lines[1], ",1,") || !strings.HasPrefix(lines[2], ",1,") {
			t.Errorf("compare --group-by data.format --format csv: exit %d, stdout %q, stderr %q; want two groups with blank keys", code, stdout, stderr)
		}
	})
}

func TestCompareGroupByMeanStd(t *testing.T) {
	t.Run("per hidden size over the ok trials", func(t *testing.T) {
		writeFixture(t)
		_, rows := compareJSON(t, sweep, "--group-by", "train.hidden")
		want := []struct {
			hidden, n, failed float64
			acc, accStd       float64 // test accuracy
		}{
			{2, 2, 0, 0.83, math.Sqrt(0.0002)}, // 0.84, 0.82
			{4, 2, 0, 0.92, math.Sqrt(0.0008)}, // 0.90, 0.94
			{12, 2, 1, 0.91, math.NaN()},       // 0.91; the failed trial is left out
		}
		if len(rows) != len(want) {
			t.Fatalf("compare --group-by train.hidden printed %d rows, want %d", len(rows), len(want))
		}
		for i, w := range want {
			r := rows[i]
			std, _ := r["test_accuracy_std"].(float64)
			if r["test_accuracy_std"] == nil {
				std = math.NaN()
			}
			// 1e-12: sums of a few decimal inputs.
			if r["train.hidden"] != w.hidden || r["n"] != w.n || r["failed"] != w.failed ||
				!near(r["test_accuracy"].(float64), w.acc, 1e-12) || !near(std, w.accStd, 1e-12) {
				t.Errorf("group %v = %v, want n %v, failed %v, test accuracy %v ± %v", w.hidden, r, w.n, w.failed, w.acc, w.accStd)
			}
		}
	})
}

func TestCompareBaselineDeltas(t *testing.T) {
	writeFixture(t)
	_, rows := compareJSON(t, sweep, "--baseline", runB, "--group-by", "source")
	// runB: test accuracy 0.88, train CE 0.30. The sweep's ok trials: test
	// accuracy mean (0.84+0.82+0.90+0.94+0.91)/5 = 0.882, train CE mean
	// (0.40+0.42+0.20+0.22+0.05)/5 = 0.258.
	want := map[string][2]float64{runB: {0, 0}, sweep: {0.002, -0.042}}
	for _, r := range rows {
		w := want[r["source"].(string)]
		// 1e-12: sums of a few decimal inputs.
		if !near(r["test_accuracy_delta"].(float64), w[0], 1e-12) || !near(r["train_cross_entropy_delta"].(float64), w[1], 1e-12) {
			t.Errorf("%s: deltas test accuracy %v, train CE %v, want %v, %v", r["source"], r["test_accuracy_delta"], r["train_cross_entropy_delta"], w[0], w[1])
		}
	}
	if len(rows) != 2 {
		t.Errorf("compare --group-by source printed %d rows, want 2", len(rows))
	}
}

// writeTrials makes the fixture's sweep a sweep directory, with a
// sweep.json and the run directories of its ok trials under trials/, each
// with its row of the sweep's summary.
func writeTrials(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(sweep, results.SweepFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range []fixtureRun{
		sweepTrial("0a1b2c3d4e5f", 2, 1, 0.40, 0.44, 0.86, 0.84),
		sweepTrial("1b2c3d4e5f6a", 2, 2, 0.42, 0.46, 0.84, 0.82),
		sweepTrial("2c3d4e5f6a7b", 4, 1, 0.20, 0.31, 0.95, 0.90),
		sweepTrial("3d4e5f6a7b8c", 4, 2, 0.22, 0.29, 0.93, 0.94),
		sweepTrial("4e5f6a7b8c9d", 12, 1, 0.05, 0.35, 1.00, 0.91),
	} {
		writeSummary(t, filepath.Join(sweep, results.TrialsDir, r.id), r)
	}
}

// TestCompareShowsARunOnceHoweverManyPathsReachIt: a run or trial that
// several paths, or the baseline and a path, stand for is one row, from the
// first of them (the baseline first when it is not a path), and counts once
// in groups and in the baseline's means.
func TestCompareShowsARunOnceHoweverManyPathsReachIt(t *testing.T) {
	writeFixture(t)
	writeTrials(t)
	if err := os.Symlink(runA, "link"); err != nil {
		t.Fatal(err)
	}
	trials := sweep + "/trials"
	trial := trials + "/2c3d4e5f6a7b"
	// A copy of the sweep whose trials/ is a symbolic link to the sweep's.
	const linked = "linked"
	if err := os.Mkdir(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{results.SummaryFile, results.SweepFile} {
		if b, err := os.ReadFile(filepath.Join(sweep, f)); err == nil {
			if err := os.WriteFile(filepath.Join(linked, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	abs, err := filepath.Abs(trials)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(linked, results.TrialsDir)); err != nil {
		t.Fatal(err)
	}
	ids := "0a1b2c3d4e5f 1b2c3d4e5f6a 2c3d4e5f6a7b 3d4e5f6a7b8c 4e5f6a7b8c9d e5f6a7b8c9d0"
	cases := []struct {
		name string
		args []string
		cols []string // the columns shown, of each row, space-separated
		want []string
	}{
		{"the same path twice", []string{sweep, sweep}, []string{"trial_id"}, strings.Fields(ids)},
		{"the same path twice, grouped", []string{sweep, sweep, "--group-by", "train.hidden"}, []string{"train.hidden", "n"}, []string{"2 2", "4 2", "12 2"}},
		{"a sweep and its trials folder", []string{sweep, trials}, []string{"trial_id", "source"},
			[]string{"0a1b2c3d4e5f " + sweep, "1b2c3d4e5f6a " + sweep, "2c3d4e5f6a7b " + sweep, "3d4e5f6a7b8c " + sweep, "4e5f6a7b8c9d " + sweep, "e5f6a7b8c9d0 " + sweep}},
		{"its trials folder and then the sweep", []string{trials, sweep}, []string{"trial_id", "source"},
			[]string{"0a1b2c3d4e5f " + trials, "1b2c3d4e5f6a " + trials, "2c3d4e5f6a7b " + trials, "3d4e5f6a7b8c " + trials, "4e5f6a7b8c9d " + trials, "e5f6a7b8c9d0 " + sweep}},
		{"a symbolic link to a run and the run", []string{"link", runA}, []string{"trial_id", "source"}, []string{"20250101T000000-aaaaaaaa link"}},
		{"a sweep whose trials folder is a link, and that folder", []string{linked, linked + "/trials"}, []string{"trial_id"}, strings.Fields(ids)},
		{"a baseline inside the sweep is compared first, once", []string{sweep, "--baseline", trial}, []string{"trial_id", "source", "test_accuracy_delta"},
			[]string{"2c3d4e5f6a7b " + trial + " 0", "0a1b2c3d4e5f " + sweep + " -0.06", "1b2c3d4e5f6a " + sweep + " -0.08",
				"3d4e5f6a7b8c " + sweep + " 0.04", "4e5f6a7b8c9d " + sweep + " 0.01", "e5f6a7b8c9d0 " + sweep + " -"}},
		{"a baseline inside the sweep counts once in its group", []string{sweep, "--baseline", trial, "--group-by", "train.hidden"}, []string{"train.hidden", "n", "test_accuracy"},
			[]string{"4 2 0.92", "2 2 0.83", "12 2 0.91"}},
		{"a baseline shown from an earlier path keeps its rows", []string{trials, sweep, "--baseline", sweep}, []string{"trial_id", "test_accuracy_delta"},
			// The sweep's ok trials' mean test accuracy: 0.882.
			[]string{"0a1b2c3d4e5f -0.042", "1b2c3d4e5f6a -0.062", "2c3d4e5f6a7b 0.018", "3d4e5f6a7b8c 0.058", "4e5f6a7b8c9d 0.028", "e5f6a7b8c9d0 -"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rows := compareJSON(t, c.args...)
			var got []string
			for _, r := range rows {
				var cells []string
				for _, col := range c.cols {
					cells = append(cells, shortCell(r[col]))
				}
				got = append(got, strings.Join(cells, " "))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("compare %v rows (%v) =\n%q\nwant\n%q", c.args, c.cols, got, c.want)
			}
			// report takes what compare takes, and shows each run once too.
			if slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "--") }) {
				return
			}
			out, stderr, code := nnpipe(t, append(append([]string{"report"}, c.args...), "-o", filepath.Join(t.TempDir(), "r.html"))...)
			if want := report.Plural(len(c.want), "run", "runs"); code != 0 || !strings.HasSuffix(strings.TrimSpace(out), ": "+want) {
				t.Errorf("report %v: exit %d, %q%s; want %s, as compare shows", c.args, code, out, stderr, want)
			}
		})
	}
}

// shortCell prints a decoded JSON cell: a number to four decimals, without
// trailing zeros; null as "-".
func shortCell(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case float64:
		return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

// TestCompareTwoRealRuns compares the run directories of the real run
// command: the hidden size is the one parameter that differs.
func TestCompareTwoRealRuns(t *testing.T) {
	results := t.TempDir()
	var dirs []string
	for _, set := range [][]string{nil, {"--set", "train.hidden=3"}} {
		args := append([]string{"run", bookConfig, "--results", results, "--quiet", "--json", "--set", "train.steps=20"}, set...)
		stdout, stderr, code := nnpipe(t, args...)
		if code != exitOK {
			t.Fatalf("nnpipe %v: exit %d, stderr:\n%s", args, code, stderr)
		}
		var r runJSON
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, r.RunDir)
	}
	for _, args := range [][]string{{dirs[0], dirs[1]}, {filepath.Join(results, "book-ch7")}} {
		keys, rows := compareJSON(t, args...)
		want := []string{"trial_id", "status", "train.hidden", "train_cross_entropy", "test_cross_entropy", "train_accuracy", "test_accuracy"}
		if len(args) > 1 {
			want = slices.Insert(want, 1, "source")
		}
		if !slices.Equal(keys, want) {
			t.Errorf("compare %v columns = %v, want %v", args, keys, want)
		}
		if len(rows) != 2 {
			t.Fatalf("compare %v printed %d rows, want 2", args, len(rows))
		}
		if len(args) == 1 && rows[0]["trial_id"] != filepath.Base(dirs[0]) {
			// A folder is read in name order; runs started within the same
			// second differ only in their config hash suffix.
			rows[0], rows[1] = rows[1], rows[0]
		}
		for i, hidden := range []float64{2, 3} {
			r := rows[i]
			if r["trial_id"] != filepath.Base(dirs[i]) || r["status"] != "ok" || r["train.hidden"] != hidden {
				t.Errorf("compare %v row %d = %v, want run %s, ok, hidden %v", args, i, r, filepath.Base(dirs[i]), hidden)
			}
			var m struct {
				Test struct {
					Accuracy     float64
					CrossEntropy float64 `json:"cross_entropy"`
				}
			}
			decodeJSONFile(t, filepath.Join(dirs[i], "metrics.json"), &m)
			// json carries every float in full: the very numbers.
			if got, _ := r["test_accuracy"].(float64); got != m.Test.Accuracy {
				t.Errorf("compare %v row %d test_accuracy = %v, want metrics.json's %v", args, i, got, m.Test.Accuracy)
			}
			if got, _ := r["test_cross_entropy"].(float64); got != m.Test.CrossEntropy {
				t.Errorf("compare %v row %d test_cross_entropy = %v, want metrics.json's %v", args, i, got, m.Test.CrossEntropy)
			}
		}
	}
}

// writeRunSummaries makes n run directories under dir, each with a one-row
// summary.parquet of a real run's shape (hidden 1..8, 5 seeds, ...).
func writeRunSummaries(b *testing.B, dir string, n int) {
	for i := range n {
		id := fmt.Sprintf("20250101T%06d-%08x", i, i)
		r := okRun(id, int64(1+i%8), int64(i/8%5), 0.3+0.001*float64(i%100), 0.4, 0.9, 0.85+0.0001*float64(i%100))
		writeSummary(b, filepath.Join(dir, id), r)
	}
}

// BenchmarkCompare1000Runs times the whole command over a results folder of
// 1,000 runs: finding them, reading every summary.parquet, printing.
func BenchmarkCompare1000Runs(b *testing.B) {
	dir := b.TempDir()
	writeRunSummaries(b, dir, 1000)
	b.Run("read-only", func(b *testing.B) { // dataset.ReadTable of every summary, for scale
		files, err := results.Find(dir)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := results.ReadSummaries(files); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"csv", []string{"--format", "csv"}},
		{"table", nil},
		{"sort", []string{"--sort", "-test_accuracy", "--format", "csv"}},
		{"group-by", []string{"--group-by", "train.hidden", "--format", "csv"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			args := append([]string{"compare", dir}, bc.args...)
			for b.Loop() {
				if code := Main(context.Background(), args, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

// BenchmarkCompareRuns shows how the cost grows with the number of runs.
func BenchmarkCompareRuns(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			writeRunSummaries(b, dir, n)
			args := []string{"compare", dir, "--format", "csv"}
			for b.Loop() {
				if code := Main(context.Background(), args, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}

func TestCompareOfAResultsRootTakesEveryRunAndSweepOnce(t *testing.T) {
	results := t.TempDir()
	run := runJSONOf(t, bookConfig, "--results", results, "--set", "train.steps=20")
	if _, stderr, code := nnpipe(t, "sweep", smallSweep, "--results", results, "--quiet"); code != exitOK {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	sweeps, _ := filepath.Glob(filepath.Join(results, "small-sweep", "sweep-*"))
	if len(sweeps) != 1 {
		t.Fatalf("sweep directories %v, want one", sweeps)
	}
	trials, _ := filepath.Glob(filepath.Join(sweeps[0], "trials", "*"))
	if len(trials) != 6 {
		t.Fatalf("trial directories %v, want 6", trials)
	}
	// The root, two levels above the runs: the run and the sweep's six
	// trials, each once (not again from the sweep's trials/ folder); the
	// cache under results/.cache is not searched.
	_, rows := compareJSON(t, results)
	var got []string
	for _, r := range rows {
		got = append(got, r["trial_id"].(string))
	}
	want := []string{run.RunID}
	for _, tr := range trials {
		want = append(want, filepath.Base(tr))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("compare %s rows %v, want the run and each trial once: %v", results, got, want)
	}
	// A trial's run directory, and the sweep's trials/ folder, compare too.
	if _, rows := compareJSON(t, trials[0]); len(rows) != 1 || rows[0]["trial_id"] != filepath.Base(trials[0]) {
		t.Errorf("compare of a trial's run directory = %v, want its one row", rows)
	}
	if _, rows := compareJSON(t, filepath.Join(sweeps[0], "trials")); len(rows) != 6 {
		t.Errorf("compare of a sweep's trials folder gave %d rows, want 6", len(rows))
	}
}

// TestABaselineWithoutMetricsIsRefused: a baseline whose runs finished ok
// but evaluated nothing (no evaluate stage) gives no delta to show: it is
// refused, exit 2, rather than a table without deltas.
func TestABaselineWithoutMetricsIsRefused(t *testing.T) {
	writeFixture(t)
	writeSummary(t, "plain/20250101T000500-eeeeeeee", okRun("20250101T000500-eeeeeeee", 2, 1, math.NaN(), math.NaN(), math.NaN(), math.NaN()))
	out, stderr, code := nnpipe(t, "compare", runA, "--baseline", "plain/20250101T000500-eeeeeeee")
	if code != exitInvalid || out != "" || !strings.Contains(stderr, "no metric to compare against") {
		t.Errorf("compare --baseline of a run without metrics: exit %d, stdout %q, stderr %q; want exit 2 saying it has no metric", code, out, stderr)
	}
}
