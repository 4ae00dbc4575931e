// Package hugepages asks the operating system to back the start of a Go
// program's heap with huge pages, where that makes fresh memory cheaper.
//
// A small nnpipe run allocates tens of megabytes that no collection has
// yet freed for reuse: the book's run about 35 MB (its figures, the PNG and
// Parquet buffers), a sweep of book-size trials its 32 MB of garbage between
// collections again and again. Every 4 KiB page of that is written for the
// first time once, and the first write is a page fault. On a virtual machine
// a fault can cost 10 µs or more (11.5 µs on this project's 2-core machine,
// where the book's run took 8,500 of them), while a 2 MiB huge page is one
// fault for 512 pages. Linux gives huge pages to anonymous memory that asks
// for them (madvise(2) MADV_HUGEPAGE) when transparent huge pages are set to
// "madvise", its usual default, and Go's runtime no longer asks (since Go
// 1.21).
//
// Prepare therefore grows the heap by Size bytes at once, with one
// allocation it never writes, advises the whole 2 MiB pages inside it
// MADV_HUGEPAGE, lets go of it and starts a collection on a goroutine of
// its own. Once that collection has run, the heap's allocations reuse the
// advised memory, and its first write maps 2 MiB at a time.
//
// What it costs and where it stops:
//   - resident memory: a huge page is resident whole once any of it is
//     written, so a run can hold up to Size more than with 4 KiB pages,
//     never more in all than Size plus what the rest of the heap holds;
//   - the heap beyond Size (a run over millions of rows) grows into memory
//     the runtime maps later, in ordinary pages, as without Prepare;
//   - GODEBUG=disablethp=1, Go's switch against huge pages for the heap,
//     turns it off, and so does the kernel where transparent huge pages are
//     "never" (it then ignores the advice) or absent;
//   - on systems other than Linux Prepare does nothing.
//
// Prepare is for a program's main function: the heap is the process's.
package hugepages

// Size is how much of the heap Prepare advises: the collector's floor,
// 32 MiB of garbage between two collections (pipeline/gcpolicy), plus
// 16 MiB for the live heap of a small run, whose peak in a sweep of
// book-size trials run two at a time is about 41 MB.
const Size = 48 << 20
