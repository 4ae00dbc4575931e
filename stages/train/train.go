// Package train is the `train` stage kind: it fits the two-layer network
// by full-batch gradient descent, with the numerical (central difference)
// gradient by default or back-propagation, recording the history; or, as
// scikit-learn's MLPClassifier does, by mini-batches, momentum, Nesterov or
// Adam, a weight decay, a decaying rate and early stopping.
//
// The parameters added for those (optimizer and after) are left out of the
// canonical form that cache keys and config hashes hash while they hold the
// values that train as the book does, so the keys of every config written
// before them stay as they were (see Params.MarshalYAML).
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
	"github.com/nnpipe/nnpipe/stages/rng"
)

// Params are the `train` stage's parameters.
type Params struct {
	Hidden       int     `yaml:"hidden" doc:"hidden units M, 1 to 100,000"`
	Gradient     string  `yaml:"gradient" doc:"numerical (central difference) or backprop (analytic)"`
	Numerical    string  `yaml:"numerical" doc:"how the numerical gradient is computed: fast, or full (the plain definition, for teaching)"`
	Epsilon      float64 `yaml:"epsilon" doc:"central-difference step ε, > 0"`
	LearningRate float64 `yaml:"learning_rate" doc:"learning rate α, > 0"`
	Steps        int     `yaml:"steps" doc:"number of gradient-descent updates, 1 to 1,000,000,000"`
	RecordEvery  int     `yaml:"record_every" doc:"record the history every this many steps (the last step always; at most a million rows), >= 1"`
	Init         Init    `yaml:"init" doc:"initial weights"`

	Optimizer     string         `yaml:"optimizer" doc:"update rule, as scikit-learn's: gd (plain gradient descent, the book's), momentum, nesterov or adam"`
	Momentum      float64        `yaml:"momentum" doc:"momentum and nesterov: μ of u ← μu − α g, 0 to 1"`
	Beta1         float64        `yaml:"beta1" doc:"adam: decay rate of the first moment, 0 to below 1"`
	Beta2         float64        `yaml:"beta2" doc:"adam: decay rate of the second moment, 0 to below 1"`
	AdamEpsilon   float64        `yaml:"adam_epsilon" doc:"adam: ε of m/(√v + ε), > 0"`
	BatchSize     int            `yaml:"batch_size" doc:"training rows per update, drawn in a seeded order reshuffled every epoch; 0: all of them in data order (the book's)"`
	L2            float64        `yaml:"l2" doc:"weight decay α, scikit-learn's alpha: adds α/(2·batch rows)·Σ w² over the weights (not the biases) to what the gradient differentiates, >= 0"`
	Schedule      string         `yaml:"schedule" doc:"learning rate by update: constant, invscaling (α/(1+t)^power_t, t the rows of the epochs before, as scikit-learn's) or step (× decay_factor every decay_every steps)"`
	PowerT        float64        `yaml:"power_t" doc:"invscaling: the exponent, >= 0"`
	DecayFactor   float64        `yaml:"decay_factor" doc:"step: the factor, above 0 and at most 1"`
	DecayEvery    int            `yaml:"decay_every" doc:"step: the steps between two decays, >= 1"`
	EarlyStopping *EarlyStopping `yaml:"early_stopping" doc:"hold out training rows and stop when their error stops improving, keeping the best epoch's weights; absent: off"`
}

// EarlyStopping holds out a stratified, seeded part of the training rows and
// checks their cross-entropy at the end of every epoch (and after the last
// step): after patience checks without a decrease of more than min_delta,
// training stops. The weights of the best check are kept.
type EarlyStopping struct {
	ValidationFraction float64 `yaml:"validation_fraction" doc:"share of each class's training rows held out, above 0 and below 1"`
	Patience           int     `yaml:"patience" doc:"epochs without improvement after which training stops, >= 1"`
	MinDelta           float64 `yaml:"min_delta" doc:"least change of the monitored value that counts as an improvement, >= 0"`
	Monitor            string  `yaml:"monitor" doc:"what improves: cross_entropy (lower) of the held-out rows, or accuracy (higher; scikit-learn's criterion, whose n_iter_no_change is patience - 1)"`
}

// SetDefaults sets the defaults: a tenth held out, patience 10, the
// cross-entropy monitored.
func (e *EarlyStopping) SetDefaults() {
	*e = EarlyStopping{ValidationFraction: 0.1, Patience: 10, MinDelta: 0, Monitor: "cross_entropy"}
}

// The values of the parameters added after the book's with which training is
// the book's, and which Params.MarshalYAML leaves out. They are fixed: a
// future default may differ, but these values stay what the keys leave out.
const (
	bookOptimizer   = "gd"
	bookMomentum    = 0.9
	bookBeta1       = 0.9
	bookBeta2       = 0.999
	bookAdamEpsilon = 1e-8
	bookSchedule    = "constant"
	bookPowerT      = 0.5
	bookDecayFactor = 0.5
	bookDecayEvery  = 100
)

