package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slurmCluster runs the shipped Slurm files against a real scheduler:
// NNPIPE_SLURM=1 and a cluster that takes jobs (.ci/slurm-up starts a
// one-node one and prints its SLURM_CONF).
type slurmCluster struct {
	t      *testing.T
	shared string // NNPIPE_SHARED: the cache and results the jobs share
	env    []string
}

func newSlurmCluster(t *testing.T) *slurmCluster {
	t.Helper()
	if os.Getenv("NNPIPE_SLURM") != "1" {
		t.Skip("NNPIPE_SLURM is not 1: this test needs a Slurm cluster (.ci/slurm-up; see the README)")
	}
	bin := binary(t)
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Fatalf("NNPIPE_SLURM=1 but sbatch is not installed: %v", err)
	}
	// The jobs run as this user on this machine: a temporary folder is
	// as shared as a cluster's file system would be.
	c := &slurmCluster{t: t, shared: t.TempDir()}
	c.env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"NNPIPE_SHARED="+c.shared, "NNPIPE_CACHE=")
	if err := os.Mkdir(filepath.Join(c.shared, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

// sbatch submits a job from the repository's root, its output in
// logs/<name>.out and .err, waits until it has ended, and returns its id
// and exit status.
func (c *slurmCluster) sbatch(name string, args ...string) (id string, code int) {
	c.t.Helper()
	id = c.submit(name, args...)
	return id, c.wait(id)
}

// wait waits until a job has ended (polling squeue, which is quicker than
// sbatch --wait) and returns its exit status: the highest of the array's
// tasks, as sbatch --wait gives it.
func (c *slurmCluster) wait(id string) (code int) {
	c.t.Helper()
	start := time.Now()
	waitFor(c.t, "job "+id+" to end", func() bool { return c.state(id) == "" })
	c.t.Logf("job %s ended after %v", id, time.Since(start).Round(time.Millisecond))
	cmd := exec.Command("scontrol", "-o", "show", "job", id)
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("scontrol show job %s: %v", id, err)
	}
	for _, m := range regexp.MustCompile(`ExitCode=(\d+):`).FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[1])
		code = max(code, n)
	}
	return code
}

// submit submits a job as sbatch does and returns its id at once.
func (c *slurmCluster) submit(name string, args ...string) string {
	c.t.Helper()
	log := filepath.Join(c.shared, "logs", name)
	cmd := exec.Command("sbatch", append([]string{"--parsable", "--output=" + log + ".out", "--error=" + log + ".err"}, args...)...)
	cmd.Dir, cmd.Env = "../..", c.env
	out, err := cmd.Output()
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if err != nil || id == "" {
		c.t.Fatalf("sbatch %v: %v", args, err)
	}
	c.t.Logf("%s: job %s: sbatch %s", name, id, strings.Join(args, " "))
	return id
}

// log reads a job's output (ext "out" or "err").
func (c *slurmCluster) log(name, ext string) string {
	return string(readFile(c.t, filepath.Join(c.shared, "logs", name+"."+ext)))
}

// state returns what squeue says of a job or array task: RUNNING,
// PENDING, or "" once it has ended.
func (c *slurmCluster) state(job string) string {
	cmd := exec.Command("squeue", "-h", "-j", job, "-o", "%T")
	cmd.Env = c.env
	out, _ := cmd.Output() // an ended job may be unknown to squeue
	return strings.TrimSpace(string(out))
}

// entries counts the entries of the shared cache.
func (c *slurmCluster) entries() int {
	m, _ := filepath.Glob(filepath.Join(c.shared, "cache", "v1", "*", "*", "entry.json"))
	return len(m)
}

// collect is the README's collect step, run as a job after dependency.
func (c *slurmCluster) collect(name, dependency string) (out string, code int) {
	c.t.Helper()
	_, code = c.sbatch(name, "--dependency=afterany:"+dependency, "--wrap",
		`nnpipe sweep --collect configs/sweep-hidden.yaml --cache "$NNPIPE_SHARED/cache" --results "$NNPIPE_SHARED/results"`)
	return c.log(name, "out") + c.log(name, "err"), code
}

