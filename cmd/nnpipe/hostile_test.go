//go:build linux

package main

// Hostile and odd input: configs built to escape the results folder, to
// exhaust memory or time, data files that are not files, and numbers at
// the edge of what training can do. Each hostile input must be refused with
// exit 2, with a short clear error and bounded memory, writing nothing
// anywhere. How long a refusal took is logged; a refusal that hangs is
// caught by go test's -timeout.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages"
)

// Bounds on a refusal. Each of the 77 refusals observed here (2 cores,
// shared) peaked at 26–36 MB resident, the binary's own baseline being
// about 22 MB; so the memory bound only catches blow-ups. The two 100 MB
// lines are the exception: they reach the bound only because the guard
// stops them (unguarded, the one field takes 0.9 GB and prints the 100 MB
// line in its error; the 52 million fields take 5.3 GB).
const (
	hostileMaxRSS    = 256 << 20 // bytes
	hostileMaxStderr = 16 << 10  // bytes: a clear error is a few lines
)

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Bytes returns a copy of what was written so far.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// Len returns the number of bytes written so far.
func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// rssOf returns the resident memory of process pid in bytes, or 0.
func rssOf(pid int) int64 { return procStatus(pid, "VmRSS:") }

// procStatus returns a memory field of /proc/pid/status in bytes, or 0.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// bounded is how a guarded process ended.
type bounded struct {
	code     int // exit status, -1 if killed
	took     time.Duration
	peakRSS  int64 // bytes
	killedBy string
	stderr   string
	stderrN  int
}

// runBounded runs the binary with args in dir and kills it if its memory
// exceeds hostileMaxRSS or its messages hostileMaxStderr, so that a
// blow-up fails the test instead of the machine. How long it took is for
// the log only.
func runBounded(t *testing.T, dir string, args ...string) bounded {
	t.Helper()
	c := exec.Command(binary(t), args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "NNPIPE_CACHE=")
	var stdout, stderr lockedBuffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		c.Wait()
		close(done)
	}()
	var r bounded
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			// The child's high-water mark, sampled: the rusage of a
			// child that os/exec started with vfork also counts the test
			// process's own pages from before the exec.
			r.peakRSS = max(r.peakRSS, procStatus(c.Process.Pid, "VmHWM:"))
			if rss := rssOf(c.Process.Pid); rss > hostileMaxRSS {
				r.killedBy = fmt.Sprintf("%d MB resident, over %d MB", rss>>20, hostileMaxRSS>>20)
			}
			if stderr.Len() > hostileMaxStderr {
				r.killedBy = fmt.Sprintf("over %d KB of messages", hostileMaxStderr>>10)
			}
		}
		if r.killedBy != "" {
			c.Process.Kill()
			<-done
			break
		}
	}
	r.took = time.Since(start)
	r.code = c.ProcessState.ExitCode()
	r.stderr, r.stderrN = stderr.String(), stderr.Len()
	if len(r.stderr) > 2000 {
		r.stderr = r.stderr[:2000] + "…"
	}
	return r
}

// hostileCase is a hostile config and how it must be refused.
type hostileCase struct {
	name string
	// file is a config under testdata/hostile/, or make writes one into dir
	// and returns its path.
	file string
	make func(t *testing.T, dir string) string
	args []string       // more arguments after the config
	cmds []string       // the commands that must refuse it; default run, sweep, validate, plan
	want *regexp.Regexp // the error must match
}

