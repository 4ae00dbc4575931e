package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/results"
)

// Work that a command skips because something failed must make it fail:
// these tests break the cache or the results in ways that let no trial or
// stage run, and check that the command says so, once per problem, and
// exits non-zero.

// stderrLines splits what a command printed on stderr into lines.
func stderrLines(stderr string) []string {
	if stderr == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
}

// blockedCache returns a cache folder in which nothing can be computed:
// a file stands where its temporary folder goes, while lookups simply
// miss.
func blockedCache(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp"), []byte("in the way\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unreadableCache returns a cache folder whose entries cannot be looked
// up: its v1 folder is a symbolic link to itself (a permission would not
// stop the root user the tests may run as).
func unreadableCache(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("v1", filepath.Join(dir, "v1")); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	return dir
}

// hundredTrials makes testdata/sweep/small.yaml a grid of 100 trials.
func hundredTrials() []string {
	hidden := make([]string, 50)
	for i := range hidden {
		hidden[i] = strconv.Itoa(i + 1)
	}
	return []string{"--set", "sweep.train.hidden=" + strings.Join(hidden, ",")}
}

// sweepManifestAt reads a sweep directory's sweep.json, checking that its
// trials are a list (possibly empty), never null.
func sweepManifestAt(t *testing.T, dir string) results.SweepManifest {
	t.Helper()
	b := readFile(t, filepath.Join(dir, "sweep.json"))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(raw["trials"])); !strings.HasPrefix(s, "[") {
		t.Errorf("sweep.json: trials = %s, want a list", s)
	}
	var m results.SweepManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSweepWhoseTrialsCannotRunFailsWithOneLinePerProblem(t *testing.T) {
	t.Parallel()
	for _, asJSON := range []bool{false, true} {
		t.Run("json="+strconv.FormatBool(asJSON), func(t *testing.T) {
			results := t.TempDir()
			args := append([]string{"sweep", smallSweep, "--results", results, "--cache", blockedCache(t), "--quiet"}, hundredTrials()...)
			if asJSON {
				args = append(args, "--json")
			}
			stdout, stderr, code := nnpipe(t, args...)
			if code != exitFailure {
				t.Errorf("exit %d, want %d\n%s", code, exitFailure, stderr)
			}
			lines := stderrLines(stderr)
			if len(lines) != 2 {
				t.Fatalf("stderr has %d lines, want 2 (the problem, once, and the count):\n%s", len(lines), stderr)
			}
			if want := regexp.MustCompile(`^nnpipe: trial [0-9a-f]{12} \(train\.hidden=\d+ train\.init\.seed=\d\) and 99 other trials did not run: stage "data": cache: .*not a directory$`); !want.MatchString(lines[0]) {
				t.Errorf("stderr line 1 = %q, want it to match %s", lines[0], want)
			}
			if want := "nnpipe: " + smallSweep + ": 100 of 100 trials did not run"; lines[1] != want {
				t.Errorf("stderr line 2 = %q, want %q", lines[1], want)
			}
			var dir string
			if asJSON {
				var s sweepJSON
				if err := json.Unmarshal([]byte(stdout), &s); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
				}
				if !strings.Contains(stdout, `"trials": []`) || s.Pending != 100 {
					t.Errorf("sweep --json: pending %d and trials %v, want 100 and an empty list", s.Pending, s.Trials)
				}
				dir = s.SweepDir
			} else {
				m := regexp.MustCompile(`sweep directory: (.*)\n`).FindStringSubmatch(stdout)
				if m == nil {
					t.Fatalf("stdout names no sweep directory:\n%s", stdout)
				}
				dir = m[1]
			}
			if m := sweepManifestAt(t, dir); len(m.Trials) != 0 || m.Pending != 100 {
				t.Errorf("sweep.json: %d trials and %d pending, want none and 100", len(m.Trials), m.Pending)
			}
		})
	}
}

