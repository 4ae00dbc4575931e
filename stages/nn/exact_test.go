package nn

import (
	"math"
	"math/big"
	"testing"
)

// An exact-arithmetic oracle: E evaluated in 160-bit floating point, so that the central
// difference (E(wv+εe_p) − E(wv−εe_p))/2ε of the float64 perturbed weights is known to far
// below float64 rounding. It is slow and used on small problems only.

const bigPrec = 160

func bigf(x float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(x) }

func bigNew() *big.Float { return new(big.Float).SetPrec(bigPrec) }

// bigAtanhSeries returns 2·atanh(s) = 2 Σ s^(2k+1)/(2k+1) for |s| ≤ 1/3.
func bigAtanhSeries(s *big.Float) *big.Float {
	sum, pow, s2 := bigNew().Set(s), bigNew().Set(s), bigNew().Mul(s, s)
	tiny := bigNew().SetMantExp(bigf(1), -bigPrec-8)
	for k := int64(3); ; k += 2 {
		pow.Mul(pow, s2)
		term := bigNew().Quo(pow, bigNew().SetInt64(k))
		sum.Add(sum, term)
		if term.Abs(term).Cmp(tiny) < 0 {
			break
		}
	}
	return sum.Mul(sum, bigf(2))
}

func bigLn2() *big.Float { return bigAtanhSeries(bigNew().Quo(bigf(1), bigf(3))) }

// bigExp returns e^x: x = n ln 2 + r with |r| ≤ ln2/2, then Taylor.
func bigExp(x *big.Float) *big.Float {
	ln2 := bigLn2()
	q, _ := bigNew().Quo(x, ln2).Float64()
	n := math.Round(q)
	r := bigNew().Sub(x, bigNew().Mul(bigf(n), ln2))
	sum, term := bigf(1), bigf(1)
	tiny := bigNew().SetMantExp(bigf(1), -bigPrec-8)
	for k := int64(1); ; k++ {
		term.Mul(term, r)
		term.Quo(term, bigNew().SetInt64(k))
		sum.Add(sum, term)
		if bigNew().Abs(term).Cmp(tiny) < 0 {
			break
		}
	}
	return sum.SetMantExp(sum, int(n))
}

// bigLog returns log y for y > 0: y = m 2^e, m ∈ [0.5, 1), log m = 2 atanh((m−1)/(m+1)).
func bigLog(y *big.Float) *big.Float {
	m := bigNew()
	e := y.MantExp(m)
	s := bigNew().Quo(bigNew().Sub(m, bigf(1)), bigNew().Add(m, bigf(1)))
	l := bigAtanhSeries(s)
	return l.Add(l, bigNew().Mul(bigf(float64(e)), bigLn2()))
}

// bigValue returns E(wv) of pr's data in 160-bit arithmetic.
func bigValue(pr problem, wv []float64) *big.Float {
	s := pr.shape
	w, v := wv[:s.numW()], wv[s.numW():]
	total := bigNew()
	z := make([]*big.Float, s.M+1)
	for r := range len(pr.labels) {
		x := pr.x[r*s.D : (r+1)*s.D]
		for j := range s.M {
			b := bigf(w[j*(s.D+1)+s.D])
			for i, xi := range x {
				b.Add(b, bigNew().Mul(bigf(w[j*(s.D+1)+i]), bigf(xi)))
			}
			den := bigNew().Add(bigf(1), bigExp(b.Neg(b)))
			z[j] = bigNew().Quo(bigf(1), den)
		}
		z[s.M] = bigf(1)
		sumExp := bigNew()
		var at *big.Float
		for k := range s.K {
			a := bigNew()
			for j, zj := range z {
				a.Add(a, bigNew().Mul(bigf(v[k*(s.M+1)+j]), zj))
			}
			sumExp.Add(sumExp, bigExp(a))
			if k == int(pr.labels[r]) {
				at = a
			}
		}
		total.Add(total, bigNew().Sub(bigLog(sumExp), at))
	}
	return total.Quo(total, bigf(float64(len(pr.labels))))
}

// bigGradient returns the central difference at pr.wv, component p, in 160-bit arithmetic,
// for the float64 perturbed weights fl(w_p ± eps) the full recompute uses.
func bigGradient(pr problem, p int, eps float64) float64 {
	wv := append([]float64(nil), pr.wv...)
	wv[p] = pr.wv[p] + eps
	plus := bigValue(pr, wv)
	wv[p] = pr.wv[p] - eps
	minus := bigValue(pr, wv)
	g, _ := plus.Sub(plus, minus).Quo(plus, bigf(2*eps)).Float64()
	return g
}

