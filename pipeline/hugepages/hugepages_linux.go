package hugepages

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on amd64 and on arm64
// with 4 KiB base pages. Elsewhere it may differ (1 MiB on s390x, 512 MiB
// on arm64 with 64 KiB base pages): advice on 2 MiB-aligned ranges then
// covers fewer huge pages, or none, and does no harm.
const hugePage = 2 << 20

// madvHugepage is MADV_HUGEPAGE in <asm-generic/mman-common.h>, which every
// Linux architecture Go supports uses for it.
const madvHugepage = 14

// thpEnabled is the file that holds Linux's transparent huge page setting.
const thpEnabled = "/sys/kernel/mm/transparent_hugepage/enabled"

// Prepare grows the heap by Size bytes advised MADV_HUGEPAGE and starts
// the collection that frees them for the heap's use, where that helps; see
// the package documentation. It does not wait for the collection. An error
// of madvise(2) leaves the memory unadvised, to be reused as ordinary
// pages.
func Prepare() {
	if !wanted() {
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

// wanted reports whether Prepare should advise: no GODEBUG switch against
// it, no memory limit, and transparent huge pages set to "madvise".
func wanted() bool {
	if disabled(godebug()) || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return false
	}
	b, err := os.ReadFile(thpEnabled)
	return err == nil && madviseMode(string(b))
}

// godebug is the GODEBUG settings the runtime applies: the build's
// defaults (a go.mod godebug block, //go:debug lines), then the
// environment's.
func godebug() string {
	bi, _ := debug.ReadBuildInfo()
	env, _ := syscall.Getenv("GODEBUG")
	return defaultGODEBUG(bi) + "," + env
}

// defaultGODEBUG is the GODEBUG defaults that the build bi records; none
// for a nil bi.
func defaultGODEBUG(bi *debug.BuildInfo) string {
	if bi == nil {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "DefaultGODEBUG" {
			return s.Value
		}
	}
	return ""
}
