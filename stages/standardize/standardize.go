package standardize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// Params are the `standardize` stage's parameters; it has none.
type Params struct{}

// Validate has nothing to check.
func (*Params) Validate() []pipeline.FieldError { return nil }

// Scaling is what standardizing did to each feature: x ↦ (x − Mean[j]) / Std[j].
type Scaling struct {
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"` // over the training rows
	// Std is the population standard deviation over the training rows (divided by n, as
	// scikit-learn's StandardScaler does), or 1 for a column that is constant there.
	Std      []float64 `json:"std"`
	Constant []bool    `json:"constant"` // the column is constant over the training rows
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		// Version 2: the scaling goes into the dataset's lineage (model.Lineage), appended to
		// its input's, where the model file takes it from; version 1 recorded it on its own.
		Kind: "standardize", Version: 2,
		Doc:    "rescales each feature to (x − mean) / deviation of the training rows only; a constant column is only centred",
		Inputs: []pipeline.Input{{Slot: "dataset", Type: "dataset"}, {Slot: "split", Type: "split", SameRows: "dataset"}},
		Outputs: []pipeline.Output{{Slot: "dataset", Type: "dataset", File: "dataset.parquet", RowsFrom: "dataset",
			ShapeFrom: "dataset", ReadShape: model.DatasetShape}},
		NewParams: func() pipeline.Params { return &Params{} },
		Run: func(ctx context.Context, _ pipeline.Params, io *pipeline.IO) error {
			d, err := dataset.ReadFile(io.Input("dataset"))
			if err != nil {
				return fmt.Errorf("read dataset: %w", err)
			}
			lineage, err := model.ReadLineage(io.Input("dataset"))
			if err != nil {
				return err
			}
			s, err := dataset.ReadSplit(io.Input("split"))
			if err != nil {
				return fmt.Errorf("read split: %w", err)
			}
			if err := s.CheckFor(d); err != nil {
				return err
			}
			sc, err := Fit(ctx, d, s.Train)
			if err != nil {
				return err
			}
			if err := sc.Apply(ctx, d.X); err != nil {
				return err
			}
			lineage.Preprocess = append(lineage.Preprocess, sc.Step())
			meta, err := lineage.Meta()
			if err != nil {
				return err
			}
			return dataset.WriteFileContext(ctx, io.Output("dataset"), d, meta)
		},
	}
}

