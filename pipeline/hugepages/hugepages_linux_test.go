package hugepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// childEnv names the variable that makes the test binary, run again by a
// test, be a child process that calls Prepare and prints what it found
// (child) instead of testing.
const childEnv = "NNPIPE_HUGEPAGES_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		out, err := child(mode)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(out)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child calls Prepare in a fresh process and reports, by mode:
//   - "advised": whether the heap's next large allocation is advised,
//     once a collection has run;
//   - "unforced": whether, without collecting itself, once a collection
//     has completed (with GOGC=off, only the one Prepare starts), the heap
//     that collection found live is smaller than Prepare's allocation.
//     Where the next allocation then lies is not asked here: the
//     collection's end is not yet the sweep that frees the allocation, and
//     nothing but a forced collection waits for that.
func child(mode string) (string, error) {
	switch mode {
	case "advised":
		Prepare()
		runtime.GC()
		advised, err := largeAllocationAdvised()
		return strconv.FormatBool(advised), err
	case "unforced":
		Prepare()
		if err := awaitCollection(); err != nil {
			return "", err
		}
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(live)
		return strconv.FormatBool(live[0].Value.Uint64() < Size), nil
	}
	return "", fmt.Errorf("unknown child mode %q", mode)
}

// runChild runs the test binary as a child in mode, with the environment
// settings env added, and returns what it printed.
func runChild(t *testing.T, mode string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode, "GODEBUG=", "GOMEMLIMIT=", "GOGC="), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s %v: %v\n%s", mode, env, err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// madviseHost skips the test unless this kernel's transparent huge pages
// are set to "madvise", the only setting where Prepare advises.
func madviseHost(t *testing.T) {
	b, err := os.ReadFile(thpEnabled)
	if err != nil {
		t.Skipf("no transparent huge pages in this kernel: %v", err)
	}
	if !madviseMode(string(b)) {
		t.Skipf("transparent huge pages are %q here, not madvise", strings.TrimSpace(string(b)))
	}
}

func TestPrepareAdvisesTheMemoryTheHeapGrowsInto(t *testing.T) {
	madviseHost(t)
	if got := runChild(t, "advised"); got != "true" {
		t.Fatal("after Prepare, the heap's next large allocation lies in memory not advised MADV_HUGEPAGE")
	}
}

func TestPrepareFreesItsAllocationItself(t *testing.T) {
	madviseHost(t)
	// With the collector off, only the collection Prepare starts can free
	// the memory it grew the heap by.
	if got := runChild(t, "unforced", "GOGC=off"); got != "true" {
		t.Fatal("with GOGC=off, the collection Prepare started found its allocation live")
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

func TestSwitchesTurnItOff(t *testing.T) {
	madviseHost(t)
	for _, tc := range []struct {
		env  string
		want string
	}{
		{"GODEBUG=disablethp=0", "true"}, // the control: the same child advises without a switch
		{"GODEBUG=disablethp=1", "false"},
		{"GOMEMLIMIT=1GiB", "false"},
		{"GOMEMLIMIT=off", "true"},
	} {
		if got := runChild(t, "advised", tc.env); got != tc.want {
			t.Errorf("%s: heap advised MADV_HUGEPAGE = %s, want %s", tc.env, got, tc.want)
		}
	}
}

func TestTheBuildsGODEBUGDefaultsCount(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "CGO_ENABLED", Value: "0"},
		{Key: "DefaultGODEBUG", Value: "disablethp=1,panicnil=1"},
	}}
	if got := defaultGODEBUG(bi); got != "disablethp=1,panicnil=1" {
		t.Fatalf("defaultGODEBUG = %q, want the build's DefaultGODEBUG setting", got)
	}
	if !disabled(defaultGODEBUG(bi) + "," + "") {
		t.Fatal("a build whose defaults hold disablethp=1 is not disabled")
	}
	if disabled(defaultGODEBUG(bi) + "," + "disablethp=0") {
		t.Fatal("the environment's disablethp=0 does not override the build's default")
	}
	if got := defaultGODEBUG(nil); got != "" {
		t.Fatalf("defaultGODEBUG(nil) = %q, want none", got)
	}
}

// awaitCollection waits until a collection has completed. It gives up
// after a minute, far beyond any collection of a test's small heap, so that
// a collection never started fails the test instead of hanging it.
func awaitCollection() error {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	for range 60_000 {
		if metrics.Read(s); s[0].Value.Uint64() > 0 {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("no collection completed after Prepare")
}

// largeAllocationAdvised allocates most of Size and reports whether the
// mapping its middle lies in is advised MADV_HUGEPAGE ("hg" in
// /proc/self/smaps). Nothing else in a fresh test process holds a free run
// of pages that long, so the allocation takes the memory Prepare grew the
// heap by once it is free, or else memory the runtime maps for it then.
func largeAllocationAdvised() (bool, error) {
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
