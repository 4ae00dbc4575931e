package cache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Layout names of the protection of work in progress (see the package
// documentation): the cache-wide lock file, the folder of leases, a
// lease's suffix, and the two kinds of line a lease holds.
const (
	lockName    = "lock"
	leasesDir   = "leases"
	leaseSuffix = ".lease"
	leaseKey    = "key "
	leaseTmp    = "tmp "
)

// lease is this Cache's record of what it uses: a file in <dir>/leases
// that it holds an exclusive flock on while it is open, so that gc can
// tell a live lease (the lock is taken) from a dead process's (it is not).
type lease struct {
	ctx  context.Context // ends a wait for the cache-wide lock
	mu   sync.Mutex
	file *os.File        // the lease, locked exclusively until Close
	lock *os.File        // the cache-wide lock file, locked shared around each write
	sync bool            // fsync each write: the cache is on a network file system
	held map[string]bool // lines written
	torn bool            // a write failed part-way: start the next on a new line
}

// hold records lines in this Cache's lease, creating the lease on first
// use, before the caller touches what they name. Lines already recorded
// cost a map lookup. The write is made while the cache-wide lock is held
// shared, so that it happens wholly before or wholly after a collection
// (which holds the lock exclusively while it reads the leases and moves
// what they do not name out of the way).
func (c *Cache) hold(lines ...string) error {
	l, err := c.theLease()
	if err != nil || l == nil {
		return err
	}
	return l.add(lines)
}

func (c *Cache) theLease() (*lease, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lease != nil || c.noLease {
		return c.lease, nil
	}
	l, err := openLease(c.context(), c.dir)
	if errors.Is(err, syscall.EROFS) {
		// Nothing can remove anything from a read-only cache: there is
		// nothing to protect against. A miss fails when it publishes.
		c.noLease = true
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	c.lease = l
	return l, nil
}

func openLease(ctx context.Context, dir string) (*lease, error) {
	lock, err := openLock(ctx, dir, lockShared, true)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		flock(lock, unlock)
		if !ok {
			lock.Close()
		}
	}()
	leases := filepath.Join(dir, leasesDir)
	if err := os.MkdirAll(leases, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(leases, fmt.Sprintf("%d-*%s", os.Getpid(), leaseSuffix))
	if err != nil {
		return nil, err
	}
	// Nobody else knows the new name, and collections read leases only
	// while no one holds the shared lock: this cannot block.
	if err := flock(f, lockExclusive|nonBlocking); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	host, _ := os.Hostname()
	header := fmt.Sprintf("# nnpipe cache lease: pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if _, err := f.WriteString(header); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	ok = true
	return &lease{ctx: ctx, file: f, lock: lock, sync: networkFS(dir), held: map[string]bool{}}, nil
}

func (l *lease) add(lines []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var buf bytes.Buffer
	if l.torn {
		buf.WriteByte('\n')
	}
	n := 0
	for _, line := range lines {
		if !l.held[line] {
			buf.WriteString(line)
			buf.WriteByte('\n')
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if err := flockWait(l.ctx, l.lock, lockShared); err != nil {
		return err
	}
	_, err := l.file.Write(buf.Bytes())
	if err == nil && l.sync {
		err = l.file.Sync()
	}
	flock(l.lock, unlock)
	if err != nil {
		l.torn = true
		return err
	}
	l.torn = false
	for _, line := range lines {
		l.held[line] = true
	}
	return nil
}

// Close releases what this Cache holds: gc may remove the entries it used
// and its build folders from then on. A process that dies releases them
// the same way, without Close: the kernel drops its locks. Close also
// removes the cache's bookkeeping files when nothing else is left in the
// cache (a run refused for bad data leaves no cache folder). The Cache
// can be used again afterwards; it then takes a new lease.
func (c *Cache) Close() error {
	c.mu.Lock()
	l := c.lease
	c.lease = nil
	c.mu.Unlock()
	if l == nil {
		return nil
	}
	l.mu.Lock()
	err := os.Remove(l.file.Name())
	l.file.Close()
	l.lock.Close()
	l.mu.Unlock()
	c.tidy()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: release lease: %w", err)
	}
	return nil
}

// tidy removes the lock file, the empty leases and tmp folders and the
// cache folder itself when they are all the cache holds and no one else
// is using it.
func (c *Cache) tidy() {
	lock, err := openLock(c.context(), c.dir, lockExclusive|nonBlocking, false)
	if err != nil {
		return
	}
	defer lock.Close()
	names, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	for _, n := range names {
		switch n.Name() {
		case lockName:
		case leasesDir, tmpDir:
			if inside, err := os.ReadDir(filepath.Join(c.dir, n.Name())); err != nil || len(inside) > 0 {
				return
			}
		default:
			return
		}
	}
	os.Remove(filepath.Join(c.dir, leasesDir))
	os.Remove(filepath.Join(c.dir, tmpDir))
	os.Remove(filepath.Join(c.dir, lockName))
	os.Remove(c.dir)
}

// openLock opens the cache-wide lock file and takes the lock how asks for.
// Close releases it. The lock file is removed only by tidy, under the
// exclusive lock: a process that opened it before and was waiting for the
// lock then finds that its file is no longer the one at the path, and
// starts again.
func openLock(ctx context.Context, dir string, how int, create bool) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	for {
		flags := os.O_RDWR // an exclusive lock on NFS needs a file open for writing
		if create {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			flags |= os.O_CREATE
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if !create && (errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)) {
			// Only looking (gc --dry-run): a cache on a read-only file
			// system, or another user's, is locked through a read-only
			// descriptor, which flock(2) takes on a local file system.
			f, err = openNoBlock(path)
		}
		if err != nil {
			return nil, err
		}
		if err := flockWait(ctx, f, how); err != nil {
			f.Close()
			return nil, err
		}
		if a, err := f.Stat(); err == nil {
			if b, err := os.Stat(path); err == nil && os.SameFile(a, b) {
				return f, nil
			}
		}
		f.Close()
		if !create {
			return nil, fs.ErrNotExist
		}
	}
}

// live is what the live leases of a cache protect.
type live struct {
	keys   map[string]bool // entries and failure records, by key
	tmp    map[string]bool // folders in tmp/, by name
	leases int             // live leases of others
}

// liveLeases reads every live lease; the caller holds the cache-wide lock
// exclusively. With remove, it deletes the leases of processes that are
// gone. A lease it cannot tell alive or dead is an error: gc then removes
// nothing rather than guess.
func (c *Cache) liveLeases(remove bool) (*live, error) {
	lv := &live{keys: map[string]bool{}, tmp: map[string]bool{}}
	dir := filepath.Join(c.dir, leasesDir)
	names, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return lv, nil
	}
	if err != nil {
		return nil, err
	}
	own := ""
	c.mu.Lock()
	if c.lease != nil {
		own = filepath.Base(c.lease.file.Name())
	}
	c.mu.Unlock()
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), leaseSuffix) {
			continue
		}
		path := filepath.Join(dir, n.Name())
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrPermission) {
			f, err = openNoBlock(path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read lease %s: %w", n.Name(), err)
		}
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			f.Close() // not a lease nnpipe wrote (a named pipe would block the reading)
			continue
		}
		err = flock(f, lockExclusive|nonBlocking)
		if err == nil && locksWork {
			// Nobody holds it: its process is gone.
			if remove {
				os.Remove(path)
			}
			f.Close()
			continue
		}
		if err != nil && !errors.Is(err, errLocked) {
			f.Close()
			return nil, fmt.Errorf("lock lease %s: %w", n.Name(), err)
		}
		if n.Name() != own {
			lv.leases++
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, leaseKey); ok && validKey(k) {
				lv.keys[k] = true
			} else if name, ok := strings.CutPrefix(line, leaseTmp); ok && tempName(name) {
				lv.tmp[name] = true
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read lease %s: %w", n.Name(), err)
		}
	}
	return lv, nil
}

// Prefixes of the folders the cache makes in tmp/.
const (
	buildPrefix = "build-"
	trashPrefix = "trash-"
)

// tempName reports whether name is one the cache gives folders in tmp/.
func tempName(name string) bool {
	return (strings.HasPrefix(name, buildPrefix) || strings.HasPrefix(name, trashPrefix)) &&
		!strings.ContainsAny(name, "/\\") && name != buildPrefix && name != trashPrefix
}

func randomSuffix() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
