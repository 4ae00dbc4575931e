//go:build linux

package main

// Reliability tests: processes killed and interrupted at many moments,
// damaged caches, folders that cannot be written, and processes that share
// one cache. They drive the built binary wherever a real process is needed
// (kills, signals, several processes at once) and skip under -short.
//
// No test here reads the clock to decide anything: a process is killed or
// interrupted when the files it has written show it reached a point of its
// work (an entry published, a stage's build folder made, its run directory
// being written), and a process that hangs is caught by go test's own
// -timeout.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/results"
)

// longRunSteps makes the book's run train for a few tenths of a second on
// this machine, long enough for a kill point that waits for the training to
// find it training many times over, short enough that the reruns after the
// kills stay cheap.
const longRunSteps = "train.steps=3000"

// longSweepSteps makes testdata/sweep/small.yaml's trials train for long
// enough that the sweep's entries are published one by one.
const longSweepSteps = "train.steps=1000"

// proc is a started nnpipe process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error
}

// startNNPipe starts the built binary with args in this package's folder.
func startNNPipe(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: command(t, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.alive() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit status, -1 when
// a signal ended it. A process that never exits is go test's -timeout to
// catch.
func (p *proc) wait() int {
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// alive reports whether the process has not exited yet.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// poll calls reached until it returns true and reports true, or until the
// process exits first and reports false. It looks about once a
// millisecond: how often it looks decides where in a stage the process is
// caught, never whether a test passes.
func (p *proc) poll(reached func() bool) bool {
	for {
		if !p.alive() {
			return false
		}
		if reached() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
}

// runBinaryJSON runs the binary to completion and decodes its --json
// output into v.
func runBinaryJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	p := startNNPipe(t, args...)
	if code := p.wait(); code != 0 {
		t.Fatalf("nnpipe %v: exit %d\n%s", args, code, p.stderr.String())
	}
	if err := json.Unmarshal(p.stdout.Bytes(), v); err != nil {
		t.Fatalf("nnpipe %v printed invalid JSON: %v\n%s", args, err, p.stdout.String())
	}
}

// progress is what a run or sweep has visibly done so far.
type progress struct {
	entries int  // cache entries published
	builds  int  // stages being built: folders tmp/build-* in the cache
	lease   bool // the process's lease is in the cache: it has opened it
	writing bool // files are being written into a run or trial directory
}

// watcher reads the progress of one process using results and cacheDir.
type watcher struct {
	results, cacheDir string
	pid               int
	stale             map[string]bool // temporary directories there before the process
}

// watch returns a watcher of the process that is about to start (its pid
// is set once it has): what is in results now is not its doing.
func watch(results, cacheDir string) *watcher {
	w := &watcher{results: results, cacheDir: cacheDir, stale: map[string]bool{}}
	for _, dir := range w.tempDirs() {
		w.stale[dir] = true
	}
	return w
}

// tempDirs lists the run and trial directories under construction in
// results, a killed process's among them.
func (w *watcher) tempDirs() []string {
	var dirs []string
	for _, pattern := range []string{"*", "*/*", "*/*/trials/*"} {
		tmp, _ := filepath.Glob(filepath.Join(w.results, pattern, pipeline.TempPrefix+"*"))
		dirs = append(dirs, tmp...)
	}
	return dirs
}

// progress reads what the process has done so far.
func (w *watcher) progress() progress {
	var pr progress
	listed, _ := cache.Open(w.cacheDir).List()
	pr.entries = len(listed)
	builds, _ := filepath.Glob(filepath.Join(w.cacheDir, "tmp", "build-*"))
	pr.builds = len(builds)
	leases, _ := filepath.Glob(filepath.Join(w.cacheDir, "leases", fmt.Sprintf("%d-*", w.pid)))
	pr.lease = len(leases) > 0
	// A run makes its temporary directory when it starts and fills it
	// once its stages are done.
	for _, dir := range w.tempDirs() {
		if !w.stale[dir] {
			files, _ := os.ReadDir(dir)
			pr.writing = pr.writing || len(files) > 0
		}
	}
	return pr
}

// String describes the progress for a kill point's name.
func (pr progress) String() string {
	return fmt.Sprintf("%d entries, %d building, writing results %v", pr.entries, pr.builds, pr.writing)
}

// partialResults lists what in results is neither a finished run or sweep
// directory, nor a folder under construction (.tmp-*), nor the cache.
func partialResults(t *testing.T, root string) []string {
	t.Helper()
	var problems []string
	top, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		path := filepath.Join(root, e.Name())
		switch {
		case e.Name() == ".cache" || strings.HasPrefix(e.Name(), pipeline.TempPrefix):
			continue
		case !e.IsDir():
			problems = append(problems, path+" is a file")
			continue
		}
		runs, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if strings.HasPrefix(r.Name(), pipeline.TempPrefix) {
				continue
			}
			dir := filepath.Join(path, r.Name())
			check := results.CheckRun
			if _, err := os.Stat(filepath.Join(dir, "sweep.json")); err == nil || strings.HasPrefix(r.Name(), "sweep-") {
				check = results.CheckSweep
			}
			if err := check(dir); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", dir, err))
			}
		}
	}
	return problems
}

