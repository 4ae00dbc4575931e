//go:build unix

package cache

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// flock(2) operations.
const (
	lockShared    = unix.LOCK_SH
	lockExclusive = unix.LOCK_EX
	unlock        = unix.LOCK_UN
	nonBlocking   = unix.LOCK_NB
)

// locksWork says that a lock nobody holds means its owner is gone.
const locksWork = true

// errLocked reports a non-blocking lock that another holder has.
var errLocked = errors.New("locked by another process")

// flock applies how (an operation, with nonBlocking or not) to f. The
// kernel releases a process's locks when it dies, however it dies.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLocked
		}
		return err
	}
}
