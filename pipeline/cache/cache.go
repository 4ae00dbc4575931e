package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Layout names: the format version folder, the temporary folder and the
// index file of an entry.
const (
	versionDir = "v1"
	tmpDir     = "tmp"
	EntryFile  = "entry.json"
	format     = 1
)

// maxPublishAttempts bounds Publish's retries when other processes publish
// or repair the same key at once.
const maxPublishAttempts = 8

// ErrMiss reports that no entry exists for a key.
var ErrMiss = errors.New("not in the cache")

// DamagedError reports an entry that exists but does not verify.
type DamagedError struct {
	Key    string
	Reason string
}

// Error names the entry by the start of its key and says why it does not verify.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("cache entry %s is damaged: %s", short(e.Key), e.Reason)
}

// File describes one file of an entry.
type File struct {
	Name   string `json:"name"` // slash-separated path relative to the entry
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Entry is a verified cache entry.
type Entry struct {
	Key     string          `json:"key"`
	Format  int             `json:"format"`
	Created time.Time       `json:"created"`
	Files   []File          `json:"files"` // sorted by name
	Meta    json.RawMessage `json:"meta,omitempty"`
	Dir     string          `json:"-"` // where the entry lives
	// Location is where the entry is stored when that is not Dir: an S3
	// store's entry (s3://BUCKET/PREFIX/v1/<2 hex>/<key>), whose files Dir
	// holds in the local copy. Removing the entry means removing it there.
	Location string `json:"-"`

	// Quarantined is set by Publish when it replaced a damaged entry
	// that held files its entry.json did not list: where they were moved.
	Quarantined string `json:"-"`
}

// File returns the description of the named file, if the entry has it.
func (e *Entry) File(name string) (File, bool) {
	for _, f := range e.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// Cache is a cache rooted at a directory. Its methods are safe for use by
// several goroutines and several processes at once.
type Cache struct {
	dir string
	now func() time.Time
	ctx context.Context // ends waits for the cache-wide lock (OpenContext)

	mu      sync.Mutex
	lease   *lease // taken on first use, released by Close
	noLease bool   // the cache is on a read-only file system

	// leasesRead, when set (by tests), is called by GC between reading
	// the leases and removing what they do not protect.
	leasesRead func()
	// entryRead, when set (by tests), is called by Get between reading an
	// entry's entry.json and verifying its files.
	entryRead func(dir string)
	// keptSwapped, when set (by tests), is called by KeepFailed once the
	// newer outputs are in place, before it deletes the older ones.
	keptSwapped func()
}

// Open returns the cache rooted at dir. It creates nothing: the folders are
// made on the first Publish.
func Open(dir string) *Cache {
	return OpenContext(context.Background(), dir)
}

// OpenContext is Open for a cache whose waits for the cache-wide lock —
// while gc holds it, which may take seconds on a large cache — end when
// ctx is done, with ctx's error: an interrupted process does not wait
// for another to finish.
func OpenContext(ctx context.Context, dir string) *Cache {
	return &Cache{dir: dir, now: time.Now, ctx: ctx}
}

// context is what ends the cache's waits for its lock (OpenContext).
func (c *Cache) context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// Dir returns the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Key returns the key of a preimage: the hex SHA-256 of its bytes.
func Key(preimage string) string {
	sum := sha256.Sum256([]byte(preimage))
	return hex.EncodeToString(sum[:])
}

func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && strings.ToLower(key) == key
}

// Path returns the directory an entry for key lives in.
func (c *Cache) Path(key string) string {
	if !validKey(key) {
		return filepath.Join(c.dir, versionDir, "invalid-key")
	}
	return filepath.Join(c.dir, versionDir, key[:2], key)
}

// Use is Get for a caller that goes on to read the entry's files: before
// looking, it records key in this Cache's lease, so that gc leaves the
// entry alone until Close (see the package documentation). A miss records
// nothing. The entry itself is never written.
func (c *Cache) Use(key string) (*Entry, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("cache: invalid key %q", key)
	}
	if _, err := os.Lstat(c.Path(key)); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, ErrMiss // nothing to protect; a later Publish records the key
	}
	if err := c.hold(leaseKey + key); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return c.Get(key)
}

