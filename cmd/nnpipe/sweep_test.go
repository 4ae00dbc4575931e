package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages/dataset"

	"github.com/nnpipe/nnpipe/stages/results"
)

const smallSweep = "testdata/sweep/small.yaml"

func sweepJSONOf(t *testing.T, args ...string) (sweepJSON, int, string) {
	t.Helper()
	out, stderr, code := nnpipe(t, append([]string{"sweep", "--json", "--quiet"}, args...)...)
	var s sweepJSON
	if code == 0 || code == 1 {
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("sweep --json printed invalid JSON (exit %d): %v\n%s\n%s", code, err, out, stderr)
		}
	}
	return s, code, stderr
}

// summaryWithoutTimes reads summary.parquet and drops the wall-clock columns.
func summaryWithoutTimes(t *testing.T, dir string) map[string]any {
	t.Helper()
	tbl, err := dataset.ReadTable(filepath.Join(dir, "summary.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for i, f := range tbl.Fields {
		if f.Name == "seconds" || f.Name == "train_seconds" {
			continue
		}
		out[f.Name] = tbl.Columns[i]
	}
	return out
}

func TestSweepGivesIdenticalResultsWithOneOrTwoJobs(t *testing.T) {
	one, code, stderr := sweepJSONOf(t, smallSweep, "--results", t.TempDir(), "--jobs", "1")
	if code != 0 {
		t.Fatalf("sweep --jobs 1: exit %d\n%s", code, stderr)
	}
	two, code, stderr := sweepJSONOf(t, smallSweep, "--results", t.TempDir(), "--jobs", "2")
	if code != 0 {
		t.Fatalf("sweep --jobs 2: exit %d\n%s", code, stderr)
	}
	if len(one.Trials) != 6 || len(two.Trials) != 6 {
		t.Fatalf("trials: %d and %d, want 6 each", len(one.Trials), len(two.Trials))
	}
	if one.SweepID != two.SweepID {
		t.Errorf("sweep ids %s and %s differ", one.SweepID, two.SweepID)
	}
	for i := range one.Trials {
		a, b := one.Trials[i], two.Trials[i]
		if a.TrialID != b.TrialID {
			t.Fatalf("trial %d: ids %s and %s differ", i, a.TrialID, b.TrialID)
		}
		for _, name := range publishedOutputs {
			if !bytes.Equal(readFile(t, filepath.Join(a.RunDir, name)), readFile(t, filepath.Join(b.RunDir, name))) {
				t.Errorf("trial %s: %s differs between --jobs 1 and --jobs 2", a.TrialID, name)
			}
		}
	}
	if a, b := summaryWithoutTimes(t, one.SweepDir), summaryWithoutTimes(t, two.SweepDir); !reflect.DeepEqual(a, b) {
		t.Errorf("summary.parquet parameters and metrics differ between --jobs 1 and --jobs 2")
	}
}

func TestSweepRerunIsAllCacheHitsAndKeepsTrialIDs(t *testing.T) {
	results := t.TempDir()
	first, code, _ := sweepJSONOf(t, smallSweep, "--results", results)
	if code != 0 {
		t.Fatalf("first sweep: exit %d", code)
	}
	again, code, _ := sweepJSONOf(t, smallSweep, "--results", results)
	if code != 0 {
		t.Fatalf("second sweep: exit %d", code)
	}
	if again.SweepDir != first.SweepDir {
		t.Errorf("rerun landed in %s, want the same sweep directory %s", again.SweepDir, first.SweepDir)
	}
	for _, tr := range again.Trials {
		for _, s := range tr.Stages {
			if !s.Cached {
				t.Errorf("rerun: trial %s stage %s cached = false, want true", tr.TrialID, s.ID)
			}
		}
	}
	// A trial's id is its effective config's hash: the same trial run alone
	// has the same id.
	r := runJSONOf(t, smallSweep, "--results", results, "--set", "train.hidden=2", "--set", "train.init.seed=1")
	found := false
	for _, tr := range first.Trials {
		if tr.Values["train.hidden"] == "2" && tr.Values["train.init.seed"] == "1" {
			found = strings.HasSuffix(r.RunID, "-"+tr.TrialID[:8])
		}
	}
	if !found {
		t.Errorf("run of the same settings has id %s, which does not end in the trial's id prefix", r.RunID)
	}
}

func TestSweepRefusesAHugeGridBeforeExpandingIt(t *testing.T) {
	values := make([]string, 1000)
	for i := range values {
		values[i] = strings.Repeat("1", 1) // any value: the size is what counts
	}
	list := strings.Join(values, ",")
	results := t.TempDir()
	_, stderr, code := nnpipe(t, "sweep", smallSweep, "--results", results,
		"--set", "sweep.train.steps="+list, "--set", "sweep.train.learning_rate="+list, "--set", "sweep.seed="+list)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d", code, exitInvalid)
	}
	if !strings.Contains(stderr, "6000000000 trials, more than --max-trials 100000") {
		t.Errorf("stderr = %q, want the grid's size and the limit", stderr)
	}
	if left := listTree(t, results); len(left) > 0 {
		t.Errorf("results hold %v after a refused sweep", left)
	}
}