func TestBigOracle(t *testing.T) {
	// The oracle's building blocks against the math package's, which are within 1 ulp of the
	// true value (math.Log(3) is 1 ulp low): 2 ulp relative, or one subnormal step, the ulp
	// of e^−745 ≈ 4.9e−324 (arm64's math.Exp rounds it to 0).
	for _, x := range []float64{-745, -30, -1, -1e-9, 0, 0.5, 1, 2.5, 700} {
		got, _ := bigExp(bigf(x)).Float64()
		if want := math.Exp(x); math.Abs(got-want) > max(4.5e-16*want, math.SmallestNonzeroFloat64) {
			t.Errorf("bigExp(%g) = %.17g, want %.17g", x, got, want)
		}
	}
	for _, y := range []float64{1e-300, 0.1, 0.999, 1, 3, 1e300} {
		got, _ := bigLog(bigf(y)).Float64()
		if want := math.Log(y); math.Abs(got-want) > 4.5e-16*math.Abs(want) {
			t.Errorf("bigLog(%g) = %.17g, want %.17g", y, got, want)
		}
	}
}

func TestFastGradientLargeWeights(t *testing.T) {
	// Large weights with every label random, so that rows are wrong by |a| ≈ 750 and E is
	// ~10², against the 160-bit oracle. The fast gradient is exact to rounding: within
	// 1e-13·max(1, |g_p|) (a few hundred ulp: the exact fallback's ΔE are themselves rounded
	// to a few ulp of |a| ≈ 750 and divided by 2ε). The full recompute, for comparison, is
	// only held to its rounding, 1000·ulp(E)/ε.
	if testing.Short() {
		t.Skip("the 160-bit oracle takes seconds")
	}
	for i, c := range []gridCase{
		{Shape{1, 1, 3}, 7, true},
		{Shape{2, 2, 3}, 1, true},
		{Shape{2, 3, 10}, 7, true},
		{Shape{13, 2, 2}, 7, true},
		{Shape{2, 2, 3}, 7, false},
	} {
		t.Run(c.String()+" and random labels", func(t *testing.T) {
			wStd, aMax := 1.0, 0.0
			if c.large {
				wStd, aMax = 10, 750
			}
			pr := randomProblem(uint64(100+i), c.shape, c.n, wStd, aMax)
			if c.n == 1 {
				pr.labels[0] = leastLikely(pr, 0) // make the one row wrong by far
			}
			o := pr.objective(t)
			fast := make([]float64, len(pr.wv))
			full := make([]float64, len(pr.wv))
			o.Gradient(fast, pr.wv, Numerical, 1e-3)
			o.Gradient(full, pr.wv, NumericalFull, 1e-3)
			e := o.Value(pr.wv)
			fullTol := 1000 * math.Nextafter(e, math.Inf(1)) / 1e-3 * 0x1p-52
			var worstFast, worstFull float64
			defer func() {
				t.Logf("largest difference from the oracle: fast %.3g, full %.3g (E = %.4g)", worstFast, worstFull, e)
			}()
			for p := range pr.wv {
				want := bigGradient(pr, p, 1e-3)
				worstFast = math.Max(worstFast, math.Abs(fast[p]-want))
				worstFull = math.Max(worstFull, math.Abs(full[p]-want))
				if d := math.Abs(fast[p] - want); !(d <= 1e-13*math.Max(1, math.Abs(want))) {
					t.Errorf("Gradient(Numerical)[%s] = %.17g, want %.17g (differ by %.3g)", c.shape.ParamName(p), fast[p], want, d)
				}
				if d := math.Abs(full[p] - want); !(d <= fullTol) {
					t.Errorf("Gradient(NumericalFull)[%s] = %.17g, want %.17g (differ by %.3g)", c.shape.ParamName(p), full[p], want, d)
				}
			}
		})
	}
}

// leastLikely returns the class with the smallest output of row r.
func leastLikely(pr problem, r int) int32 {
	s := pr.shape
	z, a := make([]float64, s.M+1), make([]float64, s.K)
	hidden(s, pr.wv[:s.numW()], pr.x[r*s.D:(r+1)*s.D], z)
	outputs(s, pr.wv[s.numW():], z, a)
	worst := 0
	for k := range a {
		if a[k] < a[worst] {
			worst = k
		}
	}
	return int32(worst)
}
