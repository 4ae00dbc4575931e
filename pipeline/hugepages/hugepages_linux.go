package hugepages

import (
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the architectures Go
// runs Linux on with 4 KiB base pages (amd64, arm64 with 4 KiB pages, 386,
// riscv64, s390x, ppc64 with 4 KiB pages); advice on a range holding no
// whole page of another size only covers less.
const hugePage = 2 << 20

// madvHugepage is MADV_HUGEPAGE in <asm-generic/mman-common.h>, which every
// Linux architecture uses for it.
const madvHugepage = 14

// Prepare grows the heap by Size bytes advised MADV_HUGEPAGE and starts
// the collection that frees them for the heap's use; see the package
// documentation. It returns at once; an error of madvise(2) (a kernel
// without transparent huge pages) leaves the heap as it was.
func Prepare() {
	if disabled(godebug()) {
		return
	}
	// The allocation goes over the heap's goal, which would start a
	// collection while it is still live: one that frees nothing and costs
	// a small command 2 ms. So the collector is off while it is made, and
	// the one collection that frees it runs beside the program.
	percent := debug.SetGCPercent(-1)
	b := make([]byte, Size)
	if r := hugeRange(uintptr(unsafe.Pointer(unsafe.SliceData(b))), Size); r.len > 0 {
		_ = syscall.Madvise(b[r.off:r.off+r.len], madvHugepage)
	}
	runtime.KeepAlive(b)
	debug.SetGCPercent(percent)
	go runtime.GC()
}

// godebug is the GODEBUG environment variable.
func godebug() string {
	v, _ := syscall.Getenv("GODEBUG")
	return v
}
