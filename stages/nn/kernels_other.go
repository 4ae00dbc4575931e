//go:build !amd64 || purego

package nn

// Without assembly kernels (another architecture, or the purego build tag), the kernels are
// the definitions of kernels.go.

func gemm(c []float64, ldc, n, rows int, a []float64, aq, ar int, b []float64, ldb, rr int, add bool) {
	gemmGo(c, ldc, n, rows, a, aq, ar, b, ldb, rr, add)
}

func seriesAcc(acc, hs, x []float64, ldx, rows int, coef []float64, cs, nc int) {
	seriesAccGo(acc, hs, x, ldx, rows, coef, cs, nc)
}

func expInto(dst, src []float64) { expGo(dst, src) }

func logInto(dst, src []float64) { logGo(dst, src) }
