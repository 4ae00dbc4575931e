package report

import (
	"bytes"

	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// curvePixels counts the pixels of the PNG at path that are exactly c.
func curvePixels(t *testing.T, path string, c color.NRGBA) int {
	t.Helper()
	img := readPNG(t, path)
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == c {
				n++
			}
		}
	}
	return n
}

// epochCurves is 40 steps of 8 an epoch with a validation check at each
// epoch's end, the validation error falling, then rising.
func epochCurves() Curves {
	c := Curves{StepsPerEpoch: 8}
	for s := 0; s <= 40; s++ {
		c.Steps = append(c.Steps, s)
		c.Train = append(c.Train, 1/(1+0.1*float64(s)))
		c.Test = append(c.Test, 1.1/(1+0.08*float64(s)))
		v := math.NaN()
		if s%8 == 0 {
			v = 0.6 + 0.0004*float64((s-20)*(s-20))
		}
		c.Validation = append(c.Validation, v)
	}
	return c
}

func TestLearningCurvesDrawTheValidationCurve(t *testing.T) {
	dir := t.TempDir()
	c := epochCurves()
	with, without := filepath.Join(dir, "with.png"), filepath.Join(dir, "without.png")
	if err := LearningCurves(with, c, false, Size{}); err != nil {
		t.Fatal(err)
	}
	c.Validation = nil
	if err := LearningCurves(without, c, false, Size{}); err != nil {
		t.Fatal(err)
	}
	// The validation curve joins five checks across most of the plot: hundreds of pixels.
	if n := curvePixels(t, with, lineColor(2)); n < 50 {
		t.Errorf("the validation curve drew %d pixels of its colour, want at least 50", n)
	}
	if n := curvePixels(t, without, lineColor(2)); n != 0 {
		t.Errorf("without validation values the plot has %d pixels of the validation colour, want 0", n)
	}
}

func TestLearningCurvesWithoutTheNewSeriesIsTheBooksFigure(t *testing.T) {
	dir := t.TempDir()
	c := epochCurves()
	c.Validation, c.StepsPerEpoch = nil, 0
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	if err := LearningCurve(a, c.Steps, c.Train, c.Test, false, Size{}); err != nil {
		t.Fatal(err)
	}
	if err := LearningCurves(b, Curves{Steps: c.Steps, Train: c.Train, Test: c.Test, StepsPerEpoch: 1}, false, Size{}); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Error("LearningCurves of train and test at one step an epoch differs from LearningCurve")
	}
	// Epochs on the x axis change the figure (its title, label and scale).
	e := filepath.Join(dir, "e.png")
	if err := LearningCurves(e, Curves{Steps: c.Steps, Train: c.Train, Test: c.Test, StepsPerEpoch: 8}, false, Size{}); err != nil {
		t.Fatal(err)
	}
	if z, _ := os.ReadFile(e); bytes.Equal(x, z) {
		t.Error("epochs on the x axis drew the same figure as steps")
	}
}

func TestLearningCurvesRefuseMismatchedSeries(t *testing.T) {
	c := epochCurves()
	c.Validation = c.Validation[1:]
	if err := LearningCurves(filepath.Join(t.TempDir(), "x.png"), c, false, Size{}); err == nil {
		t.Error("LearningCurves with one validation value too few = nil, want an error")
	}
}
