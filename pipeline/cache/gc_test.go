package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// twoHoursAgo makes a cache stamp its entries as created two hours ago.
func twoHoursAgo() time.Time { return time.Now().Add(-2 * time.Hour) }

// backdate sets the modification time of path and everything under it to
// ago before now.
func backdate(t testing.TB, path string, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	err := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// leaseFiles lists the lease files of the cache at dir.
func leaseFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, leasesDir, "*"+leaseSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// gcOnce runs GC with opts from a Cache of its own and closes it.
func gcOnce(t testing.TB, dir string, opts GCOptions) *GCResult {
	t.Helper()
	g := Open(dir)
	defer g.Close()
	res, err := g.GC(opts)
	if err != nil {
		t.Fatalf("GC(%+v) = %v", opts, err)
	}
	return res
}

func removedKeys(res *GCResult) []string {
	var keys []string
	for _, r := range res.Removed {
		keys = append(keys, r.Key)
	}
	return keys
}

func TestGCKeepsWhatALiveLeaseHoldsHoweverOldAndRemovesTheRest(t *testing.T) {
	dir := t.TempDir()
	setup := Open(dir)
	setup.now = twoHoursAgo
	referenced, young, hit, published, plain := Key("referenced"), Key("young"), Key("hit"), Key("published"), Key("plain")
	for _, k := range []string{referenced, hit, plain} {
		publishOutputs(t, setup, k, sampleOutputs, nil)
	}
	must(t, setup.Close())
	fresh := Open(dir)
	publishOutputs(t, fresh, young, sampleOutputs, nil)
	must(t, fresh.Close())

	// owner stands for a process that is running: it took hit as a cache
	// hit, published an entry, recorded a failure, kept a failed stage's
	// outputs and is building in a folder, all two hours ago.
	owner := Open(dir)
	owner.now = twoHoursAgo
	if _, err := owner.Use(hit); err != nil {
		t.Fatalf("Use(hit) = %v", err)
	}
	publishOutputs(t, owner, published, sampleOutputs, nil)
	failedKey, keptKey := Key("failed"), Key("kept failed")
	must(t, owner.RecordFailure(failedKey, map[string]string{"error": "boom"}))
	if _, err := owner.KeepFailed(keptKey, build(t, owner, outputs{"history": "h"})); err != nil {
		t.Fatal(err)
	}
	building := build(t, owner, outputs{"half/written": "x"})
	// Leftovers of processes that are gone, and what the cache did not make.
	stale := filepath.Join(dir, tmpDir, "build-killed")
	recent := filepath.Join(dir, tmpDir, "build-killed-recently")
	staleTrash := filepath.Join(dir, tmpDir, "trash-killed")
	staleFailure := filepath.Join(dir, failuresDir, Key("old failure")+".json")
	notOurs := []string{filepath.Join(dir, tmpDir, "notes"), filepath.Join(dir, failuresDir, "README")}
	for _, p := range append([]string{stale, recent, staleTrash}, notOurs[0]) {
		must(t, os.MkdirAll(filepath.Join(p, "sub"), 0o755))
		must(t, os.WriteFile(filepath.Join(p, "sub", "f"), []byte("12345"), 0o644))
	}
	must(t, os.WriteFile(staleFailure, []byte("{}"), 0o644))
	must(t, os.WriteFile(notOurs[1], []byte("mine"), 0o644))
	for _, p := range append([]string{stale, staleTrash, staleFailure, building, filepath.Join(dir, failuresDir, failedKey+".json"), filepath.Join(dir, failuresDir, keptKey)}, notOurs...) {
		backdate(t, p, 2*time.Hour)
	}
	backdate(t, recent, 30*time.Minute)

	opts := GCOptions{Keep: func(k string) bool { return k == referenced }, KeepRecent: time.Hour}
	wantFreed := DirSize(setup.Path(plain)) + 5 + 5 + 2
	res := gcOnce(t, dir, opts)
	if got := removedKeys(res); !reflect.DeepEqual(got, []string{plain}) {
		t.Errorf("GC removed %v, want only the unprotected entry %s", got, short(plain))
	}
	if res.Kept != 4 || res.Leases != 1 {
		t.Errorf("GC kept %d entries and saw %d live leases, want 4 and 1", res.Kept, res.Leases)
	}
	for _, k := range []string{referenced, young, hit, published} {
		if _, err := Open(dir).Get(k); err != nil {
			t.Errorf("after GC, Get(%s) = %v; want the entry kept", short(k), err)
		}
	}
	for _, p := range append([]string{building, recent, filepath.Join(dir, failuresDir, failedKey+".json"), filepath.Join(dir, failuresDir, keptKey)}, notOurs...) {
		if !exists(p) {
			t.Errorf("GC removed %s", p)
		}
	}
	for _, p := range []string{stale, staleTrash, staleFailure} {
		if exists(p) {
			t.Errorf("GC kept %s, a leftover of a process that is gone", p)
		}
	}
	if res.Freed != wantFreed {
		t.Errorf("GC freed %d bytes, want %d (the entry, two folders of 5 bytes, a record of 2)", res.Freed, wantFreed)
	}

	// Once the owner is done, what it held is fair game like the rest.
	must(t, owner.Close())
	if l := leaseFiles(t, dir); len(l) > 0 {
		t.Errorf("Close left the lease %v", l)
	}
	res = gcOnce(t, dir, opts)
	if got, want := removedKeys(res), sortedKeys(hit, published); !reflect.DeepEqual(got, want) {
		t.Errorf("GC after the owner closed removed %v, want %v", got, want)
	}
	for _, p := range []string{building, filepath.Join(dir, failuresDir, failedKey+".json"), filepath.Join(dir, failuresDir, keptKey)} {
		if exists(p) {
			t.Errorf("GC after the owner closed kept %s", p)
		}
	}
	for _, p := range append([]string{recent}, notOurs...) {
		if !exists(p) {
			t.Errorf("GC after the owner closed removed %s", p)
		}
	}
}

func sortedKeys(keys ...string) []string {
	slices.Sort(keys)
	return keys
}

func TestGCDryRunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	setup := Open(dir)
	setup.now = twoHoursAgo
	k := Key("old")
	publishOutputs(t, setup, k, sampleOutputs, nil)
	must(t, setup.Close())
	stale := filepath.Join(dir, tmpDir, "build-killed")
	must(t, os.MkdirAll(stale, 0o755))
	must(t, os.WriteFile(filepath.Join(stale, "f"), []byte("123"), 0o644))
	backdate(t, stale, 2*time.Hour)
	before := tree(t, dir)
	res := gcOnce(t, dir, GCOptions{DryRun: true})
	if got := removedKeys(res); !reflect.DeepEqual(got, []string{k}) || res.Freed == 0 {
		t.Errorf("dry run reports %v and %d bytes, want %s and its size", got, res.Freed, short(k))
	}
	after := tree(t, dir)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a dry run changed the cache:\nbefore %v\nafter  %v", before, after)
	}
}

