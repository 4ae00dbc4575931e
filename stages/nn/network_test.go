package nn

import (
	"math"
	"testing"
)

// TestForwardGivesObjectivesBits scores random problems both ways: a Network, in batches of
// any size, must write the very bits of Objective.Probabilities and of Objective's per-row
// cross-entropy, which the predictions of a run hold.
func TestForwardGivesObjectivesBits(t *testing.T) {
	for _, s := range []Shape{{D: 2, M: 2, K: 3}, {D: 17, M: 5, K: 4}, {D: 3, M: 40, K: 2}} {
		pr := randomProblem(11, s, 300, 1, 30)
		o := pr.objective(t)
		want := make([]float64, o.Len()*s.K)
		o.Probabilities(want, pr.wv)
		o.lossRows(o.sc, pr.wv, 0, o.Len())
		net, err := NewNetwork(s, pr.wv)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 300} {
			got := make([]float64, len(want))
			loss := make([]float64, o.Len())
			for lo := 0; lo < o.Len(); lo += batch {
				hi := min(lo+batch, o.Len())
				net.Forward(pr.x[lo*s.D:hi*s.D], got[lo*s.K:hi*s.K], pr.labels[lo:hi], loss[lo:hi])
			}
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("shape %v, batches of %d: y[%d] = %v, Objective gives %v", s, batch, i, got[i], want[i])
				}
			}
			for r := range loss {
				if w := o.loss[r]; math.Float64bits(loss[r]) != math.Float64bits(w) {
					t.Fatalf("shape %v: row %d cross-entropy %v, Objective gives %v", s, r, loss[r], w)
				}
			}
		}
	}
}

func TestForwardGivesNaNLossForAnUnknownClass(t *testing.T) {
	s := Shape{D: 2, M: 2, K: 3}
	pr := randomProblem(2, s, 3, 1, 0)
	net, err := NewNetwork(s, pr.wv)
	if err != nil {
		t.Fatal(err)
	}
	y, loss := make([]float64, 9), make([]float64, 3)
	net.Forward(pr.x, y, []int32{0, -1, 3}, loss)
	if math.IsNaN(loss[0]) || !math.IsNaN(loss[1]) || !math.IsNaN(loss[2]) {
		t.Errorf("Forward losses for labels 0, -1, 3 = %v, want a number, NaN, NaN", loss)
	}
}

func TestNewNetworkRefusesWhatCannotBeScored(t *testing.T) {
	s := Shape{D: 2, M: 1, K: 2}
	good := make([]float64, s.NumParams())
	for _, tc := range []struct {
		name  string
		shape Shape
		wv    []float64
	}{
		{"a shape of one class", Shape{D: 2, M: 1, K: 1}, make([]float64, 5)},
		{"too few parameters", s, good[1:]},
		{"a NaN parameter", s, append(append([]float64(nil), good[1:]...), math.NaN())},
		{"an infinite parameter", s, append([]float64{math.Inf(-1)}, good[1:]...)},
	} {
		if _, err := NewNetwork(tc.shape, tc.wv); err == nil {
			t.Errorf("NewNetwork with %s = nil error, want one", tc.name)
		}
	}
	if _, err := NewNetwork(s, good); err != nil {
		t.Errorf("NewNetwork of zeros = %v, want nil", err)
	}
}
