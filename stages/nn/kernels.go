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

// seriesAcc adds to acc_i, for i < len(acc), the rows' odd series terms
//
//	Σ_{r<rows} x_ri · P_r(hs_i · x_ri · x_ri),   x_ri = x[r·ldx + i],
//
// rows in order, P_r(u) = c_0 + u(c_1 + u(c_2 + …)) evaluated by Horner's rule from its
// nc coefficients c = coef[r·cs : r·cs+nc] (nc ≥ 1).
func seriesAccGo(acc, hs, x []float64, ldx, rows int, coef []float64, cs, nc int) {
	n := len(acc)
	hs = hs[:n]
	for r := range rows {
		xr := x[r*ldx : r*ldx+n]
		cr := coef[r*cs : r*cs+nc]
		top := cr[nc-1]
		for i, xi := range xr {
			u := hs[i] * xi * xi
			p := top
			for q := nc - 2; q >= 0; q-- {
				p = cr[q] + float64(u*p)
			}
			acc[i] += float64(xi * p)
		}
	}
}

// expGo sets dst_i = math.Exp(src_i); dst and src may be the same slice.
func expGo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = math.Exp(x)
	}
}

// logGo sets dst_i = math.Log(src_i); dst and src may be the same slice.
func logGo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = math.Log(x)
	}
}
