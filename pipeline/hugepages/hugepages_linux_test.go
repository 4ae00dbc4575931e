package hugepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// childEnv names the variable that makes the test binary, run again by
// TestGODEBUGTurnsItOff, report the heap's advice instead of testing.
const childEnv = "NNPIPE_HUGEPAGES_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		Prepare()
		advised, err := preparedHeapAdvised()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(advised)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// thpAvailable skips the test where the kernel has no transparent huge
// pages, which madvise then refuses.
func thpAvailable(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skipf("no transparent huge pages in this kernel: %v", err)
	}
}

func TestPrepareAdvisesTheMemoryTheHeapGrowsInto(t *testing.T) {
	thpAvailable(t)
	Prepare()
	advised, err := preparedHeapAdvised()
	if err != nil {
		t.Fatal(err)
	}
	if !advised {
		t.Fatal("after Prepare, the heap's next large allocation lies in memory not advised MADV_HUGEPAGE")
	}
}

func TestPrepareLeavesTheCollectorsSettingAsItWas(t *testing.T) {
	const percent = 77
	before := debug.SetGCPercent(percent)
	defer debug.SetGCPercent(before)
	Prepare()
	if got := debug.SetGCPercent(before); got != percent {
		t.Fatalf("after Prepare, GOGC = %d, want %d as before it", got, percent)
	}
}

func TestGODEBUGTurnsItOff(t *testing.T) {
	thpAvailable(t)
	for _, tc := range []struct {
		godebug string
		want    bool
	}{
		{"disablethp=0", true}, // the control: the same child advises without the switch
		{"disablethp=1", false},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "GODEBUG="+tc.godebug)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GODEBUG=%s: %v", tc.godebug, err)
		}
		got, err := strconv.ParseBool(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("GODEBUG=%s: child printed %q", tc.godebug, out)
		}
		if got != tc.want {
			t.Errorf("GODEBUG=%s: heap advised MADV_HUGEPAGE = %v, want %v", tc.godebug, got, tc.want)
		}
	}
}

// preparedHeapAdvised waits for a collection to free what Prepare
// allocated, then allocates most of Size and reports whether the mapping
// its middle lies in is advised MADV_HUGEPAGE ("hg" in /proc/self/smaps).
// Nothing else in a test binary holds a free run of pages that long, so the
// allocation takes the memory Prepare grew the heap by, or, without
// Prepare, memory the runtime maps for it then.
func preparedHeapAdvised() (bool, error) {
	runtime.GC()
	b := make([]byte, Size*3/4)
	defer runtime.KeepAlive(b)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b))) + uintptr(len(b)/2)
	flags, err := vmFlags(addr)
	if err != nil {
		return false, err
	}
	return strings.Contains(" "+flags+" ", " hg "), nil
}

// vmFlags returns the VmFlags line of the mapping that holds addr.
func vmFlags(addr uintptr) (string, error) {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	in := false
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= addr && addr < hi
			continue
		}
		if f, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(f), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no mapping in /proc/self/smaps holds %#x", addr)
}

// mappingRange parses the address range that starts a mapping's header
// line in /proc/self/smaps ("7f12a000-7f12c000 rw-p ...").
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	field, _, _ := strings.Cut(line, " ")
	a, b, found := strings.Cut(field, "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
