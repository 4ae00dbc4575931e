package report

// What every figure shares: the canvas and its size, PNG encoding, line
// styles, the legend and the layout of panels. The figures themselves are
// in curves.go (learning curve, weights), boundary.go and sweep.go.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"

	"git.sr.ht/~sbinet/gg"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Size is the size of a PNG in pixels and its resolution in dots per inch,
// which sets how large text and lines are: at 96 dpi a 12-point font is 16
// pixels tall. A zero field takes its default: 800 pixels wide, 600 high, 96
// dpi. The image is exactly Width × Height pixels.
type Size struct{ Width, Height, DPI int }

// The defaults of Size's zero fields.
const (
	DefaultWidth  = 800
	DefaultHeight = 600
	DefaultDPI    = 96
)

// maxSide bounds a PNG's side in pixels, so that a typo cannot allocate
// gigabytes.
const maxSide = 10000

// resolve fills the zero fields of s with their defaults and checks the rest.
func (s Size) resolve() (Size, error) {
	if s.Width == 0 {
		s.Width = DefaultWidth
	}
	if s.Height == 0 {
		s.Height = DefaultHeight
	}
	if s.DPI == 0 {
		s.DPI = DefaultDPI
	}
	if s.Width < 0 || s.Height < 0 || s.DPI < 0 || s.Width > maxSide || s.Height > maxSide {
		return s, fmt.Errorf("plot size %dx%d pixels at %d dpi: want sides in 1..%d and dpi > 0",
			s.Width, s.Height, s.DPI, maxSide)
	}
	return s, nil
}

// newCanvas returns a white canvas of exactly s's pixels; its size in points
// is the pixel size scaled by 72/DPI. vgimg.NewWith fills the canvas with its
// background colour, white by default, so the image is not filled here. The
// drawing context is made here, set up as NewWith sets up its own (butt line
// caps, y axis upwards), because NewWith makes its own on a copy of the
// image: a second image to allocate, clear and copy for every figure.
func newCanvas(s Size) *vgimg.Canvas {
	img := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(s.DPI))
}

// figureMargin is the blank border around every figure.
const figureMargin = vg.Length(6)

// figureCanvas returns the part of c's drawing area that a figure fills.
func figureCanvas(c *vgimg.Canvas) draw.Canvas {
	m := figureMargin
	return draw.Crop(draw.New(c), m, -m, m, -m)
}

// render draws a figure on a canvas of the given size and returns the image.
func render(s Size, fig func(dc draw.Canvas)) image.Image {
	c := newCanvas(s)
	fig(figureCanvas(c))
	return c.Image()
}

// writePNG encodes img as PNG into path. The file is opened only once the
// encoding succeeded, and removed again if writing it fails (unless it is not
// a regular file, such as a device).
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := encodePNG(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if fi, serr := os.Lstat(path); serr == nil && fi.Mode().IsRegular() {
			_ = os.Remove(path)
		}
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}

// paletteSize is the number of distinct line colours.
const paletteSize = 10

// lineColor is the colour of the i-th line of a plot, from the Tableau 10
// palette (distinct, and readable by most colour-blind readers); it repeats
// after paletteSize lines.
func lineColor(i int) color.NRGBA {
	palette := [paletteSize]color.NRGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
		{188, 189, 34, 255}, {23, 190, 207, 255},
	}
	return palette[i%paletteSize]
}

// lineDashes returns the i-th dash pattern: solid, dashed, dotted, dash-dot.
func lineDashes(i int) []vg.Length {
	switch i % 4 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	case 3:
		return []vg.Length{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)}
	}
	return nil
}

// seriesStyle is the style of the i-th line of a plot: lines that share a
// colour differ in dashes (the first paletteSize lines are solid, the next
// dashed, and so on).
func seriesStyle(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  lineColor(i),
		Width:  vg.Points(1.5),
		Dashes: lineDashes(i / paletteSize),
	}
}

// newPlot returns a plot with the project's common look: title, axis labels
// and a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := blankPlot()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 220}
	g.Horizontal.Color = color.Gray{Y: 220}
	p.Add(g)
	return p
}

// blankPlot returns plot.New() without a background colour: every figure
// is drawn on a canvas that is white already, and filling the plot's area
// with white again went through the antialiasing rasteriser pixel by pixel.
func blankPlot() *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	return p
}

// line is a plotter.Line that gives plot.Plot the glyph boxes of its
// outermost points only. A plot pads its data area so that no line is
// clipped, asking every plotter for a box per point several times per
// drawing and keeping the outermost box on each side among those inside
// the axes' range; with every box of a line the same size, the points of
// least and greatest x and y among those inside the range give the same
// padding, without 1,000 boxes per line per call.
type line struct{ *plotter.Line }

// newLine returns a line through xys drawn with style.
func newLine(xys plotter.XYs, style draw.LineStyle) (line, error) {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return line{}, err
	}
	l.LineStyle = style
	return line{l}, nil
}

// GlyphBoxes implements plot.GlyphBoxer.
func (l line) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	left, right, bottom, top := -1, -1, -1, -1
	var xl, xr, yb, yt float64
	for i := range l.XYs {
		x, y := p.X.Norm(l.XYs[i].X), p.Y.Norm(l.XYs[i].Y)
		if !(x >= 0 && x <= 1 && y >= 0 && y <= 1) {
			continue // plot.Plot drops the boxes outside the axes
		}
		if left < 0 || x < xl {
			left, xl = i, x
		}
		if right < 0 || x > xr {
			right, xr = i, x
		}
		if bottom < 0 || y < yb {
			bottom, yb = i, y
		}
		if top < 0 || y > yt {
			top, yt = i, y
		}
	}
	var boxes []plot.GlyphBox
	for _, i := range []int{left, right, bottom, top} {
		if i >= 0 { // the box plotter.Line makes for point i
			one := &plotter.Line{XYs: l.XYs[i : i+1], LineStyle: l.LineStyle}
			boxes = append(boxes, one.GlyphBoxes(p)...)
		}
	}
	return boxes
}

