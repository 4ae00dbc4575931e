//go:build !purego

package nn

import "math"

// useAVX2 reports whether the CPU and the operating system support AVX2 and FMA, which the
// assembly kernels need; without them the kernels of kernels.go run. It is set once, when
// the package is initialized.
var useAVX2 = detectAVX2()

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

//go:noescape
func expAVX2(dst, src *float64, n int) int

//go:noescape
func logAVX2(dst, src *float64, n int) int

//go:noescape
func sigmoidAVX2(z, ez, b *float64, n int) int

//go:noescape
func expDiffAVX2(dst, a, b *float64, n int) int

//go:noescape
func argmaxColsAVX2(mx *float64, im *int, a *float64, as, k, n int)

//go:noescape
func sumColsAVX2(sum, y *float64, ys, k, n int)

//go:noescape
func anyNonFinite3AVX2(coef *float64, cs, n int) bool

//go:noescape
func minMaxInt32AVX2(x *int32, n int) (lo, hi int32)

//go:noescape
func seriesFixedAVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs, c, w int)

//go:noescape
func outSeries7AVX2(coef *float64, cs int, y *float64, labels *int32, k, n int, with7 bool)

func detectAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // the OS saves the XMM and YMM registers
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

func expInto(dst, src []float64) {
	dst = dst[:len(src)]
	i := 0
	if useExpAVX2 {
		for n := len(src) &^ 3; i < n; {
			i += expAVX2(&dst[i], &src[i], n-i)
			if i < n { // a group of four with an input out of the kernel's range
				for end := i + 4; i < end; i++ {
					dst[i] = exp(src[i])
				}
			}
		}
	}
	expGo(dst[i:], src[i:])
}

func sigmoidInto(z, ez, b []float64) {
	n := len(b)
	z, ez = z[:n], ez[:n]
	i := 0
	if useExpAVX2 {
		for n4 := n &^ 3; i < n4; {
			i += sigmoidAVX2(&z[i], &ez[i], &b[i], n4-i)
			if i < n4 { // a group of four with an input out of the exp kernel's range
				sigmoidGo(z[i:i+4], ez[i:i+4], b[i:i+4])
				i += 4
			}
		}
	}
	sigmoidGo(z[i:], ez[i:], b[i:])
}

func expDiffInto(dst, a, b []float64) {
	n := len(a)
	dst, b = dst[:n], b[:n]
	i := 0
	if useExpAVX2 {
		for n4 := n &^ 3; i < n4; {
			i += expDiffAVX2(&dst[i], &a[i], &b[i], n4-i)
			if i < n4 {
				expDiffGo(dst[i:i+4], a[i:i+4], b[i:i+4])
				i += 4
			}
		}
	}
	expDiffGo(dst[i:], a[i:], b[i:])
}

func logInto(dst, src []float64) {
	dst = dst[:len(src)]
	i := 0
	if useLogAVX2 {
		for n := len(src) &^ 3; i < n; {
			i += logAVX2(&dst[i], &src[i], n-i)
			if i < n {
				for end := i + 4; i < end; i++ {
					dst[i] = math.Log(src[i])
				}
			}
		}
	}
	logGo(dst[i:], src[i:])
}

// useExpAVX2 and useLogAVX2 report that expAVX2 and logAVX2 are used: the CPU has AVX2, and
// the kernels agree bit for bit on a set of probes with exp (exp.go, whose steps expAVX2 takes
// four at a time) and with math.Log (whose amd64 code logAVX2 replicates, and which a Go
// release could change).
var (
	useExpAVX2 = useAVX2 && agrees(expAVX2, exp, expProbes())
	useLogAVX2 = useAVX2 && agrees(logAVX2, math.Log, logProbes())
)

func agrees(kernel func(dst, src *float64, n int) int, want func(float64) float64, probes []float64) bool {
	got := make([]float64, len(probes))
	if kernel(&got[0], &probes[0], len(probes)) != len(probes) {
		return false
	}
	for i, x := range probes {
		if math.Float64bits(got[i]) != math.Float64bits(want(x)) {
			return false
		}
	}
	return true
}

