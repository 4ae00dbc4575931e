package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// digitsLike returns a generated table the size and shape of scikit-learn's digits: 1,797
// rows of 64 pixels in 0 … 16 (a noisy copy of one of 10 class prototypes, a third of each
// prototype's pixels blank), split 70/30 by rows (7 of every 10 rows train), standardized
// with the training rows' means and standard deviations (1 for a constant column), and
// Glorot-uniform initial weights for M = 16 hidden units. It uses only the exported API, so
// the benchmark runs unchanged on earlier versions of the package.
func digitsLike(tb testing.TB) (train, test *Objective, wv []float64) {
	const n, d, m, k = 1797, 64, 16, 10
	rng := rand.New(rand.NewPCG(64, 1797))
	var proto [k][d]float64
	for c := range proto {
		for i := range proto[c] {
			if rng.IntN(3) > 0 {
				proto[c][i] = float64(rng.IntN(17))
			}
		}
	}
	var trX, teX []float64
	var trL, teL []int32
	for r := range n {
		c := r % k
		row := make([]float64, d)
		for i := range row {
			row[i] = math.Round(math.Min(16, math.Max(0, proto[c][i]+3*rng.NormFloat64())))
		}
		if r%10 < 7 {
			trX, trL = append(trX, row...), append(trL, int32(c))
		} else {
			teX, teL = append(teX, row...), append(teL, int32(c))
		}
	}
	nt := len(trL)
	for i := range d {
		mu, s2 := 0.0, 0.0
		for r := range nt {
			mu += trX[r*d+i]
		}
		mu /= float64(nt)
		for r := range nt {
			s2 += (trX[r*d+i] - mu) * (trX[r*d+i] - mu)
		}
		sd := math.Sqrt(s2 / float64(nt))
		if sd == 0 {
			sd = 1
		}
		for _, x := range [][]float64{trX, teX} {
			for r := range len(x) / d {
				x[r*d+i] = (x[r*d+i] - mu) / sd
			}
		}
	}
	s := Shape{D: d, M: m, K: k}
	var err error
	if train, err = NewObjective(s, trX, trL); err != nil {
		tb.Fatal(err)
	}
	if test, err = NewObjective(s, teX, teL); err != nil {
		tb.Fatal(err)
	}
	wv = make([]float64, s.NumParams())
	hiddenW, outW := math.Sqrt(6.0/(d+1+m)), math.Sqrt(6.0/(m+1+k))
	for p := range wv {
		lim := hiddenW
		if p >= m*(d+1) {
			lim = outW
		}
		wv[p] = lim * (2*rng.Float64() - 1)
	}
	return train, test, wv
}

// BenchmarkDigitsTraining is 20 full-batch steps of α = 0.5 on a digits-sized generated
// table (1,258 training rows, 64 inputs, M = 16, 10 classes), recording the training and
// test cross-entropy after every step, on one goroutine (cpu-ns/op is then the time without
// waiting for a core).
func BenchmarkDigitsTraining(b *testing.B) {
	train, test, wv0 := digitsLike(b)
	for _, m := range []Method{Numerical, Backprop} {
		b.Run(m.String(), func(b *testing.B) {
			opt := Options{Method: m, Epsilon: 1e-3, LearningRate: 0.5, Steps: 20, Workers: 1}
			wv := make([]float64, len(wv0))
			var last float64
			observe := func(_ int, tr, _ float64, _ []float64) { last = tr }
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				copy(wv, wv0)
				if err := Fit(context.Background(), train, test, wv, opt, observe); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			if !(last < math.Log(10)) {
				b.Fatalf("training error after %d steps = %v, want below the uniform guess's log 10", opt.Steps, last)
			}
		})
	}
}
