package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Options configures Fit. Its zero values beyond Method, Epsilon, LearningRate and Steps
// are the book's training: every row in each update, plain gradient descent at a constant
// rate, no early stopping.
type Options struct {
	// Method is how the gradient is computed; the zero value is Numerical.
	Method Method
	// Epsilon is the central-difference step ε of the numerical methods, > 0 (the book uses
	// 0.001). It is ignored by Backprop.
	Epsilon float64
	// LearningRate is the step size α > 0 of wv ← wv − α g (the book uses 0.5), the base of the
	// schedule's rate α_s.
	LearningRate float64
	// Steps is the number of updates, >= 1 (the book makes 1000).
	Steps int
	// Workers is the number of goroutines that compute a gradient on problems large enough to
	// gain from it; 0 or 1 means one, and Fit starts no more than its largest job has units of
	// work (chunks of rows, or parameter blocks). The results do not depend on it, bit for bit.
	Workers int

	// Optimizer is the update rule; the zero value is GD, the book's.
	Optimizer Optimizer
	// Momentum is μ of Momentum and Nesterov, in [0, 1] (scikit-learn's default is 0.9).
	Momentum float64
	// Beta1 and Beta2 are Adam's decay rates of its moment estimates, each in [0, 1)
	// (0.9 and 0.999).
	Beta1, Beta2 float64
	// AdamEpsilon is Adam's ε > 0 in the denominator √v + ε (1e-8).
	AdamEpsilon float64

	// Schedule sets the rate α_s of update s from LearningRate; the zero value is Constant.
	Schedule Schedule
	// PowerT is InvScaling's exponent, >= 0 (0.5).
	PowerT float64
	// DecayFactor and DecayEvery are StepDecay's: the rate is multiplied by DecayFactor, in
	// (0, 1], every DecayEvery >= 1 updates.
	DecayFactor float64
	DecayEvery  int

	// BatchSize is the number of training rows of one update: 0, or the number of rows, for
	// all of them in data order (the book's); fewer are drawn in the order of a permutation
	// of the rows that Shuffle makes anew at the start of every epoch, the last update of an
	// epoch taking what remains. It may not exceed the rows.
	BatchSize int
	// Shuffle draws the permutations of the rows; it is needed, and only used, when
	// BatchSize is less than the rows.
	Shuffle Uniform

	// ObserveEvery makes Fit observe only every ObserveEvery-th update (and the first, the
	// last and every early-stopping check): 0 or 1 observes each one. Errors that nothing
	// observes are not computed, which spares a pass over the data per update.
	ObserveEvery int

	// EarlyStopping, when not nil, stops training when the error on held-out rows stops
	// improving, and keeps the best weights.
	EarlyStopping *EarlyStopping
}

// Optimizer is the rule that turns a gradient g into an update of wv, each as scikit-learn's
// MLP defines it (sklearn/neural_network/_stochastic_optimizers.py), at the rate α_s of
// update s:
//
//	GD        wv ← wv − α_s g
//	Momentum  u ← μu − α_s g;  wv ← wv + u
//	Nesterov  u ← μu − α_s g;  wv ← wv + μu − α_s g   (the look-ahead form)
//	Adam      m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
//	          wv ← wv − α_s √(1−β₂ˢ)/(1−β₁ˢ) · m/(√v + ε)
//
// u, m and v start at 0.
type Optimizer int

// The optimizers.
const (
	GD Optimizer = iota
	Momentum
	Nesterov
	Adam
)

// String returns the optimizer's configuration name: "gd", "momentum", "nesterov" or
// "adam".
func (o Optimizer) String() string {
	switch o {
	case GD:
		return "gd"
	case Momentum:
		return "momentum"
	case Nesterov:
		return "nesterov"
	case Adam:
		return "adam"
	}
	return fmt.Sprintf("Optimizer(%d)", int(o))
}

// Schedule sets the rate α_s of update s (counting from 1) from the learning rate α:
//
//	Constant    α_s = α
//	InvScaling  α_s = α / (1 + t)^PowerT, t the training rows the epochs before s went
//	            through: scikit-learn's invscaling, whose t counts samples and moves at the
//	            end of each epoch
//	StepDecay   α_s = α · DecayFactor^⌊(s−1)/DecayEvery⌋
type Schedule int

