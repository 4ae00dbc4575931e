package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/results"
)

const bookConfig = "../../configs/book-ch7.yaml"

// publishedOutputs are the files that must be byte-identical
// between a computed run and a cached rerun.
var publishedOutputs = []string{"predictions.parquet", "metrics.json", "history.parquet"}

func TestSecondRunIsAllCacheHitsWithIdenticalOutputs(t *testing.T) {
	results := t.TempDir()
	first := runJSONOf(t, bookConfig, "--results", results)
	second := runJSONOf(t, bookConfig, "--results", results)
	if len(first.Stages) != 6 {
		t.Fatalf("run reported %d stages, want 6", len(first.Stages))
	}
	for i := range first.Stages {
		if first.Stages[i].Cached {
			t.Errorf("first run: stage %q cached = true, want false", first.Stages[i].ID)
		}
		if !second.Stages[i].Cached {
			t.Errorf("second run: stage %q cached = false, want true", second.Stages[i].ID)
		}
		if first.Stages[i].Key != second.Stages[i].Key {
			t.Errorf("stage %q: keys differ between runs", first.Stages[i].ID)
		}
	}
	if first.RunDir == second.RunDir {
		t.Fatalf("both runs landed in %s", first.RunDir)
	}
	for _, name := range publishedOutputs {
		a, b := readFile(t, filepath.Join(first.RunDir, name)), readFile(t, filepath.Join(second.RunDir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the computed and the cached run", name)
		}
	}
	var manifest struct {
		Stages []struct{ Cached bool }
	}
	decodeJSONFile(t, filepath.Join(second.RunDir, "manifest.json"), &manifest)
	for i, s := range manifest.Stages {
		if !s.Cached {
			t.Errorf("second run's manifest: stage %d cached = false, want true", i)
		}
	}
}

func TestChangingStepsReusesUpstreamStages(t *testing.T) {
	results := t.TempDir()
	runJSONOf(t, bookConfig, "--results", results)
	r := runJSONOf(t, bookConfig, "--results", results, "--set", "train.steps=500")
	want := map[string]bool{"data": true, "split": true, "train": false, "eval": false, "predictions": false, "plots": false}
	for _, s := range r.Stages {
		if s.Cached != want[s.ID] {
			t.Errorf("with train.steps=500: stage %q cached = %v, want %v", s.ID, s.Cached, want[s.ID])
		}
	}
}

func TestNoCacheRecomputesTheSameBytes(t *testing.T) {
	results := t.TempDir()
	first := runJSONOf(t, bookConfig, "--results", results)
	again := runJSONOf(t, bookConfig, "--results", results, "--no-cache")
	for _, s := range again.Stages {
		if s.Cached {
			t.Errorf("--no-cache: stage %q cached = true, want false", s.ID)
		}
	}
	for _, name := range publishedOutputs {
		if !bytes.Equal(readFile(t, filepath.Join(first.RunDir, name)), readFile(t, filepath.Join(again.RunDir, name))) {
			t.Errorf("%s differs after recomputing with --no-cache", name)
		}
	}
}

func TestDamagedCacheEntryIsDetectedAndRecomputed(t *testing.T) {
	damages := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 10); err != nil {
				t.Fatal(err)
			}
		}},
		{"byte flipped", func(t *testing.T, path string) {
			b := readFile(t, path)
			b[len(b)/2] ^= 0x20
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			results := t.TempDir()
			first := runJSONOf(t, bookConfig, "--results", results)
			var trainKey string
			for _, s := range first.Stages {
				if s.ID == "train" {
					trainKey = s.Key
				}
			}
			d.damage(t, filepath.Join(results, ".cache", "v1", trainKey[:2], trainKey, "model.json"))
			stdout, stderr, code := nnpipe(t, "run", bookConfig, "--results", results, "--json")
			if code != 0 {
				t.Fatalf("rerun after damage: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "warning: recomputing damaged cache entry") || !strings.Contains(stderr, "stage=train") {
				t.Errorf("stderr = %q, want a warning naming the damaged train entry", stderr)
			}
			if !strings.Contains(stdout, `"cached": false`) {
				t.Errorf("rerun after damage reported every stage cached")
			}
			third := runJSONOf(t, bookConfig, "--results", results)
			for _, s := range third.Stages {
				if !s.Cached {
					t.Errorf("after the repair, stage %q cached = false, want true", s.ID)
				}
			}
		})
	}
}