func TestShardWhoseTrialsCannotRunFailsWithOneLinePerProblem(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := nnpipe(t, append([]string{"sweep", smallSweep, "--shard", "1/2", "--results", t.TempDir(), "--cache", blockedCache(t)}, hundredTrials()...)...)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	lines := stderrLines(stderr)
	if len(lines) != 2 || !strings.Contains(lines[0], "and 49 other trials did not run: ") || lines[1] != "nnpipe: shard 1/2: 50 of 50 trials did not run" {
		t.Errorf("stderr = %q, want the problem once and the count", stderr)
	}
	if want := "shard 1/2: 50 trials, 0 cached, 0 failed, 50 did not run"; !strings.Contains(stdout, want) {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
}

func TestShardTellsAFailedTrialFromOneThatDidNotRun(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := nnpipe(t, "sweep", "testdata/sweep/diverging.yaml", "--shard", "0/1", "--results", t.TempDir())
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if want := "2 trials, 0 cached, 1 failed, 0 did not run"; !strings.Contains(stdout, want) {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	lines := stderrLines(stderr)
	if len(lines) != 2 || !strings.Contains(lines[0], "(train.learning_rate=1e6) diverged: stage \"train\": ") || lines[1] != "nnpipe: shard 0/1: 1 trial of 2 failed" {
		t.Errorf("stderr = %q, want the diverged trial's error and the count", stderr)
	}
}

func TestSweepPrintsEachFailedTrialsError(t *testing.T) {
	t.Parallel()
	_, stderr, code := nnpipe(t, "sweep", "testdata/sweep/diverging.yaml", "--results", t.TempDir(), "--quiet")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	lines := stderrLines(stderr)
	if len(lines) != 2 || !strings.Contains(lines[0], "(train.learning_rate=1e6) diverged: stage \"train\": ") ||
		lines[1] != "nnpipe: testdata/sweep/diverging.yaml: 1 trial of 2 failed" {
		t.Errorf("stderr = %q, want the diverged trial's error and the count", stderr)
	}
}

// cacheWithV1File is a cache folder whose v1 folder, which holds the
// entries, is a file: every lookup would find nothing.
func cacheWithV1File(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "v1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSweepAndCollectWithAnUnreadableCacheFail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cache func(t *testing.T) string
		args  []string
		lines int
		want  string
		// code is the exit status: a --cache that is a file is the
		// user's input to change; a cache that cannot be read is not.
		code int
	}{
		{"collect, entries unreadable", unreadableCache, []string{"--collect"}, 1, "too many levels of symbolic links", exitFailure},
		{"collect --json, entries unreadable", unreadableCache, []string{"--collect", "--json"}, 1, "too many levels of symbolic links", exitFailure},
		{"sweep --json, entries unreadable", unreadableCache, []string{"--json"}, 2, "too many levels of symbolic links", exitFailure},
		{"collect, the cache a file", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "cache")
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, []string{"--collect"}, 1, "not a directory", exitInvalid},
		{"sweep --json, the cache a file", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "cache")
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, []string{"--json"}, 1, "not a directory", exitInvalid},
		{"collect, the cache's v1 folder a file", cacheWithV1File, []string{"--collect"}, 1, "v1 is not a directory", exitFailure},
		{"sweep, the cache's v1 folder a file", cacheWithV1File, nil, 1, "v1 is not a directory", exitFailure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results := t.TempDir()
			stdout, stderr, code := nnpipe(t, append([]string{"sweep", smallSweep, "--results", results, "--cache", c.cache(t), "--quiet"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			lines := stderrLines(stderr)
			if len(lines) != c.lines || !strings.Contains(lines[len(lines)-1], c.want) {
				t.Errorf("stderr = %q, want %d lines, the last saying %q", stderr, c.lines, c.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing: no sweep was assembled", stdout)
			}
			if left := listTree(t, results); len(left) > 0 {
				t.Errorf("results hold %v, want nothing", left)
			}
		})
	}
}

func TestSweepRefusedForItsDataWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "sweep.yaml")
	src := `name: missing-data
stages:
  - {id: data, kind: load, with: {path: no-such.csv, label: y}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, steps: 5}}
sweep:
  train.hidden: [1, 2]
`
	if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	_, stderr, code := nnpipe(t, "sweep", config, "--results", results, "--quiet")
	if code != exitInvalid {
		t.Errorf("exit %d, want %d\n%s", code, exitInvalid, stderr)
	}
	if !strings.Contains(stderr, "no-such.csv") {
		t.Errorf("stderr = %q, want it to name the missing file", stderr)
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("results: %v %v, want no folder at all", err, listTree(t, results))
	}
}

