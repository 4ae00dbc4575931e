package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// specials are inputs a kernel must treat as its definition does: signed zeros, the
// smallest and largest magnitudes, infinities and NaN.
var specials = []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 2.2250738585072014e-308,
	math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(), 1, -1}

// randomFloats returns n values: mostly normal ones of mixed scale, with specials among them
// when withSpecials.
func randomFloats(rng *rand.Rand, n int, withSpecials bool) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch r := rng.IntN(20); {
		case withSpecials && r == 0:
			v[i] = specials[rng.IntN(len(specials))]
		case r < 3:
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		default:
			v[i] = rng.NormFloat64()
		}
	}
	return v
}

func sameBits(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return i
		}
	}
	return -1
}

func TestExpAndLogKernelsAreTheirDefinitions(t *testing.T) {
	// expInto and logInto, whatever kernel they use, return exp's and math.Log's bits
	// (NaN for NaN), in place or not, for inputs over the whole range, the edges of the
	// kernels' ranges and the special values.
	rng := rand.New(rand.NewPCG(1, 2))
	var in []float64
	for _, x := range []float64{-708, 709, -745.2, 709.79, 710, -1e-300, 1e-300, math.Sqrt2 / 2, 1, 2} {
		in = append(in, x, math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1)))
	}
	for i := -1074; i <= 1023; i++ {
		in = append(in, math.Ldexp(1, i), math.Ldexp(math.Sqrt2/2, i), -math.Ldexp(1, i))
	}
	for range 1 << 16 {
		in = append(in, (rng.Float64()*2-1)*750, rng.NormFloat64(), math.Exp(rng.Float64()*1400-700))
		// Any bit pattern: every exponent, sign and NaN payload of float64.
		in = append(in, math.Float64frombits(rng.Uint64()))
	}
	in = append(in, specials...)
	for _, f := range []struct {
		name string
		into func(dst, src []float64)
		def  func(float64) float64
	}{
		{"exp", expInto, exp},
		{"log", logInto, math.Log},
	} {
		// Every offset into the slice, so that each value is seen in every lane of a group.
		for off := range 4 {
			src := in[off:]
			want := make([]float64, len(src))
			for i, x := range src {
				want[i] = f.def(x)
			}
			got := make([]float64, len(src))
			f.into(got, src)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("%sInto: element %d of %v is %v, want %v", f.name, i, src[i], got[i], want[i])
			}
			inPlace := slices.Clone(src)
			f.into(inPlace, inPlace)
			if i := sameBits(inPlace, want); i >= 0 {
				t.Fatalf("%sInto in place: element %d of %v is %v, want %v", f.name, i, src[i], inPlace[i], want[i])
			}
		}
	}
}

