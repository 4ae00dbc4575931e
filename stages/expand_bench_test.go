package stages

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/pipeline/cputime"
)

// sweepConfig is configs/sweep-hidden.yaml's chain with a grid of hidden ×
// learning_rate × seeds trials.
func sweepConfig(hidden, rates, seeds int) string {
	list := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i + 1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return `name: sweep-hidden
seed: 1
stages:
  - {id: data, kind: generate, with: {dataset: moons, n: 400, noise: 0.15, seed: 1}}
  - {id: split, kind: split, with: {train_ratio: 0.5}}
  - id: train
    kind: train
    with: {hidden: 2, gradient: numerical, learning_rate: 2.0, steps: 2000, init: {std: 0.5}}
  - {id: eval, kind: evaluate}
  - {id: predictions, kind: predictions}
sweep:
  train.hidden: ` + list(hidden, func(i int) string { return fmt.Sprint(i) }) + `
  train.learning_rate: ` + list(rates, func(i int) string { return fmt.Sprintf("%g", 0.01*float64(i)) }) + `
  seed: ` + list(seeds, func(i int) string { return fmt.Sprint(i) }) + "\n"
}

// BenchmarkExpand expands and compiles sweep grids of growing size, as
// `nnpipe validate` does: the cost per trial is what a 90,000-trial grid
// multiplies. Besides wall time it reports the process's CPU time per
// trial (cpu-ns/trial), which waiting for a core on a shared machine does
// not inflate.
func BenchmarkExpand(b *testing.B) {
	reg := Builtin()
	for _, size := range []struct{ hidden, rates, seeds int }{{10, 10, 1}, {10, 10, 10}, {30, 30, 10}, {30, 30, 100}} {
		n := size.hidden * size.rates * size.seeds
		b.Run(fmt.Sprintf("trials=%d", n), func(b *testing.B) {
			f, err := config.Parse("sweep.yaml", []byte(sweepConfig(size.hidden, size.rates, size.seeds)), nil)
			if err != nil {
				b.Fatal(err)
			}
			cpu0, _ := cputime.Process()
			for b.Loop() {
				trials, err := pipeline.Expand(context.Background(), f, reg)
				if err != nil || len(trials) != n {
					b.Fatalf("Expand = %d trials, %v; want %d", len(trials), err, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/trial")
			if cpu, ok := cputime.Process(); ok {
				b.ReportMetric(float64(cpu-cpu0)/float64(b.N*n), "cpu-ns/trial")
			}
		})
	}
}

// BenchmarkKey computes the cache key of every stage of every trial of a
// grid, as `plan` and `sweep --collect` do for each trial they probe; the
// stages' inputs are given made-up digests.
func BenchmarkKey(b *testing.B) {
	f, err := config.Parse("sweep.yaml", []byte(sweepConfig(10, 10, 10)), nil)
	if err != nil {
		b.Fatal(err)
	}
	trials, err := pipeline.Expand(context.Background(), f, Builtin())
	if err != nil {
		b.Fatal(err)
	}
	eng := &pipeline.Engine{}
	keys := 0
	cpu0, _ := cputime.Process()
	for b.Loop() {
		keys = 0
		for _, t := range trials {
			done := map[string]*pipeline.StageResult{}
			for _, step := range t.Chain.Stages {
				if _, _, _, err := eng.Key(t.Chain, step, done); err != nil {
					b.Fatal(err)
				}
				r := &pipeline.StageResult{ID: step.ID, Digests: map[string]string{}}
				for _, o := range step.Spec.Outputs {
					r.Digests[o.Slot] = strings.Repeat("d", 64)
				}
				done[step.ID] = r
				keys++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*keys), "ns/key")
	if cpu, ok := cputime.Process(); ok {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N*keys), "cpu-ns/key")
	}
}
