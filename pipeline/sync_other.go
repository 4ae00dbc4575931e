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
