package nn

import (
	"math"
	"testing"
)

// FuzzFastMatchesFull checks the fast numerical gradient against the full recompute on
// random small networks of any weight scale and step. The tolerance is the full recompute's
// own rounding: each row's E_n carries a few ulp of the largest |pre-activation| per term
// (M+K+2 terms), E± are compensated sums of those, and their difference is divided by 2ε;
// a factor 8 on top, plus 1e-13 relative to the component for the fast side.
func FuzzFastMatchesFull(f *testing.F) {
	f.Add(uint64(1), uint8(2), uint8(2), uint8(3), uint8(7), 1.0, 0.0, 1e-3)
	f.Add(uint64(2), uint8(13), uint8(8), uint8(10), uint8(3), 10.0, 750.0, 1e-3)
	f.Add(uint64(3), uint8(1), uint8(1), uint8(2), uint8(1), 0.01, 0.0, 0.3)
	f.Add(uint64(4), uint8(4), uint8(3), uint8(4), uint8(5), 3.0, 40.0, 1e-5)
	f.Fuzz(func(t *testing.T, seed uint64, d, m, k, n uint8, wStd, aMax, eps float64) {
		s := Shape{D: 1 + int(d)%16, M: 1 + int(m)%8, K: 2 + int(k)%9}
		rows := 1 + int(n)%12
		if !(wStd >= 0 && wStd <= 30) || !(aMax >= 0 && aMax <= 800) || !(eps >= 1e-6 && eps <= 0.5) {
			t.Skip()
		}
		pr := randomProblem(seed, s, rows, wStd, aMax)
		o := pr.objective(t)
		fast := make([]float64, len(pr.wv))
		full := make([]float64, len(pr.wv))
		o.Gradient(fast, pr.wv, Numerical, eps)
		o.Gradient(full, pr.wv, NumericalFull, eps)
		// The largest magnitude in any row's E_n: the pre-activations and the loss itself.
		big := 1.0
		z, a := make([]float64, s.M+1), make([]float64, s.K)
		for r := range rows {
			hidden(s, pr.wv[:s.numW()], pr.x[r*s.D:(r+1)*s.D], z)
			outputs(s, pr.wv[s.numW():], z, a)
			for _, ak := range a {
				big = math.Max(big, 2*math.Abs(ak))
			}
		}
		tol := 8 * float64(s.M+s.K+2) * big * 0x1p-52 / eps
		for p := range fast {
			if d := math.Abs(fast[p] - full[p]); !(d <= tol+1e-13*math.Abs(full[p])) {
				t.Errorf("%+v N=%d ε=%g: Gradient(Numerical)[%s] = %.17g, NumericalFull %.17g (differ by %.3g, tolerance %.3g)",
					s, rows, eps, s.ParamName(p), fast[p], full[p], d, tol)
			}
		}
	})
}
