package report

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Points are the 2-D inputs drawn over the decision regions: point i is
// (X0[i], X1[i]) of class Labels[i], a training point when Train[i] is true
// and a test point otherwise. Classes names the classes for the legend (nil:
// their numbers); there are max(len(Classes), largest label + 1) classes.
// XName and YName label the axes.
type Points struct {
	X0, X1       []float64
	Labels       []int32
	Train        []bool
	Classes      []string
	XName, YName string
}

// DefaultGrid is Boundary's number of grid cells per axis when grid is zero
// or negative.
const DefaultGrid = 100

// Predictor computes a classifier's class probabilities at many points of
// the plane at once: row i of probs (row-major, K per row) for the point
// (xy[2i], xy[2i+1]).
type Predictor func(xy, probs []float64)

// maxGrid bounds Boundary's grid, which costs grid² predictions.
const maxGrid = 2000

// boundaryMargin is the share of the data's range added on each side of the
// plotted region.
const boundaryMargin = 0.1

// The probability levels whose contours Boundary draws, as the book does.
const (
	contourLow  = 0.5
	contourHigh = 0.9
)

// Boundary writes to path a PNG of the input plane of a 2-D problem (the
// book's P.273 figure): each of grid × grid cells filled with the colour of
// the class predicted at its centre (ClassColors), the contours of each
// class's probability at 0.5 (solid) and 0.9 (dashed) in the class's dark
// colour, and the points: training points as filled markers, test points as
// open ones, one marker shape and colour per class. The plotted region is the
// points' range plus a tenth of it on each side (±0.5 when the range is
// zero).
//
// predict is called once, with every cell's centre: it must fill probs
// (row-major, one row of one entry per class for each point, zeroed) with the
// class probabilities at each point (xy[2i], xy[2i+1]); the predicted class
// is the most probable, the first on ties, and a cell whose probabilities are
// all NaN is left white. A grid of zero or less means DefaultGrid.
//
// Drawing a million points takes seconds: once ctx is done, the points
// left are not drawn, nothing is written, and Boundary returns ctx's
// error.
func Boundary(ctx context.Context, path string, pts Points, predict Predictor, grid int, size Size) error {
	size, err := size.resolve()
	if err != nil {
		return fmt.Errorf("boundary plot: %w", err)
	}
	fig, err := newBoundaryFigure(ctx, pts, predict, grid)
	if err != nil {
		return fmt.Errorf("boundary plot: %w", err)
	}
	img := render(size, func(dc draw.Canvas) { fig.draw(dc) })
	if err := ctx.Err(); err != nil {
		return err
	}
	return writePNG(path, img)
}

// cancellableScatter is a plotter.Scatter whose drawing stops once ctx is
// done, looking every glyphsPerLook points; until then it draws what the
// Scatter draws, in the same order.
type cancellableScatter struct {
	*plotter.Scatter
	ctx context.Context
}

// glyphsPerLook is how many points a cancellableScatter draws between two
// looks at its context: a few milliseconds of drawing.
const glyphsPerLook = 4096

// Plot draws the points as plotter.Scatter.Plot does, until the context
// is done.
func (s cancellableScatter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	for i, p := range s.XYs {
		if i%glyphsPerLook == 0 && s.ctx.Err() != nil {
			return
		}
		style := s.GlyphStyle
		if s.GlyphStyleFunc != nil {
			style = s.GlyphStyleFunc(i)
		}
		c.DrawGlyph(style, vg.Point{X: trX(p.X), Y: trY(p.Y)})
	}
}

// ClassColors returns the opaque region colours Boundary uses for a problem
// of k classes: element c fills class c's region. The first ten are light
// tints of the Tableau palette; later ones are spread around the hue circle.
func ClassColors(k int) []color.NRGBA {
	out := make([]color.NRGBA, k)
	for c := range out {
		out[c], _ = classColor(c)
	}
	return out
}

