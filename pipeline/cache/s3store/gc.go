package s3store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// readers bounds the entry.json files read at once while listing.
const readers = 8

// listed is an entry.json found in the bucket, with its object.
type listed struct {
	cache.Listed
	obj object
}

// List returns every entry in the bucket, sorted by key, with its
// entry.json parsed (Dir is its s3:// location) but the files not read.
// An entry.json that cannot be parsed is listed with Err set.
func (s *Store) List() ([]cache.Listed, error) {
	all, err := s.listEntries()
	if err != nil {
		return nil, s.errorf(err)
	}
	out := make([]cache.Listed, len(all))
	for i, l := range all {
		out[i] = l.Listed
	}
	return out, nil
}

func (s *Store) listEntries() ([]listed, error) {
	var objs []object
	err := s.c.list(s.ctx, "v1/", true, func(o object) bool {
		if _, ok := entryKeyOf(o.Name); ok {
			objs = append(objs, o)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	out := make([]listed, len(objs))
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(readers, len(objs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				key, _ := entryKeyOf(objs[i].Name)
				l := cache.Listed{Key: key, Dir: s.entryLocation(key)}
				raw, obj, err := s.c.getEntryJSON(s.ctx, objs[i].Name)
				switch {
				case errors.Is(err, errNotFound):
					continue // removed since it was listed
				case err != nil:
					errs[i] = err
					continue
				}
				l.JSONSize = obj.Size
				if e, err := s.parseEntry(key, raw); err != nil {
					l.Err = errors.New(err.(*cache.DamagedError).Reason)
				} else {
					l.Entry = e
				}
				out[i] = listed{Listed: l, obj: obj}
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, l := range out {
		if l.Key != "" {
			kept = append(kept, l)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Key < kept[j].Key })
	return kept, nil
}

// entryKeyOf returns the key of an object named v1/<2 hex>/<key>/entry.json.
func entryKeyOf(name string) (string, bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "v1" || parts[3] != cache.EntryFile || !validKey(parts[2]) || parts[2][:2] != parts[1] {
		return "", false
	}
	return parts[2], true
}

// EntrySize returns the bytes of a listed entry: its entry.json and the
// files it lists, as the file cache counts an entry's folder. A file the
// entry lists twice, or that another entry lists too, counts each time.
func (s *Store) EntrySize(l cache.Listed) int64 {
	n := l.JSONSize
	if l.Entry != nil {
		for _, f := range l.Entry.Files {
			n += f.Size
		}
	}
	return n
}

// topLevel reports whether name (a folder ending in "/", or an object) is
// one the cache makes directly under its prefix.
func topLevel(name string) bool {
	switch name {
	case "v1/", "files/", "failures/", leasesDir, gcName:
		return true
	}
	return false
}

// CheckFolder reports whether the location holds a cache that verifying,
// sizing or collecting garbage may work on: something is there, and
// nothing the cache does not make. Such problems are a *cache.NotCacheError.
func (s *Store) CheckFolder() error {
	found, foreign := false, ""
	err := s.c.list(s.ctx, "", false, func(o object) bool {
		found = true
		if !topLevel(o.Name) {
			foreign = o.Name
			return false
		}
		return true
	})
	switch {
	case err != nil:
		return s.errorf(err)
	case !found:
		return &cache.NotCacheError{Dir: s.Dir(), Missing: true, Why: "does not exist (nothing is stored under it)"}
	case foreign != "":
		return &cache.NotCacheError{Dir: s.Dir(), Why: fmt.Sprintf("holds %q, which nnpipe does not make: it is not a cache", foreign)}
	}
	return nil
}

// CheckUse reports a location that a run may not write into: one that
// holds what the cache does not make (a *cache.NotCacheError, as
// CheckFolder says), whose entries mixed in could never be collected by
// gc, which refuses it. A prefix that holds nothing yet is fine.
func (s *Store) CheckUse() error {
	var nc *cache.NotCacheError
	if err := s.CheckFolder(); err != nil && !(errors.As(err, &nc) && nc.Missing) {
		return err
	}
	return nil
}

// liveSet is what the live leases protect.
type liveSet struct {
	keys   map[string]bool
	files  map[string]bool
	leases int
	dead   []object // objects of dead leases
}

// readLeases reads every lease: a live one's keys and files, a dead
// one's objects. A lease is live when its alive object, or else any of its
// segments, was written within the TTL before now (the server's clock).
func (s *Store) readLeases(now time.Time) (*liveSet, error) {
	type leaseObjs struct {
		alive    *object
		segments []object
	}
	byID := map[string]*leaseObjs{}
	var ids []string
	err := s.c.list(s.ctx, leasesDir, true, func(o object) bool {
		id, rest, ok := strings.Cut(strings.TrimPrefix(o.Name, leasesDir), "/")
		if !ok || id == "" || strings.Contains(rest, "/") {
			return true
		}
		if byID[id] == nil {
			byID[id] = &leaseObjs{}
			ids = append(ids, id)
		}
		if rest == aliveName {
			byID[id].alive = &o
		} else {
			byID[id].segments = append(byID[id].segments, o)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	own := ""
	s.lease.mu.Lock()
	if s.lease.hb != nil {
		own = s.lease.id
	}
	s.lease.mu.Unlock()
	lv := &liveSet{keys: map[string]bool{}, files: map[string]bool{}}
	fresh := func(o object) bool { return now.Sub(o.LastModified) <= s.opts.LeaseTTL }
	for _, id := range ids {
		l := byID[id]
		live := l.alive != nil && fresh(*l.alive)
		if l.alive == nil {
			for _, seg := range l.segments {
				live = live || fresh(seg)
			}
		}
		if !live {
			lv.dead = append(lv.dead, l.segments...)
			if l.alive != nil {
				lv.dead = append(lv.dead, *l.alive)
			}
			continue
		}
		if id != own {
			lv.leases++
		}
		for _, seg := range l.segments {
			b, _, err := s.c.getSmall(s.ctx, seg.Name)
			if errors.Is(err, errNotFound) {
				continue // released meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("read lease %s: %w", id, err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if k, ok := strings.CutPrefix(line, leaseKey); ok && validKey(k) {
					lv.keys[k] = true
				} else if f, ok := strings.CutPrefix(line, leaseFile); ok && validKey(f) {
					lv.files[f] = true
				}
			}
		}
	}
	return lv, nil
}

// GC removes what opts does not keep and no live lease protects: entries
// (their entry.json first, so that none is ever partly there), failure
// records and what they kept older than opts.KeepRecent, the files no
// remaining entry or record lists (those of removed entries, and any
// older than opts.KeepRecent), the multipart uploads of files no live
// lease names that were never completed (a publisher killed while it sent
// a large file's parts), and dead leases. Ages are Last-Modified
// times against the server's clock. Objects whose names the cache does
// not give are never touched. It holds the gc marker throughout (not in a
// dry run, which removes nothing): one gc at a time, and lookups wait for
// it (see the package documentation). The result lists each entry
// removed with its size (EntrySize), and each other object among
// Leftovers, named relative to the prefix: failure records, lists of kept
// outputs, the files of those lists, files no entry lists, and the objects
// of dead leases; a dry run lists the same. Freed counts the bytes of
// every object removed.
func (s *Store) GC(opts cache.GCOptions) (*cache.GCResult, error) {
	res, err := s.gc(opts)
	if err != nil {
		return nil, s.errorf(fmt.Errorf("gc: %w", err))
	}
	return res, nil
}

func (s *Store) gc(opts cache.GCOptions) (*cache.GCResult, error) {
	check := func() error { return nil }
	if !opts.DryRun {
		hb, err := s.takeMarker()
		if err != nil {
			return nil, err
		}
		defer s.dropMarker(hb)
		check = hb.check
	}
	now := s.c.clock.now()
	lv, err := s.readLeases(now)
	if err != nil {
		return nil, err
	}
	if s.gcHook != nil {
		s.gcHook()
	}
	if opts, err = opts.Resolve(); err != nil {
		return nil, err
	}
	entries, err := s.listEntries()
	if err != nil {
		return nil, err
	}
	records, kept, err := s.listFailures()
	if err != nil {
		return nil, err
	}
	res := &cache.GCResult{Leases: lv.leases}
	referenced := map[string]bool{} // files of what stays
	entryFiles := map[string]bool{} // files of the entries removed
	keptFiles := map[string]bool{}  // files of the kept outputs removed
	var doomed []string             // objects to delete, entries first
	// leftover dooms an object that is not an entry's, and reports it.
	leftover := func(o object, what string) {
		res.Leftovers = append(res.Leftovers, cache.Leftover{Name: o.Name, What: what, Size: o.Size})
		res.Freed += o.Size
		doomed = append(doomed, o.Name)
	}
	young := func(o object) bool { return now.Sub(o.LastModified) < opts.KeepRecent }
	for _, l := range entries {
		keep := (opts.Keep != nil && opts.Keep(l.Key)) || lv.keys[l.Key] || young(l.obj)
		for _, f := range filesOf(l.Entry) {
			if keep {
				referenced[f.SHA256] = true
			} else {
				entryFiles[f.SHA256] = true
			}
		}
		if keep {
			res.Kept++
			continue
		}
		res.Removed = append(res.Removed, cache.Removed{Listed: l.Listed, Size: s.EntrySize(l.Listed)})
		res.Freed += l.obj.Size
		doomed = append(doomed, l.obj.Name)
	}
	for _, group := range []struct {
		records []record
		what    string
	}{{records, "failure record"}, {kept, "list of a failed stage's kept outputs"}} {
		for _, r := range group.records {
			// A finished run's failure record (a diverged trial of a
			// sweep) is kept as on a folder: its collection needs it.
			if lv.keys[r.key] || young(r.obj) || (opts.Keep != nil && opts.Keep(r.key)) {
				for _, f := range filesOf(r.entry) {
					referenced[f.SHA256] = true
				}
				continue
			}
			for _, f := range filesOf(r.entry) {
				keptFiles[f.SHA256] = true
			}
			leftover(r.obj, group.what)
		}
	}
	err = s.c.list(s.ctx, "files/", true, func(o object) bool {
		parts := strings.Split(o.Name, "/")
		if len(parts) != 3 || !validKey(parts[2]) || parts[2][:2] != parts[1] {
			return true // not a name the cache gives
		}
		sum := parts[2]
		doomedFile := entryFiles[sum] || keptFiles[sum]
		switch {
		case referenced[sum] || lv.files[sum] || (!doomedFile && young(o)): // stays
		case entryFiles[sum]: // counted in the removed entry's size
			res.Freed += o.Size
			doomed = append(doomed, o.Name)
		case keptFiles[sum]:
			leftover(o, "file of a failed stage's kept outputs")
		default:
			leftover(o, "file no entry lists")
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// The parts of a large file a killed process sent, never completed:
	// stored, but no object, so the listing above does not see them.
	var aborted []upload
	err = s.c.uploads(s.ctx, "files/", func(u upload) bool {
		parts := strings.Split(u.Name, "/")
		if len(parts) != 3 || !validKey(parts[2]) || parts[2][:2] != parts[1] {
			return true // not a name the cache gives
		}
		if lv.files[parts[2]] || now.Sub(u.Initiated) < opts.KeepRecent {
			return true // under way, or may be
		}
		aborted = append(aborted, u)
		return true
	})
	if err != nil {
		return nil, err
	}
	for _, u := range aborted {
		size, err := s.c.uploadSize(s.ctx, u)
		if err != nil {
			return nil, err
		}
		res.Leftovers = append(res.Leftovers, cache.Leftover{Name: u.Name, What: "part-uploaded file", Size: size})
		res.Freed += size
	}
	for _, o := range lv.dead {
		leftover(o, "dead lease")
	}
	sort.Slice(res.Leftovers, func(i, j int) bool { return res.Leftovers[i].Name < res.Leftovers[j].Name })
	if opts.DryRun {
		return res, nil
	}
	for _, name := range doomed {
		if err := check(); err != nil {
			return nil, err
		}
		if err := s.c.remove(s.ctx, name); err != nil {
			return nil, err
		}
	}
	for _, u := range aborted {
		if err := check(); err != nil {
			return nil, err
		}
		if err := s.c.abort(s.ctx, u); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func filesOf(e *cache.Entry) []cache.File {
	if e == nil {
		return nil
	}
	return e.Files
}

// record is a failure record or a list of kept outputs.
type record struct {
	key   string
	obj   object
	entry *cache.Entry // the kept outputs' list; nil for a record
}

// listFailures lists the failure records and the lists of kept outputs,
// reading the latter.
func (s *Store) listFailures() (records, kept []record, err error) {
	err = s.c.list(s.ctx, "failures/", true, func(o object) bool {
		rest := strings.TrimPrefix(o.Name, "failures/")
		if key, ok := strings.CutSuffix(rest, ".json"); ok && validKey(key) {
			records = append(records, record{key: key, obj: o})
		} else if key, ok := strings.CutSuffix(rest, "/kept.json"); ok && validKey(key) {
			kept = append(kept, record{key: key, obj: o})
		}
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	for i := range kept {
		raw, _, err := s.c.getEntryJSON(s.ctx, kept[i].obj.Name)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		kept[i].entry, _ = cache.ParseEntry(raw, "")
	}
	return records, kept, nil
}

// takeMarker creates the gc marker and keeps it alive. A marker left by a
// gc whose heartbeat stopped more than the TTL ago is replaced; a live one
// means another gc runs.
func (s *Store) takeMarker() (*heartbeat, error) {
	host, _ := os.Hostname()
	// A random id makes the body, and so its ETag, this collection's alone: a restarted
	// container (pid 1, the same host name) must not take another's live marker for its own.
	nonce := make([]byte, 12)
	rand.Read(nonce)
	body := []byte(fmt.Sprintf("nnpipe cache gc: pid %d on %s, id %x\n", os.Getpid(), host, nonce))
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := s.c.putBytes(s.ctx, gcName, body, true)
		if err == nil {
			return startHeartbeat(s.ctx, s.opts.LeaseTTL, start, "the gc marker "+s.name(gcName), func(ctx context.Context) error {
				return s.c.putBytes(ctx, gcName, body, false)
			}), nil
		}
		if !errors.Is(err, errExists) {
			return nil, err
		}
		o, err := s.c.stat(s.ctx, gcName)
		if errors.Is(err, errNotFound) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if age := s.c.clock.now().Sub(o.LastModified); age <= s.opts.LeaseTTL || attempt >= 3 {
			return nil, fmt.Errorf("another gc is running on %s (its marker %s was written %v ago); try again when it is done",
				s.Dir(), s.name(gcName), age.Round(time.Second))
		}
		if err := s.replaceDamaged(gcName, o.ETag); err != nil {
			return nil, err
		}
	}
}

// dropMarker ends the marker's heartbeat and deletes it.
func (s *Store) dropMarker(hb *heartbeat) {
	hb.end()
	ctx, cancel := s.closeContext()
	defer cancel()
	s.c.remove(ctx, gcName)
}

// trimCopy brings the local copy within its bound when the whole folder
// is over it: it removes what processes that are gone left there (build
// folders, failure records) and the least recently used entries that no
// running process holds.
func (s *Store) trimCopy() error {
	if cache.DirSize(s.local.Dir()) <= s.opts.CopyBytes {
		return nil
	}
	listed, err := s.local.List()
	if err != nil {
		return err
	}
	type used struct {
		key  string
		size int64
		at   time.Time
	}
	var all []used
	for _, l := range listed {
		u := used{key: l.Key, size: cache.DirSize(l.Dir)}
		if fi, err := os.Stat(l.Dir); err == nil {
			u.at = fi.ModTime()
		}
		all = append(all, u)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].at.After(all[j].at) })
	keep := map[string]bool{}
	var kept int64
	for _, u := range all {
		if kept+u.size <= s.opts.CopyBytes {
			keep[u.key] = true
			kept += u.size
		}
	}
	_, err = s.local.GC(cache.GCOptions{Keep: func(key string) bool { return keep[key] }})
	return errors.Join(err, s.local.Close())
}
