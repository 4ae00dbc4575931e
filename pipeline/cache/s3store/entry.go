package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// maxPublishAttempts bounds Publish's retries when other processes publish
// or replace the same key at once.
const maxPublishAttempts = 8

// Use returns the verified entry for key, its files in the local copy,
// after recording key in this process's lease so that gc leaves the entry
// alone until Close. A miss records nothing.
func (s *Store) Use(key string) (*cache.Entry, error) {
	e, err := s.lookup(key, true)
	return e, s.errorf(err)
}

// Get is Use without recording key: nothing protects the entry from gc.
func (s *Store) Get(key string) (*cache.Entry, error) {
	e, err := s.lookup(key, false)
	return e, s.errorf(err)
}

func (s *Store) lookup(key string, protect bool) (*cache.Entry, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("invalid key %q", key)
	}
	raw, etag, err := s.readEntry(key)
	if err != nil {
		return nil, err
	}
	if protect {
		if err := s.lease.hold(leaseKey + key); err != nil {
			return nil, err
		}
		// Read again: a gc may have run while the key was recorded.
		if raw, etag, err = s.readEntry(key); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		e, err := s.parseEntry(key, raw)
		if err != nil {
			return nil, err
		}
		got, err := s.copyOf(e, raw)
		if err != nil {
			if raw, etag, err = s.afterMissingFile(key, etag, err, attempt); err != nil {
				return nil, err
			}
			continue // replaced meanwhile: read the new version
		}
		if protect {
			if err := s.lease.check(); err != nil {
				return nil, err
			}
		}
		return got, nil
	}
}

// readEntry reads key's entry.json, with its ETag: cache.ErrMiss when
// there is none.
func (s *Store) readEntry(key string) ([]byte, string, error) {
	raw, o, err := s.c.getEntryJSON(s.ctx, entryName(key))
	if errors.Is(err, errNotFound) {
		return nil, "", cache.ErrMiss
	}
	return raw, o.ETag, err
}

// afterMissingFile sorts out err, which reading the files of key's entry
// returned, its entry.json having had the ETag etag. A file missing from
// the bucket makes the entry damaged only if that entry.json is still
// there: a gc removes an entry's entry.json before its files, so a
// lookup or verify that read it just before finds files gone. When
// entry.json is gone the entry is a miss (cache.ErrMiss), as when gc
// removed it before it was read; when it was replaced (another ETag), the
// new version is returned to be read instead, up to maxPublishAttempts
// times. Any other error is returned as it is.
func (s *Store) afterMissingFile(key, etag string, err error, attempt int) ([]byte, string, error) {
	var missing *missingFileError
	if !errors.As(err, &missing) {
		return nil, "", err
	}
	o, serr := s.c.stat(s.ctx, entryName(key))
	switch {
	case errors.Is(serr, errNotFound):
		return nil, "", cache.ErrMiss
	case serr != nil:
		return nil, "", fmt.Errorf("look at entry.json again after file %s was missing: %w", missing.file, serr)
	case o.ETag == etag || attempt >= maxPublishAttempts:
		return nil, "", missing.damaged
	}
	return s.readEntry(key)
}

// missingFileError is a file of an entry that is not in the bucket: the
// entry is damaged (the error it wraps) unless its entry.json changed
// meanwhile (see afterMissingFile).
type missingFileError struct {
	file    string
	damaged *cache.DamagedError
}

func (e *missingFileError) Error() string { return e.damaged.Error() }

// Unwrap returns the *cache.DamagedError the missing file makes.
func (e *missingFileError) Unwrap() error { return e.damaged }

// getEntryJSON reads an entry.json, or a list of kept outputs, up to one
// byte past cache.MaxEntryJSON: enough for cache.ParseEntry to find a
// larger one damaged, as the file cache does, rather than fail every
// lookup, verify and gc. Its object (ETag, whole size) lets it be replaced
// or removed.
func (c *client) getEntryJSON(ctx context.Context, name string) ([]byte, object, error) {
	return c.getUpTo(ctx, name, cache.MaxEntryJSON+1)
}