// TestSweepWhoseTrialsAllRefuseTheDataWritesNoSweep: a value the load
// stage refuses, in the file every trial reads, makes each trial fail
// with the same refusal; the sweep is then refused as the run is (exit 2,
// that one line, no sweep directory), while a sweep in which only some
// trials read the bad file is a sweep with failed trials (exit 1, the
// sweep directory written).
func TestSweepWhoseTrialsAllRefuseTheDataWritesNoSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := "x,y\n0.1,a\n0.2,b\n0.3,a\n0.4,b\n0.5,a\n0.6,b\n"
	files := map[string]string{"good.csv": good, "bad.csv": good + "oops,a\n"}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const stages = `stages:
  - {id: data, kind: load, with: {path: bad.csv, label: y}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, steps: 5}}
`
	cases := []struct {
		name, sweep string
		code        int
		sweepDir    bool
	}{
		{"every trial reads the bad file", "sweep:\n  train.hidden: [1, 2, 3]\n", exitInvalid, false},
		{"one trial of two reads the bad file", "sweep:\n  data.path: [good.csv, bad.csv]\n", exitFailure, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := filepath.Join(dir, fmt.Sprintf("sweep%d.yaml", i))
			if err := os.WriteFile(config, []byte("name: refused\n"+stages+c.sweep), 0o644); err != nil {
				t.Fatal(err)
			}
			results := filepath.Join(t.TempDir(), "results")
			_, stderr, code := nnpipe(t, "sweep", config, "--results", results, "--quiet")
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			lines := stderrLines(stderr)
			if c.code == exitInvalid && (len(lines) != 1 || !strings.Contains(lines[0], `bad.csv:8: column "x": "oops" is not a number`)) {
				t.Errorf("stderr = %q, want one line naming the file, its line and the column", stderr)
			}
			sweeps, _ := filepath.Glob(filepath.Join(results, "refused", "sweep-*"))
			if got := len(sweeps) > 0; got != c.sweepDir {
				t.Errorf("sweep directory written: %v, want %v (results hold %v)", got, c.sweepDir, listTree(t, results))
			}
		})
	}
}

// outSpellings returns ways to write the folder dir (which need not
// exist): with a trailing slash, a trailing dot, a doubled slash, and
// relative to the working folder starting with ./.
func outSpellings(t *testing.T, dir string) map[string]string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"slash":         dir + "/",
		"dot":           dir + "/.",
		"double slash":  dir + "//",
		"dot slash rel": "./" + rel,
	}
}

func TestOutIsTheSameFolderHoweverItIsSpelt(t *testing.T) {
	t.Parallel()
	commands := map[string][]string{
		"run":   {"run", "testdata/ok.yaml", "--json"},
		"sweep": {"sweep", smallSweep, "--json", "--set", "sweep.train.hidden=1", "--set", "sweep.train.init.seed=1"},
	}
	shared := t.TempDir()
	for cmd, args := range commands {
		for _, existing := range []bool{false, true} {
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			if existing {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, spelt := range outSpellings(t, dir) {
				if testing.Short() && name != "slash" {
					continue // each spelling takes a run or a sweep
				}
				t.Run(cmd+"/"+name+"/existing="+strconv.FormatBool(existing), func(t *testing.T) {
					if err := os.RemoveAll(dir); err != nil {
						t.Fatal(err)
					}
					if existing {
						if err := os.Mkdir(dir, 0o755); err != nil {
							t.Fatal(err)
						}
					}
					stdout, stderr, code := nnpipe(t, append(args, "--out", spelt, "--results", shared, "--quiet")...)
					if code != exitOK {
						t.Fatalf("--out %s: exit %d\n%s", spelt, code, stderr)
					}
					var got struct {
						RunDir   string `json:"run_dir"`
						SweepDir string `json:"sweep_dir"`
					}
					if err := json.Unmarshal([]byte(stdout), &got); err != nil {
						t.Fatal(err)
					}
					if where := got.RunDir + got.SweepDir; where != filepath.Clean(spelt) {
						t.Errorf("written to %q, want %q", where, filepath.Clean(spelt))
					}
					marker := map[string]string{"run": "manifest.json", "sweep": "sweep.json"}[cmd]
					if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
						t.Errorf("--out %s: %v", spelt, err)
					}
					if entries, _ := os.ReadDir(parent); len(entries) != 1 {
						t.Errorf("--out %s left %d entries beside the folder, want none", spelt, len(entries)-1)
					}
				})
			}
		}
	}
}