// Get returns the entry for key after verifying every file's size and
// digest. It returns ErrMiss when there is none, or when the folder it
// reads is moved away or replaced while it reads (gc, or a run replacing a
// damaged entry), and a *DamagedError when the entry does not verify. It never writes, and protects nothing from
// gc: callers that copy the entry's files use Use.
func (c *Cache) Get(key string) (*Entry, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("cache: invalid key %q", key)
	}
	dir := c.Path(key)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return nil, ErrMiss // ENOTDIR: a file stands where a cache folder should; Publish will say so
	case err != nil:
		return nil, fmt.Errorf("cache: %w", err)
	case !fi.IsDir():
		return nil, &DamagedError{Key: key, Reason: "the entry is a file, not a folder"}
	}
	// What is found wrong is the entry's damage only while the folder read
	// is still the entry: gc may move it away meanwhile, or a run replace
	// a damaged one, and a file then missing is a miss, not damage.
	damaged := func(reason string) error {
		if now, err := os.Stat(dir); err != nil || !os.SameFile(fi, now) {
			return ErrMiss
		}
		return &DamagedError{Key: key, Reason: reason}
	}
	e, err := readEntry(dir)
	if err != nil {
		return nil, damaged(err.Error())
	}
	if e.Key != key {
		return nil, damaged(fmt.Sprintf("entry.json names key %s", short(e.Key)))
	}
	if c.entryRead != nil {
		c.entryRead(dir)
	}
	if err := verifyFiles(dir, e.Files); err != nil {
		return nil, damaged(err.Error())
	}
	return e, nil
}

// MaxEntryJSON bounds the size of an entry.json that readEntry accepts.
const MaxEntryJSON = 1 << 20

// ReadEntry parses dir's entry.json without verifying the files (see Get).
func readEntry(dir string) (*Entry, error) {
	f, err := openRegular(filepath.Join(dir, EntryFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("entry.json is missing")
		}
		return nil, fmt.Errorf("read entry.json: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxEntryJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read entry.json: %w", err)
	}
	return ParseEntry(src, dir)
}

// ParseEntry decodes the bytes of an entry.json found in dir, strictly:
// unknown fields, a wrong format version, file names that escape the entry,
// a name listed both as a file and as a folder, and malformed digests are
// errors.
func ParseEntry(src []byte, dir string) (*Entry, error) {
	if len(src) > MaxEntryJSON {
		return nil, errors.New("entry.json is too large")
	}
	dec := json.NewDecoder(strings.NewReader(string(src)))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("entry.json is not valid: %v", err)
	}
	if dec.More() {
		return nil, errors.New("entry.json has trailing data")
	}
	if e.Format != format {
		return nil, fmt.Errorf("entry.json has format %d, want %d", e.Format, format)
	}
	for i, f := range e.Files {
		if !fs.ValidPath(f.Name) || f.Name == "." || f.Name == EntryFile || f.Size < 0 || !validKey(f.SHA256) {
			return nil, fmt.Errorf("entry.json lists an invalid file %q", f.Name)
		}
		if i > 0 && e.Files[i-1].Name >= f.Name {
			return nil, errors.New("entry.json lists files out of order")
		}
	}
	// A name that is also the folder of another ("a" and "a/b") cannot be both.
	names := make(map[string]bool, len(e.Files))
	for _, f := range e.Files {
		names[f.Name] = true
	}
	for _, f := range e.Files {
		for i := range len(f.Name) {
			if f.Name[i] == '/' && names[f.Name[:i]] {
				return nil, fmt.Errorf("entry.json lists %q both as a file and as the folder of %q", f.Name[:i], f.Name)
			}
		}
	}
	e.Dir = dir
	return &e, nil
}

