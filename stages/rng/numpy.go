package rng

import "math"

// MT19937 parameters (Matsumoto and Nishimura 1998).
const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// NumPyLegacy reproduces NumPy's legacy global generator, the one behind
// np.random.seed(int), np.random.rand, np.random.randn and np.random.normal
// (numpy.random.RandomState), bit for bit (up to the C library's rare
// misrounded logarithms, see NormFloat64):
//
//   - the state is MT19937 seeded with init_genrand (NumPy's mt19937_seed):
//     mt[0] = seed, mt[i] = 1812433253*(mt[i-1] ^ mt[i-1]>>30) + i (mod 2^32);
//   - Float64 is random_sample's 53-bit double from two 32-bit outputs a, b:
//     ((a>>5)*67108864 + (b>>6)) / 9007199254740992;
//   - NormFloat64 is the polar (Marsaglia) method: draw x1, x2 = 2u-1 until
//     0 < r2 = x1²+x2² < 1, f = sqrt(-2 ln(r2)/r2), return f*x2 and keep f*x1
//     for the next call (NumPy's cached gauss, reset only by reseeding);
//   - Normal(loc, scale) is loc + scale*NormFloat64(), NumPy's legacy_normal.
//
// Create one with NewNumPyLegacy; the zero value is not seeded and must not
// be used. Not safe for concurrent use.
type NumPyLegacy struct {
	mt       [mtN]uint32
	pos      int
	hasGauss bool
	gauss    float64
}

var _ Source = (*NumPyLegacy)(nil)

// NewNumPyLegacy returns the generator in the state np.random.seed(seed)
// leaves: freshly seeded, with no cached Gaussian.
func NewNumPyLegacy(seed uint32) *NumPyLegacy {
	r := &NumPyLegacy{}
	s := seed
	for i := range r.mt {
		r.mt[i] = s
		s = 1812433253*(s^(s>>30)) + uint32(i+1)
	}
	r.pos = mtN // the first draw regenerates the whole block, as in NumPy
	return r
}

// Uint32 returns the next raw, tempered 32-bit MT19937 output, equal to
// RandomState(seed).randint(0, 2**32, dtype=np.uint32) at the same point of
// the stream. It is the unit the other methods consume: Float64 takes two,
// NormFloat64 four per attempt of the polar method and none when it returns
// the cached value.
func (r *NumPyLegacy) Uint32() uint32 {
	if r.pos >= mtN {
		r.generate()
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// generate refills the whole state block (the MT19937 "twist"), in place and
// in index order so that the entries past N-M read already-updated words, as
// the reference implementation does.
func (r *NumPyLegacy) generate() {
	for i := range mtN {
		y := r.mt[i]&mtUpperMask | r.mt[(i+1)%mtN]&mtLowerMask
		v := r.mt[(i+mtM)%mtN] ^ y>>1
		if y&1 != 0 {
			v ^= mtMatrixA
		}
		r.mt[i] = v
	}
	r.pos = 0
}

// Float64 returns a uniform number in [0, 1) with 53 random bits, equal to
// np.random.rand() (random_sample) at the same point of the stream.
func (r *NumPyLegacy) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(float64(a)*67108864.0) + float64(b)) / 9007199254740992.0
}

// NormFloat64 returns a standard normal number equal to np.random.randn() at
// the same point of the stream: every other call returns the second value of
// the previous polar-method pair without drawing.
//
// The logarithm is correctly rounded (logCR), not Go's math.Log, which
// differs from the C library's log that NumPy calls in the last bit for about
// one input in fifteen. glibc's log is itself not quite correctly rounded:
// about one polar pair in a thousand can therefore differ from a given
// NumPy build by an ulp in f (none does in the book's data or weights).
func (r *NumPyLegacy) NormFloat64() float64 {
	if r.hasGauss {
		r.hasGauss = false
		g := r.gauss
		r.gauss = 0
		return g
	}
	var x1, x2, r2 float64
	for {
		x1 = 2.0*r.Float64() - 1.0
		x2 = 2.0*r.Float64() - 1.0
		// float64() conversions forbid fused multiply-add: NumPy's C code,
		// built for baseline x86-64, rounds each product.
		r2 = float64(x1*x1) + float64(x2*x2)
		if r2 < 1.0 && r2 != 0.0 {
			break
		}
	}
	f := math.Sqrt(-2.0 * logCR(r2) / r2)
	r.gauss = f * x1
	r.hasGauss = true
	return f * x2
}

// Normal returns loc + scale*NormFloat64(), equal to
// np.random.normal(loc, scale) at the same point of the stream (NumPy's
// legacy_normal; the product is rounded before the sum, no fused
// multiply-add). Like NumPy's legacy path it consumes a Gaussian even when
// scale is 0; callers validate scale.
func (r *NumPyLegacy) Normal(loc, scale float64) float64 {
	return loc + float64(scale*r.NormFloat64())
}
