package rng

import "math/rand/v2"

// PCGSource is the default "pcg" Source: math/rand/v2's PCG generator
// (128-bit LCG state, DXSM output) behind a rand.Rand, whose Float64 and
// NormFloat64 (ziggurat) it exposes. Not safe for concurrent use.
type PCGSource struct {
	r *rand.Rand
}

var _ Source = (*PCGSource)(nil)

// NewPCG returns a PCGSource seeded with seed. PCG takes two 64-bit words;
// they are the first two outputs of SplitMix64 started at seed
// (state += 0x9e3779b97f4a7c15, then the xor-shift-multiply finalizer),
// so that nearby seeds such as 1 and 2 start from unrelated states:
//
//	rand.NewPCG(splitmix64(seed+γ), splitmix64(seed+2γ))   γ = 0x9e3779b97f4a7c15
//
// This derivation is part of the contract: changing it changes every pcg
// stream and so every cached result.
func NewPCG(seed uint64) *PCGSource {
	const gamma = 0x9e3779b97f4a7c15
	hi := splitmix64(seed + gamma)
	lo := splitmix64(seed + gamma + gamma) // seed+2γ, wrapping
	return &PCGSource{r: rand.New(rand.NewPCG(hi, lo))}
}

// splitmix64 is SplitMix64's output finalizer (Steele, Lea and Flood 2014)
// applied to an already advanced state z.
func splitmix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Float64 returns a uniform number in [0, 1) (rand.Rand.Float64).
func (s *PCGSource) Float64() float64 { return s.r.Float64() }

// NormFloat64 returns a standard normal number (rand.Rand.NormFloat64).
func (s *PCGSource) NormFloat64() float64 { return s.r.NormFloat64() }

// Uint64 returns the next raw 64-bit PCG output.
func (s *PCGSource) Uint64() uint64 { return s.r.Uint64() }