// paramsYAML is Params as its YAML form and canonical JSON show it: the
// book's parameters always, the others only when they differ from the
// values that keep older keys.
type paramsYAML struct {
	Hidden        int            `yaml:"hidden"`
	Gradient      string         `yaml:"gradient"`
	Numerical     string         `yaml:"numerical"`
	Epsilon       float64        `yaml:"epsilon"`
	LearningRate  float64        `yaml:"learning_rate"`
	Steps         int            `yaml:"steps"`
	RecordEvery   int            `yaml:"record_every"`
	Init          Init           `yaml:"init"`
	Optimizer     *string        `yaml:"optimizer,omitempty"`
	Momentum      *float64       `yaml:"momentum,omitempty"`
	Beta1         *float64       `yaml:"beta1,omitempty"`
	Beta2         *float64       `yaml:"beta2,omitempty"`
	AdamEpsilon   *float64       `yaml:"adam_epsilon,omitempty"`
	BatchSize     int            `yaml:"batch_size,omitempty"`
	L2            float64        `yaml:"l2,omitempty"`
	Schedule      *string        `yaml:"schedule,omitempty"`
	PowerT        *float64       `yaml:"power_t,omitempty"`
	DecayFactor   *float64       `yaml:"decay_factor,omitempty"`
	DecayEvery    *int           `yaml:"decay_every,omitempty"`
	EarlyStopping *EarlyStopping `yaml:"early_stopping,omitempty"`
}

// MarshalYAML returns the parameters with those added after the book's left
// out where they hold the values that train as the book does (gd, constant,
// batch_size 0, l2 0, no early stopping, and scikit-learn's values of the
// optimizers' and schedules' own parameters). The cache key, the config hash
// and config.yaml are made from this form, so a config that does not use the
// new parameters keeps the keys and the hash it had before they existed,
// and writing a parameter at that value changes nothing either.
func (p *Params) MarshalYAML() (any, error) {
	y := paramsYAML{Hidden: p.Hidden, Gradient: p.Gradient, Numerical: p.Numerical, Epsilon: p.Epsilon,
		LearningRate: p.LearningRate, Steps: p.Steps, RecordEvery: p.RecordEvery, Init: p.Init,
		BatchSize: p.BatchSize, L2: p.L2, EarlyStopping: p.EarlyStopping}
	y.Optimizer = unless(p.Optimizer, bookOptimizer)
	y.Momentum = unless(p.Momentum, bookMomentum)
	y.Beta1 = unless(p.Beta1, bookBeta1)
	y.Beta2 = unless(p.Beta2, bookBeta2)
	y.AdamEpsilon = unless(p.AdamEpsilon, bookAdamEpsilon)
	y.Schedule = unless(p.Schedule, bookSchedule)
	y.PowerT = unless(p.PowerT, bookPowerT)
	y.DecayFactor = unless(p.DecayFactor, bookDecayFactor)
	y.DecayEvery = unless(p.DecayEvery, bookDecayEvery)
	return y, nil
}

// unless returns a pointer to a copy of v, or nil when v is omit.
func unless[T comparable](v, omit T) *T {
	if v == omit {
		return nil
	}
	return &v
}

// Init says how the initial weights are drawn: each N(0, std²).
type Init struct {
	Std  float64 `yaml:"std" doc:"standard deviation of the initial weights, >= 0"`
	Seed *uint64 `yaml:"seed" doc:"random seed of the initial weights, and of the mini-batches' order and the rows early stopping holds out; default derived from the master seed and the stage id"`
	RNG  string  `yaml:"rng" doc:"random generator: pcg, or numpy (np.random.seed(seed); np.random.normal(0, std, P))"`
}

// Limits on sizes a run can be asked for.
const (
	MaxHidden = 100_000
	MaxSteps  = 1_000_000_000
	// largeParams is where training warns, before any work on the
	// network, of the number of evaluations of E a numerical step makes
	// and how long the steps will take.
	largeParams = 100_000
	// estimateAbove is the projected training time above which training
	// warns, after its first step, how long it will take.
	estimateAbove = 30 * time.Second
	// MaxHistoryParams is the most parameters whose values history.parquet
	// records step by step; larger networks record only the errors.
	MaxHistoryParams = 1000
	// MaxHistoryRows bounds the rows of history.parquet: a longer run
	// records every ⌈steps/MaxHistoryRows⌉ steps at least; with early
	// stopping, half the rows go to the steps and half to the checks.
	MaxHistoryRows = 1_000_000
)

