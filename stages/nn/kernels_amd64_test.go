//go:build !purego

package nn

import (
	"math/rand/v2"
	"testing"
)

func TestAssemblyKernelsAreUsed(t *testing.T) {
	// On a CPU with AVX2 and FMA the assembly kernels run; the exp and log kernels only if
	// they agree on the probes with exp and math.Log (a Go release that changed math.Log's
	// amd64 code would turn the log kernel off, and this test would say so).
	if !useAVX2 {
		t.Skip("the CPU has no AVX2 and FMA")
	}
	if !useExpAVX2 || !useLogAVX2 {
		t.Errorf("exp kernel used: %v, log kernel used: %v; want both (they no longer agree with exp and math.Log)", useExpAVX2, useLogAVX2)
	}
}

func TestMinMaxInt32IsTheSmallestAndTheLargestAndZero(t *testing.T) {
	// minMaxInt32AVX2 returns min(x...) and max(0, x...) over groups of eight: with either
	// in any lane of any group, negative values, all of them negative or all equal.
	if !useAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for i := range 3000 {
		x := make([]int32, 8*(1+rng.IntN(10)))
		for j := range x {
			x[j] = int32(rng.IntN(13)) - 6
			switch {
			case i%5 == 0:
				x[j] = 3
			case rng.IntN(50) == 0:
				x[j] = int32(rng.Uint32())
			}
		}
		lo, hi := x[0], int32(0)
		for _, v := range x {
			lo, hi = min(lo, v), max(hi, v)
		}
		if gl, gh := minMaxInt32AVX2(&x[0], len(x)); gl != lo || gh != hi {
			t.Fatalf("minMaxInt32AVX2(%v) = %d, %d; want %d, %d", x, gl, gh, lo, hi)
		}
	}
}
