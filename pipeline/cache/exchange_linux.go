package cache

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Exchange swaps the paths a and b in one step (renameat2's
// RENAME_EXCHANGE). It returns false, and changes nothing, where the file
// system or the system cannot.
func Exchange(a, b string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		return false, nil
	}
	if err != nil {
		return false, &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
	}
	return true, nil
}