func FuzzExpAndLogKernelsAreTheirDefinitions(f *testing.F) {
	// Four inputs, a whole group of the vector kernels, by their bits: any float64 in any
	// lane, next to any other (a group with one input out of the kernel's range is computed
	// by the definitions as a whole); the same for the kernels that compute exp within
	// another step, the sigmoid and the softmax's exp of differences. Where math.Exp takes
	// its fused path, exp is math.Exp too.
	bits := func(x float64) uint64 { return math.Float64bits(x) }
	f.Add(bits(0), bits(1), bits(-708.4), bits(709.7))
	f.Add(bits(5e-324), bits(math.MaxFloat64), bits(math.Inf(-1)), bits(math.NaN()))
	f.Add(bits(math.Sqrt2/2), bits(math.Nextafter(math.Sqrt2/2, 0)), bits(2.2250738585072014e-308), bits(-1e-300))
	f.Fuzz(func(t *testing.T, a, b, c, d uint64) {
		src := []float64{math.Float64frombits(a), math.Float64frombits(b), math.Float64frombits(c), math.Float64frombits(d)}
		for _, k := range []struct {
			name string
			into func(dst, src []float64)
			def  func(float64) float64
		}{
			{"exp", expInto, exp},
			{"log", logInto, math.Log},
		} {
			got := make([]float64, len(src))
			k.into(got, src)
			for i, x := range src {
				if want := k.def(x); sameBits(got[i:i+1], []float64{want}) >= 0 {
					t.Fatalf("%sInto(%v)[%d] = %v (%#x), want %v (%#x)", k.name, src, i, got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
				}
			}
		}
		if mathExpFuses() {
			for _, x := range src {
				if got, want := exp(x), math.Exp(x); math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("exp(%v) = %v (%#x), want math.Exp's %v (%#x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
				}
			}
		}
		// The kernels built on exp: the sigmoid of the four, and exp of their differences
		// from the same four rotated by one.
		z, ez, wz, wez := make([]float64, 4), make([]float64, 4), make([]float64, 4), make([]float64, 4)
		sigmoidInto(z, ez, src)
		sigmoidGo(wz, wez, src)
		if sameBits(z, wz) >= 0 || sameBits(ez, wez) >= 0 {
			t.Fatalf("sigmoidInto(%v) = %v, %v; want %v, %v", src, z, ez, wz, wez)
		}
		rot := []float64{src[1], src[2], src[3], src[0]}
		diff, wdiff := make([]float64, 4), make([]float64, 4)
		expDiffInto(diff, src, rot)
		expDiffGo(wdiff, src, rot)
		if sameBits(diff, wdiff) >= 0 {
			t.Fatalf("expDiffInto(%v, %v) = %v, want %v", src, rot, diff, wdiff)
		}
	})
}

func TestGemmIsItsDefinition(t *testing.T) {
	// gemm, whatever kernel it uses, computes gemmGo's bits, for widths across and beyond
	// a kernel's column block, row-wise and column-wise a, setting and adding, with special
	// values among the inputs; and it touches no element of c outside the n columns.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		n, rows, rr := 1+rng.IntN(40), 1+rng.IntN(5), 1+rng.IntN(70)
		ldc, ldb := n+rng.IntN(3), n+rng.IntN(3)
		var aq, ar, lenA int
		if rng.IntN(2) == 0 {
			aq, ar = rr+rng.IntN(2), 1
			lenA = (rows-1)*aq + rr
		} else {
			aq, ar = 1, rows+rng.IntN(2)
			lenA = (rr-1)*ar + rows
		}
		specials := rng.IntN(4) == 0
		a := randomFloats(rng, lenA, specials)
		b := randomFloats(rng, (rr-1)*ldb+n, specials)
		c := randomFloats(rng, (rows-1)*ldc+n+1, specials)
		add := rng.IntN(2) == 0
		want, got := slices.Clone(c), slices.Clone(c)
		gemmGo(want, ldc, n, rows, a, aq, ar, b, ldb, rr, add)
		gemm(got, ldc, n, rows, a, aq, ar, b, ldb, rr, add)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("gemm(n=%d rows=%d rr=%d ldc=%d aq=%d ar=%d ldb=%d add=%v): c[%d] = %v, want %v",
				n, rows, rr, ldc, aq, ar, ldb, add, i, got[i], want[i])
		}
	}
}

