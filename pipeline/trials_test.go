package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
		var order []int
		running, most := 0, 0
		ForEach(context.Background(), c.n, c.jobs, func(i int) {
			mu.Lock()
			seen[i]++
			order = append(order, i)
			running++
			most = max(most, running)
			mu.Unlock()
			runtime.Gosched() // let the other workers start calls meanwhile
			mu.Lock()
			running--
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
		if limit := max(1, c.jobs); most > limit {
			t.Errorf("ForEach(%d, %d) ran %d calls at once, want at most %d", c.n, c.jobs, most, limit)
		}
		if c.jobs <= 1 && !slices.IsSorted(order) {
			t.Errorf("ForEach(%d, %d) called %v, want increasing order on one goroutine", c.n, c.jobs, order)
		}
	}
}

func TestForEachStartsNoCallOnceCancelled(t *testing.T) {
	for _, jobs := range []int{1, 3} {
		ctx, cancel := context.WithCancel(context.Background())
		var calls, late atomic.Int32
		var cancelled atomic.Bool
		ForEach(ctx, 100, jobs, func(i int) {
			if cancelled.Load() {
				late.Add(1)
			}
			if calls.Add(1) == 5 {
				cancel()
				cancelled.Store(true)
			}
		})
		cancel()
		// Other workers may run calls while the fifth is cancelling (how many
		// is the scheduler's affair); once the cancel has returned, a worker
		// can start at most the one call whose index it took before it saw
		// the context done, and then stops.
		if got := int(late.Load()); got > jobs-1 {
			t.Errorf("jobs %d: %d calls started after the cancel returned, want at most %d", jobs, got, jobs-1)
		}
		if got := int(calls.Load()); got < 5 {
			t.Errorf("jobs %d: %d calls, want at least the 5 up to the cancel", jobs, got)
		}
	}
}

// workSpecs are kinds for the order in which trials start: "rows" makes n
// lines and tells so from its config, "blind" makes them and tells
// nothing, and "fit" costs n times its input's rows in Work. fit counts
// the estimates it was asked to time in *timed, and calls arrive, when
// set, as it starts running.
func workSpecs(timed *atomic.Int32, arrive func()) []Spec {
	write := func(_ context.Context, p Params, io *IO) error {
		return os.WriteFile(io.Output("data"), []byte(strings.Repeat("x\n", p.(*sourceParams).N)), 0o644)
	}
	return []Spec{
		{Kind: "rows", Version: 1, Outputs: []Output{{Slot: "data", File: "d.txt"}},
			NewParams: func() Params { return &sourceParams{N: 3} }, Run: write,
			Shape: func(p Params, _ map[string]Shape) map[string]Shape {
				return map[string]Shape{"data": {Rows: p.(*sourceParams).N, Columns: 1, Classes: 2}}
			}},
		{Kind: "blind", Version: 1, Outputs: []Output{{Slot: "data", File: "d.txt"}},
			NewParams: func() Params { return &sourceParams{N: 3} }, Run: write},
		{Kind: "fit", Version: 1, Inputs: []Input{{Slot: "data"}}, Outputs: []Output{{Slot: "out", File: "o.txt"}},
			NewParams: func() Params { return &sourceParams{N: 1} },
			Run: func(_ context.Context, p Params, io *IO) error {
				if arrive != nil {
					arrive()
				}
				return os.WriteFile(io.Output("out"), []byte(fmt.Sprint(p.(*sourceParams).N)), 0o644)
			},
			Cost: func(p Params, q CostQuery) Cost {
				if !q.Untimed {
					timed.Add(1)
				}
				in := q.Inputs["data"]
				return Cost{Known: in.Known, Work: float64(p.(*sourceParams).N * in.Rows), Seconds: 1}
			}},
	}
}

// workTrials expands a sweep of a source of the kind named by source
// (rows of 10 and 20) into fit (n of 1, 2 and 4), and returns the trials
// with the Work of each: its rows times its n.
func workTrials(t *testing.T, reg *Registry, source string) ([]*Trial, []int) {
	t.Helper()
	src := "name: t\nstages:\n  - {id: a, kind: " + source + "}\n  - {id: b, kind: fit}\nsweep:\n  a.n: [10, 20]\n  b.n: [1, 2, 4]\n"
	trials, err := Expand(context.Background(), parseTest(t, src), reg)
	if err != nil {
		t.Fatal(err)
	}
	work := make([]int, len(trials))
	for i, tr := range trials {
		work[i] = tr.Chain.Stages[0].Params.(*sourceParams).N * tr.Chain.Stages[1].Params.(*sourceParams).N
	}
	return trials, work
}

func TestStartOrderIsLongestFirstByUntimedWorkEqualWorkInOrder(t *testing.T) {
	var timed atomic.Int32
	reg, err := NewRegistry(workSpecs(&timed, nil)...)
	if err != nil {
		t.Fatal(err)
	}
	trials, work := workTrials(t, reg, "rows")
	want := inOrder(len(trials))
	slices.SortStableFunc(want, func(a, b int) int { return work[b] - work[a] })
	if got := startOrder(trials); !slices.Equal(got, want) {
		t.Errorf("start order %v of trials of work %v; want %v", got, work, want)
	}
	if n := timed.Load(); n != 0 {
		t.Errorf("the order asked for %d timed estimates; want every one untimed", n)
	}
	// The source tells no shape: no trial's work is known, and the trials
	// keep their order.
	trials, _ = workTrials(t, reg, "blind")
	if got := startOrder(trials); !slices.Equal(got, inOrder(len(trials))) {
		t.Errorf("start order with the work unknown = %v; want the trials' own", got)
	}
}

