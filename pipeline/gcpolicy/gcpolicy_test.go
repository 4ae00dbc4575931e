package gcpolicy

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// heapGoal is the heap size at which the collector will next finish a
// cycle, right after a collection.
func heapGoal() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestApplyRaisesTheFloor(t *testing.T) {
	t.Setenv("GOGC", "")
	before := heapGoal()
	release := Apply()
	if got := debug.SetGCPercent(Percent); got != Percent {
		t.Errorf("GOGC after Apply = %d, want %d", got, Percent)
	}
	// The ballast is live: the goal is at least 1.5 × the ballast.
	if got, want := heapGoal(), uint64(Ballast)*(100+Percent)/100; got < want {
		t.Errorf("heap goal with the policy = %d bytes, want at least %d (before: %d)", got, want, before)
	}
	release()
	if got := heapGoal(); got >= uint64(Ballast) {
		t.Errorf("heap goal after release = %d bytes, want below the ballast's %d", got, Ballast)
	}
}

func TestGOGCRules(t *testing.T) {
	t.Setenv("GOGC", "100")
	old := debug.SetGCPercent(77)
	defer debug.SetGCPercent(old)
	release := Apply()
	defer release()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GOGC after Apply with GOGC set = %d, want it untouched (77)", got)
	}
	if got := heapGoal(); got >= uint64(Ballast) {
		t.Errorf("heap goal with GOGC set = %d bytes, want no ballast (below %d)", got, Ballast)
	}
}