// verifiedKeys returns the keys of the cache entries that verify.
func verifiedKeys(t *testing.T, cacheDir string) map[string]bool {
	t.Helper()
	c := cache.Open(cacheDir)
	listed, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, l := range listed {
		if _, err := c.Get(l.Key); err == nil {
			keys[l.Key] = true
		}
	}
	return keys
}

// cacheVerifies runs `nnpipe cache verify` and reports a failure unless it
// finds every entry intact.
func cacheVerifies(t *testing.T, cacheDir, when string) {
	t.Helper()
	if _, err := os.Stat(cacheDir); errors.Is(err, fs.ErrNotExist) {
		return // killed before it made the cache: nothing to verify
	}
	out, stderr, code := nnpipe(t, "cache", "verify", "--cache", cacheDir)
	if code != 0 {
		t.Errorf("%s: nnpipe cache verify: exit %d, want 0\n%s%s", when, code, out, stderr)
	}
}

// leftovers lists the files and folders under root whose name matches
// one of the patterns (filepath.Match).
func leftovers(root string, patterns ...string) []string {
	var out []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, d.Name()); ok {
				out = append(out, path)
			}
		}
		return nil
	})
	return out
}

// uninterrupted runs nnpipe with args (which must include --json and the
// placeholder "RESULTS" for the results folder) in a fresh folder and
// decodes its output into v: the reference the reruns are compared with.
func uninterrupted(t *testing.T, v any, args ...string) {
	t.Helper()
	runBinaryJSON(t, v, withResults(args, t.TempDir())...)
}

// withResults returns args with the placeholder "RESULTS" replaced.
func withResults(args []string, results string) []string {
	a := slices.Clone(args)
	a[slices.Index(a, "RESULTS")] = results
	return a
}

// killPoint is a moment to kill a process at, named by what it has done.
type killPoint struct {
	name string
	// warm kill points find every stage cached (by the reruns of the
	// cold ones before them).
	warm bool
	// reached is asked about the process's progress about once a
	// millisecond; the process is killed when it first returns true.
	reached func(progress) bool
}

// atOnce is reached before the process has done anything.
func atOnce(progress) bool { return true }

// seen returns a condition that is reached when cond has held at n looks:
// a way to land later and later inside one long stage.
func seen(n int, cond func(progress) bool) func(progress) bool {
	held := 0
	return func(pr progress) bool {
		if cond(pr) {
			held++
		}
		return held >= n
	}
}