// NewParams returns the defaults: the book's settings with two hidden units.
func NewParams() *Params {
	return &Params{Hidden: 2, Gradient: "numerical", Numerical: "fast", Epsilon: 0.001,
		LearningRate: 0.5, Steps: 1000, RecordEvery: 1, Init: Init{Std: 0.01, RNG: rng.PCG},
		Optimizer: bookOptimizer, Momentum: bookMomentum, Beta1: bookBeta1, Beta2: bookBeta2, AdamEpsilon: bookAdamEpsilon,
		Schedule: bookSchedule, PowerT: bookPowerT, DecayFactor: bookDecayFactor, DecayEvery: bookDecayEvery}
}

// DefaultSeeds fills an unset init seed from the master seed and the stage id.
func (p *Params) DefaultSeeds(master uint64, id string) {
	rng.DefaultSeed(&p.Init.Seed, p.Init.RNG, master, id, "init")
}

// Validate checks ranges.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if p.Hidden < 1 || p.Hidden > MaxHidden {
		errs = append(errs, pipeline.Errorf("hidden", "must be between 1 and %d, got %d", MaxHidden, p.Hidden))
	}
	if _, err := p.method(); err != nil {
		key := "gradient"
		if strings.HasPrefix(err.Error(), "numerical") {
			key = "numerical"
		}
		errs = append(errs, pipeline.Errorf(key, "%v", err))
	}
	if !(p.Epsilon > 0) || math.IsInf(p.Epsilon, 0) {
		errs = append(errs, pipeline.RangeError("epsilon", p.Epsilon, "> 0"))
	}
	if !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0) {
		errs = append(errs, pipeline.RangeError("learning_rate", p.LearningRate, "> 0"))
	}
	if p.Steps < 1 || p.Steps > MaxSteps {
		errs = append(errs, pipeline.Errorf("steps", "must be between 1 and %d, got %d", MaxSteps, p.Steps))
	}
	if p.RecordEvery < 1 {
		errs = append(errs, pipeline.Errorf("record_every", "must be >= 1, got %d", p.RecordEvery))
	}
	if !(p.Init.Std >= 0) || math.IsInf(p.Init.Std, 0) {
		errs = append(errs, pipeline.RangeError("init.std", p.Init.Std, ">= 0"))
	}
	seed := uint64(0)
	if p.Init.Seed != nil {
		seed = *p.Init.Seed
	}
	if _, err := rng.New(p.Init.RNG, seed); err != nil {
		key := "init.rng"
		if errors.Is(err, rng.ErrSeedRange) {
			key = "init.seed"
		}
		errs = append(errs, pipeline.Errorf(key, "%v", err))
	}
	return append(errs, p.validateTraining()...)
}

// validateTraining checks the parameters added after the book's.
func (p *Params) validateTraining() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if _, err := p.optimizer(); err != nil {
		errs = append(errs, pipeline.Errorf("optimizer", "%v", err))
	}
	if _, err := p.schedule(); err != nil {
		errs = append(errs, pipeline.Errorf("schedule", "%v", err))
	}
	within := func(key string, v float64, closedHi bool) {
		if closedHi && !(v >= 0 && v <= 1) {
			errs = append(errs, pipeline.RangeError(key, v, "between 0 and 1"))
		} else if !closedHi && !(v >= 0 && v < 1) {
			errs = append(errs, pipeline.RangeError(key, v, ">= 0 and below 1"))
		}
	}
	within("momentum", p.Momentum, true)
	within("beta1", p.Beta1, false)
	within("beta2", p.Beta2, false)
	if !(p.AdamEpsilon > 0) || math.IsInf(p.AdamEpsilon, 0) {
		errs = append(errs, pipeline.RangeError("adam_epsilon", p.AdamEpsilon, "> 0"))
	}
	if p.BatchSize < 0 {
		errs = append(errs, pipeline.Errorf("batch_size", "must be >= 0 (0: all training rows), got %d", p.BatchSize))
	}
	if !(p.L2 >= 0) || math.IsInf(p.L2, 0) {
		errs = append(errs, pipeline.RangeError("l2", p.L2, ">= 0"))
	}
	if !(p.PowerT >= 0) || math.IsInf(p.PowerT, 0) {
		errs = append(errs, pipeline.RangeError("power_t", p.PowerT, ">= 0"))
	}
	if !(p.DecayFactor > 0 && p.DecayFactor <= 1) {
		errs = append(errs, pipeline.RangeError("decay_factor", p.DecayFactor, "above 0 and at most 1"))
	}
	if p.DecayEvery < 1 {
		errs = append(errs, pipeline.Errorf("decay_every", "must be >= 1, got %d", p.DecayEvery))
	}
	if es := p.EarlyStopping; es != nil {
		if !(es.ValidationFraction > 0 && es.ValidationFraction < 1) {
			errs = append(errs, pipeline.RangeError("early_stopping.validation_fraction", es.ValidationFraction, "strictly between 0 and 1"))
		}
		if es.Patience < 1 {
			errs = append(errs, pipeline.Errorf("early_stopping.patience", "must be >= 1, got %d", es.Patience))
		}
		if !(es.MinDelta >= 0) || math.IsInf(es.MinDelta, 0) {
			errs = append(errs, pipeline.RangeError("early_stopping.min_delta", es.MinDelta, ">= 0"))
		}
		if es.Monitor != "cross_entropy" && es.Monitor != "accuracy" {
			errs = append(errs, pipeline.Errorf("early_stopping.monitor", "must be cross_entropy or accuracy, got %s", config.QuoteShort(es.Monitor)))
		}
	}
	return errs
}