// finiteXYs returns the points whose coordinates are both finite (and, for a
// log axis, whose y is positive), keeping at most about maxPoints of them:
// beyond that, each of maxPoints/2 consecutive buckets keeps its lowest and
// highest point, so that spikes survive thinning.
func finiteXYs(xs []float64, ys []float64, logY bool, maxPoints int) plotter.XYs {
	keep := func(i int) bool {
		return !math.IsNaN(xs[i]) && !math.IsInf(xs[i], 0) && !math.IsNaN(ys[i]) &&
			!math.IsInf(ys[i], 0) && (!logY || ys[i] > 0)
	}
	n := len(xs)
	out := make(plotter.XYs, 0, min(n, maxPoints+2))
	if n <= maxPoints {
		for i := range n {
			if keep(i) {
				out = append(out, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		return out
	}
	buckets := max(1, maxPoints/2)
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		iMin, iMax := -1, -1
		for i := lo; i < hi; i++ {
			if !keep(i) {
				continue
			}
			if iMin < 0 || ys[i] < ys[iMin] {
				iMin = i
			}
			if iMax < 0 || ys[i] > ys[iMax] {
				iMax = i
			}
		}
		switch {
		case iMin < 0:
		case iMin == iMax:
			out = append(out, plotter.XY{X: xs[iMin], Y: ys[iMin]})
		default:
			first, second := min(iMin, iMax), max(iMin, iMax)
			out = append(out, plotter.XY{X: xs[first], Y: ys[first]}, plotter.XY{X: xs[second], Y: ys[second]})
		}
	}
	return out
}

// legendEntry is one line of a legend drawn beside a plot.
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// legendFont is the size of legend text beside a plot.
const legendFont = 9

// legendPadding separates legend rows.
const legendPadding = vg.Length(2.5)

// legendGap separates the plot from its legend, and legend columns.
const legendGap = vg.Length(6)

// legendLayout places a plot and its legend columns in a canvas.
type legendLayout struct {
	plotArea draw.Canvas   // where the plot is drawn
	cols     []plot.Legend // the legend's columns, left to right
	widths   []vg.Length   // their widths
	omitted  bool          // the legend did not fit and is left out
}

// layoutLegend puts the legend entries in columns to the right of the plot,
// as many columns as needed to fit the plot's height. If they would take
// more than maxShare of dc's width, the legend is left out.
func layoutLegend(dc draw.Canvas, entries []legendEntry, maxShare float64) legendLayout {
	if len(entries) == 0 {
		return legendLayout{plotArea: dc}
	}
	newColumn := func() plot.Legend {
		l := plot.NewLegend()
		l.TextStyle.Font = font.From(plot.DefaultFont, legendFont)
		l.Top, l.Left = true, true
		l.ThumbnailWidth = vg.Points(18)
		l.Padding = legendPadding
		return l
	}
	// The data area's height is not known before the legend's width is;
	// the whole height less room for the title and the x axis is close and
	// safe.
	one := newColumn()
	one.Add("Xy")
	rowH := one.Rectangle(dc).Size().Y
	avail := dc.Size().Y - vg.Length(3*rowH) - 4*vg.Points(12)
	perCol := max(1, int((avail+legendPadding)/(rowH+legendPadding)))
	var ll legendLayout
	for i, e := range entries {
		if i%perCol == 0 {
			ll.cols = append(ll.cols, newColumn())
		}
		ll.cols[len(ll.cols)-1].Add(e.text, e.thumbs...)
	}
	total := vg.Length(0)
	for i := range ll.cols {
		w := ll.cols[i].Rectangle(dc).Size().X
		ll.widths = append(ll.widths, w)
		total += w + legendGap
	}
	if float64(total) > maxShare*float64(dc.Size().X) {
		return legendLayout{plotArea: dc, omitted: true}
	}
	ll.plotArea = draw.Crop(dc, 0, -total, 0, 0)
	return ll
}

// drawWithLegend draws p in dc with the legend entries beside it, laid out by
// layoutLegend; when the legend is left out, p's title says so.
func drawWithLegend(dc draw.Canvas, p *plot.Plot, entries []legendEntry, maxShare float64) {
	ll := layoutLegend(dc, entries, maxShare)
	if ll.omitted {
		p.Title.Text += fmt.Sprintf(" (%d lines, legend left out)", len(entries))
	}
	p.Draw(ll.plotArea)
	if len(ll.cols) == 0 {
		return
	}
	data := p.DataCanvas(ll.plotArea)
	x := ll.plotArea.Max.X + legendGap
	for i := range ll.cols {
		c := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: data.Min.Y},
			Max: vg.Point{X: x + ll.widths[i], Y: data.Max.Y},
		}}
		ll.cols[i].Draw(c)
		x += ll.widths[i] + legendGap
	}
}

// panels splits dc into two tiles, side by side when dc is wider than tall
// and stacked otherwise.
func panels(dc draw.Canvas) (first, second draw.Canvas) {
	sz := dc.Size()
	if sz.X >= sz.Y {
		t := draw.Tiles{Cols: 2, Rows: 1, PadX: vg.Points(12)}
		return t.At(dc, 0, 0), t.At(dc, 1, 0)
	}
	t := draw.Tiles{Cols: 1, Rows: 2, PadY: vg.Points(12)}
	return t.At(dc, 0, 0), t.At(dc, 0, 1)
}