// writeConfig writes src as name in dir.
func writeConfig(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// minimalConfig is a valid config with the given name and first stage id,
// with a sweep of two seeds, so that `sweep` goes as far as `run` does.
func minimalConfig(name, id string) string {
	return fmt.Sprintf("name: %s\nseed: 1\nstages:\n  - {id: %s, kind: generate, with: {n: 20}}\n  - {id: split, kind: split}\n  - {id: train, kind: train, with: {steps: 5}}\n%s", name, id, twoSeeds)
}

// twoSeeds is a sweep section that ends a config.
const twoSeeds = "sweep:\n  seed: [1, 2]\n"

var hostileConfigs = []hostileCase{
	{name: "name with ../", file: "name-dotdot.yaml", want: regexp.MustCompile(`name: must match`)},
	{name: "name with /", file: "name-slash.yaml", want: regexp.MustCompile(`name: must match`)},
	{name: "name with an escaped NUL", file: "name-nul.yaml", want: regexp.MustCompile(`name: must match .*\\x00`)},
	{name: "name with a NUL byte", want: regexp.MustCompile(`malformed YAML: control characters`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "nul-byte.yaml", minimalConfig("book\x00ch7", "data"))
		}},
	{name: "name of 10,000 characters", want: regexp.MustCompile(`name: must match .*at most 64 characters, got "a{64}…"`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "long-name.yaml", minimalConfig(strings.Repeat("a", 10_000), "data"))
		}},
	{name: "name ../ given with --set", args: []string{"--set", "name=../escape"}, want: regexp.MustCompile(`name`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "ok.yaml", minimalConfig("ok", "data"))
		}},
	{name: "name of 10,000 characters given with --set", args: []string{"--set", "name=" + strings.Repeat("b", 10_000)}, want: regexp.MustCompile(`name`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "ok.yaml", minimalConfig("ok", "data"))
		}},
	{name: "stage id with ../", file: "id-dotdot.yaml", want: regexp.MustCompile(`id: must match`)},
	{name: "stage id with /", file: "id-slash.yaml", want: regexp.MustCompile(`id: must match`)},
	{name: "stage id with a NUL", file: "id-nul.yaml", want: regexp.MustCompile(`id: must match .*\\x00`)},
	{name: "stage id of 10,000 characters", want: regexp.MustCompile(`id: must match .*got "d{64}…"`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "long-id.yaml", minimalConfig("hostile", strings.Repeat("d", 10_000)))
		}},
	{name: "stage input naming ../", file: "input-dotdot.yaml", cmds: []string{"run", "validate", "plan"}, want: regexp.MustCompile(`not an output of an earlier stage`)},
	{name: "billion laughs everywhere the decoder walks", file: "billion-laughs.yaml", want: regexp.MustCompile(`expands to more than \d+ nodes`)},
	{name: "billion laughs as the stage list", file: "billion-laughs-stages.yaml", want: regexp.MustCompile(`expands to more than \d+ nodes`)},
	{name: "parameters nested 10,000 deep", want: regexp.MustCompile(`malformed YAML|expected`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "deep-with.yaml", "name: deep\nseed: 1\nstages:\n  - id: data\n    kind: generate\n    with: "+
				strings.Repeat("{n: ", 10_000)+"1"+strings.Repeat("}", 10_000)+"\n"+twoSeeds)
		}},
	{name: "inputs nested 10,000 deep", want: regexp.MustCompile(`malformed YAML|expected`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "deep-inputs.yaml", "name: deep\nseed: 1\nstages:\n  - {id: data, kind: generate}\n  - id: split\n    kind: split\n    inputs: "+
				strings.Repeat("{a: ", 9_999)+"1"+strings.Repeat("}", 9_999)+"\n"+twoSeeds)
		}},
	{name: "stage list nested 10,000 deep", want: regexp.MustCompile(`malformed YAML|expected`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "deep-stages.yaml", "name: deep\nseed: 1\nstages: "+strings.Repeat("[", 10_000)+strings.Repeat("]", 10_000)+"\n"+twoSeeds)
		}},
	{name: "sweep values nested 100,000 deep", want: regexp.MustCompile(`malformed YAML|expected`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "deep-sweep.yaml", "name: deep\nseed: 1\nstages:\n  - {id: data, kind: generate}\nsweep:\n  seed: "+strings.Repeat("[", 100_000)+"1"+strings.Repeat("]", 100_000)+"\n")
		}},
	{name: "a data file that does not exist", want: regexp.MustCompile(`missing\.yaml:6: (trial seed=1: )?stage "data": path: "[^"]*missing\.csv": no such file or directory`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "missing.yaml", "name: missing\nseed: 1\nstages:\n  - id: data\n    kind: load\n"+
				"    with: {path: missing.csv, label: y}\n  - {id: split, kind: split}\n"+twoSeeds)
		}},
	{name: "a data path that is a directory", want: regexp.MustCompile(`folder\.yaml:6: (trial seed=1: )?stage "data": path: "[^"]*data\.csv" is a directory, want a file`),
		make: func(t *testing.T, dir string) string {
			if err := os.Mkdir(filepath.Join(dir, "data.csv"), 0o755); err != nil {
				t.Fatal(err)
			}
			return writeConfig(t, dir, "folder.yaml", "name: folder\nseed: 1\nstages:\n  - id: data\n    kind: load\n"+
				"    with: {path: data.csv, label: y}\n  - {id: split, kind: split}\n"+twoSeeds)
		}},
	{name: "a data path that is a device", want: regexp.MustCompile(`device\.yaml:6: (trial seed=1: )?stage "data": path: "/dev/null" is a device, not a regular file`),
		make: func(t *testing.T, dir string) string {
			return writeConfig(t, dir, "device.yaml", "name: device\nseed: 1\nstages:\n  - id: data\n    kind: load\n"+
				"    with: {path: /dev/null, format: csv, label: y}\n  - {id: split, kind: split}\n"+twoSeeds)
		}},
	{name: "a data path that is a named pipe", want: regexp.MustCompile(`pipe\.yaml:6: (trial seed=1: )?stage "data": path: "[^"]*data\.csv" is a named pipe, not a regular file`),
		make: func(t *testing.T, dir string) string {
			if err := syscall.Mkfifo(filepath.Join(dir, "data.csv"), 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			return writeConfig(t, dir, "pipe.yaml", "name: pipe\nseed: 1\nstages:\n  - id: data\n    kind: load\n"+
				"    with: {path: data.csv, label: y}\n  - {id: split, kind: split}\n"+twoSeeds)
		}},
	// `run` runs the config without its grid, so only the commands that
	// read the grid must refuse it.
	{name: "sweep grid of 10^9 trials", file: "grid-1e9.yaml", cmds: []string{"sweep", "plan", "validate"}, want: regexp.MustCompile(`1000000000 trials`)},
}

