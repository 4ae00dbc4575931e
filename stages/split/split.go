// Package split is the `split` stage kind: it divides a data set's rows
// into a training part and a test part.
package split

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/rng"
)

// Params are the `split` stage's parameters.
type Params struct {
	TrainRatio float64 `yaml:"train_ratio" doc:"fraction of the rows that train, strictly between 0 and 1"`
	Shuffle    bool    `yaml:"shuffle" doc:"shuffle the rows before splitting; false keeps the book's way: the first rows train"`
	Stratify   bool    `yaml:"stratify" doc:"keep each class's proportion in both parts"`
	Seed       *uint64 `yaml:"seed" doc:"random seed of the shuffle; default derived from the master seed and the stage id"`
	RNG        string  `yaml:"rng" doc:"random generator of the shuffle: pcg or numpy"`
}

// NewParams returns the defaults: half the rows train, in data order.
func NewParams() *Params { return &Params{TrainRatio: 0.5, RNG: rng.PCG} }

// DefaultSeeds fills an unset seed from the master seed and the stage id.
func (p *Params) DefaultSeeds(master uint64, id string) {
	if p.Seed == nil {
		s := rng.DeriveFor(p.RNG, master, id, "")
		p.Seed = &s
	}
}

// Validate checks ranges.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if !(p.TrainRatio > 0 && p.TrainRatio < 1) {
		errs = append(errs, pipeline.Errorf("train_ratio", "must be strictly between 0 and 1, got %v", p.TrainRatio))
	}
	if _, err := rng.New(p.RNG, *p.Seed); err != nil {
		key := "rng"
		if errors.Is(err, rng.ErrSeedRange) {
			key = "seed"
		}
		errs = append(errs, pipeline.Errorf(key, "%v", err))
	}
	return errs
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		Kind: "split", Version: 1,
		Doc:       "divides the rows into a training part and a test part",
		Inputs:    []string{"dataset"},
		Outputs:   []pipeline.Output{{Slot: "split", File: "split.parquet"}},
		NewParams: func() pipeline.Params { return NewParams() },
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			d, err := dataset.ReadFile(io.Input("dataset"))
			if err != nil {
				return fmt.Errorf("read dataset: %w", err)
			}
			s, err := Split(d.Labels, len(d.Classes), p.(*Params))
			if err != nil {
				return pipeline.Invalid(err)
			}
			return dataset.WriteSplit(io.Output("split"), s)
		},
	}
}

// Split assigns the rows whose labels are given: round(ratio·n) rows train
// (per class when stratified), in data order unless shuffled.
func Split(labels []int32, classes int, p *Params) (dataset.Split, error) {
	n := len(labels)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if p.Shuffle {
		src, err := rng.New(p.RNG, *p.Seed)
		if err != nil {
			return dataset.Split{}, err
		}
		shuffle(order, src)
	}
	var s dataset.Split
	if !p.Stratify {
		nTrain := int(math.Round(p.TrainRatio * float64(n)))
		if nTrain == 0 || nTrain == n {
			return s, fmt.Errorf("train_ratio %v of %d rows leaves the %s part empty", p.TrainRatio, n, emptyPart(nTrain))
		}
		s.Train = append([]int(nil), order[:nTrain]...)
		s.Test = append([]int(nil), order[nTrain:]...)
		return s, nil
	}
	byClass := make([][]int, classes)
	for _, r := range order {
		byClass[labels[r]] = append(byClass[labels[r]], r)
	}
	take := make([]int, classes)
	for c, rows := range byClass {
		k := int(math.Round(p.TrainRatio * float64(len(rows))))
		if len(rows) > 0 && (k == 0 || k == len(rows)) {
			return s, fmt.Errorf("class %d has %d rows: too few to put some in both parts with train_ratio %v", c, len(rows), p.TrainRatio)
		}
		take[c] = k
	}
	// Keep the shuffled (or data) order within each part.
	seen := make([]int, classes)
	for _, r := range order {
		c := labels[r]
		if seen[c] < take[c] {
			s.Train = append(s.Train, r)
		} else {
			s.Test = append(s.Test, r)
		}
		seen[c]++
	}
	return s, nil
}

func emptyPart(nTrain int) string {
	if nTrain == 0 {
		return "training"
	}
	return "test"
}

// shuffle is a Fisher–Yates shuffle driven by src's uniform draws, so both
// generator kinds can shuffle.
func shuffle(a []int, src rng.Source) {
	for i := len(a) - 1; i > 0; i-- {
		j := int(src.Float64() * float64(i+1))
		a[i], a[j] = a[j], a[i]
	}
}