func (p *Params) optimizer() (nn.Optimizer, error) {
	for _, o := range []nn.Optimizer{nn.GD, nn.Momentum, nn.Nesterov, nn.Adam} {
		if p.Optimizer == o.String() {
			return o, nil
		}
	}
	return 0, fmt.Errorf("must be gd, momentum, nesterov or adam, got %s", config.QuoteShort(p.Optimizer))
}

func (p *Params) schedule() (nn.Schedule, error) {
	for _, s := range []nn.Schedule{nn.Constant, nn.InvScaling, nn.StepDecay} {
		if p.Schedule == s.String() {
			return s, nil
		}
	}
	return 0, fmt.Errorf("must be constant, invscaling or step, got %s", config.QuoteShort(p.Schedule))
}

func (p *Params) method() (nn.Method, error) {
	switch p.Gradient {
	case "backprop":
		return nn.Backprop, nil
	case "numerical":
		switch p.Numerical {
		case "fast":
			return nn.Numerical, nil
		case "full":
			return nn.NumericalFull, nil
		}
		return 0, fmt.Errorf("numerical: must be fast or full, got %s", config.QuoteShort(p.Numerical))
	}
	return 0, fmt.Errorf("must be numerical or backprop, got %s", config.QuoteShort(p.Gradient))
}

// UnusedKeys names the parameters that do not affect training: with
// back-propagation, those of the numerical gradient; the optimizers' and
// schedules' own parameters, but for the optimizer and the schedule chosen;
// with init.std 0, which makes every initial weight 0 whatever is drawn,
// init.rng, and init.seed too unless mini-batches' order or early
// stopping's held-out rows draw from it (always with PCG, so never from
// init.rng).
func (p *Params) UnusedKeys() []string {
	var keys []string
	if p.Init.Std == 0 {
		keys = append(keys, "init.rng")
		if p.BatchSize == 0 && p.EarlyStopping == nil {
			keys = append(keys, "init.seed")
		}
	}
	if p.Gradient == "backprop" {
		keys = append(keys, "epsilon", "numerical")
	}
	if p.Optimizer != "momentum" && p.Optimizer != "nesterov" {
		keys = append(keys, "momentum")
	}
	if p.Optimizer != "adam" {
		keys = append(keys, "beta1", "beta2", "adam_epsilon")
	}
	if p.Schedule != "invscaling" {
		keys = append(keys, "power_t")
	}
	if p.Schedule != "step" {
		keys = append(keys, "decay_factor", "decay_every")
	}
	return keys
}

// Spec returns the stage kind. Its runs share one nn.Estimator, so that
// the estimates of a sweep's large networks are calibrated once.
func Spec() pipeline.Spec {
	est := nn.NewEstimator()
	return pipeline.Spec{
		// Version 2: model.json is self-sufficient (model.Format 2): the label column, the
		// preprocessing and the nnpipe version that trained it. Version 3: the fast
		// numerical gradient no longer overflows where ε·x passes 709 (it was NaN, or a
		// row's difference 0); entries of version 2 for such data are wrong, so none is used.
		Kind: "train", Version: 3,
		Doc:    "fits the two-layer network by gradient descent (numerical or back-propagated gradient), or as scikit-learn's MLP: Adam, mini-batches, l2, early stopping",
		Inputs: []pipeline.Input{{Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}},
		Outputs: []pipeline.Output{
			{Slot: "model", Type: "model", File: "model.json", Publish: true, Model: true, From: []string{"dataset", "split"}},
			{Slot: "history", Type: "history", File: "history.parquet", Publish: true, From: []string{"dataset", "split"}},
		},
		NewParams: func() pipeline.Params { return NewParams() },
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			return run(ctx, p.(*Params), io, est)
		},
		Cost: func(p pipeline.Params, q pipeline.CostQuery) pipeline.Cost {
			return cost(p.(*Params), q, est)
		},
		Headline: func(p pipeline.Params) []pipeline.Headline { return headline(p.(*Params)) },
		StoppedAt: func(p pipeline.Params, output func(string) string) (int, bool, error) {
			m, err := model.Read(output("model"))
			if err != nil {
				return 0, false, err
			}
			return m.Steps, m.Steps < p.(*Params).Steps, nil
		},
	}
}