// killAt starts nnpipe with args, SIGKILLs it once it reaches k and
// reports whether the kill interrupted it (rather than finding it
// finished) and the progress it had made at the kill.
func killAt(t *testing.T, k killPoint, results string, args ...string) (bool, progress) {
	t.Helper()
	w := watch(results, filepath.Join(results, ".cache"))
	p := startNNPipe(t, args...)
	w.pid = p.cmd.Process.Pid
	var at progress
	if p.poll(func() bool { at = w.progress(); return k.reached(at) }) {
		// Stopped, the process cannot move on between the look at its
		// progress and the kill.
		p.cmd.Process.Signal(syscall.SIGSTOP)
		at = w.progress()
		p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled(), at
}

// killEverywhere kills nnpipe with args (containing the placeholder
// "RESULTS") at each point: the cold ones on an empty cache, the warm ones
// once every stage is cached. After each kill it checks that results holds
// no partial run and that the cache verifies, then calls rerun with the
// kill point's name, the results folder and the cache entries complete at
// the kill; rerun must run the command to completion. It returns the
// progress at each kill that interrupted the process.
func killEverywhere(t *testing.T, points []killPoint, args []string, rerun func(when, results string, complete map[string]bool)) []progress {
	t.Helper()
	var interrupted []progress
	results := ""
	for i, k := range points {
		if !k.warm {
			results = t.TempDir()
		}
		kargs := slices.DeleteFunc(withResults(args, results), func(a string) bool { return a == "--json" })
		stopped, at := killAt(t, k, results, kargs...)
		when := fmt.Sprintf("kill point %d (%s; %v)", i+1, k.name, at)
		for _, p := range partialResults(t, results) {
			t.Errorf("%s: partial result visible: %s", when, p)
		}
		cacheDir := filepath.Join(results, ".cache")
		cacheVerifies(t, cacheDir, when)
		complete := verifiedKeys(t, cacheDir)
		if stopped {
			interrupted = append(interrupted, at)
		}
		t.Logf("%s: interrupted %v, %d entries verify", when, stopped, len(complete))
		rerun(when, results, complete)
	}
	return interrupted
}

// someKill reports whether a kill interrupted the process at a point
// where cond held.
func someKill(interrupted []progress, cond func(progress) bool) bool {
	return slices.ContainsFunc(interrupted, cond)
}

// runKillPoints are the moments a run of the book's config is killed at:
// before and during each of its six stages, many times inside the
// training, while its run directory is written, and the same run once
// every stage is cached.
func runKillPoints() []killPoint {
	entries := func(n int) func(progress) bool { return func(pr progress) bool { return pr.entries >= n } }
	building := func(n int) func(progress) bool {
		return func(pr progress) bool { return pr.entries == n && pr.builds > 0 }
	}
	points := []killPoint{
		{"at once", false, atOnce},
		{"once it opened the cache", false, func(pr progress) bool { return pr.lease }},
		{"while the data stage builds", false, building(0)},
		{"once data is published", false, entries(1)},
		{"while the split stage builds", false, building(1)},
		{"once split is published", false, entries(2)},
	}
	for _, n := range []int{1, 5, 15, 30, 60} {
		points = append(points, killPoint{fmt.Sprintf("training, seen %d times", n), false, seen(n, building(2))})
	}
	points = append(points,
		killPoint{"once train is published", false, entries(3)},
		killPoint{"once eval is published", false, entries(4)},
		killPoint{"once predictions is published", false, entries(5)},
		killPoint{"drawing the plots, seen 20 times", false, seen(20, building(5))},
		killPoint{"once every entry is published", false, entries(6)},
		killPoint{"while the run directory is written", false, func(pr progress) bool { return pr.writing }},
		killPoint{"every stage cached: at once", true, atOnce},
		killPoint{"every stage cached: once it opened the cache", true, func(pr progress) bool { return pr.lease }},
		killPoint{"every stage cached: while the run directory is written", true, func(pr progress) bool { return pr.writing }},
	)
	return points
}

func TestRunKilledAtTwentyPointsLeavesNothingPartialAndTheRerunIsIdentical(t *testing.T) {
	t.Parallel()
	binary(t)
	args := []string{"run", bookConfig, "--results", "RESULTS", "--set", longRunSteps, "--json", "--quiet"}
	var ref runJSON
	uninterrupted(t, &ref, args...)
	interrupted := killEverywhere(t, runKillPoints(), args, func(when, results string, complete map[string]bool) {
		again := runJSONOf(t, bookConfig, "--results", results, "--set", longRunSteps)
		for _, s := range again.Stages {
			if complete[s.Key] && !s.Cached {
				t.Errorf("%s: rerun recomputed stage %q although its entry was complete", when, s.ID)
			}
		}
		for _, name := range publishedOutputs {
			if !bytes.Equal(readFile(t, filepath.Join(again.RunDir, name)), readFile(t, filepath.Join(ref.RunDir, name))) {
				t.Errorf("%s: the rerun's %s differs from an uninterrupted run's", when, name)
			}
		}
	})
	// The training is thousands of steps and the kill points look at
	// every millisecond of it: some kill must land in it, and one before
	// anything was published.
	if !someKill(interrupted, func(pr progress) bool { return pr.entries == 0 }) {
		t.Errorf("no kill interrupted the run before it published an entry")
	}
	if !someKill(interrupted, func(pr progress) bool { return pr.entries == 2 && pr.builds > 0 }) {
		t.Errorf("no kill interrupted the run while it trained")
	}
}

func TestSweepKilledAtTwentyPointsLeavesNothingPartialAndTheRerunIsIdentical(t *testing.T) {
	t.Parallel()
	binary(t)
	args := []string{"sweep", smallSweep, "--results", "RESULTS", "--set", longSweepSteps, "--json", "--quiet"}
	var ref sweepJSON
	uninterrupted(t, &ref, args...)
	refTrials := map[string]sweepTrialJSON{}
	for _, tr := range ref.Trials {
		refTrials[tr.TrialID] = tr
	}
	interrupted := killEverywhere(t, sweepKillPoints(), args, func(when, results string, complete map[string]bool) {
		again, code, stderr := sweepJSONOf(t, smallSweep, "--results", results, "--set", longSweepSteps)
		if code != 0 {
			t.Fatalf("%s: rerun: exit %d\n%s", when, code, stderr)
		}
		computed := map[string]bool{} // keys some trial of the rerun computed
		for _, tr := range again.Trials {
			for _, s := range tr.Stages {
				if complete[s.Key] && !s.Cached {
					t.Errorf("%s: rerun recomputed trial %s stage %q although its entry was complete", when, tr.TrialID, s.ID)
				}
				if !s.Cached {
					computed[s.Key] = true
				}
			}
			want, ok := refTrials[tr.TrialID]
			if !ok {
				t.Errorf("%s: rerun has trial %s, which the uninterrupted sweep does not", when, tr.TrialID)
				continue
			}
			for _, name := range publishedOutputs {
				if !bytes.Equal(readFile(t, filepath.Join(tr.RunDir, name)), readFile(t, filepath.Join(want.RunDir, name))) {
					t.Errorf("%s: trial %s: the rerun's %s differs from an uninterrupted sweep's", when, tr.TrialID, name)
				}
			}
		}
		// A stage missing from the cache is computed by one trial; the
		// trials sharing it (data, split) then find it cached.
		for _, tr := range again.Trials {
			for _, s := range tr.Stages {
				if !complete[s.Key] && !computed[s.Key] {
					t.Errorf("%s: trial %s stage %q was not in the cache, yet the rerun reports it cached in every trial", when, tr.TrialID, s.ID)
				}
			}
		}
		if len(again.Trials) != len(ref.Trials) {
			t.Errorf("%s: rerun has %d trials, want %d", when, len(again.Trials), len(ref.Trials))
		}
		if a, b := summaryWithoutTimes(t, again.SweepDir), summaryWithoutTimes(t, ref.SweepDir); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the rerun's summary.parquet differs from an uninterrupted sweep's", when)
		}
	})
	if !someKill(interrupted, func(pr progress) bool { return pr.entries == 0 }) {
		t.Errorf("no kill interrupted the sweep before it published an entry")
	}
	if !someKill(interrupted, func(pr progress) bool { return pr.entries > 2 && pr.entries < sweepEntries }) {
		t.Errorf("no kill interrupted the sweep between its first and its last trial")
	}
}

