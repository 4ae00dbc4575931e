package pipeline

import (
	"context"
	"sync"
)

// TrialOutcome is what RunTrials did with one trial.
type TrialOutcome struct {
	// Trial is the trial, or nil when it was not started because ctx was
	// done first.
	Trial *Trial
	// Results are the results of the stages that ran, in order: all of
	// them when Err is nil.
	Results []*StageResult
	Err     error
	// Cached reports that the trial succeeded and every stage was a cache
	// hit.
	Cached bool
}

// TrialObserver is told, from RunTrials' workers, when each trial starts
// and finishes; its methods may be called concurrently.
type TrialObserver interface {
	Started(t *Trial)
	Finished(o TrialOutcome)
}

// RunTrials runs trials with eng on up to jobs workers and returns their
// outcomes in the order of trials; obs, when not nil, sees each start and
// finish. Once ctx is done no further trial starts (its outcome has a nil
// Trial) and the trials running stop as eng.Run does.
//
// Each trial gets the CPUs the workers leave over for its stages
// (eng.Workers is set to jobs divided by the workers, at least 1), so the
// machine is used without oversubscribing it; the results depend on
// neither number, and trials that share a stage compute it once (see
// Engine.Run).
func RunTrials(ctx context.Context, eng *Engine, trials []*Trial, jobs int, obs TrialObserver) []TrialOutcome {
	workers := min(max(1, jobs), max(1, len(trials)))
	eng.Workers = max(1, jobs/workers)
	outcomes := make([]TrialOutcome, len(trials))
	ForEach(ctx, len(trials), workers, func(i int) {
		t := trials[i]
		if obs != nil {
			obs.Started(t)
		}
		results, err := eng.Run(ctx, t.Chain)
		o := TrialOutcome{Trial: t, Results: results, Err: err, Cached: err == nil}
		for _, r := range results {
			o.Cached = o.Cached && r.Cached
		}
		outcomes[i] = o
		if obs != nil {
			obs.Finished(o)
		}
	})
	return outcomes
}

// ForEach calls fn(i) for every i in [0, n), in increasing order of start,
// on up to jobs goroutines, and returns when every call has returned. Once
// ctx is done it starts no further call. fn must be safe for concurrent
// use; it usually writes its result to element i of a slice.
func ForEach(ctx context.Context, n, jobs int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(1, jobs), max(1, n)) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() == nil {
					fn(i)
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}
