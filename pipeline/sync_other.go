//go:build !linux

package pipeline

import (
	"io/fs"
	"path/filepath"
)

// syncTree flushes every file under dir to disk, one fsync each.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return syncPath(path)
	})
}

// A flusher flushes a directory's files to disk when waited for: with a
// flush per file, flushing early would only do it twice.
type flusher struct{ dir string }

func startFlush(dir string) *flusher { return &flusher{dir: dir} }

// wait flushes every file under the directory, if again.
func (fl *flusher) wait(again bool) error {
	if !again {
		return nil
	}
	return syncTree(fl.dir)
}

// renameNoReplace renames old to new unless new exists; the check and the
// rename are two steps here, one on Linux.
func renameNoReplace(oldpath, newpath string) error { return renameChecked(oldpath, newpath) }
