package nn

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cputime"
)

// benchSize is one of the benchmark sizes: the book's, N = 1000 with M from 2 to
// 32, and a digits-sized network.
type benchSize struct {
	name string
	n    int
	s    Shape
}

var benchSizes = []benchSize{
	{"book-N100-D2-M2-K3", 100, Shape{2, 2, 3}},
	{"N1000-D2-M4-K3", 1000, Shape{2, 4, 3}},
	{"N1000-D2-M8-K3", 1000, Shape{2, 8, 3}},
	{"N1000-D2-M16-K3", 1000, Shape{2, 16, 3}},
	{"N1000-D2-M32-K3", 1000, Shape{2, 32, 3}},
	{"N1797-D64-M16-K10", 1797, Shape{64, 16, 10}},
}

// benchProblem returns the size's objective and weights: the book's data and initial weights
// for the book's size, otherwise random data (standard normal inputs, a fifth of them 0) and
// N(0, 0.5²) weights.
func benchProblem(b *testing.B, bs benchSize) (*Objective, []float64) {
	if bs.name == "book-N100-D2-M2-K3" {
		bd := loadBook(b)
		train, _ := bd.objectives(b)
		return train, slices.Clone(bd.want.WvInit)
	}
	pr := randomProblem(900, bs.s, bs.n, 0.5, 0)
	return pr.objective(b), pr.wv
}

// cpuTimer reports, besides ns/op (wall time), cpu-ns/op: the process's CPU time per
// operation. On a machine shared with other work the wall time includes waiting for a core;
// for single-goroutine work the CPU time does not.
type cpuTimer struct{ start time.Duration }

func startCPU() cpuTimer {
	t, _ := cputime.Process()
	return cpuTimer{t}
}

func (c cpuTimer) report(b *testing.B) {
	if t, ok := cputime.Process(); ok && b.N > 0 {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// benchStep measures one training step by method m: the gradient and the update.
func benchStep(b *testing.B, m Method) {
	for _, bs := range benchSizes {
		b.Run(bs.name, func(b *testing.B) {
			o, wv := benchProblem(b, bs)
			g := make([]float64, len(wv))
			next := make([]float64, len(wv))
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				o.Gradient(g, wv, m, 1e-3)
				for p := range next {
					next[p] = wv[p] - 0.5*g[p]
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkNumericalStep(b *testing.B)     { benchStep(b, Numerical) }
func BenchmarkBackpropStep(b *testing.B)      { benchStep(b, Backprop) }
func BenchmarkNumericalFullStep(b *testing.B) { benchStep(b, NumericalFull) }

// BenchmarkBookTraining is the book's whole run: 1000 steps of α = 0.5 from its initial
// weights, recording the training and test cross-entropy after every step.
func BenchmarkBookTraining(b *testing.B) {
	bd := loadBook(b)
	for _, m := range []Method{Numerical, Backprop, NumericalFull} {
		b.Run(m.String(), func(b *testing.B) {
			train, test := bd.objectives(b)
			opt := Options{Method: m, Epsilon: bd.want.Config.Eps, LearningRate: bd.want.Config.Alpha, Steps: bd.want.Config.Steps}
			trainE := make([]float64, opt.Steps)
			testE := make([]float64, opt.Steps)
			wv := make([]float64, len(bd.want.WvInit))
			observe := func(step int, tr, te float64, _ []float64) { trainE[step-1], testE[step-1] = tr, te }
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				copy(wv, bd.want.WvInit)
				if err := Fit(context.Background(), train, test, wv, opt, observe); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkTrainWorkers measures 5 training steps (with train and test errors) at the
// digits size with one and two goroutines; the results are the same bits.
func BenchmarkTrainWorkers(b *testing.B) {
	bs := benchSizes[len(benchSizes)-1]
	pr := randomProblem(900, bs.s, bs.n, 0.5, 0)
	tp := randomProblem(901, bs.s, 300, 0.5, 0)
	for _, m := range []Method{Numerical, Backprop} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s-%s-workers=%d", bs.name, m, workers), func(b *testing.B) {
				train, test := pr.objective(b), tp.objective(b)
				wv := make([]float64, len(pr.wv))
				opt := Options{Method: m, Epsilon: 1e-3, LearningRate: 0.5, Steps: 5, Workers: workers}
				b.ReportAllocs()
				for b.Loop() {
					copy(wv, pr.wv)
					if err := Fit(context.Background(), train, test, wv, opt, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBatchStep measures one update with batches of growing size out of N = 2000 rows
// (batch 0: all of them): gathering the batch, its gradient and Adam's update. The gradient
// is linear in the rows, so a batch of b costs about b/N of the full batch's step, plus the
// update's O(P), which is what the smallest batches show.
func BenchmarkBatchStep(b *testing.B) {
	s := Shape{D: 13, M: 16, K: 3}
	pr := randomProblem(930, s, 2000, 0.5, 0)
	for _, m := range []Method{Numerical, Backprop} {
		for _, batch := range []int{1, 10, 100, 1000, 0} {
			b.Run(fmt.Sprintf("%s/batch=%d", m, batch), func(b *testing.B) {
				train := pr.objective(b)
				opt := Options{Method: m, Epsilon: 1e-3, LearningRate: 0.001, Steps: 1 << 30, Optimizer: Adam,
					Beta1: 0.9, Beta2: 0.999, AdamEpsilon: 1e-8, BatchSize: batch, Shuffle: newShuffle(1)}
				tr := newTrainer(train, nil, slices.Clone(pr.wv), opt, nil)
				defer tr.run.close()
				step := 0
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					step++
					if tr.batch != train {
						tr.nextBatch(step)
					}
					tr.run.gradient(tr.g, tr.wv)
					tr.update(step)
				}
				cpu.report(b)
			})
		}
	}
}