func TestRunTrialsStartsTheLongestFirstOnMoreWorkersInOrderOnOne(t *testing.T) {
	// The first two fits wait for each other, so that neither finishes
	// before both have started: the first two started are the first two
	// handed out.
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	arrive := func() {
		mu.Lock()
		arrived++
		if arrived == 2 {
			close(both)
		}
		mu.Unlock()
		<-both
	}
	var timed atomic.Int32
	reg, err := NewRegistry(workSpecs(&timed, arrive)...)
	if err != nil {
		t.Fatal(err)
	}
	trials, work := workTrials(t, reg, "rows")
	idOf := func(order []int) []string {
		var ids []string
		for _, i := range order {
			ids = append(ids, trials[i].ID)
		}
		return ids
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng.Close()
	var log trialLog
	for i, o := range RunTrials(context.Background(), eng, trials, 2, &log) {
		if o.Trial != trials[i] || o.Err != nil {
			t.Fatalf("outcome %d = %+v; want trial %s run without error", i, o, trials[i].ID)
		}
	}
	longest := idOf(startOrder(trials)[:2])
	first := slices.Clone(log.started[:2])
	slices.Sort(longest)
	slices.Sort(first)
	if !slices.Equal(first, longest) {
		t.Errorf("on two workers, trials %v started first (work %v); want the two longest, %v", first, work, longest)
	}

	// One worker: the trials' own order (the fits no longer wait).
	eng1 := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng1.Close()
	var log1 trialLog
	RunTrials(context.Background(), eng1, trials, 1, &log1)
	if want := idOf(inOrder(len(trials))); !slices.Equal(log1.started, want) {
		t.Errorf("on one worker, trials started in the order %v; want theirs, %v", log1.started, want)
	}
}

func TestSharedRefusal(t *testing.T) {
	refused := func(msg string) error { return Invalid(fmt.Errorf("stage \"data\": %s", msg)) }
	trial := &Trial{}
	out := func(err error) TrialOutcome { return TrialOutcome{Trial: trial, Err: err} }
	bad := refused(`bad.csv:8: column "x": "oops" is not a number`)
	cases := []struct {
		name     string
		outcomes []TrialOutcome
		want     error
	}{
		{"no trials", nil, nil},
		{"one trial refused", []TrialOutcome{out(bad)}, bad},
		{"every trial refused the same way", []TrialOutcome{out(bad), out(refused(`bad.csv:8: column "x": "oops" is not a number`)), out(bad)}, bad},
		{"the same but for a cache key", []TrialOutcome{out(refused("entry 0123456789ab is torn")), out(refused("entry ba9876543210 is torn"))}, refused("entry 0123456789ab is torn")},
		{"one trial succeeded", []TrialOutcome{out(bad), out(nil)}, nil},
		{"one trial failed, not for its input", []TrialOutcome{out(bad), out(fmt.Errorf("disk full"))}, nil},
		{"two refusals", []TrialOutcome{out(bad), out(refused(`bad.csv:9: column "x": "nope" is not a number`))}, nil},
		{"one trial not started", []TrialOutcome{out(bad), {}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := SharedRefusal(c.outcomes)
			if (got == nil) != (c.want == nil) || got != nil && got.Error() != c.want.Error() {
				t.Errorf("SharedRefusal = %v, want %v", got, c.want)
			}
		})
	}
}

// TestATrialsMessagesNameTheTrial runs two trials whose stage logs a
// message: with the trials running at once, each message must say which
// trial it is of, and a run that is no trial's names none.
func TestATrialsMessagesNameTheTrial(t *testing.T) {
	spec := Spec{Kind: "src", Version: 1, NewParams: func() Params { return &sourceParams{} },
		Outputs: []Output{{Slot: "rows", Type: "rows", File: "rows.txt"}},
		Run: func(_ context.Context, _ Params, io *IO) error {
			io.Log.Info("stopped early", "stage", io.StageID)
			return os.WriteFile(io.Output("rows"), []byte(io.StageID), 0o644)
		}}
	var trials []*Trial
	for i, n := range []string{"1", "2"} {
		chain := compileWith(t, "name: t\nstages:\n  - {id: a, kind: src, with: {n: "+n+"}}\n", spec)
		trials = append(trials, &Trial{ID: fmt.Sprintf("trial%d", i), Chain: chain})
	}
	var log bytes.Buffer // slog's handler serializes the trials' writes
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test", Log: slog.New(slog.NewTextHandler(&log, nil))}
	defer eng.Close()
	for _, o := range RunTrials(context.Background(), eng, trials, 2, nil) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	for _, tr := range trials {
		if !strings.Contains(log.String(), "msg=\"stopped early\" trial="+tr.ID+" stage=a") {
			t.Errorf("no message names trial %s:\n%s", tr.ID, log.String())
		}
	}
	log.Reset()
	if _, err := (&Engine{Cache: cache.Open(t.TempDir()), Version: "test", Log: slog.New(slog.NewTextHandler(&log, nil))}).Run(context.Background(), trials[0].Chain); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "trial=") {
		t.Errorf("a run that is no trial's names one:\n%s", log.String())
	}
}
