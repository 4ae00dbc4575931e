package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// backdateTree sets the modification time of everything under path to
// ago before now.
func backdateTree(t *testing.T, path string, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	err := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGCDuringARunKeepsItsHitsAndItsBuildFolderHoweverOld(t *testing.T) {
	dir := t.TempDir()
	// The first run fills the cache: src, mid and out.
	warm := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(dir), Version: "test"}, reg: mustRegistry(t, 1)}
	first := warm.run(testConfig)
	if err := warm.eng.Close(); err != nil {
		t.Fatal(err)
	}

	// The second run takes src as a hit and computes mid, which blocks
	// until the test lets it go: a training that runs for hours.
	specs := testSpecs(1)
	started, release := make(chan string), make(chan struct{})
	scale := specs[1].Run
	specs[1].Run = func(ctx context.Context, p Params, io *IO) error {
		started <- filepath.Dir(io.Output("scaled"))
		<-release
		return scale(ctx, p, io)
	}
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	fx := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(dir), Version: "test"}, reg: reg}
	plan := fx.plan(testConfig, "mid.factor=3")
	type outcome struct {
		results []*StageResult
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := fx.eng.Run(context.Background(), plan)
		done <- outcome{r, err}
	}()
	building := <-started
	if err := os.WriteFile(filepath.Join(building, "partial"), []byte("hours of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	backdateTree(t, building, 3*time.Hour)

	for _, keep := range []time.Duration{time.Hour, 0} {
		gc := cache.Open(dir)
		res, err := gc.GC(cache.GCOptions{KeepRecent: keep})
		gc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Leases != 1 {
			t.Errorf("GC (keep %v) saw %d live leases, want the run's", keep, res.Leases)
		}
		if _, err := os.Stat(filepath.Join(building, "partial")); err != nil {
			t.Fatalf("GC (keep %v) removed the build folder of the running stage: %v", keep, err)
		}
		if _, err := cache.Open(dir).Get(first[0].Key); err != nil {
			t.Fatalf("GC (keep %v) removed src, which the running plan took as a hit: %v", keep, err)
		}
	}
	// Nothing protects the first run's mid and out: gc with no age limit
	// removed them.
	for _, r := range first[1:] {
		if _, err := cache.Open(dir).Get(r.Key); err == nil {
			t.Errorf("GC kept %s's entry, which no one uses", r.ID)
		}
	}

	close(release)
	o := <-done
	if o.err != nil {
		t.Fatalf("the run after GC: %v", o.err)
	}
	// What a run directory copies after the run is all still there.
	for _, r := range o.results {
		for slot, path := range r.Outputs {
			if _, err := os.ReadFile(path); err != nil {
				t.Errorf("stage %s output %s after GC: %v", r.ID, slot, err)
			}
		}
	}
	gc := cache.Open(dir)
	res, err := gc.GC(cache.GCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Leases != 1 || len(res.Removed) != 0 {
		t.Errorf("GC before Close: %d leases, removed %d entries; want 1 and none", res.Leases, len(res.Removed))
	}
	if err := fx.eng.Close(); err != nil {
		t.Fatal(err)
	}
	res, err = gc.GC(cache.GCOptions{})
	gc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Leases != 0 || len(res.Removed) != len(o.results) {
		t.Errorf("GC after Close: %d leases, removed %d entries; want 0 and the run's %d", res.Leases, len(res.Removed), len(o.results))
	}
}

func TestAnEngineUsedAfterCloseDoesNotHandOutEntriesGCRemoved(t *testing.T) {
	fx := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}, reg: mustRegistry(t, 1)}
	fx.run(testConfig)
	if err := fx.eng.Close(); err != nil {
		t.Fatal(err)
	}
	gc := cache.Open(fx.eng.Cache.Dir())
	if _, err := gc.GC(cache.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	gc.Close()
	again := fx.run(testConfig)
	for _, r := range again {
		if r.Cached {
			t.Errorf("stage %s is a hit after gc removed every entry", r.ID)
		}
		for slot, path := range r.Outputs {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("stage %s output %s: %v", r.ID, slot, err)
			}
		}
	}
	fx.eng.Close()
}

