// Package plot is the `plot` stage kind: the book's figures as PNG — the
// learning curve, every weight by step, and for 2-D inputs the decision
// boundary with probability contours.
package plot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
	"github.com/nnpipe/nnpipe/stages/report"
)

// The plots the stage can draw.
const (
	LearningCurve = "learning_curve"
	Weights       = "weights"
	Boundary      = "boundary"
)

var kinds = []string{LearningCurve, Weights, Boundary}

// Params are the `plot` stage's parameters.
type Params struct {
	Plots  []string `yaml:"plots" doc:"which plots, at least one: learning_curve, weights, boundary (2-D inputs only)"`
	Width  int      `yaml:"width" doc:"image width in pixels, 100 to 4000"`
	Height int      `yaml:"height" doc:"image height in pixels, 100 to 4000"`
	DPI    int      `yaml:"dpi" doc:"resolution in dots per inch (text size), 50 to 600"`
	Grid   int      `yaml:"grid" doc:"boundary plot: cells per axis, 10 to 1000"`
	LogY   bool     `yaml:"log_y" doc:"learning curve: logarithmic error axis, for long runs"`
}

// NewParams returns the defaults: every plot, 800×600 at 96 dpi.
func NewParams() *Params {
	return &Params{Plots: append([]string(nil), kinds...), Width: report.DefaultWidth, Height: report.DefaultHeight,
		DPI: report.DefaultDPI, Grid: report.DefaultGrid}
}

// keyedParams is Params as cache keys, config hashes and config.yaml show
// it (see Params.MarshalYAML): the same fields, without the method.
type keyedParams Params

// MarshalYAML returns the parameters with the plots in the kind's order
// (learning_curve, weights, boundary): each figure is drawn alone into a
// file of its own name, so the order they are listed in changes no byte,
// and two orders have one cache key and one config hash. A list already in
// that order, as the default is, keeps its keys.
func (p *Params) MarshalYAML() (any, error) {
	k := keyedParams(*p)
	if p.Plots != nil {
		k.Plots = make([]string, 0, len(p.Plots))
		for _, kind := range kinds {
			if slices.Contains(p.Plots, kind) {
				k.Plots = append(k.Plots, kind)
			}
		}
		for _, name := range p.Plots {
			if !slices.Contains(kinds, name) {
				k.Plots = append(k.Plots, name) // invalid: kept, for Validate to name
			}
		}
	}
	return k, nil
}

// Validate checks ranges and plot names.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if len(p.Plots) == 0 {
		// The stage would publish an empty folder: leaving it out says that.
		errs = append(errs, pipeline.Errorf("plots", "must list at least one of %s (to draw none, leave the plot stage out)", strings.Join(kinds, ", ")))
	}
	seen := map[string]bool{}
	for i, k := range p.Plots {
		ok := false
		for _, valid := range kinds {
			ok = ok || k == valid
		}
		if !ok {
			errs = append(errs, pipeline.Errorf(fmt.Sprintf("plots[%d]", i), "must be one of %s, got %s", strings.Join(kinds, ", "), config.QuoteShort(k)))
		}
		if seen[k] {
			errs = append(errs, pipeline.Errorf(fmt.Sprintf("plots[%d]", i), "%s is listed twice", config.QuoteShort(k)))
		}
		seen[k] = true
	}
	check := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, pipeline.Errorf(key, "must be between %d and %d, got %d", lo, hi, v))
		}
	}
	check("width", p.Width, 100, 4000)
	check("height", p.Height, 100, 4000)
	check("dpi", p.DPI, 50, 600)
	check("grid", p.Grid, 10, 1000)
	return errs
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		Kind: "plot", Version: 3, // 2: the boundary's cells are filled, not resampled; 3: other PNG compression, same pixels
		Doc:       "draws learning_curve.png, weights.png and (2-D inputs) boundary.png, the book's figures",
		Inputs:    []pipeline.Input{{Slot: "history", Type: "history", MadeFrom: []string{"dataset", "split"}}, {Slot: "model", Type: "model", MadeFrom: []string{"dataset", "split"}}, {Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}},
		Outputs:   []pipeline.Output{{Slot: "plots", Type: "plots", File: "plots/", Publish: true}},
		NewParams: func() pipeline.Params { return NewParams() },
		// Plots that cannot be drawn for the data are refused once it is
		// made, not after the training.
		Precheck: &pipeline.Precheck{Slots: []string{"dataset"}, Check: func(p pipeline.Params, input func(string) string) error {
			d, err := dataset.ReadLayout(input("dataset"))
			if err != nil {
				return err
			}
			return drawable(p.(*Params).Plots, len(d.Features))
		}},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			return run(ctx, p.(*Params), io)
		},
	}
}

// drawable refuses, as invalid input, plots of which none can be drawn
// for inputs of d features: only the boundary, which needs two.
func drawable(plots []string, d int) error {
	if d == 2 || slices.ContainsFunc(plots, func(k string) bool { return k != Boundary }) {
		return nil
	}
	return pipeline.Invalid(fmt.Errorf("plots: [%s] draws nothing: the boundary needs 2-D inputs, and the data has %d features; list learning_curve or weights, or leave the stage out", Boundary, d))
}