func TestFailureLeavesNoEmptyFolder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		args  []string
		cache func(t *testing.T) string
	}{
		// A sweep whose trials cannot run still writes its directory,
		// listing them as not finished; one whose cache cannot be read
		// cannot be assembled.
		{"run, nothing computed", []string{"run", "testdata/ok.yaml"}, blockedCache},
		{"run, cache unreadable", []string{"run", "testdata/ok.yaml"}, unreadableCache},
		{"sweep, cache unreadable", []string{"sweep", smallSweep}, unreadableCache},
		{"collect, cache unreadable", []string{"sweep", smallSweep, "--collect"}, unreadableCache},
	}
	for _, c := range cases {
		for _, where := range []string{"--out", "--results"} {
			t.Run(c.name+" "+where, func(t *testing.T) {
				root := t.TempDir()
				args := append(c.args, "--cache", c.cache(t), "--quiet")
				if where == "--out" {
					args = append(args, "--out", filepath.Join(root, "a", "b", "out")+"/", "--results", t.TempDir())
				} else {
					args = append(args, "--results", filepath.Join(root, "a", "results"))
				}
				_, stderr, code := nnpipe(t, args...)
				if code != exitFailure {
					t.Errorf("exit %d, want %d\n%s", code, exitFailure, stderr)
				}
				if left := listTree(t, root); len(left) > 0 {
					t.Errorf("the failure left %v", left)
				}
			})
		}
	}
}

func TestTakenOutIsRefusedBeforeAnyWork(t *testing.T) {
	t.Parallel()
	commands := map[string][]string{
		"run":     {"run", "testdata/ok.yaml"},
		"sweep":   {"sweep", smallSweep},
		"collect": {"sweep", smallSweep, "--collect"},
	}
	for cmd, args := range commands {
		for _, suffix := range []string{"", "/", "/.", "//"} {
			t.Run(cmd+" "+suffix, func(t *testing.T) {
				root := t.TempDir()
				out := filepath.Join(root, "out")
				if err := os.MkdirAll(out, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(out, "theirs"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				results := filepath.Join(root, "results")
				_, stderr, code := nnpipe(t, append(args, "--out", out+suffix, "--results", results)...)
				if code != exitInvalid {
					t.Errorf("exit %d, want %d", code, exitInvalid)
				}
				if lines := stderrLines(stderr); len(lines) != 1 || !strings.Contains(lines[0], "--out "+out+suffix+": already exists and is not empty") {
					t.Errorf("stderr = %q, want one line saying --out is not empty", stderr)
				}
				if got := listTree(t, root); !slices.Equal(got, []string{"out", "out/theirs"}) {
					t.Errorf("the refused command left %v, want out/theirs alone (no results, no cache)", got)
				}
			})
		}
	}
}

func TestShardJSONIsJSONWithEachTrialsOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		args   []string
		status map[string]int // status -> trials
	}{
		{"a diverged trial", []string{"testdata/sweep/diverging.yaml", "--shard", "0/1", "--results", t.TempDir()},
			map[string]int{results.StatusOK: 1, results.StatusDiverged: 1}},
		{"trials that cannot run", []string{smallSweep, "--shard", "0/2", "--results", t.TempDir(), "--cache", blockedCache(t)},
			map[string]int{statusNotRun: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := nnpipe(t, append([]string{"sweep", "--json"}, c.args...)...)
			if code != exitFailure {
				t.Errorf("exit %d, want %d\n%s", code, exitFailure, stderr)
			}
			var out shardJSON
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			got := map[string]int{}
			for _, tr := range out.Trials {
				got[tr.Status]++
				if (tr.Status == results.StatusOK) != (tr.Error == "") {
					t.Errorf("trial %s: status %s with error %q", tr.TrialID, tr.Status, tr.Error)
				}
			}
			if !reflect.DeepEqual(got, c.status) {
				t.Errorf("statuses %v, want %v", got, c.status)
			}
		})
	}
}
