package report

import (
	"fmt"

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
	size, err := size.resolve()
	if err != nil {
		return fmt.Errorf("learning curve: %w", err)
	}
	if len(train) != len(steps) || (len(test) != 0 && len(test) != len(steps)) {
		return fmt.Errorf("learning curve: %d steps, %d train and %d test values", len(steps), len(train), len(test))
	}
	xs := stepsFloat(steps)
	p := newPlot("Cross-entropy by step", "step", "cross-entropy")
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
	}{{"train", train}, {"test", test}} {
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
		p.Legend.Add(fmt.Sprintf("%s (last %s)", s.name, FormatFloat(s.ys[len(s.ys)-1])), l)
	}
	if drawn == 0 && logY {
		// A log axis needs a positive range; with no data there is none.
		p.Y.Scale, p.Y.Tick.Marker = plot.LinearScale{}, plot.DefaultTicks{}
	}
	img := render(size, func(dc draw.Canvas) { p.Draw(dc) })
	return writePNG(path, img)
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