// sweepEntries is how many cache entries testdata/sweep/small.yaml makes:
// data and split, shared, and train, eval and predictions for each of its
// six trials.
const sweepEntries = 2 + 6*3

// sweepKillPoints are the moments a sweep of testdata/sweep/small.yaml is
// killed at: before it starts, at every few entries it publishes, while it
// writes its directories, and once every stage is cached.
func sweepKillPoints() []killPoint {
	points := []killPoint{
		{"at once", false, atOnce},
		{"once it opened the cache", false, func(pr progress) bool { return pr.lease }},
	}
	for _, n := range []int{1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18, sweepEntries} {
		points = append(points, killPoint{fmt.Sprintf("once %d entries are published", n), false, func(pr progress) bool { return pr.entries >= n }})
	}
	points = append(points,
		killPoint{"while a trial directory is written", false, func(pr progress) bool { return pr.writing }},
		killPoint{"while a trial directory is written, seen 5 times", false, seen(5, func(pr progress) bool { return pr.writing })},
		killPoint{"every stage cached: at once", true, atOnce},
		killPoint{"every stage cached: once it opened the cache", true, func(pr progress) bool { return pr.lease }},
		killPoint{"every stage cached: while a trial directory is written", true, func(pr progress) bool { return pr.writing }},
		killPoint{"every stage cached: while a trial directory is written, seen 5 times", true, seen(5, func(pr progress) bool { return pr.writing })},
	)
	return points
}

// training is reached while the process trains: data and split are
// published and a stage is being built.
func training(pr progress) bool { return pr.entries == 2 && pr.builds > 0 }

// interruptWhen starts nnpipe with args, whose results and cache are given,
// sends SIGINT once its progress reaches reached, and returns the process
// and its exit status. How long it took to exit after the signal is
// logged, never judged.
func interruptWhen(t *testing.T, reached func(progress) bool, results, cacheDir string, args ...string) (*proc, int) {
	t.Helper()
	w := watch(results, cacheDir)
	p := startNNPipe(t, args...)
	w.pid = p.cmd.Process.Pid
	if !p.poll(func() bool { return reached(w.progress()) }) {
		t.Fatalf("nnpipe %v finished before the interrupt (exit %d)\n%s", args, p.cmd.ProcessState.ExitCode(), p.stderr.String())
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	code := p.wait()
	t.Logf("exited %v after SIGINT; stderr: %s", time.Since(sent).Round(time.Millisecond), p.stderr.String())
	return p, code
}

// checkInterrupted checks what every interrupt must give: exit 130, and no
// temporary folder left in results or the cache.
func checkInterrupted(t *testing.T, p *proc, code int, results, cacheDir string) {
	t.Helper()
	if code != exitInterrupted {
		t.Errorf("exit status after SIGINT = %d, want %d\n%s", code, exitInterrupted, p.stderr.String())
	}
	if left := leftovers(results, pipeline.TempPrefix+"*"); len(left) > 0 {
		t.Errorf("temporary folders left in the results after SIGINT: %v", left)
	}
	if left := leftovers(filepath.Join(cacheDir, "tmp"), "build-*", "trash-*"); len(left) > 0 {
		t.Errorf("build folders left in the cache after SIGINT: %v", left)
	}
	cacheVerifies(t, cacheDir, "after SIGINT")
}

func TestInterruptedRunExits130CleansUpAndSaysWhatFinished(t *testing.T) {
	t.Parallel()
	binary(t)
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	p, code := interruptWhen(t, training, results, cacheDir, "run", bookConfig, "--results", results, "--set", "train.steps=1000000")
	checkInterrupted(t, p, code, results, cacheDir)
	// Interrupted in a million steps of training: data and split are
	// done, train is not.
	if want := "interrupted: stages data, split finished and are cached"; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to say %q", p.stderr.String(), want)
	}
	if n := len(verifiedKeys(t, cacheDir)); n != 2 {
		t.Errorf("cache holds %d entries after the interrupt, want 2 (data, split)", n)
	}
	if left := listTree(t, filepath.Join(results, "book-ch7")); len(left) > 0 {
		t.Errorf("the interrupted run left %v in the results", left)
	}
}

