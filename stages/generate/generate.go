// Package generate is the `generate` stage kind: it draws a synthetic
// labelled 2-D data set, such as the book's three-class Gaussian mixture.
package generate

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/rng"
)

// Datasets are the data sets the stage can draw.
var datasets = []string{"gaussian_mixture", "xor", "moons", "circles", "spirals"}

// Params are the `generate` stage's parameters.
type Params struct {
	Dataset string  `yaml:"dataset" doc:"gaussian_mixture (the book's), xor, moons, circles or spirals"`
	N       int     `yaml:"n" doc:"number of rows, 2 to 10,000,000"`
	Noise   float64 `yaml:"noise" doc:"standard deviation of the noise added to xor, moons, circles and spirals, 0 to 1e100"`
	Classes int     `yaml:"classes" doc:"number of arms of spirals, 2 to 10"`
	Seed    *uint64 `yaml:"seed" doc:"random seed; default derived from the master seed and the stage id"`
	RNG     string  `yaml:"rng" doc:"random generator: pcg, or numpy to reproduce NumPy's legacy generator"`
	Mixture Mixture `yaml:"mixture" doc:"the gaussian_mixture's classes"`
}

// Mixture is a 2-D Gaussian mixture with axis-aligned deviations.
type Mixture struct {
	Means      [][]float64 `yaml:"means" doc:"per class, the mean of x0 and x1, each -1e100 to 1e100"`
	Stds       [][]float64 `yaml:"stds" doc:"per class, the standard deviation of x0 and x1, each 0 to 1e100"`
	Cumulative []float64   `yaml:"cumulative" doc:"cumulative class probabilities, increasing, the last 1"`
}

// MaxRows bounds n.
const MaxRows = 10_000_000

// MaxScale bounds noise, every std and every mean's magnitude, so that
// every value drawn is finite, and its square too (standardize sums them).
// Both generators' standard normal draws are below 12.1 in magnitude: the
// polar method returns at most sqrt(-2 ln r2) with r2 >= 2^-104 (its
// uniforms are multiples of 2^-53), 12.01; the ziggurat's tail returns
// rn + x, rn = 3.44, with x² <= 2y and y = -ln u <= 53 ln 2 for a nonzero
// uniform u, so x <= 8.58 (only two zero uniforms in a row, a chance of
// 2^-106, leave it unbounded). A value is then at most 1e100 + 12.1e100 in
// magnitude (the base shapes are within 2), its square below 2e202.
const MaxScale = 1e100

// NewParams returns the defaults: the book's data set.
func NewParams() *Params {
	return &Params{
		Dataset: "gaussian_mixture", N: 200, Noise: 0.1, Classes: 2, RNG: rng.PCG,
		Mixture: Mixture{
			Means:      [][]float64{{-0.5, -0.5}, {0.5, 1.0}, {1, -0.5}},
			Stds:       [][]float64{{0.7, 0.7}, {0.8, 0.3}, {0.3, 0.8}},
			Cumulative: []float64{0.4, 0.8, 1.0},
		},
	}
}

// DefaultSeeds fills an unset seed from the master seed and the stage id.
func (p *Params) DefaultSeeds(master uint64, id string) {
	rng.DefaultSeed(&p.Seed, p.RNG, master, id, "")
}

// Validate checks ranges and the mixture's consistency.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if !contains(datasets, p.Dataset) {
		errs = append(errs, pipeline.Errorf("dataset", "must be one of %v, got %s", datasets, config.QuoteShort(p.Dataset)))
	}
	if p.N < 2 || p.N > MaxRows {
		errs = append(errs, pipeline.Errorf("n", "must be between 2 and %d, got %d", MaxRows, p.N))
	}
	if !(p.Noise >= 0 && p.Noise <= MaxScale) {
		errs = append(errs, pipeline.RangeError("noise", p.Noise, "between 0 and 1e100"))
	}
	if p.Classes < 2 || p.Classes > 10 {
		errs = append(errs, pipeline.Errorf("classes", "must be between 2 and 10, got %d", p.Classes))
	}
	if !contains(rng.Kinds(), p.RNG) {
		errs = append(errs, pipeline.Errorf("rng", "must be one of %v, got %s", rng.Kinds(), config.QuoteShort(p.RNG)))
	} else if p.Seed != nil {
		if _, err := rng.New(p.RNG, *p.Seed); err != nil {
			errs = append(errs, pipeline.Errorf("seed", "%v", err))
		}
	}
	if p.Dataset == "gaussian_mixture" {
		errs = append(errs, p.Mixture.validate()...)
	}
	return errs
}

func (m *Mixture) validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	k := len(m.Cumulative)
	if k < 2 {
		return append(errs, pipeline.Errorf("mixture.cumulative", "needs at least 2 classes, got %d", k))
	}
	if k > dataset.MaxClasses {
		return append(errs, pipeline.Errorf("mixture.cumulative", "at most %d classes, got %d", dataset.MaxClasses, k))
	}
	if len(m.Means) != k || len(m.Stds) != k {
		errs = append(errs, pipeline.Errorf("mixture", "means, stds and cumulative must have one entry per class, got %d, %d and %d", len(m.Means), len(m.Stds), k))
	}
	for i, mu := range m.Means {
		if len(mu) != 2 || !within(MaxScale, mu...) {
			errs = append(errs, pipeline.Errorf(fmt.Sprintf("mixture.means[%d]", i), "must be two numbers between -1e100 and 1e100"))
		}
	}
	for i, s := range m.Stds {
		if len(s) != 2 || !within(MaxScale, s...) || s[0] < 0 || s[1] < 0 {
			errs = append(errs, pipeline.Errorf(fmt.Sprintf("mixture.stds[%d]", i), "must be two numbers between 0 and 1e100"))
		}
	}
	for i, c := range m.Cumulative {
		if !finite(c) || c <= 0 || (i > 0 && c <= m.Cumulative[i-1]) {
			errs = append(errs, pipeline.Errorf("mixture.cumulative", "must be finite numbers increasing strictly from above 0, got %v", m.Cumulative))
			break
		}
	}
	if m.Cumulative[k-1] != 1 {
		errs = append(errs, pipeline.Errorf("mixture.cumulative", "must end with 1, got %v", m.Cumulative[k-1]))
	}
	return errs
}

