//go:build !amd64 || purego

package nn

// Without assembly kernels (another architecture, or the purego build tag), the kernels are
// the definitions of kernels.go.

func gemm(c []float64, ldc, n, rows int, a []float64, aq, ar int, b []float64, ldb, rr int, add bool) {
	gemmGo(c, ldc, n, rows, a, aq, ar, b, ldb, rr, add)
}

func seriesAcc(acc, hs, x []float64, ldx int, coef []float64, qs int, nc []int32, lastOnes bool) {
	seriesAccGo(acc, hs, x, ldx, coef, qs, nc)
}

func hiddenSeries5Rows(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	hiddenSeries5RowsGo(f, fs, z, ez, vt, y, ys, vj, yr, n)
}

func expInto(dst, src []float64) { expGo(dst, src) }

func logInto(dst, src []float64) { logGo(dst, src) }

func hiddenSeries7Rows(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	hiddenSeries7RowsGo(f, fs, z, ez, vt, y, ys, vj, yr, n)
}

func sigmoidInto(z, ez, b []float64) { sigmoidGo(z, ez, b) }

func expDiffInto(dst, a, b []float64) { expDiffGo(dst, a, b) }

func outputSeries7Rows(coef []float64, cs int, y []float64, labels []int32, k int, with7 bool) {
	outputSeries7RowsGo(coef, cs, y, labels, k, with7)
}

func argmaxCols(mx []float64, im []int, a []float64, as, k int) { argmaxColsGo(mx, im, a, as, k) }

func sumCols(sum, y []float64, ys, k int) { sumColsGo(sum, y, ys, k) }

func anyNonFinite3(coef []float64, cs, n int) bool { return anyNonFinite3Go(coef, cs, n) }
