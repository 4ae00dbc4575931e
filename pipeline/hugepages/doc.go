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
// fault for 512 pages. Where Linux's transparent huge pages are set to
// "madvise", as on that machine and many distributions, it gives them only
// to memory that asks (madvise(2) MADV_HUGEPAGE), and Go's runtime stopped
// asking for the heap in Go 1.21.1.
//
// Prepare therefore grows the heap by Size bytes at once, with one
// allocation it never writes, advises the whole 2 MiB pages inside it
// MADV_HUGEPAGE, lets go of it and starts a collection on a goroutine of
// its own. Once that collection has run, the heap's allocations reuse the
// advised memory, and its first write maps 2 MiB at a time.
//
// Prepare does nothing, and costs no more than reading one small file,
// unless the setting is "madvise": where it is "always" the heap has huge
// pages already, and where it is "never" the kernel would ignore the
// advice. It
// does nothing either under a memory limit (GOMEMLIMIT), which asks to keep
// memory tight, or where GODEBUG has disablethp=1, Go's own switch against
// huge pages for the heap, and on systems other than Linux.
//
// What it costs:
//   - about a millisecond at the start: the allocation, and the collection
//     that frees it, which runs beside the program;
//   - resident memory: a huge page is resident whole once any of it is
//     written, so a run can hold up to Size more than with 4 KiB pages;
//   - a fault in advised memory when the kernel has no free huge page
//     waits while it reclaims and compacts memory for one (the kernel's
//     default "defrag" setting, "madvise"): on a host whose memory is
//     fragmented or short, first writes can stall for longer than the 4 KiB
//     faults they replace. That, in long-running servers, is why Go's
//     runtime stopped advising; a short batch process over a bounded
//     48 MiB is the case the advice is for;
//   - the kernel's khugepaged may later fill a huge page the runtime gave
//     back in part, so up to Size can stay resident after the runtime
//     released it.
//
// The heap beyond Size (a run over millions of rows) grows into memory the
// runtime maps later, in ordinary pages, as without Prepare.
//
// Prepare is for a program's main function: the heap is the process's.
package hugepages

// Size is how much of the heap Prepare advises: the collector's floor,
// 32 MiB of garbage between two collections (pipeline/gcpolicy), plus
// 16 MiB for the live heap of a small run, whose peak in a sweep of
// book-size trials run two at a time is about 41 MB.
const Size = 48 << 20
