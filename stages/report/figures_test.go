package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/nnpipe/nnpipe/pipeline/cputime"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
)

// tinyHistory is a fixed 50-step training history of a 2-2-3 network: the
// cross-entropies fall from about 1.1 and each weight drifts to its own
// value.
func tinyHistory() (steps []int, train, test []float64, names []string, series [][]float64) {
	for j := range 2 {
		for i := range 3 {
			names = append(names, fmt.Sprintf("w[%d][%d]", j, i))
		}
	}
	for k := range 3 {
		for j := range 3 {
			names = append(names, fmt.Sprintf("v[%d][%d]", k, j))
		}
	}
	series = make([][]float64, len(names))
	for s := range 50 {
		steps = append(steps, s+1)
		decay := math.Exp(-float64(s) / 12)
		train = append(train, 0.22+0.88*decay)
		test = append(test, 0.27+0.83*decay)
		for p := range series {
			// ends spread evenly over [-3, 3] in each panel (6 w, 9 v)
			end := -3 + 6*float64(p)/5
			if p >= 6 {
				end = -3 + 6*float64(p-6)/8
			}
			series[p] = append(series[p], end*(1-decay))
		}
	}
	return steps, train, test, names, series
}

// tinyCentres are the centres of the fixed 3-class problem: class c is the
// class of the nearest centre.
var tinyCentres = [3][2]float64{{0, 0}, {3, 0}, {1.5, 2.5}}

// tinyPoints are two training and two test points per class, half a unit
// from their centre, so that the centres themselves stay clear of markers.
func tinyPoints() Points {
	var pts Points
	offsets := [4][2]float64{{-0.5, -0.5}, {0.5, -0.5}, {-0.5, 0.5}, {0.5, 0.5}}
	for c, ctr := range tinyCentres {
		for i, o := range offsets {
			pts.X0 = append(pts.X0, ctr[0]+o[0])
			pts.X1 = append(pts.X1, ctr[1]+o[1])
			pts.Labels = append(pts.Labels, int32(c))
			pts.Train = append(pts.Train, i < 2)
		}
	}
	pts.Classes = []string{"a", "b", "c"}
	pts.XName, pts.YName = "x0", "x1"
	return pts
}

// nearestCentre predicts the nearest centre's class with probability 1.
func nearestCentre(xy, probs []float64) {
	for i := range len(xy) / 2 {
		best, bestD := 0, math.Inf(1)
		for c, ctr := range tinyCentres {
			if d := math.Hypot(xy[2*i]-ctr[0], xy[2*i+1]-ctr[1]); d < bestD {
				best, bestD = c, d
			}
		}
		probs[3*i+best] = 1
	}
}

// softCentres gives class c the probability softmax(-2 d_c²), d_c the
// distance to centre c.
func softCentres(xy, probs []float64) {
	for i := range len(xy) / 2 {
		p := probs[3*i : 3*i+3]
		sum := 0.0
		for c, ctr := range tinyCentres {
			dx, dy := xy[2*i]-ctr[0], xy[2*i+1]-ctr[1]
			p[c] = math.Exp(-2 * (dx*dx + dy*dy))
			sum += p[c]
		}
		for c := range p {
			p[c] /= sum
		}
	}
}

func tinySweep() []SweepPoint {
	var pts []SweepPoint
	for i, h := range []int{1, 2, 4, 8} {
		pts = append(pts, SweepPoint{
			X: float64(h), Label: fmt.Sprint(h), N: 3,
			AccMean: 0.8 + 0.03*float64(i), AccStd: 0.01 * float64(i+1),
			CEMean: 0.5 - 0.05*float64(i), CEStd: 0.02,
		})
	}
	pts[3].AccStd = math.NaN() // one seed: no error bar
	return pts
}

// plotCase is one call of a plot function, writing to the given path.
type plotCase struct {
	name string
	draw func(path string, size Size) error
}