// Fit computes the scaling of each feature of d from the rows listed in train (the training
// part of a split), and only from them. A row index out of range is an error, and so is an
// empty training part (a pipeline.Invalid error). It stops with ctx's error when ctx is done.
func Fit(ctx context.Context, d *dataset.Dataset, train []int) (*Scaling, error) {
	if len(train) == 0 {
		return nil, pipeline.Invalid(errors.New("the split has no training rows to take the mean and deviation of"))
	}
	n, dims := d.Rows(), d.Dims()
	for _, r := range train {
		if r < 0 || r >= n {
			return nil, fmt.Errorf("split names row %d of a dataset of %d rows", r, n)
		}
	}
	sc := &Scaling{Features: d.Features, Mean: make([]float64, dims), Std: make([]float64, dims), Constant: make([]bool, dims)}
	col := make([]float64, len(train)) // one feature's training values: gonum/stat wants them contiguous
	for j := range dims {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo, hi := d.X[train[0]*dims+j], d.X[train[0]*dims+j]
		for i, r := range train {
			v := d.X[r*dims+j]
			col[i] = v
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo == hi {
			// Exactly constant: centre on the value itself so the training rows become exact
			// zeros; a computed deviation could be a rounding residue instead of 0.
			sc.Mean[j], sc.Std[j], sc.Constant[j] = lo, 1, true
			continue
		}
		mean, std := popMeanStdDev(col)
		switch {
		case std == 0:
			// Distinct values whose squared differences underflow: as good as constant.
			sc.Mean[j], sc.Std[j], sc.Constant[j] = mean, 1, true
		case math.IsInf(std, 0) || math.IsNaN(std) || math.IsInf(mean, 0):
			return nil, pipeline.Invalid(fmt.Errorf("feature %q: values too far apart (from %g to %g) to take their deviation in float64", d.Features[j], lo, hi))
		default:
			sc.Mean[j], sc.Std[j] = mean, std
		}
	}
	return sc, nil
}

// Apply standardizes the row-major matrix x in place, every row, training and test alike.
// len(x) must be a multiple of the number of features. A value whose score is beyond
// float64's range (a test row's value far out from the training rows' mean, compared with
// their deviation) is a pipeline.Invalid error naming the feature and the row, counted from
// 0 as the predictions' row column counts. It stops with ctx's error when ctx is done. After
// an error x is partly standardized.
func (sc *Scaling) Apply(ctx context.Context, x []float64) error {
	dims := len(sc.Mean)
	for i := 0; i < len(x); i += dims {
		if (i/dims)%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row := x[i : i+dims]
		for j, v := range row {
			z := (v - sc.Mean[j]) / sc.Std[j]
			if math.IsInf(z, 0) || math.IsNaN(z) {
				return pipeline.Invalid(fmt.Errorf("feature %s: row %d: %g is too far from the training rows (mean %g, deviation %g) to standardize in float64",
					sc.feature(j), i/dims, v, sc.Mean[j], sc.Std[j]))
			}
			row[j] = z
		}
	}
	return nil
}

// popMeanStdDev returns the mean of x (not empty) and its population standard deviation,
// the bits gonum's stat.PopMeanStdDev gives on amd64 built for the baseline CPU (GOAMD64=v1),
// which computed them before, on every build: gonum sums x in the order of its amd64
// assembly, but in plain order elsewhere (arm64), and a build whose CPU has fused
// multiply-add (arm64, GOAMD64=v3) fuses its d*d into the sum of squares. Either gave other
// bits for the same cache key; here the order is fixed and the product rounded.
func popMeanStdDev(x []float64) (mean, std float64) {
	n := float64(len(x))
	mean = sum(x) / n
	var ss, compensation float64
	for _, v := range x {
		d := v - mean
		ss += float64(d * d) // rounded before it is added: never fused
		compensation += d
	}
	// gonum's corrected two-pass algorithm (Chan, Golub and LeVeque, 1.7).
	return mean, math.Sqrt((ss - float64(compensation*compensation)/n) / n)
}

// sum adds x in the order of gonum's amd64 floats.Sum on a 16-byte aligned slice (as Go
// allocates every []float64 of two elements or more; for three, the order is the same
// anyway): four two-lane accumulators taking 8 values at a time, folded as the tail
// shrinks to 4, 2 and 1 values.
func sum(x []float64) float64 {
	var s [8]float64 // the lanes of the accumulators: s[0:2], s[2:4], s[4:6], s[6:8]
	n, i := len(x), 0
	for ; i+8 <= n; i += 8 {
		for k := range s {
			s[k] += x[i+k]
		}
	}
	s[0], s[1], s[2], s[3] = s[0]+s[6], s[1]+s[7], s[2]+s[4], s[3]+s[5]
	if n&4 != 0 {
		for k := range 4 {
			s[k] += x[i+k]
		}
		i += 4
	}
	s[0], s[1] = s[0]+s[2], s[1]+s[3]
	if n&2 != 0 {
		s[0], s[1] = s[0]+x[i], s[1]+x[i+1]
		i += 2
	}
	total := s[0] + s[1]
	if n&1 != 0 {
		total += x[i]
	}
	return total
}

// feature names feature j for a message: quoted, or by its position when sc has no names.
func (sc *Scaling) feature(j int) string {
	if j < len(sc.Features) {
		return strconv.Quote(sc.Features[j])
	}
	return strconv.Itoa(j)
}

// Step returns the scaling as the model file's preprocessing step.
func (sc *Scaling) Step() model.Step {
	return model.Step{Op: model.Standardize, Mean: sc.Mean, Std: sc.Std}
}

// checkEvery is how many rows Apply standardizes between two looks at its context.
const checkEvery = 1 << 16