func verifyFiles(dir string, want []File) error {
	have, err := listFiles(dir)
	if err != nil {
		return err
	}
	if len(have) != len(want) {
		return fmt.Errorf("has %d files, entry.json lists %d", len(have), len(want))
	}
	for i, f := range want {
		if have[i] != f.Name {
			return fmt.Errorf("file %s is missing", f.Name)
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		// A file of another size is found without reading it.
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() != f.Size {
			return fmt.Errorf("file %s has %d bytes, want %d", f.Name, fi.Size(), f.Size)
		}
		size, sum, err := digestFile(path)
		if err != nil {
			return err
		}
		if size != f.Size {
			return fmt.Errorf("file %s has %d bytes, want %d", f.Name, size, f.Size)
		}
		if sum != f.SHA256 {
			return fmt.Errorf("file %s does not match its digest", f.Name)
		}
	}
	return nil
}

// listFiles returns the regular files under dir, except entry.json, as
// sorted slash-separated relative paths. Anything that is not a regular
// file or a directory is an error.
func listFiles(dir string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", rel)
		case rel == EntryFile:
			return nil
		}
		names = append(names, rel)
		return nil
	})
	sort.Strings(names)
	return names, err
}

// DigestFile returns the size and hex SHA-256 of a file's contents.
func DigestFile(path string) (int64, string, error) { return digestFile(path) }

// digestBuffer is the most digestFile reads at a time.
const digestBuffer = 32 << 10

func digestFile(path string) (int64, string, error) {
	f, err := openRegular(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	// A buffer the size of the file, up to 32 KiB: the cache's files are
	// mostly far smaller than the 32 KiB io.Copy would allocate for each.
	size := int64(digestBuffer)
	if st, err := f.Stat(); err == nil {
		size = min(size, max(st.Size()+1, 512))
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, size)) // the struct hides File.WriteTo, which ignores the buffer
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// TempDir makes a new directory in the cache's temporary folder, for a
// computation's outputs before Publish. Its name is recorded in this
// Cache's lease first, so gc leaves it alone until Close however long the
// computation takes. The caller removes it if it does not publish it.
func (c *Cache) TempDir() (string, error) {
	dir, err := c.tempDir(buildPrefix)
	if err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	return dir, nil
}

// maxTempAttempts bounds tempDir's retries when another process removes
// the empty temporary folder at the moment it is used. Every retry follows
// a removal of that folder by another run, one per failed stage, so the
// retries are bounded by the others' work, not by how the scheduler
// interleaves them: on a loaded machine one maker can lose the race many
// times in a row (100 retries were seen to run out). The bound is only
// against a file system that never keeps the folder.
const maxTempAttempts = 1 << 16

func (c *Cache) tempDir(prefix string) (string, error) {
	name := prefix + randomSuffix()
	if err := c.hold(leaseTmp + name); err != nil {
		return "", err
	}
	parent := filepath.Join(c.dir, tmpDir)
	dir := filepath.Join(parent, name)
	for attempt := 0; ; attempt++ {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			// MkdirAll fails with "file exists" when another process
			// makes the folder and a failed run removes it again between
			// its mkdir and its look at what is there.
			if errors.Is(err, fs.ErrExist) && attempt < maxTempAttempts {
				continue
			}
			return "", err
		}
		err := os.Mkdir(dir, 0o755) // less the umask, as every folder of the cache: others read the entry it becomes
		if errors.Is(err, fs.ErrNotExist) && attempt < maxTempAttempts {
			continue // a failed run of another process removed the empty tmp folder
		}
		if err != nil {
			return "", err
		}
		return dir, nil
	}
}

// Publish makes the files in dir (made by TempDir) the entry for key, with
// meta stored in entry.json. It digests every file, writes entry.json
// last, and renames dir into place. It does not fsync: a process killed at
// any moment leaves either no entry or a whole one, and an entry torn by a
// machine crash fails the digest check of the next Get and is recomputed,
// so durability is not worth ~7 ms per file. If an entry for key already
// exists and verifies, dir is removed and the existing entry returned; a
// damaged one is replaced: removed when it holds only files its entry.json
// lists, moved to the quarantine folder otherwise (see Entry.Quarantined).
// The key is recorded in this Cache's lease before the entry appears. On
// error dir is removed.
func (c *Cache) Publish(key, dir string, meta any) (*Entry, error) {
	e, err := c.publish(key, dir, meta)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cache: publish %s: %w", short(key), err)
	}
	return e, nil
}

