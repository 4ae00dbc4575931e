package results_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// small is a chain of every kind a run directory shows the files of,
// small enough to run in milliseconds.
const small = `name: small
seed: 3
stages:
  - {id: data, kind: generate, with: {dataset: moons, n: 40}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, steps: 5, learning_rate: 0.05}}
  - {id: eval, kind: evaluate}
sweep:
  train.hidden: [1, 2]
  seed: [1, 2]
`

// runSmall compiles and runs small in a fresh cache; with sweep, the
// trials of its grid instead, every one of them run.
func runSmall(t *testing.T) (*pipeline.Engine, *pipeline.Chain, []*pipeline.StageResult, []*pipeline.Trial, *config.File) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(path, []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := stages.Builtin()
	chain, err := pipeline.Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	eng := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), Version: "test", Workers: 1, RecordFailures: true}
	t.Cleanup(func() { eng.Close() })
	res, err := eng.Run(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	trials, err := pipeline.Expand(context.Background(), f, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range pipeline.RunTrials(context.Background(), eng, trials, 2, nil) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	return eng, chain, res, trials, f
}

func TestARunDirectoryIsCompleteAndEveryDamageIsFound(t *testing.T) {
	_, chain, res, _, _ := runSmall(t)
	dir := filepath.Join(t.TempDir(), "small", "20250101T000000-abcdefab")
	run, err := results.WriteRun(dir, chain, res, results.Info{ID: "20250101T000000-abcdefab", Seconds: 1.5, Version: "test"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := results.CheckRun(dir); err != nil {
		t.Fatalf("CheckRun of a run just written: %v", err)
	}
	if run.Summary.Status != results.StatusOK || run.MetricsJSON == nil || math.IsNaN(run.Summary.TestAcc) {
		t.Errorf("run = %+v, want status ok with metrics", run.Summary)
	}
	m, err := results.ReadManifest(dir)
	if err != nil || m.Format != results.Format || m.RunID != run.ID || m.Name != "small" || m.ConfigSHA256 != chain.Hash || len(m.Stages) != len(res) {
		t.Fatalf("manifest = %+v, %v", m, err)
	}
	for _, damage := range []struct {
		name string
		do   func(dir string) error
	}{
		{"a file changed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "model.json"), []byte("{}"), 0o644)
		}},
		{"a file removed", func(dir string) error { return os.Remove(filepath.Join(dir, "summary.md")) }},
		{"a file added", func(dir string) error { return os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644) }},
		{"the manifest garbled", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{"), 0o644)
		}},
		{"the manifest gone", func(dir string) error { return os.Remove(filepath.Join(dir, "manifest.json")) }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			copyDir := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(copyDir, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			if err := damage.do(copyDir); err != nil {
				t.Fatal(err)
			}
			if err := results.CheckRun(copyDir); err == nil {
				t.Error("CheckRun = nil, want the damage found")
			}
		})
	}
}

func TestASweepDirectoryIsCompleteAndItsSummaryHasARowPerTrial(t *testing.T) {
	eng, _, _, trials, f := runSmall(t)
	final, sw := collectSmall(t, eng, trials, f)
	if err := results.CheckSweep(final); err != nil {
		t.Fatalf("CheckSweep of a sweep just collected: %v", err)
	}
	m, err := results.ReadSweepManifest(final)
	if err != nil || len(m.Trials) != 4 || m.Pending != 0 || m.Axes[0].Key != "train.hidden" || !slices.Equal(m.Axes[0].Values, []string{"1", "2"}) {
		t.Fatalf("sweep.json = %+v, %v", m, err)
	}
	sum, err := results.ReadSummary(filepath.Join(final, results.SummaryFile))
	if err != nil || sum.Rows != 4 {
		t.Fatalf("summary: %v rows, %v", sum, err)
	}
	hidden, _ := sum.Column("train.hidden")
	if !slices.Equal(hidden.([]int64), []int64{1, 1, 2, 2}) {
		t.Errorf("train.hidden = %v, want the grid order 1, 1, 2, 2", hidden)
	}
	// The sweep's table has the numbers compare --group-by gives.
	table, err := sw.Table()
	if err != nil {
		t.Fatal(err)
	}
	c, err := results.LoadComparison([]string{final}, [][]string{{filepath.Join(final, results.SummaryFile)}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Grouped([]string{"train.hidden"})
	if err != nil {
		t.Fatal(err)
	}
	grouped := v.Table(report.Markdown, nil) // train.hidden, n, the four metrics in MetricNames order
	if len(table.Rows) != 2 || len(grouped.Rows) != 2 {
		t.Fatalf("sweep table %v, compare --group-by %v; want two settings each", table.Rows, grouped.Rows)
	}
	for i, row := range table.Rows { // train.hidden, trials, test acc, test CE, train acc, train CE
		g := grouped.Rows[i]
		if strings.TrimSuffix(row[0], " *") != g[0] || row[1] != g[1] || row[2] != g[5] || row[3] != g[3] || row[4] != g[4] || row[5] != g[2] {
			t.Errorf("sweep table row %v, compare --group-by row %v: want the same numbers", row, g)
		}
	}
	if err := os.MkdirAll(filepath.Join(final, results.TrialsDir, "0123456789ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.CheckSweep(final); err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Errorf("CheckSweep with a trial sweep.json does not list = %v, want it named", err)
	}
}

func TestFormatValuePrintsParametersExactlyAndMeasurementsRounded(t *testing.T) {
	for _, c := range []struct {
		column string
		v      any
		want   string
	}{
		{"train.learning_rate", 0.5, "0.5"},
		{"train.epsilon", 0.001, "0.001"},
		{"train.epsilon", 1e-5, "1e-05"},
		{"train.hidden", int64(12), "12"},
		{"train.hidden", int32(-3), "-3"},
		{"split.shuffle", true, "true"},
		{"train.gradient", "backprop", "backprop"},
		{"test_accuracy", 0.88, "0.8800"},
		{"test_accuracy", math.NaN(), "-"},
		{"train_cross_entropy", 1.234e-5, "1.23e-05"},
		{"seconds", 2.0, "2.0000"},
		{"train_seconds", 0.0, "0.0000"},
	} {
		if got := results.FormatValue(c.column, c.v); got != c.want {
			t.Errorf("FormatValue(%q, %v) = %q, want %q", c.column, c.v, got, c.want)
		}
	}
}

func TestASummaryReadsBackAsWritten(t *testing.T) {
	rows := []*results.Row{
		{TrialID: "a", Name: "n", Status: results.StatusOK, Seconds: 1, Params: []results.Param{{"seed", int64(1)}, {"train.learning_rate", 0.5}},
			TrainCE: 0.1, TestCE: 0.2, TrainAcc: 0.9, TestAcc: 0.8, TrainSeconds: 0.01},
		{TrialID: "b", Name: "n", Status: results.StatusFailed, Error: "boom", Params: []results.Param{{"seed", int64(2)}, {"split.shuffle", true}},
			TrainCE: math.NaN(), TestCE: math.NaN(), TrainAcc: math.NaN(), TestAcc: math.NaN()},
	}
	path := filepath.Join(t.TempDir(), results.SummaryFile)
	if err := results.WriteSummary(path, rows, "test"); err != nil {
		t.Fatal(err)
	}
	got, err := results.ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got.Fields {
		names = append(names, f.Name)
	}
	want := []string{"trial_id", "name", "status", "error", "seconds", "seed", "train.learning_rate", "split.shuffle",
		"train_cross_entropy", "test_cross_entropy", "train_accuracy", "test_accuracy", "train_seconds", "stopped_at"}
	if !slices.Equal(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	lr, _ := got.Column("train.learning_rate")
	if x := lr.([]float64); x[0] != 0.5 || !math.IsNaN(x[1]) {
		t.Errorf("train.learning_rate = %v, want 0.5 and NaN for the row without it", x)
	}
	if got.Meta["nnpipe.version"] != "test" {
		t.Errorf("metadata %v, want nnpipe.version", got.Meta)
	}
	notSummary := filepath.Join(t.TempDir(), "split.parquet")
	if err := dataset.WriteSplit(notSummary, dataset.Split{Train: []int{0}, Test: []int{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := results.ReadSummary(notSummary); err == nil || !strings.Contains(err.Error(), "no trial_id column") {
		t.Errorf("ReadSummary of a split = %v, want it refused", err)
	}
}

func TestReferencedKeysAreThoseOfFinishedRunsOnly(t *testing.T) {
	_, chain, res, _, _ := runSmall(t)
	root := t.TempDir()
	if _, err := results.WriteRun(filepath.Join(root, "small", "r1"), chain, res, results.Info{ID: "r1", Version: "test"}, false); err != nil {
		t.Fatal(err)
	}
	// An unfinished run and the cache are not read.
	if err := os.MkdirAll(filepath.Join(root, "small", ".tmp-r2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "small", ".tmp-r2", "manifest.json"), []byte(`{"stages":[{"key":"unfinished"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := results.ReferencedKeys(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(res) || keys["unfinished"] {
		t.Errorf("referenced keys %v, want the %d of the finished run", keys, len(res))
	}
	for _, r := range res {
		if !keys[r.Key] {
			t.Errorf("key of stage %s not referenced", r.ID)
		}
	}
}

// TestReferencedKeysStopsWhenItsContextEnds reads three finished runs'
// references with a context that ends at the walk's second look: it must
// stop there with the interrupt rather than read the rest.
func TestReferencedKeysStopsWhenItsContextEnds(t *testing.T) {
	_, chain, res, _, _ := runSmall(t)
	root := t.TempDir()
	for _, id := range []string{"r1", "r2", "r3"} {
		if _, err := results.WriteRun(filepath.Join(root, "small", id), chain, res, results.Info{ID: id, Version: "test"}, false); err != nil {
			t.Fatal(err)
		}
	}
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 2}
	if keys, err := results.ReferencedKeys(ctx, root); !errors.Is(err, context.Canceled) || ctx.Polls != 2 {
		t.Errorf("ReferencedKeys interrupted at its second look = %d keys, %v after %d looks; want context.Canceled at the second", len(keys), err, ctx.Polls)
	}
}

func TestASecondRunInTheSameSecondTakesTheNextSuffix(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "small")
	base := "20250101T000000-abcdefab"
	first, attempt, err := results.StartRun(folder, "", base)
	if err != nil || attempt != 1 {
		t.Fatal(attempt, err)
	}
	second, attempt2, err := results.StartRun(folder, "", base)
	if err != nil {
		t.Fatal(err)
	}
	fill := func(rd *pipeline.RunDir) func(string) error {
		return func(id string) error { return rd.WriteFile("id", []byte(id)) }
	}
	if err := results.CommitRun(second, false, base, attempt2, fill(second)); err != nil {
		t.Fatal(err)
	}
	if err := results.CommitRun(first, false, base, attempt, fill(first)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{base, base + "-2"} {
		b, err := os.ReadFile(filepath.Join(folder, id, "id"))
		if err != nil || string(b) != id {
			t.Errorf("%s holds %q, %v; want its own id", id, b, err)
		}
	}
}

func TestFindTakesEveryRunAndSweepAtAnyDepthOnce(t *testing.T) {
	root := t.TempDir()
	summary := func(dir string) string {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		row := &results.Row{TrialID: filepath.Base(dir), Status: results.StatusOK}
		path := filepath.Join(dir, results.SummaryFile)
		if err := results.WriteSummary(path, []*results.Row{row}, "test"); err != nil {
			t.Fatal(err)
		}
		return path
	}
	marker := func(dir, name string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runA := summary(filepath.Join(root, "a", "run1"))
	runB := summary(filepath.Join(root, "b", "deeper", "run2"))
	sweep := summary(filepath.Join(root, "a", "sweep-1"))
	trial := summary(filepath.Join(root, "a", "sweep-1", "trials", "t1")) // in the sweep's summary
	summary(filepath.Join(root, ".cache", "v1", "x"))                     // hidden: not searched
	summary(filepath.Join(root, "a", ".tmp-run3"))                        // unfinished
	marker(filepath.Join(root, "a", "sweep-2"), results.SweepFile)        // a sweep with no trial done...
	summary(filepath.Join(root, "a", "sweep-2", "trials", "stray"))       // ...is not searched either
	if err := os.Symlink(root, filepath.Join(root, "b", "loop")); err != nil {
		t.Fatal(err)
	}
	got, err := results.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{runA, sweep, runB}; !slices.Equal(got, want) {
		t.Errorf("Find(root) =\n%v\nwant\n%v", got, want)
	}
	for _, c := range []struct {
		path string
		want []string
	}{
		{filepath.Join(root, "a", "sweep-1", "trials", "t1"), []string{trial}},
		{filepath.Join(root, "a", "sweep-1", "trials"), []string{trial}},
		{trial, []string{trial}},
		{filepath.Join(root, "b"), []string{runB}},
	} {
		if got, err := results.Find(c.path); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Find(%s) = %v, %v; want %v", c.path, got, err, c.want)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "empty", ".tmp-x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{filepath.Join(root, "nope"), filepath.Join(root, "empty"), filepath.Join(root, "a", ".tmp-run3")} {
		if _, err := results.Find(bad); !pipeline.IsInvalid(err) {
			t.Errorf("Find(%s) = %v, want invalid input", bad, err)
		}
	}
}

// TestFindRefusesASummaryThatIsNoFile: a summary.parquet given that is a
// named pipe, or a link to one, or the folder holding it, is refused as
// invalid input, naming what it is: reading it would wait for a writer for
// ever, deaf to Ctrl-C; and the folder is not said to have no summary.
func TestFindRefusesASummaryThatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe", results.SummaryFile)
	link := filepath.Join(dir, "link", results.SummaryFile)
	for _, d := range []string{filepath.Dir(pipe), filepath.Dir(link)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(pipe, link); err != nil {
		t.Fatal(err)
	}
	// Given as the file, or as the folder that holds it.
	for _, path := range []string{pipe, link, filepath.Dir(pipe), filepath.Dir(link)} {
		got, err := results.Find(path)
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "a named pipe") {
			t.Errorf("Find(%s) = %v, %v; want invalid input naming a named pipe", path, got, err)
		}
	}
}

// TestTrialsCollectedEarlyGiveTheSameSweepDirectory: a sweep directory whose trials were
// collected as they finished, in any order, holds the files of one collected at the end, with
// the same bytes (but for the times of writing).
func TestTrialsCollectedEarlyGiveTheSameSweepDirectory(t *testing.T) {
	eng, _, _, trials, f := runSmall(t)
	collect := func(early []int) map[string][]byte {
		final := filepath.Join(t.TempDir(), "small", "sweep-x")
		rd, err := pipeline.NewReplacingRunDir(final)
		if err != nil {
			t.Fatal(err)
		}
		sw := &results.Sweep{ID: "x", Name: "small", Axes: f.Sweep}
		c := results.NewSweepCollector(rd, eng, sw, trials, "test")
		for _, i := range early {
			c.Collect(trials[i])
		}
		c.Collect(&pipeline.Trial{ID: "not-one-of-them"}) // ignored
		if err := rd.Finish(c.Finish(context.Background(), 2)); err != nil {
			t.Fatal(err)
		}
		if err := results.CheckSweep(final); err != nil {
			t.Fatalf("CheckSweep: %v", err)
		}
		files := map[string][]byte{}
		err = filepath.WalkDir(final, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			rel, _ := filepath.Rel(final, path)
			files[rel] = withoutTimes(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	atTheEnd := collect(nil)
	for _, early := range [][]int{{0}, {3, 1}, {0, 1, 2, 3}} {
		got := collect(early)
		if len(got) != len(atTheEnd) {
			t.Errorf("trials %v collected early: %d files, want %d", early, len(got), len(atTheEnd))
		}
		for name, want := range atTheEnd {
			if b, ok := got[name]; !ok || !slices.Equal(b, want) {
				t.Errorf("trials %v collected early: %s differs from the sweep collected at the end", early, name)
			}
		}
	}
}

// TestASweepDirectoryRemovedUnderTheSweepIsNotMadeAgain removes the sweep
// directory under construction after its first trial's directory was
// written, as a hand would: the next trials fail with ErrRemoved instead of
// making the folder again, Finish reports it, and nothing is left.
func TestASweepDirectoryRemovedUnderTheSweepIsNotMadeAgain(t *testing.T) {
	eng, _, _, trials, f := runSmall(t)
	parent := t.TempDir()
	rd, err := pipeline.NewReplacingRunDir(filepath.Join(parent, "small", "sweep-x"))
	if err != nil {
		t.Fatal(err)
	}
	c := results.NewSweepCollector(rd, eng, &results.Sweep{ID: "x", Name: "small", Axes: f.Sweep}, trials, "test")
	c.Collect(trials[0])
	if err := os.RemoveAll(rd.Path("")); err != nil {
		t.Fatal(err)
	}
	c.Collect(trials[1])
	err = rd.Finish(c.Finish(context.Background(), 2))
	if !errors.Is(err, pipeline.ErrRemoved) {
		t.Errorf("the sweep after its folder was removed = %v, want ErrRemoved", err)
	}
	var left []string
	filepath.WalkDir(parent, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != parent {
			left = append(left, strings.TrimPrefix(path, parent))
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("left %v, want nothing", left)
	}
}

// withoutTimes returns b with the values of JSON time fields ("created": "…", "seconds": …)
// blanked.
func withoutTimes(b []byte) []byte {
	return timeFields.ReplaceAll(b, []byte(`"$1": _`))
}

var timeFields = regexp.MustCompile(`"(created|seconds|compute_seconds)": *("[^"]*"|[0-9.e+-]+)`)

// TestRowTableShowsNoTrainTimeWithoutTraining checks the printed summary's
// train time: the headline stage's compute time, and "-" for a run with no
// stage of a kind that trains (one that only predicts), not "0 µs".
func TestRowTableShowsNoTrainTimeWithoutTraining(t *testing.T) {
	trained := &results.Row{TrialID: "a", TrainSeconds: 0.0125, Headline: []pipeline.Headline{{Label: "hidden", Value: int64(2)}},
		TrainCE: math.NaN(), TestCE: math.NaN(), TrainAcc: math.NaN(), TestAcc: math.NaN()}
	untrained := &results.Row{TrialID: "b", TrainCE: math.NaN(), TestCE: math.NaN(), TrainAcc: math.NaN(), TestAcc: math.NaN()}
	for _, tc := range []struct {
		row  *results.Row
		want string
	}{{trained, "12.5 ms"}, {untrained, "-"}} {
		table := tc.row.Table()
		got := table.Rows[0][len(table.Rows[0])-1]
		if h := table.Header[len(table.Header)-1]; h != "train time" || got != tc.want {
			t.Errorf("run %s: last column %q = %q, want train time %q", tc.row.TrialID, h, got, tc.want)
		}
	}
}

// TestACollectionNeverReplacesWhatWasPutInItsPlaceMeanwhile: a collection
// that found every trial pending (a stale look at the cache) finishes its
// directory; before it commits, another process puts something in the
// sweep's place — a complete collection of the finished trials, a user's
// folder, a file. The commit puts it back whole and fails, and leaves no
// folder of its own behind.
func TestACollectionNeverReplacesWhatWasPutInItsPlaceMeanwhile(t *testing.T) {
	eng, _, _, trials, f := runSmall(t)
	stale := &pipeline.Engine{Cache: cache.Open(filepath.Join(t.TempDir(), "empty")), Version: "test", RecordFailures: true}
	defer stale.Close()
	for _, c := range []struct {
		name string
		put  func(t *testing.T, final string)
		want func(err error) bool
	}{
		{"a collection of the finished trials", func(t *testing.T, final string) {
			rd, err := pipeline.NewReplacingRunDir(final)
			if err != nil {
				t.Fatal(err)
			}
			col := results.NewSweepCollector(rd, eng, &results.Sweep{ID: "x", Name: "small", Axes: f.Sweep}, trials, "test")
			if err := rd.Finish(col.Finish(context.Background(), 2)); err != nil {
				t.Fatal(err)
			}
		}, func(err error) bool { return errors.Is(err, results.ErrWouldLose) }},
		{"a user's folder", func(t *testing.T, final string) {
			if err := os.MkdirAll(filepath.Join(final, "mine"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(final, "mine", "thesis.tex"), []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(err error) bool {
			return pipeline.IsInvalid(err) && strings.Contains(err.Error(), `sweep-x holds "mine", which a sweep directory does not`)
		}},
		{"a file", func(t *testing.T, final string) {
			if err := os.WriteFile(final, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(err error) bool {
			return pipeline.IsInvalid(err) && strings.Contains(err.Error(), "sweep-x exists and is not a sweep directory but a file")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "small")
			final := filepath.Join(parent, "sweep-x")
			rd, err := pipeline.NewReplacingRunDir(final)
			if err != nil {
				t.Fatal(err)
			}
			col := results.NewSweepCollector(rd, stale, &results.Sweep{ID: "x", Name: "small", Axes: f.Sweep}, trials, "test")
			finished := col.Finish(context.Background(), 2)
			if finished != nil {
				t.Fatal(finished)
			}
			c.put(t, final)
			before := snapshot(t, final)
			err = rd.Finish(finished)
			if !c.want(err) {
				t.Errorf("the commit = %v, want it refused", err)
			}
			if after := snapshot(t, final); !maps.Equal(after, before) {
				t.Errorf("the commit changed what was in its place:\nbefore %v\nafter  %v", before, after)
			}
			if left, _ := filepath.Glob(filepath.Join(parent, pipeline.TempPrefix+"*")); len(left) != 0 {
				t.Errorf("the refused commit left %v", left)
			}
		})
	}
}

// snapshot maps every file under path (path itself when it is a file) to
// its content.
func snapshot(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// beforeGC is a cache whose GC first calls before: what another process
// does while gc starts.
type beforeGC struct {
	cache.Store
	before func()
}

func (b beforeGC) GC(opts cache.GCOptions) (*cache.GCResult, error) {
	b.before()
	return b.Store.GC(opts)
}

// TestGCReadsTheRunsOnceItHoldsTheLeases: a run that commits its
// directory, and drops its lease, after gc started but before gc read the
// leases, keeps its entries: gc reads the runs it keeps after the leases,
// not before.
func TestGCReadsTheRunsOnceItHoldsTheLeases(t *testing.T) {
	eng, chain, res, _, _ := runSmall(t)
	dir := eng.Cache.Dir()
	eng.Close() // the run's lease is gone, as once it has committed
	root := t.TempDir()
	c := cache.Open(dir)
	defer c.Close()
	st := beforeGC{Store: c, before: func() {
		if _, err := results.WriteRun(filepath.Join(root, "small", "20250101T000000-abcdefab"), chain, res, results.Info{ID: "20250101T000000-abcdefab", Version: "test"}, true); err != nil {
			t.Fatal(err)
		}
	}}
	if _, _, err := results.GC(context.Background(), st, root, 0, false); err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if _, err := c.Get(r.Key); err != nil {
			t.Errorf("gc removed stage %s's entry, which the run committed meanwhile references: %v", r.ID, err)
		}
	}
}

// TestShowOfADamagedRunNotesWhatItCannotPrint: a metrics.json whose
// classes do not fit its confusion matrix (it panicked), one that is torn
// or not JSON (it was left out silently), or a summary.parquet of no rows,
// is left out with a line saying why; a missing metrics.json is left out
// silently; a manifest.json that names no run is not a run, exit 2.
func TestShowOfADamagedRunNotesWhatItCannotPrint(t *testing.T) {
	_, chain, res, _, _ := runSmall(t)
	writeMetrics := func(content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, results.MetricsFile), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string // in the output; "" for a refusal
	}{
		{"a torn metrics.json", func(t *testing.T, dir string) {
			path := filepath.Join(dir, results.MetricsFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b[:100], 0o644); err != nil {
				t.Fatal(err)
			}
		}, "metrics.json left out: it is not JSON: unexpected end of JSON input"},
		{"a metrics.json of garbage", writeMetrics("\x00\xffgarbage"), "metrics.json left out: it is not JSON: invalid character"},
		{"a metrics.json with text for a count", writeMetrics(`{"train": {"n": "many"}}`), "metrics.json left out: it holds a JSON string in train.n"},
		{"an empty metrics.json object", writeMetrics(`{}`), "metrics.json left out: it lists no classes"},
		{"a metrics.json of null", writeMetrics(`null`), "metrics.json left out: it lists no classes"},
		{"a metrics.json that is a folder", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, results.MetricsFile)); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, results.MetricsFile), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "metrics.json left out: it is a folder"},
		{"no metrics.json", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, results.MetricsFile)); err != nil {
				t.Fatal(err)
			}
		}, "files in "},
		{"metrics of fewer classes than the matrix", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, results.MetricsFile), func(m map[string]any) {
				m["classes"] = m["classes"].([]any)[:1]
			})
		}, "train: left out: metrics.json: 1 classes, but a confusion matrix of 2 rows"},
		{"a summary of no rows", func(t *testing.T, dir string) {
			tw, err := dataset.CreateTable(filepath.Join(dir, results.SummaryFile), []dataset.Field{{Name: results.ColTrialID, Type: dataset.String}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
		}, "summary.parquet left out: it holds 0 rows, not the run's one"},
		{"a manifest of nothing", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, results.ManifestFile), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "small", "20250101T000000-abcdefab")
			if _, err := results.WriteRun(dir, chain, res, results.Info{ID: "20250101T000000-abcdefab", Version: "test"}, true); err != nil {
				t.Fatal(err)
			}
			c.damage(t, dir)
			var out strings.Builder
			err := results.Show(&out, dir)
			switch {
			case c.want == "" && !pipeline.IsInvalid(err):
				t.Errorf("Show = %v, want invalid input", err)
			case c.want != "" && (err != nil || !strings.Contains(out.String(), c.want)):
				t.Errorf("Show = %v, output:\n%s\nwant it to say %q", err, out.String(), c.want)
			case c.name == "no metrics.json" && strings.Contains(out.String(), "left out"):
				t.Errorf("Show output:\n%s\nwant nothing noted of a metrics.json that is not there", out.String())
			}
		})
	}
}

// TestReadComparableRefusesAMetricThatIsNoNumber: a summary whose metric
// column holds text (which compare printed as 0 and averaged), or whose
// status is no text, is not nnpipe's: it is refused, naming the column.
func TestReadComparableRefusesAMetricThatIsNoNumber(t *testing.T) {
	for _, c := range []struct {
		field dataset.Field
		value any
		want  string
	}{
		{dataset.Field{Name: "test_accuracy", Type: dataset.String}, []string{"0.95"}, `column "test_accuracy" holds string values, not the numbers of a metric`},
		{dataset.Field{Name: results.ColStatus, Type: dataset.Int64}, []int64{1}, `column "status" holds int64 values, not text`},
		{dataset.Field{Name: "test_accuracy", Type: dataset.Float64}, []float64{0.95}, ""},
	} {
		path := filepath.Join(t.TempDir(), results.SummaryFile)
		tw, err := dataset.CreateTable(path, []dataset.Field{{Name: results.ColTrialID, Type: dataset.String}, c.field}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.Append([]string{"r1"}, c.value); err != nil {
			t.Fatal(err)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		_, err = results.ReadComparable(path)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("ReadComparable with %s as %s = %v, want %q", c.field.Name, c.field.Type, err, c.want)
		}
	}
}

// TestCheckSweepPlaceLooksInsideTrials builds a sweep directory by hand
// whose trial holds a listed file in a subfolder, then adds to the trial
// what its manifest does not list: each is refused, named, and the
// directory as written is accepted.
func TestCheckSweepPlaceLooksInsideTrials(t *testing.T) {
	const id = "0123456789ab"
	for _, c := range []struct {
		name, want string
		add        func(trial string) error
	}{
		{"nothing added", "", func(string) error { return nil }},
		{"a file beside the listed ones", `holds "trials/` + id + `/notes.txt", which a sweep directory does not`, func(trial string) error {
			return os.WriteFile(filepath.Join(trial, "notes.txt"), []byte("precious"), 0o644)
		}},
		{"a file in a listed file's folder", `holds "trials/` + id + `/plots/mine.png", which a sweep directory does not`, func(trial string) error {
			return os.WriteFile(filepath.Join(trial, "plots", "mine.png"), []byte("precious"), 0o644)
		}},
		{"a folder in a listed file's folder", `holds "trials/` + id + `/plots/old", which a sweep directory does not`, func(trial string) error {
			return os.Mkdir(filepath.Join(trial, "plots", "old"), 0o755)
		}},
		{"a symbolic link for a listed file", `holds "trials/` + id + `/config.yaml", which a sweep directory does not`, func(trial string) error {
			if err := os.Remove(filepath.Join(trial, "config.yaml")); err != nil {
				return err
			}
			return os.Symlink("/etc/hostname", filepath.Join(trial, "config.yaml"))
		}},
		{"a damaged manifest", `holds "trials/` + id + `", whose manifest.json does not read (manifest.json: unexpected end of JSON input)`, func(trial string) error {
			return os.WriteFile(filepath.Join(trial, "manifest.json"), []byte(`{"files": `), 0o644)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			place := filepath.Join(t.TempDir(), "sweep-x")
			trial := filepath.Join(place, "trials", id)
			if err := os.MkdirAll(filepath.Join(trial, "plots"), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{
				"sweep.json":                      "{}",
				"trials/" + id + "/config.yaml":   "name: x\n",
				"trials/" + id + "/plots/a.png":   "png",
				"trials/" + id + "/manifest.json": `{"files": {"config.yaml": "1", "plots/a.png": "2"}}`,
			} {
				if err := os.WriteFile(filepath.Join(place, filepath.FromSlash(name)), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.add(trial); err != nil {
				t.Fatal(err)
			}
			err := results.CheckSweepPlace(place)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("CheckSweepPlace: %v; want nil", err)
			case c.want != "" && (err == nil || !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), c.want)):
				t.Errorf("CheckSweepPlace: %v; want invalid input saying it %s", err, c.want)
			}
		})
	}
}

// TestTheJSONOutputsAlwaysHaveAnError: `run --json`, `sweep --json` and
// `sweep --shard --json` give every run and trial an "error", null when it
// is ok, so that a consumer can read the key without asking whether it is
// there; a failed trial's is its message.
func TestTheJSONOutputsAlwaysHaveAnError(t *testing.T) {
	eng, chain, res, trials, f := runSmall(t)
	run, err := results.WriteRun(filepath.Join(t.TempDir(), "small", "20250101T000000-abcdefab"), chain, res,
		results.Info{ID: "20250101T000000-abcdefab", Version: "test"}, true)
	if err != nil {
		t.Fatal(err)
	}
	_, sw := collectSmall(t, eng, trials, f)
	sw.Rebase()
	sweep, err := sw.JSON()
	if err != nil {
		t.Fatal(err)
	}
	outcomes := pipeline.RunTrials(context.Background(), eng, trials, 1, nil)
	shard := results.NewShardReport(eng, "0/1", "", outcomes).JSON
	failed := results.NewShardTrial(outcomes[0], results.StatusFailed, "boom")

	// errorOf decodes v's JSON as an object and returns its "error".
	errorOf := func(t *testing.T, v any) (any, bool) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		e, ok := m["error"]
		return e, ok
	}
	ok := map[string]any{"run --json": run.JSON()}
	for _, tr := range sweep.Trials {
		ok["sweep --json trial "+tr.TrialID] = tr
	}
	for _, tr := range shard.Trials {
		ok["sweep --shard --json trial "+tr.TrialID] = tr
	}
	if len(ok) != 1+2*len(trials) {
		t.Fatalf("%d outputs, want the run and %d trials of each sweep", len(ok), len(trials))
	}
	for name, v := range ok {
		if e, has := errorOf(t, v); !has || e != nil {
			t.Errorf("%s: error %v (present %t), want null", name, e, has)
		}
	}
	if e, _ := errorOf(t, failed); e != "boom" {
		t.Errorf("a failed shard trial: error %v, want \"boom\"", e)
	}
}

// collectSmall collects runSmall's trials into a new sweep directory,
// sweep-x, and returns it with the sweep.
func collectSmall(t *testing.T, eng *pipeline.Engine, trials []*pipeline.Trial, f *config.File) (string, *results.Sweep) {
	t.Helper()
	final := filepath.Join(t.TempDir(), "small", "sweep-x")
	rd, err := pipeline.NewReplacingRunDir(final)
	if err != nil {
		t.Fatal(err)
	}
	sw := &results.Sweep{ID: "x", Name: "small", Axes: f.Sweep}
	if err := rd.Finish(results.CollectSweep(context.Background(), rd, eng, sw, trials, 2, "test")); err != nil {
		t.Fatal(err)
	}
	return final, sw
}

// TestShowPrintsARunFromElsewhereAsText: a run directory copied from
// someone else may hold a file, or a manifest whose name, status or error,
// holds a terminal escape sequence or a bidirectional override; show
// prints each quoted, as messages name such text, so that it cannot
// recolour the terminal, set its title or reorder the line.
func TestShowPrintsARunFromElsewhereAsText(t *testing.T) {
	_, chain, res, _, _ := runSmall(t)
	dir := filepath.Join(t.TempDir(), "small", "20250101T000000-abcdefab")
	if _, err := results.WriteRun(dir, chain, res, results.Info{ID: "20250101T000000-abcdefab", Version: "test"}, true); err != nil {
		t.Fatal(err)
	}
	file := "notes\x1b]0;pwned\x07.txt"
	if err := os.WriteFile(filepath.Join(dir, file), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	editJSON(t, filepath.Join(dir, results.ManifestFile), func(m map[string]any) {
		m["name"], m["status"], m["error"] = "small\x1b[31m", "ok\u202e", "it failed \x1b[2J"
	})
	var out strings.Builder
	if err := results.Show(&out, dir); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Errorf("Show prints a control character:\n%q", out.String())
	}
	for _, want := range []string{`"small\x1b[31m"`, `"ok\u202e"`, `"it failed \x1b[2J"`, `"notes\x1b]0;pwned\a.txt"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Show does not print %s:\n%s", want, out.String())
		}
	}
}

// TestSummaryErrorsQuoteAPathThatIsNoPlainText: compare names a summary it
// cannot read; in a folder whose name holds a terminal escape sequence or
// a line break, the path is quoted as every message quotes such a path,
// so the message stays one line and cannot drive the terminal. A missing
// file is still one (show leaves it out silently).
func TestSummaryErrorsQuoteAPathThatIsNoPlainText(t *testing.T) {
	for _, name := range []string{"bad\x1b[31m", "two\nlines"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, results.SummaryFile)
		_, err := results.ReadSummary(path)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadSummary of a missing %q = %v, want a missing file", path, err)
		}
		for _, content := range []string{"PAR1 torn", ""} {
			if content == "" { // a Parquet file that is no summary
				tw, err := dataset.CreateTable(path, []dataset.Field{{Name: "x", Type: dataset.Int64}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tw.Close(); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := results.ReadSummaries([]string{path})
			if err == nil || strings.ContainsAny(err.Error(), "\x1b\n") || !strings.Contains(err.Error(), config.Shown(path)) {
				t.Errorf("ReadSummaries of %q = %q, want the path quoted", content, err)
			}
		}
	}
}

// editJSON rewrites the JSON object in the file at path as edit changes it.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
