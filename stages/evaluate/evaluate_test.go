package evaluate

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// oneHotModel is a 1-input, 1-hidden-unit, 2-class network whose hidden
// unit is σ(100·x) and whose outputs are a_1 = 50z − 25 = −a_0: class 1
// for x > 0, class 0 for x < 0, with probabilities within e^-50 of 0 and 1.
func oneHotModel() *model.Model {
	return &model.Model{Format: model.Format, D: 1, M: 1, K: 2, Features: []string{"x"}, Label: "label", Classes: []string{"neg", "pos"},
		Weights: []float64{100, 0, -50, 25, 50, -25}}
}

func TestEvaluateCountsTheConfusionMatrix(t *testing.T) {
	m := oneHotModel()
	// Rows: x and true class. Predicted: 1 for x > 0.
	xs := []float64{-1, -2, 3, 4, 5, -6}
	labels := []int32{0, 1, 1, 1, 0, 0}
	p := model.Part{Rows: []int{0, 1, 2, 3, 4, 5}, X: xs, Labels: labels}
	got, err := Evaluate(context.Background(), m, p)
	if err != nil {
		t.Fatal(err)
	}
	wantConfusion := [][]int{{2, 1}, {1, 2}} // [true][predicted]
	for i := range wantConfusion {
		for j := range wantConfusion[i] {
			if got.Confusion[i][j] != wantConfusion[i][j] {
				t.Fatalf("Evaluate().Confusion = %v, want %v", got.Confusion, wantConfusion)
			}
		}
	}
	if got.N != 6 || got.Accuracy != 4.0/6 {
		t.Errorf("Evaluate() N %d accuracy %v, want 6 and 4/6", got.N, got.Accuracy)
	}
	for c, want := range []float64{2.0 / 3, 2.0 / 3} {
		if got.Precision[c] != want || got.Recall[c] != want {
			t.Errorf("class %d precision %v recall %v, want %v each", c, got.Precision[c], got.Recall[c], want)
		}
	}
	// The outputs differ by 50 (z is 0 or 1 to within e^-100), so the two
	// wrong rows give their true class probability ~e^-50: E ≈ 2·50/6, and
	// the right ones add ~e^-50 each, far below the 1e-6 tolerance.
	if want := 100.0 / 6; math.Abs(got.CrossEntropy-want) > 1e-6 {
		t.Errorf("Evaluate().CrossEntropy = %v, want %v", got.CrossEntropy, want)
	}
}

func TestEvaluateOfNoRowsIsZeroes(t *testing.T) {
	got, err := Evaluate(context.Background(), oneHotModel(), model.Part{})
	if err != nil || got.N != 0 || len(got.Confusion) != 2 || got.Accuracy != 0 {
		t.Errorf("Evaluate(no rows) = %+v, %v; want an empty 2×2 result", got, err)
	}
}

// largeInputs writes a dataset of n rows and classes classes, a split and a model for it into
// dir, and returns the stage's IO.
func largeInputs(t *testing.T, dir string, n, classes int) *pipeline.IO {
	t.Helper()
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, X: make([]float64, 2*n), Labels: make([]int32, n)}
	for c := range classes {
		d.Classes = append(d.Classes, strconv.Itoa(c))
	}
	var s dataset.Split
	for i := range n {
		d.X[2*i], d.X[2*i+1] = float64(i%97)/97, float64(i%89)/89
		d.Labels[i] = int32(i % classes)
		if i%10 == 0 {
			s.Test = append(s.Test, i)
		} else {
			s.Train = append(s.Train, i)
		}
	}
	m := &model.Model{Format: model.Format, D: 2, M: 3, K: classes, Features: d.Features, Label: "label", Classes: d.Classes}
	m.Weights = make([]float64, m.Shape().NumParams())
	for i := range m.Weights {
		m.Weights[i] = math.Sin(float64(i))
	}
	paths := map[string]string{"dataset": filepath.Join(dir, "d.parquet"), "split": filepath.Join(dir, "s.parquet"), "model": filepath.Join(dir, "m.json")}
	if err := dataset.WriteFile(paths["dataset"], d, nil); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit(paths["split"], s); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(paths["model"]); err != nil {
		t.Fatal(err)
	}
	return pipeline.NewIO("eval", paths, map[string]string{"metrics": filepath.Join(dir, "metrics.json")})
}

// TestRunStopsSoonAfterCancellationOnALargeInput evaluates 100,000 rows of 1,000 classes (a
// few seconds of work) with a context that is cancelled at the stage's third look at it: the
// stage must return the cancellation then — after a few hundred rows, not after all of them —
// and write no metrics.
func TestRunStopsSoonAfterCancellationOnALargeInput(t *testing.T) {
	dir := t.TempDir()
	io := largeInputs(t, dir, 100_000, dataset.MaxClasses)
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 3}
	err := Spec().Run(ctx, &Params{}, io)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with its context cancelled = %v, want context.Canceled", err)
	}
	if ctx.Polls != 3 {
		t.Errorf("Run looked at its context %d times, want it to return at the look that saw the cancellation (3)", ctx.Polls)
	}
	if _, err := os.Stat(io.Output("metrics")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled Run wrote %s", io.Output("metrics"))
	}
}

func TestRunOfAThousandClassesWritesTheirMatrices(t *testing.T) {
	dir := t.TempDir()
	io := largeInputs(t, dir, 3000, dataset.MaxClasses)
	if err := Spec().Run(context.Background(), &Params{}, io); err != nil {
		t.Fatal(err)
	}
	m, err := Read(io.Output("metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Classes) != dataset.MaxClasses || len(m.Train.Confusion) != dataset.MaxClasses || m.Train.N+m.Test.N != 3000 {
		t.Errorf("metrics of %d classes, %d confusion rows, %d rows; want %d, %d and 3000", len(m.Classes), len(m.Train.Confusion), m.Train.N+m.Test.N, dataset.MaxClasses, dataset.MaxClasses)
	}
}
