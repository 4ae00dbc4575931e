package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

const (
	irisAdamConfig = "../../configs/iris-adam.yaml"
	irisCVConfig   = "../../configs/iris-cv.yaml"
)

// TestTrainingOptionsThatDoNotFitAreRefused runs the training-option cases of
// testdata/trainopts through the CLI: exit 2, one line (the golden file)
// naming the stage and the key, nothing in the results folder, and no cache
// entry of the failing stage. Those a config alone shows are refused before
// anything runs; those that depend on the data when the stage runs.
func TestTrainingOptionsThatDoNotFitAreRefused(t *testing.T) {
	cases := []struct {
		name  string
		fails string // the failing stage; "" when the config itself is refused
	}{
		{"batch-size-too-large", "train"},
		{"batch-larger-than-early-stopping-leaves", "train"},
		{"early-stopping-empties-a-class", "train"},
		{"folds-more-than-a-class", "split"},
		{"folds-more-than-rows", "split"},
		{"fold-not-below-folds", ""},
		{"fold-without-folds", ""},
		{"negative-l2", ""},
		{"negative-batch-size", ""},
		{"unknown-optimizer", ""},
		{"early-stopping-typo", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "trainopts")
			stderr := runBadData(t, filepath.Join(dir, c.name+".yaml"), c.fails)
			golden(t, filepath.Join(dir, c.name+".golden"), stderr)
			_, verr, code := nnpipe(t, "validate", filepath.Join(dir, c.name+".yaml"))
			if valid := code == 0; valid != (c.fails != "") {
				t.Errorf("validate: exit %d (%s); want it to refuse exactly the cases the config alone shows", code, verr)
			}
		})
	}
}

