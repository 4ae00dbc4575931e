//go:build !purego

package nn

import "testing"

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