func TestSeriesAccIsItsDefinition(t *testing.T) {
	// seriesAcc, whatever kernel it uses, computes seriesAccGo's bits for widths across and
	// beyond a kernel's column block and rows with any number of coefficients, none
	// included; also with a last column of ones (the bias input), which a kernel may sum
	// apart; and up to four columns whose rows all have three or four coefficients, which a
	// kernel may sum without reading each row's count.
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 4000 {
		n, rows := 1+rng.IntN(70), 1+rng.IntN(20)
		switch i % 4 {
		case 0, 2:
			n = 1 + 16*rng.IntN(5)
		case 1:
			n, rows = 1+rng.IntN(4), 1+rng.IntN(70)
		}
		ldx, qs := n+rng.IntN(3), rows+rng.IntN(3)
		specials := rng.IntN(4) == 0
		hs := randomFloats(rng, n, specials)
		x := randomFloats(rng, (rows-1)*ldx+n, specials)
		ones := rng.IntN(3) > 0
		if ones {
			for r := range rows {
				x[r*ldx+n-1] = 1
			}
		}
		coef := randomFloats(rng, (ncoef-1)*qs+rows, specials)
		nc := make([]int32, rows)
		same := int32(3 + rng.IntN(2))
		for r := range nc {
			nc[r] = int32(rng.IntN(ncoef + 1))
			if i%4 == 1 && rng.IntN(20) > 0 {
				nc[r] = same // mostly all the same, now and then one not
			}
		}
		acc := randomFloats(rng, n+1, specials)
		want, got := slices.Clone(acc), slices.Clone(acc)
		seriesAccGo(want[:n], hs, x, ldx, coef, qs, nc)
		seriesAcc(got[:n], hs, x, ldx, coef, qs, nc, ones)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("seriesAcc(n=%d rows=%d nc=%v ldx=%d qs=%d): acc[%d] = %v, want %v", n, rows, nc, ldx, qs, i, got[i], want[i])
		}
	}
}

func TestSeriesAccKeepsSignedZeros(t *testing.T) {
	// With coefficients, sums and steps drawn from signed zeros, ±1, infinities and NaN, the
	// kernels still compute seriesAccGo's bits: a lane that skips a coefficient or starts
	// late must not turn −0 into +0 (or 0·∞ into NaN) where the definition does not.
	rng := rand.New(rand.NewPCG(9, 10))
	vals := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.NaN()}
	pick := func() float64 { return vals[rng.IntN(len(vals))] }
	for i := range 3000 {
		n, rows := 1+16*rng.IntN(3), 4+rng.IntN(9)
		if i%2 == 1 {
			n = 1 + rng.IntN(4) // with all counts the same, below: the kernel without counts
		}
		ldx, qs := n, rows
		hs, x, coef := make([]float64, n), make([]float64, rows*ldx), make([]float64, ncoef*qs)
		for i := range hs {
			hs[i] = pick()
		}
		for i := range x {
			x[i] = 1
			if rng.IntN(2) == 0 {
				x[i] = pick()
			}
		}
		for r := range rows {
			x[r*ldx+n-1] = 1
		}
		for i := range coef {
			coef[i] = pick()
		}
		nc := make([]int32, rows)
		same := int32(3 + rng.IntN(2))
		for r := range nc {
			nc[r] = int32(rng.IntN(ncoef + 1))
			if i%2 == 1 {
				nc[r] = same
			}
		}
		acc := make([]float64, n)
		for i := range acc {
			acc[i] = vals[rng.IntN(2)]
		}
		want, got := slices.Clone(acc), slices.Clone(acc)
		seriesAccGo(want, hs, x, ldx, coef, qs, nc)
		seriesAcc(got, hs, x, ldx, coef, qs, nc, true)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("seriesAcc(n=%d rows=%d nc=%v): acc[%d] = %v, want %v", n, rows, nc, i, got[i], want[i])
		}
	}
}

