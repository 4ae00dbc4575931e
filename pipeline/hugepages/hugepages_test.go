package hugepages

import (
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/gcpolicy"
)

func TestDisabledReadsGODEBUGAsTheRuntimeDoes(t *testing.T) {
	for _, tc := range []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"disablethp=0", false},
		{"disablethp=2", true},
		{"gctrace=1,disablethp=1", true},
		{"disablethp=1,gctrace=1", true},
		{"disablethp=1,disablethp=0", false},
		{"disablethp=0,disablethp=1", true},
		{"disablethp=1,disablethp=x", true}, // not an integer: the runtime keeps the setting before
		{"disablethp=", false},
		{"disablethp=99999999999", false}, // beyond 32 bits: ignored
		{"xdisablethp=1", false},
		{"disablethp", false},
		{" disablethp=1", false}, // the runtime does not trim
	} {
		if got := disabled(tc.godebug); got != tc.want {
			t.Errorf("disabled(%q) = %v, want %v", tc.godebug, got, tc.want)
		}
	}
}

func TestHugeRangeHoldsTheWholeHugePagesInside(t *testing.T) {
	const h = hugePage
	for _, tc := range []struct {
		name string
		p, n uintptr
		want span
	}{
		{"aligned, two pages", 4 * h, 2 * h, span{0, 2 * h}},
		{"unaligned start", 4*h + 8192, 3 * h, span{h - 8192, 2 * h}},
		{"unaligned end", 4 * h, 2*h + 100, span{0, 2 * h}},
		{"less than a page", 4*h + 1, h, span{}},
		{"a page, unaligned", 4*h + 1, h + 1, span{}},
		{"empty", 4 * h, 0, span{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hugeRange(tc.p, tc.n)
			if got != tc.want {
				t.Fatalf("hugeRange(%#x, %#x) = %+v, want %+v", tc.p, tc.n, got, tc.want)
			}
			if got.len > 0 && (tc.p+got.off)%h != 0 || got.len%h != 0 || got.off+got.len > tc.n {
				t.Fatalf("hugeRange(%#x, %#x) = %+v: not whole huge pages inside", tc.p, tc.n, got)
			}
		})
	}
}

func TestMadviseModeReadsTheKernelsSetting(t *testing.T) {
	for _, tc := range []struct {
		enabled string
		want    bool
	}{
		{"always [madvise] never\n", true},
		{"[always] madvise never\n", false},
		{"always madvise [never]\n", false},
		{"always [madvise] never", true},
		{"madvise", false}, // no choice marked
		{"", false},
		{"always [never] [madvise]", false}, // the first marked choice is the setting
	} {
		if got := madviseMode(tc.enabled); got != tc.want {
			t.Errorf("madviseMode(%q) = %v, want %v", tc.enabled, got, tc.want)
		}
	}
}

func TestSizeHoldsTheCollectorsFloor(t *testing.T) {
	if Size < gcpolicy.Floor {
		t.Fatalf("Size = %d, less than the collector's floor %d: the garbage between two collections outgrows the advised memory", Size, gcpolicy.Floor)
	}
}