func (c *Cache) publish(key, dir string, meta any) (*Entry, error) {
	e, err := NewEntry(key, dir, meta, c.now())
	if err != nil {
		return nil, err
	}
	return c.publishEntry(e, dir)
}

// NewEntry describes the files in dir (every regular file but
// entry.json, digested) as the entry for key created at created, with
// meta as its metadata. It writes nothing.
func NewEntry(key, dir string, meta any, created time.Time) (*Entry, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("invalid key %q", key)
	}
	names, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	e := &Entry{Key: key, Format: format, Created: created.UTC().Truncate(time.Second)}
	for _, name := range names {
		if !utf8.ValidString(name) {
			return nil, fmt.Errorf("file name %q is not valid UTF-8", name)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		size, sum, err := digestFile(path)
		if err != nil {
			return nil, err
		}
		e.Files = append(e.Files, File{Name: name, Size: size, SHA256: sum})
	}
	if meta != nil {
		if e.Meta, err = json.Marshal(meta); err != nil {
			return nil, fmt.Errorf("encode metadata: %w", err)
		}
	}
	return e, nil
}

// JSON returns the entry as its entry.json holds it.
func (e *Entry) JSON() ([]byte, error) {
	buf, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(buf, '\n'), nil
}

// PublishEntry is Publish for an entry already described (NewEntry) whose
// files are in dir: it writes e as entry.json and renames dir into place,
// with the same guarantees. e.Key is the key.
func (c *Cache) PublishEntry(e *Entry, dir string) (*Entry, error) {
	got, err := c.publishEntry(e, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cache: publish %s: %w", short(e.Key), err)
	}
	return got, nil
}

func (c *Cache) publishEntry(described *Entry, dir string) (*Entry, error) {
	e := *described // Dir and Quarantined are set on the copy returned
	key := e.Key
	if !validKey(key) {
		return nil, fmt.Errorf("invalid key %q", key)
	}
	buf, err := e.JSON()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, EntryFile), buf, 0o644); err != nil {
		return nil, err
	}
	if err := c.hold(leaseKey + key); err != nil {
		return nil, err
	}
	final := c.Path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	// Another process may publish, or discard a damaged entry, at the same
	// moment: retry a few times, keeping any entry that verifies.
	for attempt := 0; ; attempt++ {
		err := os.Rename(dir, final)
		if err == nil {
			break
		}
		if existing, getErr := c.Get(key); getErr == nil {
			os.RemoveAll(dir)
			return existing, nil
		} else if errors.Is(getErr, ErrMiss) && attempt < maxPublishAttempts {
			continue // it was just discarded: the name is free again
		}
		if attempt >= maxPublishAttempts {
			return nil, fmt.Errorf("replace damaged entry: %w", err)
		}
		q, err := c.discard(final, key)
		if err != nil {
			return nil, err
		}
		if q != "" {
			e.Quarantined = q
		}
	}
	e.Dir = final
	return &e, nil
}

