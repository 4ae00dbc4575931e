package s3store

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/nnpipe/nnpipe/pipeline/cache"
)

func gc(t *testing.T, s *Store, opts cache.GCOptions) *cache.GCResult {
	t.Helper()
	res, err := s.GC(opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func removedKeys(res *cache.GCResult) []string {
	var keys []string
	for _, r := range res.Removed {
		keys = append(keys, r.Key)
	}
	return keys
}

func count(objects []string, prefix string) int {
	n := 0
	for _, o := range objects {
		if strings.HasPrefix(o, prefix) {
			n++
		}
	}
	return n
}

func TestGCKeepsWhatLiveLeasesAndOptionsKeep(t *testing.T) {
	f := newFake(t)
	w := f.open(t)
	k1, k2, k3 := key("1"), key("2"), key("3")
	publish(t, w, k1, map[string]string{"shared": "s", "one": "1"})
	publish(t, w, k2, map[string]string{"two": "2"})
	publish(t, w, k3, map[string]string{"shared": "s", "three": "3"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	u := f.open(t)
	if _, err := u.Use(k1); err != nil {
		t.Fatal(err)
	}
	g := f.open(t)
	if res := gc(t, g, cache.GCOptions{KeepRecent: time.Hour}); len(res.Removed) != 0 || res.Kept != 3 {
		t.Errorf("gc --keep-recent 1h removed %v, kept %d; want nothing removed", removedKeys(res), res.Kept)
	}
	f.clock.Advance(2 * time.Hour)                                   // nothing new is young; u's lease heartbeats by its own clock
	f.write(leasesDir+u.lease.id+"/"+aliveName, []byte("heartbeat")) // as u's next heartbeat would
	res := gc(t, g, cache.GCOptions{Keep: func(k string) bool { return k == k2 }})
	if got := removedKeys(res); !slices.Equal(got, []string{k3}) || res.Kept != 2 || res.Leases != 1 {
		t.Errorf("gc with one live lease (on entry 1) keeping entry 2 removed %v, kept %d, %d leases; want entry 3 only, 2, 1", got, res.Kept, res.Leases)
	}
	if f.has(fileName(digest([]byte("3")))) || !f.has(fileName(digest([]byte("s")))) {
		t.Errorf("gc should remove entry 3's own file and keep the one entry 1 shares: %v", f.objects())
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	res = gc(t, g, cache.GCOptions{})
	want := []string{k1, k2}
	slices.Sort(want)
	if got := removedKeys(res); !slices.Equal(got, want) {
		t.Errorf("gc after the lease was released removed %v, want entries 1 and 2", got)
	}
	if objs := f.objects(); len(objs) != 0 {
		t.Errorf("gc left %v", objs)
	}
}

// TestAHitTakenWhileGCRunsWaitsAndMisses takes a hit at the worst moment:
// after gc has read the leases and before it deletes. The lookup must wait
// for gc and then miss; taking the hit would hand out an entry gc is about
// to delete.
func TestAHitTakenWhileGCRunsWaitsAndMisses(t *testing.T) {
	f := newFake(t)
	k := key("victim")
	w := f.open(t)
	publish(t, w, k, files1)
	w.Close()
	g, u := f.open(t), f.open(t)
	leasesRead, resume := make(chan struct{}), make(chan struct{})
	g.gcHook = func() { close(leasesRead); <-resume }
	gcDone := make(chan error)
	go func() {
		_, err := g.GC(cache.GCOptions{})
		gcDone <- err
	}()
	<-leasesRead
	type result struct {
		e   *cache.Entry
		err error
	}
	used := make(chan result, 1)
	go func() {
		e, err := u.Use(k)
		used <- result{e, err}
	}()
	// Once u has recorded the key, let gc go on: it read the leases before.
	waitFor(t, "the lookup to record its key", func() bool { return count(f.objects(), leasesDir) >= 2 })
	close(resume)
	if err := <-gcDone; err != nil {
		t.Fatal(err)
	}
	r := <-used
	if !errors.Is(r.err, cache.ErrMiss) {
		t.Fatalf("a hit taken while gc held the bucket = %v, %v; want a miss", r.e, r.err)
	}
}

func TestHitsRacingGCAreProtectedOrMiss(t *testing.T) {
	f := newFake(t)
	g := f.open(t)
	for round := range 30 {
		k := key("round " + string(rune('a'+round)))
		w := f.open(t)
		publish(t, w, k, map[string]string{"out": "x" + k})
		w.Close()
		u := f.open(t)
		var wg sync.WaitGroup
		var hit *cache.Entry
		var useErr error
		wg.Add(2)
		go func() { defer wg.Done(); hit, useErr = u.Use(k) }()
		go func() { defer wg.Done(); gc(t, g, cache.GCOptions{}) }()
		wg.Wait()
		switch {
		case useErr == nil:
			if err := g.Verify(k); err != nil {
				t.Fatalf("round %d: Use took a hit, then gc removed it: %v", round, err)
			}
			if !strings.HasPrefix(contents(t, hit)["out"], "x") {
				t.Fatalf("round %d: the hit holds %v", round, contents(t, hit))
			}
		case !errors.Is(useErr, cache.ErrMiss):
			t.Fatalf("round %d: %v", round, useErr)
		}
		u.Close()
	}
}

func TestGCRemovesWhatDeadProcessesLeft(t *testing.T) {
	f := newFake(t)
	d := f.open(t)
	k := key("dead")
	publish(t, d, k, files1)
	// A second publish killed between its uploads and its entry.json.
	dir := outputs(t, d, map[string]string{"orphan": "never published"})
	e, err := cache.NewEntry(key("orphan"), dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.upload(key("orphan"), e.Files, dir); err != nil {
		t.Fatal(err)
	}
	// The process dies: its heartbeat stops, its lease stays.
	d.lease.hb.end()
	d.lease.hb = nil
	g := f.open(t)
	if res := gc(t, g, cache.GCOptions{}); len(res.Removed) != 0 || res.Leases != 1 || !f.has(fileName(digest([]byte("never published")))) {
		t.Errorf("gc while the lease is fresh removed %v (%d leases); want nothing", removedKeys(res), res.Leases)
	}
	f.clock.Advance(d.opts.LeaseTTL + time.Second)
	res := gc(t, g, cache.GCOptions{KeepRecent: time.Hour})
	if len(res.Removed) != 0 || res.Leases != 0 || count(f.objects(), leasesDir) != 0 {
		t.Errorf("gc --keep-recent 1h once the lease is dead removed %v, %d leases, left %v; want the lease gone and the young rest kept",
			removedKeys(res), res.Leases, f.objects())
	}
	f.clock.Advance(2 * time.Hour)
	res = gc(t, g, cache.GCOptions{KeepRecent: time.Hour})
	if got := removedKeys(res); !slices.Equal(got, []string{k}) {
		t.Errorf("gc --keep-recent 1h two hours later removed %v, want the dead process's entry", got)
	}
	if objs := f.objects(); len(objs) != 0 {
		t.Errorf("gc left %v", objs)
	}
}

func TestGCMarker(t *testing.T) {
	f := newFake(t)
	f.write(gcName, []byte("a gc elsewhere"))
	g := f.open(t)
	if _, err := g.GC(cache.GCOptions{}); err == nil || !strings.Contains(err.Error(), "another gc is running") {
		t.Errorf("gc beside a live marker = %v", err)
	}
	// A dry run takes no marker.
	if _, err := g.GC(cache.GCOptions{DryRun: true}); err != nil {
		t.Errorf("a dry run beside a live marker: %v", err)
	}
	// The marker of a gc that died stops lookups only until it is stale.
	f.clock.Advance(g.opts.LeaseTTL + time.Second)
	u := f.open(t)
	if _, err := u.Use(key("any")); !errors.Is(err, cache.ErrMiss) {
		t.Errorf("Use beside a stale marker = %v, want a miss", err)
	}
	if _, err := g.GC(cache.GCOptions{}); err != nil {
		t.Errorf("gc replacing a stale marker: %v", err)
	}
	if f.has(gcName) {
		t.Error("gc left its marker")
	}
}

// TestALapsedLeaseFailsTheNextOperation blocks the heartbeats: once the
// lease has lapsed, a lookup must fail rather than trust it.
func TestALapsedLeaseFailsTheNextOperation(t *testing.T) {
	f := newFake(t)
	o := f.options(t)
	o.LeaseTTL = 600 * time.Millisecond
	s := f.openWith(t, o)
	k := key("lapse")
	publish(t, f.open(t), k, files1)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+aliveName) && r.Header.Get("If-None-Match") == "" {
			http.Error(w, "heartbeats are blocked", http.StatusForbidden)
			return true
		}
		return false
	})
	if _, err := s.Use(k); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the lease to lapse", func() bool { return s.lease.check() != nil })
	if _, err := s.Use(key("next")); err != nil && !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("a miss needs no lease: %v", err)
	}
	publish(t, f.open(t), key("next"), files1)
	_, err := s.Use(key("next"))
	if err == nil || !strings.Contains(err.Error(), "lapsed") {
		t.Errorf("Use with a lapsed lease = %v, want an error saying it lapsed", err)
	}
	if _, err := s.Publish(key("third"), outputs(t, s, files1), nil); err == nil || !strings.Contains(err.Error(), "lapsed") {
		t.Errorf("Publish with a lapsed lease = %v", err)
	}
}

func TestAServerThatStopsAnsweringTimesOut(t *testing.T) {
	f := newFake(t)
	o := f.options(t)
	o.Timeout = 300 * time.Millisecond
	s := f.openWith(t, o)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done() // hang until the client gives up
		return true
	})
	_, err := s.Use(key("x"))
	if err == nil || !strings.Contains(err.Error(), "NNPIPE_S3_TIMEOUT") {
		t.Errorf("Use on a server that does not answer = %v, want a timeout naming NNPIPE_S3_TIMEOUT", err)
	}
	// The store makes no further request, even once the server answers
	// again: a sweep's remaining trials fail at once.
	requests := 0
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool { requests++; return false })
	_, err = s.Use(key("y"))
	if err == nil || !strings.Contains(err.Error(), "no further request") || !strings.Contains(err.Error(), "NNPIPE_S3_TIMEOUT") || requests != 0 {
		t.Errorf("Use after a timeout = %v after %d requests, want the first error and no request", err, requests)
	}
}

