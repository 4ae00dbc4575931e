//go:build !amd64.v3 && !noasm && !safe

package standardize

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestPopMeanStdDevIsGonumsOnAmd64 checks that the scaling keeps the bits of gonum's
// stat.PopMeanStdDev on amd64 at its baseline (where gonum sums in assembly and Go fuses no
// multiply-add), which computed every cached standardize entry: for every length up to 200
// and a few larger, over values of several scales and signs.
func TestPopMeanStdDevIsGonumsOnAmd64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1000, 1023, 4097, 65537}
	for n := 1; n <= 200; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, scale := range []float64{1, 1e-3, 1e8, 1e150} {
			x := make([]float64, n)
			for i := range x {
				x[i] = float64(r.NormFloat64()*scale) + 3*scale
			}
			gm, gs := stat.PopMeanStdDev(x, nil)
			m, s := popMeanStdDev(x)
			if math.Float64bits(m) != math.Float64bits(gm) || math.Float64bits(s) != math.Float64bits(gs) {
				t.Fatalf("n %d, scale %g: mean %v, std %v; gonum's %v, %v", n, scale, m, s, gm, gs)
			}
		}
	}
}