// hostileLoads are the `load` stage's hostile data files; make writes the
// data file into dir and returns its path.
var hostileLoads = []struct {
	name string
	make func(t *testing.T, dir string) string
	cmds []string
	want *regexp.Regexp
}{
	{"a directory", func(t *testing.T, dir string) string {
		path := filepath.Join(dir, "data.csv")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}, []string{"run", "plan"}, regexp.MustCompile(`directory`)},
	{"a FIFO with no writer", func(t *testing.T, dir string) string {
		path := filepath.Join(dir, "data.csv")
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}, []string{"run", "plan"}, regexp.MustCompile(`FIFO|pipe`)},
	// Made here, never committed: 100 MB of one field, no newline.
	{"a 100 MB line of one field", func(t *testing.T, dir string) string {
		return writeConfig(t, dir, "data.csv", strings.Repeat("a", 100<<20))
	}, []string{"run"}, regexp.MustCompile(`data.csv`)},
	// 100 MB of "1," on one line: 52 million columns.
	{"a 100 MB line of 52 million fields", func(t *testing.T, dir string) string {
		return writeConfig(t, dir, "data.csv", strings.Repeat("1,", 50<<20))
	}, []string{"run"}, regexp.MustCompile(`data.csv`)},
	// 40 MB in one quoted value of 400,000 short lines: when only lines were bounded, it
	// loaded, the value a class name, at half a gigabyte.
	{"a 40 MB quoted value over 400,000 lines", func(t *testing.T, dir string) string {
		return writeConfig(t, dir, "data.csv", "a,b,label\n1,2,\""+strings.Repeat(strings.Repeat("x", 99)+"\n", 400_000)+"\"\n2,3,1\n3,4,0\n4,5,1\n")
	}, []string{"run"}, regexp.MustCompile(`data.csv:2: record is longer than 1048576 bytes`)},
	// A 317-byte Parquet file whose footer claims 2³¹ rows: unguarded, the loader allocated
	// rows × features before reading a row group and the process died out of memory.
	{"a Parquet footer claiming 2^31 rows", func(t *testing.T, dir string) string {
		return writeConfig(t, dir, "data.parquet", string(readFile(t, filepath.Join("testdata", "baddata", "huge-footer.parquet"))))
	}, []string{"run"}, regexp.MustCompile(`data.parquet: corrupt Parquet file: the footer claims 2147483648 rows`)},
	// 10,000 distinct labels: unguarded, evaluate ran for minutes, peaked at 8 GB and wrote
	// 2.2 GB of confusion matrices.
	{"10,000 distinct labels", func(t *testing.T, dir string) string {
		var b strings.Builder
		b.WriteString("x,label\n")
		for i := range 10_000 {
			fmt.Fprintf(&b, "%d,%d\n", i, i)
		}
		return writeConfig(t, dir, "data.csv", b.String())
	}, []string{"run"}, regexp.MustCompile(`data.csv:1: column "label": 10000 distinct labels, more than the 1000 classes`)},
}

