package cache

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Remove deletes the entry of key, by one rename out of the way first, so
// that a concurrent Get sees the whole entry or none. Removing a missing
// entry is not an error.
func (c *Cache) Remove(key string) error {
	if !validKey(key) {
		return nil
	}
	return c.discard(c.Path(key))
}

// RemoveStaleTemp deletes the build folders in the cache's temporary
// folder, and the failure records, that are older than age: leftovers of
// killed processes, and failures old enough to have been looked at (a
// rerun records a failure again). It returns the bytes freed.
func (c *Cache) RemoveStaleTemp(age time.Duration) (int64, error) {
	var freed int64
	for _, sub := range []string{tmpDir, failuresDir} {
		n, err := removeOlder(filepath.Join(c.dir, sub), "", age, c.now())
		freed += n
		if err != nil {
			return freed, err
		}
	}
	return freed, nil
}

// RemoveOlder deletes the entries of dir whose names start with prefix and
// that were last modified more than age ago, returning the bytes freed. A
// missing dir frees nothing.
func RemoveOlder(dir, prefix string, age time.Duration) (int64, error) {
	return removeOlder(dir, prefix, age, time.Now())
}

func removeOlder(dir, prefix string, age time.Duration, now time.Time) (int64, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var freed int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !strings.HasPrefix(e.Name(), prefix) || now.Sub(info.ModTime()) < age {
			continue
		}
		path := filepath.Join(dir, e.Name())
		freed += DirSize(path)
		if err := os.RemoveAll(path); err != nil {
			return freed, err
		}
	}
	return freed, nil
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