func TestInterruptedSweepExits130CleansUpAndSaysWhatFinished(t *testing.T) {
	t.Parallel()
	binary(t)
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	// Every other trial is quick (20 steps), the rest take a million
	// steps: the interrupt comes once a quick trial's last stage is
	// published, while the others cannot have finished. The twelve
	// trials start at once (--jobs 12): with fewer workers than trials a
	// sweep starts its longest trials first, and the quick ones would
	// wait for a million steps.
	aTrialDone := func(progress) bool { return slices.Contains(cacheEntryStages(cacheDir), "predictions") }
	p, code := interruptWhen(t, aTrialDone, results, cacheDir, "sweep", smallSweep, "--results", results, "--jobs", "12", "--set", "sweep.train.steps=20,1000000")
	checkInterrupted(t, p, code, results, cacheDir)
	m := regexp.MustCompile(`interrupted: (\d+) of 12 trials finished and are cached`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("stderr = %q, want it to say how many of the 12 trials finished", p.stderr.String())
	}
	if m[1] == "0" || m[1] == "12" {
		t.Errorf("the interrupt says %s of 12 trials finished, want some (a quick one had finished) and not all", m[1])
	}
	if left := leftovers(cacheDir, "failures"); len(left) > 0 {
		if entries, _ := os.ReadDir(left[0]); len(entries) > 0 {
			t.Errorf("the interrupted trials were recorded as failed: %d records in %s", len(entries), left[0])
		}
	}
	// What the message says finished is what the cache holds.
	s, code, stderr := sweepJSONOf(t, smallSweep, "--results", t.TempDir(), "--cache", cacheDir, "--collect", "--set", "sweep.train.steps=20,1000000")
	if code != 0 {
		t.Fatalf("collect after the interrupt: exit %d\n%s", code, stderr)
	}
	if got := fmt.Sprint(len(s.Trials)); got != m[1] || s.Pending != 12-len(s.Trials) {
		t.Errorf("collect finds %s finished and %d pending trials; the interrupt said %s finished", got, s.Pending, m[1])
	}
}

// cacheEntryStages returns the stage ids of the entries published in a
// cache folder so far; unlike cacheEntries it may be called while a
// process writes the cache.
func cacheEntryStages(cacheDir string) []string {
	var stages []string
	paths, _ := filepath.Glob(filepath.Join(cacheDir, "v1", "*", "*", cache.EntryFile))
	for _, path := range paths {
		var e struct{ Meta struct{ Stage string } }
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &e) == nil {
			stages = append(stages, e.Meta.Stage)
		}
	}
	return stages
}

// damage is a way to break one file of a cache entry.
type damage struct {
	name   string
	stage  string // whose entry is damaged
	file   string // the file of the entry
	damage func(t *testing.T, path string)
}