func plotCases() []plotCase {
	steps, train, test, names, series := tinyHistory()
	return []plotCase{
		{"learning_curve", func(path string, size Size) error {
			return LearningCurve(path, steps, train, test, false, size)
		}},
		{"learning_curve_log", func(path string, size Size) error {
			return LearningCurve(path, steps, train, test, true, size)
		}},
		{"weights", func(path string, size Size) error {
			return Weights(path, steps, names, series, 6, size)
		}},
		{"boundary", func(path string, size Size) error {
			return Boundary(context.Background(), path, tinyPoints(), softCentres, 40, size)
		}},
		{"sweep", func(path string, size Size) error {
			return Sweep(path, "train.hidden", tinySweep(), size)
		}},
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func TestPlotSize(t *testing.T) {
	sizes := []struct {
		in   Size
		w, h int
	}{
		{Size{}, 800, 600},
		{Size{Width: 641, Height: 479, DPI: 72}, 641, 479},
		{Size{Width: 300, Height: 500, DPI: 150}, 300, 500},
		{Size{Width: 1000}, 1000, 600},
	}
	for _, pc := range plotCases() {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s at %+v", pc.name, sz.in), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "p.png")
				if err := pc.draw(path, sz.in); err != nil {
					t.Fatalf("%s(%+v) = %v", pc.name, sz.in, err)
				}
				b := readPNG(t, path).Bounds()
				if b.Dx() != sz.w || b.Dy() != sz.h {
					t.Errorf("%s(%+v) is %dx%d pixels, want %dx%d", pc.name, sz.in, b.Dx(), b.Dy(), sz.w, sz.h)
				}
			})
		}
	}
}

