package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// quarantineDir holds what the cache moved aside instead of deleting:
// damaged entries that held files their entry.json did not list.
const quarantineDir = "quarantine"

// GCOptions says what GC keeps besides what live leases protect.
type GCOptions struct {
	// Keep reports the keys to keep whatever their age, entries and
	// failure records alike, such as those that finished runs reference.
	// Nil keeps none.
	Keep func(key string) bool
	// KeepFrom, when set, returns Keep (replacing any given), and is
	// called once in GC's critical section, after the live leases are
	// read: references read then include those of a run that finished
	// and dropped its lease while gc listed the cache, which references
	// read before would miss, and neither would protect its entries. An
	// error stops gc before anything is removed.
	KeepFrom func() (func(key string) bool, error)
	// KeepRecent keeps entries created, and build folders and failure
	// records of processes that are gone modified, within this long.
	KeepRecent time.Duration
	// DryRun removes and moves nothing, and reports what GC would do.
	DryRun bool
}

// Resolve returns o with Keep set by KeepFrom, when set: what a gc calls
// once the live leases are read (see KeepFrom).
func (o GCOptions) Resolve() (GCOptions, error) {
	if o.KeepFrom == nil {
		return o, nil
	}
	keep, err := o.KeepFrom()
	if err != nil {
		return o, err
	}
	o.Keep, o.KeepFrom = keep, nil
	return o, nil
}

// Removed is an entry GC removed, or would remove in a dry run.
type Removed struct {
	Listed
	Size int64
}

// Quarantined is an entry GC moved to the quarantine folder instead of
// deleting it, because it held files its entry.json does not list.
type Quarantined struct {
	Key    string
	Path   string // where it is now; in a dry run, where it is
	Reason string // the first file that is not the entry's
}

// Leftover is what a process left that GC removed, or would remove in a
// dry run, besides entries: a failure record, a build folder or a trash
// folder of a process that is gone.
type Leftover struct {
	Name string // its path within the cache, slash-separated: failures/<key>.json, tmp/build-…
	What string // "failure record", "failed stage's kept outputs", "build folder" or "trash folder"
	Size int64
}

// GCResult reports what GC did.
type GCResult struct {
	Removed     []Removed     // sorted by key
	Quarantined []Quarantined // sorted by key
	Leftovers   []Leftover    // sorted by name
	Kept        int           // entries kept
	Freed       int64         // bytes of entries, build folders and failure records removed
	Leases      int           // live leases whose entries and folders were kept
}

// GC removes the entries that opts does not keep and that no live lease
// protects, the build and trash folders and failure records of processes
// that are gone (older than opts.KeepRecent), and the leases of those
// processes. Entries that hold files their entry.json does not list are
// moved to the quarantine folder instead, and nothing in the quarantine
// folder is ever removed. Reading the leases and moving what they do not
// protect out of the way happen under the cache-wide lock, held
// exclusively; deleting happens after it is released. A cache that does
// not exist is an error. GC stops, with the error of the context the Cache
// was opened with (OpenContext), at its next entry once that is done:
// whatever it moved aside by then stays in its trash folder for the next
// gc, and nothing is half-removed. So does what it moved aside before it
// failed to move something (another user's entry).
func (c *Cache) GC(opts GCOptions) (*GCResult, error) {
	res, err := c.gc(opts)
	if err != nil {
		return nil, fmt.Errorf("cache: gc: %w", err)
	}
	return res, nil
}

// doomed is something GC removes: where it is now, and for an entry its
// key and size.
type doomed struct {
	removed  *Removed
	leftover *Leftover // what it was, when not an entry
	path     string
	size     int64
	trash    bool // a trash folder of a process that died while discarding an entry
}

