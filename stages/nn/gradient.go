package nn

import (
	"fmt"
	"math"
)

// Method selects how a gradient is computed.
type Method int

const (
	// Numerical is the central difference g_p = (E(wv+εe_p) − E(wv−εe_p)) / 2ε, computed fast:
	// the same numbers as NumericalFull to rounding. It is the default.
	Numerical Method = iota
	// NumericalFull is the same central difference by its plain definition: for every p, two
	// full evaluations of E over all rows. It is kept for teaching, comparison and as the test
	// oracle; it costs about 2P forward passes.
	NumericalFull
	// Backprop is the analytic gradient of the same E by back-propagation.
	Backprop
)

// String returns the method's configuration name: "numerical", "numerical-full" or
// "backprop".
func (m Method) String() string {
	switch m {
	case Numerical:
		return "numerical"
	case NumericalFull:
		return "numerical-full"
	case Backprop:
		return "backprop"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Gradient writes the gradient of E at wv into dst (length P), computed by method m, with
// the weight decay's term when SetL2 set one (the numerical methods difference E plus that
// term, Backprop adds α w_p/N). eps is the central-difference step ε of the numerical methods
// and is ignored by Backprop. It panics if dst or wv does not have P elements, if m is not a
// Method, or if a numerical method gets an eps that is not a finite number > 0.
func (o *Objective) Gradient(dst, wv []float64, m Method, eps float64) {
	o.checkGradient(dst, wv, m, eps)
	switch m {
	case Numerical:
		o.fast.prepare(o, wv, eps)
		for c := range o.numChunks {
			o.fastChunk(o.sc, wv, c)
		}
		o.reduce(dst, o.fast.scale)
		o.addDecay(dst, wv, m)
	case NumericalFull:
		o.numericalFull(o.sc, dst, wv, eps, 0, len(wv))
	case Backprop:
		for c := range o.numChunks {
			o.backpropChunk(o.sc, wv, c)
		}
		o.reduce(dst, nil)
		o.addDecay(dst, wv, m)
	}
}

// addDecay adds the weight decay's part of the gradient to dst, for Backprop its derivative
// α w_p/N, for Numerical its central difference at the steps the fast gradient took:
//
//	α/(2N) ((w + h₊)² − (w − h₋)²) / 2ε = (α/N) (h̄/ε) (w + (h₊ − h₋)/2),
//
// exact for a quadratic. NumericalFull differences the penalty with E instead.
func (o *Objective) addDecay(dst, wv []float64, m Method) {
	if o.l2 == 0 {
		return
	}
	s := o.shape
	c := o.l2 / float64(o.n)
	f := &o.fast
	for p, w := range wv {
		if s.isBias(p) {
			continue
		}
		if m == Backprop {
			dst[p] += float64(c * w)
		} else {
			dst[p] += float64(c * f.scale[p] * (w + float64((f.hp[p]-f.hm[p])/2)))
		}
	}
}

// checkGradient panics on the conditions Gradient documents.
func (o *Objective) checkGradient(dst, wv []float64, m Method, eps float64) {
	o.checkParams(wv)
	if len(dst) != len(wv) {
		panic(fmt.Sprintf("nn: gradient destination has %d elements, want %d", len(dst), len(wv)))
	}
	switch m {
	case Numerical, NumericalFull:
		if !(eps > 0 && eps <= math.MaxFloat64) {
			panic(fmt.Sprintf("nn: central-difference step %v is not a finite number > 0", eps))
		}
	case Backprop:
	default:
		panic(fmt.Sprintf("nn: unknown gradient method %d", int(m)))
	}
}

// reduce sets dst_p = scale_p/N · Σ_c acc[c][p], adding the chunks' partial sums in chunk
// order (scale nil means 1).
func (o *Objective) reduce(dst, scale []float64) {
	p := len(dst)
	copy(dst, o.acc[:p])
	for c := 1; c < o.numChunks; c++ {
		part := o.acc[c*p : (c+1)*p]
		for i, v := range part {
			dst[i] += v
		}
	}
	inv := 1 / float64(o.n)
	if scale == nil {
		for i := range dst {
			dst[i] *= inv
		}
		return
	}
	for i := range dst {
		dst[i] *= scale[i] * inv
	}
}

// numericalFull writes g_p for p in [lo, hi) into dst[p] by the definition: E (plus the
// weight decay's term, if any) is evaluated over all rows at wv − εe_p and at wv + εe_p (the
// perturbed weight rounded to float64, as the book does), and g_p = (E₊ − E₋) / 2ε.
func (o *Objective) numericalFull(sc *scratch, dst, wv []float64, eps float64, lo, hi int) {
	pert := sc.pert
	copy(pert, wv)
	for p := lo; p < hi; p++ {
		pert[p] = wv[p] - eps
		e1 := o.value(sc, pert)
		if o.l2 != 0 {
			e1 += o.penalty(pert)
		}
		pert[p] = wv[p] + eps
		e2 := o.value(sc, pert)
		if o.l2 != 0 {
			e2 += o.penalty(pert)
		}
		pert[p] = wv[p]
		dst[p] = (e2 - e1) / (2 * eps)
	}
}

// backpropChunk adds, for the rows of chunk c, the terms of the analytic gradient
//
//	∂E/∂v_kj = (1/N) Σ_n (y_nk − t_nk) z_nj
//	∂E/∂w_ji = (1/N) Σ_n σ'(b_nj) Σ_k (y_nk − t_nk) v_kj x_ni
//
// (without the 1/N) into the chunk's partial sums, and stores the rows' cross-entropy. A
// block at a time: δ = y − t, the output weights' sums δᵀz, the hidden deltas
// δh_j = (Σ_k δ_k v_kj) z_j (1 − z_j) and the hidden weights' sums δhᵀx.
func (o *Objective) backpropChunk(sc *scratch, wv []float64, c int) {
	s := o.shape
	nw, p := s.numW(), s.NumParams()
	v := wv[nw:]
	acc := o.acc[c*p : (c+1)*p]
	clear(acc)
	gw, gv := acc[:nw], acc[nw:]
	d1, m, m1, k := s.D+1, s.M, s.M+1, s.K
	bk := &sc.blk
	lo, hi := o.chunk(c)
	for r0 := lo; r0 < hi; r0 += blockRows {
		n := min(blockRows, hi-r0)
		o.forward(sc, wv, r0, n, true)
		copy(o.loss[r0:r0+n], bk.loss[:n])
		toRows(bk.y, k, bk.yT, k, n)
		toRows(bk.z, m1, bk.zT, m1, n)
		toRows(bk.ez, m, bk.ezT, m, n)
		dk := bk.y[:n*k] // δ_k = y_k − t_k
		for r, t := range o.labels[r0 : r0+n] {
			dk[r*k+int(t)]--
		}
		gemm(gv, m1, m1, k, dk, 1, k, bk.z, m1, n, true)
		dh := bk.dh[:n*m]
		gemm(dh, m, m, n, dk, k, 1, v, m1, k, false)
		for r := range n {
			dhr, zr, ezr := dh[r*m:(r+1)*m], bk.z[r*m1:(r+1)*m1], bk.ez[r*m:(r+1)*m]
			zr, ezr = zr[:len(dhr)], ezr[:len(dhr)]
			for j := range dhr {
				dhr[j] *= zr[j] * ezr[j] // σ'(b_j) = z_j (1 − z_j)
			}
		}
		gemm(gw, d1, d1, m, dh, 1, m, o.x[r0*d1:(r0+n)*d1], d1, n, true)
	}
}
