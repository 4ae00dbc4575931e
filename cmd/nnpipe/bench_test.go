package main

import (
	"fmt"
	"testing"
)

// BenchmarkSweep40Trials runs a 40-trial sweep of the book's size with
// every stage recomputed, on one and on two workers; the ratio of the two
// is the parallel speed-up (the goal: ≥ 1.8 on 2 cores).
func BenchmarkSweep40Trials(b *testing.B) {
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			results := b.TempDir()
			for b.Loop() {
				if _, stderr, code := nnpipe(b, "sweep", "testdata/sweep/bench40.yaml", "--no-cache", "--quiet",
					"--results", results, "--jobs", fmt.Sprint(jobs)); code != 0 {
					b.Fatalf("sweep: exit %d\n%s", code, stderr)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/40/1e6, "ms/trial")
		})
	}
}

// BenchmarkRunBookCh7 is the book's run through the CLI, cold (every stage
// recomputed) and warm (every stage a cache hit).
func BenchmarkRunBookCh7(b *testing.B) {
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			results := b.TempDir()
			args := []string{"run", bookConfig, "--quiet", "--results", results, "--json"}
			if mode == "cold" {
				args = append(args, "--no-cache")
			} else if _, stderr, code := nnpipe(b, args...); code != 0 {
				b.Fatalf("run: exit %d\n%s", code, stderr)
			}
			for b.Loop() {
				if _, stderr, code := nnpipe(b, args...); code != 0 {
					b.Fatalf("run: exit %d\n%s", code, stderr)
				}
			}
		})
	}
}
