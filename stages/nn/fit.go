package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Options configures Fit.
type Options struct {
	// Method is how the gradient is computed; the zero value is Numerical.
	Method Method
	// Epsilon is the central-difference step ε of the numerical methods, > 0 (the book uses
	// 0.001). It is ignored by Backprop.
	Epsilon float64
	// LearningRate is the step size α > 0 of wv ← wv − α g (the book uses 0.5).
	LearningRate float64
	// Steps is the number of updates, >= 1 (the book makes 1000).
	Steps int
	// Workers is the number of goroutines that compute a gradient on problems large enough to
	// gain from it; 0 or 1 means one. The results do not depend on it, bit for bit.
	Workers int
}

// Validate reports every option out of range.
func (opt Options) Validate() error {
	var errs []error
	switch opt.Method {
	case Numerical, NumericalFull:
		if !(opt.Epsilon > 0 && opt.Epsilon <= math.MaxFloat64) {
			errs = append(errs, fmt.Errorf("epsilon: must be a finite number > 0, got %v", opt.Epsilon))
		}
	case Backprop:
	default:
		errs = append(errs, fmt.Errorf("gradient method: unknown method %d", int(opt.Method)))
	}
	if !(opt.LearningRate > 0 && opt.LearningRate <= math.MaxFloat64) {
		errs = append(errs, fmt.Errorf("learning rate: must be a finite number > 0, got %v", opt.LearningRate))
	}
	if opt.Steps < 1 {
		errs = append(errs, fmt.Errorf("steps: must be >= 1, got %d", opt.Steps))
	}
	if opt.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers: must be >= 0, got %d", opt.Workers))
	}
	return errors.Join(errs...)
}

// DivergenceError reports that training produced a cross-entropy that is NaN or infinite, or
// one more than ExplodeFactor times max(1, its value at the initial weights): with numerical
// gradients an overflowing network often saturates (its gradient vanishes) while E stays
// finite but huge, which is divergence all the same.
type DivergenceError struct {
	Step   int     // the update (counting from 1) after which E was not finite, or exploded
	Start  float64 // the training cross-entropy at the initial weights
	TrainE float64 // the training cross-entropy after that update
	TestE  float64 // the test cross-entropy after that update, NaN without a test set
}

// Error names the step and the non-finite error and suggests a smaller learning rate, e.g.
// "diverged at step 17: train cross-entropy is +Inf; try a smaller learning_rate".
func (e *DivergenceError) Error() string {
	if isFinite(e.TrainE) && (isFinite(e.TestE) || math.IsNaN(e.TestE)) {
		return fmt.Sprintf("diverged at step %d: train cross-entropy rose to %.4g from %.4g at the start; try a smaller learning_rate", e.Step, e.TrainE, e.Start)
	}
	which, val := "train", e.TrainE
	if isFinite(e.TrainE) {
		which, val = "test", e.TestE
	}
	return fmt.Sprintf("diverged at step %d: %s cross-entropy is %v; try a smaller learning_rate", e.Step, which, val)
}

// ExplodeFactor is how many times max(1, E at the initial weights) the training
// cross-entropy may reach before Fit calls it divergence.
const ExplodeFactor = 100

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Fit runs full-batch gradient descent on wv in place, as the book does: Steps times,
// g := train.Gradient(wv); wv ← wv − α g; then it evaluates the training (and, if test is not
// nil, the test) cross-entropy at the new wv and calls observe(step, trainE, testE, wv), step
// counting from 1; testE is NaN when test is nil. The values are the same bits as
// train.Value(wv) and test.Value(wv) (the training one comes from the next gradient's forward
// pass), and the same bits whatever opt.Workers. observe may be nil; it must not keep or
// modify wv (copy it).
//
// Fit checks ctx before every update and returns its error, wrapped, if it is done. If a
// cross-entropy after an update is NaN or infinite, Fit returns a *DivergenceError for that
// step without calling observe for it (observe has seen every earlier step); wv then holds the
// diverged weights. Fit returns an error if the options are out of range, wv does not have
// P elements, or test's shape differs from train's. Its steps allocate nothing.
func Fit(ctx context.Context, train, test *Objective, wv []float64, opt Options, observe func(step int, trainE, testE float64, wv []float64)) error {
	if err := opt.Validate(); err != nil {
		return fmt.Errorf("training options: %w", err)
	}
	s := train.shape
	if len(wv) != s.NumParams() {
		return fmt.Errorf("initial weights: %d values, want %d for %d-%d-%d", len(wv), s.NumParams(), s.D, s.M, s.K)
	}
	if test != nil && test.shape != s {
		return fmt.Errorf("test set: network shape %+v differs from the training set's %+v", test.shape, s)
	}
	run := newRunner(train, test, opt)
	defer run.close()
	g := make([]float64, len(wv))
	// The gradient at wv_s also yields E(wv_s), so the training error after step s is
	// reported once the next gradient is computed (or at the end): one forward pass less.
	start := math.NaN()
	report := func(step int, trainE float64) error {
		testE := run.value(test, wv)
		if !isFinite(trainE) || (test != nil && !isFinite(testE)) || trainE > ExplodeFactor*math.Max(1, start) {
			return &DivergenceError{Step: step, TrainE: trainE, TestE: testE, Start: start}
		}
		if observe != nil {
			observe(step, trainE, testE, wv)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("training stopped before step 1: %w", err)
	}
	for step := 1; step <= opt.Steps; step++ {
		e := run.gradient(g, wv) // E(wv) after step−1 updates
		if step == 1 {
			start = e
		}
		if step > 1 {
			if err := report(step-1, e); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("training stopped before step %d: %w", step, err)
		}
		for p, gp := range g {
			wv[p] -= opt.LearningRate * gp
		}
	}
	return report(opt.Steps, run.value(train, wv))
}
