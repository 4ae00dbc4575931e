package train

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

// orderLog is a slog.Handler that records each warning and whether the
// history file existed when it came, then calls onWarn.
type orderLog struct {
	mu       sync.Mutex
	history  string
	warnings []string
	before   []bool // per warning: the history file did not exist yet
	onWarn   func()
}

func (h *orderLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *orderLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *orderLog) WithGroup(string) slog.Handler            { return h }

func (h *orderLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	_, err := os.Stat(h.history)
	h.mu.Lock()
	h.warnings = append(h.warnings, b.String())
	h.before = append(h.before, errors.Is(err, os.ErrNotExist))
	h.mu.Unlock()
	if h.onWarn != nil {
		h.onWarn()
	}
	return nil
}

// TestALargeNetworkIsWarnedAboutBeforeAnyWorkOnIt runs the stage on a
// network of over 100,000 parameters: the warning, with the parameter
// count and the estimated times, must come before the stage starts on the
// network (its history file is made before the initial weights are
// evaluated, and a training step after that), so a huge network is
// announced at once. The test cancels the run at the warning.
func TestALargeNetworkIsWarnedAboutBeforeAnyWorkOnIt(t *testing.T) {
	dir := t.TempDir()
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, Classes: []string{"a", "b", "c"}}
	var s dataset.Split
	for i := range 12 {
		d.X = append(d.X, float64(i)/12, float64(i%5)/5)
		d.Labels = append(d.Labels, int32(i%3))
		if i%2 == 0 {
			s.Train = append(s.Train, i)
		} else {
			s.Test = append(s.Test, i)
		}
	}
	io := writeInputs(t, dir, d, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &orderLog{history: io.Output("history"), onWarn: cancel}
	io.Log = slog.New(h)
	p := NewParams()
	p.Hidden = 20_000 // P = 6M + 3 = 120,003 for D = 2, K = 3
	p.DefaultSeeds(1, "train")
	err := Spec().Run(ctx, p, io)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want it cancelled at the warning", err)
	}
	if len(h.warnings) == 0 {
		t.Fatal("no warning of a network of 120,003 parameters")
	}
	w := h.warnings[0]
	for _, want := range []string{"a large network", "params=120003", "evaluations_of_E_per_numerical_step=240006", "training_rows=6", "estimated_step=", "estimated_time="} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q does not say %q", w, want)
		}
	}
	if !h.before[0] {
		t.Errorf("the warning came after the history file was made: after work on the network began")
	}
}
