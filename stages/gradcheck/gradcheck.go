// Package gradcheck is the `gradcheck` stage kind: it compares the
// numerical gradient with the back-propagated one at the trained weights,
// on the training rows, and reports the largest differences. The objective
// is the one the model was trained on: its weight decay (l2) included.
package gradcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Params are the `gradcheck` stage's parameters.
type Params struct {
	Epsilon   float64 `yaml:"epsilon" doc:"central-difference step of the numerical gradient, > 0 (smaller than training's shows back-propagation's own agreement)"`
	Tolerance float64 `yaml:"tolerance" doc:"largest relative difference that counts as ok, > 0"`
}

// NewParams returns the defaults.
func NewParams() *Params { return &Params{Epsilon: 1e-6, Tolerance: 1e-6} }

// Validate checks ranges.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if !(p.Epsilon > 0) || math.IsInf(p.Epsilon, 0) {
		errs = append(errs, pipeline.RangeError("epsilon", p.Epsilon, "> 0"))
	}
	if !(p.Tolerance > 0) || math.IsInf(p.Tolerance, 0) {
		errs = append(errs, pipeline.RangeError("tolerance", p.Tolerance, "> 0"))
	}
	return errs
}

// Number is a float64 that is written to JSON as null when it is not
// finite, which JSON cannot hold.
type Number float64

// MarshalJSON writes n as a JSON number, or null when it is NaN or infinite.
func (n Number) MarshalJSON() ([]byte, error) {
	if !finite(float64(n)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Report is gradcheck.json.
type Report struct {
	Status       string  `json:"status"` // "ok", or "mismatch"
	Message      string  `json:"message"`
	Epsilon      float64 `json:"epsilon"`
	Tolerance    float64 `json:"tolerance"`
	MaxAbs       Number  `json:"max_abs"`
	WorstAbs     string  `json:"worst_abs"` // the parameter, as w[j][i] or v[k][j]
	MaxRel       Number  `json:"max_rel"`
	WorstRel     string  `json:"worst_rel"`
	Params       int     `json:"params"`
	TrainingRows int     `json:"training_rows"`
	L2           float64 `json:"l2,omitempty"` // the weight decay in the objective; absent when 0
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		Kind: "gradcheck", Version: 1,
		Doc:       "compares the numerical and back-propagated gradients at the trained weights",
		Inputs:    []pipeline.Input{{Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}, {Slot: "model", Type: "model", MadeFrom: []string{"dataset", "split"}}},
		Outputs:   []pipeline.Output{{Slot: "report", Type: "report", File: "gradcheck.json", Publish: true}},
		NewParams: func() pipeline.Params { return NewParams() },
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			r, err := check(p.(*Params), io)
			if err != nil {
				return err
			}
			io.Log.Info("gradient check: "+r.Message, "stage", io.StageID)
			b, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(io.Output("report"), append(b, '\n'), 0o644)
		},
	}
}

func check(p *Params, io *pipeline.IO) (*Report, error) {
	_, train, _, m, err := model.ReadAll(io.Input("dataset"), io.Input("split"), io.Input("model"))
	if err != nil {
		return nil, err
	}
	o, err := nn.NewObjective(m.Shape(), train.X, train.Labels)
	if err != nil {
		return nil, err
	}
	if err := o.SetL2(m.L2); err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	g := nn.GradCheck(o, m.Weights, p.Epsilon)
	s := m.Shape()
	r := &Report{Epsilon: p.Epsilon, Tolerance: p.Tolerance, MaxAbs: Number(g.MaxAbs), WorstAbs: s.ParamName(g.WorstAbs),
		MaxRel: Number(g.MaxRel), WorstRel: s.ParamName(g.WorstRel), Params: s.NumParams(), TrainingRows: train.N(), L2: m.L2}
	switch {
	case !finite(g.MaxRel) || !finite(g.MaxAbs):
		r.Status = "mismatch"
		r.Message = fmt.Sprintf("mismatch: the gradients at %s are not both finite (numerical %v, back-propagated %v): "+
			"the weights or the features are too large for float64 there; standardize the features", r.WorstRel, g.Numerical, g.Backprop)
	case g.MaxRel <= p.Tolerance:
		r.Status = "ok"
		r.Message = fmt.Sprintf("ok: numerical and back-propagated gradients agree within %.1e relative (largest %.2e at %s)", p.Tolerance, g.MaxRel, r.WorstRel)
	default:
		r.Status = "mismatch"
		r.Message = fmt.Sprintf("mismatch: %s differs by %.2e relative (%.2e absolute), more than %.1e", r.WorstRel, g.MaxRel, g.MaxAbs, p.Tolerance)
	}
	return r, nil
}