// discard moves a damaged entry out of the way by one rename, so that its
// name is freed at once, then deletes it if everything in it is a file its
// entry.json lists, and otherwise moves it to the quarantine folder and
// returns where: nnpipe never deletes a file it did not make.
func (c *Cache) discard(entryDir, key string) (quarantined string, err error) {
	if _, err := os.Lstat(entryDir); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	trash, err := c.tempDir(trashPrefix)
	if err != nil {
		return "", err
	}
	aside := filepath.Join(trash, key)
	if err := os.Rename(entryDir, aside); err != nil {
		os.Remove(trash)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	if foreign(aside) != "" {
		if quarantined, err = c.quarantine(aside, key); err != nil {
			// Left in the trash folder, which gc quarantines in turn.
			return "", err
		}
	}
	return quarantined, removeTrash(trash)
}

// removeAside deletes path (a folder or file the cache made) after
// renaming it into a trash folder, so that its name is freed at once.
func (c *Cache) removeAside(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	trash, err := c.tempDir(trashPrefix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(trash)
	if err := os.Rename(path, filepath.Join(trash, "x")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func short(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}

// failuresDir holds records of computations that failed, by key.
const failuresDir = "failures"

// RecordFailure stores rec (JSON) as the record of a failed computation of
// key, atomically, replacing an earlier one. Sweeps use it so that a
// collecting process can tell a failed trial from one not yet run.
func (c *Cache) RecordFailure(key string, rec any) error {
	if !validKey(key) {
		return fmt.Errorf("cache: invalid key %q", key)
	}
	if err := c.hold(leaseKey + key); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.dir, failuresDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	// Mode 0644 less the umask, as the entries' files: others who share
	// the cache read the record (os.CreateTemp's 0600 would keep them out).
	tmp, err := os.OpenFile(filepath.Join(dir, ".tmp-"+randomSuffix()), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), filepath.Join(dir, key+".json"))
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: record failure: %w", werr)
	}
	return nil
}

// Failure returns the failure record of key, if there is one.
func (c *Cache) Failure(key string) ([]byte, bool) {
	if !validKey(key) {
		return nil, false
	}
	f, err := openRegular(filepath.Join(c.dir, failuresDir, key+".json"))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFailure))
	return b, err == nil
}

// maxFailure bounds what Failure reads of a failure record.
const maxFailure = 1 << 20

// openRegular opens path for reading if it is a regular file. It opens
// without blocking (openNoBlock) and checks the file opened, so that a
// named pipe put where the cache keeps a file is refused, not waited on.
func openRegular(path string) (*os.File, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file but %s", filepath.Base(path), FileKind(st.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ClearFailure removes the failure record of key, once it has succeeded.
func (c *Cache) ClearFailure(key string) {
	if validKey(key) {
		os.Remove(filepath.Join(c.dir, failuresDir, key+".json"))
	}
}

// KeepFailed moves dir, the outputs a failed computation of key wrote so
// far, to the failure records (replacing older ones), where FailedDir
// finds them. A diverged training keeps its history this way. The key is
// recorded in this Cache's lease, so gc leaves the outputs alone until
// Close.
func (c *Cache) KeepFailed(key, dir string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("cache: invalid key %q", key)
	}
	if err := c.hold(leaseKey + key); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	dest := filepath.Join(c.dir, failuresDir, key)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(dir, dest); err == nil {
		return dest, nil
	}
	// Older outputs are in the way. Swapped with them in one step, the
	// failure record never stands without outputs beside it: a process
	// killed in between would otherwise leave a failed stage whose kept
	// outputs (a diverged training's history) are gone.
	swapped, err := Exchange(dir, dest)
	if err != nil {
		return "", fmt.Errorf("cache: keep failed outputs: %w", err)
	}
	if swapped {
		if c.keptSwapped != nil {
			c.keptSwapped()
		}
		// The older outputs, now in dir: a build folder of this
		// process, which gc removes if it is killed, or fails, before
		// it does; the newer ones are kept either way.
		removeTrash(dir)
		return dest, nil
	}
	if err := c.removeAside(dest); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(dir, dest); err != nil {
		return "", fmt.Errorf("cache: keep failed outputs: %w", err)
	}
	return dest, nil
}

// FailedDir returns the outputs kept for a failed computation of key. When
// there are some, it records key in this Cache's lease first, so that gc
// leaves them alone while the caller copies them.
func (c *Cache) FailedDir(key string) (string, bool) {
	if !validKey(key) {
		return "", false
	}
	dir := filepath.Join(c.dir, failuresDir, key)
	if _, err := os.Lstat(dir); err != nil || c.hold(leaseKey+key) != nil {
		return "", false
	}
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
}

// FileKind names the kind of a file of mode m as a message does: "a file",
// "a directory", "a symbolic link", "a named pipe", "a socket", "a device"
// or "a special file".
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