func (c *Cache) gc(opts GCOptions) (*GCResult, error) {
	ctx := c.context()
	if fi, err := os.Stat(c.dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", c.dir)
	}
	var trash string
	if !opts.DryRun {
		// Made (and recorded in this Cache's lease) before the lock is
		// taken: recording needs the lock shared.
		var err error
		if trash, err = c.tempDir(trashPrefix); err != nil {
			return nil, err
		}
		defer func() {
			// Interrupted, or failing before it has looked at what it
			// moved aside (an entry it may not move), gc leaves that in
			// its trash folder, which the next gc removes as that of a
			// process that is gone (looking into it for foreign files
			// first). Done, gc has emptied it.
			if trash != "" {
				os.Remove(trash)
			}
		}()
	}
	doomedItems, res, err := c.collect(ctx, opts, trash)
	if err != nil {
		return nil, err
	}
	// The lock is released: what was moved into the trash is no one's.
	for i := range doomedItems {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := &doomedItems[i]
		d.size = DirSize(d.path)
		if d.removed == nil {
			res.Freed += d.size
			continue
		}
		d.removed.Size = d.size
		key := d.removed.Key
		if reason := foreign(d.path); reason != "" {
			q := Quarantined{Key: key, Path: d.path, Reason: reason}
			if !opts.DryRun {
				if q.Path, err = c.quarantine(d.path, key); err != nil {
					trash = "" // keep what could not be moved; a later gc quarantines it
					return nil, err
				}
			}
			res.Quarantined = append(res.Quarantined, q)
			continue
		}
		res.Removed = append(res.Removed, *d.removed)
		res.Freed += d.size
	}
	if err := c.quarantineStaleTrash(doomedItems, opts.DryRun, res); err != nil {
		trash = ""
		return nil, err
	}
	for _, d := range doomedItems {
		if d.leftover != nil {
			d.leftover.Size = d.size // what quarantineStaleTrash left of a trash folder
			res.Leftovers = append(res.Leftovers, *d.leftover)
		}
	}
	if trash != "" {
		// Emptied one item at a time, so that an interrupt stops it.
		items, _ := os.ReadDir(trash)
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			removeTrash(filepath.Join(trash, it.Name()))
		}
	}
	sort.Slice(res.Removed, func(i, j int) bool { return res.Removed[i].Key < res.Removed[j].Key })
	sort.Slice(res.Quarantined, func(i, j int) bool { return res.Quarantined[i].Key < res.Quarantined[j].Key })
	sort.Slice(res.Leftovers, func(i, j int) bool { return res.Leftovers[i].Name < res.Leftovers[j].Name })
	return res, nil
}

// collect lists the entries and the leftovers old enough to go, then, in
// GC's critical section, under the exclusive cache-wide lock, reads the
// live leases and moves what they and opts do not keep into trash (in a
// dry run, only lists it). Listing before the lock is safe: what appears
// afterwards is not removed, and what a process starts using afterwards
// is in its lease by the time the lease is read.
func (c *Cache) collect(ctx context.Context, opts GCOptions, trash string) ([]doomed, *GCResult, error) {
	now := c.now()
	listed, err := c.List()
	if err != nil {
		return nil, nil, err
	}
	stale, err := c.staleFiles(opts.KeepRecent, now)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	// A dry run makes no lock file: without one, no process has used the
	// cache since leases exist, and a report needs no exclusion.
	lock, err := openLock(c.context(), c.dir, lockExclusive, !opts.DryRun)
	if err == nil {
		defer lock.Close()
	} else if !opts.DryRun || !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	lv, err := c.liveLeases(!opts.DryRun)
	if err != nil {
		return nil, nil, err
	}
	if c.leasesRead != nil {
		c.leasesRead()
	}
	if opts, err = opts.Resolve(); err != nil {
		return nil, nil, err
	}
	res := &GCResult{Leases: lv.leases}
	var out []doomed
	// moveAside moves path into the trash under a name of its own.
	moveAside := func(path, name string) (string, bool, error) {
		if opts.DryRun {
			return path, true, nil
		}
		dest := filepath.Join(trash, fmt.Sprintf("%d-%s", len(out), name))
		err := os.Rename(path, dest)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil // removed meanwhile by whoever found it damaged
		}
		return dest, err == nil, err
	}
	for _, l := range listed {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if (opts.Keep != nil && opts.Keep(l.Key)) || lv.keys[l.Key] ||
			(l.Entry != nil && now.Sub(l.Entry.Created) < opts.KeepRecent) {
			res.Kept++
			continue
		}
		path, ok, err := moveAside(l.Dir, l.Key)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out = append(out, doomed{removed: &Removed{Listed: l}, path: path})
		}
	}
	for _, s := range stale {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		name := filepath.Base(s.path)
		if lv.tmp[name] || lv.keys[s.key] || (s.key != "" && opts.Keep != nil && opts.Keep(s.key)) {
			continue
		}
		as := name
		if s.key != "" && !strings.HasSuffix(name, ".json") {
			// A failed stage's outputs, named by its key as an entry is
			// but without an entry.json: a gc reading this trash after an
			// interrupt must not take it for an entry with foreign files.
			as = keptPrefix + name
		}
		path, ok, err := moveAside(s.path, as)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			trashed := strings.HasPrefix(name, trashPrefix)
			left := &Leftover{Name: filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(s.path)), name)), What: "build folder"}
			switch {
			case s.key != "" && strings.HasSuffix(name, ".json"):
				left.What = "failure record"
			case s.key != "":
				left.What = "failed stage's kept outputs"
			case trashed:
				left.What = "trash folder"
			}
			out = append(out, doomed{path: path, leftover: left, trash: trashed})
		}
	}
	return out, res, nil
}

