package cache

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RemoveOlder deletes the entries of dir whose names start with prefix and
// in which nothing was modified for more than age (the newest modification
// time of anything in the tree counts, so a folder still being filled is
// young), returning the bytes freed. A missing dir frees nothing.
func RemoveOlder(dir, prefix string, age time.Duration) (int64, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := time.Now()
	var freed int64
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !strings.HasPrefix(e.Name(), prefix) || now.Sub(newest(path)) < age {
			continue
		}
		freed += DirSize(path)
		if err := os.RemoveAll(path); err != nil {
			return freed, err
		}
	}
	return freed, nil
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
