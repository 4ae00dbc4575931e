//go:build unix

package dataset

import (
	"os"
	"syscall"
)

// openNoBlock opens path read-only with O_NONBLOCK, so that opening a named pipe with no
// writer returns at once instead of waiting for one; the caller then refuses it by its mode.
// Reads of a regular file ignore the flag.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