// The schedules.
const (
	Constant Schedule = iota
	InvScaling
	StepDecay
)

// String returns the schedule's configuration name: "constant", "invscaling" or "step".
func (s Schedule) String() string {
	switch s {
	case Constant:
		return "constant"
	case InvScaling:
		return "invscaling"
	case StepDecay:
		return "step"
	}
	return fmt.Sprintf("Schedule(%d)", int(s))
}

// Uniform is a seeded source of uniform numbers in [0, 1), such as a rand.Rand.
type Uniform interface {
	Float64() float64
}

// EarlyStopping checks the cross-entropy of held-out rows at the end of every epoch (and
// after the last update): when Patience checks in a row have not improved on the best by
// more than MinDelta, training stops; either way Fit leaves wv at the weights of the best
// check.
type EarlyStopping struct {
	// Validation is the held-out rows, of the training objective's shape.
	Validation *Objective
	// Patience is the number of checks without improvement after which training stops, >= 1.
	Patience int
	// MinDelta is the least change of the monitored value that counts as an improvement,
	// >= 0.
	MinDelta float64
	// Accuracy monitors the validation rows' accuracy instead of their cross-entropy, as
	// scikit-learn's MLP does: a check improves when the accuracy exceeds the best by more
	// than MinDelta, and the best check is the first with the highest accuracy.
	Accuracy bool
	// Checked, when not nil, is called with every check, before observe is called for the
	// same update.
	Checked func(Check)
}

// Check is one early-stopping check.
type Check struct {
	Step, Epoch int
	// ValidationE is the cross-entropy of the validation rows after update Step.
	ValidationE float64
	// ValidationAccuracy is their accuracy (a fraction), when it is monitored; NaN otherwise.
	ValidationAccuracy float64
	// Best reports that it is the lowest so far: these weights are kept.
	Best bool
	// Stop reports that Patience checks have passed without improvement: Step is the last
	// update.
	Stop bool
}

// Epoch returns the epoch (counting from 1) of update step when each update takes batch of
// the rows (0: all of them): an epoch is ⌈rows/batch⌉ updates.
func Epoch(step, rows, batch int) int {
	return (step-1)/batchesPerEpoch(rows, batch) + 1
}

func batchesPerEpoch(rows, batch int) int {
	if batch <= 0 || batch >= rows {
		return 1
	}
	return (rows + batch - 1) / batch
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
	unit := func(name string, v float64, closed bool) {
		if !(v >= 0 && (v < 1 || closed && v == 1)) {
			hi := "1)"
			if closed {
				hi = "1]"
			}
			errs = append(errs, fmt.Errorf("%s: must be in [0, %s, got %v", name, hi, v))
		}
	}
	switch opt.Optimizer {
	case GD:
	case Momentum, Nesterov:
		unit("momentum", opt.Momentum, true)
	case Adam:
		unit("beta1", opt.Beta1, false)
		unit("beta2", opt.Beta2, false)
		if !(opt.AdamEpsilon > 0 && opt.AdamEpsilon <= math.MaxFloat64) {
			errs = append(errs, fmt.Errorf("adam epsilon: must be a finite number > 0, got %v", opt.AdamEpsilon))
		}
	default:
		errs = append(errs, fmt.Errorf("optimizer: unknown optimizer %d", int(opt.Optimizer)))
	}
	switch opt.Schedule {
	case Constant:
	case InvScaling:
		if !(opt.PowerT >= 0 && opt.PowerT <= math.MaxFloat64) {
			errs = append(errs, fmt.Errorf("power t: must be a finite number >= 0, got %v", opt.PowerT))
		}
	case StepDecay:
		if !(opt.DecayFactor > 0 && opt.DecayFactor <= 1) {
			errs = append(errs, fmt.Errorf("decay factor: must be in (0, 1], got %v", opt.DecayFactor))
		}
		if opt.DecayEvery < 1 {
			errs = append(errs, fmt.Errorf("decay every: must be >= 1, got %d", opt.DecayEvery))
		}
	default:
		errs = append(errs, fmt.Errorf("schedule: unknown schedule %d", int(opt.Schedule)))
	}
	if opt.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size: must be >= 0, got %d", opt.BatchSize))
	}
	if opt.ObserveEvery < 0 {
		errs = append(errs, fmt.Errorf("observe every: must be >= 0, got %d", opt.ObserveEvery))
	}
	if es := opt.EarlyStopping; es != nil {
		if es.Validation == nil {
			errs = append(errs, errors.New("early stopping: no validation rows"))
		}
		if es.Patience < 1 {
			errs = append(errs, fmt.Errorf("early stopping: patience must be >= 1, got %d", es.Patience))
		}
		if !(es.MinDelta >= 0 && es.MinDelta <= math.MaxFloat64) {
			errs = append(errs, fmt.Errorf("early stopping: min delta must be a finite number >= 0, got %v", es.MinDelta))
		}
	}
	return errors.Join(errs...)
}

