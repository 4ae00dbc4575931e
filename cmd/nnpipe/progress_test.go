package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
)

// lastFrame returns the last frame the bar drew into out: what follows
// the last carriage return, without the padding.
func lastFrame(out string) string {
	frames := strings.Split(out, "\r")
	for i := len(frames) - 1; i >= 0; i-- {
		if f := strings.TrimSpace(frames[i]); f != "" {
			return f
		}
	}
	return ""
}

// TestSweepProgressShowsTheCurrentState checks that the sweep's bar, after
// each event, shows the counts as they are: the trials running, and a bar
// count equal to the trials done (it lagged one trial behind, since the
// description drew the bar before the count moved and the bar's own
// throttle then dropped the count's drawing).
func TestSweepProgressShowsTheCurrentState(t *testing.T) {
	var out bytes.Buffer
	p := newSweepBar(&out, 3, 0)
	steps := []struct {
		event func()
		want  []string
	}{
		{func() { p.Started(nil) }, []string{"0 done (0 cached, 0 failed), 1 running", "(0/3)"}},
		{func() { p.Started(nil) }, []string{"0 done (0 cached, 0 failed), 2 running", "(0/3)"}},
		{func() { p.Finished(pipeline.TrialOutcome{}) }, []string{"1 done (0 cached, 0 failed), 1 running", "(1/3)"}},
		{func() { p.Started(nil) }, []string{"1 done (0 cached, 0 failed), 2 running", "(1/3)"}},
		{func() { p.Finished(pipeline.TrialOutcome{Err: errors.New("diverged")}) }, []string{"2 done (0 cached, 1 failed), 1 running", "(2/3)"}},
	}
	for i, s := range steps {
		out.Reset()
		s.event()
		frame := lastFrame(out.String())
		for _, w := range s.want {
			if !strings.Contains(frame, w) {
				t.Errorf("after event %d the bar shows %q, want %q in it", i+1, frame, w)
			}
		}
	}
	p.finish()
}

// TestSweepProgressDrawsAThrottledChangeLater checks that a change made
// within the throttle of the last drawing is not lost: it is drawn when the
// throttle ends (flush, which the timer calls), and the last trial's end is
// drawn at once.
func TestSweepProgressDrawsAThrottledChangeLater(t *testing.T) {
	var out bytes.Buffer
	p := newSweepBar(&out, 2, 1<<40) // a throttle that never ends by itself
	p.Started(nil)                   // drawn: the first drawing
	p.Started(nil)                   // within the throttle: waits
	if frame := lastFrame(out.String()); !strings.Contains(frame, "1 running") {
		t.Fatalf("the first event drew %q, want 1 running", frame)
	}
	p.flush()
	if frame := lastFrame(out.String()); !strings.Contains(frame, "2 running") {
		t.Errorf("after the throttle the bar shows %q, want 2 running", frame)
	}
	p.Finished(pipeline.TrialOutcome{})
	p.Finished(pipeline.TrialOutcome{Cached: true}) // the last: drawn at once
	if p.later != nil {
		p.later.Stop()
	}
	p.finish()
	if p.later != nil {
		t.Error("finish left a drawing scheduled")
	}
}