// keptPrefix starts the name under which gc moves a failed stage's outputs
// (failures/<key>/) into its trash folder, setting them apart from entries.
const keptPrefix = "failed-"

// leftover is a folder in tmp/ or a failure record that may be stale.
type leftover struct {
	path string
	key  string // of a failure record
}

// staleFiles lists the folders in tmp/ and the failure records in which
// nothing changed within keep, and the trash folders however recent. Names
// the cache does not give are left alone.
func (c *Cache) staleFiles(keep time.Duration, now time.Time) ([]leftover, error) {
	var out []leftover
	tmp := filepath.Join(c.dir, tmpDir)
	names, err := os.ReadDir(tmp)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, n := range names {
		path := filepath.Join(tmp, n.Name())
		// A trash folder holds nothing anyone may want back (its entries
		// are out of the cache already, and those with foreign files go
		// to the quarantine folder): however recent, it goes once its
		// process is gone, so that an interrupted gc's space comes back
		// with the next.
		if tempName(n.Name()) && (strings.HasPrefix(n.Name(), trashPrefix) || now.Sub(newest(path)) >= keep) {
			out = append(out, leftover{path: path})
		}
	}
	failures := filepath.Join(c.dir, failuresDir)
	names, err = os.ReadDir(failures)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, n := range names {
		key := strings.TrimSuffix(n.Name(), ".json")
		if !strings.HasPrefix(n.Name(), ".tmp-") && !validKey(key) {
			continue
		}
		path := filepath.Join(failures, n.Name())
		if now.Sub(newest(path)) >= keep {
			out = append(out, leftover{path: path, key: key})
		}
	}
	return out, nil
}

// quarantineStaleTrash looks into the trash folders of processes that
// died while discarding entries (a damaged entry, or a gc's doomed ones):
// an entry in them that holds files it did not list is moved to the
// quarantine folder before the trash folder is deleted.
func (c *Cache) quarantineStaleTrash(items []doomed, dryRun bool, res *GCResult) error {
	for i := range items {
		d := &items[i]
		if !d.trash {
			continue
		}
		if err := c.quarantineInTrash(d, d.path, dryRun, res); err != nil {
			return err
		}
	}
	return nil
}

