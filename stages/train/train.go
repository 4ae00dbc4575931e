// Package train is the `train` stage kind: it fits the two-layer network
// by full-batch gradient descent, with the numerical (central difference)
// gradient by default or back-propagation, recording the history.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
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
}

// Init says how the initial weights are drawn: each N(0, std²).
type Init struct {
	Std  float64 `yaml:"std" doc:"standard deviation of the initial weights, >= 0"`
	Seed *uint64 `yaml:"seed" doc:"random seed; default derived from the master seed and the stage id"`
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
	// records every ⌈steps/MaxHistoryRows⌉ steps at least.
	MaxHistoryRows = 1_000_000
)

// NewParams returns the defaults: the book's settings with two hidden units.
func NewParams() *Params {
	return &Params{Hidden: 2, Gradient: "numerical", Numerical: "fast", Epsilon: 0.001,
		LearningRate: 0.5, Steps: 1000, RecordEvery: 1, Init: Init{Std: 0.01, RNG: rng.PCG}}
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
		errs = append(errs, pipeline.Errorf("epsilon", "must be > 0, got %v", p.Epsilon))
	}
	if !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0) {
		errs = append(errs, pipeline.Errorf("learning_rate", "must be > 0, got %v", p.LearningRate))
	}
	if p.Steps < 1 || p.Steps > MaxSteps {
		errs = append(errs, pipeline.Errorf("steps", "must be between 1 and %d, got %d", MaxSteps, p.Steps))
	}
	if p.RecordEvery < 1 {
		errs = append(errs, pipeline.Errorf("record_every", "must be >= 1, got %d", p.RecordEvery))
	}
	if !(p.Init.Std >= 0) || math.IsInf(p.Init.Std, 0) {
		errs = append(errs, pipeline.Errorf("init.std", "must be >= 0, got %v", p.Init.Std))
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
	return errs
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
		return 0, fmt.Errorf("numerical: must be fast or full, got %q", p.Numerical)
	}
	return 0, fmt.Errorf("must be numerical or backprop, got %q", p.Gradient)
}

// UnusedKeys names the parameters that do not affect training: with
// back-propagation, those of the numerical gradient.
func (p *Params) UnusedKeys() []string {
	if p.Gradient == "backprop" {
		return []string{"epsilon", "numerical"}
	}
	return nil
}

// Spec returns the stage kind. Its runs share one nn.Estimator, so that
// the estimates of a sweep's large networks are calibrated once.
func Spec() pipeline.Spec {
	est := nn.NewEstimator()
	return pipeline.Spec{
		// Version 2: model.json is self-sufficient (model.Format 2): the label column, the
		// preprocessing and the nnpipe version that trained it.
		Kind: "train", Version: 2,
		Doc:    "fits the two-layer network by gradient descent (numerical or back-propagated gradient)",
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
	h, err := newHistory(io.Output("history"), shape)
	if err != nil {
		return err
	}
	defer func() {
		if h != nil {
			h.w.Abort()
		}
	}()
	trainObj, err := nn.NewObjective(shape, trainPart.X, trainPart.Labels)
	if err != nil {
		return fmt.Errorf("training rows: %w", err)
	}
	testObj, err := nn.NewObjective(shape, testPart.X, testPart.Labels)
	if err != nil {
		return fmt.Errorf("test rows: %w", err)
	}
	if err := h.add(0, trainObj.Value(wv), testObj.Value(wv), wv); err != nil {
		return err
	}
	io.Progress.Start(int64(p.Steps), "train "+io.StageID)
	defer io.Progress.Finish()
	recordEvery := p.RecordEvery
	if limit := (p.Steps + MaxHistoryRows - 1) / MaxHistoryRows; limit > recordEvery {
		recordEvery = limit
		io.Log.Warn("recording the history less often, to keep it under a million rows", "stage", io.StageID, "record_every", recordEvery)
	}
	every := max(1, p.Steps/500)
	var writeErr error
	start := time.Now()
	observe := func(step int, trainE, testE float64, w []float64) {
		if step == 1 && p.Steps > 1 {
			if first := time.Since(start); first*time.Duration(p.Steps) > estimateAbove {
				io.Log.Warn("training will take long", "stage", io.StageID, "first_step", first.Round(time.Millisecond).String(),
					"estimated_total", (first * time.Duration(p.Steps)).Round(time.Second).String())
			}
		}
		if step%recordEvery == 0 || step == p.Steps {
			if err := h.add(step, trainE, testE, w); err != nil && writeErr == nil {
				writeErr = err
			}
		}
		if step%every == 0 || step == p.Steps {
			io.Progress.Set(int64(step), fmt.Sprintf("%s: train E %.4f", io.StageID, trainE))
		}
	}
	opt := nn.Options{Method: method, Epsilon: p.Epsilon, LearningRate: p.LearningRate, Steps: p.Steps, Workers: io.Workers}
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
			return pipeline.Diverged(err)
		}
		return err
	}
	if zeroGradient(trainObj, wv, method, p.Epsilon) {
		io.Log.Warn("the gradient at the final weights is exactly zero: epsilon may be too small for the differences to register", "stage", io.StageID, "epsilon", p.Epsilon)
	}
	if err := h.close(); err != nil {
		return err
	}
	h = nil
	m.Weights, m.Steps = wv, p.Steps
	return m.Write(io.Output("model"))
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

