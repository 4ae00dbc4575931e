// Package cputime reads the CPU time the process has used, for benchmarks that report it
// beside their wall time: on a machine shared with other work the wall time includes
// waiting for a core, the CPU time of single-goroutine work does not.
package cputime