// TestPlotGolden renders each plot twice at a small size: both renders must
// be identical bytes, and equal to the golden file (go test -update rewrites
// it; look at the new image before committing it).
func TestPlotGolden(t *testing.T) {
	size := Size{Width: 480, Height: 360, DPI: 72}
	for _, pc := range plotCases() {
		t.Run(pc.name, func(t *testing.T) {
			dir := t.TempDir()
			var renders [2][]byte
			for i := range renders {
				path := filepath.Join(dir, fmt.Sprintf("%d.png", i))
				if err := pc.draw(path, size); err != nil {
					t.Fatalf("%s = %v", pc.name, err)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				renders[i] = b
			}
			if !bytes.Equal(renders[0], renders[1]) {
				t.Fatalf("%s gave different bytes on two renders of the same input", pc.name)
			}
			if fusedMultiplyAdd {
				// gonum/plot's geometry rounds differently in the last bit, and a few
				// antialiased pixels change: the figure must still be the golden's
				// but for a handful of pixels.
				checkNearGolden(t, "plots/"+pc.name+".png", filepath.Join(dir, "0.png"), 10)
				return
			}
			checkGolden(t, "plots/"+pc.name+".png", renders[0])
		})
	}
}

// checkNearGolden checks that the PNG at path has the size of testdata/name
// and differs from it in at most maxPixels pixels.
func checkNearGolden(t *testing.T, name, path string, maxPixels int) {
	t.Helper()
	want, got := readPNG(t, filepath.Join("testdata", name)), readPNG(t, path)
	if want.Bounds() != got.Bounds() {
		t.Fatalf("%s is %v, testdata/%s %v", path, got.Bounds(), name, want.Bounds())
	}
	differ := 0
	for y := want.Bounds().Min.Y; y < want.Bounds().Max.Y; y++ {
		for x := want.Bounds().Min.X; x < want.Bounds().Max.X; x++ {
			if want.At(x, y) != got.At(x, y) {
				differ++
			}
		}
	}
	if differ > maxPixels {
		t.Errorf("%d pixels differ from testdata/%s, want at most %d", differ, name, maxPixels)
	}
}

func nrgbaAt(img image.Image, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

// toPixel returns the function that maps a point of the data plane to its
// pixel (column, row from the top, fractional) in an image of the given size
// drawn by f.draw: it lays the figure out the same way and uses the plot's
// own transforms.
func (f *boundaryFigure) toPixel(size Size) func(x0, x1 float64) (float64, float64) {
	size, _ = size.resolve()
	c := newCanvas(size)
	ll := layoutLegend(figureCanvas(c), f.legend, legendShare)
	data := f.plot.DataCanvas(ll.plotArea)
	trX, trY := f.plot.Transforms(&data)
	dpi := float64(size.DPI)
	return func(x0, x1 float64) (float64, float64) {
		return trX(x0).Dots(dpi), float64(size.Height) - trY(x1).Dots(dpi)
	}
}

// renderBoundary draws Boundary to a file and returns the decoded image and
// the figure's map from data coordinates to pixels.
func renderBoundary(t *testing.T, predict Predictor, size Size) (image.Image, func(x0, x1 float64) (float64, float64)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "boundary.png")
	if err := Boundary(context.Background(), path, tinyPoints(), predict, 100, size); err != nil {
		t.Fatalf("Boundary = %v", err)
	}
	fig, err := newBoundaryFigure(context.Background(), tinyPoints(), predict, 100)
	if err != nil {
		t.Fatal(err)
	}
	return readPNG(t, path), fig.toPixel(size)
}

func TestBoundaryRegionColours(t *testing.T) {
	for _, size := range []Size{{}, {Width: 500, Height: 700, DPI: 120}} {
		img, toPixel := renderBoundary(t, nearestCentre, size)
		fills := ClassColors(3)
		probes := []struct {
			x0, x1 float64
			class  int
		}{
			{0, 0, 0}, {3, 0, 1}, {1.5, 2.5, 2}, // the centres
			{-0.7, 0, 0}, {3.7, 0, 1}, {1.5, 3.2, 2}, // beyond them, inside the margin
			{0.9, -0.6, 0}, {2.1, -0.6, 1}, {1.5, 1.4, 2}, // 0.6 from the boundaries
		}
		for _, p := range probes {
			px, py := toPixel(p.x0, p.x1)
			got := nrgbaAt(img, int(px), int(py))
			if got != fills[p.class] {
				t.Errorf("size %+v: pixel (%.0f, %.0f) at (%v, %v) = %v, want class %d's colour %v",
					size, px, py, p.x0, p.x1, got, p.class, fills[p.class])
			}
		}
	}
}

func TestBoundaryMarkers(t *testing.T) {
	img, toPixel := renderBoundary(t, nearestCentre, Size{})
	pts := tinyPoints()
	white := color.NRGBA{255, 255, 255, 255}
	for i := range pts.X0 {
		_, dark := classColor(int(pts.Labels[i]))
		want, kind := dark, "training"
		if !pts.Train[i] {
			want, kind = white, "test"
		}
		px, py := toPixel(pts.X0[i], pts.X1[i])
		if got := nrgbaAt(img, int(px), int(py)); got != want {
			t.Errorf("centre of %s point %d (%v, %v) at pixel (%.0f, %.0f) = %v, want %v",
				kind, i, pts.X0[i], pts.X1[i], px, py, got, want)
		}
	}
}

// closestTo returns the smallest largest-channel difference between want and
// a pixel of img within the given rectangle.
func closestTo(img image.Image, r image.Rectangle, want color.NRGBA) int {
	best := 256
	for y := r.Min.Y; y <= r.Max.Y; y++ {
		for x := r.Min.X; x <= r.Max.X; x++ {
			c := nrgbaAt(img, x, y)
			d := max(absDiff(c.R, want.R), absDiff(c.G, want.G), absDiff(c.B, want.B))
			best = min(best, d)
		}
	}
	return best
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestBoundaryContours(t *testing.T) {
	img, toPixel := renderBoundary(t, softCentres, Size{})
	_, dark0 := classColor(0)
	_, dark1 := classColor(1)
	// A 1.5-point (2-pixel) line covers at least one pixel within a pixel of
	// its centre line fully, so its colour is within rounding of the line's;
	// 24 allows for an overlapping contour's antialiased edge.
	const tol = 24
	// (1.5, 0) is halfway between centres 0 and 1, where p0 = p1 ≈ 0.5: both
	// solid 0.5 contours pass there, class 1's drawn last.
	px, py := toPixel(1.5, 0)
	near := image.Rect(int(px)-2, int(py)-2, int(px)+2, int(py)+2)
	if d := closestTo(img, near, dark1); d > tol {
		t.Errorf("no pixel near (1.5, 0) has class 1's contour colour %v (closest differs by %d)", dark1, d)
	}
	// p0 = 0.9 on the segment from centre 0 to centre 1 where
	// exp(2(6x-9)) = 9, x = (9 - ln 9 / 2) / 6. The contour is dashed (5 on,
	// 3 off, in points) and runs vertically there, so a stretch of 12 points
	// up and down is sure to cross a dash.
	x := (9 - math.Log(9)/2) / 6
	px, py = toPixel(x, 0)
	stretch := image.Rect(int(px)-2, int(py)-16, int(px)+2, int(py)+16)
	if d := closestTo(img, stretch, dark0); d > tol {
		t.Errorf("no pixel near (%.3f, 0) has class 0's dashed contour colour %v (closest differs by %d)", x, dark0, d)
	}
	// And where no contour runs, no pixel has a contour colour: the centre
	// of class 1, where p1 ≈ 1.
	px, py = toPixel(3, 0.2)
	quiet := image.Rect(int(px)-2, int(py)-2, int(px)+2, int(py)+2)
	if d := closestTo(img, quiet, dark1); d <= tol {
		t.Errorf("a pixel near (3, 0.2), far from every contour, has class 1's contour colour")
	}
}

// countColour counts the pixels of img that are exactly c.
func countColour(img image.Image, c color.NRGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if nrgbaAt(img, x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestLinePlotsDrawEverySeries(t *testing.T) {
	steps, train, test, names, series := tinyHistory()
	// A 1.5-point line over most of an 800-pixel-wide plot covers hundreds of
	// pixels fully; 50 leaves room for the legend's short samples alone.
	const minPixels = 50
	t.Run("learning curve draws train and test", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lc.png")
		if err := LearningCurve(path, steps, train, test, false, Size{}); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path)
		for i, name := range []string{"train", "test"} {
			if n := countColour(img, lineColor(i)); n < minPixels {
				t.Errorf("LearningCurve drew %d pixels of the %s colour, want at least %d", n, name, minPixels)
			}
		}
	})
	t.Run("learning curve without a test split draws train only", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lc.png")
		if err := LearningCurve(path, steps, train, nil, true, Size{}); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path)
		if n := countColour(img, lineColor(1)); n != 0 {
			t.Errorf("LearningCurve without test values drew %d pixels of the test colour, want 0", n)
		}
		if n := countColour(img, lineColor(0)); n < minPixels {
			t.Errorf("LearningCurve drew %d pixels of the train colour, want at least %d", n, minPixels)
		}
	})
	t.Run("weights draws a line per weight in each panel", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "w.png")
		if err := Weights(path, steps, names, series, 6, Size{}); err != nil {
			t.Fatal(err)
		}
		img := readPNG(t, path)
		// The output panel's nine lines take the first nine colours.
		for i := range 9 {
			if n := countColour(img, lineColor(i)); n < minPixels {
				t.Errorf("Weights drew %d pixels of colour %d, want at least %d", n, i, minPixels)
			}
		}
	})
	t.Run("sweep draws its means", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.png")
		if err := Sweep(path, "train.hidden", tinySweep(), Size{}); err != nil {
			t.Fatal(err)
		}
		if n := countColour(readPNG(t, path), lineColor(0)); n < minPixels {
			t.Errorf("Sweep drew %d pixels of the line colour, want at least %d", n, minPixels)
		}
	})
}