// unexpectedWrites lists what is under root besides the folders down to
// work and empty folders under work/results and work/cache.
func unexpectedWrites(t *testing.T, root, work string) []string {
	t.Helper()
	var out []string
	for _, rel := range listTree(t, root) {
		path := filepath.Join(root, rel)
		if strings.HasPrefix(work, path) {
			continue // a/, a/b/, a/b/work/
		}
		inside := false
		for _, allowed := range []string{filepath.Join(work, "results"), filepath.Join(work, "cache")} {
			inside = inside || path == allowed || strings.HasPrefix(path, allowed+string(filepath.Separator))
		}
		if fi, err := os.Stat(path); !inside || err != nil || !fi.IsDir() {
			out = append(out, rel)
		}
	}
	return out
}

// refuse runs each command of c on config from a folder of its own and
// checks the refusal. It returns how many commands refused it properly.
func refuse(t *testing.T, config string, args, cmds []string, want *regexp.Regexp) int {
	t.Helper()
	if cmds == nil {
		cmds = []string{"run", "sweep", "validate", "plan"}
	}
	refused := 0
	for _, cmd := range cmds {
		t.Run(cmd, func(t *testing.T) {
			// The process runs three folders deep in a fresh tree, so that a
			// name with ../../ that got through would land inside the tree.
			root := t.TempDir()
			work := filepath.Join(root, "a", "b", "work")
			if err := os.MkdirAll(work, 0o755); err != nil {
				t.Fatal(err)
			}
			a := []string{cmd, config}
			if cmd != "validate" {
				a = append(a, "--results", "results", "--cache", "cache")
			}
			a = append(a, args...)
			before := listTree(t, filepath.Dir(config))
			r := runBounded(t, work, a...)
			t.Logf("nnpipe %s: exit %d in %v, peak %d MB", cmd, r.code, r.took.Round(time.Millisecond), r.peakRSS>>20)
			if r.killedBy != "" {
				t.Errorf("nnpipe %s killed after %v: %s; stderr: %q", cmd, r.took.Round(time.Millisecond), r.killedBy, r.stderr)
				return
			}
			ok := true
			if r.code != exitInvalid {
				t.Errorf("nnpipe %s: exit %d, want %d; stderr: %q", cmd, r.code, exitInvalid, r.stderr)
				ok = false
			}
			if r.peakRSS > hostileMaxRSS {
				t.Errorf("nnpipe %s: peak memory %d MB, want under %d MB", cmd, r.peakRSS>>20, hostileMaxRSS>>20)
				ok = false
			}
			if r.stderrN > hostileMaxStderr {
				t.Errorf("nnpipe %s: %d bytes of messages, want a short error (under %d)", cmd, r.stderrN, hostileMaxStderr)
				ok = false
			} else if !want.MatchString(r.stderr) {
				t.Errorf("nnpipe %s: stderr %q does not match %q", cmd, r.stderr, want)
				ok = false
			}
			// Folders the cache makes before a stage runs may stay (empty);
			// no file may, and nothing outside the results and the cache.
			if wrote := unexpectedWrites(t, root, work); len(wrote) > 0 {
				t.Errorf("nnpipe %s wrote %v; a refused input writes no file, and nothing outside the results and cache folders", cmd, wrote)
				ok = false
			}
			if after := listTree(t, filepath.Dir(config)); !slices.Equal(before, after) {
				t.Errorf("nnpipe %s changed the config's folder: %v, then %v", cmd, before, after)
				ok = false
			}
			if ok {
				refused++
			}
		})
	}
	return refused
}

