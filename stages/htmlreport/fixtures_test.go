package htmlreport_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/results"
)

// fixtures are the results the tests report on, made once per test binary
// in a folder removed when the tests end.
var fixtures struct {
	once  sync.Once
	dir   string
	err   error
	book  string // the book's run (configs/book-ch7.yaml), with its report.html
	sweep string // a small sweep with plots, with its report.html
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

// sweepConfig is a sweep of 2 × 3 trials of a small problem with plots:
// every part of a drill-down, in a fraction of a second.
const sweepConfig = `name: small-sweep
seed: 1
stages:
  - {id: data, kind: generate, with: {dataset: moons, n: 60, noise: 0.2}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, steps: 60, learning_rate: 0.5, gradient: backprop}}
  - {id: eval, kind: evaluate}
  - {id: plots, kind: plot, with: {plots: [boundary], width: 200, height: 150, grid: 20}}
sweep:
  train.hidden: [1, 4]
  train.init.seed: [1, 2, 3]
`

// testdata returns the book run and the sweep, writing them the first time.
func testdata(t testing.TB) (book, sweep string) {
	t.Helper()
	fixtures.once.Do(func() {
		fixtures.dir, fixtures.err = os.MkdirTemp("", "htmlreport-")
		if fixtures.err == nil {
			fixtures.book, fixtures.sweep, fixtures.err = writeFixtures(fixtures.dir)
		}
	})
	if fixtures.err != nil {
		t.Fatal(fixtures.err)
	}
	return fixtures.book, fixtures.sweep
}

func writeFixtures(dir string) (book, sweep string, err error) {
	ctx := context.Background()
	reg := stages.Builtin()
	eng := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), Version: "test", Workers: 2, RecordFailures: true}
	defer eng.Close()
	f, err := config.Load("../../configs/book-ch7.yaml", nil)
	if err != nil {
		return "", "", err
	}
	chain, err := pipeline.Compile(f, reg)
	if err != nil {
		return "", "", err
	}
	res, err := eng.Run(ctx, chain)
	if err != nil {
		return "", "", err
	}
	book = filepath.Join(dir, "results", "book-ch7", "20250101T000000-"+chain.Hash[:8])
	info := results.Info{ID: filepath.Base(book), Seconds: 0.25, Version: "test", Report: htmlreport.ForDir("test")}
	if _, err := results.WriteRun(book, chain, res, info, false); err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(path, []byte(sweepConfig), 0o644); err != nil {
		return "", "", err
	}
	if f, err = config.Load(path, nil); err != nil {
		return "", "", err
	}
	trials, err := pipeline.Expand(ctx, f, reg)
	if err != nil {
		return "", "", err
	}
	for _, o := range pipeline.RunTrials(ctx, eng, trials, 2, nil) {
		if o.Err != nil {
			return "", "", o.Err
		}
	}
	sweep = filepath.Join(dir, "results", "small-sweep", "sweep-"+pipeline.SweepID(f.Sweep, trials))
	rd, err := pipeline.NewReplacingRunDir(sweep)
	if err != nil {
		return "", "", err
	}
	sw := &results.Sweep{ID: "x", Name: f.Name, Axes: f.Sweep, Report: htmlreport.ForDir("test")}
	return book, sweep, rd.Finish(results.CollectSweep(ctx, rd, eng, sw, trials, 2, "test"))
}

// synthetic describes row i of synthRuns: parameters, metrics, status.
type synthetic struct {
	id, key, gradient, status, err string
	seed, hidden                   int64
	lr, testCE, testAcc, trainAcc  float64
}

func synth(i int) synthetic {
	s := synthetic{
		id:       fmt.Sprintf("20250101T%06d-%08x", i, i*2654435761%(1<<32)),
		gradient: []string{"numerical", "backprop"}[i%2],
		status:   results.StatusOK,
		seed:     int64(i % 7), hidden: int64(1) << (i % 6), lr: 0.01 * math.Pow(2, float64(i%5)),
		// Cross-entropies over nine decades: as text, 1.23e-05 sorts after
		// 0.0012 and 10.0000 before 2.0000.
		testCE:   math.Pow(10, float64(i%9)-5) * (1 + float64(i%13)/10),
		testAcc:  0.5 + float64((i*37)%500)/1000,
		trainAcc: 0.6 + float64((i*53)%400)/1000,
	}
	sum := sha256.Sum256([]byte(s.id))
	s.key = hex.EncodeToString(sum[:])
	if i%97 == 5 {
		s.status, s.err = results.StatusDiverged, fmt.Sprintf("stage \"train\": diverged at step %d", i)
	}
	return s
}

// synthRuns writes n run directories under root like the book's run
// (its history, config, plots and confusion matrices, hard-linked where
// the file system allows), each with its own summary (synth(i)) and its
// own train key in its manifest.
func synthRuns(t testing.TB, root string, n int) {
	t.Helper()
	book, _ := testdata(t)
	var m results.Manifest
	b, err := os.ReadFile(filepath.Join(book, results.ManifestFile))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	pipeline.ForEach(context.Background(), n, runtime.GOMAXPROCS(0), func(i int) { errs[i] = synthRun(root, book, m, i) })
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// synthRun writes the run directory of synth(i) under root, from the
// book's run and its manifest m.
func synthRun(root, book string, m results.Manifest, i int) error {
	s := synth(i)
	dir := filepath.Join(root, "synthetic", s.id)
	if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
		return err
	}
	for _, name := range []string{results.ConfigFile, results.MetricsFile, htmlreport.HistoryFile, htmlreport.BoundaryFile} {
		if err := linkOrCopy(filepath.Join(book, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	m.RunID = s.id
	m.Stages = slices.Clone(m.Stages)
	for j := range m.Stages {
		if m.Stages[j].Kind == "train" {
			m.Stages[j].Key = s.key
		}
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, results.ManifestFile), b, 0o644); err != nil {
		return err
	}
	row := &results.Row{TrialID: s.id, Name: "synthetic", Status: s.status, Error: s.err, Seconds: 0.1 + float64(i%10)/100,
		Params: []results.Param{{Key: "seed", Value: s.seed}, {Key: "train.hidden", Value: s.hidden},
			{Key: "train.gradient", Value: s.gradient}, {Key: "train.learning_rate", Value: s.lr}},
		TrainCE: s.testCE / 2, TestCE: s.testCE, TrainAcc: s.trainAcc, TestAcc: s.testAcc}
	if s.status != results.StatusOK {
		row.TrainCE, row.TestCE, row.TrainAcc, row.TestAcc = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	}
	return results.WriteSummary(filepath.Join(dir, results.SummaryFile), []*results.Row{row}, "test")
}

func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