// TestSlurmRunsTheShippedSweep submits configs/cluster/sweep.sbatch and
// the README's collect job to a real Slurm: a task cancelled mid-run and
// resubmitted alone runs only its unfinished trials, a task given an
// invalid config fails with exit 2 and the collect step counts its trials
// as not finished, and the collected summary equals a local sweep's.
func TestSlurmRunsTheShippedSweep(t *testing.T) {
	c := newSlurmCluster(t)
	const script = "configs/cluster/sweep.sbatch"
	// Shard 2 alone, cancelled (SIGTERM) once a first trial of it is done.
	id := c.submit("cancelled", "--array=2", script)
	waitFor(t, "a first trial of shard 2", func() bool { return c.entries() >= 2+3 })
	cancel := exec.Command("scancel", id+"_2")
	cancel.Env = c.env
	if out, err := cancel.CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v\n%s", err, out)
	}
	waitFor(t, "the cancelled task to end", func() bool { return c.state(id+"_2") == "" })
	// The shared stages and three entries per finished trial; a trial cut
	// short left at most its train entry.
	finished := (c.entries() - 2) / 3
	if finished < 1 || finished >= 10 {
		t.Fatalf("%d of shard 2's 10 trials had finished when it was cancelled; want some, not all", finished)
	}
	// nnpipe took scancel's SIGTERM as an interrupt and cleaned up.
	if errLog := c.log("cancelled", "err"); !strings.Contains(errLog, "nnpipe: interrupted: ") {
		t.Errorf("the cancelled task's log:\n%s\nwant the interrupt reported", errLog)
	}
	if left, _ := filepath.Glob(filepath.Join(c.shared, "cache", "tmp", "*")); len(left) != 0 {
		t.Errorf("the cancelled task left %v", left)
	}

	// The same task given an invalid config fails at once with exit 2,
	// and a collect step after it counts the missing trials.
	bad, code := c.sbatch("invalid", "--array=2", script, "--set", "train.learning_rate=-1")
	if errLog := c.log("invalid", "err"); code != exitInvalid || !strings.Contains(errLog, "learning_rate: must be > 0") {
		t.Errorf("a task with an invalid config: exit %d, log:\n%s\nwant %d and the config error", code, errLog, exitInvalid)
	}
	out, code := c.collect("collect-partial", bad)
	if want := fmt.Sprintf("40 trials: %d ok, 0 failed, %d not finished", finished, 40-finished); code != 0 || !strings.Contains(out, want) {
		t.Errorf("collect after the failed task: exit %d, output:\n%s\nwant %q", code, out, want)
	}

	// Shard 2 resubmitted alone: only its unfinished trials run.
	_, code = c.sbatch("resubmitted", "--array=2", script, "--json")
	if code != 0 {
		t.Fatalf("resubmitted task: exit %d\n%s", code, c.log("resubmitted", "err"))
	}
	var r shardJSON
	if err := json.Unmarshal([]byte(c.log("resubmitted", "out")), &r); err != nil {
		t.Fatalf("the resubmitted task's --json: %v\n%s", err, c.log("resubmitted", "out"))
	}
	cached := 0
	for _, tr := range r.Trials {
		if tr.Cached {
			cached++
		}
	}
	if r.Shard != "2/4" || len(r.Trials) != 10 || cached != finished {
		t.Errorf("resubmitted shard %q ran %d trials, %d cached; want shard 2's 10 trials, the %d finished before cached",
			r.Shard, len(r.Trials), cached, finished)
	}

	// The whole array as shipped, then the README's collect step.
	all := c.submit("array", script)
	out, code = c.collect("collect", all)
	if code := c.wait(all); code != 0 {
		t.Fatalf("sbatch %s: exit %d\n%s", script, code, c.log("array", "err"))
	}
	if code != 0 || !strings.Contains(out, "40 trials: 40 ok, 0 failed, 0 not finished") {
		t.Fatalf("collect: exit %d, output:\n%s", code, out)
	}
	dir := ""
	for _, line := range strings.Split(out, "\n") {
		if d, ok := strings.CutPrefix(line, "sweep directory: "); ok {
			dir = d
		}
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("../..", dir)
	}
	sw, code, stderr := sweepJSONOf(t, "../../configs/sweep-hidden.yaml", "--results", t.TempDir(), "--jobs", "2")
	if code != 0 {
		t.Fatalf("local sweep: exit %d\n%s", code, stderr)
	}
	if got, want := summaryWithoutTimes(t, dir), summaryWithoutTimes(t, sw.SweepDir); !reflect.DeepEqual(got, want) {
		t.Errorf("the summary collected on Slurm differs from a local one-process sweep's")
	}
}

// TestSlurmRefusesTheShippedArrayNumberedFromOne submits
// configs/cluster/sweep.sbatch (--shard auto/4) as --array=1-4, whose task
// 4 is no shard and whose shard 0 is no task: every task must refuse it at
// once, exit 2 naming SLURM_ARRAY_TASK_MAX, before any trial runs.
func TestSlurmRefusesTheShippedArrayNumberedFromOne(t *testing.T) {
	c := newSlurmCluster(t)
	// Each task's errors in a log of its own (a later --error wins).
	id, code := c.sbatch("from-one", "--array=1-4", "--error="+filepath.Join(c.shared, "logs", "from-one-%a.err"),
		"configs/cluster/sweep.sbatch", "--set", "train.steps=20")
	if code != exitInvalid {
		t.Errorf("job %s: exit %d, want %d", id, code, exitInvalid)
	}
	want := "nnpipe: --shard auto/4: SLURM_ARRAY_TASK_MAX 4: with --shard auto/4 the task ids are the shards, 0 to 3; submit the array as --array=0-3\n"
	for task := 1; task <= 4; task++ {
		if got := c.log(fmt.Sprintf("from-one-%d", task), "err"); got != want {
			t.Errorf("task %d printed %q; want %q", task, got, want)
		}
	}
	if n := c.entries(); n != 0 {
		t.Errorf("the array left %d cache entries; want none: no task may run a trial", n)
	}
}
