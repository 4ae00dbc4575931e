package nn

import (
	"math"
	"testing"
)

func TestWorkIsNPForTheFastMethodsAndNP2ForTheFullRecompute(t *testing.T) {
	for _, c := range []struct {
		m    Method
		n, p int
		want float64
	}{
		{Numerical, 100, 15, 1500},
		{Backprop, 100, 15, 1500},
		{NumericalFull, 100, 15, 22500},
	} {
		if got := Work(c.m, c.n, c.p); got != c.want {
			t.Errorf("Work(%v, %d, %d) = %v, want %v", c.m, c.n, c.p, got, c.want)
		}
	}
}

// TestEstimatorScalesOneCalibrationByTheWork checks the cost model, not
// the clock: problems that share a calibration (every hidden size from 8
// up, with the same D, K and rows) are estimated in the ratio of their
// Work exactly, and a calibration is kept.
func TestEstimatorScalesOneCalibrationByTheWork(t *testing.T) {
	e := NewEstimator()
	for _, m := range []Method{Numerical, Backprop, NumericalFull} {
		small := Shape{D: 2, M: 8, K: 3}
		large := Shape{D: 2, M: 100_000, K: 3}
		a, b := e.StepSeconds(m, small, 200), e.StepSeconds(m, large, 200)
		if !(a > 0) || math.IsInf(a, 0) {
			t.Fatalf("StepSeconds(%v, %+v) = %v, want a positive time", m, small, a)
		}
		want := Work(m, 200, large.NumParams()) / Work(m, 200, small.NumParams())
		// 1e-9: two roundings of the same product.
		if got := b / a; math.Abs(got/want-1) > 1e-9 {
			t.Errorf("%v: estimates of M = 100000 and M = 8 are in the ratio %v, want the ratio of their work %v", m, got, want)
		}
		if again := e.StepSeconds(m, small, 200); again != a {
			t.Errorf("%v: a second estimate %v differs from the first %v: the calibration was not kept", m, again, a)
		}
	}
	if got := e.StepSeconds(Numerical, Shape{D: 2, M: 0, K: 3}, 10); !math.IsNaN(got) {
		t.Errorf("StepSeconds of an invalid shape = %v, want NaN", got)
	}
	if got := e.StepSeconds(Numerical, Shape{D: 2, M: 2, K: 3}, 0); !math.IsNaN(got) {
		t.Errorf("StepSeconds of no rows = %v, want NaN", got)
	}
}