func run(ctx context.Context, p *Params, io *pipeline.IO, est *nn.Estimator) error {
	d, trainPart, testPart, err := model.ReadSplit(io.Input("dataset"), io.Input("split"))
	if err != nil {
		return err
	}
	shape := nn.Shape{D: d.Dims(), M: p.Hidden, K: len(d.Classes)}
	method, _ := p.method()
	warnIfLarge(io, p, method, shape, trainPart.N(), est)
	lineage, err := model.ReadLineage(io.Input("dataset"))
	if err != nil {
		return err
	}
	m := &model.Model{Format: model.Format, Nnpipe: io.Version, D: shape.D, M: shape.M, K: shape.K,
		Features: d.Features, Label: lineage.Label, Classes: d.Classes, Preprocess: lineage.Preprocess, Gradient: p.Gradient}
	if p.Gradient == "numerical" {
		m.Gradient = "numerical-" + p.Numerical
	}
	wv, err := InitialWeights(shape, p.Init)
	if err != nil {
		return err
	}
	fitPart, valPart := trainPart, model.Part{}
	if p.EarlyStopping != nil {
		if fitPart, valPart, err = holdOut(trainPart, d.Classes, p.EarlyStopping.ValidationFraction, *p.Init.Seed); err != nil {
			return pipeline.Invalid(fmt.Errorf("early_stopping.validation_fraction: %w", err))
		}
	}
	if p.BatchSize > fitPart.N() {
		held := ""
		if p.EarlyStopping != nil {
			held = fmt.Sprintf(" (%d less the %d early_stopping holds out)", trainPart.N(), valPart.N())
		}
		return pipeline.Invalid(fmt.Errorf("batch_size: %d is more than the %d training rows%s", p.BatchSize, fitPart.N(), held))
	}
	epochs := p.BatchSize > 0 && p.BatchSize < fitPart.N()
	stepsPerEpoch := 0
	if epochs {
		stepsPerEpoch = (fitPart.N() + p.BatchSize - 1) / p.BatchSize
	}
	h, err := newHistory(io.Output("history"), shape, stepsPerEpoch, p.EarlyStopping != nil, p.EarlyStopping != nil && p.EarlyStopping.Monitor == "accuracy")
	if err != nil {
		return err
	}
	defer func() {
		if h != nil {
			h.w.Abort()
		}
	}()
	trainObj, err := nn.NewObjective(shape, fitPart.X, fitPart.Labels)
	if err != nil {
		return fmt.Errorf("training rows: %w", err)
	}
	if err := trainObj.SetL2(p.L2); err != nil {
		return err
	}
	testObj, err := nn.NewObjective(shape, testPart.X, testPart.Labels)
	if err != nil {
		return fmt.Errorf("test rows: %w", err)
	}
	var valObj *nn.Objective
	if p.EarlyStopping != nil {
		if valObj, err = nn.NewObjective(shape, valPart.X, valPart.Labels); err != nil {
			return fmt.Errorf("validation rows: %w", err)
		}
	}
	h.epochOf = func(step int) int { return nn.Epoch(step, fitPart.N(), p.BatchSize) }
	if err := h.add(0, trainObj.Value(wv), testObj.Value(wv), value(valObj, wv), accuracy(valObj, wv), wv); err != nil {
		return err
	}
	io.Progress.Start(int64(p.Steps), "train "+io.StageID)
	defer io.Progress.Finish()
	checksMade := 0 // the epochs, hence checks, with early stopping
	if p.EarlyStopping != nil {
		checksMade = nn.Epoch(p.Steps, fitPart.N(), p.BatchSize)
	}
	recordEvery, checkEvery := historyPlan(p.Steps, p.RecordEvery, checksMade)
	if recordEvery > p.RecordEvery {
		io.Log.Warn("recording the history less often, to keep it under a million rows", "stage", io.StageID, "record_every", recordEvery)
	}
	every := max(1, p.Steps/500)
	var writeErr error
	start := time.Now()
	// An early-stopping check comes before the observation of its step.
	valE, valAcc, stopped, bestStep, checks := math.NaN(), math.NaN(), 0, 0, 0
	observe := func(step int, trainE, testE float64, w []float64) {
		if step == 1 && p.Steps > 1 {
			if first := time.Since(start); first*time.Duration(p.Steps) > estimateAbove {
				io.Log.Warn("training will take long", "stage", io.StageID, "first_step", first.Round(time.Millisecond).String(),
					"estimated_total", (first * time.Duration(p.Steps)).Round(time.Second).String())
			}
		}
		checked := !math.IsNaN(valE) && (checks-1)%checkEvery == 0
		if step%recordEvery == 0 || step == p.Steps || step == stopped || checked {
			if err := h.add(step, trainE, testE, valE, valAcc, w); err != nil && writeErr == nil {
				writeErr = err
			}
		}
		valE, valAcc = math.NaN(), math.NaN()
		if step%every == 0 || step == p.Steps {
			io.Progress.Set(int64(step), fmt.Sprintf("%s: train E %.4f", io.StageID, trainE))
		}
	}
	opt, err := p.options(method, io.Workers)
	if err != nil {
		return err
	}
	if epochs {
		opt.ObserveEvery = recordEvery
	}
	if valObj != nil {
		opt.EarlyStopping = &nn.EarlyStopping{Validation: valObj, Patience: p.EarlyStopping.Patience, MinDelta: p.EarlyStopping.MinDelta,
			Accuracy: p.EarlyStopping.Monitor == "accuracy",
			Checked: func(c nn.Check) {
				valE, valAcc = c.ValidationE, c.ValidationAccuracy
				checks++
				if c.Best {
					bestStep = c.Step
				}
				if c.Stop {
					stopped = c.Step
				}
			}}
	}
	err = nn.Fit(ctx, trainObj, testObj, wv, opt, observe)
	if writeErr != nil {
		return writeErr
	}
	if err != nil {
		var div *nn.DivergenceError
		if errors.As(err, &div) {
			// Keep the history up to the divergence: the engine keeps the
			// outputs of a diverged stage for the run directory.
			if cerr := h.close(); cerr == nil {
				h = nil
			}
			if col, big := largestFeature(fitPart.X, shape.D); big >= largeFeature {
				err = fmt.Errorf("%w, or scale the features (the standardize stage): column %q reaches %.3g", err, d.Features[col], big)
			}
			return pipeline.Diverged(err)
		}
		return err
	}
	if zeroGradient(trainObj, wv, method, p.Epsilon) {
		io.Log.Warn("the gradient at the final weights is exactly zero: "+zeroGradientCause(wv, method, p.Epsilon, p.Init.Std), "stage", io.StageID)
	}
	if err := h.close(); err != nil {
		return err
	}
	h = nil
	m.Weights, m.Steps, m.L2, m.BestStep = wv, p.Steps, p.L2, bestStep
	if stopped > 0 {
		m.Steps = stopped
		io.Log.Info("early stopping", "stage", io.StageID, "stopped_at", stopped, "best_step", bestStep)
	}
	return m.Write(io.Output("model"))
}

