package nn

import (
	"slices"
	"testing"
)

func TestBatchIsTheObjectiveOfItsRows(t *testing.T) {
	// A batch gathered from an objective computes, bit for bit, what a new objective over
	// the same rows does: the value, the probabilities and every gradient. Shapes with
	// D ≤ M keep the inputs transposed as well, which gather must refill; a smaller batch
	// after a larger one must not read the rows the larger one left.
	for _, tc := range []struct {
		name  string
		shape Shape
	}{
		{"inputs transposed (D ≤ M)", Shape{D: 2, M: 3, K: 3}},
		{"inputs by rows (D > M)", Shape{D: 5, M: 2, K: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr := randomProblem(77, tc.shape, 150, 0.7, 0)
			src := pr.objective(t)
			b := newBatch(src, 130)
			for _, rows := range [][]int{perm(150, 130, 1), perm(150, 70, 2), perm(150, 3, 3)} {
				b.gather(src, rows)
				x := make([]float64, 0, len(rows)*tc.shape.D)
				labels := make([]int32, 0, len(rows))
				for _, r := range rows {
					x = append(x, pr.x[r*tc.shape.D:(r+1)*tc.shape.D]...)
					labels = append(labels, pr.labels[r])
				}
				want := problem{shape: tc.shape, x: x, labels: labels}.objective(t)
				if g, w := b.Value(pr.wv), want.Value(pr.wv); g != w {
					t.Fatalf("%d rows: value %v, want %v", len(rows), g, w)
				}
				pg, pw := make([]float64, len(rows)*tc.shape.K), make([]float64, len(rows)*tc.shape.K)
				b.Probabilities(pg, pr.wv)
				want.Probabilities(pw, pr.wv)
				if i := sameBits(pg, pw); i >= 0 {
					t.Fatalf("%d rows: probability %d is %v, want %v", len(rows), i, pg[i], pw[i])
				}
				for _, m := range []Method{Numerical, Backprop} {
					gg, gw := make([]float64, len(pr.wv)), make([]float64, len(pr.wv))
					b.Gradient(gg, pr.wv, m, 1e-3)
					want.Gradient(gw, pr.wv, m, 1e-3)
					if i := sameBits(gg, gw); i >= 0 {
						t.Fatalf("%d rows, method %v: gradient %d is %v, want %v", len(rows), m, i, gg[i], gw[i])
					}
				}
			}
		})
	}
}

// perm returns k distinct rows of n in a shuffled order, fixed by seed.
func perm(n, k int, seed uint64) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	u := newShuffle(seed)
	for i := n - 1; i > 0; i-- {
		j := int(u.Float64() * float64(i+1))
		rows[i], rows[j] = rows[j], rows[i]
	}
	return slices.Clip(rows[:k])
}