// run draws the requested figures, up to io.Workers of them at once (each
// figure is a pure function of the inputs, so the files are the same bytes
// whatever the number), and reports the first failure in the order of
// p.Plots.
func run(ctx context.Context, p *Params, io *pipeline.IO) error {
	size := report.Size{Width: p.Width, Height: p.Height, DPI: p.DPI}
	out := io.Output("plots")
	m, err := model.Read(io.Input("model"))
	if err != nil {
		return err
	}
	if err := drawable(p.Plots, m.D); err != nil {
		return err
	}
	history := sync.OnceValues(func() (*dataset.Table, error) { return dataset.ReadTable(io.Input("history")) })
	errs := make([]error, len(p.Plots))
	sem := make(chan struct{}, max(1, io.Workers))
	var wg sync.WaitGroup
	for i, kind := range p.Plots {
		sem <- struct{}{}
		if err := ctx.Err(); err != nil {
			errs[i] = err
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			path := filepath.Join(out, kind+".png")
			// A panic drawing (a bug, here or in the plotting library) fails
			// the stage rather than ending the process.
			errs[i] = pipeline.CatchPanic(func() error {
				switch kind {
				case LearningCurve, Weights:
					return drawHistory(kind, path, history, m, p.LogY, size)
				case Boundary:
					return drawBoundary(ctx, path, io, m, p.Grid, size)
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, kind := range p.Plots {
		var skip errSkip
		if errors.As(errs[i], &skip) {
			io.Log.Info("skipping "+kind+".png: "+skip.reason, "stage", io.StageID)
			continue
		}
		if errors.Is(errs[i], context.Canceled) || errors.Is(errs[i], context.DeadlineExceeded) {
			return errs[i]
		}
		if errs[i] != nil {
			return fmt.Errorf("%s: %w", kind, errs[i])
		}
	}
	return nil
}

// errSkip is a plot that does not apply to the run, with the reason.
type errSkip struct{ reason string }

func (e errSkip) Error() string { return e.reason }

func drawHistory(kind, path string, history func() (*dataset.Table, error), m *model.Model, logY bool, size report.Size) error {
	h, err := history()
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	col := func(name string) ([]float64, error) {
		c, ok := h.Column(name)
		if !ok {
			return nil, fmt.Errorf("history has no column %q", name)
		}
		f, ok := c.([]float64)
		if !ok {
			return nil, fmt.Errorf("history column %q is not float64", name)
		}
		return f, nil
	}
	sc, ok := h.Column("step")
	steps64, isInt := sc.([]int64)
	if !ok || !isInt {
		return fmt.Errorf("history has no int64 step column")
	}
	steps := make([]int, len(steps64))
	for i, s := range steps64 {
		steps[i] = int(s)
	}
	if kind == LearningCurve {
		c := report.Curves{Steps: steps}
		var err error
		if c.Train, err = col("train_ce"); err != nil {
			return err
		}
		if c.Test, err = col("test_ce"); err != nil {
			return err
		}
		if _, ok := h.Column("val_ce"); ok {
			if c.Validation, err = col("val_ce"); err != nil {
				return err
			}
		}
		if v, ok := h.Meta[model.HistoryStepsPerEpoch]; ok {
			if c.StepsPerEpoch, err = strconv.Atoi(v); err != nil || c.StepsPerEpoch < 1 {
				return fmt.Errorf("history metadata %s = %q, want a count of steps", model.HistoryStepsPerEpoch, v)
			}
		}
		return report.LearningCurves(path, c, logY, size)
	}
	shape := m.Shape()
	if _, ok := h.Column(model.HistoryColumn(shape, 0)); !ok {
		return errSkip{fmt.Sprintf("the history records no weights for %d parameters", shape.NumParams())}
	}
	names := make([]string, shape.NumParams())
	series := make([][]float64, shape.NumParams())
	for p := range names {
		names[p] = shape.ParamName(p)
		if series[p], err = col(model.HistoryColumn(shape, p)); err != nil {
			return err
		}
	}
	return report.Weights(path, steps, names, series, shape.M*(shape.D+1), size)
}

func drawBoundary(ctx context.Context, path string, io *pipeline.IO, m *model.Model, grid int, size report.Size) error {
	if m.D != 2 {
		return errSkip{fmt.Sprintf("it needs 2-D inputs, the model has %d", m.D)}
	}
	d, train, test, err := model.ReadSplit(io.Input("dataset"), io.Input("split"))
	if err != nil {
		return err
	}
	pts := report.Points{Classes: d.Classes, XName: d.Features[0], YName: d.Features[1]}
	for _, part := range []struct {
		p     model.Part
		train bool
	}{{train, true}, {test, false}} {
		for i := range part.p.N() {
			pts.X0 = append(pts.X0, part.p.X[2*i])
			pts.X1 = append(pts.X1, part.p.X[2*i+1])
			pts.Labels = append(pts.Labels, part.p.Labels[i])
			pts.Train = append(pts.Train, part.train)
		}
	}
	shape := m.Shape()
	predict := func(xy, probs []float64) {
		o, err := nn.NewObjective(shape, xy, make([]int32, len(xy)/2))
		if err != nil {
			panic(err) // the shape was validated when the model was read
		}
		o.Probabilities(probs, m.Weights)
	}
	return report.Boundary(ctx, path, pts, predict, grid, size)
}
