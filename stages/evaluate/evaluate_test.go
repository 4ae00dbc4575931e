package evaluate

import (
	"math"
	"testing"

	"github.com/nnpipe/nnpipe/stages/model"
)

// oneHotModel is a 1-input, 1-hidden-unit, 2-class network whose hidden
// unit is σ(100·x) and whose outputs are a_1 = 50z − 25 = −a_0: class 1
// for x > 0, class 0 for x < 0, with probabilities within e^-50 of 0 and 1.
func oneHotModel() *model.Model {
	return &model.Model{Format: model.Format, D: 1, M: 1, K: 2, Features: []string{"x"}, Classes: []string{"neg", "pos"},
		Weights: []float64{100, 0, -50, 25, 50, -25}}
}

func TestEvaluateCountsTheConfusionMatrix(t *testing.T) {
	m := oneHotModel()
	// Rows: x and true class. Predicted: 1 for x > 0.
	xs := []float64{-1, -2, 3, 4, 5, -6}
	labels := []int32{0, 1, 1, 1, 0, 0}
	p := model.Part{Rows: []int{0, 1, 2, 3, 4, 5}, X: xs, Labels: labels}
	got, err := Evaluate(m, p)
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
	got, err := Evaluate(oneHotModel(), model.Part{})
	if err != nil || got.N != 0 || len(got.Confusion) != 2 || got.Accuracy != 0 {
		t.Errorf("Evaluate(no rows) = %+v, %v; want an empty 2×2 result", got, err)
	}
}
