package nn

import (
	"math"
	"slices"
	"testing"
)

func TestSetL2RefusesWhatIsNotAWeightDecay(t *testing.T) {
	o := randomProblem(700, Shape{2, 2, 3}, 5, 1, 0).objective(t)
	for _, a := range []float64{-1e-4, -5e-324, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if err := o.SetL2(a); err == nil {
			t.Errorf("SetL2(%v) = nil, want an error", a)
		}
		if o.L2() != 0 {
			t.Errorf("SetL2(%v) changed L2 to %v", a, o.L2())
		}
	}
	for _, a := range []float64{0, 1e-4, 3, math.MaxFloat64} {
		if err := o.SetL2(a); err != nil || o.L2() != a {
			t.Errorf("SetL2(%v) = %v, L2() = %v", a, err, o.L2())
		}
	}
}

func TestPenaltyIsScikitLearnsAlphaTerm(t *testing.T) {
	// Shape{1, 1, 2}: w = [w00, b0], v = [v00, c0, v10, c1]; the biases are indices 1, 3, 5.
	pr := randomProblem(701, Shape{1, 1, 2}, 4, 1, 0)
	o := pr.objective(t)
	wv := []float64{2, 100, 3, 100, -1, 100}
	if p := o.Penalty(wv); p != 0 {
		t.Errorf("Penalty without SetL2 = %v, want 0", p)
	}
	if err := o.SetL2(0.5); err != nil {
		t.Fatal(err)
	}
	// α/(2N) Σ w² = 0.5/8 · (4 + 9 + 1): exact in binary.
	if p, want := o.Penalty(wv), 0.5/8*14; p != want {
		t.Errorf("Penalty = %v, want %v (biases left out)", p, want)
	}
}

func TestBackpropDecayIsAlphaWOverN(t *testing.T) {
	// The analytic gradient with α is the one without plus α w_p / N on weights, and
	// exactly the same on biases.
	for _, c := range grid(true) {
		pr := c.problem(3)
		o := pr.objective(t)
		plain := make([]float64, len(pr.wv))
		o.Gradient(plain, pr.wv, Backprop, 0)
		const alpha = 0.25
		if err := o.SetL2(alpha); err != nil {
			t.Fatal(err)
		}
		g := make([]float64, len(pr.wv))
		o.Gradient(g, pr.wv, Backprop, 0)
		for p := range g {
			want := plain[p]
			if !c.shape.isBias(p) {
				want += float64(alpha / float64(c.n) * pr.wv[p])
			}
			if g[p] != want {
				t.Fatalf("%v: Gradient(Backprop, α)[%s] = %v, want %v", c, c.shape.ParamName(p), g[p], want)
			}
		}
	}
}

func TestDecayedGradientsAgree(t *testing.T) {
	// The three gradients of E + α/(2N) Σ w² agree as those of E do (see
	// TestBackpropAgreesWithNumerical and TestFastGradientMatchesFull for the tolerances):
	// the penalty is a quadratic, whose central difference is exact to rounding, and its
	// derivative α w/N is of the size of the weights (up to ~30 here, times α/N).
	const eps = 0x1p-23
	for i, c := range grid(testing.Short()) {
		if !testing.Short() && i%4 != 0 {
			continue // a quarter of the grid: every dimension's values, in a few seconds
		}
		for _, alpha := range []float64{1e-4, 50} {
			pr := c.problem(uint64(i))
			o := pr.objective(t)
			if err := o.SetL2(alpha); err != nil {
				t.Fatal(err)
			}
			if r := GradCheck(o, pr.wv, eps); !(r.MaxRel <= 1e-6) {
				t.Errorf("%v α=%g: GradCheck = %+v, %s differs by %.3g relative", c, alpha, r, c.shape.ParamName(r.WorstRel), r.MaxRel)
			}
			fast := make([]float64, len(pr.wv))
			o.Gradient(fast, pr.wv, Numerical, 1e-3)
			full := make([]float64, len(pr.wv))
			for _, p := range checkedParams(c.shape, c.n) {
				o.numericalFull(o.sc, full, pr.wv, 1e-3, p, p+1)
				// The oracle's rounding grows with E + penalty (~α·P·w²/N here): 1e-13 of it,
				// divided by 2ε as in TestFastGradientMatchesFull.
				scale := 1 + o.Value(pr.wv) + o.Penalty(pr.wv)
				if d := math.Abs(fast[p] - full[p]); !(d <= 1e-10*scale) {
					t.Errorf("%v α=%g: Gradient(Numerical)[%s] = %.17g, NumericalFull %.17g, differ by %.3g",
						c, alpha, c.shape.ParamName(p), fast[p], full[p], d)
				}
			}
		}
	}
}

func TestDecayedFastGradientAgainstExactArithmetic(t *testing.T) {
	// The decay's term of the fast numerical gradient is the central difference of the
	// penalty at the steps actually taken, fl(w ± ε): against that difference in 160-bit
	// arithmetic, to a few ulp of the term.
	pr := randomProblem(702, Shape{3, 4, 3}, 7, 3, 0)
	o := pr.objective(t)
	const alpha, eps = 0.7, 1e-3
	if err := o.SetL2(alpha); err != nil {
		t.Fatal(err)
	}
	with := make([]float64, len(pr.wv))
	o.Gradient(with, pr.wv, Numerical, eps)
	if err := o.SetL2(0); err != nil {
		t.Fatal(err)
	}
	without := make([]float64, len(pr.wv))
	o.Gradient(without, pr.wv, Numerical, eps)
	n := bigf(float64(o.Len()))
	for p, w := range pr.wv {
		want := 0.0
		if !pr.shape.isBias(p) {
			plus, minus := bigf(w+eps), bigf(w-eps)
			plus.Mul(plus, plus)
			minus.Mul(minus, minus)
			d := plus.Sub(plus, minus)
			d.Mul(d, bigf(alpha))
			d.Quo(d, bigNew().Mul(n, bigf(4*eps)))
			want, _ = d.Float64()
		}
		got := with[p] - without[p]
		if d := math.Abs(got - want); d > 8*0x1p-52*math.Max(math.Abs(want), math.Abs(without[p])) {
			t.Errorf("decay term of %s = %.17g, want %.17g", pr.shape.ParamName(p), got, want)
		}
	}
}

func TestGradientWithoutDecayIsUnchanged(t *testing.T) {
	// SetL2(0) after SetL2(α) gives back the plain gradient bit for bit: no term is added
	// (not even +0, which would turn a −0 into +0).
	pr := randomProblem(703, Shape{2, 3, 3}, 9, 1, 0)
	o := pr.objective(t)
	for _, m := range []Method{Numerical, Backprop, NumericalFull} {
		before := make([]float64, len(pr.wv))
		o.Gradient(before, pr.wv, m, 1e-3)
		if err := o.SetL2(2); err != nil {
			t.Fatal(err)
		}
		mid := make([]float64, len(pr.wv))
		o.Gradient(mid, pr.wv, m, 1e-3)
		if err := o.SetL2(0); err != nil {
			t.Fatal(err)
		}
		after := make([]float64, len(pr.wv))
		o.Gradient(after, pr.wv, m, 1e-3)
		if slices.Equal(before, mid) || !slices.Equal(before, after) {
			t.Errorf("%s: the decay did not change the gradient, or its removal did not restore it", m)
		}
	}
}
