package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/train"
)

const planSweepConfig = "testdata/plan/sweep.yaml"

// planReport is what `plan --json` prints, the train stages' costs decoded.
type planReport struct {
	Config     string               `json:"config"`
	Name       string               `json:"name"`
	Cache      string               `json:"cache"`
	Stages     []pipeline.PlanStage `json:"stages"`
	Train      []*train.Cost        `json:"train"`
	Sweep      *pipeline.PlanSweep  `json:"sweep"`
	Unreadable int                  `json:"unreadable_entries"`
}

// planReportOf runs `plan --json` and decodes its output.
func planReportOf(t *testing.T, args ...string) planReport {
	t.Helper()
	out, stderr, code := nnpipe(t, append([]string{"plan", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("nnpipe plan --json %v: exit %d, stderr:\n%s", args, code, stderr)
	}
	var rep planReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("nnpipe plan --json printed invalid JSON: %v\n%s", err, out)
	}
	return rep
}

// planText runs `plan` and returns its output with what varies from run to
// run masked: the cache folder, times, keys and config hashes.
func planText(t *testing.T, cacheDir string, args ...string) string {
	t.Helper()
	out, stderr, code := nnpipe(t, append([]string{"plan"}, args...)...)
	if code != 0 {
		t.Fatalf("nnpipe plan %v: exit %d, stderr:\n%s", args, code, stderr)
	}
	return maskPlan(out, cacheDir)
}

var (
	planTimes  = regexp.MustCompile(`\d+(\.\d+)? (µs|ms|s|min|h|days)\b( \(\d+(\.\d+)? years\))?`)
	planKeys   = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
	planHashes = regexp.MustCompile(`\b[0-9a-f]{8}\b`)
)

// maskPlan replaces durations by <time>, 12-hex keys and trial ids by
// <key>, 8-hex config hashes by <hash> and the cache folder by <cache>.
// Keys are checked against the run's by TestPlanKeysAreTheKeysRunUses
// instead: a golden file of them would change with every stage version.
func maskPlan(s, cacheDir string) string {
	s = strings.ReplaceAll(s, cacheDir, "<cache>")
	s = planTimes.ReplaceAllString(s, "<time>")
	s = planKeys.ReplaceAllString(s, "<   key    >") // as wide as a key, to keep the columns
	return planHashes.ReplaceAllString(s, "<hash>")
}

// planDirs returns a results folder and its cache folder, neither made.
func planDirs(t *testing.T) (results, cacheDir string) {
	results = filepath.Join(t.TempDir(), "results")
	return results, filepath.Join(results, ".cache")
}

func TestPlanOnAnEmptyCacheMissesEveryStage(t *testing.T) {
	results, cacheDir := planDirs(t)
	got := planText(t, cacheDir, bookConfig, "--results", results, "--cache", cacheDir)
	golden(t, filepath.Join("testdata", "plan", "empty.golden"), got)

	rep := planReportOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	for i, s := range rep.Stages {
		if s.Status != "miss" || s.Nearest != nil || !strings.Contains(s.Reason, fmt.Sprintf("no earlier entry of kind %q", s.Kind)) {
			t.Errorf("plan on an empty cache: stage %s = %s %q, want a miss with no earlier entry", s.ID, s.Status, s.Reason)
		}
		if (i == 0) != (s.Key != "") {
			t.Errorf("plan on an empty cache: stage %s key = %q; want a key for the first stage only", s.ID, s.Key)
		}
		if i > 0 && !slices.Equal(s.After, []string{"data"}) {
			t.Errorf("plan on an empty cache: stage %s runs after %v, want [data]", s.ID, s.After)
		}
	}
	if _, err := os.Stat(results); err == nil {
		t.Errorf("plan created the results folder %s", results)
	}
}

func TestPlanAfterARunIsAllHits(t *testing.T) {
	results, cacheDir := planDirs(t)
	runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	got := planText(t, cacheDir, bookConfig, "--results", results, "--cache", cacheDir)
	golden(t, filepath.Join("testdata", "plan", "hit.golden"), got)
	for _, s := range planReportOf(t, bookConfig, "--results", results, "--cache", cacheDir).Stages {
		if s.Status != "hit" {
			t.Errorf("plan after a run: stage %s = %s %q, want hit", s.ID, s.Status, s.Reason)
		}
	}
}

func TestPlanKeysAreTheKeysRunUses(t *testing.T) {
	results, cacheDir := planDirs(t)
	before := planReportOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	run := runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	after := planReportOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	if len(after.Stages) != len(run.Stages) {
		t.Fatalf("plan lists %d stages, run %d", len(after.Stages), len(run.Stages))
	}
	for i, s := range after.Stages {
		if s.Key != run.Stages[i].Key {
			t.Errorf("plan after the run: stage %s key = %.12s, want the run's %.12s", s.ID, s.Key, run.Stages[i].Key)
		}
	}
	if before.Stages[0].Key != run.Stages[0].Key {
		t.Errorf("plan before the run: stage %s key = %.12s, want the run's %.12s", before.Stages[0].ID, before.Stages[0].Key, run.Stages[0].Key)
	}
}

func TestPlanWithAChangedHiddenSizeNamesTheChange(t *testing.T) {
	results, cacheDir := planDirs(t)
	runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	args := []string{bookConfig, "--results", results, "--cache", cacheDir, "--set", "train.hidden=4"}
	got := planText(t, cacheDir, args...)
	golden(t, filepath.Join("testdata", "plan", "hidden4.golden"), got)

	rep := planReportOf(t, args...)
	status := map[string]pipeline.PlanStage{}
	for _, s := range rep.Stages {
		status[s.ID] = s
	}
	for _, id := range []string{"data", "split"} {
		if status[id].Status != "hit" {
			t.Errorf("plan --set train.hidden=4: stage %s = %s, want hit", id, status[id].Status)
		}
	}
	tr := status["train"]
	if tr.Status != "miss" || tr.Key == "" || tr.Nearest == nil {
		t.Fatalf("plan --set train.hidden=4: train = %s (key %q, nearest %v), want a miss with a key and a nearest entry", tr.Status, tr.Key, tr.Nearest)
	}
	want := []pipeline.PlanChange{{Text: "train.hidden: 2 → 4"}}
	want[0].Kind, want[0].Key, want[0].Old, want[0].New = "param", "train.hidden", "2", "4"
	if !slices.Equal(tr.Nearest.Changes, want) {
		t.Errorf("plan --set train.hidden=4: train changes = %+v, want %+v", tr.Nearest.Changes, want)
	}
	if ev := status["eval"]; ev.Status != "miss" || ev.Key != "" || !slices.Equal(ev.After, []string{"train"}) {
		t.Errorf("plan --set train.hidden=4: eval = %s key %q after %v, want a miss after train without a key", ev.Status, ev.Key, ev.After)
	}
}

func TestPlanGivesTheParameterCountAndTheCostOfAStep(t *testing.T) {
	results, cacheDir := planDirs(t)
	cases := []struct {
		name      string
		run       bool // run the config first, so the shape comes from the cached dataset
		sets      []string
		p, passes int
		from      string
	}{
		{name: "the book's network from the config", p: 15, passes: 30, from: "config"},
		{name: "the book's network from the cached dataset", run: true, p: 15, passes: 30, from: "cached dataset"},
		{name: "four hidden units", run: true, sets: []string{"train.hidden=4"}, p: 4*3 + 3*5, passes: 2 * 27, from: "cached dataset"},
		{name: "backprop makes one forward pass", run: true, sets: []string{"train.gradient=backprop"}, p: 15, passes: 1, from: "cached dataset"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.run {
				runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
			}
			args := []string{bookConfig, "--results", results, "--cache", cacheDir}
			for _, s := range c.sets {
				args = append(args, "--set", s)
			}
			rep := planReportOf(t, args...)
			if len(rep.Train) != 1 {
				t.Fatalf("plan: %d train costs, want 1", len(rep.Train))
			}
			tc := rep.Train[0]
			if tc.Params == nil || *tc.Params != c.p || tc.ForwardPassesPerStep == nil || *tc.ForwardPassesPerStep != c.passes {
				t.Fatalf("plan: P = %v, passes = %v, want %d and %d (%s)", deref(tc.Params), deref(tc.ForwardPassesPerStep), c.p, c.passes, tc.Unknown)
			}
			if deref(tc.Inputs) != 2 || deref(tc.Classes) != 3 || deref(tc.TrainRows) != 100 || tc.ShapeFrom != c.from {
				t.Errorf("plan: D, K, N = %d, %d, %d from %q, want 2, 3, 100 from %q", deref(tc.Inputs), deref(tc.Classes), deref(tc.TrainRows), tc.ShapeFrom, c.from)
			}
			if tc.SecondsPerStep == nil || !(*tc.SecondsPerStep > 0) || tc.Seconds == nil || *tc.Seconds != *tc.SecondsPerStep*float64(tc.Steps) {
				t.Errorf("plan: estimate %v per step, %v in all, want a positive time and steps × it", tc.SecondsPerStep, tc.Seconds)
			}
		})
	}
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func TestPlanPrintsTheFormulaAndTheEstimateInHumanUnits(t *testing.T) {
	results, cacheDir := planDirs(t)
	out, stderr, code := nnpipe(t, "plan", bookConfig, "--results", results, "--cache", cacheDir, "--set", "train.steps=1000000000")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"train: P = M(D+1) + K(M+1) = 2·3 + 3·3 = 15 parameters",
		"2P = 30 forward passes over N = 100 training rows per step",
		"for 1000000000 steps",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	// A book-size step takes microseconds, so 10^9 of them take hours or days.
	if !regexp.MustCompile(`for 1000000000 steps`).MatchString(out) || !regexp.MustCompile(` (h|days|min) for 1000000000 steps`).MatchString(out) {
		t.Errorf("plan: the time for 10^9 steps is not in minutes, hours or days:\n%s", out)
	}
}

func TestPlanSaysTheSizeIsUnknownWhenNeitherTheCacheNorTheConfigTellsIt(t *testing.T) {
	// A load stage's data is not told by the config: until it is cached,
	// the network's size is unknown, and plan names the stage.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), []byte("x,y,label\n0,1,a\n1,0,b\n0.5,0.5,a\n1,1,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "load.yaml")
	src := "name: load\nstages:\n  - {id: data, kind: load, with: {path: data.csv, label: label}}\n  - {id: split, kind: split}\n  - {id: train, kind: train}\n"
	if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	results, cacheDir := planDirs(t)
	rep := planReportOf(t, config, "--results", results, "--cache", cacheDir)
	if len(rep.Train) != 1 {
		t.Fatalf("plan: %d train costs, want 1", len(rep.Train))
	}
	c := rep.Train[0]
	if c.Params != nil || c.SecondsPerStep != nil || !strings.Contains(c.Unknown, `stage "data" (load) is not cached yet`) {
		t.Errorf("plan with a load stage not cached = P %v, %v s/step, unknown %q; want P and time unknown, naming the stage", c.Params, c.SecondsPerStep, c.Unknown)
	}
	if want := "train: P = M(D+1) + K(M+1) with M = 2 is unknown: "; !strings.Contains(planText(t, cacheDir, config, "--results", results, "--cache", cacheDir), want) {
		t.Errorf("plan does not print %q", want)
	}
}

func TestPlanOfASweepCountsDoneFailedAndPendingTrials(t *testing.T) {
	results, cacheDir := planDirs(t)
	args := []string{planSweepConfig, "--results", results, "--cache", cacheDir}
	rep := planReportOf(t, args...)
	if s := rep.Sweep; s == nil || s.Trials != 4 || s.Done != 0 || s.Failed != 0 || s.Pending != 4 {
		t.Fatalf("plan of a sweep before it ran: %+v, want 4 trials, all pending", s)
	}
	if _, stderr, code := nnpipe(t, append([]string{"sweep", "--quiet", "--jobs", "1"}, args...)...); code != exitFailure {
		t.Fatalf("sweep: exit %d, want %d (the 0.001 ratio fails)\n%s", code, exitFailure, stderr)
	}
	got := planText(t, cacheDir, append(args, "--set", "sweep.train.hidden=1,2,3")...)
	golden(t, filepath.Join("testdata", "plan", "sweep.golden"), got)
	rep = planReportOf(t, append(args, "--set", "sweep.train.hidden=1,2,3")...)
	// Hidden 3 with the failing ratio shares the failed split, so it would
	// fail too; hidden 3 with 0.5 is the one trial still to run.
	if s := rep.Sweep; s.Trials != 6 || s.Done != 2 || s.Failed != 3 || s.Pending != 1 || len(s.FailedTrials) != 3 {
		t.Errorf("plan of a sweep after it ran, with one more hidden size: %d trials, %d done, %d failed (%d listed), %d pending; want 6, 2, 3, 1",
			s.Trials, s.Done, s.Failed, len(s.FailedTrials), s.Pending)
	}
	for _, ft := range rep.Sweep.FailedTrials {
		if ft.Stage != "split" || !strings.Contains(ft.Label, "split.train_ratio=0.001") {
			t.Errorf("failed trial %+v, want the split of a 0.001 ratio", ft)
		}
	}
}

func TestPlanRefusesAGridOverMaxTrialsBeforeExpandingIt(t *testing.T) {
	results, cacheDir := planDirs(t)
	cases := []struct {
		name string
		args []string
	}{
		{name: "a grid over --max-trials", args: []string{"--max-trials", "3"}},
		{name: "a grid of 10^9 trials", args: []string{"--set", "sweep.seed=" + seq(1000), "--set", "sweep.train.init.seed=" + seq(1000), "--set", "sweep.train.steps=" + seq(1000)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := nnpipe(t, append([]string{"plan", planSweepConfig, "--results", results, "--cache", cacheDir}, c.args...)...)
			if code != exitInvalid || !strings.Contains(stderr, "more than --max-trials") {
				t.Errorf("plan: exit %d, stderr %q; want %d and the grid's size", code, stderr, exitInvalid)
			}
		})
	}
}

// seq returns "1,2,…,n".
func seq(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(parts, ",")
}

func TestPlanNeverWrites(t *testing.T) {
	results, cacheDir := planDirs(t)
	runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	before := planTree(t, results)
	for _, args := range [][]string{
		{bookConfig},
		{bookConfig, "--json"},
		{bookConfig, "--set", "train.hidden=4"},
		{bookConfig, "--set", "data.n=150"},
		{planSweepConfig},
	} {
		if _, stderr, code := nnpipe(t, append(append([]string{"plan"}, args...), "--results", results, "--cache", cacheDir)...); code != 0 {
			t.Fatalf("plan %v: exit %d\n%s", args, code, stderr)
		}
	}
	after := planTree(t, results)
	if !slices.Equal(before, after) {
		t.Errorf("plan changed the results and cache tree:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
}

// planTree lists every path under dir with its size and modification time.
func planTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %s", path, info.Size(), info.ModTime()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPlanOfACacheWhoseV1FolderIsAFileFails(t *testing.T) {
	// Every lookup would miss there: plan would call every stage and trial
	// to be run instead of saying the cache cannot be read.
	stdout, stderr, code := nnpipe(t, "plan", planSweepConfig, "--results", t.TempDir(), "--cache", cacheWithV1File(t))
	if code != exitFailure || !strings.Contains(stderr, "v1 is not a directory") || len(stderrLines(stderr)) != 1 {
		t.Errorf("plan: exit %d, stderr %q; want %d and one line saying v1 is not a directory", code, stderr, exitFailure)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
}

// TestPlanNamesOnlyTheParametersThatChanged changes split's ratio: the
// reason names that change alone, not the parameters the key leaves out at
// their zero value (folds and fold), which did not change.
func TestPlanNamesOnlyTheParametersThatChanged(t *testing.T) {
	results, cacheDir := planDirs(t)
	runJSONOf(t, bookConfig, "--results", results, "--cache", cacheDir)
	rep := planReportOf(t, bookConfig, "--results", results, "--cache", cacheDir, "--set", "split.train_ratio=0.6")
	for _, s := range rep.Stages {
		if s.ID != "split" {
			continue
		}
		if s.Status != "miss" || s.Nearest == nil {
			t.Fatalf("split = %s (nearest %v), want a miss with a nearest entry", s.Status, s.Nearest)
		}
		var got []string
		for _, c := range s.Nearest.Changes {
			got = append(got, c.Text)
		}
		if want := []string{"split.train_ratio: 0.5 → 0.6"}; !slices.Equal(got, want) {
			t.Errorf("split's changes = %q, want %q", got, want)
		}
	}
}
