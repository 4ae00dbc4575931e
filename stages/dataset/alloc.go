package dataset

import "github.com/apache/arrow-go/v18/arrow/memory"

// maxReused bounds how many freed buffers a reuseAllocator keeps.
const maxReused = 8

// reuseAllocator is the Arrow allocator of one open Parquet file. The
// decoder gives every column chunk its own page buffers (16 KiB or more
// each) and frees them when the chunk's reader closes; this hands them,
// cleared, to the next chunk's reader instead of to the garbage collector,
// so reading a file of many small chunks allocates a few buffers instead of
// a few per chunk. What the decoder reads out of them is copied into the
// table's own columns before a chunk closes, so nothing the caller holds
// points into a buffer that is reused.
//
// It is not safe for concurrent use: a file is read on one goroutine.
type reuseAllocator struct {
	free [][]byte         // freed buffers, each whole (len = cap)
	base memory.Allocator // where new buffers come from; nil: Arrow's default
}

// Allocate returns size zeroed bytes: the smallest freed buffer that holds
// them, else new memory, 64-byte aligned as Arrow's own allocator does.
func (a *reuseAllocator) Allocate(size int) []byte {
	best := -1
	for i, b := range a.free {
		if cap(b) >= size && (best < 0 || cap(b) < cap(a.free[best])) {
			best = i
		}
	}
	if best < 0 {
		if a.base != nil {
			return a.base.Allocate(size)
		}
		return memory.DefaultAllocator.Allocate(size)
	}
	b := a.free[best]
	last := len(a.free) - 1
	a.free[best], a.free[last] = a.free[last], nil
	a.free = a.free[:last]
	clear(b) // all of it: a Reallocate within its capacity exposes the rest
	return b[:size]
}

// Reallocate returns b grown (or shrunk) to size bytes, keeping its
// contents, as Arrow's own allocator does.
func (a *reuseAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

// Free keeps b for a later Allocate.
func (a *reuseAllocator) Free(b []byte) {
	if cap(b) == 0 || len(a.free) >= maxReused {
		return
	}
	a.free = append(a.free, b[:cap(b)])
}

var _ memory.Allocator = (*reuseAllocator)(nil)
