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

func TestExpAndLogAreTheMathPackages(t *testing.T) {
	// expInto and logInto, whatever kernel they use, return math.Exp's and math.Log's bits
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
	}
	in = append(in, specials...)
	for _, f := range []struct {
		name string
		into func(dst, src []float64)
		def  func(float64) float64
	}{
		{"exp", expInto, math.Exp},
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
	// beyond a kernel's column block and any number of coefficients.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		n, rows, nc := 1+rng.IntN(70), 1+rng.IntN(9), 1+rng.IntN(ncoef)
		ldx, cs := n+rng.IntN(3), nc+rng.IntN(3)
		specials := rng.IntN(4) == 0
		hs := randomFloats(rng, n, specials)
		x := randomFloats(rng, (rows-1)*ldx+n, specials)
		coef := randomFloats(rng, (rows-1)*cs+nc, specials)
		acc := randomFloats(rng, n+1, specials)
		want, got := slices.Clone(acc), slices.Clone(acc)
		seriesAccGo(want[:n], hs, x, ldx, rows, coef, cs, nc)
		seriesAcc(got[:n], hs, x, ldx, rows, coef, cs, nc)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("seriesAcc(n=%d rows=%d nc=%d ldx=%d cs=%d): acc[%d] = %v, want %v", n, rows, nc, ldx, cs, i, got[i], want[i])
		}
	}
}