// expProbes returns 256 inputs spread over the kernel's range [-708, 709], dense near 0.
func expProbes() []float64 {
	p := make([]float64, 0, 256)
	for i := range 128 {
		t := float64(i)/127*2 - 1 // [-1, 1]
		p = append(p, 708.5*t*t*t+0.5, t*1e-3+float64(i%7)*0.1)
	}
	return p
}

// logProbes returns 256 inputs from 1e-300 to 1e300, in [0.5, 1.5), and at and beside
// powers of 2 times √2/2, where the reduction to [√2/2, √2) decides on equality.
func logProbes() []float64 {
	p := make([]float64, 0, 256)
	for i := range 96 {
		p = append(p, math.Pow(10, float64(i)/95*600-300), 1+float64(i-48)/96)
	}
	for i := range 32 {
		h := math.Ldexp(math.Sqrt2/2, i-16)
		p = append(p, h, math.Nextafter(h, 0))
	}
	return p
}

//go:noescape
func gemmAVX2(c *float64, ldc, w, rows int, a *float64, aq, ar int, b *float64, ldb, rr int, add bool)

//go:noescape
func seriesAVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs int, nc *int32, w int)

//go:noescape
func series17AVX2(acc, hs, x *float64, ldx, rows int, coef *float64, qs int, nc *int32)

//go:noescape
func hs5AVX2(f *float64, fs int, z, ez, vt, y *float64, ys int, vj *float64, k, n int)

//go:noescape
func hs7AVX2(f *float64, fs int, z, ez, vt, y *float64, ys int, vj *float64, k, n int)

func gemm(c []float64, ldc, n, rows int, a []float64, aq, ar int, b []float64, ldb, rr int, add bool) {
	if !useAVX2 || n <= 0 || rows <= 0 || rr <= 0 || ldc < n || ldb < n || aq < 0 || ar < 0 {
		gemmGo(c, ldc, n, rows, a, aq, ar, b, ldb, rr, add)
		return
	}
	// The elements the kernel touches are those gemmGo does: check the last of each.
	_, _, _ = c[(rows-1)*ldc+n-1], a[(rows-1)*aq+(rr-1)*ar], b[(rr-1)*ldb+n-1]
	for i := 0; i < n; i += 16 {
		gemmAVX2(&c[i], ldc, min(16, n-i), rows, &a[0], aq, ar, &b[i], ldb, rr, add)
	}
}

func seriesAcc(acc, hs, x []float64, ldx int, coef []float64, qs int, nc []int32, lastOnes bool) {
	n, rows := len(acc), len(nc)
	if !useAVX2 || n == 0 || rows == 0 || ldx < n || qs < rows {
		seriesAccGo(acc, hs, x, ldx, coef, qs, nc)
		return
	}
	// The kernel reads coefficients up to the largest count: check it, and the last x and hs.
	bottom, top := int32(math.MaxInt32), int32(0)
	i := 0
	if rows >= 8 {
		i = rows &^ 7
		bottom, top = minMaxInt32AVX2(&nc[0], i)
	}
	for _, c := range nc[i:] {
		bottom, top = min(bottom, c), max(top, c)
	}
	if top > 0 {
		_ = coef[int(top-1)*qs+rows-1]
	}
	_, _ = hs[n-1], x[(rows-1)*ldx+n-1]
	// Up to four columns whose rows all have three or four coefficients (the usual h⁵ and
	// h⁷ series of a small network) take the kernel without a count per row.
	if n <= 4 && bottom == top && (top == 3 || top == 4) {
		seriesFixedAVX2(&acc[0], &hs[0], &x[0], ldx, rows, &coef[0], qs, int(top), n)
		return
	}
	// A last column alone in its pass, and 1 in every row (the bias input), is summed with
	// the pass before it.
	last := 0
	if lastOnes && n%16 == 1 && n > 1 {
		last = 17
	}
	for i := 0; i < n; i += 16 {
		if n-i == last {
			series17AVX2(&acc[i], &hs[i], &x[i], ldx, rows, &coef[0], qs, &nc[0])
			return
		}
		seriesAVX2(&acc[i], &hs[i], &x[i], ldx, rows, &coef[0], qs, &nc[0], min(16, n-i))
	}
}