func TestSeriesCoefficientsOfRowsAreHiddenSeriess(t *testing.T) {
	// hiddenSeries5Rows and hiddenSeries7Rows, whatever kernel they use, compute
	// hiddenSeries5's and hiddenSeries7's bits for every row, for activations across (0, 1)
	// and saturated, any number of classes and special values among the inputs.
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		n, k := 1+rng.IntN(blockRows), 2+rng.IntN(12)
		withSpecials := rng.IntN(4) == 0
		z, ez := make([]float64, blockRows), make([]float64, blockRows)
		for r := range z {
			b := rng.NormFloat64() * 5
			if rng.IntN(10) == 0 {
				b *= 100
			}
			e := math.Exp(-b)
			z[r] = 1 / (1 + e)
			ez[r] = e * z[r]
		}
		vt := randomFloats(rng, blockRows, withSpecials)
		vj := randomFloats(rng, k, withSpecials)
		y := make([]float64, k*blockRows)
		for i := range y {
			y[i] = rng.Float64()
		}
		if withSpecials {
			y[rng.IntN(len(y))] = specials[rng.IntN(len(specials))]
		}
		got5, got7 := make([]float64, 3*blockRows), make([]float64, 4*blockRows)
		hiddenSeries5Rows(got5, blockRows, z, ez, vt, y, blockRows, vj, make([]float64, k), n)
		hiddenSeries7Rows(got7, blockRows, z, ez, vt, y, blockRows, vj, make([]float64, k), n)
		yr := make([]float64, k)
		for r := range n {
			for q := range yr {
				yr[q] = y[q*blockRows+r]
			}
			f1, f3, f5 := hiddenSeries5(z[r], ez[r], yr, vj, vt[r])
			g1, g3, g5, g7 := hiddenSeries7(z[r], ez[r], yr, vj, vt[r])
			for _, c := range []struct {
				name string
				got  []float64
				want []float64
			}{
				{"hiddenSeries5", got5, []float64{f1, f3, f5}},
				{"hiddenSeries7", got7, []float64{g1, g3, g5, g7}},
			} {
				for q, w := range c.want {
					if g := c.got[q*blockRows+r]; sameBits([]float64{g}, []float64{w}) >= 0 {
						t.Fatalf("row %d of %d, %d classes: F%d = %v, %s gives %v", r, n, k, 2*q+1, g, c.name, w)
					}
				}
			}
		}
	}
}

