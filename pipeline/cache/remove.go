package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Old is a folder RemoveOlder removed, or in a dry run would remove: its
// path and the bytes removing it frees.
type Old struct {
	Path string
	Size int64
}

// RemoveOlder deletes the entries of dir whose names start with prefix and
// in which nothing was modified for more than age (the newest modification
// time of anything in the tree counts, so a folder still being filled is
// young), and returns them, in name order. An entry a live process holds
// with LockDir is left alone however old it is: a run's folder gets no
// write while a long training runs. A missing dir frees nothing. With
// dryRun it deletes nothing and returns what it would delete now.
func RemoveOlder(dir, prefix string, age time.Duration, dryRun bool) ([]Old, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var removed []Old
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !strings.HasPrefix(e.Name(), prefix) || now.Sub(newest(path)) < age {
			continue
		}
		n, gone, err := removeUnlocked(path, dryRun)
		if gone {
			removed = append(removed, Old{Path: path, Size: n})
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// RemoveAbandoned deletes the entries of dir whose names start with prefix
// and that no live process holds with LockDir: at once where the file
// system locks them (a lock nobody holds means its owner is gone), and
// once nothing in them changed for more than age where it does not. It is
// for the temporary files of writers killed before they renamed them into
// place, which the next writer of the same name removes; it returns the
// first error met and goes on.
func RemoveAbandoned(dir, prefix string, age time.Duration) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var first error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := openNoBlock(path)
		if err != nil {
			continue // gone, or not ours to look at
		}
		switch lerr := flock(f, lockExclusive|nonBlocking); {
		case errors.Is(lerr, errLocked):
			f.Close()
			continue
		case (lerr != nil || !locksWork) && time.Since(newest(path)) < age:
			f.Close()
			continue
		}
		// Deleted while the lock is held: its writer cannot take it meanwhile.
		if err := os.RemoveAll(path); err != nil && first == nil {
			first = err
		}
		f.Close()
	}
	return first
}

// removeUnlocked deletes path unless a live process holds it with LockDir,
// reporting its size and whether it went (with dryRun, whether it would).
// It takes the lock itself first and deletes while holding it, so that a
// process cannot lock the folder between the test and the deletion. Where
// the file system cannot lock it (see LockDir) it deletes by age alone.
func removeUnlocked(path string, dryRun bool) (size int64, gone bool, err error) {
	f, err := openNoBlock(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err == nil {
		defer f.Close()
		if err := flock(f, lockExclusive|nonBlocking); errors.Is(err, errLocked) {
			return 0, false, nil
		}
	}
	n := DirSize(path)
	if dryRun {
		return n, true, nil
	}
	return n, true, os.RemoveAll(path)
}

// DirLock is an exclusive lock on a folder under construction (a run or
// sweep directory before it is renamed into place), which RemoveOlder
// leaves alone as long as the lock is held. The kernel releases it when
// the process dies, however it dies, and the folder is then a leftover.
//
// Where the file system refuses a lock on a folder (NFS emulates flock
// with byte-range locks, which need a file open for writing), the lock
// holds nothing, and RemoveOlder goes by age alone: the DirLock then keeps
// the folder young instead, setting its modification time every
// HeartbeatEvery until Close, so that an age of more than that (gc's
// --keep-recent is an hour by default) never takes it for a leftover.
type DirLock struct {
	f    *os.File
	stop chan struct{} // closed by Close; nil without a heartbeat
	done chan struct{} // closed when the heartbeat has stopped
}

// HeartbeatEvery is how often a DirLock that cannot lock its folder sets
// the folder's modification time.
const HeartbeatEvery = 5 * time.Minute

// LockDir locks the folder path for its maker. It fails with an error
// matching fs.ErrNotExist when path is gone, or when another process holds
// path's lock (RemoveOlder about to delete it): the maker then makes a new
// folder.
func LockDir(path string) (*DirLock, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	l := &DirLock{f: f}
	switch err := flock(f, lockExclusive|nonBlocking); {
	case errors.Is(err, errLocked):
		f.Close()
		return nil, &fs.PathError{Op: "lock", Path: path, Err: fs.ErrNotExist}
	case err != nil || !locksWork:
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.heartbeat(path, HeartbeatEvery)
	}
	if !l.Holds(path) {
		l.Close()
		return nil, &fs.PathError{Op: "lock", Path: path, Err: fs.ErrNotExist}
	}
	return l, nil
}

// heartbeat sets the modification time of the folder l holds, at path or
// wherever it was renamed to, every interval until Close.
func (l *DirLock) heartbeat(path string, every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.touch(path)
		}
	}
}

// touch sets the modification time of the folder l holds to now, if it is
// still at path.
func (l *DirLock) touch(path string) {
	if l.Holds(path) {
		now := time.Now()
		os.Chtimes(path, now, now)
	}
}

// Holds reports whether path is still the folder l locked: false once it
// was removed, or replaced by another folder of that name. A folder
// renamed into place is held at its new name.
func (l *DirLock) Holds(path string) bool {
	held, err := l.f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(path)
	return err == nil && os.SameFile(held, now)
}

// Close releases the lock, and stops the heartbeat.
func (l *DirLock) Close() error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	return l.f.Close()
}

// newest returns the latest modification time of path and everything
// under it, without following symbolic links. What cannot be read counts
// as modified now, so that it is kept.
func newest(path string) time.Time {
	var t time.Time
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(t) {
			t = info.ModTime()
		}
		return nil
	})
	if err != nil {
		return time.Now()
	}
	return t
}

// DirSize returns the bytes of the regular files under path.
func DirSize(path string) int64 {
	var n int64
	filepath.Walk(path, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// removeTrash deletes path, a trash folder or something in one, as
// os.RemoveAll does, but in each folder it deletes entry.json last, after
// everything else there. A process killed part way through then never
// leaves an entry whose files outlive the entry.json that lists them: the
// next gc, which looks into the trash of processes that are gone, would
// take those files for ones nnpipe did not make and quarantine them.
func removeTrash(path string) error { return removeEntryJSONLast(path, os.Remove) }

// removeEntryJSONLast deletes the tree at path with remove, one file or
// empty folder at a time: a folder's contents before the folder, and in
// each folder entry.json after the rest. It stops at the first error; a
// path that does not exist is no error.
func removeEntryJSONLast(path string, remove func(string) error) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		items, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		hasEntry := false
		for _, it := range items {
			if it.Name() == EntryFile {
				hasEntry = true
				continue
			}
			if err := removeEntryJSONLast(filepath.Join(path, it.Name()), remove); err != nil {
				return err
			}
		}
		if hasEntry {
			if err := removeEntryJSONLast(filepath.Join(path, EntryFile), remove); err != nil {
				return err
			}
		}
	}
	if err := remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