var damages = []damage{
	{"a flipped byte", "train", "history.parquet", func(t *testing.T, path string) {
		b := readFile(t, path)
		b[len(b)/2] ^= 0x01
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}},
	{"a truncated file", "eval", "metrics.json", func(t *testing.T, path string) {
		if err := os.Truncate(path, 7); err != nil {
			t.Fatal(err)
		}
	}},
	{"a deleted file", "predictions", "predictions.parquet", func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}},
	{"a garbage entry.json", "data", cache.EntryFile, func(t *testing.T, path string) {
		if err := os.WriteFile(path, []byte("{\"key\": \x00\xff garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}},
}

func TestDamagedCacheEntriesAreListedByVerifyWarnedAboutAndRecomputed(t *testing.T) {
	t.Parallel()
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	steps := "train.steps=100"
	first := runJSONOf(t, bookConfig, "--results", results, "--set", steps)
	keys := map[string]string{}
	for _, s := range first.Stages {
		keys[s.ID] = s.Key
	}
	c := cache.Open(cacheDir)
	for _, d := range damages {
		d.damage(t, filepath.Join(c.Path(keys[d.stage]), d.file))
	}

	out, _, code := nnpipe(t, "cache", "verify", "--cache", cacheDir)
	if code != exitFailure {
		t.Errorf("cache verify with %d damaged entries: exit %d, want %d", len(damages), code, exitFailure)
	}
	for _, d := range damages {
		if !strings.Contains(out, "damaged "+keys[d.stage][:12]) {
			t.Errorf("cache verify does not list the %s entry damaged by %s:\n%s", d.stage, d.name, out)
		}
	}
	if want := fmt.Sprintf("6 entries checked, %d damaged", len(damages)); !strings.Contains(out, want) {
		t.Errorf("cache verify printed %q, want the line %q", out, want)
	}

	stdout, stderr, code := nnpipe(t, "run", bookConfig, "--results", results, "--set", steps, "--json")
	if code != 0 {
		t.Fatalf("run after the damage: exit %d\n%s", code, stderr)
	}
	var again runJSON
	if err := json.Unmarshal([]byte(stdout), &again); err != nil {
		t.Fatal(err)
	}
	damaged := map[string]bool{}
	for _, d := range damages {
		damaged[d.stage] = true
		if !strings.Contains(stderr, "warning: recomputing damaged cache entry: stage="+d.stage) {
			t.Errorf("no warning about the %s entry damaged by %s; stderr:\n%s", d.stage, d.name, stderr)
		}
	}
	for _, s := range again.Stages {
		// Recomputing data gives the same bytes, so split and plots, whose
		// inputs did not change, stay hits.
		if s.Cached == damaged[s.ID] {
			t.Errorf("after the damage, stage %q cached = %v, want %v", s.ID, s.Cached, !damaged[s.ID])
		}
	}
	for _, name := range publishedOutputs {
		if !bytes.Equal(readFile(t, filepath.Join(first.RunDir, name)), readFile(t, filepath.Join(again.RunDir, name))) {
			t.Errorf("%s recomputed after the damage differs from the first run's", name)
		}
	}
	out, _, code = nnpipe(t, "cache", "verify", "--cache", cacheDir)
	if code != 0 || !strings.Contains(out, "6 entries checked, 0 damaged") {
		t.Errorf("cache verify after the repair: exit %d, %q; want 0 and 6 entries intact", code, out)
	}
}

func TestCacheGCRemovesWhatNoFinishedRunReferencesAndReportsTheBytesFreed(t *testing.T) {
	t.Parallel()
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	kept := runJSONOf(t, bookConfig, "--results", results, "--set", "train.steps=100")
	gone := runJSONOf(t, bookConfig, "--results", results, "--set", "train.steps=101")
	if err := os.RemoveAll(gone.RunDir); err != nil {
		t.Fatal(err)
	}
	// A killed process's leftovers in the cache's temporary folder.
	stale := filepath.Join(cacheDir, "tmp", "build-killed")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "history.parquet"), make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, s := range kept.Stages {
		keep[s.Key] = true
	}
	c := cache.Open(cacheDir)
	freed := cache.DirSize(stale)
	var removed []string
	for _, s := range gone.Stages {
		if !keep[s.Key] {
			removed = append(removed, s.Key)
			freed += cache.DirSize(c.Path(s.Key))
		}
	}
	if len(removed) != 4 {
		t.Fatalf("the second run has %d entries of its own, want 4 (train, eval, predictions, plots)", len(removed))
	}

	out, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--keep-recent", "0s")
	if code != 0 {
		t.Fatalf("cache gc: exit %d\n%s", code, stderr)
	}
	if want := fmt.Sprintf("removed 4 entries and 1 leftover, kept 6, freed %s", formatBytes(freed)); !strings.Contains(out, want) {
		t.Errorf("cache gc printed %q, want %q", out, want)
	}
	left := verifiedKeys(t, cacheDir)
	if !reflect.DeepEqual(left, keep) {
		t.Errorf("after gc the cache holds %d entries, want exactly the 6 of the run that is kept", len(left))
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("gc left the stale build folder: %v", err)
	}
	again := runJSONOf(t, bookConfig, "--results", results, "--set", "train.steps=100")
	for _, s := range again.Stages {
		if !s.Cached {
			t.Errorf("after gc, the kept run's stage %q cached = false, want true", s.ID)
		}
	}
}

// nothingHalfWritten checks that a failed run left no folder under
// construction, no run directory, and a cache whose entries all verify.
func nothingHalfWritten(t *testing.T, results, cacheDir string) {
	t.Helper()
	for _, root := range []string{results, cacheDir} {
		if left := leftovers(root, pipeline.TempPrefix+"*", "build-*", "trash-*"); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}
	if dirs, _ := os.ReadDir(filepath.Join(results, "book-ch7")); len(dirs) > 0 {
		t.Errorf("a failed run left %d entries in %s", len(dirs), filepath.Join(results, "book-ch7"))
	}
	// A cache whose v1 folder is in the way is no cache to verify.
	if fi, err := os.Stat(filepath.Join(cacheDir, "v1")); err == nil && fi.IsDir() {
		cacheVerifies(t, cacheDir, "after the failure")
	}
}

// mountTmpfs mounts a tmpfs of size (a mount option such as "64k") at a
// new folder, or skips the test if this machine does not allow it.
func mountTmpfs(t *testing.T, size string, flags uintptr) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): this case needs root and mount rights", err)
	}
	t.Cleanup(func() {
		err := syscall.Unmount(dir, 0)
		if errors.Is(err, syscall.EBUSY) {
			// Seen once under the full suite on a busy machine, after
			// nnpipe had exited: a descriptor in the mount can outlive it
			// for a moment (a child another test is forking holds copies
			// until it execs). Detach it; the kernel frees it when idle.
			err = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		if err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func TestUnwritableResultsOrCacheFailWithOneClearErrorAndNothingHalfWritten(t *testing.T) {
	t.Parallel()
	binary(t)
	// The tests run as root, whom chmod does not stop: a folder is made
	// unwritable by putting a file where it should be, or by mounting a
	// read-only file system there.
	file := func(t *testing.T, dir, name string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("in the way\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name string
		// setup returns the --results and --cache folders (cache "" for
		// the default) and what the error must say.
		setup func(t *testing.T) (results, cacheDir string, want []string)
		// code is the exit status: a file where a folder the user named
		// (or its folder of the config's name) must be is invalid input,
		// refused before any work; a file system that refuses writes is a
		// failure of the work.
		code int
	}{
		{"results is a file", func(t *testing.T) (string, string, []string) {
			return file(t, t.TempDir(), "results"), "", []string{"not a directory"}
		}, exitInvalid},
		{"results is a file and the cache elsewhere", func(t *testing.T) (string, string, []string) {
			return file(t, t.TempDir(), "results"), filepath.Join(t.TempDir(), "cache"), []string{"not a directory"}
		}, exitInvalid},
		{"the config's folder in results is a file", func(t *testing.T) (string, string, []string) {
			results := t.TempDir()
			file(t, results, "book-ch7")
			return results, filepath.Join(t.TempDir(), "cache"), []string{"not a directory"}
		}, exitInvalid},
		{"cache is a file", func(t *testing.T) (string, string, []string) {
			return t.TempDir(), file(t, t.TempDir(), "cache"), []string{"not a directory"}
		}, exitInvalid},
		{"the cache's v1 folder is a file", func(t *testing.T) (string, string, []string) {
			cacheDir := t.TempDir()
			file(t, cacheDir, "v1")
			return t.TempDir(), cacheDir, []string{"not a directory"}
		}, exitFailure},
		{"results on a read-only file system", func(t *testing.T) (string, string, []string) {
			return mountTmpfs(t, "64k", syscall.MS_RDONLY), filepath.Join(t.TempDir(), "cache"), []string{"read-only file system"}
		}, exitFailure},
		{"cache on a read-only file system", func(t *testing.T) (string, string, []string) {
			return t.TempDir(), mountTmpfs(t, "64k", syscall.MS_RDONLY), []string{"read-only file system"}
		}, exitFailure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results, cacheDir, want := c.setup(t)
			args := []string{"run", bookConfig, "--results", results, "--set", "train.steps=100"}
			if cacheDir != "" {
				args = append(args, "--cache", cacheDir)
			} else {
				cacheDir = filepath.Join(results, ".cache")
			}
			p := startNNPipe(t, args...)
			code := p.wait()
			t.Logf("%s", p.stderr.String())
			if code != c.code {
				t.Errorf("exit status = %d, want %d", code, c.code)
			}
			oneLineError(t, p.stderr.String(), want...)
			if fi, err := os.Stat(results); err == nil && fi.IsDir() {
				nothingHalfWritten(t, results, cacheDir)
			}
		})
	}
}

func TestFullDiskFailsWithOneClearErrorAndNothingHalfWritten(t *testing.T) {
	t.Parallel()
	binary(t)
	// A run of the book's config writes about 440 KB to the cache and 380
	// KB to its run directory. These sizes make it fail at different
	// writes: the split's entry, the training history, a plot, the copy
	// into the run directory.
	for _, size := range []string{"16k", "96k", "300k", "600k"} {
		t.Run(size, func(t *testing.T) {
			disk := mountTmpfs(t, size, 0)
			results := filepath.Join(disk, "results")
			cacheDir := filepath.Join(results, ".cache")
			p := startNNPipe(t, "run", bookConfig, "--results", results)
			code := p.wait()
			t.Logf("%s", p.stderr.String())
			if code != exitFailure {
				t.Errorf("exit status = %d, want %d\n%s", code, exitFailure, p.stderr.String())
			}
			oneLineError(t, p.stderr.String(), "no space left on device")
			nothingHalfWritten(t, results, cacheDir)
		})
	}
}

// startTogether starts every command at once and waits for all of them;
// p.err says how each ended.
func startTogether(t *testing.T, cmds [][]string) []*proc {
	t.Helper()
	procs := make([]*proc, len(cmds))
	for i, args := range cmds {
		procs[i] = startNNPipe(t, args...)
	}
	for _, p := range procs {
		p.wait()
	}
	return procs
}

func TestTwoRunsOfOneConfigAtOnceBothSucceedWithOneEntryPerStage(t *testing.T) {
	t.Parallel()
	binary(t)
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	args := []string{"run", bookConfig, "--results", results, "--json", "--quiet"}
	// pair starts two runs at once and checks both succeeded with the
	// same outputs in two run directories.
	pair := func(t *testing.T) bool {
		t.Helper()
		procs := startTogether(t, [][]string{args, args})
		var runs [2]runJSON
		for i, p := range procs {
			if p.err != nil {
				t.Errorf("process %d of 2: %v\n%s", i+1, p.err, p.stderr.String())
				return false
			}
			if err := json.Unmarshal(p.stdout.Bytes(), &runs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if runs[0].RunDir == runs[1].RunDir {
			t.Errorf("both runs report the run directory %s", runs[0].RunDir)
		}
		for i := range runs[0].Stages {
			if runs[0].Stages[i].Key != runs[1].Stages[i].Key {
				t.Errorf("stage %q has different keys in the two runs", runs[0].Stages[i].ID)
			}
		}
		for _, name := range append([]string{"model.json"}, publishedOutputs...) {
			if !bytes.Equal(readFile(t, filepath.Join(runs[0].RunDir, name)), readFile(t, filepath.Join(runs[1].RunDir, name))) {
				t.Errorf("%s differs between the two runs", name)
			}
		}
		return true
	}
	t.Run("on an empty cache", func(t *testing.T) {
		pair(t)
		if n := len(verifiedKeys(t, cacheDir)); n != 6 {
			t.Errorf("the cache holds %d entries that verify, want one per stage (6)", n)
		}
		if listed, _ := cache.Open(cacheDir).List(); len(listed) != 6 {
			t.Errorf("the cache lists %d entry folders, want 6", len(listed))
		}
		if left := leftovers(filepath.Join(cacheDir, "tmp"), "build-*", "trash-*"); len(left) > 0 {
			t.Errorf("left in the cache's temporary folder: %v", left)
		}
		cacheVerifies(t, cacheDir, "after two runs at once")
	})
	// With every stage a hit, both runs reach their run directory within a
	// few milliseconds of each other, in the same second: the race for the
	// run id shows at once (the first pair above meets it about one time
	// in five).
	t.Run("with every stage cached, five pairs", func(t *testing.T) {
		for range 5 {
			if !pair(t) {
				break
			}
		}
	})
	for _, p := range partialResults(t, results) {
		t.Errorf("partial result: %s", p)
	}
}

func TestFourShardsAndARunAtOnceOnOneCacheCollectLikeOneProcess(t *testing.T) {
	t.Parallel()
	binary(t)
	shared := t.TempDir()
	cacheDir := filepath.Join(shared, "cache")
	var cmds [][]string
	for i := range 4 {
		cmds = append(cmds, []string{"sweep", smallSweep, "--shard", fmt.Sprintf("%d/4", i), "--cache", cacheDir, "--results", shared, "--jobs", "1", "--quiet"})
	}
	// The run's config is the grid's trial train.hidden=2, train.init.seed=1,
	// so it computes the same keys as one of the shards at the same time.
	cmds = append(cmds, []string{"run", smallSweep, "--cache", cacheDir, "--results", shared, "--json", "--quiet"})
	procs := startTogether(t, cmds)
	for i, p := range procs {
		if p.err != nil {
			t.Fatalf("%v: %v\n%s", cmds[i], p.err, p.stderr.String())
		}
	}
	var run runJSON
	if err := json.Unmarshal(procs[4].stdout.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	collected, code, stderr := sweepJSONOf(t, smallSweep, "--collect", "--cache", cacheDir, "--results", shared)
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	if collected.Pending != 0 || len(collected.Trials) != 6 {
		t.Fatalf("collect found %d trials and %d pending, want 6 and 0", len(collected.Trials), collected.Pending)
	}
	single, code, stderr := sweepJSONOf(t, smallSweep, "--results", t.TempDir())
	if code != 0 {
		t.Fatalf("one-process sweep: exit %d\n%s", code, stderr)
	}
	if a, b := summaryWithoutTimes(t, collected.SweepDir), summaryWithoutTimes(t, single.SweepDir); !reflect.DeepEqual(a, b) {
		t.Errorf("the collected summary differs from a one-process sweep's")
	}
	for i, tr := range collected.Trials {
		for _, name := range publishedOutputs {
			if !bytes.Equal(readFile(t, filepath.Join(tr.RunDir, name)), readFile(t, filepath.Join(single.Trials[i].RunDir, name))) {
				t.Errorf("trial %s: %s differs from the one-process sweep's", tr.TrialID, name)
			}
		}
		if tr.Values["train.hidden"] == "2" && tr.Values["train.init.seed"] == "1" {
			// predictions.parquet names its run in its metadata; the rest is equal.
			for _, name := range []string{"metrics.json", "history.parquet"} {
				if !bytes.Equal(readFile(t, filepath.Join(tr.RunDir, name)), readFile(t, filepath.Join(run.RunDir, name))) {
					t.Errorf("the run's %s differs from its trial's", name)
				}
			}
		}
	}
	cacheVerifies(t, cacheDir, "after the shards and the run")
	if left := leftovers(filepath.Join(cacheDir, "tmp"), "build-*", "trash-*"); len(left) > 0 {
		t.Errorf("left in the cache's temporary folder: %v", left)
	}
}