func hiddenSeries5Rows(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	// The kernel computes groups of four rows: it may compute up to three rows beyond n, from
	// whatever the inputs hold there, and writes their coefficients.
	n4 := (n + 3) &^ 3
	k := len(vj)
	if !useAVX2 || n == 0 || k == 0 || fs < n4 || ys < n4 {
		hiddenSeries5RowsGo(f, fs, z, ez, vt, y, ys, vj, yr, n)
		return
	}
	_, _, _, _, _ = f[2*fs+n4-1], z[n4-1], ez[n4-1], vt[n4-1], y[(k-1)*ys+n4-1]
	hs5AVX2(&f[0], fs, &z[0], &ez[0], &vt[0], &y[0], ys, &vj[0], k, n4)
}

func hiddenSeries7Rows(f []float64, fs int, z, ez, vt, y []float64, ys int, vj, yr []float64, n int) {
	n4 := (n + 3) &^ 3
	k := len(vj)
	if !useAVX2 || n == 0 || k == 0 || fs < n4 || ys < n4 {
		hiddenSeries7RowsGo(f, fs, z, ez, vt, y, ys, vj, yr, n)
		return
	}
	_, _, _, _, _ = f[3*fs+n4-1], z[n4-1], ez[n4-1], vt[n4-1], y[(k-1)*ys+n4-1]
	hs7AVX2(&f[0], fs, &z[0], &ez[0], &vt[0], &y[0], ys, &vj[0], k, n4)
}

func outputSeries7Rows(coef []float64, cs int, y []float64, labels []int32, k int, with7 bool) {
	n := len(y)
	labels = labels[:n]
	n4 := n &^ 3
	if !useAVX2 || n4 == 0 || cs < n {
		outputSeries7RowsGo(coef, cs, y, labels, k, with7)
		return
	}
	_ = coef[3*cs+n-1]
	outSeries7AVX2(&coef[0], cs, &y[0], &labels[0], k, n4, with7)
	outputSeries7RowsGo(coef[n4:], cs, y[n4:], labels[n4:], k, with7)
}

func argmaxCols(mx []float64, im []int, a []float64, as, k int) {
	n := len(mx)
	im = im[:n]
	n4 := n &^ 3
	if !useAVX2 || n4 == 0 || k < 1 || as < n {
		argmaxColsGo(mx, im, a, as, k)
		return
	}
	_ = a[(k-1)*as+n-1]
	argmaxColsAVX2(&mx[0], &im[0], &a[0], as, k, n4)
	if n4 < n {
		argmaxColsGo(mx[n4:], im[n4:], a[n4:], as, k)
	}
}

func sumCols(sum, y []float64, ys, k int) {
	n := len(sum)
	n4 := n &^ 3
	if !useAVX2 || n4 == 0 || k < 1 || ys < n {
		sumColsGo(sum, y, ys, k)
		return
	}
	_ = y[(k-1)*ys+n-1]
	sumColsAVX2(&sum[0], &y[0], ys, k, n4)
	if n4 < n {
		sumColsGo(sum[n4:], y[n4:], ys, k)
	}
}

func anyNonFinite3(coef []float64, cs, n int) bool {
	n4 := n &^ 3
	if !useAVX2 || n4 == 0 || cs < n {
		return anyNonFinite3Go(coef, cs, n)
	}
	_ = coef[2*cs+n-1]
	return anyNonFinite3AVX2(&coef[0], cs, n4) || anyNonFinite3Go(coef[n4:], cs, n-n4)
}
