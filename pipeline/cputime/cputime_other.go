//go:build !unix

package cputime

import "time"

// Process returns the CPU time the process has used, user and system, and whether this
// system measures it: not here.
func Process() (time.Duration, bool) { return 0, false }
