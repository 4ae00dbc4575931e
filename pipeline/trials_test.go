package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// trialLog records what a TrialObserver was told, from any goroutine.
type trialLog struct {
	mu       sync.Mutex
	started  []string
	finished []string
	running  int
	most     int // the most trials running at once
	onFinish func(n int)
}

func (l *trialLog) Started(t *Trial) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.started = append(l.started, t.ID)
	l.running++
	l.most = max(l.most, l.running)
}

// Finished calls onFinish holding the lock, so that no other trial starts
// or finishes meanwhile.
func (l *trialLog) Finished(o TrialOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finished = append(l.finished, o.Trial.ID)
	l.running--
	if l.onFinish != nil {
		l.onFinish(len(l.finished))
	}
}

// trialsOf expands sweepTestConfig's 24 trials.
func trialsOf(t *testing.T) (*Registry, []*Trial) {
	t.Helper()
	reg := mustRegistry(t, 1)
	trials, err := Expand(context.Background(), parseTest(t, sweepTestConfig), reg)
	if err != nil {
		t.Fatal(err)
	}
	return reg, trials
}

func TestRunTrialsRunsEveryTrialOnceInOrderOnAnyNumberOfWorkers(t *testing.T) {
	_, trials := trialsOf(t)
	var want [][]string // per trial, the digests of its outputs with one worker
	for _, jobs := range []int{1, 2, 3, 8, 100} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
			defer eng.Close()
			var log trialLog
			outcomes := RunTrials(context.Background(), eng, trials, jobs, &log)
			if len(outcomes) != len(trials) || len(log.started) != len(trials) || len(log.finished) != len(trials) {
				t.Fatalf("%d outcomes, %d started, %d finished; want %d each", len(outcomes), len(log.started), len(log.finished), len(trials))
			}
			if log.most > jobs {
				t.Errorf("%d trials ran at once on %d workers", log.most, jobs)
			}
			slices.Sort(log.started)
			var got [][]string
			for i, o := range outcomes {
				if o.Trial != trials[i] || o.Err != nil || o.Cached || len(o.Results) != len(trials[i].Chain.Stages) {
					t.Fatalf("outcome %d = %+v, want trial %s run without error", i, o, trials[i].ID)
				}
				if _, found := slices.BinarySearch(log.started, o.Trial.ID); !found {
					t.Errorf("trial %s ran without being reported started", o.Trial.ID)
				}
				var digests []string
				for _, r := range o.Results {
					digests = append(digests, r.Digests[r.Spec.Outputs[0].Slot])
				}
				got = append(got, digests)
			}
			if want == nil {
				want = got
			} else if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("outputs with %d workers differ from those with one", jobs)
			}
			again := RunTrials(context.Background(), eng, trials, jobs, nil)
			for i, o := range again {
				if o.Err != nil || !o.Cached {
					t.Errorf("rerun of trial %d: %v, cached %v; want every stage a hit", i, o.Err, o.Cached)
				}
			}
		})
	}
}

func TestRunTrialsStartsNoTrialOnceCancelled(t *testing.T) {
	_, trials := trialsOf(t)
	for _, jobs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
			defer eng.Close()
			log := trialLog{onFinish: func(n int) {
				if n == 3 {
					cancel()
				}
			}}
			outcomes := RunTrials(ctx, eng, trials, jobs, &log)
			started := 0
			for _, o := range outcomes {
				if o.Trial != nil {
					started++
				}
			}
			// The three that finished, and at most one more per other
			// worker: running when the third finished, or past its check
			// of ctx and about to start.
			if started < 3 || started > 3+jobs-1 || started != len(log.started) {
				t.Errorf("%d trials started (%d reported) after a cancel at the third finish on %d workers; want 3 to %d", started, len(log.started), jobs, 3+jobs-1)
			}
		})
	}
}

func TestRunTrialsReportsEachTrialsOwnError(t *testing.T) {
	trials, err := Expand(context.Background(), parseTest(t, sweepTestConfig, "sweep.mid.factor=2,99"), mustRegistry(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng.Close()
	for i, o := range RunTrials(context.Background(), eng, trials, 3, nil) {
		unlucky := trials[i].Values[0].Value == "99"
		if (o.Err != nil) != unlucky || o.Cached {
			t.Errorf("trial %s: error %v, cached %v; want an error exactly for factor 99", trials[i].Label(), o.Err, o.Cached)
		}
	}
}

func TestForEachCallsEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, jobs int }{{0, 1}, {1, 0}, {5, 1}, {5, 2}, {100, 7}, {3, 50}} {
		var mu sync.Mutex
		seen := map[int]int{}
		ForEach(context.Background(), c.n, c.jobs, func(i int) {
			mu.Lock()
			seen[i]++
			mu.Unlock()
		})
		if len(seen) != c.n {
			t.Errorf("ForEach(%d, %d) called %d indexes", c.n, c.jobs, len(seen))
		}
		for i, k := range seen {
			if k != 1 || i < 0 || i >= c.n {
				t.Errorf("ForEach(%d, %d) called index %d %d times", c.n, c.jobs, i, k)
			}
		}
	}
}
