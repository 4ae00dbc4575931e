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

	ax := newSweepAxis(param, sorted)
	acc, err := ax.panel("Test accuracy (mean ± std over seeds)", "accuracy",
		func(p SweepPoint) float64 { return p.AccMean }, func(p SweepPoint) float64 { return p.AccStd })
	if err != nil {
		return fmt.Errorf("sweep plot: accuracy: %w", err)
	}
	ce, err := ax.panel("Test cross-entropy (mean ± std over seeds)", "cross-entropy",
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

// sweepAxis is the x axis both panels of a Sweep plot share.
type sweepAxis struct {
	param  string
	sorted []SweepPoint // by X
	lo, hi float64
	logX   bool // every X is positive and they span a factor of 100 or more
	ticks  []plot.Tick
}

// newSweepAxis makes the axis of the points sorted by X: one tick per position, labelled.
func newSweepAxis(param string, sorted []SweepPoint) *sweepAxis {
	ax := &sweepAxis{param: param, sorted: sorted, lo: sorted[0].X, hi: sorted[len(sorted)-1].X}
	ax.logX = ax.lo > 0 && ax.hi/ax.lo >= 100
	ax.ticks = make([]plot.Tick, 0, len(sorted))
	for _, pt := range sorted {
		label := pt.Label
		if label == "" {
			label = strconv.FormatFloat(pt.X, 'g', -1, 64)
		}
		if n := len(ax.ticks); n > 0 && ax.ticks[n-1].Value == pt.X {
			continue // one tick per position
		}
		ax.ticks = append(ax.ticks, plot.Tick{Value: pt.X, Label: label})
	}
	return ax
}

// panel draws one panel: the means mean(pt) with ± std(pt) error bars, joined in order of X.
func (ax *sweepAxis) panel(title, yLabel string, mean, std func(SweepPoint) float64) (*plot.Plot, error) {
	p := newPlot(title, ax.param, yLabel)
	p.X.Tick.Marker = plot.ConstantTicks(ax.ticks)
	// The margins are computed so as not to overflow or underflow, and
	// kept within the finite floats: a log axis from 5e-324 to 1e-3 or a
	// linear one to 1e308 would otherwise get an infinite or zero end,
	// which the plot cannot scale.
	if ax.logX {
		p.X.Scale = plot.LogScale{}
		llo, lhi := math.Log10(ax.lo), math.Log10(ax.hi)
		pad := 0.05 * (lhi - llo)
		p.X.Min = max(math.Pow(10, llo-pad), math.SmallestNonzeroFloat64)
		p.X.Max = min(math.Pow(10, lhi+pad), math.MaxFloat64)
	} else {
		pad := 0.05*ax.hi - 0.05*ax.lo
		if pad == 0 {
			pad = 0.5
		}
		p.X.Min = max(ax.lo-pad, -math.MaxFloat64)
		p.X.Max = min(ax.hi+pad, math.MaxFloat64)
	}
	var data meanStd
	for _, pt := range ax.sorted {
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

// meanStd is a series of means with symmetric error bars.
type meanStd struct {
	plotter.XYs
	plotter.YErrors
}
