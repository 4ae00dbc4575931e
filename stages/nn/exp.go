package nn

import "math"

// exp returns e^x: the bits of Go's math.Exp on an amd64 CPU with fused multiply-add, on
// every CPU.
//
// math.Exp is not one function on amd64: its assembly takes one path where the CPU has AVX
// and FMA and another, which rounds its products apart, where it has not (an older or
// emulated CPU, a virtual machine that hides AVX), and the two differ in the last bit for
// some inputs; arm64 and the other architectures have other algorithms again. A cache key
// holds one result whichever machine computed it, so nnpipe's numbers use this exp, the
// FMA path written in Go: math.FMA rounds once on every CPU (in hardware where there is
// one, else in software), so each step gives the bits of the instruction it replaces. It
// is also the exponential the amd64 kernels (kernels_amd64.s) compute, four at a time.
//
// The method (Shibata's, from SLEEF, as Go's exp_amd64.s has it): k = round(x·log₂e), the
// reduced r = (x − k·ln2)/16 with ln2 in two parts, e^r − 1 by its Taylor series to r⁸,
// squared four times as (1+y)² − 1 = y(y + 2), plus 1, times 2^k.
func exp(x float64) float64 {
	const (
		log2e    = 1.4426950408889634073599246810018920
		ln2Hi    = 0.69314718055966295651160180568695068359375
		ln2Lo    = 0.28235290563031577122588448175013436025525412068e-12
		overflow = 7.09782712893384e+02
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	}
	// k as the CPU's CVTSD2SL rounds it, to nearest even, and with the value it gives where
	// the result leaves int32's range (x below about −1.5e9): MinInt32, whose power of two
	// underflows to 0 below.
	kf := math.RoundToEven(x * log2e)
	k := int64(math.MinInt32)
	if kf >= math.MinInt32 {
		k = int64(kf)
	}
	kf = float64(k)
	r := math.FMA(-kf, ln2Hi, x)
	r = math.FMA(-kf, ln2Lo, r)
	r *= 0.0625
	p := 2.4801587301587301587e-5
	p = math.FMA(r, p, 1.9841269841269841270e-4)
	p = math.FMA(r, p, 1.3888888888888888889e-3)
	p = math.FMA(r, p, 8.3333333333333333333e-3)
	p = math.FMA(r, p, 4.1666666666666666667e-2)
	p = math.FMA(r, p, 1.6666666666666666667e-1)
	p = math.FMA(r, p, 0.5)
	p = math.FMA(r, p, 1.0)
	y := float64(r * p)
	y = float64(y * (y + 2))
	y = float64(y * (y + 2))
	y = float64(y * (y + 2))
	y = math.FMA(y, y+2, 1)
	// y · 2^k, as the assembly's ldexp: through a subnormal scale in two steps.
	switch b := k + 0x3ff; {
	case b >= 0x7ff:
		return math.Inf(1)
	case b > 0:
		return y * math.Float64frombits(uint64(b)<<52)
	case b < -52:
		return 0
	default:
		y *= math.Float64frombits(uint64(b+0x3fe) << 52)
		return y * 0x1p-1022
	}
}
