package nn

import (
	"fmt"
	"math"
	"testing"
)

// gridCase is one network of the grid the fast gradient is checked over.
type gridCase struct {
	shape Shape
	n     int
	large bool // output weights scaled so that max |a| = 750
}

func (c gridCase) String() string {
	w := "unit weights"
	if c.large {
		w = "large weights"
	}
	return fmt.Sprintf("D=%d M=%d K=%d N=%d %s", c.shape.D, c.shape.M, c.shape.K, c.n, w)
}

// problem draws the case's network: inputs N(0,1) with a fifth of them exactly 0, weights
// N(0,1), or for large weights N(0,10²) hidden weights and output weights scaled to
// max |a| = 750 (e^750 overflows float64: a naive softmax gives Inf/Inf) with the label of
// three rows in four set to the row's most probable class, so that E stays moderate (see
// TestFastGradientMatchesFull's tolerance).
func (c gridCase) problem(seed uint64) problem {
	wStd, aMax := 1.0, 0.0
	if c.large {
		wStd, aMax = 10, 750
	}
	pr := randomProblem(seed, c.shape, c.n, wStd, aMax)
	if c.large {
		s := c.shape
		z, a := make([]float64, s.M+1), make([]float64, s.K)
		for r := range c.n {
			if r%4 == 3 {
				continue
			}
			hidden(s, pr.wv[:s.numW()], pr.x[r*s.D:(r+1)*s.D], z)
			outputs(s, pr.wv[s.numW():], z, a)
			best := 0
			for k := range a {
				if a[k] > a[best] {
					best = k
				}
			}
			pr.labels[r] = int32(best)
		}
	}
	return pr
}

// grid returns the networks the fast gradient is checked over, D ∈ {1,2,13,64} × M ∈ {1,2,8,32} × K ∈ {2,3,10} ×
// N ∈ {1,7,1000}, each with unit and with large weights; with -short, a fixed sample of it
// that still contains every value of every dimension.
func grid(short bool) []gridCase {
	var cases []gridCase
	i := 0
	for _, d := range []int{1, 2, 13, 64} {
		for _, m := range []int{1, 2, 8, 32} {
			for _, k := range []int{2, 3, 10} {
				for _, n := range []int{1, 7, 1000} {
					for _, large := range []bool{false, true} {
						i++
						if short && i%11 != 0 {
							continue
						}
						cases = append(cases, gridCase{Shape{d, m, k}, n, large})
					}
				}
			}
		}
	}
	return cases
}

// checkedParams returns the parameters whose full-recompute gradient a test computes: all of
// them while the oracle's cost 2P·N·P stays small, otherwise every stride-th one plus the
// first and last of each layer.
func checkedParams(s Shape, n int) []int {
	p := s.NumParams()
	stride := max(1, p*p*n/4e6)
	var ps []int
	for q := 0; q < p; q++ {
		if q%stride == 0 || q == s.numW()-1 || q == s.numW() || q == p-1 {
			ps = append(ps, q)
		}
	}
	return ps
}

func TestFastGradientMatchesFull(t *testing.T) {
	// Tolerance 1e-10 absolute per component (the fast gradient's promise). The fast gradient's own error is
	// rounding of order 1e-16·|g| (the series' remainder is proven below 2⁻⁵⁴ per row, and it
	// works with the changes ΔE directly). The full recompute, the oracle, is less exact: E±
	// are each rounded to a few ulp of E, and their difference is divided by 2ε = 0.002, so it
	// carries an error of about 500·ulp(E) ≈ 1e-13·E. Measured: ≤ 3e-12 with unit weights;
	// with |a| up to 750, E reaches ~200 and the difference ~1e-10 there. Labels that make
	// every row wrong by |a| ≈ 750 (E ≈ 1500) would put the oracle's own rounding above 1e-10;
	// TestFastGradientLargeWeights checks those against an exact-arithmetic oracle.
	const tol = 1e-10
	worst := 0.0
	for i, c := range grid(testing.Short()) {
		t.Run(c.String(), func(t *testing.T) {
			pr := c.problem(uint64(i))
			o := pr.objective(t)
			g := make([]float64, len(pr.wv))
			o.Gradient(g, pr.wv, Numerical, 1e-3)
			full := make([]float64, len(pr.wv))
			for _, p := range checkedParams(c.shape, c.n) {
				o.numericalFull(o.sc, full, pr.wv, 1e-3, p, p+1)
				d := math.Abs(g[p] - full[p])
				worst = math.Max(worst, d)
				if !(d <= tol) {
					t.Errorf("Gradient(Numerical)[%s] = %.17g, NumericalFull %.17g, differ by %.3g > %g",
						c.shape.ParamName(p), g[p], full[p], d, tol)
				}
			}
		})
	}
	t.Logf("largest difference %.3g", worst)
}