// quarantineInTrash quarantines the entries with foreign files in folder,
// a trash folder within d, and in the trash folders a gc moved into it.
// An entry is a folder named by its key, or by "<n>-<key>" where a gc put
// it; a trash folder likewise.
func (c *Cache) quarantineInTrash(d *doomed, folder string, dryRun bool, res *GCResult) error {
	inside, err := os.ReadDir(folder)
	if err != nil {
		return nil
	}
	for _, e := range inside {
		if !e.IsDir() {
			continue
		}
		path, name := filepath.Join(folder, e.Name()), trashedName(e.Name())
		if strings.HasPrefix(name, trashPrefix) {
			if err := c.quarantineInTrash(d, path, dryRun, res); err != nil {
				return err
			}
			continue
		}
		if !validKey(name) {
			continue
		}
		reason := foreign(path)
		if reason == "" {
			continue
		}
		q := Quarantined{Key: name, Path: path, Reason: reason}
		size := DirSize(path)
		res.Freed -= size
		d.size -= size
		if !dryRun {
			if q.Path, err = c.quarantine(path, name); err != nil {
				return err
			}
		}
		res.Quarantined = append(res.Quarantined, q)
	}
	return nil
}

// trashedName is the name a gc moved something into its trash folder
// under ("<n>-<name>", see collect) without its number.
func trashedName(s string) string {
	i := strings.IndexByte(s, '-')
	if i <= 0 {
		return s
	}
	for _, r := range s[:i] {
		if r < '0' || r > '9' {
			return s
		}
	}
	return s[i+1:]
}

// quarantine moves path, an entry of key that holds files it did not
// make, to <dir>/quarantine/<12 hex of key>-<random>/<key>, and returns
// the new path.
func (c *Cache) quarantine(path, key string) (string, error) {
	parent := filepath.Join(c.dir, quarantineDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("quarantine: %w", err)
	}
	// Mode 0755 less the umask, as every folder of the cache (not
	// os.MkdirTemp's 0700): whoever put the files there, sharing the
	// cache, can still reach them.
	var dir string
	for {
		dir = filepath.Join(parent, short(key)+"-"+randomSuffix())
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("quarantine: %w", err)
		}
	}
	dest := filepath.Join(dir, key)
	if err := os.Rename(path, dest); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("quarantine: %w", err)
	}
	return dest, nil
}

// foreign returns "" when everything in the entry folder dir is something
// its entry.json made: folders, entry.json, and regular files entry.json
// lists. Otherwise it says what is not (the first such path). An entry
// whose entry.json cannot be read lists nothing, so any file in it but
// entry.json is foreign; a path that is not a folder is foreign.
func foreign(dir string) string {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		return err.Error()
	}
	if !fi.IsDir() {
		return "the entry is not a folder"
	}
	listed := map[string]bool{}
	if e, err := readEntry(dir); err == nil {
		for _, f := range e.Files {
			listed[f.Name] = true
		}
	}
	var found string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.Type().IsRegular() && (rel == EntryFile || listed[rel]) {
			return nil
		}
		found = fmt.Sprintf("it holds %s, which its entry.json does not list", rel)
		return fs.SkipAll
	})
	if err != nil {
		return err.Error()
	}
	return found
}

// QuarantineDir returns the folder where damaged entries that held files
// they did not list are kept.
func (c *Cache) QuarantineDir() string { return filepath.Join(c.dir, quarantineDir) }

// TopLevel reports whether name is one the cache makes directly in its
// folder. A folder holding anything else is not a cache.
func TopLevel(name string) bool {
	switch name {
	case versionDir, tmpDir, failuresDir, leasesDir, lockName, quarantineDir:
		return true
	}
	return false
}

