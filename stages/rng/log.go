package rng

import "math"

// logCR returns the natural logarithm of x rounded to the nearest float64,
// for the polar method of NumPyLegacy.
//
// NumPy calls the C library's log. glibc's log errs by at most 0.52 ulp, so
// it is the correctly rounded value except near a rounding midpoint (about
// one polar r2 in a thousand); Go's math.Log errs by up to 1 ulp and differs
// from glibc for one r2 in fifteen of the book's data set, where the
// cancellation in randn()*σ + μ turns that last bit into 30 ulp of a drawn
// value. The correctly rounded value is the closest target that does not
// depend on the C library, so logCR computes the logarithm in double-double
// arithmetic (at least 90 correct bits) and rounds once:
//
//	x = m·2^k, m in [√½, √2)
//	ln x = k·ln 2 + 2·atanh(z), z = (m-1)/(m+1), |z| <= 0.172
//	2·atanh(z) = 2z·Σ z^(2i)/(2i+1), i = 0..16 (the rest is below 2^-91 relative)
//
// The result can differ from the correctly rounded one only where ln x lies
// within about 2^-90 relative of a rounding midpoint (one input in 2^37).
// It costs about 20 times math.Log (BenchmarkLog). Zero, negative, infinite
// and NaN arguments go to math.Log.
func logCR(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 1) {
		return math.Log(x)
	}
	frac, exp := math.Frexp(x) // x = frac·2^exp, frac in [0.5, 1)
	if frac < math.Sqrt2/2 {
		frac *= 2
		exp--
	}
	// m-1 is exact (Sterbenz); m+1 is kept as a double-double.
	num := frac - 1
	den := twoSum(frac, 1)
	z := ddDivFloat(num, den)
	z2 := ddMul(z, z)

	p := invOdd[len(invOdd)-1]
	for i := len(invOdd) - 2; i >= 0; i-- {
		p = ddAdd(ddMul(p, z2), invOdd[i])
	}
	lnm := ddMul(z, p)
	lnm = dd{2 * lnm.hi, 2 * lnm.lo}

	k := float64(exp)
	kl := twoProd(k, ln2.hi)
	kl = quickTwoSum(kl.hi, kl.lo+float64(k*ln2.lo))
	r := ddAdd(kl, lnm)
	return r.hi
}

// dd is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2: a double-double
// carrying about 106 bits (Dekker 1971; Hida, Li and Bailey 2001).
type dd struct{ hi, lo float64 }

// ln2 is ln 2 as a double-double (0x1.62e42fefa39efp-1 + 0x1.abc9e3b39803fp-56).
var ln2 = dd{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56}

// invOdd[i] is 1/(2i+1) as a double-double, the coefficients of the atanh
// series. Computed with Python's decimal module at 80 digits:
// hi = float(1/n), lo = float(1/n - hi); TestInvOddTable rechecks them.
var invOdd = [...]dd{
	{1, 0},
	{0x1.5555555555555p-2, 0x1.5555555555555p-56},  // 1/3
	{0x1.999999999999ap-3, -0x1.999999999999ap-57}, // 1/5
	{0x1.2492492492492p-3, 0x1.2492492492492p-57},  // 1/7
	{0x1.c71c71c71c71cp-4, 0x1.c71c71c71c71cp-58},  // 1/9
	{0x1.745d1745d1746p-4, -0x1.745d1745d1746p-59}, // 1/11
	{0x1.3b13b13b13b14p-4, -0x1.3b13b13b13b14p-58}, // 1/13
	{0x1.1111111111111p-4, 0x1.1111111111111p-60},  // 1/15
	{0x1.e1e1e1e1e1e1ep-5, 0x1.e1e1e1e1e1e1ep-61},  // 1/17
	{0x1.af286bca1af28p-5, 0x1.af286bca1af28p-59},  // 1/19
	{0x1.8618618618618p-5, 0x1.8618618618618p-59},  // 1/21
	{0x1.642c8590b2164p-5, 0x1.642c8590b2164p-60},  // 1/23
	{0x1.47ae147ae147bp-5, -0x1.eb851eb851eb8p-61}, // 1/25
	{0x1.2f684bda12f68p-5, 0x1.2f684bda12f68p-59},  // 1/27
	{0x1.1a7b9611a7b96p-5, 0x1.1a7b9611a7b96p-61},  // 1/29
	{0x1.0842108421084p-5, 0x1.0842108421084p-60},  // 1/31
	{0x1.f07c1f07c1f08p-6, -0x1.f07c1f07c1f08p-61}, // 1/33
}

// twoSum returns a+b as a double-double, exactly (Knuth).
func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

// quickTwoSum returns a+b as a double-double, exactly, given |a| >= |b|.
func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd returns a·b as a double-double, exactly (math.FMA is exact on
// every platform, in hardware or software).
func twoProd(a, b float64) dd {
	p := float64(a * b) // rounded here, not fused into the caller's next sum
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s = quickTwoSum(s.hi, s.lo+t.hi)
	return quickTwoSum(s.hi, s.lo+t.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	return quickTwoSum(p.hi, p.lo+(float64(a.hi*b.lo)+float64(a.lo*b.hi)))
}

// ddDivFloat returns a/b for a float64 a and a double-double b.
func ddDivFloat(a float64, b dd) dd {
	q := a / b.hi
	r := math.FMA(-q, b.hi, a) // exact remainder of a - q·b.hi
	r -= float64(q * b.lo)
	return quickTwoSum(q, r/b.hi)
}
