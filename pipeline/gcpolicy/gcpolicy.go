// Package gcpolicy sets the garbage collector's policy of an nnpipe
// process: when to collect, for the two kinds of work nnpipe does.
//
// Large data sets are most of the heap of a run that loads them: a
// collection at 1.5× the live heap (GOGC=50) instead of Go's 2× keeps a
// million-row run's peak within 3× its data (measured: 305 → 245 MB).
//
// Small problems — the book's run, a sweep of book-size trials — have a live
// heap of a few megabytes, and at GOGC=50 Go collects every time 2 MB more
// is allocated (its minimum heap is 4 MB × GOGC/100): a sweep of 40
// book-size trials, which allocates about 6 MB a trial (Parquet writers,
// figures, reading inputs), collected 255 times, and with two workers each
// collection takes a core from the trials. A ballast — a large allocation
// that is never touched, so that it occupies no memory, only room in the
// collector's accounting — raises that floor: the collector lets garbage
// grow to half of the live heap plus the ballast before it collects. A
// large run's peak grows by half the ballast at most.
package gcpolicy

import (
	"os"
	"runtime"
	"runtime/debug"
)

// Percent is the collector's target, GOGC, unless the environment sets it.
const Percent = 50

// Ballast is the size of the allocation that sets the smallest heap at
// which the collector starts: with Percent, garbage may grow to 16 MB plus
// half the live heap between collections.
const Ballast = 32 << 20

// Apply sets the policy, unless the GOGC environment variable is set (then
// the collector follows it alone), and returns the function that lifts it:
// the caller keeps the policy for as long as it has not called it. Apply is
// for a program's main function: the collector's settings are the
// process's.
func Apply() (release func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(Percent)
	// Memory fresh from the operating system is zero, so the runtime does
	// not clear it, and pages never written are never mapped in.
	ballast := make([]byte, Ballast)
	return func() {
		runtime.KeepAlive(ballast)
		debug.SetGCPercent(old)
	}
}