// DivergenceError reports that training produced a cross-entropy that is NaN or infinite, or
// one more than ExplodeFactor times max(1, its value at the initial weights): with numerical
// gradients an overflowing network often saturates (its gradient vanishes) while E stays
// finite but huge, which is divergence all the same.
//
// With mini-batches, the training cross-entropy checked between observed updates is that of
// the next update's batch.
type DivergenceError struct {
	Step   int     // the update (counting from 1) after which E was not finite, or exploded
	Start  float64 // the training cross-entropy at the initial weights
	TrainE float64 // the training cross-entropy after that update
	TestE  float64 // the test cross-entropy after that update, NaN without a test set
	// ValidationE is the early-stopping rows' cross-entropy when it was the one not finite;
	// 0 otherwise.
	ValidationE float64
}

// Error names the step and the non-finite error and suggests a smaller learning rate, e.g.
// "diverged at step 17: train cross-entropy is +Inf; try a smaller learning_rate".
func (e *DivergenceError) Error() string {
	if isFinite(e.TrainE) && (isFinite(e.TestE) || math.IsNaN(e.TestE)) {
		if !isFinite(e.ValidationE) {
			return fmt.Sprintf("diverged at step %d: validation cross-entropy is %v; try a smaller learning_rate", e.Step, e.ValidationE)
		}
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

// Fit runs gradient descent on wv in place. With the zero options it does what the book
// does: Steps times, g := train.Gradient(wv); wv ← wv − α g. Options choose the rows of each
// update (BatchSize), the update rule (Optimizer) and its rate (Schedule), and early stopping.
//
// After an update it evaluates the training (and, if test is not nil, the test)
// cross-entropy at the new wv and calls observe(step, trainE, testE, wv), step counting from
// 1, for the updates Options.ObserveEvery selects (every one by default); testE is NaN when
// test is nil. The values are the same bits as train.Value(wv) and test.Value(wv) (with full
// batches the training one comes from the next gradient's forward pass), and the same bits
// whatever opt.Workers. observe may be nil; it must not keep or modify wv (copy it).
//
// Fit checks ctx before every update and returns its error, wrapped, if it is done. If a
// cross-entropy after an update is NaN or infinite, Fit returns a *DivergenceError for that
// step without calling observe for it (observe has seen every earlier step it selects); wv
// then holds the diverged weights. With early stopping, wv ends at the best check's weights,
// whether patience ran out or the steps did. Fit returns an error if the options are out of
// range, wv does not have P elements, test's or the validation rows' shape differs from
// train's, or BatchSize exceeds train's rows. Its steps allocate nothing.
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
	if es := opt.EarlyStopping; es != nil && es.Validation.shape != s {
		return fmt.Errorf("validation set: network shape %+v differs from the training set's %+v", es.Validation.shape, s)
	}
	if opt.BatchSize > train.n {
		return fmt.Errorf("batch size: %d is more than the %d training rows", opt.BatchSize, train.n)
	}
	if opt.BatchSize > 0 && opt.BatchSize < train.n && opt.Shuffle == nil {
		return fmt.Errorf("batch size: %d of %d rows needs a Shuffle source", opt.BatchSize, train.n)
	}
	t := newTrainer(train, test, wv, opt, observe)
	defer t.run.close()
	if t.batch == train {
		return t.fullBatches(ctx)
	}
	return t.miniBatches(ctx)
}
