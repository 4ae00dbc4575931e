//go:build !linux

package hugepages

// hugePage is the span of memory hugeRange rounds to; nothing is advised
// on this system.
const hugePage = 2 << 20

// Prepare does nothing on this system.
func Prepare() {}
