package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// problem is a random network and data set for the tests.
type problem struct {
	shape  Shape
	x      []float64
	labels []int32
	wv     []float64
}

// randomProblem draws N rows of standard normal inputs (every fifth input exactly 0, to
// exercise the skip of unchanged rows), uniform labels and N(0, wStd²) weights. If aMax > 0
// the output weights are then scaled so that the largest |a_nk| is aMax.
func randomProblem(seed uint64, s Shape, n int, wStd, aMax float64) problem {
	rng := rand.New(rand.NewPCG(seed, 0x6e6e))
	pr := problem{shape: s, x: make([]float64, n*s.D), labels: make([]int32, n), wv: make([]float64, s.NumParams())}
	for i := range pr.x {
		if rng.IntN(5) > 0 {
			pr.x[i] = rng.NormFloat64()
		}
	}
	for i := range pr.labels {
		pr.labels[i] = int32(rng.IntN(s.K))
	}
	for p := range pr.wv {
		pr.wv[p] = wStd * rng.NormFloat64()
	}
	if aMax > 0 {
		z, a := make([]float64, s.M+1), make([]float64, s.K)
		big := 0.0
		for r := range n {
			hidden(s, pr.wv[:s.numW()], pr.x[r*s.D:(r+1)*s.D], z)
			outputs(s, pr.wv[s.numW():], z, a)
			for _, ak := range a {
				big = math.Max(big, math.Abs(ak))
			}
		}
		for p := s.numW(); p < len(pr.wv) && big > 0; p++ {
			pr.wv[p] *= aMax / big
		}
	}
	return pr
}

func (pr problem) objective(t testing.TB) *Objective {
	t.Helper()
	o, err := NewObjective(pr.shape, pr.x, pr.labels)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// hidden writes the hidden activations z_j = σ(Σ_i w_ji x_i) of one row into z (length
// M+1), z[M] = 1 being the output layer's bias input: the definition, one row at a time.
func hidden(s Shape, w, x, z []float64) {
	d := s.D
	for j := range s.M {
		row := w[j*(d+1) : (j+1)*(d+1)]
		b := 0.0
		for i, xi := range x[:d] {
			b += row[i] * xi
		}
		z[j] = 1 / (1 + math.Exp(-(b + row[d])))
	}
	z[s.M] = 1
}

// outputs writes the output pre-activations a_k = Σ_j v_kj z_j of one row into a.
func outputs(s Shape, v, z, a []float64) {
	m := s.M
	for k := range a {
		row := v[k*(m+1) : (k+1)*(m+1)]
		ak := 0.0
		for j, zj := range z {
			ak += row[j] * zj
		}
		a[k] = ak
	}
}
