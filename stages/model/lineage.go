package model

import (
	"encoding/json"
	"fmt"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

// LineageKey is the key of a dataset file's key-value metadata under which the stages record
// how its features came from the user's columns, as the JSON of a Lineage. Data made by nnpipe
// itself (generate) has none: its label column is DefaultLabel and it has no preprocessing.
const LineageKey = "nnpipe.lineage"

// DefaultLabel is the label column of data without a lineage: the `label` column of the
// dataset files nnpipe writes.
const DefaultLabel = "label"

// Lineage is what a dataset carries from the user's file to the model trained on it, so that
// the model can score the user's raw rows: the label column's name in the file, and the
// fitted preprocessing the stages applied, in order. The features keep their names and order.
// The stage that loads a file records the label; each stage that transforms the features
// appends its step to its input's lineage; the training stage copies the lineage into the
// model. No stage in between needs to know the others.
type Lineage struct {
	Label      string `json:"label"`
	Preprocess []Step `json:"preprocess"`
}

// Meta returns the dataset metadata that records l.
func (l Lineage) Meta() (map[string]string, error) {
	if l.Preprocess == nil {
		l.Preprocess = []Step{}
	}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode lineage: %w", err)
	}
	return map[string]string{LineageKey: string(b)}, nil
}

// ReadLineage returns the lineage of the dataset file at path: the one it records, or, when
// it records none, DefaultLabel and no preprocessing.
func ReadLineage(path string) (Lineage, error) {
	meta, err := dataset.ReadMeta(path)
	if err != nil {
		return Lineage{}, fmt.Errorf("read dataset: %w", err)
	}
	l := Lineage{Label: DefaultLabel, Preprocess: []Step{}}
	js, ok := meta[LineageKey]
	if !ok {
		return l, nil
	}
	if err := json.Unmarshal([]byte(js), &l); err != nil {
		return Lineage{}, fmt.Errorf("read dataset %s: metadata %s: %w", path, LineageKey, err)
	}
	if l.Preprocess == nil {
		l.Preprocess = []Step{}
	}
	return l, nil
}
