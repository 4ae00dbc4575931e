// Command nnpipe runs machine-learning experiments described by one YAML
// file as a cached pipeline of stages. See README.md.
package main

import (
	"context"
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target, GOGC, unless the GOGC
// environment variable sets it: a collection when the heap has grown by half
// its live size instead of Go's default of all of it. Data sets are most of
// the heap of a run that loads them, and this keeps a million-row run's peak
// within 3× its data (measured: 305 → 245 MB). It is the process's only
// runtime setting, made once here rather than in Main, which tests and
// benchmarks call in-process.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
