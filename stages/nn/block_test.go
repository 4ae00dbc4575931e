package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestForwardIsRowByRow: the forward pass by columns computes, for every row of a block, the
// bits of the forward pass by rows (forwardRows) — pre-activations, activations, outputs,
// maximum, log-sum-exp and loss — with and without normalized outputs, for full and partial blocks, small and
// wide networks, and weights that saturate the sigmoid, overflow the softmax's exponentials
// or are not numbers, and tied outputs (the first largest is the maximum's index).
func TestForwardIsRowByRow(t *testing.T) {
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
	cols := newScratch(s)
	d1 := s.D + 1
	for r0 := 0; r0 < o.n; r0 += blockRows {
		n := min(blockRows, o.n-r0)
		br := forwardRows(s, wv, o.x[r0*d1:(r0+n)*d1], o.labels[r0:r0+n], n, probs)
		o.forward(cols, wv, r0, n, probs)
		bc := &cols.blk
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

// rowPass is what forwardRows computes, row by row: b, e and 1 − z are n×M, z n×(M+1), a and
// y n×K, the others one per row.
type rowPass struct {
	b, e, z, ez, a, y, max, sum, lse, loss []float64
	im                                     []int
}

// forwardRows is the forward pass by rows, the form that reads as the definition does and
// that forward's columns are held to: the n rows x (row-major, n×(D+1), the bias input 1 last)
// with the classes labels at the weights wv, layer by layer with the same kernels.
func forwardRows(s Shape, wv, x []float64, labels []int32, n int, probs bool) *rowPass {
	m, m1, k, d1 := s.M, s.M+1, s.K, s.D+1
	wT, vT := make([]float64, d1*m), make([]float64, m1*k)
	for j := range m {
		for i := range d1 {
			wT[i*m+j] = wv[j*d1+i]
		}
	}
	v := wv[s.numW():]
	for q := range k {
		for j := range m1 {
			vT[j*k+q] = v[q*m1+j]
		}
	}
	p := &rowPass{b: make([]float64, n*m), e: make([]float64, n*m), z: make([]float64, n*m1),
		ez: make([]float64, n*m), a: make([]float64, n*k), y: make([]float64, n*k),
		max: make([]float64, n), sum: make([]float64, n), lse: make([]float64, n),
		loss: make([]float64, n), im: make([]int, n)}

	b, e := p.b, p.e
	gemm(b, m, m, n, x, d1, 1, wT, m, d1, false)
	for i, bi := range b {
		e[i] = -bi
	}
	expInto(e, e)
	z, ez := p.z, p.ez
	for r := range n {
		for j := range m {
			ej := e[r*m+j]
			zj := 1 / (1 + ej)
			z[r*m1+j] = zj
			if ej <= math.MaxFloat64 {
				ez[r*m+j] = ej * zj // 1 − z_j = e/(1+e), without cancellation
			} else {
				ez[r*m+j] = 1
			}
		}
		z[r*m1+m] = 1
	}

	a, y := p.a, p.y
	gemm(a, k, k, n, z, m1, 1, vT, k, m1, false)
	for r := range n {
		ar, yr := a[r*k:(r+1)*k], y[r*k:(r+1)*k]
		i := Argmax(ar)
		p.im[r], p.max[r] = i, ar[i]
		for q, aq := range ar {
			yr[q] = aq - ar[i]
		}
	}
	expInto(y, y)
	for r := range n {
		yr := y[r*k : (r+1)*k]
		yr[p.im[r]] = 1 // e⁰, exactly (and not NaN when max a is infinite)
		sum := 0.0
		for _, yq := range yr {
			sum += yq
		}
		p.sum[r] = sum
		if probs {
			inv := 1 / sum
			for q := range yr {
				yr[q] *= inv
			}
		}
	}
	logInto(p.lse, p.sum)
	for r := range n {
		p.lse[r] = p.max[r] + p.lse[r]
		if t := labels[r]; t >= 0 && int(t) < k {
			p.loss[r] = p.lse[r] - a[r*k+int(t)]
		} else {
			p.loss[r] = math.NaN()
		}
	}
	return p
}
