package nn

import (
	"math"
	"testing"
)

func TestBackpropAgreesWithNumerical(t *testing.T) {
	// The numerical gradient is back-propagation's plus the central difference's ε² term,
	// ≈ (ε²/6)·∂³E/∂w³, plus rounding. With the fast method the rounding does not grow as
	// 1/ε (it works with the changes of E directly), so a small ε = 2⁻²³ ≈ 1.2e-7 makes the ε²
	// term ~2e-15·|∂³E/∂w³|, below 1e-6 relative even for large weights. (A power of two, so
	// that w ± ε is exact for most weights: the step actually taken differs from ε by at most
	// ulp(w)/2, ≤ 3e-7 relative for the largest weights here.)
	//
	// Relative difference, as GradCheck defines it: |gn_p − gb_p| / max(|gn_p|, |gb_p|, f),
	// f a thousandth of the gradient's largest component and at least 1e-8, so that a
	// component that is 0 up to rounding is not compared with itself. (The large-weight
	// networks have mostly saturated units: their whole gradient can be ~1e-100.)
	const eps, tol = 0x1p-23, 1e-6
	worst := 0.0
	for i, c := range grid(testing.Short()) {
		t.Run(c.String(), func(t *testing.T) {
			pr := c.problem(uint64(i))
			o := pr.objective(t)
			r := GradCheck(o, pr.wv, eps)
			worst = math.Max(worst, r.MaxRel)
			if !(r.MaxRel <= tol) {
				t.Errorf("GradCheck(ε=%g) = %+v: %s differs by %.3g relative, want <= %g", eps, r, c.shape.ParamName(r.WorstRel), r.MaxRel, tol)
			}
		})
	}
	t.Logf("largest relative difference %.3g", worst)
}

func TestBackpropAgreesWithBookStep(t *testing.T) {
	// At the book's ε = 1e-3 the two gradients differ by the central difference's ε² term,
	// (ε²/6)·∂³E/∂w³: the book's own fixtures show ~1e-8, and at the book's weights it stays
	// below 1e-7 absolute.
	bd := loadBook(t)
	train, _ := bd.objectives(t)
	for i, wv := range [][]float64{bd.want.WvInit, bd.want.Final.Wv, bd.want.Fixtures.NumGrad.Wv} {
		if r := GradCheck(train, wv, bd.want.Config.Eps); !(r.MaxAbs <= 1e-7) {
			t.Errorf("GradCheck(book weights %d) = %+v, want MaxAbs <= 1e-7", i, r)
		}
	}
}

func TestGradCheckNamesWorstParameter(t *testing.T) {
	s := Shape{D: 3, M: 2, K: 2} // w: 2×4 (0–7), v: 2×3 (8–13)
	tests := []struct {
		name               string
		gn, gb             []float64
		wantAbs, wantRel   string
		wantMaxAbs, maxRel float64
	}{
		{
			name:       "a large component off by a little and a small one off by a lot",
			gn:         []float64{1, 0, 0, 0, 0, 0, 0.5 + 1e-4, 0, 0, 0, 0, 0, 0, 0},
			gb:         []float64{1, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0.01, 0, 0, 0},
			wantAbs:    "v[0][2]",
			wantRel:    "v[0][2]",
			wantMaxAbs: 0.01,
			maxRel:     1,
		},
		{
			name:       "a small component off relatively the most",
			gn:         []float64{2, 0, 0, 0, 0, 0.1, 0, 0, 0, 0, 0, 0, 0, 0},
			gb:         []float64{2.001, 0, 0, 0, 0, 0.11, 0, 0, 0, 0, 0, 0, 0, 0},
			wantAbs:    "w[1][1]",
			wantRel:    "w[1][1]",
			wantMaxAbs: 0.01,
			maxRel:     0.01 / 0.11,
		},
		{
			name:       "the largest absolute and relative differences are different parameters",
			gn:         []float64{5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0101},
			gb:         []float64{5.002, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.01},
			wantAbs:    "w[0][0]",
			wantRel:    "v[1][2]",
			wantMaxAbs: 0.002,
			maxRel:     0.0001 / 0.0101,
		},
		{
			name:    "a component below the floor is measured against the floor",
			gn:      []float64{1, 0, 0, 0, 0, 0, 0, 1e-7, 0, 0, 0, 0, 0, 0},
			gb:      []float64{1, 0, 0, 0, 0, 0, 0, 2e-7, 0, 0, 0, 0, 0, 0},
			wantAbs: "w[1][3]", wantRel: "w[1][3]",
			wantMaxAbs: 1e-7,
			maxRel:     1e-7 / 1e-3,
		},
		{
			name:       "a gradient that is zero up to rounding is measured against 1e-8",
			gn:         []float64{1e-13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			gb:         []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1e-13},
			wantAbs:    "w[0][0]",
			wantRel:    "w[0][0]",
			wantMaxAbs: 1e-13,
			maxRel:     1e-13 / 1e-8,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := compareGradients(tc.gn, tc.gb)
			if got := s.ParamName(r.WorstAbs); got != tc.wantAbs {
				t.Errorf("WorstAbs = %s, want %s", got, tc.wantAbs)
			}
			if got := s.ParamName(r.WorstRel); got != tc.wantRel {
				t.Errorf("WorstRel = %s, want %s", got, tc.wantRel)
			}
			// The differences are computed in float64 from the inputs: a few ulp.
			if math.Abs(r.MaxAbs-tc.wantMaxAbs) > 1e-15 || math.Abs(r.MaxRel-tc.maxRel) > 1e-12 {
				t.Errorf("MaxAbs, MaxRel = %g, %g, want %g, %g", r.MaxAbs, r.MaxRel, tc.wantMaxAbs, tc.maxRel)
			}
		})
	}
	t.Run("a NaN difference is the worst", func(t *testing.T) {
		gn := make([]float64, 14)
		gb := make([]float64, 14)
		gn[0], gb[0] = 1, 2
		gn[9] = math.NaN()
		r := compareGradients(gn, gb)
		if r.WorstAbs != 9 || r.WorstRel != 9 || !math.IsNaN(r.MaxAbs) {
			t.Errorf("compareGradients with NaN = %+v, want NaN at 9", r)
		}
	})
	t.Run("GradCheck finds a sabotaged gradient component", func(t *testing.T) {
		// A real network: the two gradients agree closely; adding 1e-3 to the numerical
		// gradient of v[1][0] must make it the worst parameter by both measures.
		pr := randomProblem(500, s, 20, 1, 0)
		o := pr.objective(t)
		gn := make([]float64, len(pr.wv))
		gb := make([]float64, len(pr.wv))
		o.Gradient(gn, pr.wv, Numerical, 1e-3)
		o.Gradient(gb, pr.wv, Backprop, 0)
		if r := GradCheck(o, pr.wv, 1e-3); r != compareGradients(gn, gb) {
			t.Fatalf("GradCheck = %+v, want the comparison of Gradient's %+v", r, compareGradients(gn, gb))
		}
		gn[11] += 1e-3
		r := compareGradients(gn, gb)
		if s.ParamName(r.WorstAbs) != "v[1][0]" || s.ParamName(r.WorstRel) != "v[1][0]" {
			t.Errorf("worst = %s, %s, want v[1][0]", s.ParamName(r.WorstAbs), s.ParamName(r.WorstRel))
		}
	})
}
