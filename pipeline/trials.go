package pipeline

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
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
//
// One worker starts the trials in their order. More start the longest
// first (see startOrder), so that the trials still running when none is
// left to start are short ones: with the longest last, the other workers
// would sit idle for most of one.
func RunTrials(ctx context.Context, eng *Engine, trials []*Trial, jobs int, obs TrialObserver) []TrialOutcome {
	workers := min(max(1, jobs), max(1, len(trials)))
	eng.Workers = max(1, jobs/workers)
	outcomes := make([]TrialOutcome, len(trials))
	order := inOrder(len(trials))
	if workers > 1 {
		order = startOrder(trials)
	}
	ForEach(ctx, len(trials), workers, func(k int) {
		i := order[k]
		t := trials[i]
		if obs != nil {
			obs.Started(t)
		}
		results, err := eng.Run(context.WithValue(ctx, trialKey{}, t.ID), t.Chain)
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

// SharedRefusal returns the error with which every trial of outcomes
// failed, when all of them were started and failed refusing the user's
// input (IsInvalid) with the same problem, as ReportProblems groups them
// (the message, less paths and cache keys): then the input the trials
// share is what is wrong — a file the load stage refuses, say — and not
// one trial's parameters, and the sweep is refused as a run would be.
// Otherwise, and for no outcomes, it returns nil.
func SharedRefusal(outcomes []TrialOutcome) error {
	var first error
	var key string
	for _, o := range outcomes {
		if o.Trial == nil || o.Err == nil || !IsInvalid(o.Err) {
			return nil
		}
		switch k := problemKey(o.Err); {
		case first == nil:
			first, key = o.Err, k
		case k != key:
			return nil
		}
	}
	return first
}

// inOrder returns 0, 1, …, n-1.
func inOrder(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// startOrder returns the indices of trials, longest first: by the sum of
// their stages' Cost.Work, asked untimed (so that the order is the same
// on every machine and costs no measuring), trials of equal work in their
// own order. Unless the work of every trial is known (a kind that trains
// on a loaded file cannot tell it before the file is read), it is the
// trials' own order.
func startOrder(trials []*Trial) []int {
	order := inOrder(len(trials))
	work := make([]float64, len(trials))
	pl := &Planner{shapes: map[string]InputShape{}, untimed: true}
	for i, t := range trials {
		for _, step := range t.Chain.Stages {
			if step.Spec.Cost == nil {
				continue
			}
			switch c := pl.cost(t.Chain, step, nil); {
			case c.Skip:
			case !c.Known:
				return order
			default:
				work[i] += c.Work
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(work[b], work[a]) })
	return order
}

// ForEach calls fn(i) for every i in [0, n), in increasing order of start,
// on up to jobs goroutines, the caller's among them, and returns when every
// call has returned. Once ctx is done it starts no further call. fn must be
// safe for concurrent use; it usually writes its result to element i of a
// slice.
//
// A goroutine that finishes a call takes the next index itself: no
// goroutine hands indices out, so none has to be scheduled between two
// calls while the others keep every core busy.
func ForEach(ctx context.Context, n, jobs int, fn func(i int)) {
	var next atomic.Int64
	work := func() {
		for ctx.Err() == nil {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range min(max(1, jobs), max(1, n)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