func TestSeriesMatchesExactEvaluation(t *testing.T) {
	// Where the series is used, it must agree with the exact per-row evaluation of
	// E(wv ± h e_p) − E(wv) to rounding. Both are exact to ~1e-16 relative to the terms they
	// add; the tolerance 1e-14·max(1, |g_p|) leaves room for a few hundred such roundings.
	for i, c := range []struct {
		shape Shape
		n     int
		eps   float64
	}{
		{Shape{2, 2, 3}, 100, 1e-3},
		{Shape{13, 8, 10}, 50, 1e-3},
		{Shape{64, 4, 3}, 20, 1e-3},
		{Shape{3, 5, 4}, 40, 2e-4},
	} {
		t.Run(fmt.Sprintf("D=%d M=%d K=%d N=%d eps=%g", c.shape.D, c.shape.M, c.shape.K, c.n, c.eps), func(t *testing.T) {
			pr := randomProblem(uint64(200+i), c.shape, c.n, 1, 0)
			o := pr.objective(t)
			series := make([]float64, len(pr.wv))
			o.sc.exact = 0
			o.Gradient(series, pr.wv, Numerical, c.eps)
			if o.sc.exact != 0 {
				t.Fatalf("%d rows × units evaluated exactly, want the series everywhere", o.sc.exact)
			}
			o.forceExact = true
			exact := make([]float64, len(pr.wv))
			o.Gradient(exact, pr.wv, Numerical, c.eps)
			if want := c.n * (c.shape.M + 1); o.sc.exact != want {
				t.Fatalf("%d rows × units evaluated exactly, want %d", o.sc.exact, want)
			}
			for p := range series {
				if d := math.Abs(series[p] - exact[p]); !(d <= 1e-14*math.Max(1, math.Abs(exact[p]))) {
					t.Errorf("series gradient[%s] = %.17g, exact %.17g", c.shape.ParamName(p), series[p], exact[p])
				}
			}
		})
	}
}

func TestFastGradientFallsBackForLargeSteps(t *testing.T) {
	// ε = 0.05 is too large for the series of the output weights (and, with inputs up to ~4,
	// of most rows of the hidden units): the exact evaluation takes over, and the result is
	// still the full recompute's. Tolerance: the full recompute's rounding, ~1e-16·E/ε, is
	// 50 times smaller than at ε = 1e-3; 1e-12 is generous.
	pr := randomProblem(300, Shape{3, 4, 5}, 60, 1, 0)
	o := pr.objective(t)
	g := make([]float64, len(pr.wv))
	full := make([]float64, len(pr.wv))
	o.sc.exact = 0
	o.Gradient(g, pr.wv, Numerical, 0.05)
	if o.sc.exact == 0 {
		t.Fatal("no row was evaluated exactly")
	}
	o.Gradient(full, pr.wv, NumericalFull, 0.05)
	for p := range g {
		if d := math.Abs(g[p] - full[p]); !(d <= 1e-12) {
			t.Errorf("Gradient(Numerical, ε=0.05)[%s] = %.17g, NumericalFull %.17g", pr.shape.ParamName(p), g[p], full[p])
		}
	}
}

// TestFastGradientWithAnEpsilonPastExpsRange: ε·x past 709, where e^(ε·x)
// overflows, gives the full recompute's gradient, not NaN (0·∞ in the
// hidden unit's difference of sigmoids). Tolerance: at ε = 1000 the full
// recompute's rounding, ~1e-16·E/ε, is tiny; the differences of E are of
// order E itself, so 1e-12 relative is generous.
func TestFastGradientWithAnEpsilonPastExpsRange(t *testing.T) {
	pr := randomProblem(300, Shape{3, 4, 5}, 60, 1, 0)
	o := pr.objective(t)
	for _, eps := range []float64{300, 1000, 1e5} {
		g := make([]float64, len(pr.wv))
		full := make([]float64, len(pr.wv))
		o.Gradient(g, pr.wv, Numerical, eps)
		o.Gradient(full, pr.wv, NumericalFull, eps)
		for p := range g {
			if d := math.Abs(g[p] - full[p]); !(d <= 1e-12*math.Max(1, math.Abs(full[p]))) {
				t.Errorf("ε=%g: Gradient(Numerical)[%s] = %.17g, NumericalFull %.17g", eps, pr.shape.ParamName(p), g[p], full[p])
			}
		}
	}
}

