package nn

import (
	"slices"
	"strings"
	"testing"
)

// TestAPanicInAWorkerReachesTheTrainingGoroutine breaks every worker's
// scratch space so that each job index panics: the worker running in the
// caller's goroutine panics at its first index, and the extra worker takes
// the others and panics too. The extra worker's panic must not end the
// process (it would end this test binary), and must be kept with its stack;
// the caller's panic reaches the caller, where a recover catches it. The
// next job then raises the kept panic in the caller once the workers are done.
func TestAPanicInAWorkerReachesTheTrainingGoroutine(t *testing.T) {
	s := Shape{D: 13, M: 8, K: 3}
	pr := randomProblem(600, s, 1000, 0.5, 0)
	train := pr.objective(t)
	r := newRunner(train, nil, Options{Method: Backprop, Workers: 2})
	defer r.close()
	if len(r.start) != 1 || train.numChunks < 2 {
		t.Fatalf("%d extra workers, %d chunks; the test needs 1 and at least 2", len(r.start), train.numChunks)
	}
	caught := func(f func()) (v any) {
		defer func() { v = recover() }()
		f()
		return nil
	}
	scr := slices.Clone(r.scr)
	r.scr[0], r.scr[1] = nil, nil
	if v := caught(func() { r.run(jobBackprop, train, pr.wv, nil, train.numChunks) }); v == nil {
		t.Fatal("a job whose every index panics returned")
	}
	r.wg.Wait() // the extra worker is done with the job
	kept := r.panicked.Load()
	if kept == nil {
		t.Fatal("the extra worker's panic was not kept")
	}
	if !strings.Contains(kept.Error(), "a training worker panicked") || !strings.Contains(string(kept.PanicStack()), "workCarryingPanics") {
		t.Errorf("kept panic %q with stack\n%s\nwant the worker's message and stack", kept.Error(), kept.PanicStack())
	}

	copy(r.scr, scr)
	v := caught(func() { r.run(jobBackprop, train, pr.wv, nil, train.numChunks) })
	if v != kept {
		t.Errorf("the next job raised %v (%T), want the kept panic %v", v, v, kept)
	}
}
