package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SweepPoint is one setting of a swept parameter with the mean and standard
// deviation over seeds of its test accuracy (a fraction) and test
// cross-entropy, and the number of seeds N. X places the setting on the x
// axis; Label is its tick label (empty: X printed). A parameter that is not a
// number, such as the gradient method, takes X = 0, 1, 2, … and Label the
// setting's name.
type SweepPoint struct {
	X               float64
	Label           string
	AccMean, AccStd float64
	CEMean, CEStd   float64
	N               int
}

// Sweep writes to path a PNG of test accuracy and test cross-entropy against
// the swept parameter named param, in two panels, each mean drawn with a
// ± std error bar and the means joined in order of X. Each setting has a tick
// labelled with its Label. When every X is positive and they span a factor of
// 100 or more (learning rates, say), the x axis is logarithmic.
//
// A mean that is NaN (every seed failed) leaves its setting out of that
// panel; a NaN std (a single seed) draws no error bar.
func Sweep(path string, param string, pts []SweepPoint, size Size) error {
	size, err := size.resolve()
	if err != nil {
		return fmt.Errorf("sweep plot: %w", err)
	}
	if len(pts) == 0 {
		return fmt.Errorf("sweep plot: no settings")
	}
	sorted := slices.Clone(pts)
	for _, pt := range sorted {
		if math.IsNaN(pt.X) || math.IsInf(pt.X, 0) {
			return fmt.Errorf("sweep plot: setting %q has x = %v", pt.Label, pt.X)
		}
	}
	slices.SortStableFunc(sorted, func(a, b SweepPoint) int { return cmp.Compare(a.X, b.X) })

	lo, hi := sorted[0].X, sorted[len(sorted)-1].X
	logX := lo > 0 && hi/lo >= 100
	ticks := make([]plot.Tick, 0, len(sorted))
	for _, pt := range sorted {
		label := pt.Label
		if label == "" {
			label = strconv.FormatFloat(pt.X, 'g', -1, 64)
		}
		if n := len(ticks); n > 0 && ticks[n-1].Value == pt.X {
			continue // one tick per position
		}
		ticks = append(ticks, plot.Tick{Value: pt.X, Label: label})
	}

	panel := func(title, yLabel string, mean, std func(SweepPoint) float64) (*plot.Plot, error) {
		p := newPlot(title, param, yLabel)
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		if logX {
			p.X.Scale = plot.LogScale{}
			p.X.Min, p.X.Max = lo/math.Pow(hi/lo, 0.05), hi*math.Pow(hi/lo, 0.05)
		} else {
			pad := 0.05 * (hi - lo)
			if pad == 0 {
				pad = 0.5
			}
			p.X.Min, p.X.Max = lo-pad, hi+pad
		}
		var data meanStd
		for _, pt := range sorted {
			m, s := mean(pt), std(pt)
			if math.IsNaN(m) || math.IsInf(m, 0) {
				continue
			}
			if math.IsNaN(s) || math.IsInf(s, 0) {
				s = 0
			}
			data.XYs = append(data.XYs, plotter.XY{X: pt.X, Y: m})
			data.YErrors = append(data.YErrors, struct{ Low, High float64 }{s, s})
		}
		if len(data.XYs) == 0 {
			return p, nil
		}
		// Leave a margin above and below the bars so that no marker sits on
		// the frame.
		ylo, yhi := math.Inf(1), math.Inf(-1)
		for i, xy := range data.XYs {
			ylo = min(ylo, xy.Y-data.YErrors[i].Low)
			yhi = max(yhi, xy.Y+data.YErrors[i].High)
		}
		pad := 0.05 * (yhi - ylo)
		if pad == 0 {
			pad = 0.05 * max(math.Abs(yhi), 1)
		}
		p.Y.Min, p.Y.Max = ylo-pad, yhi+pad
		line, points, err := plotter.NewLinePoints(data.XYs)
		if err != nil {
			return nil, err
		}
		line.LineStyle = seriesStyle(0)
		points.GlyphStyle = draw.GlyphStyle{Color: lineColor(0), Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		bars, err := plotter.NewYErrorBars(data)
		if err != nil {
			return nil, err
		}
		bars.LineStyle.Color = lineColor(0)
		bars.LineStyle.Width = vg.Points(1.2)
		bars.CapWidth = vg.Points(8)
		p.Add(line, bars, points)
		return p, nil
	}
	acc, err := panel("Test accuracy (mean ± std over seeds)", "accuracy",
		func(p SweepPoint) float64 { return p.AccMean }, func(p SweepPoint) float64 { return p.AccStd })
	if err != nil {
		return fmt.Errorf("sweep plot: accuracy: %w", err)
	}
	ce, err := panel("Test cross-entropy (mean ± std over seeds)", "cross-entropy",
		func(p SweepPoint) float64 { return p.CEMean }, func(p SweepPoint) float64 { return p.CEStd })
	if err != nil {
		return fmt.Errorf("sweep plot: cross-entropy: %w", err)
	}
	img := render(size, func(dc draw.Canvas) {
		a, b := panels(dc)
		acc.Draw(a)
		ce.Draw(b)
	})
	return writePNG(path, img)
}

// meanStd is a series of means with symmetric error bars.
type meanStd struct {
	plotter.XYs
	plotter.YErrors
}