func TestPlotsRejectBadInput(t *testing.T) {
	steps, train, test, names, series := tinyHistory()
	pts := tinyPoints()
	short := tinyPoints()
	short.Train = short.Train[1:]
	tests := []struct {
		name string
		draw func(path string) error
	}{
		{"learning curve with fewer values than steps", func(p string) error {
			return LearningCurve(p, steps, train[1:], test, false, Size{})
		}},
		{"learning curve with a negative size", func(p string) error {
			return LearningCurve(p, steps, train, test, false, Size{Width: -1})
		}},
		{"weights with a name missing", func(p string) error {
			return Weights(p, steps, names[1:], series, 6, Size{})
		}},
		{"weights with more hidden weights than series", func(p string) error {
			return Weights(p, steps, names, series, 16, Size{})
		}},
		{"boundary with a train flag missing", func(p string) error {
			return Boundary(context.Background(), p, short, nearestCentre, 0, Size{})
		}},
		{"boundary without a predict function", func(p string) error {
			return Boundary(context.Background(), p, pts, nil, 0, Size{})
		}},
		{"boundary with a huge grid", func(p string) error {
			return Boundary(context.Background(), p, pts, nearestCentre, 1e6, Size{})
		}},
		{"boundary without points", func(p string) error {
			return Boundary(context.Background(), p, Points{}, nearestCentre, 0, Size{})
		}},
		{"sweep without settings", func(p string) error {
			return Sweep(p, "x", nil, Size{})
		}},
		{"sweep with a NaN position", func(p string) error {
			return Sweep(p, "x", []SweepPoint{{X: math.NaN()}}, Size{})
		}},
		{"a plot into a directory that does not exist", func(p string) error {
			return LearningCurve(filepath.Join(p, "missing", "lc.png"), steps, train, test, false, Size{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "p.png")
			if err := tt.draw(path); err == nil {
				t.Fatalf("got no error, want one")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left %d files behind, want none", len(entries))
			}
		})
	}
}

func TestPlotsSkipNonFiniteValues(t *testing.T) {
	steps, train, test, names, series := tinyHistory()
	train[10], test[20] = math.NaN(), math.Inf(1)
	series[3][5] = math.NaN()
	dir := t.TempDir()
	if err := LearningCurve(filepath.Join(dir, "lc.png"), steps, train, test, true, Size{}); err != nil {
		t.Errorf("LearningCurve with NaN and Inf = %v, want nil", err)
	}
	if err := Weights(filepath.Join(dir, "w.png"), steps, names, series, 6, Size{}); err != nil {
		t.Errorf("Weights with NaN = %v, want nil", err)
	}
	allNaN := []float64{math.NaN(), math.NaN()}
	if err := LearningCurve(filepath.Join(dir, "nan.png"), []int{1, 2}, allNaN, nil, true, Size{}); err != nil {
		t.Errorf("LearningCurve of NaN only on a log axis = %v, want nil", err)
	}
}

func TestFiniteXYsThinsKeepingExtremes(t *testing.T) {
	n := 100000
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range n {
		xs[i], ys[i] = float64(i), 1
	}
	ys[54321] = 100 // a spike
	ys[7] = math.NaN()
	got := finiteXYs(xs, ys, false, 1000)
	if len(got) > 1000 {
		t.Errorf("finiteXYs kept %d points, want at most 1000", len(got))
	}
	spike := false
	for i, p := range got {
		if math.IsNaN(p.Y) {
			t.Errorf("finiteXYs kept NaN at %v", p.X)
		}
		if p.Y == 100 {
			spike = true
		}
		if i > 0 && p.X <= got[i-1].X {
			t.Errorf("finiteXYs points out of order at %d: %v after %v", i, p.X, got[i-1].X)
		}
	}
	if !spike {
		t.Errorf("finiteXYs dropped the spike at x = 54321")
	}
}

func BenchmarkBoundary(b *testing.B) {
	dir := b.TempDir()
	for _, grid := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("grid=%d", grid), func(b *testing.B) {
			for b.Loop() {
				if err := Boundary(context.Background(), filepath.Join(dir, "b.png"), tinyPoints(), softCentres, grid, Size{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLearningCurve(b *testing.B) {
	dir := b.TempDir()
	for _, n := range []int{1000, 100000} {
		steps, train, test := make([]int, n), make([]float64, n), make([]float64, n)
		for i := range n {
			steps[i], train[i], test[i] = i+1, 1/float64(i+1), 2/float64(i+1)
		}
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := LearningCurve(filepath.Join(dir, "lc.png"), steps, train, test, true, Size{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bookFigures draws the plot stage's three figures at the book's size (1,000
// steps, a 2-2-3 network's 12 weights, 200 points, a 100-cell grid) into dir.
func bookFigures(dir string) error {
	const n = 1000
	steps, train, test := make([]int, n), make([]float64, n), make([]float64, n)
	var names []string
	series := make([][]float64, 12)
	for p := range series {
		names = append(names, fmt.Sprintf("p%d", p))
		series[p] = make([]float64, n)
	}
	for i := range n {
		decay := math.Exp(-float64(i) / 200)
		steps[i], train[i], test[i] = i+1, 0.22+0.88*decay, 0.29+0.81*decay
		for p := range series {
			series[p][i] = (-3 + 6*float64(p)/11) * (1 - decay)
		}
	}
	var pts Points
	for i := range 200 {
		c := i % 3
		a := float64(i) * 2.399963 // the golden angle spreads points around each centre
		r := 0.3 + 0.6*float64(i%7)/7
		pts.X0 = append(pts.X0, tinyCentres[c][0]+r*math.Cos(a))
		pts.X1 = append(pts.X1, tinyCentres[c][1]+r*math.Sin(a))
		pts.Labels = append(pts.Labels, int32(c))
		pts.Train = append(pts.Train, i < 100)
	}
	if err := LearningCurve(filepath.Join(dir, "learning_curve.png"), steps, train, test, false, Size{}); err != nil {
		return err
	}
	if err := Weights(filepath.Join(dir, "weights.png"), steps, names, series, 6, Size{}); err != nil {
		return err
	}
	return Boundary(context.Background(), filepath.Join(dir, "boundary.png"), pts, softCentres, DefaultGrid, Size{})
}

// BenchmarkBookFigures draws the three figures of the book's plot stage
// (the goal: ≤ 40 ms for the three), one after the other. Besides wall
// time it reports cpu-ns/op, the process's CPU time per operation, which
// waiting for a core on a shared machine does not inflate.
func BenchmarkBookFigures(b *testing.B) {
	dir := b.TempDir()
	cpu0, _ := cputime.Process()
	for b.Loop() {
		if err := bookFigures(dir); err != nil {
			b.Fatal(err)
		}
	}
	if cpu, ok := cputime.Process(); ok {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// cellsPlot returns a plot of the box [0, 4] × [0, 3] filled with a 4 × 3
// grid of cells, each of its own colour, and the colour of the cell (c, r)
// counted from the bottom left.
func cellsPlot(alpha uint8) (*plot.Plot, func(c, r int) color.NRGBA) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	colour := func(c, r int) color.NRGBA { return color.NRGBA{uint8(40 + 50*c), uint8(30 + 60*r), 90, alpha} }
	for r := range 3 {
		for c := range 4 {
			img.SetNRGBA(c, 2-r, colour(c, r)) // image rows run downwards
		}
	}
	p := plot.New()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 4, 0, 3
	p.Add(&cells{img: img, box: extent{0, 4, 0, 3}})
	return p, colour
}

// TestCellsFill draws a grid of cells on a raster canvas: the pixels around
// each cell's centre, and the pixels just inside the corners of the plotted
// box, have exactly their cell's colour, and the pixels just outside the box
// have none of the cells' colours.
func TestCellsFill(t *testing.T) {
	for _, size := range []Size{{Width: 400, Height: 300, DPI: 96}, {Width: 333, Height: 517, DPI: 150}} {
		p, colour := cellsPlot(255)
		c := newCanvas(size)
		dc := figureCanvas(c)
		p.Draw(dc)
		data := p.DataCanvas(dc)
		trX, trY := p.Transforms(&data)
		dpi := float64(size.DPI)
		toPixel := func(x, y float64) (int, int) {
			return int(trX(x).Dots(dpi)), int(float64(size.Height) - trY(y).Dots(dpi))
		}
		img := c.Image()
		isCell := func(got color.NRGBA) bool {
			for r := range 3 {
				for cl := range 4 {
					if got == colour(cl, r) {
						return true
					}
				}
			}
			return false
		}
		for r := range 3 {
			for cl := range 4 {
				px, py := toPixel(float64(cl)+0.5, float64(r)+0.5)
				for _, d := range []image.Point{{0, 0}, {-5, -5}, {5, 5}, {-5, 5}, {5, -5}} {
					if got := nrgbaAt(img, px+d.X, py+d.Y); got != colour(cl, r) {
						t.Errorf("size %+v: pixel (%d, %d) in cell (%d, %d) = %v, want %v", size, px+d.X, py+d.Y, cl, r, got, colour(cl, r))
					}
				}
			}
		}
		for _, corner := range []struct {
			x, y   float64
			dx, dy int // inwards
			cl, r  int
		}{{0, 0, 1, -1, 0, 0}, {4, 0, -1, -1, 3, 0}, {0, 3, 1, 1, 0, 2}, {4, 3, -1, 1, 3, 2}} {
			px, py := toPixel(corner.x, corner.y)
			if got := nrgbaAt(img, px+2*corner.dx, py+2*corner.dy); got != colour(corner.cl, corner.r) {
				t.Errorf("size %+v: pixel inside corner (%v, %v) = %v, want %v", size, corner.x, corner.y, got, colour(corner.cl, corner.r))
			}
			if got := nrgbaAt(img, px-2*corner.dx, py-2*corner.dy); isCell(got) {
				t.Errorf("size %+v: pixel outside corner (%v, %v) has a cell's colour %v", size, corner.x, corner.y, got)
			}
		}
	}
}

// TestCellsOtherCanvases checks that cells draws itself as an image where
// it cannot set pixels: on a canvas that is not a raster, and with colours
// that are not opaque.
func TestCellsOtherCanvases(t *testing.T) {
	t.Run("a recording canvas gets one image", func(t *testing.T) {
		p, _ := cellsPlot(255)
		var rec recorder.Canvas
		p.Draw(draw.NewCanvas(&rec, 4*vg.Inch, 3*vg.Inch))
		images := 0
		for _, a := range rec.Actions {
			if _, ok := a.(*recorder.DrawImage); ok {
				images++
			}
		}
		if images != 1 {
			t.Errorf("cells drew %d images on a recorder, want 1", images)
		}
	})
	t.Run("translucent cells are blended", func(t *testing.T) {
		p, colour := cellsPlot(128)
		size := Size{Width: 400, Height: 300, DPI: 96}
		c := newCanvas(size)
		dc := figureCanvas(c)
		p.Draw(dc)
		data := p.DataCanvas(dc)
		trX, trY := p.Transforms(&data)
		px, py := int(trX(0.5).Dots(96)), int(300-trY(0.5).Dots(96))
		got := nrgbaAt(c.Image(), px, py)
		want := colour(0, 0)
		// half the colour over white: each channel about (v + 255) / 2
		for i, pair := range [][2]uint8{{got.R, want.R}, {got.G, want.G}, {got.B, want.B}} {
			blend := (int(pair[1]) + 255) / 2
			if d := int(pair[0]) - blend; d < -3 || d > 3 || got.A != 255 {
				t.Errorf("channel %d of a half-transparent cell over white = %v, want about %d (opaque)", i, got, blend)
			}
		}
	})
}

// TestLinePadding checks that a line's few glyph boxes pad a plot's data
// area exactly as plotter.Line's box per point does: for lines of random
// points, on linear and log axes, with and without the axes'
// ranges set inside the data (points outside them are not considered by
// plot.Plot).
func TestLinePadding(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := newCanvas(Size{Width: 500, Height: 400, DPI: 96})
	dc := figureCanvas(c)
	for i := range 200 {
		n := 1 + r.IntN(50)
		xys := make(plotter.XYs, n)
		for j := range xys {
			xys[j] = plotter.XY{X: r.NormFloat64() * 10, Y: math.Exp(r.NormFloat64())}
			if r.IntN(5) == 0 && j > 0 {
				xys[j].X = xys[j-1].X // ties
			}
		}
		logY, clip, clipY := i%2 == 1, i%3 == 2, i%5 == 4
		style := seriesStyle(i)
		style.Width = vg.Points(float64(1 + r.IntN(30)))
		mk := func(p plot.Plotter) *plot.Plot {
			pl := newPlot("t", "x", "y")
			if logY {
				pl.Y.Scale = plot.LogScale{}
			}
			pl.Add(p)
			if clip {
				pl.X.Min, pl.X.Max = -5, 5
			}
			if clipY {
				pl.Y.Min, pl.Y.Max = 0.5, 2
			}
			return pl
		}
		l, err := newLine(xys, style)
		if err != nil {
			t.Fatal(err)
		}
		want := mk(l.Line).DataCanvas(dc).Rectangle
		if got := mk(l).DataCanvas(dc).Rectangle; got != want {
			t.Fatalf("line %d (log %v, x clipped %v, y clipped %v): data area %v, want %v as with plotter.Line",
				i, logY, clip, clipY, got, want)
		}
	}
}

// TestSweepDrawsAxesAtTheEndsOfTheFloats sweeps values whose margins would
// leave the floats: a log axis from the smallest subnormal, or to 1e300,
// and a linear one across ±1e308. Each plot is drawn, with its means.
func TestSweepDrawsAxesAtTheEndsOfTheFloats(t *testing.T) {
	const minPixels = 50
	for _, xs := range [][]float64{
		{5e-324, 0.001},
		{0.5, 1e300},
		{5e-324, 1.7e308},
		{-1.7e308, 0, 1.7e308},
		{-1e-320, 1e-320},
	} {
		var pts []SweepPoint
		for i, x := range xs {
			pts = append(pts, SweepPoint{X: x, AccMean: 0.5 + 0.1*float64(i), AccStd: 0.01, CEMean: 1 - 0.1*float64(i), CEStd: 0.02, N: 3})
		}
		path := filepath.Join(t.TempDir(), "s.png")
		if err := Sweep(path, "train.l2", pts, Size{}); err != nil {
			t.Errorf("Sweep over %v: %v", xs, err)
			continue
		}
		if n := countColour(readPNG(t, path), lineColor(0)); n < minPixels {
			t.Errorf("Sweep over %v drew %d pixels of the line colour, want at least %d", xs, n, minPixels)
		}
	}
}

// TestBoundaryStopsDrawingWhenItsContextEnds: a boundary plot of 20,000
// points stops drawing them at the next look at its context once it is
// done (an interrupt), and writes nothing; with the context going on it
// looks every glyphsPerLook points.
func TestBoundaryStopsDrawingWhenItsContextEnds(t *testing.T) {
	const n = 20_000
	pts := Points{Classes: []string{"a", "b", "c"}} // softCentres' three classes
	for i := range n {
		pts.X0 = append(pts.X0, float64(i%317)/100)
		pts.X1 = append(pts.X1, float64(i%211)/100)
		pts.Labels = append(pts.Labels, int32(i%3))
		pts.Train = append(pts.Train, i%5 != 0)
	}
	dir := t.TempDir()
	running := &polltest.Context{Context: context.Background(), CancelAt: math.MaxInt}
	if err := Boundary(running, filepath.Join(dir, "all.png"), pts, softCentres, 40, Size{}); err != nil {
		t.Fatal(err)
	}
	if min := n / glyphsPerLook; running.Polls < min {
		t.Errorf("drawing %d points looked at the context %d times, want at least %d", n, running.Polls, min)
	}
	stopped := &polltest.Context{Context: context.Background(), CancelAt: 3}
	path := filepath.Join(dir, "stopped.png")
	if err := Boundary(stopped, path, pts, softCentres, 40, Size{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Boundary with its context ended = %v, want the context's error", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a cancelled Boundary wrote %s: %v", path, err)
	}
}