// UnusedKeys names the parameters the chosen data set does not draw
// with: noise and classes for the Gaussian mixture, the mixture for the
// others, classes for all but spirals.
func (p *Params) UnusedKeys() []string {
	switch p.Dataset {
	case "gaussian_mixture":
		return []string{"noise", "classes"}
	case "spirals":
		return []string{"mixture"}
	}
	return []string{"mixture", "classes"}
}

// shape is the shape of the data set p describes: N rows of two features,
// in two classes unless the data set has a number of its own.
func (p *Params) shape() pipeline.Shape {
	k := 2
	switch p.Dataset {
	case "gaussian_mixture":
		k = len(p.Mixture.Cumulative)
	case "spirals":
		k = p.Classes
	}
	return pipeline.Shape{Rows: p.N, Columns: 2, Classes: k}
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		Kind: "generate", Version: 1,
		Doc: "draws a synthetic labelled 2-D data set (the book's Gaussian mixture, xor, moons, circles, spirals)",
		Outputs: []pipeline.Output{{Slot: "dataset", Type: "dataset", File: "dataset.parquet", ReadShape: model.DatasetShape,
			Carries: func(pipeline.Params) []string { return nil }}}, // features and labels alone
		NewParams: func() pipeline.Params { return NewParams() },
		Shape: func(p pipeline.Params, _ map[string]pipeline.Shape) map[string]pipeline.Shape {
			return map[string]pipeline.Shape{"dataset": p.(*Params).shape()}
		},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			d, err := Generate(p.(*Params))
			if err != nil {
				return err
			}
			return dataset.WriteFileContext(ctx, io.Output("dataset"), d, nil)
		},
	}
}

// Generate draws the data set p describes.
func Generate(p *Params) (*dataset.Dataset, error) {
	src, err := rng.New(p.RNG, *p.Seed)
	if err != nil {
		return nil, err
	}
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, X: make([]float64, 2*p.N), Labels: make([]int32, p.N)}
	k := 2
	switch p.Dataset {
	case "gaussian_mixture":
		k = len(p.Mixture.Cumulative)
		mixture(d, &p.Mixture, src)
	case "xor":
		for n := range p.N {
			x0, x1 := 2*src.Float64()-1, 2*src.Float64()-1
			if (x0 > 0) != (x1 > 0) {
				d.Labels[n] = 1
			}
			d.X[2*n], d.X[2*n+1] = x0+float64(p.Noise*src.NormFloat64()), x1+float64(p.Noise*src.NormFloat64())
		}
	case "moons":
		for n := range p.N {
			c := n % 2
			t := math.Pi * src.Float64()
			x0, x1 := math.Cos(t), math.Sin(t)
			if c == 1 {
				x0, x1 = 1-x0, 0.5-x1
			}
			d.Labels[n] = int32(c)
			d.X[2*n], d.X[2*n+1] = x0+float64(p.Noise*src.NormFloat64()), x1+float64(p.Noise*src.NormFloat64())
		}
	case "circles":
		for n := range p.N {
			c := n % 2
			t := 2 * math.Pi * src.Float64()
			r := 1.0
			if c == 1 {
				r = 0.5
			}
			d.Labels[n] = int32(c)
			d.X[2*n], d.X[2*n+1] = float64(r*math.Cos(t))+float64(p.Noise*src.NormFloat64()), float64(r*math.Sin(t))+float64(p.Noise*src.NormFloat64())
		}
	case "spirals":
		k = p.Classes
		for n := range p.N {
			c := n % k
			t := src.Float64()
			angle := 2*math.Pi*float64(c)/float64(k) + float64(1.75*2*math.Pi*t)
			r := 0.1 + t
			d.Labels[n] = int32(c)
			d.X[2*n], d.X[2*n+1] = float64(r*math.Cos(angle))+float64(p.Noise*src.NormFloat64()), float64(r*math.Sin(angle))+float64(p.Noise*src.NormFloat64())
		}
	default:
		return nil, fmt.Errorf("unknown dataset %q", p.Dataset)
	}
	d.Classes = make([]string, k)
	for i := range k {
		d.Classes[i] = strconv.Itoa(i)
	}
	return d, nil
}

// mixture draws the book's way: for each row, one uniform draw picks the
// class (the first k with r < cumulative[k]), then x0 and x1 are
// randn()*std + mean, in that order.
func mixture(d *dataset.Dataset, m *Mixture, src rng.Source) {
	for n := range d.Labels {
		r := src.Float64()
		c := len(m.Cumulative) - 1
		for k, p := range m.Cumulative {
			if r < p {
				c = k
				break
			}
		}
		d.Labels[n] = int32(c)
		for i := range 2 {
			d.X[2*n+i] = float64(src.NormFloat64()*m.Stds[c][i]) + m.Means[c][i]
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// within reports whether every x is in [-limit, limit] (so not NaN).
func within(limit float64, xs ...float64) bool {
	for _, x := range xs {
		if !(math.Abs(x) <= limit) {
			return false
		}
	}
	return true
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