// CheckLayout reports a cache folder on which lookups cannot work: dir, or
// a folder that lookups read in it (v1, which holds the entries, and
// failures, the failure records), exists but is not a folder. Every lookup
// would silently miss there, so a sweep would count every trial as not
// finished. A cache, or a folder of it, that does not exist yet is fine;
// one that cannot be looked at is left to the lookups, which report it,
// and the folders only writes use (tmp, leases) fail loudly by themselves.
// A dir that is not a folder, or that a file on its path keeps from being
// made, is what the user named: a *NotCacheError. It writes nothing.
func CheckLayout(dir string) error {
	for _, name := range []string{"", versionDir, failuresDir} {
		fi, err := os.Stat(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist) && name == "":
			return nil
		case err != nil && name == "":
			if nc := blocked(dir, err); nc != nil {
				return nc
			}
			return fmt.Errorf("cache: %w", err)
		case err != nil:
		case !fi.IsDir() && name == "":
			return &NotCacheError{Dir: dir, Why: "is not a directory"}
		case !fi.IsDir():
			return fmt.Errorf("cache %s: %s is not a directory", dir, name)
		}
	}
	return nil
}

// CheckUse reports a cache folder that a run may not write into: what
// CheckLayout reports, and a folder that exists and holds what the cache
// does not make (a mistyped path naming someone's folder), a
// *NotCacheError — the cache's folders mixed with its files could never
// be collected. A folder that does not exist yet is fine. It writes
// nothing.
func CheckUse(dir string) error {
	if err := CheckLayout(dir); err != nil {
		return err
	}
	var nc *NotCacheError
	if err := CheckFolder(dir); errors.As(err, &nc) && !nc.Missing {
		return err
	}
	return nil
}

// NotCacheError reports a folder that is no cache: missing, not a folder,
// or holding what the cache does not make.
type NotCacheError struct {
	Dir     string
	Missing bool   // it does not exist
	Why     string // "does not exist", "is not a directory", …
}

// Error names the folder and says why it is no cache (e.Why).
func (e *NotCacheError) Error() string { return "cache " + e.Dir + " " + e.Why }

// blocked is the *NotCacheError of a folder dir that err, from a stat of
// it, says cannot exist because something on its path is a file (ENOTDIR),
// naming that file; nil for any other error.
func blocked(dir string, err error) *NotCacheError {
	if !errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if p, _ := FileOnPath(dir); p != "" {
		return &NotCacheError{Dir: dir, Why: "cannot be a folder: " + p + " is not a directory"}
	}
	return &NotCacheError{Dir: dir, Why: "cannot be a folder: a file stands on its path"}
}

// FileOnPath returns the nearest of path and the folders above it that
// exists, when it is not a folder, or "" when it is one (or nothing on
// the path exists): the file that keeps a folder at path from being made.
func FileOnPath(path string) (string, error) {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return p, nil
			}
			return "", nil
		}
		// ENOTDIR: a file stands higher up, which the next turns find.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		if filepath.Dir(p) == p {
			return "", nil
		}
	}
}

// Enclosing returns the nearest folder above path that is a file cache —
// it holds the entries' folder (v1) and the cache-wide lock file, as every
// cache that has held an entry does — or "". A file written there would
// replace an entry's file or sit among what the cache makes, which the
// cache then reports as not its own.
func Enclosing(path string) string {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		v, verr := os.Stat(filepath.Join(dir, versionDir))
		l, lerr := os.Stat(filepath.Join(dir, lockName))
		if verr == nil && v.IsDir() && lerr == nil && l.Mode().IsRegular() {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// CheckFolder reports whether dir is a cache folder that verifying,
// sizing or collecting garbage may work on: it exists, is a folder, and
// holds only what the cache makes (TopLevel), so that a mistyped path is
// neither reported as an empty cache nor emptied of someone's files. Such
// problems are a *NotCacheError; other errors are the file system's.
func CheckFolder(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &NotCacheError{Dir: dir, Missing: true, Why: "does not exist"}
	case err != nil:
		if nc := blocked(dir, err); nc != nil {
			return nc
		}
		return fmt.Errorf("cache %s: %w", dir, err)
	case !fi.IsDir():
		return &NotCacheError{Dir: dir, Why: "is not a directory"}
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cache %s: %w", dir, err)
	}
	for _, n := range names {
		if !TopLevel(n.Name()) {
			return &NotCacheError{Dir: dir, Why: fmt.Sprintf("holds %q, which nnpipe does not make: it is not a cache folder", n.Name())}
		}
	}
	return nil
}