func TestHostileConfigsAreRefusedWithBoundedMemoryWritingNothing(t *testing.T) {
	t.Parallel()
	binary(t)
	total, refused := 0, 0
	for _, c := range hostileConfigs {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			config := c.file
			if config != "" {
				src := readFile(t, filepath.Join("testdata", "hostile", c.file))
				config = writeConfig(t, dir, c.file, string(src))
			} else {
				config = c.make(t, dir)
			}
			n := len(c.cmds)
			if n == 0 {
				n = 4
			}
			total += n
			refused += refuse(t, config, c.args, c.cmds, c.want)
		})
	}
	if _, err := os.Stat("/tmp/nnpipe-hostile-escape"); err == nil {
		t.Errorf("a run wrote /tmp/nnpipe-hostile-escape, the absolute path given as a name")
	}
	t.Logf("hostile configs: %d of %d refusals as they should be", refused, total)
}

func TestHostileLoadPathsAreRefusedWithBoundedMemory(t *testing.T) {
	t.Parallel()
	binary(t)
	if _, ok := stages.Builtin().Lookup("load"); !ok {
		t.Skip("the load stage is not registered yet (stages/load is being written)")
	}
	total, refused := 0, 0
	for _, c := range hostileLoads {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			data := c.make(t, dir)
			config := writeConfig(t, dir, "load.yaml", fmt.Sprintf(
				"name: hostile-load\nseed: 1\nstages:\n  - id: data\n    kind: load\n    with: {path: %q, label: label}\n  - {id: split, kind: split}\n  - {id: train, kind: train, with: {steps: 5}}\n", data))
			total += len(c.cmds)
			refused += refuse(t, config, nil, c.cmds, c.want)
		})
	}
	t.Logf("hostile data files: %d of %d refusals as they should be", refused, total)
}

