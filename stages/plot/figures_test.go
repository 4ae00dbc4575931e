package plot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/pipeline/cputime"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/plot"
)

// bookInputs runs the book's chain up to training (steps steps) in dir and
// returns the plot stage's inputs: slot → file.
func bookInputs(tb testing.TB, dir string, steps int) map[string]string {
	tb.Helper()
	cfg := fmt.Sprintf(`
name: plot-inputs
seed: 1
stages:
  - {id: data, kind: generate, with: {dataset: gaussian_mixture, n: 200, rng: numpy, seed: 1}}
  - {id: split, kind: split, with: {train_ratio: 0.5}}
  - id: train
    kind: train
    with: {hidden: 2, learning_rate: 0.5, steps: %d, init: {std: 0.01, rng: numpy, seed: 1}}
`, steps)
	path := filepath.Join(dir, "inputs.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	f, err := config.Load(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	chain, err := pipeline.Compile(f, stages.Builtin())
	if err != nil {
		tb.Fatal(err)
	}
	e := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), Version: "test", Workers: 1}
	results, err := e.Run(context.Background(), chain)
	if err != nil {
		tb.Fatal(err)
	}
	in := map[string]string{}
	for _, r := range results {
		for slot, p := range r.Outputs {
			in[slot] = p
		}
	}
	return in
}

// draw runs the plot stage with the given inputs and number of workers into
// a new folder, and returns the folder and Run's error.
func draw(ctx context.Context, tb testing.TB, in map[string]string, workers int, params *plot.Params) (string, error) {
	tb.Helper()
	out := tb.TempDir()
	io := pipeline.NewIO("plots", in, map[string]string{"plots": out})
	io.Workers = workers
	return out, plot.Spec().Run(ctx, params, io)
}

// TestFiguresDoNotDependOnWorkers draws the three figures one at a time and
// all at once: the files must be the same bytes.
func TestFiguresDoNotDependOnWorkers(t *testing.T) {
	in := bookInputs(t, t.TempDir(), 30)
	params := plot.NewParams()
	params.Width, params.Height = 400, 300
	var dirs []string
	for _, workers := range []int{1, 2, 3} {
		dir, err := draw(context.Background(), t, in, workers, params)
		if err != nil {
			t.Fatalf("plot with %d workers = %v", workers, err)
		}
		dirs = append(dirs, dir)
	}
	for _, kind := range params.Plots {
		want, err := os.ReadFile(filepath.Join(dirs[0], kind+".png"))
		if err != nil {
			t.Fatal(err)
		}
		for i, dir := range dirs[1:] {
			if got, err := os.ReadFile(filepath.Join(dir, kind+".png")); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s.png with %d workers differs from one worker's (%v)", kind, i+2, err)
			}
		}
	}
}

// TestFirstFailureInOrder takes the history away: both history figures fail,
// and the error names the first one listed, whichever finished first, while
// the boundary figure, which does not read the history, is drawn.
func TestFirstFailureInOrder(t *testing.T) {
	in := bookInputs(t, t.TempDir(), 5)
	in["history"] = filepath.Join(t.TempDir(), "missing.parquet")
	for _, order := range [][]string{{plot.Weights, plot.LearningCurve, plot.Boundary}, {plot.LearningCurve, plot.Boundary, plot.Weights}} {
		params := plot.NewParams()
		params.Plots = order
		params.Width, params.Height = 200, 150
		dir, err := draw(context.Background(), t, in, 3, params)
		if err == nil {
			t.Fatalf("plot %v without a history succeeded", order)
		}
		if want := order[0] + ": read history: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("plot %v = %q, want it to start %q", order, err, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "boundary.png")); err != nil {
			t.Errorf("plot %v: boundary.png not drawn: %v", order, err)
		}
	}
}

// TestCancelledDrawsNothing: a stage whose context is cancelled before it
// starts a figure returns the context's error and draws none.
func TestCancelledDrawsNothing(t *testing.T) {
	in := bookInputs(t, t.TempDir(), 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir, err := draw(ctx, t, in, 2, plot.NewParams())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("plot with a cancelled context = %v, want %v", err, context.Canceled)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("plot with a cancelled context drew %d files", len(files))
	}
}

// BenchmarkBook is the plot stage at the book's size (1,000 steps, 200
// points, the default 800×600 figures and 100-cell grid), reading its
// inputs and writing its three files, with one worker and with two (the
// goal: ≤ 40 ms).
func BenchmarkBook(b *testing.B) {
	in := bookInputs(b, b.TempDir(), 1000)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			out := b.TempDir()
			io := pipeline.NewIO("plots", in, map[string]string{"plots": out})
			io.Workers = workers
			params := plot.NewParams()
			cpu0, _ := cputime.Process()
			for b.Loop() {
				if err := plot.Spec().Run(context.Background(), params, io); err != nil {
					b.Fatal(err)
				}
			}
			if cpu, ok := cputime.Process(); ok {
				b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
