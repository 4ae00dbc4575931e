package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTree flushes every file under dir to disk with one syncfs(2) of its
// file system, instead of an fsync per file (about 7 ms each here).
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
