//go:build unix

package pipeline

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdentity returns the device and inode of the file at path, which
// two paths to one file share, hard links included; path itself when the
// file cannot be looked at.
func fileIdentity(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return path
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return path
	}
	return fmt.Sprintf("file %d:%d", st.Dev, st.Ino)
}
