package nn

import "math"

// GradCheckReport compares a numerical gradient gn with a back-propagated one gb.
type GradCheckReport struct {
	// MaxAbs is max_p |gn_p − gb_p|.
	MaxAbs float64
	// MaxRel is max_p |gn_p − gb_p| / max(|gn_p|, |gb_p|, f), where the floor f is a thousandth
	// of the largest |gn_q| or |gb_q|, and at least 1e-8. A component a thousand
	// times smaller than the largest hardly moves the weights, and compared with itself its
	// difference would be dominated by rounding and the ε² error of the central difference;
	// and for a cross-entropy of order 1 a float64 central difference cannot resolve much
	// below 1e-8 whatever ε (its rounding ~1e-16/ε and its ε² term balance near 1e-10).
	MaxRel float64
	// WorstAbs and WorstRel are the flat parameter indices where MaxAbs and MaxRel occur (the
	// first such index; 0 if the gradients are equal). Shape.ParamName names them.
	//
	// A good ε for a check is smaller than the training's: the fast numerical gradient's
	// rounding does not grow as 1/ε, and its ε² term, which is what a check at ε = 1e-3 mostly
	// measures (~1e-8 to 1e-7 absolute), vanishes: at ε = 1e-6 the two agree to ~1e-12.
	WorstAbs, WorstRel int
	// Numerical and Backprop are gn and gb at WorstRel: where a difference is not
	// finite, they say which of the two overflowed.
	Numerical, Backprop float64
}

// relFloor is the smallest floor of GradCheckReport.MaxRel's denominator.
const relFloor = 1e-8

// GradCheck compares the numerical gradient (the fast method, step eps) with the
// back-propagated one at wv, both of the objective's weight decay included (see SetL2). It
// panics under the conditions of Objective.Gradient.
func GradCheck(o *Objective, wv []float64, eps float64) GradCheckReport {
	gn := make([]float64, len(wv))
	gb := make([]float64, len(wv))
	o.Gradient(gn, wv, Numerical, eps)
	o.Gradient(gb, wv, Backprop, 0)
	return compareGradients(gn, gb)
}

// compareGradients computes the GradCheckReport of gn against gb; a NaN difference counts as
// the largest.
func compareGradients(gn, gb []float64) GradCheckReport {
	floor := relFloor
	for p := range gn {
		// NaN compares false: it does not set the floor, it shows as the worst difference.
		if a := math.Abs(gn[p]) / 1000; a > floor {
			floor = a
		}
		if b := math.Abs(gb[p]) / 1000; b > floor {
			floor = b
		}
	}
	var r GradCheckReport
	for p := range gn {
		d := math.Abs(gn[p] - gb[p])
		rel := d / math.Max(floor, math.Max(math.Abs(gn[p]), math.Abs(gb[p])))
		if worse(d, r.MaxAbs) {
			r.MaxAbs, r.WorstAbs = d, p
		}
		if worse(rel, r.MaxRel) {
			r.MaxRel, r.WorstRel = rel, p
		}
	}
	r.Numerical, r.Backprop = gn[r.WorstRel], gb[r.WorstRel]
	return r
}

// worse reports whether d is larger than cur, counting NaN as larger than any number.
func worse(d, cur float64) bool {
	return d > cur || (math.IsNaN(d) && !math.IsNaN(cur))
}