func TestOutPutsTheRunExactlyThere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-run")
	r := runJSONOf(t, bookConfig, "--results", t.TempDir(), "--out", dir)
	if r.RunDir != dir {
		t.Errorf("run_dir = %q, want %q", r.RunDir, dir)
	}
	for _, name := range []string{"config.yaml", "manifest.json", "metrics.json", "summary.md", "summary.parquet", "predictions.parquet", "history.parquet"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run directory lacks %s: %v", name, err)
		}
	}
	if _, stderr, code := nnpipe(t, "run", bookConfig, "--results", t.TempDir(), "--out", dir, "--quiet"); code == 0 {
		t.Errorf("--out into a non-empty folder succeeded, want an error")
	} else if !strings.Contains(stderr, "not empty") {
		t.Errorf("stderr = %q, want it to say the folder is not empty", stderr)
	}
}

// TestOutRemovesWhatKilledRunsLeftBesideIt puts beside a run's and a
// sweep's --out the folder a killed run of that name leaves (no process
// holds it) and a user's file: the run and the sweep remove the first and
// keep the second.
func TestOutRemovesWhatKilledRunsLeftBesideIt(t *testing.T) {
	for _, c := range []struct{ cmd, config string }{{"run", bookConfig}, {"sweep", smallSweep}} {
		parent := t.TempDir()
		leftover := filepath.Join(parent, ".tmp-out-9x0kz1q")
		if err := os.MkdirAll(filepath.Join(leftover, "plots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(leftover, "plots", "boundary.png"), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(parent, "notes.txt"), []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := nnpipe(t, c.cmd, c.config, "--results", t.TempDir(), "--out", filepath.Join(parent, "out"), "--quiet"); code != 0 {
			t.Fatalf("%s --out: exit %d\n%s", c.cmd, code, stderr)
		}
		if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s --out left the killed run's folder beside it: %v", c.cmd, err)
		}
		if _, err := os.Stat(filepath.Join(parent, "notes.txt")); err != nil {
			t.Errorf("%s --out removed the user's file beside it: %v", c.cmd, err)
		}
	}
}

func TestEffectiveConfigRunsAsItIsWithTheSameResults(t *testing.T) {
	results := t.TempDir()
	first := runJSONOf(t, bookConfig, "--results", results)
	again := runJSONOf(t, filepath.Join(first.RunDir, "config.yaml"), "--results", results)
	for i, s := range again.Stages {
		if s.Key != first.Stages[i].Key || !s.Cached {
			t.Errorf("stage %q from config.yaml: key %s cached %v, want the original key, cached", s.ID, s.Key[:8], s.Cached)
		}
	}
}

func TestBackpropConfigReachesTheBookAccuraciesAndPassesTheGradientCheck(t *testing.T) {
	r := runJSONOf(t, "../../configs/book-ch7-backprop.yaml", "--results", t.TempDir())
	var m struct {
		Train struct{ Accuracy float64 }
		Test  struct{ Accuracy float64 }
	}
	decodeJSONFile(t, filepath.Join(r.RunDir, "metrics.json"), &m)
	if m.Train.Accuracy != 0.91 || m.Test.Accuracy != 0.88 {
		t.Errorf("backprop accuracies train %v test %v, want the book's 0.91 and 0.88", m.Train.Accuracy, m.Test.Accuracy)
	}
	var g struct {
		Status   string  `json:"status"`
		MaxRel   float64 `json:"max_rel"`
		WorstRel string  `json:"worst_rel"`
	}
	decodeJSONFile(t, filepath.Join(r.RunDir, "gradcheck.json"), &g)
	// At ε = 1e-6 the central difference's ε² error is ~1e-12 and its
	// rounding ~1e-16/ε = 1e-10 relative: far inside the 1e-6 tolerance.
	if g.Status != "ok" || g.MaxRel > 1e-6 || g.WorstRel == "" {
		t.Errorf("gradcheck = %+v, want ok within 1e-6 naming the worst parameter", g)
	}
}

