package gcpolicy

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestPercentFor(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		live uint64
		want int
	}{
		{0, 800},           // the goal is the minimum heap: 4 MB × 8 = 32 MB
		{2 * mb, 850},      // 4 MB × 8.5 = 34 MB = 2 + 32
		{4 * mb, 800},      // 4 × 9 = 36 MB = 4 + 32, as from the minimum
		{8 * mb, 400},      // 8 × 5 = 40 MB = 8 + 32
		{16 * mb, 200},     // 16 × 3 = 48 MB = 16 + 32
		{64 * mb, 50},      // 64 × 1.5 = 96 MB = 64 + 32
		{200 * mb, 50},     // a large heap: GOGC=50
		{64*mb + 1, 50},    // never below Percent
		{64*mb - 4096, 51}, // just below: rounds up
	}
	for _, c := range cases {
		if got := PercentFor(c.live); got != c.want {
			t.Errorf("PercentFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
	// Whatever the live heap, the garbage allowed before the next
	// collection is at least Floor.
	for live := uint64(0); live < 128*mb; live += 123457 {
		p := uint64(PercentFor(live))
		goal := max(live*(100+p)/100, heapMinimum*p/100)
		if goal < live+Floor {
			t.Fatalf("PercentFor(%d) = %d: goal %d, want at least %d", live, p, goal, live+Floor)
		}
	}
}

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func liveAndGoal() (uint64, uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// TestApplyFollowsTheLiveHeap: after a collection the policy sets GOGC from
// the live heap — for the test's small heap, so that Floor of garbage may
// grow before the next collection; for one larger than 2 × Floor, 50 — and
// release restores the GOGC before. The policy acts from the runtime's
// finalizer goroutine after a collection, so the test collects until it
// has; go test's timeout is the safety net.
func TestApplyFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(123)
	defer debug.SetGCPercent(old)
	release := Apply()
	const slack = 1 << 20 // the live heap moves a little between two collections
	for {
		runtime.GC()
		live, goal := liveAndGoal()
		if live < 2*Floor && goal+slack >= live+Floor {
			break
		}
		runtime.Gosched()
	}

	big := make([]byte, 3*Floor)
	for i := range big {
		big[i] = 1 // live, and in memory
	}
	for gcPercent() != Percent {
		runtime.GC()
		runtime.Gosched()
	}
	runtime.GC()
	live, goal := liveAndGoal()
	if live < uint64(len(big)) || goal > live*(100+Percent)/100+slack {
		t.Errorf("with %d bytes live the goal is %d bytes, want 1.5 × live", live, goal)
	}
	runtime.KeepAlive(big)

	release()
	if got := gcPercent(); got != 123 {
		t.Errorf("GOGC after release = %d, want 123", got)
	}
	runtime.GC()
	runtime.GC()
	if got := gcPercent(); got != 123 {
		t.Errorf("GOGC after release and two collections = %d, want 123 (the policy stopped)", got)
	}
}

func TestGOGCRules(t *testing.T) {
	t.Setenv("GOGC", "100")
	old := debug.SetGCPercent(77)
	defer debug.SetGCPercent(old)
	release := Apply()
	defer release()
	runtime.GC()
	runtime.GC()
	if got := gcPercent(); got != 77 {
		t.Errorf("GOGC after Apply with GOGC set = %d, want it untouched (77)", got)
	}
}