func TestAPublishCutShortLeavesNoEntry(t *testing.T) {
	f := newFake(t)
	s := f.open(t)
	k := key("cut")
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+cache.EntryFile) {
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	dir := outputs(t, s, files1)
	if _, err := s.Publish(k, dir, nil); err == nil {
		t.Fatal("Publish succeeded without its entry.json")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed Publish left its build folder")
	}
	f.setHook(nil)
	if _, err := f.open(t).Use(k); !errors.Is(err, cache.ErrMiss) {
		t.Errorf("after a publish cut short, Use = %v, want a miss", err)
	}
	// The failure made s take the server for down: it could not release
	// its lease, which protects the uploads until it is dead.
	s.Close()
	gc(t, f.open(t), cache.GCOptions{})
	if !f.has(fileName(digest([]byte("alpha")))) {
		t.Errorf("gc removed the uploads of a live lease")
	}
	f.clock.Advance(s.opts.LeaseTTL + time.Second)
	gc(t, f.open(t), cache.GCOptions{})
	if objs := f.objects(); len(objs) != 0 {
		t.Errorf("gc left what the cut publish uploaded: %v", objs)
	}
}

func TestTheLocalCopyIsTrimmedToItsBound(t *testing.T) {
	f := newFake(t)
	w := f.open(t)
	k1, k2, k3 := key("1"), key("2"), key("3")
	for _, k := range []string{k1, k2, k3} {
		publish(t, w, k, map[string]string{"f": "six b" + k[:1]})
	}
	o := f.options(t)
	s := f.openWith(t, o)
	for _, k := range []string{k2, k3, k1} { // k1 used last
		if _, err := s.Use(k); err != nil {
			t.Fatal(err)
		}
	}
	// Room for one entry of the copy (its file and its entry.json).
	one, err := cache.Open(o.CopyDir).List()
	if err != nil || len(one) != 3 {
		t.Fatalf("the local copy holds %d entries, %v", len(one), err)
	}
	s.opts.CopyBytes = cache.DirSize(one[0].Dir) + 4
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	local, err := cache.Open(o.CopyDir).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != 1 || local[0].Key != copyKey(f.read(entryName(k1))) {
		t.Errorf("the local copy bounded to one entry holds %d entries, want the last used", len(local))
	}
}