// TestGCTakesWhatToKeepOnceItHoldsTheLeases: KeepFrom is called after the
// live leases are read, what it returns is kept, and its error stops gc
// with nothing removed.
func TestGCTakesWhatToKeepOnceItHoldsTheLeases(t *testing.T) {
	dir := t.TempDir()
	setup := Open(dir)
	setup.now = twoHoursAgo
	kept, gone := Key("kept"), Key("gone")
	publishOutputs(t, setup, kept, sampleOutputs, nil)
	publishOutputs(t, setup, gone, sampleOutputs, nil)
	must(t, setup.Close())
	entries := filepath.Join(dir, versionDir)
	before := tree(t, entries)

	c := Open(dir)
	defer c.Close()
	var events []string
	c.leasesRead = func() { events = append(events, "leases read") }
	_, err := c.GC(GCOptions{KeepFrom: func() (func(string) bool, error) {
		events = append(events, "keep taken")
		return nil, errors.New("no runs")
	}})
	if err == nil || !strings.Contains(err.Error(), "no runs") {
		t.Errorf("GC with KeepFrom failing = %v, want its error", err)
	}
	if after := tree(t, entries); !reflect.DeepEqual(before, after) {
		t.Errorf("a gc stopped by KeepFrom changed the entries:\nbefore %v\nafter  %v", before, after)
	}
	events = nil
	res, err := c.GC(GCOptions{KeepFrom: func() (func(string) bool, error) {
		events = append(events, "keep taken")
		return func(key string) bool { return key == kept }, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := removedKeys(res); !reflect.DeepEqual(got, []string{gone}) {
		t.Errorf("gc removed %v, want %s alone", got, short(gone))
	}
	if want := []string{"leases read", "keep taken"}; !reflect.DeepEqual(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
}

func TestGCOfACacheThatDoesNotExistIsAnErrorAndMakesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	if _, err := Open(dir).GC(GCOptions{}); err == nil {
		t.Error("GC of a missing cache = nil error")
	}
	if exists(dir) {
		t.Error("GC of a missing cache made it")
	}
}

// leaseHolderEnv names the cache folder TestLeaseHolderProcess leases in.
const leaseHolderEnv = "NNPIPE_TEST_LEASE_HOLDER_CACHE"

// TestLeaseHolderProcess is not a test: it is the process that
// TestGCOfAKilledProcessProtectsNothing starts and kills. It takes a key
// as a hit and makes a build folder, prints "ready <build folder>" and
// waits for its standard input to close.
func TestLeaseHolderProcess(t *testing.T) {
	dir := os.Getenv(leaseHolderEnv)
	if dir == "" {
		t.Skip("started by TestGCOfAKilledProcessProtectsNothing")
	}
	c := Open(dir)
	if _, err := c.Use(Key("held")); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	b, err := c.TempDir()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ready", b)
	bufio.NewReader(os.Stdin).ReadString('\n')
	os.Exit(0)
}

func TestGCOfAKilledProcessProtectsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	setup := Open(dir)
	setup.now = twoHoursAgo
	held := Key("held")
	publishOutputs(t, setup, held, sampleOutputs, nil)
	must(t, setup.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$")
	cmd.Env = append(os.Environ(), leaseHolderEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the lease holder said %q (%v)", line, err)
	}
	building := strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	must(t, os.WriteFile(filepath.Join(building, "history"), []byte("epoch 1"), 0o644))
	backdate(t, building, 2*time.Hour)

	res := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
	if res.Leases != 1 || len(res.Removed) != 0 || !exists(building) {
		t.Errorf("GC while the holder runs: %d leases, removed %v, build folder kept %v; want 1, none, true",
			res.Leases, removedKeys(res), exists(building))
	}

	must(t, cmd.Process.Kill())
	cmd.Wait()
	if l := leaseFiles(t, dir); len(l) != 1 {
		t.Fatalf("the killed holder left %d leases, want its one", len(l))
	}
	res = gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
	if res.Leases != 0 || !reflect.DeepEqual(removedKeys(res), []string{held}) || exists(building) {
		t.Errorf("GC after the kill: %d leases, removed %v, build folder kept %v; want 0, %s, false",
			res.Leases, removedKeys(res), exists(building), short(held))
	}
	if l := leaseFiles(t, dir); len(l) != 0 {
		t.Errorf("GC kept the dead lease %v", l)
	}
}

func TestAHitTakenWhileGCRunsIsNeverRemoved(t *testing.T) {
	dir := t.TempDir()
	rounds := 400
	if testing.Short() {
		rounds = 50
	}
	hits, misses := 0, 0
	for round := range rounds {
		key := Key(fmt.Sprint("round ", round))
		pub := Open(dir)
		publishOutputs(t, pub, key, sampleOutputs, nil)
		must(t, pub.Close())

		user := Open(dir)
		if _, err := user.TempDir(); err != nil { // its lease exists before the hit
			t.Fatal(err)
		}
		var entry *Entry
		var useErr, gcErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			entry, useErr = user.Use(key)
		}()
		go func() {
			defer wg.Done()
			g := Open(dir)
			<-start
			_, gcErr = g.GC(GCOptions{})
			g.Close()
		}()
		close(start)
		wg.Wait()
		if gcErr != nil {
			t.Fatalf("round %d: GC = %v", round, gcErr)
		}
		switch {
		case useErr == nil:
			hits++
			if got := readOutputs(t, entry.Dir); !reflect.DeepEqual(got, sampleOutputs) {
				t.Fatalf("round %d: GC removed or changed an entry taken as a hit: it holds %q", round, got)
			}
		case errors.Is(useErr, ErrMiss):
			misses++
		default:
			t.Fatalf("round %d: Use = %v, want a hit or a miss", round, useErr)
		}
		must(t, user.Close())
	}
	t.Logf("%d hits, %d misses", hits, misses)
}

// foreignDamage puts into an entry folder something its entry.json does
// not list.
var foreignDamage = []struct {
	name   string
	damage func(t *testing.T, dir string)
}{
	{"a run directory put inside", func(t *testing.T, dir string) {
		must(t, os.MkdirAll(filepath.Join(dir, "myrun", "plots"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "myrun", "config.yaml"), []byte("name: mine\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "myrun", "plots", "a.png"), []byte("png"), 0o644))
	}},
	{"a symbolic link", func(t *testing.T, dir string) {
		must(t, os.Symlink("/etc/hostname", filepath.Join(dir, "link")))
	}},
	{"files beside an unreadable entry.json", func(t *testing.T, dir string) {
		must(t, os.WriteFile(filepath.Join(dir, EntryFile), []byte("{garbage"), 0o644))
	}},
	{"a file where the entry folder was", func(t *testing.T, dir string) {
		must(t, os.RemoveAll(dir))
		must(t, os.WriteFile(dir, []byte("my notes"), 0o644))
	}},
}

// contents maps every path under dir (relative) to its content, or its
// link target for a symbolic link; a file gives one item named ".".
func contents(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			m[rel] = "-> " + target
			return err
		case d.IsDir():
			m[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			m[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGCMovesAnEntryWithFilesItDidNotMakeToQuarantine(t *testing.T) {
	for _, tt := range foreignDamage {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := Open(dir)
			c.now = twoHoursAgo
			k, clean := Key("foreign"), Key("clean")
			publishOutputs(t, c, k, sampleOutputs, nil)
			publishOutputs(t, c, clean, sampleOutputs, nil)
			must(t, c.Close())
			tt.damage(t, c.Path(k))
			want := contents(t, c.Path(k))

			res := gcOnce(t, dir, GCOptions{DryRun: true})
			if len(res.Quarantined) != 1 || res.Quarantined[0].Key != k || !exists(c.Path(k)) {
				t.Fatalf("dry run: quarantined %+v; want %s listed and left in place", res.Quarantined, short(k))
			}
			res = gcOnce(t, dir, GCOptions{})
			if got := removedKeys(res); !reflect.DeepEqual(got, []string{clean}) {
				t.Errorf("GC removed %v, want only %s", got, short(clean))
			}
			if len(res.Quarantined) != 1 || res.Quarantined[0].Reason == "" {
				t.Fatalf("GC quarantined %+v, want the entry with a reason", res.Quarantined)
			}
			q := res.Quarantined[0].Path
			if !strings.HasPrefix(q, Open(dir).QuarantineDir()+string(filepath.Separator)) {
				t.Errorf("quarantined to %s, want a path in %s", q, Open(dir).QuarantineDir())
			}
			if got := contents(t, q); !reflect.DeepEqual(got, want) {
				t.Errorf("quarantined content = %v, want %v", got, want)
			}
			// Nothing ever removes the quarantine.
			gcOnce(t, dir, GCOptions{})
			if got := contents(t, q); !reflect.DeepEqual(got, want) {
				t.Errorf("a second GC changed the quarantine: %v", got)
			}
		})
	}
}

// TestGCQuarantinesAnEntryLeftInTheTrashOfAKilledProcess: an entry with a
// file it did not make, left in the trash folder of a killed process, is
// quarantined, not deleted with the folder, whatever put it there: a
// process discarding a damaged entry (named by its key), a gc (named
// <n>-<key>), or a gc that had moved an older stale trash folder, the
// entry in it, into its own.
func TestGCQuarantinesAnEntryLeftInTheTrashOfAKilledProcess(t *testing.T) {
	for _, c := range []struct{ name, at string }{
		{"discarded by a run", "KEY"},
		{"doomed by a gc", "0-KEY"},
		{"in an older trash folder a gc moved", "3-trash-older/12-KEY"},
	} {
		t.Run(c.name, func(t *testing.T) { checkTrashedEntryIsQuarantined(t, c.at) })
	}
}

func checkTrashedEntryIsQuarantined(t *testing.T, at string) {
	dir := t.TempDir()
	c := Open(dir)
	k := Key("discarded")
	publishOutputs(t, c, k, sampleOutputs, nil)
	must(t, c.Close())
	// A process killed between moving the entry to its trash folder and
	// deciding what to do with it.
	trash := filepath.Join(dir, tmpDir, "trash-killed")
	entry := filepath.Join(trash, filepath.FromSlash(strings.ReplaceAll(at, "KEY", k)))
	must(t, os.MkdirAll(filepath.Dir(entry), 0o755))
	must(t, os.Rename(c.Path(k), entry))
	must(t, os.WriteFile(filepath.Join(entry, "mine.txt"), []byte("keep me"), 0o644))
	want := contents(t, entry)
	must(t, os.WriteFile(filepath.Join(trash, "left.bin"), make([]byte, 1000), 0o644))
	backdate(t, trash, 2*time.Hour)

	// A dry run lists the trash folder at what removing it frees: its size
	// less the entry it moves to the quarantine folder instead.
	dry := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour, DryRun: true})
	if len(dry.Leftovers) != 1 || dry.Leftovers[0].Name != "tmp/trash-killed" || dry.Leftovers[0].What != "trash folder" ||
		dry.Leftovers[0].Size != 1000 || dry.Freed != 1000 {
		t.Errorf("GC dry run: leftovers %+v, freed %d; want tmp/trash-killed, a trash folder of 1000 bytes, and 1000 freed", dry.Leftovers, dry.Freed)
	}

	res := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
	if len(res.Leftovers) != 1 || res.Leftovers[0].Size != 1000 || res.Freed != 1000 {
		t.Errorf("GC: leftovers %+v, freed %d; want the trash folder's 1000 bytes", res.Leftovers, res.Freed)
	}
	if len(res.Quarantined) != 1 || res.Quarantined[0].Key != k {
		t.Fatalf("GC quarantined %+v, want the entry in the stale trash folder", res.Quarantined)
	}
	if got := contents(t, res.Quarantined[0].Path); !reflect.DeepEqual(got, want) {
		t.Errorf("quarantined content = %v, want %v", got, want)
	}
	if exists(trash) {
		t.Error("GC kept the stale trash folder")
	}
}

func TestCloseOfAFailedFirstUseLeavesNoCacheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := Open(dir)
	if _, err := c.Use(Key("nothing")); !errors.Is(err, ErrMiss) {
		t.Fatalf("Use(missing) = %v, want ErrMiss", err)
	}
	if exists(dir) {
		t.Fatal("a miss made the cache folder")
	}
	b, err := c.TempDir()
	must(t, err)
	must(t, os.RemoveAll(b)) // the stage failed
	must(t, c.Close())
	if exists(dir) {
		t.Errorf("after a failed build and Close the cache folder holds %v, want it gone", contents(t, dir))
	}

	// With an entry published, Close keeps the cache and drops only the lease.
	c = Open(dir)
	publishOutputs(t, c, Key("kept"), sampleOutputs, nil)
	must(t, c.Close())
	if _, err := Open(dir).Get(Key("kept")); err != nil {
		t.Errorf("Get after Close = %v", err)
	}
	if l := leaseFiles(t, dir); len(l) > 0 {
		t.Errorf("Close left %v", l)
	}
}

func TestUseWritesOnlyItsLease(t *testing.T) {
	dir := t.TempDir()
	pub := Open(dir)
	k := Key("entry")
	publishOutputs(t, pub, k, sampleOutputs, nil)
	must(t, pub.Close())
	backdate(t, dir, time.Hour) // any write now shows in the modification times
	entries := func() map[string]string { return tree(t, filepath.Join(dir, versionDir)) }
	before := entries()
	c := Open(dir)
	for range 3 {
		if _, err := c.Use(k); err != nil {
			t.Fatalf("Use = %v", err)
		}
	}
	if after := entries(); !reflect.DeepEqual(before, after) {
		t.Errorf("Use changed the entries:\nbefore %v\nafter  %v", before, after)
	}
	l := leaseFiles(t, dir)
	if len(l) != 1 {
		t.Fatalf("leases = %v, want one", l)
	}
	b, err := os.ReadFile(l[0])
	must(t, err)
	if n := strings.Count(string(b), leaseKey+k+"\n"); n != 1 {
		t.Errorf("the lease names the key %d times, want once:\n%s", n, b)
	}
	must(t, c.Close())
}

func TestALeaseWithATornLineStillProtectsTheNext(t *testing.T) {
	dir := t.TempDir()
	c := Open(dir)
	defer c.Close()
	k := Key("after a torn write")
	l, err := c.theLease()
	must(t, err)
	// A write that failed part-way left half a line.
	_, err = l.file.WriteString("key 0123")
	must(t, err)
	l.torn = true
	publishOutputs(t, c, k, sampleOutputs, nil)
	g := Open(dir)
	defer g.Close()
	lock, err := openLock(context.Background(), dir, lockExclusive, true)
	must(t, err)
	lv, err := g.liveLeases(false)
	lock.Close()
	must(t, err)
	if !lv.keys[k] {
		t.Errorf("the lease's keys after a torn line = %v, want %s", lv.keys, short(k))
	}
}

// BenchmarkUse measures a cache hit as the engine takes it: a line in the
// lease (each iteration a key not yet recorded) and Get, which digests a
// small entry. BenchmarkGet is the same lookup without the lease, and
// BenchmarkLeaseLine the lease's part alone.
func BenchmarkUse(b *testing.B) {
	dir := b.TempDir()
	const entries = 512
	keys := make([]string, entries)
	pub := Open(dir)
	for i := range keys {
		keys[i] = Key(fmt.Sprint(i))
		publishOutputs(b, pub, keys[i], outputs{"metrics.json": `{"accuracy": 0.88}`}, nil)
	}
	pub.Close()
	b.Run("Use", func(b *testing.B) {
		i := 0
		c := Open(dir)
		for b.Loop() {
			if i%entries == 0 {
				c.Close() // a fresh lease, so every Use records its key
			}
			if _, err := c.Use(keys[i%entries]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		c.Close()
	})
	b.Run("Get", func(b *testing.B) {
		i := 0
		c := Open(dir)
		for b.Loop() {
			if _, err := c.Get(keys[i%entries]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("LeaseLine", func(b *testing.B) {
		c := Open(dir)
		defer c.Close()
		i := 0
		for b.Loop() {
			if err := c.hold(leaseKey + Key(fmt.Sprint("line ", i))); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// TestAHitRecordedWhileGCIsBetweenReadingLeasesAndRemovingIsMissed takes
// the lookup at the worst moment for the protection: after GC has read
// the leases and before it removes the entry. The lookup must then wait
// for GC and miss, not return an entry GC is about to remove.
func TestAHitRecordedWhileGCIsBetweenReadingLeasesAndRemovingIsMissed(t *testing.T) {
	for round := range 20 {
		dir := t.TempDir()
		key := Key("entry")
		pub := Open(dir)
		publishOutputs(t, pub, key, sampleOutputs, nil)
		must(t, pub.Close())

		user := Open(dir)
		if _, err := user.TempDir(); err != nil { // its lease exists before the hit
			t.Fatal(err)
		}
		useDone := make(chan struct{})
		var entry *Entry
		var useErr error
		g := Open(dir)
		g.leasesRead = func() {
			go func() {
				defer close(useDone)
				entry, useErr = user.Use(key)
			}()
			// GC goes on once the lookup has finished, or once it waits
			// for the lock GC holds: a lookup that does not wait for GC
			// finishes first.
			lock := filepath.Join(dir, lockName)
			for {
				select {
				case <-useDone:
					return
				default:
				}
				if waitingForLock(lock) {
					return
				}
				runtime.Gosched()
			}
		}
		if _, err := g.GC(GCOptions{}); err != nil {
			t.Fatal(err)
		}
		g.Close()
		<-useDone
		if useErr == nil {
			if got := readOutputs(t, entry.Dir); !reflect.DeepEqual(got, sampleOutputs) {
				t.Fatalf("round %d: a hit taken while GC held the lock was removed: the entry holds %q", round, got)
			}
		} else if !errors.Is(useErr, ErrMiss) {
			t.Fatalf("round %d: Use = %v, want a miss", round, useErr)
		}
		must(t, user.Close())
	}
}

// TestAnEntryMovedAwayWhileReadIsAMissNotDamage: gc moves an entry's
// folder away (or a run replaces a damaged one) while Get verifies its
// files: Get and Verify say miss, as for an entry removed before, not
// damaged; an entry whose file goes missing while it stays is damaged.
func TestAnEntryMovedAwayWhileReadIsAMissNotDamage(t *testing.T) {
	for _, c := range []struct {
		name string
		act  func(t *testing.T, dir string)
		miss bool
	}{
		{"moved away by gc", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+"-trash"))
		}, true},
		{"replaced by a run", func(t *testing.T, dir string) {
			must(t, os.Rename(dir, dir+"-old"))
			must(t, os.CopyFS(dir, os.DirFS(dir+"-old")))
			must(t, os.Remove(filepath.Join(dir, "metrics.json")))
		}, true},
		{"a file removed from it", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "metrics.json")))
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc := Open(t.TempDir())
			defer cc.Close()
			k := Key(c.name)
			publishOutputs(t, cc, k, sampleOutputs, nil)
			cc.entryRead = func(dir string) {
				cc.entryRead = nil
				c.act(t, dir)
			}
			err := cc.Verify(k)
			var d *DamagedError
			switch {
			case c.miss && !errors.Is(err, ErrMiss):
				t.Errorf("Verify = %v, want a miss", err)
			case !c.miss && !errors.As(err, &d):
				t.Errorf("Verify = %v, want the entry damaged", err)
			}
		})
	}
}

// TestAWaitForTheLockEndsWithItsContext: a process whose cache waits for
// the cache-wide lock that gc holds gives up with its context's error
// when the context ends (an interrupt), rather than once gc is done; and
// the lock it would have taken later is not kept from the next gc.
func TestAWaitForTheLockEndsWithItsContext(t *testing.T) {
	dir := t.TempDir()
	gcLock, err := openLock(context.Background(), dir, lockExclusive, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	user := OpenContext(ctx, dir)
	defer user.Close()
	res := make(chan error, 1)
	go func() {
		_, err := user.TempDir() // takes its lease under the lock, shared
		res <- err
	}()
	for !waitingForLock(filepath.Join(dir, lockName)) {
		runtime.Gosched()
	}
	cancel()
	// gc still holds the lock: only the context can end the wait, and a
	// wait that did not heed it never ends (the test then times out).
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Errorf("the wait ended with %v, want the context's error", err)
	}
	must(t, gcLock.Close())
	// The waiter given up takes the lock and lets it go at once: the next
	// gc takes the exclusive lock (a lock kept would block it for good).
	next, err := openLock(context.Background(), dir, lockExclusive, false)
	if err != nil {
		t.Fatalf("the next gc's lock: %v", err)
	}
	next.Close()
}

// TestAGCThatFailsWhileMovingKeepsWhatItMovedForTheNext: a gc that cannot
// move something aside (here a stale build folder whose name is too long to
// take gc's number; on a shared cache, another user's entry) fails, and
// must not delete what it moved into its trash folder before that, which
// it has not yet looked at for files the entries did not make. The next
// gc, the obstacle gone, quarantines the entry with a foreign file.
func TestAGCThatFailsWhileMovingKeepsWhatItMovedForTheNext(t *testing.T) {
	dir := t.TempDir()
	c := Open(dir)
	c.now = twoHoursAgo
	k := Key("foreign")
	publishOutputs(t, c, k, sampleOutputs, nil)
	must(t, c.Close())
	must(t, os.WriteFile(filepath.Join(c.Path(k), "mine.txt"), []byte("keep me"), 0o644))
	want := contents(t, c.Path(k))
	// Stale folders are moved after the entries.
	long := filepath.Join(dir, tmpDir, buildPrefix+strings.Repeat("x", 255-len(buildPrefix)))
	must(t, os.MkdirAll(long, 0o755))
	backdate(t, long, 2*time.Hour)

	g := Open(dir)
	if _, err := g.GC(GCOptions{KeepRecent: time.Hour}); err == nil {
		t.Fatal("GC moved a folder whose name is too long to number")
	}
	must(t, g.Close())
	must(t, os.RemoveAll(long))
	// The failed gc's trash is stale once its process is gone and it is old.
	trash, err := filepath.Glob(filepath.Join(dir, tmpDir, trashPrefix+"*"))
	must(t, err)
	for _, tr := range trash {
		backdate(t, tr, 2*time.Hour)
	}
	res := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
	if len(res.Quarantined) != 1 || res.Quarantined[0].Key != k {
		t.Fatalf("GC after a failed one quarantined %+v, want the entry with a foreign file", res.Quarantined)
	}
	if got := contents(t, res.Quarantined[0].Path); !reflect.DeepEqual(got, want) {
		t.Errorf("quarantined content = %v, want %v", got, want)
	}
}
