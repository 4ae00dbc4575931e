// Package predictions is the `predictions` stage kind: it writes every
// row's predicted class and class probabilities as Parquet, streamed in
// row groups.
package predictions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Params are the `predictions` stage's parameters.
type Params struct {
	BatchRows int `yaml:"batch_rows" doc:"rows computed and written at a time, 1 to 1,048,576; fewer with many classes (at most 1,048,576 / classes)"`
}

// NewParams returns the defaults.
func NewParams() *Params { return &Params{BatchRows: 65536} }

// Validate checks ranges.
func (p *Params) Validate() []pipeline.FieldError {
	if p.BatchRows < 1 || p.BatchRows > 1<<20 {
		return []pipeline.FieldError{pipeline.Errorf("batch_rows", "must be between 1 and %d, got %d", 1<<20, p.BatchRows)}
	}
	return nil
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		// Version 2: predicted_name beside predicted when the classes have names, as `nnpipe
		// predict` writes. Version 3: the metadata says when the feature columns are
		// standardized (model.StandardizedKey).
		Kind: "predictions", Version: 3,
		Doc:       "writes every row's predicted class and probabilities to predictions.parquet",
		Inputs:    []pipeline.Input{{Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}, {Slot: "model", Type: "model", MadeFrom: []string{"dataset", "split"}}},
		Outputs:   []pipeline.Output{{Slot: "predictions", Type: "predictions", File: "predictions.parquet", Publish: true}},
		NewParams: func() pipeline.Params { return NewParams() },
		RunScoped: true,
		// A feature named like a column of the predictions is refused as
		// soon as the dataset is made, not after the training.
		Precheck: &pipeline.Precheck{Slots: []string{"dataset"}, Check: func(_ pipeline.Params, input func(string) string) error {
			d, err := dataset.ReadLayout(input("dataset"))
			if err != nil {
				return err
			}
			return checkNames(d.Features, d.Classes)
		}},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			return run(ctx, p.(*Params), io)
		},
	}
}

// checkNames refuses, as invalid input, features one of which is named
// like a column of predictions.parquet.
func checkNames(features, classes []string) error {
	if name, ok := dataset.ClashingField(model.PredictionFields(features, classes, true, true)); ok {
		return pipeline.Invalid(fmt.Errorf("the feature column %q has the name of a column of predictions.parquet (row, split, label, label_name, predicted, predicted_name, p_0…, correct); rename it in the data", name))
	}
	return nil
}

func run(ctx context.Context, p *Params, io *pipeline.IO) error {
	d, train, test, m, err := model.ReadAll(io.Input("dataset"), io.Input("split"), io.Input("model"))
	if err != nil {
		return err
	}
	named := model.NamedClasses(d.Classes)
	fields := model.PredictionFields(d.Features, d.Classes, true, true)
	if err := checkNames(d.Features, d.Classes); err != nil {
		return err
	}
	classes, _ := json.Marshal(d.Classes)
	meta := map[string]string{
		"nnpipe.config_sha256": io.ConfigHash,
		"nnpipe.version":       io.Version,
		"nnpipe.classes":       string(classes),
	}
	if len(m.Preprocess) > 0 {
		meta[model.StandardizedKey] = "true"
	}
	w, err := dataset.CreateTable(io.Output("predictions"), fields, meta)
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	// A batch holds rows × K probabilities twice over (the forward pass's and the columns'):
	// with many classes it takes fewer rows, so that its memory, and the time between two
	// looks at ctx, stay bounded. The file's row groups do not depend on the batches.
	rows := max(1, min(p.BatchRows, model.MaxBatchValues/m.K))
	b := newBatch(m, d.Dims(), named, rows)
	for _, part := range []struct {
		name string
		p    model.Part
	}{{"train", train}, {"test", test}} {
		for lo := 0; lo < part.p.N(); lo += rows {
			if err := ctx.Err(); err != nil {
				w.Abort()
				return err
			}
			hi := min(lo+rows, part.p.N())
			cols, err := b.fill(part.name, part.p, lo, hi, d.Classes)
			if err != nil {
				w.Abort()
				return err
			}
			if err := w.Append(cols...); err != nil {
				w.Abort()
				return fmt.Errorf("write predictions: %w", err)
			}
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}

// batch holds reusable column buffers for one batch of rows.
type batch struct {
	m                *model.Model
	dims             int
	named            bool
	row              []int64
	split            []string
	features         [][]float64
	label, predicted []int32
	labelName        []string
	predName         []string
	probs            [][]float64
	flat             []float64
	correct          []bool
}

func newBatch(m *model.Model, dims int, named bool, rows int) *batch {
	b := &batch{m: m, dims: dims, named: named}
	b.features = make([][]float64, dims)
	b.probs = make([][]float64, m.K)
	return b
}

func (b *batch) fill(split string, p model.Part, lo, hi int, classes []string) ([]any, error) {
	n, k := hi-lo, b.m.K
	b.row, b.split = b.row[:0], b.split[:0]
	b.label, b.predicted, b.labelName, b.correct = b.label[:0], b.predicted[:0], b.labelName[:0], b.correct[:0]
	b.predName = b.predName[:0]
	for i := range b.features {
		b.features[i] = b.features[i][:0]
	}
	for i := range b.probs {
		b.probs[i] = b.probs[i][:0]
	}
	o, err := nn.NewObjective(b.m.Shape(), p.X[lo*b.dims:hi*b.dims], p.Labels[lo:hi])
	if err != nil {
		return nil, err
	}
	if cap(b.flat) < n*k {
		b.flat = make([]float64, n*k)
	}
	flat := b.flat[:n*k]
	o.Probabilities(flat, b.m.Weights)
	for i := range n {
		r := lo + i
		b.row = append(b.row, int64(p.Rows[r]))
		b.split = append(b.split, split)
		for j := range b.dims {
			b.features[j] = append(b.features[j], p.X[r*b.dims+j])
		}
		t := p.Labels[r]
		pred := nn.Argmax(flat[i*k : (i+1)*k])
		b.label = append(b.label, t)
		b.predicted = append(b.predicted, int32(pred))
		if b.named {
			b.labelName = append(b.labelName, classes[t])
			b.predName = append(b.predName, classes[pred])
		}
		for c := range k {
			b.probs[c] = append(b.probs[c], flat[i*k+c])
		}
		b.correct = append(b.correct, int32(pred) == t)
	}
	cols := []any{b.row, b.split}
	for _, f := range b.features {
		cols = append(cols, f)
	}
	cols = append(cols, b.label)
	if b.named {
		cols = append(cols, b.labelName)
	}
	cols = append(cols, b.predicted)
	if b.named {
		cols = append(cols, b.predName)
	}
	for _, pc := range b.probs {
		cols = append(cols, pc)
	}
	return append(cols, b.correct), nil
}