func TestEpsilonSoSmallTheGradientUnderflowsIsWarnedAbout(t *testing.T) {
	t.Parallel()
	// E(w+ε)−E(w−ε) is exactly 0 when ε = 1e-300 is far below the weights'
	// spacing: the gradient is all zeros and nothing trains.
	_, stderr, code := nnpipe(t, "run", bookConfig, "--results", t.TempDir(), "--set", "train.epsilon=1e-300", "--set", "train.steps=20")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^nnpipe: warning: .*gradient.*zero`).MatchString(stderr) {
		t.Errorf("stderr = %q, want a warning that the gradient is all zeros", stderr)
	}
}

func TestLearningRateOfAMillionIsReportedAsDivergenceWithTheStep(t *testing.T) {
	t.Parallel()
	// With α = 1e6 the softmax saturates and the log-sum-exp keeps E
	// finite (train CE ≈ 2.2e5 after 1000 steps, against ln 3 ≈ 1.1 at the
	// start), so a check for NaN or Inf alone never fires; the train stage
	// also reports a cross-entropy that rose far above its start (today:
	// "diverged at step 1: train cross-entropy rose to 1.378e+05 from 1.101").
	_, stderr, code := nnpipe(t, "run", bookConfig, "--results", t.TempDir(), "--set", "train.learning_rate=1e6", "--quiet")
	if code != exitFailure {
		t.Errorf("exit %d, want %d (diverged)", code, exitFailure)
	}
	if !regexp.MustCompile(`diverged at step \d+`).MatchString(stderr) {
		t.Errorf("stderr = %q, want the divergence reported with its step", stderr)
	}
}

func TestHiddenOf100000IsRefusedOrWarnedAboutBeforeTraining(t *testing.T) {
	t.Parallel()
	binary(t)
	// P = M(D+1) + K(M+1) = 100000·3 + 3·100001 for the book's D = 2, K = 3;
	// its 1000 numerical steps would take hours.
	params := regexp.MustCompile(`600[, ]?003`)
	estimate := regexp.MustCompile(`(?i)estimat|\d+(\.\d+)? ?(µs|ms|s|min|h|days)\b`)
	c := command(t, "run", bookConfig, "--results", t.TempDir(), "--set", "train.hidden=100000")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Process.Kill()
		c.Wait()
	}()
	// Read stderr line by line until the warning. No line before it may
	// speak of training, and the train stage must not have finished when
	// it comes: interrupted then, the run does not count train among the
	// stages that finished (the warning may come before data and split
	// finish, too).
	lines := bufio.NewScanner(stderr)
	var before []string
	for lines.Scan() {
		line := lines.Text()
		if !warned(line, params, estimate) {
			before = append(before, line)
			continue
		}
		for _, b := range before {
			if regexp.MustCompile(`(?i)step|epoch|train (CE|acc)`).MatchString(b) {
				t.Errorf("stderr spoke of training before the warning: %q", b)
			}
		}
		if err := c.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(stderr)
		c.Wait()
		if code := c.ProcessState.ExitCode(); code != exitInterrupted {
			t.Errorf("exit status after SIGINT = %d, want %d", code, exitInterrupted)
		}
		m := regexp.MustCompile(`interrupted: (no stage had finished|stages (.*) finished)`).FindStringSubmatch(string(rest))
		if m == nil || slices.Contains(strings.Split(m[2], ", "), "train") {
			t.Errorf("stderr after the warning = %q, want it to say which stages finished, train not among them: the warning must come before the training ends", rest)
		}
		return
	}
	// stderr closed without the warning: the process exited.
	if err := c.Wait(); c.ProcessState.ExitCode() == exitInvalid {
		return // refused
	} else {
		t.Errorf("hidden 100000 was neither refused (exit 2) nor warned about with the parameter count (600003) and an estimated time on one warning line (exit: %v); stderr: %q", err, strings.Join(before, "\n"))
	}
}

// warned reports whether a warning line of stderr matches every pattern.
func warned(stderr string, patterns ...*regexp.Regexp) bool {
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.HasPrefix(line, "nnpipe: warning:") {
			continue
		}
		all := true
		for _, p := range patterns {
			all = all && p.MatchString(line)
		}
		if all {
			return true
		}
	}
	return false
}

func TestStepsOfABillionAreValidEstimatedByPlanAndInterruptible(t *testing.T) {
	t.Parallel()
	steps := "train.steps=1e9"
	if out, stderr, code := nnpipe(t, "validate", bookConfig, "--set", steps); code != 0 {
		t.Errorf("validate with %s: exit %d, want 0\n%s%s", steps, code, out, stderr)
	}
	out, stderr, code := nnpipe(t, "plan", bookConfig, "--results", t.TempDir(), "--set", steps)
	if code != 0 {
		t.Fatalf("plan with %s: exit %d\n%s", steps, code, stderr)
	}
	if !regexp.MustCompile(`estimated .* for 1000000000 steps`).MatchString(out) {
		t.Errorf("plan with %s does not estimate the time of all the steps:\n%s", steps, out)
	}
	binary(t)
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	p, code := interruptWhen(t, training, results, cacheDir, "run", bookConfig, "--results", results, "--set", steps)
	checkInterrupted(t, p, code, results, cacheDir)
	if !strings.Contains(p.stderr.String(), "interrupted") {
		t.Errorf("stderr = %q, want it to say the run was interrupted", p.stderr.String())
	}
}