func TestSweepWithAnInvalidTrialRunsNothing(t *testing.T) {
	results := t.TempDir()
	_, stderr, code := nnpipe(t, "sweep", "testdata/sweep/invalid.yaml", "--results", results)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d\n%s", code, exitInvalid, stderr)
	}
	golden(t, "testdata/sweep/invalid.golden", stderr)
	if left := listTree(t, results); len(left) > 0 {
		t.Errorf("results hold %v after a refused sweep, want nothing", left)
	}
}

func TestSweepRecordsADivergedTrialAndFinishesTheOthers(t *testing.T) {
	s, code, stderr := sweepJSONOf(t, "testdata/sweep/diverging.yaml", "--results", t.TempDir())
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	statuses := map[string]string{}
	for _, tr := range s.Trials {
		statuses[tr.Values["train.learning_rate"]] = tr.Status
		if tr.Status == results.StatusDiverged && !strings.Contains(string(tr.Error), "step") {
			t.Errorf("diverged trial's error %q does not name the step", tr.Error)
		}
	}
	if statuses["0.5"] != results.StatusOK || statuses["1e6"] != results.StatusDiverged {
		t.Errorf("statuses = %v, want 0.5 ok and 1e6 diverged", statuses)
	}
	tbl, err := dataset.ReadTable(filepath.Join(s.SweepDir, "summary.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	status, _ := tbl.Column("status")
	acc, _ := tbl.Column("test_accuracy")
	for i, st := range status.([]string) {
		if st != results.StatusOK && !math.IsNaN(acc.([]float64)[i]) {
			t.Errorf("summary row %d: status %s with test accuracy %v, want NaN", i, st, acc.([]float64)[i])
		}
	}
	// Each trial, the diverged one too, is a complete run directory, so
	// the sweep's trials/ compares as the sweep does.
	if err := results.CheckSweep(s.SweepDir); err != nil {
		t.Error(err)
	}
	bySweep, stderr, code := nnpipe(t, "compare", s.SweepDir, "--format", "csv", "--sort", "train.learning_rate")
	byTrials, stderr2, code2 := nnpipe(t, "compare", filepath.Join(s.SweepDir, "trials"), "--format", "csv", "--sort", "train.learning_rate")
	if code != 0 || code2 != 0 || bySweep != byTrials || !strings.Contains(byTrials, results.StatusDiverged) {
		t.Errorf("compare of the sweep (exit %d):\n%s%s\ncompare of its trials/ (exit %d):\n%s%s\nwant the same rows, the diverged one included", code, bySweep, stderr, code2, byTrials, stderr2)
	}
}

func TestShardsStartedAtOnceThenCollectEqualOneProcess(t *testing.T) {
	binary(t) // build (or skip) here: t.Skip must not run in the goroutines below
	shared := t.TempDir()
	cacheDir := filepath.Join(shared, "cache")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	outs := make([][]byte, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := command(t, "sweep", smallSweep, "--shard", []string{"0/3", "1/3", "2/3"}[i], "--cache", cacheDir, "--results", shared, "--jobs", "1", "--quiet")
			outs[i], errs[i] = c.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d/3: %v\n%s", i, err, outs[i])
		}
	}
	collected, code, stderr := sweepJSONOf(t, smallSweep, "--collect", "--cache", cacheDir, "--results", shared)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	if collected.Pending != 0 || len(collected.Trials) != 6 {
		t.Fatalf("collect found %d trials and %d pending, want 6 and 0", len(collected.Trials), collected.Pending)
	}
	single, code, _ := sweepJSONOf(t, smallSweep, "--results", t.TempDir())
	if code != 0 {
		t.Fatalf("one-process sweep: exit %d", code)
	}
	if a, b := summaryWithoutTimes(t, collected.SweepDir), summaryWithoutTimes(t, single.SweepDir); !reflect.DeepEqual(a, b) {
		t.Errorf("the collected summary differs from a one-process sweep's")
	}
}

func TestCollectBeforeAnyTrialRanReportsThemPending(t *testing.T) {
	s, code, stderr := sweepJSONOf(t, smallSweep, "--collect", "--results", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if s.Pending != 6 || len(s.Trials) != 0 {
		t.Errorf("pending %d, trials %d; want 6 pending and none collected", s.Pending, len(s.Trials))
	}
}

// TestCollectNamesThePendingTrials runs one shard of three and collects:
// the trials the other shards did not run are named, with their values,
// in --json, in sweep.json and in the text output, so that a user knows
// which to run again, not only how many.
func TestCollectNamesThePendingTrials(t *testing.T) {
	cacheDir, res := t.TempDir(), t.TempDir()
	if _, stderr, code := nnpipe(t, "sweep", smallSweep, "--shard", "0/3", "--cache", cacheDir, "--results", res, "--quiet"); code != 0 {
		t.Fatalf("shard 0/3: exit %d\n%s", code, stderr)
	}
	s, code, stderr := sweepJSONOf(t, smallSweep, "--collect", "--cache", cacheDir, "--results", res)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	if s.Pending != 4 || len(s.Trials) != 2 {
		t.Fatalf("pending %d, trials %d; want shard 0's 2 trials collected and 4 pending", s.Pending, len(s.Trials))
	}
	seen := map[string]bool{}
	for _, tr := range s.Trials {
		seen[tr.TrialID] = true
	}
	if len(s.PendingTrials) != s.Pending {
		t.Fatalf("pending_trials lists %d trials, want the %d pending", len(s.PendingTrials), s.Pending)
	}
	for _, p := range s.PendingTrials {
		if seen[p.TrialID] || len(p.TrialID) != 12 || p.Status != results.StatusPending || p.Values["train.hidden"] == "" {
			t.Errorf("pending trial %+v: want a trial not collected, with its id, status %q and values", p, results.StatusPending)
		}
		seen[p.TrialID] = true
	}
	if len(seen) != 6 {
		t.Errorf("collected and pending trials are %d distinct ids, want the grid's 6", len(seen))
	}
	m, err := results.ReadSweepManifest(s.SweepDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.PendingTrials, s.PendingTrials) {
		t.Errorf("sweep.json's pending_trials %+v differ from --json's %+v", m.PendingTrials, s.PendingTrials)
	}
	out, _, code := nnpipe(t, "sweep", smallSweep, "--collect", "--cache", cacheDir, "--results", res)
	if code != 0 {
		t.Fatalf("collect: exit %d", code)
	}
	first := s.PendingTrials[0]
	if want := "not finished: " + first.TrialID + " ("; !strings.Contains(out, want) || !strings.Contains(out, "pending_trials") {
		t.Errorf("the text output does not name the first pending trial (%q) and where the rest are listed:\n%s", want, out)
	}
}

// TestAShardNamesTheSweepItRan runs shards of one array with the config
// as it is and as edited between tasks (another --set): each names the
// sweep it ran, so that the one run with the other config is told from
// the logs by an id other than the collected sweep's, whose trials it
// did not run.
func TestAShardNamesTheSweepItRan(t *testing.T) {
	cacheDir, res := t.TempDir(), t.TempDir()
	shard := func(i int, sets ...string) (shardJSON, string) {
		t.Helper()
		args := append([]string{"sweep", smallSweep, "--shard", fmt.Sprintf("%d/2", i), "--cache", cacheDir, "--results", res}, sets...)
		var r shardJSON
		out, stderr, code := nnpipe(t, append(args, "--json", "--quiet")...)
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("shard %d/2: exit %d\n%s%s", i, code, out, stderr)
		}
		text, _, _ := nnpipe(t, args...)
		return r, text
	}
	first, text := shard(0)
	edited, _ := shard(1, "--set", "train.steps=60")
	s, code, stderr := sweepJSONOf(t, smallSweep, "--collect", "--cache", cacheDir, "--results", res)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	if first.SweepID != s.SweepID || !strings.Contains(text, "sweep "+s.SweepID) {
		t.Errorf("shard 0/2 names sweep %q (text %q); want the collected sweep's %q", first.SweepID, text, s.SweepID)
	}
	if edited.SweepID == "" || edited.SweepID == s.SweepID {
		t.Errorf("the shard run with another config names sweep %q; want an id other than the collected %q", edited.SweepID, s.SweepID)
	}
	if s.Pending != len(edited.Trials) || len(s.Trials) != len(first.Trials) {
		t.Errorf("collected %d trials, %d pending; want shard 0's %d, and as many pending as the edited shard ran (%d)",
			len(s.Trials), s.Pending, len(first.Trials), len(edited.Trials))
	}
}

func TestShardFlagIsParsedOrRefused(t *testing.T) {
	for _, arg := range []string{"3/3", "x/2", "1", "-1/2"} {
		if _, stderr, code := nnpipe(t, "sweep", smallSweep, "--shard", arg, "--results", t.TempDir()); code != exitInvalid {
			t.Errorf("--shard %s: exit %d, want %d (%s)", arg, code, exitInvalid, stderr)
		}
	}
}

// TestCollectKeepsFinishedTrialsTheCacheNoLongerHas changes a sweep's data
// after it finished: the trials keep their ids (a trial is its config) but
// the cache has nothing for the new data, so collecting would replace the
// finished sweep directory with one of pending trials. The collection is
// refused, exit 1, and the directory is left as it was; rerunning the sweep
// computes the trials for the new data and replaces it.
func TestCollectKeepsFinishedTrialsTheCacheNoLongerHas(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	var csv strings.Builder
	csv.WriteString("a,b,y\n")
	for i := range 40 {
		fmt.Fprintf(&csv, "%d,%d,%d\n", i%7, i%5, i%2)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(data, csv.String())
	cfg := filepath.Join(dir, "s.yaml")
	write(cfg, `name: s
stages:
  - {id: data, kind: load, with: {path: d.csv, label: y}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, steps: 20}}
  - {id: eval, kind: evaluate}
sweep:
  train.hidden: [1, 2]
`)
	cacheDir, resultsDir := filepath.Join(dir, "cache"), filepath.Join(dir, "results")
	first, code, stderr := sweepJSONOf(t, cfg, "--cache", cacheDir, "--results", resultsDir)
	if code != 0 || len(first.Trials) != 2 {
		t.Fatalf("sweep: exit %d, %d trials\n%s", code, len(first.Trials), stderr)
	}
	manifest := readFile(t, filepath.Join(first.SweepDir, results.SweepFile))
	summary := summaryWithoutTimes(t, first.SweepDir)

	write(data, csv.String()+"3,3,1\n")
	_, stderr, code = nnpipe(t, "sweep", "--quiet", "--collect", cfg, "--cache", cacheDir, "--results", resultsDir)
	if code != 1 || !strings.Contains(stderr, "2 finished trials") || !strings.Contains(stderr, "not replacing it") {
		t.Fatalf("collect after the data changed: exit %d, want 1 naming the 2 finished trials; stderr:\n%s", code, stderr)
	}
	if got := readFile(t, filepath.Join(first.SweepDir, results.SweepFile)); !bytes.Equal(got, manifest) {
		t.Fatalf("the refused collection changed sweep.json:\n%s", got)
	}
	for _, tr := range first.Trials {
		if _, err := os.Stat(tr.RunDir); err != nil {
			t.Errorf("trial %s's directory is gone: %v", tr.TrialID, err)
		}
	}
	// The trials' folders say what the sweep holds when its sweep.json
	// cannot: torn, removed or edited by hand.
	sweepFile := filepath.Join(first.SweepDir, results.SweepFile)
	for _, damaged := range []struct {
		name  string
		bytes []byte // nil: removed
	}{{"torn", manifest[:len(manifest)/2]}, {"removed", nil}, {"listing no trials", []byte(`{"format": 2, "trials": []}`)}} {
		if damaged.bytes == nil {
			os.Remove(sweepFile)
		} else {
			write(sweepFile, string(damaged.bytes))
		}
		_, stderr, code = nnpipe(t, "sweep", "--quiet", "--collect", cfg, "--cache", cacheDir, "--results", resultsDir)
		if code != 1 || !strings.Contains(stderr, "2 finished trials") {
			t.Errorf("collect with sweep.json %s: exit %d, want 1 naming the 2 finished trials; stderr:\n%s", damaged.name, code, stderr)
		}
		for _, tr := range first.Trials {
			if _, err := os.Stat(filepath.Join(tr.RunDir, results.ManifestFile)); err != nil {
				t.Errorf("collect with sweep.json %s: trial %s's directory is gone: %v", damaged.name, tr.TrialID, err)
			}
		}
	}
	write(sweepFile, string(manifest))

	again, code, stderr := sweepJSONOf(t, cfg, "--cache", cacheDir, "--results", resultsDir)
	if code != 0 || len(again.Trials) != 2 || again.SweepDir != first.SweepDir {
		t.Fatalf("rerun after the data changed: exit %d, %d trials in %s\n%s", code, len(again.Trials), again.SweepDir, stderr)
	}
	if reflect.DeepEqual(summaryWithoutTimes(t, first.SweepDir), summary) {
		t.Errorf("the rerun on the new data did not replace the summary")
	}
	if _, code, stderr = sweepJSONOf(t, cfg, "--collect", "--cache", cacheDir, "--results", resultsDir); code != 0 {
		t.Errorf("collect after the rerun: exit %d\n%s", code, stderr)
	}
}

// TestCacheGCKeepsTheFailureRecordsOfAFinishedSweep ages a sweep's failure
// record past gc's keep-recent: the sweep's diverged trial references it,
// so gc keeps it, and the sweep still collects (a failed trial, exit 1)
// instead of counting the trial pending.
func TestCacheGCKeepsTheFailureRecordsOfAFinishedSweep(t *testing.T) {
	dir := t.TempDir()
	cacheDir, resultsDir := filepath.Join(dir, "cache"), filepath.Join(dir, "results")
	s, code, stderr := sweepJSONOf(t, "testdata/sweep/diverging.yaml", "--cache", cacheDir, "--results", resultsDir)
	if code != exitFailure {
		t.Fatalf("sweep: exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	records, _ := filepath.Glob(filepath.Join(cacheDir, "failures", "*"))
	if len(records) == 0 {
		t.Fatal("the sweep left no failure record")
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range records {
		filepath.WalkDir(p, func(path string, _ fs.DirEntry, _ error) error { return os.Chtimes(path, old, old) })
	}
	if _, stderr, code := nnpipe(t, "cache", "gc", "--cache", cacheDir, "--results", resultsDir); code != 0 {
		t.Fatalf("cache gc: exit %d\n%s", code, stderr)
	}
	for _, p := range records {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("gc removed %s, which the sweep's diverged trial references", p)
		}
	}
	again, code, stderr := sweepJSONOf(t, "testdata/sweep/diverging.yaml", "--collect", "--cache", cacheDir, "--results", resultsDir)
	if code != exitFailure || again.Pending != 0 || len(again.Trials) != len(s.Trials) {
		t.Errorf("collect after gc: exit %d, %d trials and %d pending; want %d, %d trials and none pending\n%s",
			code, len(again.Trials), again.Pending, exitFailure, len(s.Trials), stderr)
	}
}

// TestCacheGCDryRunListsEveryLeftoverItWouldRemove: with the sweep's
// results gone, its failure records are no one's; a dry run names each of
// them beside the entries, and the total it would free is what gc frees.
func TestCacheGCDryRunListsEveryLeftoverItWouldRemove(t *testing.T) {
	dir := t.TempDir()
	cacheDir, resultsDir := filepath.Join(dir, "cache"), filepath.Join(dir, "results")
	if _, code, stderr := sweepJSONOf(t, "testdata/sweep/diverging.yaml", "--cache", cacheDir, "--results", resultsDir); code != exitFailure {
		t.Fatalf("sweep: exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	if err := os.RemoveAll(filepath.Join(resultsDir, "diverging-sweep")); err != nil {
		t.Fatal(err)
	}
	records, _ := filepath.Glob(filepath.Join(cacheDir, "failures", "*"))
	if len(records) == 0 {
		t.Fatal("the sweep left no failure record")
	}
	dry, stderr, code := nnpipe(t, "cache", "gc", "--cache", cacheDir, "--results", resultsDir, "--keep-recent", "0s", "--dry-run")
	if code != 0 {
		t.Fatalf("cache gc --dry-run: exit %d\n%s", code, stderr)
	}
	for _, p := range records {
		what := "a failure record"
		if !strings.HasSuffix(p, ".json") {
			what = "a failed stage's kept outputs"
		}
		if want := "would remove failures/" + filepath.Base(p) + ", " + what; !strings.Contains(dry, want) {
			t.Errorf("cache gc --dry-run printed\n%s\nwant a line %q", dry, want)
		}
	}
	last := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	real, stderr, code := nnpipe(t, "cache", "gc", "--cache", cacheDir, "--results", resultsDir, "--keep-recent", "0s")
	if code != 0 {
		t.Fatalf("cache gc: exit %d\n%s", code, stderr)
	}
	if want := strings.NewReplacer("would remove", "removed", "would free", "freed").Replace(last(dry)); last(real) != want {
		t.Errorf("cache gc printed %q after a dry run that said %q", last(real), last(dry))
	}
	if left, _ := filepath.Glob(filepath.Join(cacheDir, "failures", "*")); len(left) != 0 {
		t.Errorf("cache gc left %v", left)
	}
}

// TestSweepOverValuesThatReadAsNotFiniteNumbers sweeps a label over two
// columns, one named "nan": the sweep plot places the settings in grid
// order, and the sweep is written whole.
func TestSweepOverValuesThatReadAsNotFiniteNumbers(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("a,b,nan,x\n")
	for i := range 40 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d\n", i%7, i%5, i%2, (i/2)%2)
	}
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(cfg, []byte(`name: s
stages:
  - {id: data, kind: load, with: {path: d.csv, label: x, features: [a, b]}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, gradient: backprop, steps: 20}}
  - {id: eval, kind: evaluate}
sweep:
  data.label: [nan, x]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, code, stderr := sweepJSONOf(t, cfg, "--results", filepath.Join(dir, "results"), "--cache", filepath.Join(dir, "cache"))
	if code != 0 || len(s.Trials) != 2 {
		t.Fatalf("sweep: exit %d, %d trials\n%s", code, len(s.Trials), stderr)
	}
	if err := results.CheckSweep(s.SweepDir); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(s.SweepDir, results.SweepPlot)); err != nil {
		t.Errorf("no sweep plot: %v", err)
	}
}

// TestASweepNeverReplacesWhatItDidNotWrite puts a user's folder, then a
// file, in a sweep directory's place: the sweep and the collection refuse
// it before any work, exit 2 with one line, leave it as it was, and make
// no cache.
func TestASweepNeverReplacesWhatItDidNotWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	resultsDir := filepath.Join(dir, "results")
	first, code, stderr := sweepJSONOf(t, smallSweep, "--cache", filepath.Join(dir, "cache"), "--results", resultsDir)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	place := first.SweepDir
	pristine := filepath.Join(dir, "pristine")
	if err := os.CopyFS(pristine, os.DirFS(place)); err != nil {
		t.Fatal(err)
	}
	trial := "trials/" + first.Trials[0].TrialID
	// inTrial puts the sweep directory back as the sweep wrote it, with
	// add run in it.
	inTrial := func(add func(trialDir string) error) func() error {
		return func() error {
			if err := os.CopyFS(place, os.DirFS(pristine)); err != nil {
				return err
			}
			return add(filepath.Join(place, filepath.FromSlash(trial)))
		}
	}
	for _, c := range []struct {
		name, want string
		put        func() error
	}{
		{"a user's file in a trial's folder", `holds "` + trial + `/notes.txt", which a sweep directory does not`, inTrial(func(d string) error {
			return os.WriteFile(filepath.Join(d, "notes.txt"), []byte("precious"), 0o644)
		})},
		{"a user's folder in a trial's folder", `holds "` + trial + `/mine", which a sweep directory does not`, inTrial(func(d string) error {
			if err := os.MkdirAll(filepath.Join(d, "mine"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(d, "mine", "f.png"), []byte("precious"), 0o644)
		})},
		{"a user's empty folder in a trial's folder", `holds "` + trial + `/extra", which a sweep directory does not`, inTrial(func(d string) error {
			return os.Mkdir(filepath.Join(d, "extra"), 0o755)
		})},
		{"a trial's folder without its manifest", `holds "` + trial + `", whose manifest.json does not read (no such file or directory)`, inTrial(func(d string) error {
			return os.Remove(filepath.Join(d, "manifest.json"))
		})},
		{"a user's folder", `holds "mine", which a sweep directory does not`, func() error {
			if err := os.MkdirAll(filepath.Join(place, "mine"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(place, "mine", "thesis.tex"), []byte("precious"), 0o644)
		}},
		{"a user's folder with an empty trials/", `holds "thesis.tex", which a sweep directory does not`, func() error {
			if err := os.MkdirAll(filepath.Join(place, "trials"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(place, "thesis.tex"), []byte("precious"), 0o644)
		}},
		{"a user's file in trials/", `holds "trials/notes.md", which a sweep directory does not`, func() error {
			if err := os.MkdirAll(filepath.Join(place, "trials"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(place, "trials", "notes.md"), []byte("precious"), 0o644)
		}},
		{"a folder with only a summary", "is not a sweep directory (it holds neither sweep.json nor trials/)", func() error {
			if err := os.MkdirAll(place, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(place, "summary.md"), []byte("precious"), 0o644)
		}},
		{"a file", "is not a sweep directory but a file", func() error {
			return os.WriteFile(place, []byte("precious"), 0o644)
		}},
	} {
		if err := os.RemoveAll(place); err != nil {
			t.Fatal(err)
		}
		if err := c.put(); err != nil {
			t.Fatal(err)
		}
		before := snapshotTree(t, dir)
		for _, mode := range [][]string{{}, {"--collect"}} {
			newCache := filepath.Join(dir, "new-cache")
			out, stderr, code := nnpipe(t, append([]string{"sweep", smallSweep, "--cache", newCache, "--results", resultsDir}, mode...)...)
			if code != exitInvalid || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("sweep %v over %s: exit %d, stdout %q, stderr %q; want exit 2 and one line saying it %s", mode, c.name, code, out, stderr, c.want)
			}
			if after := snapshotTree(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("sweep %v over %s wrote:\nbefore %v\nafter  %v", mode, c.name, before, after)
			}
		}
	}
}
