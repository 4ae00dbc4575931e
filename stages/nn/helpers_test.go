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