// classColor returns class c's region colour (light) and marker and contour
// colour (dark).
func classColor(c int) (light, dark color.NRGBA) {
	lights := [paletteSize]color.NRGBA{
		{174, 199, 232, 255}, {255, 187, 120, 255}, {152, 223, 138, 255}, {255, 152, 150, 255},
		{197, 176, 213, 255}, {196, 156, 148, 255}, {247, 182, 210, 255}, {199, 199, 199, 255},
		{219, 219, 141, 255}, {158, 218, 229, 255},
	}
	if c < paletteSize {
		// The dark colour is the matching Tableau 10 colour, a little darker
		// so that it stands out on its own region.
		d := lineColor(c)
		darker := func(v uint8) uint8 { return uint8(int(v) * 4 / 5) }
		return lights[c], color.NRGBA{darker(d.R), darker(d.G), darker(d.B), 255}
	}
	hue := math.Mod(float64(c)*137.50776405, 360) // the golden angle spreads hues evenly
	return hsv(hue, 0.3, 0.95), hsv(hue, 0.85, 0.6)
}

// hsv converts a colour given as hue in degrees, saturation and value in
// [0, 1] to an opaque NRGBA.
func hsv(h, s, v float64) color.NRGBA {
	c := float64(v * s)
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := v - c
	to8 := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.NRGBA{to8(r), to8(g), to8(b), 255}
}

// markerGlyph draws a point's marker: a shape filled with the glyph style's
// colour and outlined.
type markerGlyph struct {
	shape   int // 0 circle, 1 square, 2 triangle
	outline color.Color
	width   vg.Length
}

// DrawGlyph implements draw.GlyphDrawer.
func (m markerGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var p vg.Path
	switch m.shape % 3 {
	case 0:
		p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		p.Arc(pt, r, 0, 2*math.Pi)
	case 1:
		h := vg.Length(r * 0.9) // a square of the circle's area would be 0.886 r
		p.Move(vg.Point{X: pt.X - h, Y: pt.Y - h})
		p.Line(vg.Point{X: pt.X + h, Y: pt.Y - h})
		p.Line(vg.Point{X: pt.X + h, Y: pt.Y + h})
		p.Line(vg.Point{X: pt.X - h, Y: pt.Y + h})
	case 2:
		t := vg.Length(r * 1.3) // the triangle's corners stick out further than a circle's edge
		p.Move(vg.Point{X: pt.X, Y: pt.Y + t})
		p.Line(vg.Point{X: pt.X - vg.Length(t*0.866), Y: pt.Y - vg.Length(t*0.5)})
		p.Line(vg.Point{X: pt.X + vg.Length(t*0.866), Y: pt.Y - vg.Length(t*0.5)})
	}
	p.Close()
	c.SetColor(sty.Color)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: m.outline, Width: m.width})
	c.Stroke(p)
}

// markerRadius is the size of the points' markers.
const markerRadius = vg.Length(3.5)

// boundaryFigure is a Boundary plot ready to draw.
type boundaryFigure struct {
	plot   *plot.Plot
	legend []legendEntry
}