// InitialWeights draws the P initial weights, each 0 + std·N(0,1) in order,
// which for rng numpy is np.random.seed(seed); np.random.normal(0, std, P).
func InitialWeights(s nn.Shape, in Init) ([]float64, error) {
	src, err := rng.New(in.RNG, *in.Seed)
	if err != nil {
		return nil, err
	}
	wv := make([]float64, s.NumParams())
	for i := range wv {
		wv[i] = 0 + in.Std*src.NormFloat64()
	}
	return wv, nil
}

// history streams the training history into history.parquet: step,
// train_ce, test_ce and one column per parameter (w_j_i, v_k_j).
type history struct {
	w     *dataset.TableWriter
	shape nn.Shape
	buf   [][]float64 // per parameter, the pending values
	steps []int64
	tr    []float64
	te    []float64
}

const historyBatch = 1024

// ColumnName returns the history column of parameter p: "w_j_i" or "v_k_j".
func ColumnName(s nn.Shape, p int) string {
	name := s.ParamName(p) // "w[j][i]"
	r := strings.NewReplacer("[", "_", "]", "")
	return r.Replace(name)
}

func newHistory(path string, s nn.Shape) (*history, error) {
	fields := []dataset.Field{{Name: "step", Type: dataset.Int64}, {Name: "train_ce", Type: dataset.Float64}, {Name: "test_ce", Type: dataset.Float64}}
	params := s.NumParams()
	if params > MaxHistoryParams {
		params = 0
	}
	for p := range params {
		fields = append(fields, dataset.Field{Name: ColumnName(s, p), Type: dataset.Float64})
	}
	meta := map[string]string{"nnpipe.layout": "wv = [w (M×(D+1)) row-major, v (K×(M+1)) row-major]; step 0 is the initial weights"}
	if params == 0 {
		meta["nnpipe.layout"] = fmt.Sprintf("%d parameters: more than %d, so only the errors are recorded; step 0 is the initial weights", s.NumParams(), MaxHistoryParams)
	}
	w, err := dataset.CreateTable(path, fields, meta)
	if err != nil {
		return nil, fmt.Errorf("write history: %w", err)
	}
	h := &history{w: w, shape: s, buf: make([][]float64, params),
		steps: make([]int64, 0, historyBatch), tr: make([]float64, 0, historyBatch), te: make([]float64, 0, historyBatch)}
	for p := range h.buf {
		h.buf[p] = make([]float64, 0, historyBatch)
	}
	return h, nil
}

func (h *history) add(step int, trainE, testE float64, wv []float64) error {
	h.steps = append(h.steps, int64(step))
	h.tr = append(h.tr, trainE)
	h.te = append(h.te, testE)
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
	cols := []any{h.steps, h.tr, h.te}
	for _, b := range h.buf {
		cols = append(cols, b)
	}
	if err := h.w.Append(cols...); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	h.steps, h.tr, h.te = h.steps[:0], h.tr[:0], h.te[:0]
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