// TestTheLocalCopyBoundCountsWhatDeadProcessesLeft: build folders that killed processes left
// in the local copy count towards its bound and are removed, even when its entries fit.
func TestTheLocalCopyBoundCountsWhatDeadProcessesLeft(t *testing.T) {
	f := newFake(t)
	o := f.options(t)
	s := f.openWith(t, o)
	left := filepath.Join(o.CopyDir, "tmp", "build-dead")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "history.parquet"), make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	s.opts.CopyBytes = 4 << 10
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); err == nil {
		t.Errorf("a dead process's build folder of 64 KiB stays in a local copy bounded to 4 KiB")
	}
	if size := cache.DirSize(o.CopyDir); size > s.opts.CopyBytes {
		t.Errorf("the local copy holds %d bytes, over its bound of %d", size, s.opts.CopyBytes)
	}
}

// TestGCListsTheLeftoversItRemoves: besides entries, gc (and its dry run,
// alike) names every object it removes, relative to the prefix, with what
// it is and its size, and frees exactly their bytes and the entries'.
func TestGCListsTheLeftoversItRemoves(t *testing.T) {
	f := newFake(t)
	d := f.open(t)
	kKeep, kGone, kFailed := key("kept"), key("gone"), key("failed")
	publish(t, d, kKeep, map[string]string{"a": "kept entry"})
	publish(t, d, kGone, map[string]string{"b": "removed entry"})
	if err := d.RecordFailure(kFailed, map[string]string{"error": "diverged"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.KeepFailed(kFailed, outputs(t, d, map[string]string{"history.parquet": "steps"})); err != nil {
		t.Fatal(err)
	}
	// A publish killed between its uploads and its entry.json.
	dir := outputs(t, d, map[string]string{"orphan": "never published"})
	e, err := cache.NewEntry(key("orphan"), dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.upload(key("orphan"), e.Files, dir); err != nil {
		t.Fatal(err)
	}
	// The process dies: its heartbeat stops, its lease stays.
	d.lease.hb.end()
	d.lease.hb = nil
	f.clock.Advance(d.opts.LeaseTTL + time.Second)

	size := func(name string) int64 { return int64(len(f.read(name))) }
	want := []cache.Leftover{
		{Name: failureName(kFailed), What: "failure record", Size: size(failureName(kFailed))},
		{Name: keptName(kFailed), What: "list of a failed stage's kept outputs", Size: size(keptName(kFailed))},
		{Name: fileName(digest([]byte("steps"))), What: "file of a failed stage's kept outputs", Size: 5},
		{Name: fileName(digest([]byte("never published"))), What: "file no entry lists", Size: 15},
	}
	for _, o := range f.objects() {
		if strings.HasPrefix(o, leasesDir) {
			want = append(want, cache.Leftover{Name: o, What: "dead lease", Size: size(o)})
		}
	}
	slices.SortFunc(want, func(a, b cache.Leftover) int { return strings.Compare(a.Name, b.Name) })
	if n := count(f.objects(), leasesDir); n != 2 {
		t.Fatalf("the dead process left %d lease objects, want 2 (its alive and one segment)", n)
	}
	wantFreed := size(entryName(kGone)) + int64(len("removed entry"))
	for _, l := range want {
		wantFreed += l.Size
	}
	g := f.open(t)
	keep := cache.GCOptions{Keep: func(k string) bool { return k == kKeep }}
	for _, dryRun := range []bool{true, false} {
		opts := keep
		opts.DryRun = dryRun
		res := gc(t, g, opts)
		if !slices.Equal(res.Leftovers, want) || res.Freed != wantFreed || !slices.Equal(removedKeys(res), []string{kGone}) || res.Kept != 1 {
			t.Errorf("gc (dry run %v): removed %v, kept %d, leftovers %+v, freed %d; want %s, 1, %+v, %d",
				dryRun, removedKeys(res), res.Kept, res.Leftovers, res.Freed, kGone[:12], want, wantFreed)
		}
	}
	if left, want := f.objects(), []string{fileName(digest([]byte("kept entry"))), entryName(kKeep)}; !slices.Equal(left, want) {
		t.Errorf("gc left %v, want %v", left, want)
	}
}

// TestGCKeepsTheFailureRecordsRunsReference: a failure record and the
// outputs it kept, whose key a finished run references (opts.Keep, here
// through KeepFrom, which gc takes after reading the leases), stay
// however old, as on a folder; those of other keys go.
func TestGCKeepsTheFailureRecordsRunsReference(t *testing.T) {
	f := newFake(t)
	d := f.open(t)
	kRef, kOld := key("referenced"), key("old")
	for _, k := range []string{kRef, kOld} {
		if err := d.RecordFailure(k, map[string]string{"error": "diverged"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.KeepFailed(k, outputs(t, d, map[string]string{"history.parquet": "steps of " + k})); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(48 * time.Hour)
	g := f.open(t)
	res := gc(t, g, cache.GCOptions{KeepRecent: time.Hour, KeepFrom: func() (func(string) bool, error) {
		return func(k string) bool { return k == kRef }, nil
	}})
	if len(res.Leftovers) != 3 {
		t.Errorf("gc removed %+v, want the old key's record, kept list and file", res.Leftovers)
	}
	for _, name := range []string{failureName(kRef), keptName(kRef), fileName(digest([]byte("steps of " + kRef)))} {
		if !f.has(name) {
			t.Errorf("gc removed %s, which a finished run references", name)
		}
	}
	for _, name := range []string{failureName(kOld), keptName(kOld)} {
		if f.has(name) {
			t.Errorf("gc kept %s, which nothing references", name)
		}
	}
}

// TestGCReadsALeaseRewrittenAsItReadsIt: a live process rewrites its lease
// segment each time it records a line, so gc may read one as it changes.
// The read used to be a HEAD and then a GET conditional on the HEAD's
// ETag, which a server refuses (412) once the segment was rewritten in
// between: gc failed with "read lease …: At least one of the
// pre-conditions you specified did not hold" while a sweep ran beside it.
// The fake server rewrites the segment when it is first asked for it,
// then refuses a GET conditional on another ETag, as S3 does.
func TestGCReadsALeaseRewrittenAsItReadsIt(t *testing.T) {
	f := newFake(t)
	owner := f.open(t)
	k := key("held")
	publish(t, owner, k, map[string]string{"a": "1"})
	var mu sync.Mutex
	rewritten := false
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		name, ok := strings.CutPrefix(r.URL.Path, "/"+testBucket+"/p/")
		if !ok || !strings.HasPrefix(name, leasesDir) || strings.HasSuffix(name, "/"+aliveName) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if !rewritten && (r.Method == http.MethodHead || r.Method == http.MethodGet) {
			rewritten = true
			f.write(name, append(f.read(name), "key "+key("more")+"\n"...))
			return false // the HEAD sees the new version, or the GET reads it
		}
		if r.Method == http.MethodGet && r.Header.Get("If-Match") != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` +
				`<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`))
			return true
		}
		return false
	})
	res, err := f.open(t).GC(cache.GCOptions{})
	if err != nil {
		t.Fatalf("gc beside a lease being rewritten: %v", err)
	}
	if res.Kept != 1 || len(res.Removed) != 0 {
		t.Errorf("gc kept %d and removed %v, want the entry the lease holds kept", res.Kept, removedKeys(res))
	}
}

// TestGCAbortsTheUploadsOfDeadProcesses: a file over 16 MiB is uploaded
// in parts, and a process killed in the middle leaves the parts it sent
// as an upload never completed, stored and billed but no object. gc
// aborts such an upload of a file once no live lease names the file, as
// it removes the files a killed publish uploaded; it used to leave it
// for ever, unseen by gc, du and the dry run.
func TestGCAbortsTheUploadsOfDeadProcesses(t *testing.T) {
	f := newFake(t)
	d := f.open(t)
	sum := digest([]byte("a large file"))
	if err := d.lease.hold(leaseFile + sum); err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: d.c.mc}
	name := "p/" + fileName(sum)
	id, err := core.NewMultipartUpload(t.Context(), testBucket, name, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := []byte("the first part")
	if _, err := core.PutObjectPart(t.Context(), testBucket, name, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	uploads := func() int {
		res, err := core.ListMultipartUploads(t.Context(), testBucket, "p/", "", "", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Uploads)
	}
	g := f.open(t)
	if gc(t, g, cache.GCOptions{}); uploads() != 1 {
		t.Fatal("gc aborted an upload a live lease names")
	}
	// The process dies: its heartbeat stops, its lease stays.
	d.lease.hb.end()
	d.lease.hb = nil
	f.clock.Advance(d.opts.LeaseTTL + time.Second)
	gc(t, g, cache.GCOptions{DryRun: true}) // takes no marker: this one lets g see the server's clock moved
	dry := gc(t, g, cache.GCOptions{DryRun: true})
	if n := uploads(); n != 1 {
		t.Fatalf("a dry run left %d uploads, want the one", n)
	}
	res := gc(t, g, cache.GCOptions{})
	if n := uploads(); n != 0 {
		t.Fatalf("gc left %d uploads of a dead process", n)
	}
	// The size is the parts' as the server counts them (the fake counts
	// the signed chunks' framing too).
	for _, r := range []*cache.GCResult{dry, res} {
		if !slices.ContainsFunc(r.Leftovers, func(l cache.Leftover) bool {
			return l.Name == fileName(sum) && l.What == "part-uploaded file" && l.Size >= int64(len(part))
		}) {
			t.Errorf("gc listed %+v, want the incomplete upload of %s among them", r.Leftovers, fileName(sum))
		}
	}
}
