package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkSweep40Trials runs a 40-trial sweep of the book's size with
// every stage recomputed, on one and on two workers; the ratio of the two
// is the parallel speed-up (the goal: ≥ 1.8 on 2 cores).
//
// jobs=1 and jobs=2 run one after the other, each in its own results
// folder reused by its iterations (the sweep directory is replaced, the
// cache entries are recomputed and exist already). interleaved alternates
// the two, each run in a new results folder (a first sweep: a new cache)
// removed after it, and reports the median time of each per trial and
// their ratio, speedup: on a shared machine, load that comes and goes
// touches both alike.
func BenchmarkSweep40Trials(b *testing.B) {
	sweep := func(b *testing.B, results string, jobs int) {
		if _, stderr, code := nnpipe(b, "sweep", "testdata/sweep/bench40.yaml", "--no-cache", "--quiet",
			"--results", results, "--jobs", fmt.Sprint(jobs)); code != 0 {
			b.Fatalf("sweep: exit %d\n%s", code, stderr)
		}
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			results := b.TempDir()
			for b.Loop() {
				sweep(b, results, jobs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/40/1e6, "ms/trial")
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		var times [2][]time.Duration
		root := b.TempDir()
		for b.Loop() {
			for j := range 2 {
				dir, err := os.MkdirTemp(root, "results-")
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				sweep(b, dir, j+1)
				times[j] = append(times[j], time.Since(start))
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
			}
		}
		one, two := medianDuration(times[0]), medianDuration(times[1])
		b.ReportMetric(one.Seconds()*1e3/40, "jobs1-ms/trial")
		b.ReportMetric(two.Seconds()*1e3/40, "jobs2-ms/trial")
		b.ReportMetric(one.Seconds()/two.Seconds(), "speedup")
	})
}

// medianDuration returns the median of ds (the mean of the middle two for
// an even count).
func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
