//go:build !purego

package nn

import (
	"math/rand/v2"
	"testing"
)

func TestAssemblyKernelsAreUsed(t *testing.T) {
	// On a CPU with AVX2 and FMA the assembly kernels run; the exp and log kernels only if
	// they still agree with the math package on the probes (a Go release that changed
	// math.Exp's or math.Log's amd64 code would turn them off, and this test would say so).
	if !useAVX2 {
		t.Skip("the CPU has no AVX2 and FMA")
	}
	if !useExpAVX2 || !useLogAVX2 {
		t.Errorf("exp kernel used: %v, log kernel used: %v; want both (they no longer agree with the math package)", useExpAVX2, useLogAVX2)
	}
}

func TestMaxInt32IsTheLargestAndZero(t *testing.T) {
	// maxInt32AVX2 returns max(0, x...) over groups of eight: with the largest in any lane of
	// any group, negative values, and all of them negative.
	if !useAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for range 2000 {
		x := make([]int32, 8*(1+rng.IntN(10)))
		for i := range x {
			x[i] = int32(rng.IntN(13)) - 6
			if rng.IntN(50) == 0 {
				x[i] = int32(rng.Uint32())
			}
		}
		want := int32(0)
		for _, v := range x {
			want = max(want, v)
		}
		if got := maxInt32AVX2(&x[0], len(x)); got != want {
			t.Fatalf("maxInt32AVX2(%v) = %d, want %d", x, got, want)
		}
	}
}
