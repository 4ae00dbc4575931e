package nn

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Work is the cost model of one gradient of method m over n rows of a
// network of p parameters, in units of work whose time an Estimator
// measures: n·p for Numerical (each of the 2P perturbations recomputes,
// for every row, only the unit it changes) and for Backprop (a forward and
// a backward pass of n·p each); n·p² for NumericalFull (2P forward passes
// of n·p each).
func Work(m Method, n, p int) float64 {
	w := float64(n) * float64(p)
	if m == NumericalFull {
		w *= float64(p)
	}
	return w
}

// Estimator estimates how long gradients take on this machine, without
// computing one of the real size: it times a few gradients of a small
// problem like the real one (the real D and K up to 64, at most 8 hidden
// units and 256 rows, shrunk until a gradient is about 2^18 units of Work)
// and scales the time per unit by the real problem's Work. A calibration
// takes about 20 ms and is kept for the problems that share it. The
// estimate is for one core. An Estimator is safe for concurrent use.
type Estimator struct {
	mu    sync.Mutex
	calib map[calibKey]float64 // seconds per unit of work
}

type calibKey struct {
	method     Method
	d, k, m, n int
}

// NewEstimator returns an Estimator with no calibration yet.
func NewEstimator() *Estimator { return &Estimator{calib: map[calibKey]float64{}} }

// Calibration sizes and times (see Estimator).
const (
	calibMaxDK   = 64
	calibMaxM    = 8
	calibMaxN    = 256
	calibMinN    = 16
	calibWork    = 1 << 18
	calibTime    = 20 * time.Millisecond // per calibration, in all
	calibBatches = 7
	calibMaxRun  = 10_000
)

// StepSeconds returns the estimated seconds one Gradient of method m takes
// on n rows of shape s, on one core; NaN if s is not a valid shape or n < 1.
func (e *Estimator) StepSeconds(m Method, s Shape, n int) float64 {
	if err := s.Validate(); err != nil || n < 1 {
		return math.NaN()
	}
	return e.secondsPerUnit(m, s, n) * Work(m, n, s.NumParams())
}

// secondsPerUnit returns the measured seconds per unit of work of method
// m on a small problem like s with n training rows.
func (e *Estimator) secondsPerUnit(m Method, s Shape, n int) float64 {
	cs := Shape{D: min(s.D, calibMaxDK), K: min(s.K, calibMaxDK), M: min(s.M, calibMaxM)}
	cn := min(n, calibMaxN)
	for Work(m, cn, cs.NumParams()) > calibWork && (cn > calibMinN || cs.M > 1) {
		if cn > calibMinN {
			cn = max(calibMinN, cn/2)
		} else {
			cs.M /= 2
		}
	}
	key := calibKey{method: m, d: cs.D, k: cs.K, m: cs.M, n: cn}
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.calib[key]; ok {
		return v
	}
	v := timeGradient(m, cs, cn) / Work(m, cn, cs.NumParams())
	e.calib[key] = v
	return v
}

// timeGradient returns the seconds one Gradient of method m takes on n
// random rows of shape s: the fastest of a few timed batches after a
// warm-up.
func timeGradient(m Method, s Shape, n int) float64 {
	src := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*s.D)
	for i := range x {
		x[i] = src.NormFloat64()
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % s.K)
	}
	obj, err := NewObjective(s, x, labels)
	if err != nil {
		return math.NaN() // the shape is valid and the data finite: cannot happen
	}
	wv := make([]float64, s.NumParams())
	for i := range wv {
		wv[i] = 0.1 * src.NormFloat64()
	}
	g := make([]float64, len(wv))
	obj.Gradient(g, wv, m, 1e-3) // warm-up: caches, lazily sized buffers
	// The fastest batch is the one least disturbed by other work on the
	// machine.
	best := math.Inf(1)
	for range calibBatches {
		start := time.Now()
		calls := 0
		for calls < calibMaxRun && (calls < 3 || time.Since(start) < calibTime/calibBatches) {
			obj.Gradient(g, wv, m, 1e-3)
			calls++
		}
		best = min(best, time.Since(start).Seconds()/float64(calls))
	}
	return best
}