// largeFeature is the size of feature value from which a divergence's
// message points at the data's scale, not only at the learning rate: a
// gradient step moves the weights by the learning rate times the features,
// and a value of this size overflows or saturates the network within steps
// at any usual learning rate.
const largeFeature = 1e4

// largestFeature returns the column of x (rows of d values) that holds the
// value of the largest magnitude, and that magnitude.
func largestFeature(x []float64, d int) (col int, size float64) {
	for i, v := range x {
		if a := math.Abs(v); a > size {
			col, size = i%d, a
		}
	}
	return col, size
}

// warnIfLarge warns of a network of largeParams parameters or more, with
// the evaluations of E a numerical step makes and the estimated times of a
// step and of all steps on n training rows. It comes before anything the
// network's size costs: the estimate times a small problem like this one
// (nn.Estimator), not a step of it.
func warnIfLarge(io *pipeline.IO, p *Params, m nn.Method, shape nn.Shape, n int, est *nn.Estimator) {
	if shape.NumParams() < largeParams || n < 1 {
		return
	}
	step := est.StepSeconds(m, shape, n)
	io.Log.Warn("a large network", "stage", io.StageID, "params", shape.NumParams(),
		"evaluations_of_E_per_numerical_step", 2*shape.NumParams(), "training_rows", n,
		"estimated_step", pipeline.FormatSeconds(step), "estimated_time", pipeline.FormatSeconds(step*float64(p.Steps)))
}

// historyPlan returns how often the history records a step (every
// recordEvery-th at least as often as asked) and an early-stopping check
// (every checkEvery-th of epochs checks; 0 epochs: no early stopping), so
// that, with the last step and the stopping step, it stays within
// MaxHistoryRows + 2 rows: with early stopping, half the rows go to each.
func historyPlan(steps, every, epochs int) (recordEvery, checkEvery int) {
	rows := MaxHistoryRows
	if epochs > 0 {
		rows /= 2
	}
	recordEvery, checkEvery = every, max(1, (epochs+rows-1)/rows)
	if limit := (steps + rows - 1) / rows; limit > recordEvery {
		recordEvery = limit
	}
	return recordEvery, checkEvery
}

