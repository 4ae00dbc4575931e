package nn

import "testing"

// TestTheRunnerStartsNoMoreWorkersThanItsLargestJobHasUnits asks for far
// more workers than there is work: each extra goroutine would only wait and
// hold its scratch space, so the pool stops at the largest job's number of
// units (chunks of any objective it computes on, or parameter blocks of the
// full-recompute gradient).
func TestTheRunnerStartsNoMoreWorkersThanItsLargestJobHasUnits(t *testing.T) {
	s := Shape{D: 13, M: 8, K: 3}                             // P = 139, so 35 blocks of fullBlock parameters
	train := randomProblem(600, s, 1000, 0.5, 0).objective(t) // 8 chunks
	big := randomProblem(601, s, 3000, 0.5, 0).objective(t)   // 24 chunks
	cases := []struct {
		name   string
		method Method
		valued []*Objective
		want   int
	}{
		{"back-propagation on the training rows alone uses one worker a chunk", Backprop, nil, train.numChunks},
		{"a larger objective whose value is asked for raises the count to its chunks", Backprop, []*Objective{big}, big.numChunks},
		{"the full-recompute gradient counts its parameter blocks", NumericalFull, nil, (s.NumParams() + fullBlock - 1) / fullBlock},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRunner(train, nil, Options{Method: c.method, Epsilon: 1e-3, Workers: 1000}, c.valued...)
			defer r.close()
			if got := len(r.scr); got != c.want {
				t.Errorf("newRunner(Workers: 1000) made %d workers, want %d", got, c.want)
			}
		})
	}
}
