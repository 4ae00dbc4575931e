// Package model is the trained network as stages hand it to each other
// (model.json), and the helpers that stages share to read their inputs.
package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Format is the version of model.json's layout.
const Format = 1

// HistoryStepsPerEpoch is the key of history.parquet's metadata that holds
// the updates of an epoch, when training drew mini-batches (the history then
// has an epoch column).
const HistoryStepsPerEpoch = "nnpipe.steps_per_epoch"

// Model is a trained two-layer network and what it was trained on.
type Model struct {
	Format   int       `json:"format"`
	D        int       `json:"d"`        // inputs
	M        int       `json:"m"`        // hidden units
	K        int       `json:"k"`        // classes
	Features []string  `json:"features"` // input names, in order
	Classes  []string  `json:"classes"`  // class names, by class id
	Weights  []float64 `json:"wv"`       // flat parameters: w row-major M×(D+1), then v row-major K×(M+1)
	Steps    int       `json:"steps"`    // updates made (fewer than asked when early stopping stopped training)
	Gradient string    `json:"gradient"` // how it was trained
	// L2 is the weight decay α of the objective it was trained on, E + α/(2N) Σ w²; absent
	// when 0 (the book's).
	L2 float64 `json:"l2,omitempty"`
	// BestStep is, with early stopping, the update whose weights these are: the one with the
	// lowest validation error; absent without early stopping.
	BestStep int `json:"best_step,omitempty"`
}

// Shape returns the network's shape.
func (m *Model) Shape() nn.Shape { return nn.Shape{D: m.D, M: m.M, K: m.K} }

// Write stores m as JSON at path.
func (m *Model) Write(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Read loads and checks a model.json.
func Read(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("read model %s: format %d, want %d", path, m.Format, Format)
	}
	s := m.Shape()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	if len(m.Weights) != s.NumParams() || len(m.Features) != m.D || len(m.Classes) != m.K {
		return nil, fmt.Errorf("read model %s: sizes do not agree with shape %+v", path, s)
	}
	for _, w := range m.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("read model %s: weights are not finite", path)
		}
	}
	if !(m.L2 >= 0) || math.IsInf(m.L2, 0) || m.BestStep < 0 || m.BestStep > m.Steps {
		return nil, fmt.Errorf("read model %s: l2 %v or best step %d of %d out of range", path, m.L2, m.BestStep, m.Steps)
	}
	return &m, nil
}

// Part is the rows of one side of a split, gathered into the layout the
// network math takes.
type Part struct {
	Rows   []int     // row indices into the dataset
	X      []float64 // len(Rows)×D, row-major
	Labels []int32
}

// N returns the number of rows.
func (p Part) N() int { return len(p.Rows) }

// Gather copies the given rows of d.
func Gather(d *dataset.Dataset, rows []int) Part {
	dim := d.Dims()
	p := Part{Rows: rows, X: make([]float64, len(rows)*dim), Labels: make([]int32, len(rows))}
	for i, r := range rows {
		copy(p.X[i*dim:(i+1)*dim], d.X[r*dim:(r+1)*dim])
		p.Labels[i] = d.Labels[r]
	}
	return p
}

// ReadSplit reads a dataset and its split and gathers both parts. The
// returned dataset keeps its names and classes but not its values (X is
// nil): they are in the parts.
func ReadSplit(datasetPath, splitPath string) (*dataset.Dataset, Part, Part, error) {
	d, err := dataset.ReadFile(datasetPath)
	if err != nil {
		return nil, Part{}, Part{}, fmt.Errorf("read dataset: %w", err)
	}
	s, err := dataset.ReadSplit(splitPath)
	if err != nil {
		return nil, Part{}, Part{}, fmt.Errorf("read split: %w", err)
	}
	if err := s.CheckFor(d); err != nil {
		return nil, Part{}, Part{}, err
	}
	for _, rows := range [][]int{s.Train, s.Test} {
		for _, r := range rows {
			if r < 0 || r >= d.Rows() {
				return nil, Part{}, Part{}, fmt.Errorf("split names row %d of a dataset of %d rows", r, d.Rows())
			}
		}
	}
	train, test := Gather(d, s.Train), Gather(d, s.Test)
	d.X = nil // the parts hold the values now; keep one copy of a large data set, not two
	return d, train, test, nil
}

// Check reports whether a model fits a dataset.
func (m *Model) Check(d *dataset.Dataset) error {
	if d.Dims() != m.D || len(d.Classes) != m.K {
		return fmt.Errorf("model has %d inputs and %d classes, data has %d and %d", m.D, m.K, d.Dims(), len(d.Classes))
	}
	return nil
}

// ReadAll reads what evaluating a model takes: the dataset with both parts
// of its split gathered (see ReadSplit), and a model that fits the dataset.
func ReadAll(datasetPath, splitPath, modelPath string) (*dataset.Dataset, Part, Part, *Model, error) {
	d, train, test, err := ReadSplit(datasetPath, splitPath)
	if err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	m, err := Read(modelPath)
	if err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	if err := m.Check(d); err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	return d, train, test, m, nil
}