// TestIrisAdamConfigStopsEarlyAndSaysWhere runs configs/iris-adam.yaml: Adam
// on mini-batches with weight decay and early stopping reaches the iris
// config's accuracy, stops before its steps, and the summary, the model,
// the history and the learning curve say where.
func TestIrisAdamConfigStopsEarlyAndSaysWhere(t *testing.T) {
	r := runJSONOf(t, irisAdamConfig, "--results", t.TempDir())
	var m loadMetrics
	decodeJSONFile(t, filepath.Join(r.RunDir, "metrics.json"), &m)
	if m.Test.Accuracy < 0.93 {
		t.Errorf("iris-adam test accuracy = %v, want at least 0.93", m.Test.Accuracy)
	}
	mod, err := model.Read(filepath.Join(r.RunDir, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if mod.Steps >= 5000 || mod.BestStep <= 0 || mod.BestStep >= mod.Steps || mod.L2 != 1e-4 {
		t.Errorf("model steps %d, best step %d, l2 %v; want a stop before 5000 after the best, and l2 1e-4", mod.Steps, mod.BestStep, mod.L2)
	}
	sum, err := dataset.ReadTable(filepath.Join(r.RunDir, "summary.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if col, ok := sum.Column("stopped_at"); !ok || col.([]int64)[0] != int64(mod.Steps) {
		t.Errorf("summary stopped_at = %v, want the model's %d steps", col, mod.Steps)
	}
	if col, ok := sum.Column("train.optimizer"); !ok || col.([]string)[0] != "adam" {
		t.Errorf("summary train.optimizer = %v, want adam", col)
	}
	h, err := dataset.ReadTable(filepath.Join(r.RunDir, "history.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"epoch", "val_ce"} {
		if _, ok := h.Column(name); !ok {
			t.Errorf("history has no %s column", name)
		}
	}
	for _, plot := range []string{"learning_curve.png", "weights.png"} {
		if _, err := os.Stat(filepath.Join(r.RunDir, "plots", plot)); err != nil {
			t.Errorf("plot missing: %v", err)
		}
	}
}

// TestCrossValidationAveragesOverFolds sweeps configs/iris-cv.yaml (2 hidden
// sizes × 5 folds) with one and with two jobs: the same results, each fold's
// test rows a fifth of the data and together all of it, and a table, a plot
// and `compare --group-by` that average over the folds as over seeds.
func TestCrossValidationAveragesOverFolds(t *testing.T) {
	if testing.Short() {
		t.Skip("two sweeps of 10 trials")
	}
	results := t.TempDir()
	one, code, stderr := sweepJSONOf(t, irisCVConfig, "--results", results, "--jobs", "1")
	if code != 0 || len(one.Trials) != 10 {
		t.Fatalf("sweep: exit %d, %d trials\n%s", code, len(one.Trials), stderr)
	}
	two, code, stderr := sweepJSONOf(t, irisCVConfig, "--results", t.TempDir(), "--jobs", "2", "--no-cache")
	if code != 0 {
		t.Fatalf("sweep --jobs 2: exit %d\n%s", code, stderr)
	}
	if a, b := summaryWithoutTimes(t, one.SweepDir), summaryWithoutTimes(t, two.SweepDir); !reflect.DeepEqual(a, b) {
		t.Error("the cross-validation sweep's summaries differ between --jobs 1 and 2")
	}
	for i := range one.Trials {
		a, b := one.Trials[i], two.Trials[i]
		for _, name := range []string{"model.json", "history.parquet", "predictions.parquet"} {
			if !bytes.Equal(readFile(t, filepath.Join(a.RunDir, name)), readFile(t, filepath.Join(b.RunDir, name))) {
				t.Errorf("trial %v: %s differs between --jobs 1 and 2", a.Values, name)
			}
		}
	}

	// Each hidden size's five folds test every row once.
	tested := map[string]map[int64]int{} // hidden -> row -> times tested
	for _, tr := range one.Trials {
		tbl, err := dataset.ReadTable(filepath.Join(tr.RunDir, "predictions.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := tbl.Column("row")
		split, _ := tbl.Column("split")
		h := tr.Values["train.hidden"]
		if tested[h] == nil {
			tested[h] = map[int64]int{}
		}
		n := 0
		for i, s := range split.([]string) {
			if s == "test" {
				tested[h][rows.([]int64)[i]]++
				n++
			}
		}
		if n != 30 {
			t.Errorf("trial %v tests %d rows, want a fifth of 150", tr.Values, n)
		}
	}
	for h, rows := range tested {
		for r, c := range rows {
			if c != 1 {
				t.Errorf("hidden %s: row %d tested %d times across the folds, want once", h, r, c)
			}
		}
		if len(rows) != 150 {
			t.Errorf("hidden %s: the folds test %d distinct rows, want all 150", h, len(rows))
		}
	}

	md := string(readFile(t, filepath.Join(one.SweepDir, "summary.md")))
	var cells [][]string
	for _, line := range strings.Split(strings.TrimSpace(md), "\n") {
		var row []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			row = append(row, strings.TrimSpace(c))
		}
		cells = append(cells, row)
	}
	if len(cells) != 4 || cells[0][0] != "train.hidden" || cells[0][1] != "trials" || cells[2][1] != "5" || cells[3][1] != "5" {
		t.Errorf("summary.md does not group by train.hidden alone with 5 trials each:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(one.SweepDir, "plots", "sweep.png")); err != nil {
		t.Errorf("sweep plot: %v", err)
	}
	out, errOut, code := nnpipe(t, "compare", one.SweepDir, "--group-by", "train.hidden", "--format", "csv")
	if code != 0 {
		t.Fatalf("compare --group-by: exit %d\n%s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][1] != "n" || recs[1][1] != "5" || recs[2][1] != "5" {
		t.Errorf("compare --group-by train.hidden =\n%s\nwant 2 groups of n = 5 (%v)", out, err)
	}
}

// TestTheBooksRunKeepsItsKeysAndFiles runs configs/book-ch7.yaml and checks
// its train stage's cache key and the digests of its model, history and
// learning curve. The history's digest is the one recorded before the
// training options existed; the keys and the model's changed only when
// model.json became self-sufficient (the train kind's version 2), the train
// key alone again when the fast numerical gradient stopped overflowing past
// ε·x = 709 (version 3; the book's bits are unchanged), the split key
// alone when a split column's numbers became decimals only (the split
// kind's version 3; the book splits by ratio), the learning
// curve's only with the faster PNG encoding. The digests depend on
// float64 arithmetic, which Go may fuse differently on other
// architectures: they are amd64's.
func TestTheBooksRunKeepsItsKeysAndFiles(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("recorded on amd64")
	}
	r := runJSONOf(t, bookConfig, "--results", t.TempDir())
	wantKeys := map[string]string{
		"train": "70316416e1aab50cebb33d6ebb7cc4ff7fb05b8d5f89636fbe8ef97a4162fc07",
		"split": "13fbf4bea86f4ad3ea983ad8f9d9053b1ae1aa1219d65d00656e9ec979b93480",
		"plots": "d07acc0b1cabf0a4d5c0780e086804bf4ef310972cdb7290ee2e949c8c278815",
	}
	for _, s := range r.Stages {
		if want, ok := wantKeys[s.ID]; ok && s.Key != want {
			t.Errorf("stage %s key %s, want %s", s.ID, s.Key, want)
		}
	}
	wantFiles := map[string]string{
		"model.json":               "93d8680b1a98efe7afd89f2628f65a18bb50a7950e3f7f7b0c9828a9da1558f2",
		"history.parquet":          "98c202e2f75f8bec83584fce580f6b245b19f8c106ae828c6fb58f725e0befae",
		"plots/learning_curve.png": "11d9998157c5158cc6fba803d0e309ebb35eac3c52722892d4425174ac7861e6",
	}
	for name, want := range wantFiles {
		sum := sha256.Sum256(readFile(t, filepath.Join(r.RunDir, filepath.FromSlash(name))))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s has SHA-256 %s, want %s", name, got, want)
		}
	}
}

// TestSweepAxesOfTrainingOptionsMustMatter: a sweep may vary an option the
// trials use (Adam's beta1 with adam) but not one they ignore (momentum with
// adam, train_ratio with folds).
func TestSweepAxesOfTrainingOptionsMustMatter(t *testing.T) {
	for _, c := range []struct {
		config, axis string
		ok           bool
	}{
		{irisAdamConfig, "sweep.train.beta1=0.8,0.9", true},
		{irisAdamConfig, "sweep.train.early_stopping.patience=5,10", true},
		{irisAdamConfig, "sweep.train.momentum=0.8,0.9", false},
		{irisAdamConfig, "sweep.train.decay_every=10,20", false},
		{irisCVConfig, "sweep.split.train_ratio=0.5,0.7", false},
		{irisCVConfig, "sweep.train.l2=0,0.001", true},
	} {
		_, stderr, code := nnpipe(t, "validate", c.config, "--set", c.axis)
		if ok := code == 0; ok != c.ok {
			t.Errorf("validate %s --set %s: exit %d (%s), want it accepted %v", c.config, c.axis, code, strings.TrimSpace(stderr), c.ok)
		}
	}
}