func TestElementwiseKernelsAreTheirDefinitions(t *testing.T) {
	// sigmoidInto, expDiffInto and outputSeries7Rows, whatever kernel they use, compute their
	// definitions' bits for lengths across and beyond a group of four, with inputs at and
	// beyond the edges of the exp kernel's range, softmax outputs in [0, 1] and special
	// values among them; and they write nothing beyond their n elements.
	rng := rand.New(rand.NewPCG(11, 12))
	edges := []float64{-708, 709, 708, -709, 745, -746, 0.5, 1, 0}
	input := func(n int, withSpecials bool) []float64 {
		v := randomFloats(rng, n, withSpecials)
		for i := range v {
			switch rng.IntN(8) {
			case 0:
				v[i] = edges[rng.IntN(len(edges))]
				if rng.IntN(2) == 0 {
					v[i] = math.Nextafter(v[i], math.Inf(rng.IntN(2)*2-1))
				}
			case 1:
				v[i] = (rng.Float64()*2 - 1) * 760
			}
		}
		return v
	}
	const guard = 3 // elements past n that must stay as they were
	for i := range 3000 {
		n := 1 + rng.IntN(2*blockRows)
		withSpecials := i%3 == 0
		b := input(n, withSpecials)
		zw, ezw := randomFloats(rng, n+guard, false), randomFloats(rng, n+guard, false)
		zg, ezg := slices.Clone(zw), slices.Clone(ezw)
		sigmoidGo(zw[:n], ezw[:n], b)
		sigmoidInto(zg[:n], ezg[:n], b)
		if j := sameBits(zg, zw); j >= 0 {
			t.Fatalf("sigmoidInto(n=%d): z[%d] of b=%v is %v, want %v", n, j, b[min(j, n-1)], zg[j], zw[j])
		}
		if j := sameBits(ezg, ezw); j >= 0 {
			t.Fatalf("sigmoidInto(n=%d): ez[%d] of b=%v is %v, want %v", n, j, b[min(j, n-1)], ezg[j], ezw[j])
		}

		a, m := input(n, withSpecials), input(n, withSpecials)
		want := randomFloats(rng, n+guard, false)
		got := slices.Clone(want)
		expDiffGo(want[:n], a, m)
		expDiffInto(got[:n], a, m)
		if j := sameBits(got, want); j >= 0 {
			t.Fatalf("expDiffInto(n=%d): element %d, exp(%v − %v), is %v, want %v", n, j, a[min(j, n-1)], m[min(j, n-1)], got[j], want[j])
		}
		inPlace := slices.Clone(a)
		expDiffInto(inPlace, inPlace, m)
		if j := sameBits(inPlace, want[:n]); j >= 0 {
			t.Fatalf("expDiffInto in place (n=%d): element %d is %v, want %v", n, j, inPlace[j], want[j])
		}

		k := rng.IntN(5)
		y := make([]float64, n)
		labels := make([]int32, n)
		for r := range y {
			y[r] = rng.Float64()
			switch rng.IntN(10) {
			case 0:
				y[r] = []float64{0, 1, 0.5, math.Copysign(0, -1), 1e-300}[rng.IntN(5)]
			case 1:
				if withSpecials {
					y[r] = specials[rng.IntN(len(specials))]
				}
			}
			labels[r] = int32(rng.IntN(5))
		}
		cs := n + rng.IntN(3)
		with7 := rng.IntN(2) == 0
		cw := randomFloats(rng, 4*cs+guard, false)
		cg := slices.Clone(cw)
		outputSeries7RowsGo(cw, cs, y, labels, k, with7)
		outputSeries7Rows(cg, cs, y, labels, k, with7)
		if j := sameBits(cg, cw); j >= 0 {
			t.Fatalf("outputSeries7Rows(n=%d cs=%d k=%d with7=%v): coef[%d] is %v, want %v", n, cs, k, with7, j, cg[j], cw[j])
		}

		// The columns' argmax and sum, over 1 to 12 columns with ties, NaN and infinities
		// among them (the softmax's pre-activations and outputs).
		nk, ld := 1+rng.IntN(12), n+rng.IntN(3)
		cols := input((nk-1)*ld+n, withSpecials)
		for i := range cols {
			if rng.IntN(6) == 0 {
				cols[i] = cols[i%ld] // a tie with the first column
			}
		}
		mw := randomFloats(rng, n+guard, false)
		mg := slices.Clone(mw)
		iw := make([]int, n+guard)
		for i := range iw {
			iw[i] = -7
		}
		ig := slices.Clone(iw)
		argmaxColsGo(mw[:n], iw[:n], cols, ld, nk)
		argmaxCols(mg[:n], ig[:n], cols, ld, nk)
		for j := range mw {
			if sameBits(mg[j:j+1], mw[j:j+1]) >= 0 || ig[j] != iw[j] {
				t.Fatalf("argmaxCols(n=%d k=%d): row %d's max is %v at %d, want %v at %d", n, nk, j, mg[j], ig[j], mw[j], iw[j])
			}
		}
		sw := randomFloats(rng, n+guard, false)
		sg := slices.Clone(sw)
		sumColsGo(sw[:n], cols, ld, nk)
		sumCols(sg[:n], cols, ld, nk)
		if j := sameBits(sg, sw); j >= 0 {
			t.Fatalf("sumCols(n=%d k=%d): sum[%d] is %v, want %v", n, nk, j, sg[j], sw[j])
		}

		// Whether three coefficients of some row sum to a non-finite value: rarely, and
		// then in any row, or from finite terms that overflow together.
		c3 := randomFloats(rng, 3*cs, false)
		switch rng.IntN(4) {
		case 0:
			c3[rng.IntN(len(c3))] = []float64{math.Inf(1), math.Inf(-1), math.NaN()}[rng.IntN(3)]
		case 1:
			r := rng.IntN(n)
			c3[r], c3[cs+r], c3[2*cs+r] = math.MaxFloat64, math.MaxFloat64/2, 0
		}
		if g, w := anyNonFinite3(c3, cs, n), anyNonFinite3Go(c3, cs, n); g != w {
			t.Fatalf("anyNonFinite3(n=%d cs=%d) = %v, want %v", n, cs, g, w)
		}
	}
}
