package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestForwardTIsForward: the forward pass by columns computes, for every row of a block, the
// bits of the forward pass by rows — pre-activations, activations, outputs, maximum, log-sum-
// exp and loss — with and without normalized outputs, for full and partial blocks, small and
// wide networks, and weights that saturate the sigmoid, overflow the softmax's exponentials
// or are not numbers, and tied outputs (the first largest is the maximum's index).
func TestForwardTIsForward(t *testing.T) {
	shapes := []Shape{{2, 2, 3}, {1, 1, 2}, {5, 7, 4}, {3, 17, 2}, {64, 16, 10}}
	weights := []struct {
		name  string
		scale float64
		nan   bool
		tie   bool
	}{{"small", 0.5, false, false}, {"large", 400, false, false}, {"nan", 0.5, true, false}, {"tie", 0.5, false, true}}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range shapes {
		for _, n := range []int{1, 3, 63, 64, 65, 150} {
			for _, wt := range weights {
				pr := randomProblem(rng.Uint64(), s, n, wt.scale, 0)
				if wt.nan {
					pr.wv[rng.IntN(len(pr.wv))] = math.NaN()
				}
				if v := pr.wv[s.numW():]; wt.tie {
					copy(v[(s.K-1)*(s.M+1):], v[:s.M+1]) // the last class's weights are the first's
				}
				o := pr.objective(t)
				for _, probs := range []bool{false, true} {
					name := fmt.Sprintf("D%d-M%d-K%d/n=%d/%s/probs=%v", s.D, s.M, s.K, n, wt.name, probs)
					compareForwards(t, name, o, pr.wv, probs)
				}
			}
		}
	}
}

// compareForwards runs both forward passes over every block of o at wv and reports the first
// quantity whose bits differ.
func compareForwards(t *testing.T, name string, o *Objective, wv []float64, probs bool) {
	t.Helper()
	s := o.shape
	const cs = blockRows
	rows, cols := newScratch(s), newScratch(s)
	rows.setWeights(s, wv)
	for r0 := 0; r0 < o.n; r0 += blockRows {
		n := min(blockRows, o.n-r0)
		o.forward(rows, r0, n, probs)
		o.forwardT(cols, wv, r0, n, probs)
		br, bc := &rows.blk, &cols.blk
		check := func(what string, got, want float64, r int) {
			t.Helper()
			if sameBits([]float64{got}, []float64{want}) >= 0 {
				t.Fatalf("%s: row %d: %s = %v by columns, %v by rows", name, r0+r, what, got, want)
			}
		}
		for r := range n {
			for j := range s.M {
				check(fmt.Sprintf("b[%d]", j), bc.bT[j*cs+r], br.b[r*s.M+j], r)
				check(fmt.Sprintf("z[%d]", j), bc.zT[j*cs+r], br.z[r*(s.M+1)+j], r)
				check(fmt.Sprintf("1−z[%d]", j), bc.ezT[j*cs+r], br.ez[r*s.M+j], r)
			}
			check("bias z", bc.zT[s.M*cs+r], br.z[r*(s.M+1)+s.M], r)
			for k := range s.K {
				check(fmt.Sprintf("a[%d]", k), bc.aT[k*cs+r], br.a[r*s.K+k], r)
				check(fmt.Sprintf("y[%d]", k), bc.yT[k*cs+r], br.y[r*s.K+k], r)
			}
			if bc.im[r] != br.im[r] {
				t.Fatalf("%s: row %d: argmax %d by columns, %d by rows", name, r0+r, bc.im[r], br.im[r])
			}
			check("max a", bc.max[r], br.max[r], r)
			check("sum", bc.sum[r], br.sum[r], r)
			check("lse", bc.lse[r], br.lse[r], r)
			check("loss", bc.loss[r], br.loss[r], r)
		}
	}
}
