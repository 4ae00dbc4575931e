package nn

import "math"

// The kernels of the block computations. Each is defined by the plain loops below; an
// architecture may provide faster versions that compute the same bits (kernels_amd64.go).
// The explicit float64 conversions round each product before its addition: without them, Go
// may fuse x*y + z into one instruction (on arm64, or on amd64 with GOAMD64=v3), which
// rounds once and would change the results from one build to another.

// gemm computes, for q < rows and i < n,
//
//	c[q·ldc + i] (=, or += with add) Σ_{r<rr} a[q·aq + r·ar] · b[r·ldb + i],
//
// adding the products to the destination (0 without add) one at a time in the order
// r = 0, 1, …, each product rounded before it is added. The strides aq and ar let a be read
// row-wise (aq = lda, ar = 1) or column-wise (aq = 1, ar = lda).
func gemmGo(c []float64, ldc, n, rows int, a []float64, aq, ar int, b []float64, ldb, rr int, add bool) {
	for q := range rows {
		cq := c[q*ldc : q*ldc+n]
		if !add {
			clear(cq)
		}
		for r := range rr {
			av := a[q*aq+r*ar]
			br := b[r*ldb : r*ldb+n]
			for i := range cq {
				cq[i] += float64(av * br[i])
			}
		}
	}
}

// seriesAccGo adds to acc_i, for i < len(acc), the rows' odd series terms
//
//	Σ_r x_ri · P_r(hs_i · x_ri · x_ri),   x_ri = x[r·ldx + i],
//
// rows r < len(nc) in order, P_r(u) = c_0 + u(c_1 + u(c_2 + …)) evaluated by Horner's rule
// from its nc[r] coefficients c_q = coef[q·qs + r]; a row with nc[r] = 0 adds nothing. The
// kernel seriesAcc computes the same; its caller may promise, by lastOnes, that the last
// column of x is 1 in every row (the bias input), which lets it skip the products by 1.
func seriesAccGo(acc, hs, x []float64, ldx int, coef []float64, qs int, nc []int32) {
	n := len(acc)
	hs = hs[:n]
	for r, ncr := range nc {
		if ncr == 0 {
			continue
		}
		xr := x[r*ldx : r*ldx+n]
		top := coef[int(ncr-1)*qs+r]
		for i, xi := range xr {
			u := hs[i] * xi * xi
			p := top
			for q := int(ncr) - 2; q >= 0; q-- {
				p = coef[q*qs+r] + float64(u*p)
			}
			acc[i] += float64(xi * p)
		}
	}
}

// hiddenSeries5RowsGo sets f[q·fs + r], q = 0, 1, 2, to hiddenSeries5's F₁, F₃, F₅ of the
// rows r < n, whose activation, 1 − activation and output weight of their class are z[r],
// ez[r] and vt[r] and whose softmax outputs are y_k = y[k·ys + r] for k < len(vj); yr is
// scratch of len(vj) elements.
func hiddenSeries5RowsGo(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	for r := range n {
		for k := range yr {
			yr[k] = y[k*ys+r]
		}
		f[r], f[fs+r], f[2*fs+r] = hiddenSeries5(z[r], ez[r], yr, vj, vt[r])
	}
}

// hiddenSeries7RowsGo sets f[q·fs + r], q = 0 … 3, to hiddenSeries7's F₁ … F₇ of the rows
// r < n, as hiddenSeries5RowsGo does hiddenSeries5's.
func hiddenSeries7RowsGo(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	for r := range n {
		for k := range yr {
			yr[k] = y[k*ys+r]
		}
		f[r], f[fs+r], f[2*fs+r], f[3*fs+r] = hiddenSeries7(z[r], ez[r], yr, vj, vt[r])
	}
}

// expGo sets dst_i = exp(src_i); dst and src may be the same slice.
func expGo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = exp(x)
	}
}

// logGo sets dst_i = math.Log(src_i); dst and src may be the same slice.
func logGo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = math.Log(x)
	}
}

// sigmoidGo sets, for i < len(b), z_i = 1/(1 + e) and ez_i = 1 − z_i computed without
// cancellation, e·z_i (1 where e overflows), with e = exp(−b_i): a hidden unit's
// activation and its complement from its pre-activation. z, ez and b must not overlap.
func sigmoidGo(z, ez, b []float64) {
	z, ez = z[:len(b)], ez[:len(b)]
	for i, bi := range b {
		e := exp(-bi)
		zi := 1 / (1 + e)
		z[i] = zi
		if e <= math.MaxFloat64 {
			ez[i] = e * zi
		} else {
			ez[i] = 1
		}
	}
}

// expDiffGo sets dst_i = exp(a_i − b_i) for i < len(a); dst may be a.
func expDiffGo(dst, a, b []float64) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, ai := range a {
		dst[i] = exp(ai - b[i])
	}
}

// outputSeries7RowsGo sets, for each row r < len(y), the odd series coefficients of output
// k's perturbation through h⁷ from the row's softmax output y_r = y[r] and class labels[r]:
//
//	c₁ = y − [labels_r = k],  c₃ = g/6,  c₅ = g(1 − 12s)/120,  c₇ = g(1 − 60s + 360s²)/5040
//
// (0 unless with7), with s = y(1 − y) and g = s(1 − 2y), into coef[q·cs + r] for q = 0 … 3:
// y − [k = t] and the Bernoulli cumulants κ_r(y)/r!, the coefficients of f in fast.go.
func outputSeries7RowsGo(coef []float64, cs int, y []float64, labels []int32, k int, with7 bool) {
	labels = labels[:len(y)]
	for r, yk := range y {
		c1 := yk
		if int(labels[r]) == k {
			c1--
		}
		sk := yk * (1 - yk)
		gk := sk * (1 - 2*yk)
		c7 := 0.0
		if with7 {
			c7 = gk * (1 - float64(60*sk) + float64(360*sk*sk)) / 5040
		}
		coef[r], coef[cs+r], coef[2*cs+r], coef[3*cs+r] = c1, gk/6, gk*(1-float64(12*sk))/120, c7
	}
}

// argmaxColsGo sets mx_r and im_r, for r < len(mx), to the largest of a[q·as + r] over the
// columns q < k and the first q that holds it, as Argmax finds it (a NaN is never larger, and
// a NaN first column stays the maximum).
func argmaxColsGo(mx []float64, im []int, a []float64, as, k int) {
	n := len(mx)
	im = im[:n]
	copy(mx, a[:n])
	clear(im)
	for q := 1; q < k; q++ {
		for r, v := range a[q*as : q*as+n] {
			if v > mx[r] {
				mx[r], im[r] = v, q
			}
		}
	}
}

// sumColsGo sets sum_r, for r < len(sum), to the sum of y[q·ys + r] over the columns q < k,
// added in column order from +0.
func sumColsGo(sum, y []float64, ys, k int) {
	n := len(sum)
	clear(sum)
	for q := range k {
		for r, v := range y[q*ys : q*ys+n] {
			sum[r] += v
		}
	}
}

// anyNonFinite3Go reports whether for some row r < n the sum c_r + c_{cs+r} + c_{2cs+r} of
// coef's first three coefficients, added in that order, is infinite or NaN.
func anyNonFinite3Go(coef []float64, cs, n int) bool {
	for r := range n {
		if !finite3(coef, cs, r) {
			return true
		}
	}
	return false
}