// parseEntry parses key's entry.json as the file cache does; a damaged
// one is a *cache.DamagedError.
func (s *Store) parseEntry(key string, raw []byte) (*cache.Entry, error) {
	e, err := cache.ParseEntry(raw, s.entryLocation(key))
	if err != nil {
		return nil, &cache.DamagedError{Key: key, Reason: err.Error()}
	}
	if e.Key != key {
		return nil, &cache.DamagedError{Key: key, Reason: "entry.json names another key"}
	}
	return e, nil
}

// copyKey names the local copy of an entry: the SHA-256 of the entry.json
// it copies, so that a copy of another version is never taken for it.
func copyKey(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// copyOf returns e (read as raw) with its files in the local copy: the
// copy when it has them and verifies, or else downloaded and verified.
func (s *Store) copyOf(e *cache.Entry, raw []byte) (*cache.Entry, error) {
	ck := copyKey(raw)
	if local, err := s.local.Use(ck); err == nil && sameFiles(local.Files, e.Files) {
		now := time.Now()
		os.Chtimes(local.Dir, now, now) // most recently used: trimmed last
		return s.located(e, local.Dir), nil
	}
	tmp, err := s.local.TempDir()
	if err != nil {
		return nil, err
	}
	if err := s.download(e, tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return s.keepCopy(e, ck, tmp)
}

// keepCopy publishes dir, which holds e's files, as the local copy ck.
func (s *Store) keepCopy(e *cache.Entry, ck, dir string) (*cache.Entry, error) {
	local, err := s.local.PublishEntry(&cache.Entry{Key: ck, Format: e.Format, Created: time.Now().UTC().Truncate(time.Second), Files: e.Files}, dir)
	if err != nil {
		return nil, fmt.Errorf("local copy: %w", err)
	}
	if !sameFiles(local.Files, e.Files) {
		return nil, fmt.Errorf("local copy %s does not hold the files of entry %s", local.Dir, e.Key[:12])
	}
	return s.located(e, local.Dir), nil
}

// located is e with its files in dir, and its Location in the bucket.
func (s *Store) located(e *cache.Entry, dir string) *cache.Entry {
	out := *e
	out.Dir = dir
	out.Location = s.entryLocation(e.Key)
	return &out
}

// entryLocation names key's entry in the bucket, as List gives its Dir.
func (s *Store) entryLocation(key string) string { return s.name("v1/" + key[:2] + "/" + key) }

func sameFiles(a, b []cache.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// download writes e's files into dir, checking each one's size and digest
// as it streams; a file that is missing or does not match makes the entry
// a *cache.DamagedError.
func (s *Store) download(e *cache.Entry, dir string) error {
	for _, f := range e.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		err = s.fetch(e.Key, f, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fetch streams the content of f, a file of key's entry, into w, and
// checks its size and digest.
func (s *Store) fetch(key string, f cache.File, w io.Writer) error {
	h := sha256.New()
	// One byte more than listed tells a longer object without reading it
	// all: a damaged object cannot fill the disk.
	n, err := s.c.get(s.ctx, fileName(f.SHA256), io.MultiWriter(w, h), f.Size+1)
	if errors.Is(err, errNotFound) {
		return &missingFileError{file: f.Name, damaged: &cache.DamagedError{Key: key, Reason: fmt.Sprintf("file %s is missing from the bucket", f.Name)}}
	}
	if err != nil {
		return err
	}
	return checkFile(key, f, n, h)
}

func checkFile(key string, f cache.File, n int64, h hash.Hash) error {
	if n != f.Size {
		return &cache.DamagedError{Key: key, Reason: fmt.Sprintf("file %s has %d bytes, want %d", f.Name, n, f.Size)}
	}
	if hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return &cache.DamagedError{Key: key, Reason: fmt.Sprintf("file %s does not match its digest", f.Name)}
	}
	return nil
}

// Verify checks key's entry in the bucket, reading every file it lists
// through SHA-256; it never reads or writes the local copy, nor the lease.
// An entry removed meanwhile is a miss, and one replaced meanwhile is
// verified anew (see afterMissingFile).
func (s *Store) Verify(key string) error {
	if !validKey(key) {
		return fmt.Errorf("cache: invalid key %q", key)
	}
	raw, etag, err := s.readEntry(key)
	if err != nil {
		return s.errorf(err)
	}
	for attempt := 1; ; attempt++ {
		e, err := s.parseEntry(key, raw)
		if err != nil {
			return err
		}
		if err = s.verifyFiles(e); err == nil {
			return nil
		}
		if raw, etag, err = s.afterMissingFile(key, etag, err, attempt); err != nil {
			return s.errorf(err)
		}
	}
}

// verifyFiles reads every file e lists from the bucket and checks it.
func (s *Store) verifyFiles(e *cache.Entry) error {
	for _, f := range e.Files {
		if err := s.fetch(e.Key, f, io.Discard); err != nil {
			return err
		}
	}
	return nil
}

// TempDir makes a folder in the local copy for a computation's outputs.
func (s *Store) TempDir() (string, error) { return s.local.TempDir() }

// Publish makes the files in dir the entry for key: it records the key and
// the files' digests in the lease, uploads the files, then creates
// entry.json with If-None-Match: *. When an entry for key exists, it is
// kept (see the package documentation). dir is moved into the local copy,
// or removed.
func (s *Store) Publish(key, dir string, meta any) (*cache.Entry, error) {
	e, err := s.publish(key, dir, meta)
	if err != nil {
		os.RemoveAll(dir)
		return nil, s.errorf(fmt.Errorf("publish %s: %w", key[:min(12, len(key))], err))
	}
	return e, nil
}

func (s *Store) publish(key, dir string, meta any) (*cache.Entry, error) {
	e, err := cache.NewEntry(key, dir, meta, time.Now())
	if err != nil {
		return nil, err
	}
	raw, err := e.JSON()
	if err != nil {
		return nil, err
	}
	if err := s.upload(key, e.Files, dir); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err := s.c.putBytes(s.ctx, entryName(key), raw, true)
		if err == nil {
			break
		}
		if !errors.Is(err, errExists) {
			return nil, err
		}
		// The first writer won: keep its entry, whatever happens to ours.
		existing, o, err := s.c.getEntryJSON(s.ctx, entryName(key))
		etag := o.ETag
		if errors.Is(err, errNotFound) && attempt < maxPublishAttempts {
			continue // removed meanwhile: the name is free again
		} else if err != nil {
			return nil, err
		}
		ex, perr := s.parseEntry(key, existing)
		if perr == nil && sameFiles(ex.Files, e.Files) {
			e, raw = ex, existing
			break
		}
		if perr == nil {
			got, err := s.copyOf(ex, existing)
			var damaged *cache.DamagedError
			if err == nil {
				os.RemoveAll(dir)
				return got, s.lease.check()
			} else if !errors.As(err, &damaged) {
				return nil, err
			}
			perr = damaged
		}
		if attempt >= maxPublishAttempts {
			return nil, fmt.Errorf("replace the damaged entry: %v", perr)
		}
		if err := s.replaceDamaged(entryName(key), etag); err != nil {
			return nil, err
		}
	}
	got, err := s.keepCopy(e, copyKey(raw), dir)
	if err != nil {
		return nil, err
	}
	return got, s.lease.check()
}

// upload records key and the files in the lease, then writes every file
// of dir that files lists to the bucket under its digest.
func (s *Store) upload(key string, files []cache.File, dir string) error {
	lines := []string{leaseKey + key}
	for _, f := range files {
		lines = append(lines, leaseFile+f.SHA256)
	}
	if err := s.lease.hold(lines...); err != nil {
		return err
	}
	done := map[string]bool{}
	for _, f := range files {
		if done[f.SHA256] {
			continue
		}
		done[f.SHA256] = true
		in, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil {
			return err
		}
		err = s.c.put(s.ctx, fileName(f.SHA256), in, f.Size, false)
		in.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// replaceDamaged deletes a damaged object, if it is still the one read
// (same ETag), so that a create can take its name.
func (s *Store) replaceDamaged(name, etag string) error {
	o, err := s.c.stat(s.ctx, name)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.ETag != etag {
		return nil // replaced meanwhile: look again
	}
	return s.c.remove(s.ctx, name)
}
