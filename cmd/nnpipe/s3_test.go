package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages/results"
)

// The tests in this file meet a real S3 server: versitygw serving a folder
// (NNPIPE_VERSITYGW names its binary; .ci/run builds it). Each test starts
// its own server on a free port and stops it when done.

const (
	s3Bucket = "nnpipe"
	s3Cache  = "s3://" + s3Bucket + "/cache"
	s3Key    = "nnpipe-test"
	s3Secret = "nnpipe-test-secret"
)

type s3Server struct {
	t      *testing.T
	bin    string
	root   string // data/ (the bucket's folder), the machines' local copies, the log
	addr   string
	cmd    *exec.Cmd
	exited chan error
}

func newS3Server(t *testing.T) *s3Server {
	t.Helper()
	bin := os.Getenv("NNPIPE_VERSITYGW")
	if bin == "" {
		t.Skip("NNPIPE_VERSITYGW is not set: these tests need a versitygw binary (see the README)")
	}
	binary(t) // skipped with -short
	s := &s3Server{t: t, bin: bin, root: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(s.root, "data", s3Bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	l.Close()
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start starts the server, or starts it again on the same port and data.
func (s *s3Server) start() {
	s.t.Helper()
	log, err := os.OpenFile(filepath.Join(s.root, "versitygw.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "--port", s.addr, "--quiet", "posix", filepath.Join(s.root, "data"))
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s3Key, "ROOT_SECRET_ACCESS_KEY="+s3Secret)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond) // how often to try, not a deadline
	defer tick.Stop()
	for {
		if c, err := net.Dial("tcp", s.addr); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-s.exited:
			s.cmd = nil
			s.t.Fatalf("versitygw exited: %v\n%s", err, readFile(s.t, filepath.Join(s.root, "versitygw.log")))
		case <-tick.C:
		}
	}
}

// stop kills the server, if it runs, and waits for it.
func (s *s3Server) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT) // in case a test stopped it
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// env is the environment of an nnpipe process on a machine of its own:
// the server, the credentials, and the machine's local copy.
func (s *s3Server) env(machine string, extra ...string) []string {
	return append(append(os.Environ(), "NNPIPE_CACHE=", "AWS_ACCESS_KEY_ID="+s3Key, "AWS_SECRET_ACCESS_KEY="+s3Secret,
		"AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_S3=", "AWS_ENDPOINT_URL=http://"+s.addr,
		"NNPIPE_S3_COPY="+filepath.Join(s.root, "copy-"+machine)), extra...)
}

// command prepares nnpipe on a machine.
func (s *s3Server) command(machine string, env []string, args ...string) *exec.Cmd {
	c := exec.Command(binary(s.t), args...)
	c.Env = append(s.env(machine), env...)
	return c
}

// run runs nnpipe on a machine and returns what it printed and its status.
func (s *s3Server) run(machine string, env []string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	var out, errb bytes.Buffer
	c := s.command(machine, env, args...)
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		s.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// object is where the server keeps an object of the cache.
func (s *s3Server) object(name string) string {
	return filepath.Join(s.root, "data", s3Bucket, "cache", filepath.FromSlash(name))
}

// objects lists the objects of the cache under dir.
func (s *s3Server) objects(dir string) []string {
	var out []string
	filepath.WalkDir(s.object(dir), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(s.object(""), path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// entries counts the entries in the bucket.
func (s *s3Server) entries() int {
	n := 0
	for _, o := range s.objects("v1") {
		if strings.HasSuffix(o, "/entry.json") {
			n++
		}
	}
	return n
}

// collect assembles the sweep from the bucket alone, on a machine of its
// own, and returns its directory.
func (s *s3Server) collect(args ...string) string {
	s.t.Helper()
	out, stderr, code := s.run("collector", nil, append([]string{"sweep", "--collect", "--json", "--quiet", "--cache", s3Cache, "--results", s.t.TempDir()}, args...)...)
	if code != 0 {
		s.t.Fatalf("sweep --collect: exit %d\n%s", code, stderr)
	}
	var sw sweepJSON
	if err := json.Unmarshal([]byte(out), &sw); err != nil {
		s.t.Fatalf("sweep --collect --json: %v\n%s", err, out)
	}
	return sw.SweepDir
}

// localSweeps holds the summaries localSweep computed, by arguments.
var localSweeps sync.Map

// localSweep runs the sweep in one process on a cache folder, once per
// test binary: what the bucket's sweep must equal.
func localSweep(t *testing.T, args ...string) map[string]any {
	t.Helper()
	if got, ok := localSweeps.Load(strings.Join(args, "\x00")); ok {
		return got.(map[string]any)
	}
	sw, code, stderr := sweepJSONOf(t, append(append([]string{}, args...), "--results", t.TempDir())...)
	if code != 0 {
		t.Fatalf("local sweep: exit %d\n%s", code, stderr)
	}
	got := summaryWithoutTimes(t, sw.SweepDir)
	localSweeps.Store(strings.Join(args, "\x00"), got)
	return got
}

func (s *s3Server) verify(machine string) (string, int) {
	s.t.Helper()
	results := s.t.TempDir()
	out, stderr, code := s.run(machine, nil, "cache", "verify", "--cache", s3Cache, "--results", results)
	return out + stderr, code
}

// waitFor polls cond until it holds; go test's timeout is the only bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond) // how often to look, not a deadline
	defer tick.Stop()
	for !cond() {
		select {
		case <-t.Context().Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}

func TestS3ShardsAtOnceEqualALocalSweep(t *testing.T) {
	s := newS3Server(t)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		// The last shard names the bucket in NNPIPE_CACHE, not --cache.
		var env []string
		args := []string{"sweep", smallSweep, "--shard", fmt.Sprintf("%d/3", i), "--results", t.TempDir(), "--jobs", "1", "--quiet"}
		if i == 2 {
			env = []string{"NNPIPE_CACHE=" + s3Cache}
		} else {
			args = append(args, "--cache", s3Cache)
		}
		c := s.command(fmt.Sprintf("shard-%d", i), env, args...)
		var b bytes.Buffer
		c.Stdout, c.Stderr = &b, &b
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, c), append(outs, &b)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("shard %d/3: %v\n%s", i, err, outs[i])
		}
	}
	if t.Failed() {
		return
	}
	got := summaryWithoutTimes(t, s.collect(smallSweep))
	if want := localSweep(t, smallSweep); !reflect.DeepEqual(got, want) {
		t.Errorf("the sweep collected from the bucket differs from a local one-process sweep:\n got %v\nwant %v", got, want)
	}
	if out, code := s.verify("checker"); code != 0 || !strings.Contains(out, "20 entries checked, 0 damaged") {
		t.Errorf("cache verify: exit %d\n%s", code, out)
	}
	if left := append(s.objects("leases"), s.objects("gc")...); len(left) != 0 {
		t.Errorf("the processes left %v", left)
	}
	// cache du counts the bucket's entries by kind as on a folder holding
	// the same sweep, and sums the sizes of their entry.json and of the
	// files they list, as a folder sums its entries' files.
	dir := filepath.Join(t.TempDir(), "cache")
	if _, stderr, code := nnpipe(t, "sweep", smallSweep, "--cache", dir, "--results", t.TempDir(), "--quiet"); code != 0 {
		t.Fatalf("local sweep: exit %d\n%s", code, stderr)
	}
	// The total: the files the entries list (the folder's, equal to the
	// bucket's) and the bucket's entry.json objects (whose recorded
	// timings differ from the folder's).
	var size int64
	filepath.WalkDir(filepath.Join(dir, "v1"), func(path string, d os.DirEntry, err error) error {
		if info, ierr := d.Info(); err == nil && ierr == nil && d.Type().IsRegular() && d.Name() != "entry.json" {
			size += info.Size()
		}
		return nil
	})
	for _, o := range s.objects("v1") {
		if info, err := os.Stat(s.object(o)); err == nil && strings.HasSuffix(o, "/entry.json") {
			size += info.Size()
		}
	}
	local, _, _ := nnpipe(t, "cache", "du", "--cache", dir)
	bucket, stderr, code := s.run("checker", nil, "cache", "du", "--cache", s3Cache)
	counts := func(table string) (rows []string) { // each row's kind and entries
		for _, line := range strings.Split(table, "\n") {
			if cells := strings.Split(line, "│"); len(cells) == 5 {
				rows = append(rows, strings.TrimSpace(cells[1])+" "+strings.TrimSpace(cells[2]))
			}
		}
		return rows
	}
	total := regexp.MustCompile(`│ total +│ +20 │ +` + regexp.QuoteMeta(results.FormatBytes(size)) + ` │`)
	if got, want := counts(bucket), counts(local); code != 0 || !reflect.DeepEqual(got, want) || len(got) != 7 || !total.MatchString(bucket) {
		t.Errorf("cache du on the bucket: exit %d\n%s%s\nwant the entries of a folder's, and %s in all:\n%s",
			code, bucket, stderr, results.FormatBytes(size), local)
	}
	// plan, on yet another machine, finds every trial done and writes
	// nothing to the bucket: no lease, no object of any kind.
	before := s.objects("")
	out, stderr, code := s.run("planner", nil, "plan", smallSweep, "--cache", s3Cache, "--results", t.TempDir())
	if code != 0 || !strings.Contains(out, "6 done") {
		t.Errorf("plan: exit %d\n%s%s", code, out, stderr)
	}
	if after := s.objects(""); !reflect.DeepEqual(after, before) {
		t.Errorf("plan changed the bucket:\n before %v\n after %v", before, after)
	}
}

// TestS3CollectsFailuresFromTheBucket diverges every trial on shard
// processes: the collect step, on a machine of its own, finds each failure
// record and what the diverged training kept in the bucket alone.
func TestS3CollectsFailuresFromTheBucket(t *testing.T) {
	s := newS3Server(t)
	diverging := []string{smallSweep, "--set", "train.learning_rate=1e6"}
	for i := range 2 {
		_, stderr, code := s.run(fmt.Sprintf("shard-%d", i), nil, append([]string{"sweep", "--shard", fmt.Sprintf("%d/2", i),
			"--cache", s3Cache, "--results", t.TempDir(), "--quiet"}, diverging...)...)
		if code != exitFailure || !strings.Contains(stderr, "diverged") {
			t.Fatalf("shard %d/2 of diverging trials: exit %d\n%s", i, code, stderr)
		}
	}
	out, stderr, code := s.run("collector", nil, append([]string{"sweep", "--collect", "--json", "--quiet", "--cache", s3Cache, "--results", t.TempDir()}, diverging...)...)
	var sw sweepJSON
	if err := json.Unmarshal([]byte(out), &sw); err != nil || code != exitFailure {
		t.Fatalf("collect: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if len(sw.Trials) != 6 {
		t.Fatalf("collect found %d trials, want 6", len(sw.Trials))
	}
	for _, tr := range sw.Trials {
		if tr.Status != "diverged" {
			t.Errorf("trial %s: status %q, want diverged", tr.TrialID, tr.Status)
		}
		if _, err := os.Stat(filepath.Join(tr.RunDir, "history.parquet")); err != nil {
			t.Errorf("trial %s: the history the diverged training kept is not in its directory: %v", tr.TrialID, err)
		}
	}
	local, _, _ := sweepJSONOf(t, append(append([]string{}, diverging...), "--results", t.TempDir())...)
	// Printed, for the failed trials' metrics are NaN, which DeepEqual
	// never finds equal.
	if got, want := fmt.Sprint(summaryWithoutTimes(t, sw.SweepDir)), fmt.Sprint(summaryWithoutTimes(t, local.SweepDir)); got != want {
		t.Errorf("the summary collected from the bucket differs from a local sweep's:\n got %s\nwant %s", got, want)
	}
}

// slowTrials makes each trial of the small sweep train long enough that a
// process can be stopped between trials.
var slowTrials = []string{smallSweep, "--set", "train.steps=10000"}

func TestS3KilledShardRerunsOnlyItsUnfinishedTrials(t *testing.T) {
	s := newS3Server(t)
	lease := "NNPIPE_S3_LEASE_TTL=2s"
	shard := append([]string{"sweep", "--shard", "0/1", "--cache", s3Cache, "--results", t.TempDir(), "--jobs", "1", "--quiet", "--json"}, slowTrials...)
	c := s.command("node", []string{lease}, shard...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the shared stages and a first trial are in the bucket, stop the
	// shard, note what is done, and kill it.
	waitFor(t, "a first finished trial", func() bool { return s.entries() >= 5 })
	c.Process.Signal(syscall.SIGSTOP)
	done := s.entries()
	c.Process.Kill()
	c.Wait()
	if done >= 20 {
		t.Fatalf("the shard finished before it was killed (%d entries)", done)
	}
	out, stderr, code := s.run("node", []string{lease}, shard...)
	if code != 0 {
		t.Fatalf("the rerun: exit %d\n%s", code, stderr)
	}
	var r shardJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("shard --json: %v\n%s", err, out)
	}
	cached := 0
	for _, tr := range r.Trials {
		if tr.Cached {
			cached++
		}
	}
	// Each finished trial added three entries (train, evaluate,
	// predictions) to the two shared ones; a trial killed half-way
	// added at most its train entry.
	if want := (done - 2) / 3; cached != want || len(r.Trials) != 6 {
		t.Errorf("the rerun ran %d trials of which %d were cached; want 6 and %d (those done before the kill)", len(r.Trials), cached, want)
	}
	got := summaryWithoutTimes(t, s.collect(slowTrials...))
	if want := localSweep(t, slowTrials...); !reflect.DeepEqual(got, want) {
		t.Errorf("the sweep collected from the bucket differs from a local one-process sweep")
	}
	// The killed process's lease protects nothing once its heartbeat has
	// stopped for the TTL: gc removes it.
	results := t.TempDir()
	waitFor(t, "gc to remove the dead lease", func() bool {
		_, stderr, code := s.run("gc", []string{lease}, "cache", "gc", "--cache", s3Cache, "--results", results)
		if code != 0 {
			t.Fatalf("cache gc: exit %d\n%s", code, stderr)
		}
		return len(s.objects("leases")) == 0
	})
}

func TestS3FlippedByteIsDetectedAndRecomputed(t *testing.T) {
	cases := []struct {
		name   string
		object func(s *s3Server) string
	}{
		{"a file", func(s *s3Server) string { return s.largest("files") }},
		{"an entry.json", func(s *s3Server) string { return s.largest("v1") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newS3Server(t)
			sweep := []string{"sweep", smallSweep, "--cache", s3Cache}
			if _, stderr, code := s.run("first", nil, append(sweep, "--results", t.TempDir(), "--quiet")...); code != 0 {
				t.Fatalf("sweep: exit %d\n%s", code, stderr)
			}
			name := c.object(s)
			b := readFile(t, s.object(name))
			i := len(b) / 2
			if strings.HasSuffix(name, "entry.json") {
				// A digest it lists: the JSON stays valid, the entry does not.
				i = bytes.Index(b, []byte(`"sha256": "`)) + len(`"sha256": "`)
			}
			b[i] ^= 0x01
			if err := os.WriteFile(s.object(name), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, code := s.verify("checker"); code != 1 || !strings.Contains(out, "1 damaged") {
				t.Errorf("cache verify of a flipped byte in %s: exit %d\n%s", name, code, out)
			}
			// Another machine (no local copy) finds it damaged, recomputes
			// and republishes it.
			_, stderr, code := s.run("second", nil, append(sweep, "--results", t.TempDir())...)
			if code != 0 || !strings.Contains(stderr, "recomputing damaged cache entry") {
				t.Errorf("sweep over a damaged entry: exit %d, stderr:\n%s", code, stderr)
			}
			if out, code := s.verify("checker"); code != 0 || !strings.Contains(out, "0 damaged") {
				t.Errorf("cache verify after the sweep: exit %d\n%s", code, out)
			}
			if got, want := summaryWithoutTimes(t, s.collect(smallSweep)), localSweep(t, smallSweep); !reflect.DeepEqual(got, want) {
				t.Errorf("the sweep differs from a local one")
			}
		})
	}
}

// largest returns the largest of the cache's objects under dir.
func (s *s3Server) largest(dir string) string {
	best, size := "", int64(-1)
	for _, o := range s.objects(dir) {
		if fi, err := os.Stat(s.object(o)); err == nil && fi.Size() > size {
			best, size = o, fi.Size()
		}
	}
	return best
}

func TestS3ServerStoppedMidRun(t *testing.T) {
	cases := []struct {
		name string
		stop func(s *s3Server)
		want []string // one of them in the error
	}{
		// A server stopped between two requests refuses the next connection;
		// one stopped during a request closes it.
		{"down", func(s *s3Server) { s.stop() }, []string{"connection refused", "Connection closed by foreign host"}},
		{"not answering", func(s *s3Server) { s.cmd.Process.Signal(syscall.SIGSTOP) }, []string{"NNPIPE_S3_TIMEOUT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newS3Server(t)
			sweep := append([]string{"sweep", "--cache", s3Cache, "--results", t.TempDir(), "--jobs", "1", "--quiet"}, slowTrials...)
			cmd := s.command("node", []string{"NNPIPE_S3_TIMEOUT=2s"}, sweep...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "a first finished trial", func() bool { return s.entries() >= 5 })
			c.stop(s)
			err := cmd.Wait()
			t.Logf("the sweep with the server %s: %v, stderr:\n%s", c.name, err, stderr.String())
			var exit *exec.ExitError
			named := slices.ContainsFunc(c.want, func(w string) bool { return strings.Contains(stderr.String(), w) })
			if !errors.As(err, &exit) || exit.ExitCode() != exitFailure || !named {
				t.Errorf("the sweep with the server %s: %v, stderr:\n%s\nwant exit %d and an error with one of %q", c.name, err, stderr.String(), exitFailure, c.want)
			}
			s.stop()
			s.start()
			// Nothing was half-published: every entry in the bucket is whole.
			if out, code := s.verify("checker"); code != 0 || !strings.Contains(out, " 0 damaged") {
				t.Errorf("cache verify after the outage: exit %d\n%s", code, out)
			}
			if _, stderr, code := s.run("node", nil, sweep...); code != 0 {
				t.Fatalf("the sweep again: exit %d\n%s", code, stderr)
			}
			if got, want := summaryWithoutTimes(t, s.collect(slowTrials...)), localSweep(t, slowTrials...); !reflect.DeepEqual(got, want) {
				t.Errorf("the sweep differs from a local one")
			}
		})
	}
}

func TestS3BadCredentialsAndUnknownBucketsAreRefusedBeforeAnyWork(t *testing.T) {
	s := newS3Server(t)
	cases := []struct {
		name, cache string
		env         []string
		want        string
	}{
		{"a wrong secret", s3Cache, []string{"AWS_SECRET_ACCESS_KEY=wrong"}, "refused the credentials"},
		{"an unknown key", s3Cache, []string{"AWS_ACCESS_KEY_ID=nobody"}, "refused the credentials"},
		{"an unknown bucket", "s3://no-such-bucket/cache", nil, "does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results := filepath.Join(t.TempDir(), "results")
			for _, args := range [][]string{{"run", "../../configs/book-ch7.yaml"}, {"sweep", smallSweep}, {"plan", smallSweep}} {
				_, stderr, code := s.run(c.name, c.env, append(args, "--cache", c.cache, "--results", results)...)
				if code != exitInvalid || len(stderrLines(stderr)) != 1 || !strings.Contains(stderr, c.want) {
					t.Errorf("%s: exit %d, stderr %q; want %d and one line with %q", args[0], code, stderr, exitInvalid, c.want)
				}
			}
			for _, dir := range []string{results, filepath.Join(s.root, "copy-"+c.name)} {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was made", dir)
				}
			}
		})
	}
	if objs := s.objects(""); len(objs) != 0 {
		t.Errorf("the refused commands wrote %v", objs)
	}
}

// TestS3RunRefusedForBadDataLeavesNothing runs a config whose data the
// load stage refuses, with the local copy in its default place: nothing
// is left in the bucket, in the user's cache folder or in the results.
func TestS3RunRefusedForBadDataLeavesNothing(t *testing.T) {
	s := newS3Server(t)
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "cache"), 0o755); err != nil { // the user's cache folder
		t.Fatal(err)
	}
	results := filepath.Join(t.TempDir(), "results")
	_, stderr, code := s.run("node", []string{"NNPIPE_S3_COPY=", "XDG_CACHE_HOME=" + filepath.Join(home, "cache")},
		"run", "testdata/baddata/nan.yaml", "--cache", s3Cache, "--results", results)
	if code != exitInvalid || len(stderrLines(stderr)) != 1 {
		t.Errorf("run of bad data: exit %d, stderr %q; want %d and one line", code, stderr, exitInvalid)
	}
	if got := append(listTree(t, home), listTree(t, results)...); len(got) != 1 || got[0] != "cache" {
		t.Errorf("left %v", got)
	}
	if objs := s.objects(""); len(objs) != 0 {
		t.Errorf("left in the bucket: %v", objs)
	}
}

// TestS3ARunRefusesAPrefixHoldingWhatTheCacheDoesNotMake runs, sweeps and
// plans with a cache at a prefix that holds someone's objects (the
// bucket's root, with another prefix's files beside it): as for a folder,
// each is refused before any work, exit 2, one line naming the object,
// and nothing is written. Mixed in, the cache's entries could never be
// collected: cache gc, verify and du refuse such a prefix.
func TestS3ARunRefusesAPrefixHoldingWhatTheCacheDoesNotMake(t *testing.T) {
	s := newS3Server(t)
	theirs := filepath.Join(s.root, "data", s3Bucket, "reports", "q3.csv")
	if err := os.MkdirAll(filepath.Dir(theirs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(t.TempDir(), "results")
	for _, args := range [][]string{{"run", "../../configs/book-ch7.yaml"}, {"sweep", smallSweep}, {"plan", smallSweep}} {
		_, stderr, code := s.run("node", nil, append(args, "--cache", "s3://"+s3Bucket, "--results", results)...)
		if code != exitInvalid || len(stderrLines(stderr)) != 1 || !strings.Contains(stderr, `holds "reports/"`) {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line naming reports/", args[0], code, stderr, exitInvalid)
		}
	}
	var objs []string
	filepath.WalkDir(filepath.Join(s.root, "data", s3Bucket), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && path != theirs {
			objs = append(objs, path)
		}
		return nil
	})
	if len(objs) != 0 {
		t.Errorf("the refused commands wrote %d objects, the first %s", len(objs), objs[0])
	}
	for _, dir := range []string{results, filepath.Join(s.root, "copy-node")} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was made", dir)
		}
	}
	// A prefix that holds nothing yet, or a cache, is used.
	if _, stderr, code := s.run("node", nil, "run", "../../configs/book-ch7.yaml", "--quiet", "--cache", s3Cache, "--results", results); code != 0 {
		t.Fatalf("run on an empty prefix: exit %d: %s", code, stderr)
	}
	if _, stderr, code := s.run("node", nil, "plan", "../../configs/book-ch7.yaml", "--cache", s3Cache); code != 0 {
		t.Fatalf("plan on a cache: exit %d: %s", code, stderr)
	}
}