// options returns the training options of p: the book's full-batch gradient
// descent unless the parameters added after it say otherwise.
func (p *Params) options(method nn.Method, workers int) (nn.Options, error) {
	o, err := p.optimizer()
	if err != nil {
		return nn.Options{}, err
	}
	sched, err := p.schedule()
	if err != nil {
		return nn.Options{}, err
	}
	opt := nn.Options{Method: method, Epsilon: p.Epsilon, LearningRate: p.LearningRate, Steps: p.Steps, Workers: workers,
		Optimizer: o, Momentum: p.Momentum, Beta1: p.Beta1, Beta2: p.Beta2, AdamEpsilon: p.AdamEpsilon,
		Schedule: sched, PowerT: p.PowerT, DecayFactor: p.DecayFactor, DecayEvery: p.DecayEvery, BatchSize: p.BatchSize}
	if p.BatchSize > 0 {
		opt.Shuffle = rng.NewPCG(rng.Derive(*p.Init.Seed, "train", "order"))
	}
	return opt, nil
}

// value returns o.Value(wv), or NaN without o.
func value(o *nn.Objective, wv []float64) float64 {
	if o == nil {
		return math.NaN()
	}
	return o.Value(wv)
}

// accuracy returns the fraction of o's rows predicted right at wv, or NaN
// without o.
func accuracy(o *nn.Objective, wv []float64) float64 {
	if o == nil {
		return math.NaN()
	}
	pred := make([]int32, o.Len())
	o.Predict(pred, wv)
	right := 0
	for i, c := range pred {
		if c == o.Label(i) {
			right++
		}
	}
	return float64(right) / float64(len(pred))
}

