package cputime

import (
	"runtime"
	"testing"
)

func TestProcessCountsWork(t *testing.T) {
	before, ok := Process()
	if !ok {
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			t.Fatal("Process: not measured on a Unix system")
		}
		t.Skip("CPU time is not measured on", runtime.GOOS)
	}
	// Work until the count has moved: a bound of work done, not of time waited (a few
	// milliseconds of arithmetic move it; ten billion steps are seconds of it).
	x, moved := 1.0, false
	for i := 1; i <= 10_000_000_000 && !moved; i++ {
		x = x*1.0000001 + 1e-9
		if i%1_000_000 == 0 {
			now, _ := Process()
			moved = now > before
		}
	}
	if !moved {
		t.Errorf("Process did not move after ten billion steps of arithmetic (x = %v)", x)
	}
}
