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
// book-size trials, which allocates about 9 MB a trial (Parquet writers and
// readers, YAML, tables), collected 248 times, and each collection scans
// the live heap again and, with two workers, takes a core from the trials.
// So after every collection the policy sets GOGC from the live heap the
// collection found: 50, or more when that would let less than Floor of
// garbage grow before the next one. A large run's heap, beyond 2 × Floor,
// is collected exactly as at GOGC=50.
package gcpolicy

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Percent is the collector's target, GOGC, for a live heap of more than
// Floor × 100 / Percent bytes.
const Percent = 50

// Floor is the least garbage the collector lets grow between two
// collections.
const Floor = 32 << 20

// heapMinimum is the Go runtime's smallest heap goal at GOGC=100; it scales
// with GOGC (the Go GC guide: the goal is at least 4 MiB × GOGC/100).
const heapMinimum = 4 << 20

// PercentFor returns the GOGC the policy sets after a collection that
// found live bytes of live heap: the least that lets Floor bytes of garbage
// grow before the next collection, and at least Percent. The heap goal is
// the larger of live × (1 + GOGC/100) and heapMinimum × GOGC/100, so a heap
// of less than heapMinimum takes the GOGC that puts the latter at
// live + Floor.
func PercentFor(live uint64) int {
	ceilDiv := func(a, b uint64) uint64 { return (a + b - 1) / b }
	p := ceilDiv((live+Floor)*100, heapMinimum)
	if live > 0 {
		p = min(p, ceilDiv(Floor*100, live))
	}
	return int(max(Percent, p))
}

// Apply sets the policy, unless the GOGC environment variable is set (then
// the collector follows it alone), and returns the function that lifts it,
// restoring the GOGC the process had. Apply is for a program's main
// function: the collector's settings are the process's.
func Apply() (release func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	// Until the first collection measures the live heap, assume it empty.
	current := PercentFor(0)
	old := debug.SetGCPercent(current)
	var (
		mu      sync.Mutex // orders the finalizer's setting and release's
		stopped bool
		arm     func()
	)
	arm = func() {
		// An object that only this function knows is unreachable at the
		// next collection; its finalizer runs after it, on the runtime's
		// finalizer goroutine, and sets GOGC for the collection after.
		runtime.SetFinalizer(new([16]byte), func(*[16]byte) {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			if p := PercentFor(liveHeap()); p != current {
				current = p
				debug.SetGCPercent(p)
			}
			arm()
		})
	}
	arm()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		debug.SetGCPercent(old)
	}
}

// liveHeap is the heap that the last collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