func TestZeroInputLeavesRowUnchanged(t *testing.T) {
	// A row whose input i is 0 adds nothing to the gradient of w_ji but its bias term: with
	// all inputs 0, the gradient of every non-bias hidden weight is exactly 0, by the series
	// and by the exact evaluation alike.
	s := Shape{D: 3, M: 2, K: 3}
	pr := randomProblem(400, s, 5, 1, 0)
	clear(pr.x)
	for _, exact := range []bool{false, true} {
		o := pr.objective(t)
		o.forceExact = exact
		g := make([]float64, len(pr.wv))
		o.Gradient(g, pr.wv, Numerical, 1e-3)
		for j := range s.M {
			for i := range s.D {
				if p := j*(s.D+1) + i; g[p] != 0 {
					t.Errorf("exact=%v: Gradient[%s] = %g, want 0", exact, s.ParamName(p), g[p])
				}
			}
		}
	}
}

func TestFastGradientWithHugeWeights(t *testing.T) {
	// Weights so large (|w| ≥ 1e20) that w ± ε rounds to w: the full recompute evaluates E
	// twice at the same point and gets exactly 0; so must the fast gradient (no 0·∞ from
	// series coefficients that overflow).
	pr := randomProblem(700, Shape{2, 3, 4}, 10, 1, 0)
	for p := range pr.wv {
		pr.wv[p] = math.Copysign(1e20+math.Abs(pr.wv[p])*1e40, pr.wv[p])
	}
	o := pr.objective(t)
	for _, m := range []Method{Numerical, NumericalFull} {
		g := make([]float64, len(pr.wv))
		o.Gradient(g, pr.wv, m, 1e-3)
		for p := range g {
			if g[p] != 0 {
				t.Errorf("Gradient(%s)[%s] = %g, want 0", m, pr.shape.ParamName(p), g[p])
			}
		}
	}
}

func TestFastGradientSendsOverflowingSeriesToTheExactEvaluation(t *testing.T) {
	// A step so small that a series is proven exact for every row even though the output
	// weights span ±vmax: its coefficients (powers of the weights) overflow, and every row
	// must then be evaluated exactly, as a forced exact evaluation does, not summed through an
	// infinite coefficient. Through h⁵ the first three overflow; through h⁷ only the fourth
	// (the seventh power of 1e50 overflows, its fifth does not).
	for _, tc := range []struct {
		name      string
		vmax, eps float64
		tier      int // the series every row is proven exact through: 0 for h⁵, 1 for h⁷
	}{
		{"h⁵ overflows", 1e100, 1e-250, 0},
		{"only h⁷'s last coefficient overflows", 1e50, 1e-59, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Shape{D: 2, M: 2, K: 3}
			pr := randomProblem(701, s, 24, 1, 0)
			clear(pr.wv[:s.numW()]) // w = 0: every hidden step is ε itself, every z is 1/2
			v := pr.wv[s.numW():]
			for k, vk := range []float64{tc.vmax, -tc.vmax, 0} {
				// a_k = vk/2 − vk/2 + 0 = 0: every class equally likely.
				v[k*(s.M+1)], v[k*(s.M+1)+1], v[k*(s.M+1)+2] = vk, -vk, 0
			}
			o := pr.objective(t)
			f := &o.fast
			f.prepare(o, pr.wv, tc.eps)
			for j := range s.M {
				if !(f.tx[tc.tier][j] >= 3.5 && (tc.tier == 0 || f.tx[tc.tier-1][j] < 1)) {
					t.Fatalf("unit %d: the series is proven exact up to |x| ≤ %v through h⁵ and %v through h⁷: the case does not test what it says", j, f.tx[0][j], f.tx[1][j])
				}
			}
			fast := make([]float64, len(pr.wv))
			o.sc.tiers, o.sc.exact = [numOrders]int{}, 0
			o.Gradient(fast, pr.wv, Numerical, tc.eps)
			if want := 24 * s.M; o.sc.tiers[0]+o.sc.tiers[1] != 0 || o.sc.exact < want {
				t.Fatalf("%d and %d rows × units summed through h⁵ and h⁷, %d evaluated exactly; want 0, 0 and at least %d",
					o.sc.tiers[0], o.sc.tiers[1], o.sc.exact, want)
			}
			o.forceExact = true
			exact := make([]float64, len(pr.wv))
			o.Gradient(exact, pr.wv, Numerical, tc.eps)
			for p := range s.numW() {
				if d := math.Abs(fast[p] - exact[p]); !(d <= 1e-14*math.Max(1, math.Abs(exact[p]))) {
					t.Errorf("gradient[%s] = %.17g, exact %.17g", s.ParamName(p), fast[p], exact[p])
				}
			}
		})
	}
}

