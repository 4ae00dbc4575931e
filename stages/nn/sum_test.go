package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCompensatedSumAddAllIsAddOneByOne(t *testing.T) {
	// AddAll, over any split of the terms into slices, keeps the bits of adding them one at
	// a time with Add: for terms of mixed scale and sign, signed zeros, infinities and NaN.
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range 2000 {
		xs := randomFloats(rng, rng.IntN(300), i%4 == 0)
		var one, all CompensatedSum
		for _, x := range xs {
			one.Add(x)
		}
		for rest := xs; len(rest) > 0; {
			n := rng.IntN(len(rest) + 1)
			all.AddAll(rest[:n])
			rest = rest[n:]
		}
		if g, w := all.Value(), one.Value(); math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Fatalf("%d terms: AddAll gives %v, Add one by one %v", len(xs), g, w)
		}
	}
	// The compensation matters: 1 + 1e-16 + … + 1e-16 (10⁴ times) is 1 + 1e-12 to rounding,
	// where plain addition stays at 1.
	var k CompensatedSum
	xs := make([]float64, 10001)
	xs[0] = 1
	for i := 1; i < len(xs); i++ {
		xs[i] = 1e-16
	}
	k.AddAll(xs)
	if got := k.Value(); math.Abs(got-(1+1e-12)) > 1e-15 {
		t.Fatalf("compensated sum = %.17g, want 1 + 1e-12", got)
	}
}
