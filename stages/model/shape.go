package model

import (
	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// DatasetShape reads the shape of a dataset file: its rows, feature
// columns and classes. It is the Output.ReadShape of the kinds that output
// a dataset.
func DatasetShape(path string) (pipeline.Shape, error) {
	d, err := dataset.ReadFile(path)
	if err != nil {
		return pipeline.Shape{}, err
	}
	return pipeline.Shape{Rows: d.Rows(), Columns: d.Dims(), Classes: len(d.Classes)}, nil
}

// SplitShape reads the shape of a split file: its training rows. It is the
// Output.ReadShape of the kinds that output a split.
func SplitShape(path string) (pipeline.Shape, error) {
	s, err := dataset.ReadSplit(path)
	if err != nil {
		return pipeline.Shape{}, err
	}
	return pipeline.Shape{Rows: len(s.Train)}, nil
}