func TestGenericSeriesMatchesClosedForms(t *testing.T) {
	// The recurrences of hiddenSeriesN and outputSeriesN against the hand-written
	// coefficients through h⁷: the same numbers to rounding (a few ulp of the largest term,
	// and more for the high coefficients, which cancel: 1e-12 relative to their scale).
	for _, c := range []struct {
		z  float64
		y  []float64
		vj []float64
		t  int
	}{
		{0.3, []float64{0.2, 0.5, 0.3}, []float64{-1.5, 0.7, 2}, 1},
		{0.999, []float64{0.01, 0.99}, []float64{3, -4}, 0},
		{1e-6, []float64{0.1, 0.2, 0.3, 0.4}, []float64{10, -10, 5, 0.5}, 3},
	} {
		ez := 1 - c.z
		f1, f3, f5, f7 := hiddenSeries7(c.z, ez, c.y, c.vj, c.vj[c.t])
		g1, g3, g5 := hiddenSeries5(c.z, ez, c.y, c.vj, c.vj[c.t])
		var fc [maxOrder/2 + 1]float64
		hiddenSeriesN(11, c.z, ez, c.y, c.vj, c.vj[c.t], &fc)
		for i, want := range []float64{f1, f3, f5, f7} {
			scale := math.Max(math.Abs(want), math.Abs(f1)*1e-3)
			if math.Abs(fc[i]-want) > 1e-12*scale {
				t.Errorf("z=%v: hiddenSeriesN F%d = %.17g, hiddenSeries7 %.17g", c.z, 2*i+1, fc[i], want)
			}
		}
		for i, got := range []float64{g1, g3, g5} {
			if want := []float64{f1, f3, f5}[i]; got != want {
				t.Errorf("z=%v: hiddenSeries5 F%d = %.17g, hiddenSeries7 %.17g", c.z, 2*i+1, got, want)
			}
		}
		for k, yk := range c.y {
			outputSeriesN(9, yk, k == c.t, &fc)
			sk := yk * (1 - yk)
			gk := sk * (1 - 2*yk)
			c1 := yk
			if k == c.t {
				c1--
			}
			for i, want := range []float64{c1, gk / 6, gk * (1 - 12*sk) / 120, gk * (1 - 60*sk + 360*sk*sk) / 5040} {
				if math.Abs(fc[i]-want) > 1e-15 {
					t.Errorf("y=%v: outputSeriesN c%d = %.17g, want %.17g", yk, 2*i+1, fc[i], want)
				}
			}
		}
	}
}

func TestHigherOrderSeriesMatchExactEvaluation(t *testing.T) {
	// Larger output weights or inputs need the series through h⁹ or h¹¹; where they are used
	// they must agree with the exact evaluation as the low orders do (1e-14·max(1, |g_p|)).
	for i, c := range []struct {
		name       string
		wStd, xMul float64
		eps        float64
	}{
		{"output weights N(0, 10²)", 10, 1, 1e-3},
		{"inputs up to ~16", 2, 4, 1e-3},
		{"a step of 0.01", 1, 1, 0.01},
	} {
		t.Run(c.name, func(t *testing.T) {
			pr := randomProblem(uint64(250+i), Shape{16, 6, 10}, 60, c.wStd, 0)
			for p := range pr.x {
				pr.x[p] *= c.xMul
			}
			o := pr.objective(t)
			series := make([]float64, len(pr.wv))
			o.Gradient(series, pr.wv, Numerical, c.eps)
			if o.sc.tiers[2]+o.sc.tiers[3] == 0 {
				t.Fatalf("series tiers used %v: want some rows through h⁹ or h¹¹", o.sc.tiers)
			}
			t.Logf("rows × units by series order 5, 7, 9, 11: %v; exact: %d", o.sc.tiers, o.sc.exact)
			o.forceExact = true
			exact := make([]float64, len(pr.wv))
			o.Gradient(exact, pr.wv, Numerical, c.eps)
			for p := range series {
				if d := math.Abs(series[p] - exact[p]); !(d <= 1e-14*math.Max(1, math.Abs(exact[p]))) {
					t.Errorf("series gradient[%s] = %.17g, exact %.17g", pr.shape.ParamName(p), series[p], exact[p])
				}
			}
		})
	}
}
