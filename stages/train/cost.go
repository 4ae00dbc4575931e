package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Cost is the size and cost of a train stage, as `plan` shows it (its
// Spec.Cost): P = M(D+1) + K(M+1), the forward passes a step makes and the
// estimated time. Numbers plan cannot tell are null in JSON; Unknown then
// says why.
type Cost struct {
	Stage  string `json:"stage"`
	Method string `json:"method"` // numerical, numerical-full or backprop
	Hidden int    `json:"hidden"` // M
	Steps  int    `json:"steps"`
	// RecordEvery is how often the history records the errors, over every
	// training and test row: work the estimate leaves out.
	RecordEvery int `json:"record_every"`
	// Inputs (D) and Classes (K) come from the cached dataset, or from the
	// config when the stage that makes it can tell (ShapeFrom says which).
	Inputs    *int `json:"inputs"`
	Classes   *int `json:"classes"`
	TrainRows *int `json:"train_rows"` // N
	// RowsPerStep is the rows a step's gradient goes over: N, or fewer
	// with mini-batches (batch_size) and rows held out for early stopping.
	// With early stopping it is estimated (RowsEstimated): the rows held
	// out are rounded per class, whose sizes plan does not know.
	RowsPerStep   *int   `json:"rows_per_step"`
	RowsEstimated bool   `json:"rows_estimated,omitempty"`
	ShapeFrom     string `json:"shape_from,omitempty"`
	Params        *int   `json:"params"` // P = M(D+1) + K(M+1)
	// ForwardPassesPerStep is 2P for the numerical methods (by the
	// definition), 1 for backprop (plus one backward pass).
	ForwardPassesPerStep *int     `json:"forward_passes_per_step"`
	SecondsPerStep       *float64 `json:"seconds_per_step"` // estimated, one core
	Seconds              *float64 `json:"seconds"`          // estimated, all steps
	Cached               bool     `json:"cached"`
	CachedSeconds        *float64 `json:"cached_seconds,omitempty"` // how long the cached entry took
	Unknown              string   `json:"unknown,omitempty"`
}

func intPtr(v int) *int { return &v }

// cost estimates a train stage with parameters p for plan, with est; its
// Work is the steps times nn.Work of one, and an untimed query gets that
// alone.
func cost(p *Params, q pipeline.CostQuery, est *nn.Estimator) pipeline.Cost {
	method, _ := p.method()
	c := &Cost{Stage: q.Stage, Method: method.String(), Hidden: p.Hidden, Steps: p.Steps, RecordEvery: p.RecordEvery, Cached: q.Cached}
	if q.Cached {
		s := q.CachedSeconds
		c.CachedSeconds = &s
	}
	out := pipeline.Cost{Detail: c}
	d := q.Inputs["dataset"]
	if !d.Known {
		c.Unknown = unknownInput(d, "dataset", fmt.Sprintf("the dataset of stage %q (%s) is not cached yet, and its shape cannot be told from the config", d.Stage, d.Kind))
		return out
	}
	c.Inputs, c.Classes, c.ShapeFrom = intPtr(d.Columns), intPtr(d.Classes), d.From
	s := nn.Shape{D: d.Columns, M: p.Hidden, K: d.Classes}
	np := s.NumParams()
	c.Params = intPtr(np)
	if method == nn.Backprop {
		c.ForwardPassesPerStep = intPtr(1)
	} else {
		c.ForwardPassesPerStep = intPtr(2 * np)
	}
	n := d.Rows
	if sp, ok := q.Inputs["split"]; ok {
		if !sp.Known {
			c.Unknown = unknownInput(sp, "split", fmt.Sprintf("the training rows of stage %q are not cached yet", sp.Stage))
			return out
		}
		n = sp.Rows
	}
	c.TrainRows = intPtr(n)
	if n < 1 {
		c.Unknown = "the split leaves no training rows"
		out.Skip = true // the stage fails before training
		return out
	}
	per := rowsPerStep(p, n)
	c.RowsPerStep, c.RowsEstimated = intPtr(per), p.EarlyStopping != nil && per < n && (p.BatchSize == 0 || per < p.BatchSize)
	out.Work, out.Known = float64(p.Steps)*nn.Work(method, per, np), true
	if q.Untimed {
		return out
	}
	perStep := est.StepSeconds(method, s, per)
	total := perStep * float64(p.Steps)
	c.SecondsPerStep, c.Seconds = &perStep, &total
	out.Seconds = total
	return out
}

// rowsPerStep is the rows a step's gradient goes over, of n training rows:
// those training fits on (without the share early stopping holds out,
// about validation_fraction of them), or a batch of them.
func rowsPerStep(p *Params, n int) int {
	rows := n
	if es := p.EarlyStopping; es != nil {
		rows = max(1, n-int(math.Round(es.ValidationFraction*float64(n))))
	}
	if p.BatchSize > 0 {
		rows = min(rows, p.BatchSize)
	}
	return rows
}

// unknownInput says why the shape of an input is unknown: its cached
// output could not be read, or else why.
func unknownInput(in pipeline.InputShape, what, why string) string {
	if in.Err != nil {
		return fmt.Sprintf("read the cached %s of stage %q: %v", what, in.Stage, in.Err)
	}
	return why
}

// String is what plan prints of the cost: the formula with its numbers,
// the passes a step makes and the estimated time.
func (c *Cost) String() string {
	var w strings.Builder
	fmt.Fprintf(&w, "%s: ", c.Stage)
	if c.Params == nil {
		fmt.Fprintf(&w, "P = M(D+1) + K(M+1) with M = %d is unknown: %s\n", c.Hidden, c.Unknown)
		return w.String()
	}
	d, k, m := *c.Inputs, *c.Classes, c.Hidden
	fmt.Fprintf(&w, "P = M(D+1) + K(M+1) = %d·%d + %d·%d = %d parameters (M = %d; D = %d, K = %d from the %s)\n",
		m, d+1, k, m+1, *c.Params, m, d, k, c.ShapeFrom)
	rows := "N unknown training rows"
	switch {
	case c.TrainRows != nil && c.RowsPerStep != nil && *c.RowsPerStep != *c.TrainRows:
		about := ""
		if c.RowsEstimated {
			about = "about "
		}
		rows = fmt.Sprintf("%s%d of the N = %d training rows", about, *c.RowsPerStep, *c.TrainRows)
	case c.TrainRows != nil:
		rows = fmt.Sprintf("N = %d training rows", *c.TrainRows)
	}
	if c.Method == nn.Backprop.String() {
		fmt.Fprintf(&w, "  backprop gradient: 1 forward and 1 backward pass over %s per step\n", rows)
	} else {
		fmt.Fprintf(&w, "  %s gradient: 2P = %d forward passes over %s per step", c.Method, *c.ForwardPassesPerStep, rows)
		if c.RowsPerStep != nil {
			fmt.Fprintf(&w, " (%d row passes)", *c.ForwardPassesPerStep*(*c.RowsPerStep))
		}
		fmt.Fprintln(&w)
	}
	if c.RowsPerStep != nil && *c.RowsPerStep < *c.TrainRows {
		// A step's gradient goes over a part of the rows, and recording the
		// errors over all of them can cost more than the training.
		every := "step"
		if c.RecordEvery > 1 {
			every = fmt.Sprintf("%d steps", c.RecordEvery)
		}
		fmt.Fprintf(&w, "  not estimated: the training and test errors recorded every %s over all N = %d training rows and the test rows (record_every)\n",
			every, *c.TrainRows)
	}
	switch {
	case c.SecondsPerStep != nil:
		fmt.Fprintf(&w, "  estimated %s per step, %s for %d steps (one core)", pipeline.FormatSeconds(*c.SecondsPerStep), pipeline.FormatSeconds(*c.Seconds), c.Steps)
		if c.Cached {
			fmt.Fprintf(&w, "; cached: it took %s", pipeline.FormatSeconds(*c.CachedSeconds))
		}
		fmt.Fprintln(&w)
	default:
		fmt.Fprintf(&w, "  time unknown: %s\n", c.Unknown)
	}
	return w.String()
}

// headline is what a run's printed summary shows of the training: hidden
// units, gradient (and how a numerical one is computed), steps, learning
// rate.
func headline(p *Params) []pipeline.Headline {
	gradient := p.Gradient
	if gradient == "numerical" {
		gradient += " (" + p.Numerical + ")"
	}
	return []pipeline.Headline{{Label: "hidden", Value: int64(p.Hidden)}, {Label: "gradient", Value: gradient},
		{Label: "steps", Value: int64(p.Steps)}, {Label: "learning rate", Value: p.LearningRate}}
}
