//go:build unix

package cache

import (
	"context"
	"errors"
	"os"
	"sync"

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
	return flockFd(int(f.Fd()), how)
}

// flockFd is flock of the file descriptor fd.
func flockFd(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLocked
		}
		return err
	}
}

// flockWait is flock(f, how) that returns ctx's error once ctx is done,
// however long the lock stays taken: a flock(2) that blocks cannot be
// interrupted from Go, so it blocks on a goroutine of its own, on a
// duplicate of f's descriptor (the same open file, whose lock it is, but a
// descriptor the caller's closing f cannot take from it), and releases the
// lock at once if it takes it after flockWait gave up.
func flockWait(ctx context.Context, f *os.File, how int) error {
	if how&nonBlocking != 0 || ctx.Done() == nil {
		return flock(f, how)
	}
	// Once a wait was given up, the lock of f's open file may yet be taken
	// and let go by that wait's goroutine: nothing may rely on it then.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := flock(f, how|nonBlocking); !errors.Is(err, errLocked) {
		return err
	}
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	gaveUp := false
	done := make(chan error, 1)
	go func() {
		err := flockFd(fd, how)
		mu.Lock()
		defer mu.Unlock()
		if gaveUp && err == nil {
			flockFd(fd, unlock)
		}
		unix.Close(fd) // the lock stays with the open file, which f holds
		if !gaveUp {
			done <- err
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case err := <-done: // taken as ctx ended
			return err
		default:
		}
		gaveUp = true
		return ctx.Err()
	}
}

// openNoBlock opens path read-only with O_NONBLOCK, so that opening a
// named pipe with no writer returns at once instead of waiting for one
// (for ever, deaf to an interrupt); the caller refuses it by its mode.
// Reads of a regular file or a folder ignore the flag.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
}
