//go:build !unix

package cache

import (
	"context"
	"errors"
	"os"
)

// Without flock(2) there are no locks: every lease counts as live.
const (
	lockShared    = 1
	lockExclusive = 2
	unlock        = 8
	nonBlocking   = 4
)

// locksWork says that a lock nobody holds means its owner is gone; here a
// lock cannot tell, so gc keeps what every lease names until the lease is
// deleted by hand.
const locksWork = false

// errLocked reports a non-blocking lock that another holder has.
var errLocked = errors.New("locked by another process")

func flock(*os.File, int) error { return nil }

func flockWait(context.Context, *os.File, int) error { return nil }

// openNoBlock opens path read-only.
func openNoBlock(path string) (*os.File, error) { return os.Open(path) }
