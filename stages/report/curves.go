package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

// LearningCurve writes to path a PNG of the training and test cross-entropy
// by step (the book's learning-curve figure), with a logarithmic y axis when
// logY is set. train and test must have one value per step; test may be
// empty when there is no test split. The legend gives each curve's last
// value.
//
// Points that are NaN or infinite (a diverged run), or not positive on a log
// axis, are left out; a long history is thinned to about two points per pixel
// column, keeping each bucket's lowest and highest value.
func LearningCurve(path string, steps []int, train, test []float64, logY bool, size Size) error {
	return LearningCurves(path, Curves{Steps: steps, Train: train, Test: test}, logY, size)
}

// Curves are the series of a learning curve.
type Curves struct {
	Steps       []int
	Train, Test []float64 // one value per step; Test may be empty
	// Validation, when not empty, is the early-stopping rows' cross-entropy, one value per
	// step, NaN at the steps without a check; its curve joins the checks.
	Validation []float64
	// StepsPerEpoch, when more than 1, puts epochs on the x axis: step s at s/StepsPerEpoch,
	// so that epoch e ends at e.
	StepsPerEpoch int
}

// LearningCurves is LearningCurve with a validation curve and epochs, when c
// has them; without, it draws the same image as LearningCurve.
func LearningCurves(path string, c Curves, logY bool, size Size) error {
	size, err := size.resolve()
	if err != nil {
		return fmt.Errorf("learning curve: %w", err)
	}
	n := len(c.Steps)
	if len(c.Train) != n || (len(c.Test) != 0 && len(c.Test) != n) || (len(c.Validation) != 0 && len(c.Validation) != n) {
		return fmt.Errorf("learning curve: %d steps, %d train, %d test and %d validation values", n, len(c.Train), len(c.Test), len(c.Validation))
	}
	xs := stepsFloat(c.Steps)
	p := newPlot("Cross-entropy by step", "step", "cross-entropy")
	if c.StepsPerEpoch > 1 {
		for i := range xs {
			xs[i] /= float64(c.StepsPerEpoch)
		}
		p.Title.Text = "Cross-entropy by epoch"
		p.X.Label.Text = fmt.Sprintf("epoch (%d steps each)", c.StepsPerEpoch)
	}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Y.Label.Text = "cross-entropy (log scale)"
	}
	p.Legend.Top = true
	drawn := 0
	for i, s := range []struct {
		name string
		ys   []float64
	}{{"train", c.Train}, {"test", c.Test}, {"validation", c.Validation}} {
		if len(s.ys) == 0 {
			continue
		}
		xys := finiteXYs(xs, s.ys, logY, 2*size.Width)
		if len(xys) == 0 {
			continue
		}
		l, err := newLine(xys, seriesStyle(i))
		if err != nil {
			return fmt.Errorf("learning curve: %w", err)
		}
		p.Add(l)
		drawn++
		last := s.ys[len(s.ys)-1]
		if i == 2 {
			last = lastFinite(s.ys)
		}
		p.Legend.Add(fmt.Sprintf("%s (last %s)", s.name, FormatFloat(last)), l)
	}
	if drawn == 0 && logY {
		// A log axis needs a positive range; with no data there is none.
		p.Y.Scale, p.Y.Tick.Marker = plot.LinearScale{}, plot.DefaultTicks{}
	}
	img := render(size, func(dc draw.Canvas) { p.Draw(dc) })
	return writePNG(path, img)
}

// lastFinite returns the last value of ys that is not NaN (a step without a
// check), or the last value if all are: what a legend calls the last.
func lastFinite(ys []float64) float64 {
	for i := len(ys) - 1; i >= 0; i-- {
		if !math.IsNaN(ys[i]) {
			return ys[i]
		}
	}
	return ys[len(ys)-1]
}

// Weights writes to path a PNG of every weight's value by step, in two
// panels (the book's P.269 figure): the hidden-layer weights, the first
// `hidden` series, on the left (or on top when the image is taller than
// wide) and the output-layer weights on the other, each line labelled with
// names[p] in a legend beside its panel. series[p][s] is parameter p's value
// at steps[s]. A panel with no parameters is left out; a panel with more
// lines than its legend can show says so in its title.
//
// Non-finite values are left out and long histories thinned, as in
// LearningCurve.
func Weights(path string, steps []int, names []string, series [][]float64, hidden int, size Size) error {
	size, err := size.resolve()
	if err != nil {
		return fmt.Errorf("weights plot: %w", err)
	}
	if len(names) != len(series) {
		return fmt.Errorf("weights plot: %d names for %d series", len(names), len(series))
	}
	if hidden < 0 || hidden > len(series) {
		return fmt.Errorf("weights plot: %d hidden weights out of %d series", hidden, len(series))
	}
	for i, s := range series {
		if len(s) != len(steps) {
			return fmt.Errorf("weights plot: series %q has %d values for %d steps", names[i], len(s), len(steps))
		}
	}
	xs := stepsFloat(steps)
	panel := func(title string, lo, hi int) (*plot.Plot, []legendEntry, error) {
		p := newPlot(title, "step", "value")
		var entries []legendEntry
		for i := lo; i < hi; i++ {
			xys := finiteXYs(xs, series[i], false, 2*size.Width)
			if len(xys) == 0 {
				continue
			}
			l, err := newLine(xys, seriesStyle(i-lo))
			if err != nil {
				return nil, nil, fmt.Errorf("weights plot: %s: %w", names[i], err)
			}
			p.Add(l)
			entries = append(entries, legendEntry{text: names[i], thumbs: []plot.Thumbnailer{l}})
		}
		return p, entries, nil
	}
	wp, wl, err := panel("Hidden-layer weights", 0, hidden)
	if err != nil {
		return err
	}
	vp, vl, err := panel("Output-layer weights", hidden, len(series))
	if err != nil {
		return err
	}
	img := render(size, func(dc draw.Canvas) {
		switch {
		case hidden == 0:
			drawWithLegend(dc, vp, vl, 0.4)
		case hidden == len(series):
			drawWithLegend(dc, wp, wl, 0.4)
		default:
			a, b := panels(dc)
			drawWithLegend(a, wp, wl, 0.4)
			drawWithLegend(b, vp, vl, 0.4)
		}
	})
	return writePNG(path, img)
}

// logTicks marks a log axis with powers of ten when it spans a factor of ten
// or more, and with linear "nice" values otherwise, since a curve that falls
// from 1.1 to 0.22 would get a single labelled tick.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo > 0 && hi/lo >= 10 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}

func stepsFloat(steps []int) []float64 {
	xs := make([]float64, len(steps))
	for i, s := range steps {
		xs[i] = float64(s)
	}
	return xs
}
