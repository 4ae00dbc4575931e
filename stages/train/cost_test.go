package train

import (
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// shapeQuery is a cost query for a dataset of d columns and k classes
// whose split trains on n rows.
func shapeQuery(d, k, n int, untimed bool) pipeline.CostQuery {
	return pipeline.CostQuery{Stage: "train", Untimed: untimed, Inputs: map[string]pipeline.InputShape{
		"dataset": {Shape: pipeline.Shape{Rows: 2 * n, Columns: d, Classes: k}, Known: true, From: "config"},
		"split":   {Shape: pipeline.Shape{Rows: n}, Known: true, From: "config"},
	}}
}

func TestCostWorkIsTheStepsTimesAStepsWorkAndIsNeverTimedWhenUntimed(t *testing.T) {
	for _, tc := range []struct {
		name              string
		hidden, steps     int
		gradient, numeric string
		method            nn.Method
	}{
		{"book", 2, 1000, "numerical", "fast", nn.Numerical},
		{"wider", 8, 1000, "numerical", "fast", nn.Numerical},
		{"longer", 2, 3000, "numerical", "fast", nn.Numerical},
		{"full", 3, 10, "numerical", "full", nn.NumericalFull},
		{"backprop", 16, 200, "backprop", "fast", nn.Backprop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParams()
			p.Hidden, p.Steps, p.Gradient, p.Numerical = tc.hidden, tc.steps, tc.gradient, tc.numeric
			const d, k, n = 2, 3, 100
			want := float64(tc.steps) * nn.Work(tc.method, n, nn.Shape{D: d, M: tc.hidden, K: k}.NumParams())
			// A nil estimator: timing anything would panic.
			untimed := cost(p, shapeQuery(d, k, n, true), nil)
			if !untimed.Known || untimed.Work != want || untimed.Seconds != 0 {
				t.Errorf("untimed cost = known %v, work %g, seconds %g; want known, work %g, no seconds", untimed.Known, untimed.Work, untimed.Seconds, want)
			}
			timed := cost(p, shapeQuery(d, k, n, false), nn.NewEstimator())
			if !timed.Known || timed.Work != want || !(timed.Seconds > 0) {
				t.Errorf("timed cost = known %v, work %g, seconds %g; want known, work %g, seconds > 0", timed.Known, timed.Work, timed.Seconds, want)
			}
		})
	}
}

func TestCostWorkGrowsWithTheNetworkAndTheRows(t *testing.T) {
	work := func(hidden, n int) float64 {
		p := NewParams()
		p.Hidden = hidden
		return cost(p, shapeQuery(2, 3, n, true), nil).Work
	}
	for m := 1; m < 8; m++ {
		if !(work(m+1, 100) > work(m, 100)) {
			t.Errorf("hidden %d: work %g, not more than hidden %d's %g", m+1, work(m+1, 100), m, work(m, 100))
		}
	}
	if !(work(2, 200) > work(2, 100)) {
		t.Errorf("200 rows: work %g, not more than 100 rows' %g", work(2, 200), work(2, 100))
	}
}

func TestCostOfUnknownShapeIsUnknownUntimedToo(t *testing.T) {
	q := pipeline.CostQuery{Stage: "train", Untimed: true, Inputs: map[string]pipeline.InputShape{
		"dataset": {Stage: "data", Kind: "load"},
	}}
	if c := cost(NewParams(), q, nil); c.Known || c.Work != 0 {
		t.Errorf("cost with the dataset's shape unknown = known %v, work %g; want unknown", c.Known, c.Work)
	}
}

func TestCostCountsTheRowsAStepsGradientGoesOver(t *testing.T) {
	const d, k, n = 2, 3, 1000
	for _, tc := range []struct {
		name  string
		set   func(p *Params)
		want  int
		shows string
	}{
		{"every training row", func(*Params) {}, n, "over N = 1000 training rows per step"},
		{"a batch", func(p *Params) { p.BatchSize = 10 }, 10, "over 10 of the N = 1000 training rows per step"},
		{"a batch, recording every 50 steps", func(p *Params) { p.BatchSize, p.RecordEvery = 10, 50 }, 10,
			"not estimated: the training and test errors recorded every 50 steps over all N = 1000 training rows"},
		{"a batch larger than the rows", func(p *Params) { p.BatchSize = 5000 }, n, "over N = 1000 training rows per step"},
		{"rows held out for early stopping", func(p *Params) { p.EarlyStopping = &EarlyStopping{ValidationFraction: 0.2} }, 800, "over about 800 of the N = 1000"},
		{"rows held out for early stopping, recording every step", func(p *Params) { p.EarlyStopping = &EarlyStopping{ValidationFraction: 0.2} }, 800,
			"not estimated: the training and test errors recorded every step over all N = 1000"},
		{"a batch of the rows early stopping leaves", func(p *Params) {
			p.EarlyStopping, p.BatchSize = &EarlyStopping{ValidationFraction: 0.2}, 900
		}, 800, "over about 800 of the N = 1000"},
		{"a batch smaller than the rows early stopping leaves", func(p *Params) {
			p.EarlyStopping, p.BatchSize = &EarlyStopping{ValidationFraction: 0.2}, 16
		}, 16, "over 16 of the N = 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParams()
			p.Gradient = "backprop"
			tc.set(p)
			c := cost(p, shapeQuery(d, k, n, true), nil)
			want := float64(p.Steps) * nn.Work(nn.Backprop, tc.want, nn.Shape{D: d, M: p.Hidden, K: k}.NumParams())
			detail := c.Detail.(*Cost)
			if c.Work != want || detail.RowsPerStep == nil || *detail.RowsPerStep != tc.want {
				t.Errorf("cost: work %g, rows per step %v; want %g and %d", c.Work, detail.RowsPerStep, want, tc.want)
			}
			got := detail.String()
			if !strings.Contains(got, tc.shows) {
				t.Errorf("cost prints %q, want it to say %q", got, tc.shows)
			}
			// The recorded errors cost no more than a step's work when a step goes over
			// every row: the estimate leaves them out without a word.
			if noted := strings.Contains(got, "not estimated"); noted != (tc.want < n) {
				t.Errorf("cost prints %q: says what it leaves out %v, want %v", got, noted, tc.want < n)
			}
		})
	}
}
