package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal; progress is drawn only there.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressFor returns the engine's progress factory: a bar on stderr when
// it is a terminal and not quiet, nothing otherwise.
func progressFor(stderr io.Writer, quiet bool) func(*pipeline.Step) pipeline.Progress {
	if quiet || !isTerminal(stderr) {
		return nil
	}
	return func(*pipeline.Step) pipeline.Progress { return &barProgress{w: stderr} }
}

// barProgress draws a pipeline.Progress with progressbar.
type barProgress struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (p *barProgress) Start(total int64, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *barProgress) Set(done int64, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Describe(detail)
		_ = p.bar.Set64(done)
	}
}

func (p *barProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// sweepProgress shows trials done, cached, failed and running, with an ETA,
// on a terminal. It draws at most every throttle; a change within that
// time is drawn when it ends, so that the last state shown is always the
// current one (the bar's own throttle drops a change for good).
type sweepProgress struct {
	mu                            sync.Mutex
	bar                           *progressbar.ProgressBar
	total                         int
	done, cached, failed, running int
	throttle                      time.Duration
	drawn                         time.Time   // when the bar was last drawn
	later                         *time.Timer // the draw of a change made within throttle of the last
	finished                      bool
}

// sweepThrottle is how often at most the sweep's bar is drawn.
const sweepThrottle = 100 * time.Millisecond

func newSweepProgress(stderr io.Writer, quiet bool, total int) *sweepProgress {
	if quiet || !isTerminal(stderr) {
		return &sweepProgress{}
	}
	return newSweepBar(stderr, total, sweepThrottle)
}

// newSweepBar returns a sweepProgress that draws on w.
func newSweepBar(w io.Writer, total int, throttle time.Duration) *sweepProgress {
	p := &sweepProgress{total: total, throttle: throttle}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("trials"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// Started counts a trial running.
func (p *sweepProgress) Started(*pipeline.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	p.changed()
}

// Finished counts a trial done.
func (p *sweepProgress) Finished(o pipeline.TrialOutcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	p.done++
	switch {
	case o.Err != nil:
		p.failed++
	case o.Cached:
		p.cached++
	}
	p.changed()
}

// changed draws the bar now, or when throttle has passed since it was last
// drawn. The last trial's end is drawn at once. p.mu is held.
func (p *sweepProgress) changed() {
	if p.bar == nil || p.finished || p.later != nil {
		return
	}
	if wait := p.throttle - time.Since(p.drawn); wait > 0 && p.done < p.total {
		p.later = time.AfterFunc(wait, p.flush)
		return
	}
	p.draw()
}

// flush draws the state now.
func (p *sweepProgress) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.later = nil
	if p.bar != nil && !p.finished {
		p.draw()
	}
}

// draw draws the count, then the description: each redraws the bar, and
// the second shows both new. p.mu is held.
func (p *sweepProgress) draw() {
	_ = p.bar.Set(p.done)
	p.bar.Describe(fmt.Sprintf("trials: %d done (%d cached, %d failed), %d running", p.done, p.cached, p.failed, p.running))
	p.drawn = time.Now()
}

func (p *sweepProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.later != nil {
		p.later.Stop()
		p.later = nil
	}
	if p.bar != nil && !p.finished {
		_ = p.bar.Finish()
	}
	p.finished = true
}