// TestAPanickingStageFailsLikeAnError: a stage whose Run panics (a bug)
// fails its run with a *PanicError naming the panic, and leaves what a
// failing stage leaves: no build folder with its partial output, no cache
// entry and no failure record, so that the next run computes it.
func TestAPanickingStageFailsLikeAnError(t *testing.T) {
	dir := t.TempDir()
	specs := testSpecs(1)
	specs[1].Run = func(_ context.Context, _ Params, io *IO) error {
		if err := os.WriteFile(io.Output("scaled"), []byte("half"), 0o644); err != nil {
			return err
		}
		panic(fmt.Sprintf("a bug at step %d", 7))
	}
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	fx := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(dir), Version: "test", RecordFailures: true}, reg: reg}
	results, err := fx.eng.Run(context.Background(), fx.plan(testConfig))
	var panicked *PanicError
	if !errors.As(err, &panicked) {
		t.Fatalf("Run = %v, want a *PanicError", err)
	}
	if want := `stage "mid": internal error`; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "panic: a bug at step 7") {
		t.Errorf("error = %q, want it to start %q and name the panic", err, want)
	}
	if !bytes.Contains(panicked.Stack, []byte("TestAPanickingStageFailsLikeAnError")) {
		t.Errorf("the stack does not name the panicking function:\n%s", panicked.Stack)
	}
	if len(results) != 1 || results[0].ID != "src" {
		t.Errorf("results = %v, want src's alone", results)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) == "scaled.txt" {
			t.Errorf("the panicking stage's partial output is left at %s", p)
		}
		return nil
	})
	if _, err := fx.eng.Run(context.Background(), fx.plan(testConfig)); !errors.As(err, &panicked) {
		t.Fatalf("the second run = %v, want the panic again (nothing of the first was kept)", err)
	}
	fx.eng.Close()

	// mid's key, from a run in another cache: it is the config's.
	other := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}, reg: mustRegistry(t, 1)}
	key := other.run(testConfig)[1].Key
	other.eng.Close()
	fixed := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(dir), Version: "test", RecordFailures: true}, reg: mustRegistry(t, 1)}
	defer fixed.eng.Close()
	if _, ok := fixed.eng.Cache.Failure(key); ok {
		t.Error("the panic was recorded as the key's failure")
	}
	if r := fixed.run(testConfig)[1]; r.Key != key || r.Cached {
		t.Errorf("after the panic, mid = key %s cached %v, want %s computed", r.Key, r.Cached, key)
	}
}

// carriedPanic is a panic a stage's library caught in a goroutine of its
// own and raised again in the stage's goroutine, as stages/nn's runner does.
type carriedPanic struct {
	value any
	stack []byte
}

func (p *carriedPanic) PanicStack() []byte { return p.stack }

// panicInAGoroutine is the work a stage does in a goroutine of its own, a
// bug in which panics.
func panicInAGoroutine() error { panic("a bug in a goroutine") }

// TestAPanicInAStagesGoroutineFailsTheStage: a panic in a goroutine a
// stage starts, returned through CatchPanic or carried to Run's goroutine
// and raised again, fails the stage like one in Run's goroutine, and the
// kept stack is the goroutine's.
func TestAPanicInAStagesGoroutineFailsTheStage(t *testing.T) {
	cases := map[string]func() error{
		"returned through CatchPanic": func() error {
			errc := make(chan error)
			go func() { errc <- CatchPanic(panicInAGoroutine) }()
			return <-errc
		},
		"carried and raised again": func() error {
			carried := make(chan *carriedPanic)
			go func() {
				defer func() { carried <- &carriedPanic{value: recover(), stack: debug.Stack()} }()
				panicInAGoroutine()
			}()
			panic(<-carried)
		},
	}
	for name, work := range cases {
		t.Run(name, func(t *testing.T) {
			specs := testSpecs(1)
			specs[1].Run = func(context.Context, Params, *IO) error { return work() }
			reg, err := NewRegistry(specs...)
			if err != nil {
				t.Fatal(err)
			}
			fx := &explainFixture{t: t, eng: &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}, reg: reg}
			defer fx.eng.Close()
			_, err = fx.eng.Run(context.Background(), fx.plan(testConfig))
			var panicked *PanicError
			if !errors.As(err, &panicked) {
				t.Fatalf("Run = %v, want a *PanicError", err)
			}
			if !bytes.Contains(panicked.Stack, []byte("panicInAGoroutine")) {
				t.Errorf("the stack is not the goroutine's:\n%s", panicked.Stack)
			}
		})
	}
}