// holdOut divides a training part for early stopping: of each class's n_c
// rows, round(fraction·n_c) chosen by a seeded shuffle are held out for
// validation, the rest train; both keep the part's order. A class with rows
// that would have none on either side is an error naming it.
func holdOut(part model.Part, classes []string, fraction float64, seed uint64) (fit, val model.Part, err error) {
	n := part.N()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	src := rng.NewPCG(rng.Derive(seed, "train", "validation"))
	for i := n - 1; i > 0; i-- {
		j := int(src.Float64() * float64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	counts := make([]int, len(classes))
	for _, l := range part.Labels {
		counts[l]++
	}
	take := make([]int, len(classes))
	for c, nc := range counts {
		k := int(math.Round(fraction * float64(nc)))
		if nc > 0 && (k == 0 || k == nc) {
			side := "validation part"
			if k == nc {
				side = "rows left to train on"
			}
			return model.Part{}, model.Part{}, fmt.Errorf("%v of class %q's %d training rows leaves the %s without that class (round(%v × %d) = %d held out); change validation_fraction or use more data",
				fraction, classes[c], nc, side, fraction, nc, k)
		}
		take[c] = k
	}
	held := make([]bool, n)
	for _, i := range order {
		if c := part.Labels[i]; take[c] > 0 {
			take[c]--
			held[i] = true
		}
	}
	dim := len(part.X) / max(n, 1)
	for i := range n {
		dst := &fit
		if held[i] {
			dst = &val
		}
		dst.Rows = append(dst.Rows, part.Rows[i])
		dst.X = append(dst.X, part.X[i*dim:(i+1)*dim]...)
		dst.Labels = append(dst.Labels, part.Labels[i])
	}
	return fit, val, nil
}

// zeroGradient reports whether every component of the gradient at wv is
// zero, which for the numerical gradient means ε is so small that w ± ε
// rounds to w.
func zeroGradient(o *nn.Objective, wv []float64, m nn.Method, eps float64) bool {
	g := make([]float64, len(wv))
	o.Gradient(g, wv, m, eps)
	for _, x := range g {
		if x != 0 {
			return false
		}
	}
	return true
}

// zeroGradientCause says why the gradient at wv may be exactly zero: for a
// numerical gradient whose ε vanishes beside every weight (w ± ε rounds to
// w), ε; otherwise a stationary point, which a symmetric start (init.std
// 0: every hidden unit the same) makes likely.
func zeroGradientCause(wv []float64, m nn.Method, eps, initStd float64) string {
	if m != nn.Backprop {
		vanishes := true
		for _, w := range wv {
			if w+eps != w || w-eps != w {
				vanishes = false
				break
			}
		}
		if vanishes {
			return fmt.Sprintf("epsilon %g is too small beside the weights for w ± epsilon to differ from w", eps)
		}
	}
	if initStd == 0 {
		return "training stayed at a stationary point: with init.std 0 every hidden unit starts, and stays, the same; give init.std a value > 0"
	}
	return "training reached a stationary point, where nothing changes"
}

// InitialWeights draws the P initial weights, each 0 + std·N(0,1) in order,
// which for rng numpy is np.random.seed(seed); np.random.normal(0, std, P).
func InitialWeights(s nn.Shape, in Init) ([]float64, error) {
	src, err := rng.New(in.RNG, *in.Seed)
	if err != nil {
		return nil, err
	}
	wv := make([]float64, s.NumParams())
	for i := range wv {
		wv[i] = 0 + float64(in.Std*src.NormFloat64())
	}
	return wv, nil
}

// history streams the training history into history.parquet: step,
// epoch (with mini-batches), train_ce, test_ce, val_ce (with early stopping)
// and one column per parameter (w_j_i, v_k_j).
type history struct {
	w       *dataset.TableWriter
	shape   nn.Shape
	buf     [][]float64 // per parameter, the pending values
	steps   []int64
	epochs  []int64 // nil without mini-batches
	tr      []float64
	te      []float64
	val     []float64 // nil without early stopping
	valAcc  []float64 // nil unless early stopping monitors the accuracy
	epochOf func(step int) int
}

const historyBatch = 1024

// newHistory starts history.parquet; stepsPerEpoch > 0 adds the epoch
// column (and says it in the metadata), val the validation
// cross-entropy's (NaN at the steps without an early-stopping check), valAcc
// the validation accuracy's.
func newHistory(path string, s nn.Shape, stepsPerEpoch int, val, valAcc bool) (*history, error) {
	epochs := stepsPerEpoch > 0
	fields := []dataset.Field{{Name: "step", Type: dataset.Int64}}
	if epochs {
		fields = append(fields, dataset.Field{Name: "epoch", Type: dataset.Int64})
	}
	fields = append(fields, dataset.Field{Name: "train_ce", Type: dataset.Float64}, dataset.Field{Name: "test_ce", Type: dataset.Float64})
	if val {
		fields = append(fields, dataset.Field{Name: "val_ce", Type: dataset.Float64})
	}
	if valAcc {
		fields = append(fields, dataset.Field{Name: "val_accuracy", Type: dataset.Float64})
	}
	params := s.NumParams()
	if params > MaxHistoryParams {
		params = 0
	}
	for p := range params {
		fields = append(fields, dataset.Field{Name: model.HistoryColumn(s, p), Type: dataset.Float64})
	}
	meta := map[string]string{"nnpipe.layout": "wv = [w (M×(D+1)) row-major, v (K×(M+1)) row-major]; step 0 is the initial weights"}
	if params == 0 {
		meta["nnpipe.layout"] = fmt.Sprintf("%d parameters: more than %d, so only the errors are recorded; step 0 is the initial weights", s.NumParams(), MaxHistoryParams)
	}
	if epochs {
		meta[model.HistoryStepsPerEpoch] = strconv.Itoa(stepsPerEpoch)
	}
	w, err := dataset.CreateTable(path, fields, meta)
	if err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	h := &history{w: w, shape: s, buf: make([][]float64, params),
		steps: make([]int64, 0, historyBatch), tr: make([]float64, 0, historyBatch), te: make([]float64, 0, historyBatch)}
	if epochs {
		h.epochs = make([]int64, 0, historyBatch)
	}
	if val {
		h.val = make([]float64, 0, historyBatch)
	}
	if valAcc {
		h.valAcc = make([]float64, 0, historyBatch)
	}
	for p := range h.buf {
		h.buf[p] = make([]float64, 0, historyBatch)
	}
	return h, nil
}

// add records the errors and weights after step (0: the initial weights).
func (h *history) add(step int, trainE, testE, valE, valAcc float64, wv []float64) error {
	h.steps = append(h.steps, int64(step))
	if h.epochs != nil {
		e := 0
		if step > 0 {
			e = h.epochOf(step)
		}
		h.epochs = append(h.epochs, int64(e))
	}
	h.tr = append(h.tr, trainE)
	h.te = append(h.te, testE)
	if h.val != nil {
		h.val = append(h.val, valE)
	}
	if h.valAcc != nil {
		h.valAcc = append(h.valAcc, valAcc)
	}
	for p := range h.buf {
		h.buf[p] = append(h.buf[p], wv[p])
	}
	if len(h.steps) >= historyBatch {
		return h.flush()
	}
	return nil
}

func (h *history) flush() error {
	if len(h.steps) == 0 {
		return nil
	}
	cols := []any{h.steps}
	if h.epochs != nil {
		cols = append(cols, h.epochs)
	}
	cols = append(cols, h.tr, h.te)
	if h.val != nil {
		cols = append(cols, h.val)
	}
	if h.valAcc != nil {
		cols = append(cols, h.valAcc)
	}
	for _, b := range h.buf {
		cols = append(cols, b)
	}
	if err := h.w.Append(cols...); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	h.steps, h.tr, h.te = h.steps[:0], h.tr[:0], h.te[:0]
	if h.epochs != nil {
		h.epochs = h.epochs[:0]
	}
	if h.val != nil {
		h.val = h.val[:0]
	}
	if h.valAcc != nil {
		h.valAcc = h.valAcc[:0]
	}
	for p := range h.buf {
		h.buf[p] = h.buf[p][:0]
	}
	return nil
}

func (h *history) close() error {
	if err := h.flush(); err != nil {
		return err
	}
	if err := h.w.Close(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}
