package nn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// mathExpFuses reports whether math.Exp takes its fused multiply-add path here: on amd64,
// where the CPU has AVX and FMA, as Go's exp_amd64.go decides.
func mathExpFuses() bool {
	return runtime.GOARCH == "amd64" && cpu.X86.HasAVX && cpu.X86.HasFMA
}

// expInputs returns inputs for exp over its whole domain, made with integer operations and
// rounded products only, so that every architecture makes the same bits: the edges of its
// cases (overflow, the subnormal results, underflow to 0, the int32 range of k), the special
// values, powers of two, and random values, most in (−750, 750) and some of any bit
// pattern.
func expInputs(n int) []float64 {
	var in []float64
	for _, x := range []float64{0, 1, -1, 709.78, 7.09782712893384e+02, 710, -708.4, -745.1, -745.2, -1022 * math.Ln2, -1.5e9, -1.49e9, 1e-300, -1e-300, math.Ln2 / 2} {
		in = append(in, x, math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1)))
	}
	in = append(in, math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xfff8000000000001), math.Copysign(0, -1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64)
	for i := -1074; i <= 1023; i++ {
		in = append(in, math.Ldexp(1, i), -math.Ldexp(1, i))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		if i%8 == 7 {
			in = append(in, math.Float64frombits(rng.Uint64()))
			continue
		}
		u := float64(rng.Uint64()>>11) * 0x1p-53 // [0, 1), exactly
		in = append(in, float64(u*1500)-750)
	}
	return in
}

func TestExpIsMathExpWhereItFuses(t *testing.T) {
	// exp is math.Exp's fused path, bit for bit, over its whole domain: where math.Exp takes
	// that path, the two agree on every input (NaN for NaN).
	if !mathExpFuses() {
		t.Skipf("math.Exp does not take its fused path on this CPU (%s)", runtime.GOARCH)
	}
	for _, x := range expInputs(1 << 20) {
		got, want := exp(x), math.Exp(x)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("exp(%v) (%#x) = %v (%#x), want math.Exp's %v (%#x)", x, math.Float64bits(x), got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

func TestExpGivesTheSameBitsOnEveryCPU(t *testing.T) {
	// The digest of exp over a fixed set of inputs, recorded on amd64 with FMA, where
	// TestExpIsMathExpWhereItFuses holds it to math.Exp: an amd64 CPU without FMA (math.Exp
	// rounds its products apart there), arm64 and the purego build give the same bits.
	h := sha256.New()
	for _, x := range expInputs(1 << 16) {
		h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(exp(x))))
	}
	const want = "6226b595564b5529b8ceb3c1d541f5d0d23253ccbeef2ce5f3d5d55d5d080273"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("digest of exp over the inputs %s, want %s", got, want)
	}
}

// expSink keeps the benchmark's sums alive.
var expSink float64

func BenchmarkExp(b *testing.B) {
	// exp against math.Exp, one input at a time, over inputs of the training's range.
	in := expInputs(1 << 12)[:1<<12]
	for i, x := range in {
		in[i] = math.Mod(x, 40)
	}
	for _, f := range []struct {
		name string
		exp  func(float64) float64
	}{{"nnpipe", exp}, {"math", math.Exp}} {
		b.Run(f.name, func(b *testing.B) {
			s := 0.0
			for b.Loop() {
				for _, x := range in {
					s += f.exp(x)
				}
			}
			expSink = s
		})
	}
}
