// Package evaluate is the `evaluate` stage kind: cross-entropy, accuracy,
// confusion matrices and per-class precision and recall of a model on the
// training and test rows.
package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Params are the `evaluate` stage's parameters; it has none.
type Params struct{}

// Validate has nothing to check.
func (*Params) Validate() []pipeline.FieldError { return nil }

// Part is the metrics of one side of the split.
type Part struct {
	CrossEntropy float64   `json:"cross_entropy"`
	Accuracy     float64   `json:"accuracy"` // fraction correct
	N            int       `json:"n"`
	Confusion    [][]int   `json:"confusion"` // [true class][predicted class]
	Precision    []float64 `json:"precision"` // per class; 0 when nothing was predicted as the class
	Recall       []float64 `json:"recall"`    // per class; 0 when the class has no rows
}

// Metrics is metrics.json.
type Metrics struct {
	Train   Part     `json:"train"`
	Test    Part     `json:"test"`
	Classes []string `json:"classes"`
}

// Read loads a metrics.json.
func Read(path string) (*Metrics, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Metrics
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read metrics %s: %w", path, err)
	}
	return &m, nil
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		Kind: "evaluate", Version: 1,
		Doc:       "cross-entropy, accuracy, confusion matrices, precision and recall on the training and test rows",
		Inputs:    []pipeline.Input{{Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}, {Slot: "model", Type: "model", MadeFrom: []string{"dataset", "split"}}},
		Outputs:   []pipeline.Output{{Slot: "metrics", Type: "metrics", File: "metrics.json", Publish: true, Metrics: true}},
		NewParams: func() pipeline.Params { return &Params{} },
		Run: func(ctx context.Context, _ pipeline.Params, io *pipeline.IO) error {
			d, train, test, m, err := model.ReadAll(io.Input("dataset"), io.Input("split"), io.Input("model"))
			if err != nil {
				return err
			}
			out := Metrics{Classes: d.Classes}
			if out.Train, err = Evaluate(ctx, m, train); err != nil {
				return err
			}
			if out.Test, err = Evaluate(ctx, m, test); err != nil {
				return err
			}
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(io.Output("metrics"), append(b, '\n'), 0o644)
		},
	}
}

// Evaluate computes the metrics of m on the rows of p, in one forward pass that keeps each
// row's predicted class only (not its K probabilities). It stops with ctx's error, within a
// few hundred rows of ctx being done.
func Evaluate(ctx context.Context, m *model.Model, p model.Part) (Part, error) {
	k := m.K
	out := Part{N: p.N(), Confusion: make([][]int, k)}
	for i := range out.Confusion {
		out.Confusion[i] = make([]int, k)
	}
	if p.N() == 0 {
		out.SetPrecisionRecall() // zeros, one per class
		return out, nil
	}
	o, err := nn.NewObjective(m.Shape(), p.X, p.Labels)
	if err != nil {
		return out, err
	}
	pred := make([]int32, p.N())
	if out.CrossEntropy, err = o.Score(ctx, m.Weights, pred); err != nil {
		return out, err
	}
	correct := 0
	for n, t := range p.Labels {
		out.Confusion[t][pred[n]]++
		if pred[n] == t {
			correct++
		}
	}
	out.Accuracy = float64(correct) / float64(p.N())
	out.SetPrecisionRecall()
	return out, nil
}

// SetPrecisionRecall sets each class's precision and recall from the confusion matrix, 0
// for a class nothing was predicted as (precision) or that has no rows (recall).
func (p *Part) SetPrecisionRecall() {
	k := len(p.Confusion)
	p.Precision, p.Recall = make([]float64, k), make([]float64, k)
	for c := range k {
		predicted, actual := 0, 0
		for t := range k {
			predicted += p.Confusion[t][c]
			actual += p.Confusion[c][t]
		}
		if predicted > 0 {
			p.Precision[c] = float64(p.Confusion[c][c]) / float64(predicted)
		}
		if actual > 0 {
			p.Recall[c] = float64(p.Confusion[c][c]) / float64(actual)
		}
	}
}