// newBoundaryFigure checks the points, samples predict over a grid × grid lattice of cells
// covering them, and lays out the figure: class regions, two probability contours per class,
// the points and the legend.
func newBoundaryFigure(ctx context.Context, pts Points, predict Predictor, grid int) (*boundaryFigure, error) {
	if predict == nil {
		return nil, fmt.Errorf("no predict function")
	}
	if grid <= 0 {
		grid = DefaultGrid
	}
	if grid < 2 || grid > maxGrid {
		return nil, fmt.Errorf("grid of %d cells per axis: want 2..%d", grid, maxGrid)
	}
	k, box, err := pointsExtent(pts)
	if err != nil {
		return nil, err
	}

	// Sample the classifier at the centre of every cell.
	xs, ys := make([]float64, grid), make([]float64, grid)
	for i := range grid {
		xs[i] = box.xmin + (float64(i)+0.5)*(box.xmax-box.xmin)/float64(grid)
		ys[i] = box.ymin + (float64(i)+0.5)*(box.ymax-box.ymin)/float64(grid)
	}
	probs, regions := sampleClasses(predict, xs, ys, k)

	pl := blankPlot()
	pl.Title.Text = "Predicted class regions, probability contours 0.5 and 0.9"
	pl.X.Label.Text, pl.Y.Label.Text = pts.XName, pts.YName
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = box.xmin, box.xmax, box.ymin, box.ymax
	pl.Add(&cells{img: regions, box: box})
	solid := draw.LineStyle{Width: vg.Points(1.5)}
	dashed := draw.LineStyle{Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	for c := range k {
		_, dark := classColor(c)
		f := field{xs: xs, ys: ys, z: probs[c]}
		pl.Add(
			&isolinePlotter{lines: isolines(f, contourLow), style: withColor(solid, dark)},
			&isolinePlotter{lines: isolines(f, contourHigh), style: withColor(dashed, dark)},
		)
	}

	fig := &boundaryFigure{plot: pl}
	if err := fig.addPoints(ctx, pts, k); err != nil {
		return nil, err
	}
	grey := color.NRGBA{80, 80, 80, 255}
	fig.legend = append(fig.legend,
		legendEntry{text: "p = 0.5", thumbs: []plot.Thumbnailer{lineThumb(withColor(solid, grey))}},
		legendEntry{text: "p = 0.9", thumbs: []plot.Thumbnailer{lineThumb(withColor(dashed, grey))}},
	)
	return fig, nil
}

// extent is the rectangle a Boundary plot shows.
type extent struct{ xmin, xmax, ymin, ymax float64 }

// pointsExtent checks pts and returns the number of classes (the names given, or more if a
// label is larger) and the points' bounding box, widened by boundaryMargin.
func pointsExtent(pts Points) (int, extent, error) {
	n := len(pts.X0)
	if len(pts.X1) != n || len(pts.Labels) != n || len(pts.Train) != n {
		return 0, extent{}, fmt.Errorf("%d x0, %d x1, %d labels and %d train flags", n, len(pts.X1), len(pts.Labels), len(pts.Train))
	}
	if n == 0 {
		return 0, extent{}, fmt.Errorf("no points")
	}
	k := len(pts.Classes)
	e := extent{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for i := range n {
		x, y, l := pts.X0[i], pts.X1[i], pts.Labels[i]
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return 0, extent{}, fmt.Errorf("point %d is (%v, %v)", i, x, y)
		}
		if l < 0 {
			return 0, extent{}, fmt.Errorf("point %d has label %d", i, l)
		}
		k = max(k, int(l)+1)
		e.xmin, e.xmax = min(e.xmin, x), max(e.xmax, x)
		e.ymin, e.ymax = min(e.ymin, y), max(e.ymax, y)
	}
	e.xmin, e.xmax = widen(e.xmin, e.xmax)
	e.ymin, e.ymax = widen(e.ymin, e.ymax)
	return k, e, nil
}

// sampleClasses calls predict with every point (xs[c], ys[r]) of the lattice and returns each
// class's probabilities, probs[class][r*len(xs)+c], and an image of the most probable class
// per cell (white where every probability is NaN), its rows running downwards.
func sampleClasses(predict Predictor, xs, ys []float64, k int) ([][]float64, *image.NRGBA) {
	grid := len(xs)
	n := grid * len(ys)
	xy := make([]float64, 0, 2*n)
	for _, y := range ys {
		for _, x := range xs {
			xy = append(xy, x, y)
		}
	}
	all := make([]float64, n*k)
	predict(xy, all)
	probs := make([][]float64, k)
	for c := range probs {
		probs[c] = make([]float64, n)
	}
	regions := image.NewNRGBA(image.Rect(0, 0, grid, len(ys)))
	fills := ClassColors(k)
	for i := range n {
		p := all[i*k : (i+1)*k]
		best := -1
		for j, v := range p {
			probs[j][i] = v
			if !math.IsNaN(v) && (best < 0 || v > p[best]) {
				best = j
			}
		}
		fill := color.NRGBA{255, 255, 255, 255}
		if best >= 0 {
			fill = fills[best]
		}
		r, c := i/grid, i%grid
		regions.SetNRGBA(c, len(ys)-1-r, fill) // image rows run downwards
	}
	return probs, regions
}

// addPoints adds the points of each of the k classes to the plot, test points first so that
// training points are drawn on top, each set with its legend entry.
func (f *boundaryFigure) addPoints(ctx context.Context, pts Points, k int) error {
	for _, train := range []bool{false, true} {
		for c := range k {
			var xys plotter.XYs
			for i := range pts.X0 {
				if pts.Train[i] == train && int(pts.Labels[i]) == c {
					xys = append(xys, plotter.XY{X: pts.X0[i], Y: pts.X1[i]})
				}
			}
			if len(xys) == 0 {
				continue
			}
			sc, err := marker(xys, c, train)
			if err != nil {
				return err
			}
			f.plot.Add(cancellableScatter{sc, ctx})
			kind := "test"
			if train {
				kind = "train"
			}
			name := strconv.Itoa(c)
			if c < len(pts.Classes) {
				name = pts.Classes[c]
			}
			f.legend = append(f.legend, legendEntry{text: name + " " + kind, thumbs: []plot.Thumbnailer{sc}})
		}
	}
	return nil
}

// legendShare is the most of the width that Boundary's legend may take.
const legendShare = 0.35

// draw draws the figure in dc.
func (f *boundaryFigure) draw(dc draw.Canvas) {
	drawWithLegend(dc, f.plot, f.legend, legendShare)
}

// widen adds boundaryMargin of the range on each side of [lo, hi].
func widen(lo, hi float64) (float64, float64) {
	m := boundaryMargin * (hi - lo)
	if m == 0 {
		m = 0.5
	}
	return lo - m, hi + m
}

// marker returns the scatter that draws one class's training points (filled
// with the class's dark colour, a thin black outline) or test points (white,
// a thick outline in the class's dark colour), in the class's shape.
func marker(xys plotter.XYs, class int, train bool) (*plotter.Scatter, error) {
	_, dark := classColor(class)
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	if train {
		s.GlyphStyle = draw.GlyphStyle{Color: dark, Radius: markerRadius,
			Shape: markerGlyph{shape: class, outline: color.Black, width: vg.Points(0.6)}}
	} else {
		s.GlyphStyle = draw.GlyphStyle{Color: color.White, Radius: markerRadius,
			Shape: markerGlyph{shape: class, outline: dark, width: vg.Points(1.4)}}
	}
	return s, nil
}

func withColor(s draw.LineStyle, c color.Color) draw.LineStyle {
	s.Color = c
	return s
}

// cells is a plot.Plotter that fills a rectangle of the data plane (box)
// with a grid of cells of one colour each, img's pixels (its rows running
// downwards). On a raster canvas it sets the pixels directly, at the
// canvas's resolution: each pixel whose centre lies in the rectangle takes
// the colour of the cell its centre falls in, so cells keep sharp edges and
// nothing is interpolated. plotter.Image instead resamples the grid
// bilinearly through a general affine transform, which cost a third of the
// boundary figure's time. On any other canvas, or when img is not opaque
// (its colours would have to be blended), it draws img as an image.
type cells struct {
	img *image.NRGBA
	box extent
}

// Plot implements plot.Plotter.
func (cl *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rect := vg.Rectangle{
		Min: vg.Point{X: trX(cl.box.xmin), Y: trY(cl.box.ymin)},
		Max: vg.Point{X: trX(cl.box.xmax), Y: trY(cl.box.ymax)},
	}
	vc, ok := rasterCanvas(c.Canvas)
	if !ok {
		c.DrawImage(rect, cl.img)
		return
	}
	dst, ok := vc.Image().(*image.RGBA)
	if !ok || !cl.img.Opaque() {
		c.DrawImage(rect, cl.img)
		return
	}
	cl.fill(dst, vc, rect)
}

// rasterCanvas returns the vgimg canvas under c, through the draw.Canvas
// values that crop it (their drawing area is a rectangle, not a transform).
func rasterCanvas(c vg.Canvas) (*vgimg.Canvas, bool) {
	for {
		switch cv := c.(type) {
		case *vgimg.Canvas:
			return cv, true
		case draw.Canvas:
			c = cv.Canvas
		case *draw.Canvas:
			c = cv.Canvas
		default:
			return nil, false
		}
	}
}

// fill sets the pixels of dst, the image of vc, that rect covers.
func (cl *cells) fill(dst *image.RGBA, vc *vgimg.Canvas, rect vg.Rectangle) {
	dpi := vc.DPI()
	_, h := vc.Size()
	// Each position is rounded before it is used (float64(…)): not fused
	// into the next sum where the CPU has fused multiply-add.
	height := float64(h.Dots(dpi)) // the canvas's y axis runs upwards from the image's bottom
	left, right := float64(rect.Min.X.Dots(dpi)), float64(rect.Max.X.Dots(dpi))
	top, bottom := height-float64(rect.Max.Y.Dots(dpi)), height-float64(rect.Min.Y.Dots(dpi))
	cols, rows := cl.img.Rect.Dx(), cl.img.Rect.Dy()
	if !(right > left) || !(bottom > top) || cols == 0 || rows == 0 {
		return
	}
	// the pixels whose centres lie in [lo, hi), and the cell of each
	span := func(lo, hi float64, first, end, n int) (int, []int) {
		p0 := max(first, int(math.Ceil(lo-0.5)))
		p1 := min(end, int(math.Ceil(hi-0.5)))
		idx := make([]int, max(0, p1-p0))
		for i := range idx {
			idx[i] = min(n-1, int((float64(p0+i)+0.5-lo)/(hi-lo)*float64(n)))
		}
		return p0, idx
	}
	b := dst.Rect
	x0, colOf := span(left, right, b.Min.X, b.Max.X, cols)
	y0, rowOf := span(top, bottom, b.Min.Y, b.Max.Y, rows)
	for i, r := range rowOf {
		out := dst.Pix[dst.PixOffset(x0, y0+i):]
		src := cl.img.Pix[cl.img.PixOffset(cl.img.Rect.Min.X, cl.img.Rect.Min.Y+r):]
		for j, c := range colOf {
			// Opaque colours are the same premultiplied (RGBA) or not.
			copy(out[4*j:4*j+4], src[4*c:4*c+4])
		}
	}
}

// DataRange implements plot.DataRanger.
func (cl *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return cl.box.xmin, cl.box.xmax, cl.box.ymin, cl.box.ymax
}

// isolinePlotter draws polylines given in data coordinates.
type isolinePlotter struct {
	lines [][]xy
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (ip *isolinePlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	c.SetLineStyle(ip.style)
	for _, l := range ip.lines {
		var path vg.Path
		for i, pt := range l {
			v := vg.Point{X: trX(pt.x), Y: trY(pt.y)}
			if i == 0 {
				path.Move(v)
			} else {
				path.Line(v)
			}
		}
		if len(l) > 2 && l[0] == l[len(l)-1] {
			path.Close()
		}
		c.Stroke(path)
	}
}

// lineThumb is a legend thumbnail of a line style.
type lineThumb draw.LineStyle

// Thumbnail implements plot.Thumbnailer.
func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(t), c.Min.X, y, c.Max.X, y)
}
