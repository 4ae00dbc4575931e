package main

import (
	"fmt"
	"io"
	"os"
	"sync"

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
// on a terminal.
type sweepProgress struct {
	mu                            sync.Mutex
	bar                           *progressbar.ProgressBar
	done, cached, failed, running int
}

func newSweepProgress(stderr io.Writer, quiet bool, total int) *sweepProgress {
	p := &sweepProgress{}
	if quiet || !isTerminal(stderr) {
		return p
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("trials"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// Started counts a trial running.
func (p *sweepProgress) Started(*pipeline.Trial) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	p.draw()
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
	p.draw() // the description first: Add redraws the bar with it
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

func (p *sweepProgress) draw() {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("trials: %d done (%d cached, %d failed), %d running", p.done, p.cached, p.failed, p.running))
	}
}

func (p *sweepProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