func TestDivergedRunKeepsItsHistoryAndFails(t *testing.T) {
	resultsDir := t.TempDir()
	_, stderr, code := nnpipe(t, "run", bookConfig, "--results", resultsDir, "--set", "train.learning_rate=1e6")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	if !strings.Contains(stderr, "diverged at step 1") || !strings.Contains(stderr, "try a smaller learning_rate") {
		t.Errorf("stderr = %q, want the step and the advice", stderr)
	}
	runs, _ := filepath.Glob(filepath.Join(resultsDir, "book-ch7", "2*"))
	if len(runs) != 1 {
		t.Fatalf("run directories %v, want one for the diverged run", runs)
	}
	var m struct{ Status, Error string }
	decodeJSONFile(t, filepath.Join(runs[0], "manifest.json"), &m)
	if m.Status != "diverged" || !strings.Contains(m.Error, "step 1") {
		t.Errorf("manifest status %q error %q, want diverged naming the step", m.Status, m.Error)
	}
	h, err := dataset.ReadTable(filepath.Join(runs[0], "history.parquet"))
	if err != nil {
		t.Fatalf("the diverged run kept no history: %v", err)
	}
	if steps, _ := h.Column("step"); h.Rows != 1 || steps.([]int64)[0] != 0 {
		t.Errorf("history has %d rows, want the initial state only (it diverged at step 1)", h.Rows)
	}
	// Its report shows the run, diverged, with what it kept.
	if page := readFile(t, filepath.Join(runs[0], "report.html")); !bytes.Contains(page, []byte(`"diverged"`)) || !bytes.Contains(page, []byte(`"curve":{"x":"step"`)) {
		t.Error("the diverged run's report.html does not show it diverged with its history")
	}
	// Its manifest lists every file with its digest, and the stages that
	// ran before the training diverged.
	if err := results.CheckRunFiles(runs[0]); err != nil {
		t.Errorf("the diverged run directory: %v", err)
	}
	var stages struct{ Stages []struct{ ID, Key string } }
	decodeJSONFile(t, filepath.Join(runs[0], "manifest.json"), &stages)
	var ids []string
	for _, s := range stages.Stages {
		ids = append(ids, s.ID)
		if s.Key == "" {
			t.Errorf("stage %s has no key in the manifest", s.ID)
		}
	}
	if want := []string{"data", "split"}; !slices.Equal(ids, want) {
		t.Errorf("manifest stages %v, want %v (the ones that ran)", ids, want)
	}
	// With --json, stdout says where the diverged run went, and how it ended.
	out, stderr, code := nnpipe(t, "run", bookConfig, "--results", resultsDir, "--set", "train.learning_rate=1e6", "--json")
	var r runJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != exitFailure {
		t.Fatalf("run --json of a diverging run: exit %d, stdout %q (%v)\n%s", code, out, err, stderr)
	}
	if r.Status != "diverged" || !strings.Contains(string(r.Error), "diverged at step 1") || string(r.Metrics) != "null" || len(r.Stages) != 2 {
		t.Errorf("run --json = %+v, want status diverged with its error, null metrics and the two stages that ran", r)
	}
	if err := results.CheckRunFiles(r.RunDir); err != nil {
		t.Errorf("run --json names %s: %v", r.RunDir, err)
	}
}

func TestCacheGCRemovesHalfBuiltRunsOnlyOnceOld(t *testing.T) {
	results := t.TempDir()
	if err := os.Mkdir(filepath.Join(results, ".cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(results, "book-ch7", ".tmp-20260101T000000-aaaaaaaa-1")
	fresh := filepath.Join(results, "book-ch7", ".tmp-20260101T000000-bbbbbbbb-2")
	// A sweep folder made long ago that is still being filled: its
	// folder is old, the file just written is not.
	filling := filepath.Join(results, "book-ch7", ".tmp-sweep-cccccccc-3")
	// A run --out <results>/mine killed: built in results itself.
	outOld := filepath.Join(results, ".tmp-mine-4")
	for _, d := range []string{old, fresh, filling, outOld} {
		if err := os.MkdirAll(filepath.Join(d, "trials"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "trials", "config.yaml"), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old, filepath.Join(old, "trials"), filepath.Join(old, "trials", "config.yaml"), filling, filepath.Join(filling, "trials"),
		outOld, filepath.Join(outOld, "trials"), filepath.Join(outOld, "trials", "config.yaml")} {
		if err := os.Chtimes(p, twoHoursAgo, twoHoursAgo); err != nil {
			t.Fatal(err)
		}
	}
	// A dry run names the old one alone, and removes nothing.
	out, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--dry-run")
	if code != 0 {
		t.Fatalf("cache gc --dry-run: exit %d\n%s", code, stderr)
	}
	want := "would remove " + outOld + ", a half-built run directory (4 B)\nwould remove " + old + ", a half-built run directory (4 B)\n" +
		"would remove 0 entries and 2 leftovers, kept 0, would free 8 B\n"
	if out != want {
		t.Errorf("cache gc --dry-run printed\n%s\nwant\n%s", out, want)
	}
	for _, d := range []string{old, fresh, filling, outOld} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("cache gc --dry-run removed %s", d)
		}
	}
	out, stderr, code = nnpipe(t, "cache", "gc", "--results", results)
	if code != 0 {
		t.Fatalf("cache gc: exit %d\n%s", code, stderr)
	}
	for _, d := range []string{old, outOld} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("cache gc left %s, a half-built run two hours old", d)
		}
	}
	for _, d := range []string{fresh, filling} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("cache gc removed %s, which a run may still be building", d)
		}
	}
	if !strings.Contains(out, "removed 0 entries and 2 leftovers, kept 0, freed 8 B") {
		t.Errorf("cache gc printed %q, want the leftover and the 4 bytes it freed", out)
	}
}
