package train

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// stageInputs writes a data set of n rows of two overlapping classes (every
// fifth row a test row) and returns the stage's IO in dir.
func stageInputs(t *testing.T, dir string, n int) *pipeline.IO {
	t.Helper()
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, Classes: []string{"a", "b"}, X: make([]float64, 2*n), Labels: make([]int32, n)}
	var s dataset.Split
	for i := range n {
		c := int32(i % 2)
		d.X[2*i] = math.Sin(float64(i)) + float64(c)
		d.X[2*i+1] = math.Cos(float64(3*i)) - float64(c)
		d.Labels[i] = c
		if i%5 == 4 {
			s.Test = append(s.Test, i)
		} else {
			s.Train = append(s.Train, i)
		}
	}
	s.Of = dataset.RowsOf(d)
	return writeInputs(t, dir, d, s)
}

// writeInputs writes the data set d and the split s into dir and returns the stage's IO,
// its outputs in dir too.
func writeInputs(t *testing.T, dir string, d *dataset.Dataset, s dataset.Split) *pipeline.IO {
	t.Helper()
	in := map[string]string{"dataset": filepath.Join(dir, "d.parquet"), "split": filepath.Join(dir, "s.parquet")}
	if err := dataset.WriteFile(in["dataset"], d, nil); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit(in["split"], s); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"model": filepath.Join(dir, "model.json"), "history": filepath.Join(dir, "history.parquet")}
	return pipeline.NewIO("train", in, out)
}

func runStage(t *testing.T, p *Params, n int) (*pipeline.IO, error) {
	t.Helper()
	p.DefaultSeeds(1, "train")
	if errs := p.Validate(); len(errs) != 0 {
		t.Fatalf("Validate = %v", errs)
	}
	io := stageInputs(t, t.TempDir(), n)
	return io, Spec().Run(context.Background(), p, io)
}

func historyColumns(t *testing.T, path string) (*dataset.Table, []string) {
	t.Helper()
	h, err := dataset.ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range h.Fields {
		names = append(names, f.Name)
	}
	return h, names
}

func TestTheBooksTrainingWritesTheBooksFiles(t *testing.T) {
	// Without the new parameters, model.json and history.parquet have the columns and
	// fields they had before them (and so, unchanged keys, the same bytes).
	p := NewParams()
	p.Steps = 20
	io, err := runStage(t, p, 50)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(io.Output("model"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"l2"`, `"best_step"`} {
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("model.json has %s without the options that set it", key)
		}
	}
	h, names := historyColumns(t, io.Output("history"))
	if want := "step train_ce test_ce w_0_0"; !strings.HasPrefix(strings.Join(names, " "), want) || h.Rows != 21 {
		t.Errorf("history columns %v, %d rows; want %s… and 21 rows", names, h.Rows, want)
	}
}

func TestMiniBatchesRecordTheirEpochs(t *testing.T) {
	// 40 training rows in batches of 16: 3 updates an epoch.
	p := NewParams()
	p.Gradient, p.Optimizer, p.LearningRate, p.BatchSize, p.Steps, p.L2 = "backprop", "adam", 0.01, 16, 10, 1e-3
	io, err := runStage(t, p, 50)
	if err != nil {
		t.Fatal(err)
	}
	h, names := historyColumns(t, io.Output("history"))
	if want := "step epoch train_ce test_ce w_0_0"; !strings.HasPrefix(strings.Join(names, " "), want) {
		t.Fatalf("history columns %v, want %s…", names, want)
	}
	if got := h.Meta[model.HistoryStepsPerEpoch]; got != "3" {
		t.Errorf("history metadata %s = %q, want 3", model.HistoryStepsPerEpoch, got)
	}
	epochs, _ := h.Column("epoch")
	if got, want := epochs.([]int64), []int64{0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("epochs %v, want %v", got, want)
	}
	m, err := model.Read(io.Output("model"))
	if err != nil {
		t.Fatal(err)
	}
	if m.L2 != 1e-3 || m.Steps != 10 || m.BestStep != 0 {
		t.Errorf("model l2 %v, steps %d, best step %d; want 0.001, 10, 0", m.L2, m.Steps, m.BestStep)
	}
}

// earlyStopped trains Adam on 100 rows with early stopping on monitor (a
// quarter of the training rows held out, patience 3, at most stepsCap steps)
// and returns the model and its history, whose first columns must be
// columns.
func earlyStopped(t *testing.T, monitor, columns string) (*model.Model, *dataset.Table) {
	t.Helper()
	p := NewParams()
	p.Gradient, p.Optimizer, p.LearningRate, p.BatchSize, p.Steps, p.Hidden = "backprop", "adam", 0.3, 8, stepsCap, 12
	p.EarlyStopping = &EarlyStopping{Monitor: monitor, ValidationFraction: 0.25, Patience: 3}
	io, err := runStage(t, p, 100)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Read(io.Output("model"))
	if err != nil {
		t.Fatal(err)
	}
	h, names := historyColumns(t, io.Output("history"))
	if !strings.HasPrefix(strings.Join(names, " "), columns) {
		t.Fatalf("history columns %v, want %s…", names, columns)
	}
	return m, h
}

// stepsCap is earlyStopped's step limit, which early stopping cuts short.
const stepsCap = 100_000

func TestEarlyStoppingRecordsWhereItStopped(t *testing.T) {
	m, h := earlyStopped(t, "cross_entropy", "step epoch train_ce test_ce val_ce w_0_0")
	// 80 training rows, 20 held out: 60 in batches of 8, 8 updates an epoch.
	if m.Steps >= stepsCap || m.Steps%8 != 0 || m.BestStep <= 0 || m.BestStep > m.Steps-3*8 {
		t.Fatalf("model steps %d, best step %d: want a stop at an epoch's end, 3 epochs after the best", m.Steps, m.BestStep)
	}
	steps, _ := h.Column("step")
	val, _ := h.Column("val_ce")
	s, v := steps.([]int64), val.([]float64)
	if last := s[len(s)-1]; last != int64(m.Steps) {
		t.Errorf("history ends at step %d, the model stopped at %d", last, m.Steps)
	}
	best := math.Inf(1)
	bestStep := int64(0)
	for i := range s {
		checked := s[i] > 0 && s[i]%8 == 0
		if checked == math.IsNaN(v[i]) && s[i] > 0 {
			t.Errorf("step %d: val_ce %v; want a value at each epoch's end only", s[i], v[i])
		}
		if s[i] > 0 && v[i] < best {
			best, bestStep = v[i], s[i]
		}
	}
	if bestStep != int64(m.BestStep) {
		t.Errorf("the lowest val_ce in the history is at step %d, the model's best step is %d", bestStep, m.BestStep)
	}
}

func TestEarlyStoppingOnAccuracyRecordsIt(t *testing.T) {
	m, h := earlyStopped(t, "accuracy", "step epoch train_ce test_ce val_ce val_accuracy w_0_0")
	steps, _ := h.Column("step")
	acc, _ := h.Column("val_accuracy")
	s, a := steps.([]int64), acc.([]float64)
	best, bestStep := -1.0, int64(0)
	for i := range s {
		if s[i] > 0 && a[i] > best { // the first of the highest
			best, bestStep = a[i], s[i]
		}
	}
	if m.Steps >= stepsCap || bestStep != int64(m.BestStep) {
		t.Errorf("stopped at %d, best step %d; the history's first highest val_accuracy is at %d", m.Steps, m.BestStep, bestStep)
	}
}

func TestTrainRunIsDeterministic(t *testing.T) {
	p := NewParams()
	p.Optimizer, p.BatchSize, p.Steps, p.L2, p.Schedule = "nesterov", 5, 30, 0.01, "invscaling"
	p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.2, Patience: 2}
	var outs [][]byte
	for range 2 {
		q := *p
		io, err := runStage(t, &q, 60)
		if err != nil {
			t.Fatal(err)
		}
		for _, slot := range []string{"model", "history"} {
			b, err := os.ReadFile(io.Output(slot))
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b)
		}
	}
	if !bytes.Equal(outs[0], outs[2]) || !bytes.Equal(outs[1], outs[3]) {
		t.Error("two runs of the same parameters wrote different files")
	}
}

func TestDataThatDoesNotFitTheOptionsIsInvalidInput(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Params)
		want   string
	}{
		// 16 training rows (of 20), 8 of each class.
		{"a batch larger than the training rows", func(p *Params) { p.BatchSize = 17 }, "batch_size: 17 is more than the 16 training rows"},
		{"a batch larger than what early stopping leaves", func(p *Params) {
			p.BatchSize = 16
			p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.25, Patience: 1}
		}, "batch_size: 16 is more than the 12 training rows (16 less the 4 early_stopping holds out)"},
		{"a validation part without a class", func(p *Params) {
			p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.05, Patience: 1}
		},
			`early_stopping.validation_fraction: 0.05 of class "a"'s 8 training rows leaves the validation part without that class`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewParams()
			p.Steps = 3
			c.change(p)
			io, err := runStage(t, p, 20)
			if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run = %v, want invalid input saying %s", err, c.want)
			}
			for _, slot := range []string{"model", "history"} {
				if _, err := os.Stat(io.Output(slot)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a refused run wrote %s", slot)
				}
			}
		})
	}
}

func TestHistoryStaysWithinAMillionRows(t *testing.T) {
	for _, c := range []struct{ steps, every, epochs int }{
		{1000, 1, 0}, {MaxSteps, 1, 0}, {MaxSteps, 7, 0},
		{MaxSteps, 1, MaxSteps}, {MaxSteps, 1, MaxSteps / 3}, {2_000_000, 1, 2_000_000}, {1000, 1, 1000}, {999_999, 1, 10},
	} {
		recordEvery, checkEvery := historyPlan(c.steps, c.every, c.epochs)
		rows := c.steps/recordEvery + 2
		if c.epochs > 0 {
			rows += (c.epochs + checkEvery - 1) / checkEvery
		}
		if rows > MaxHistoryRows+2 || recordEvery < c.every || checkEvery < 1 {
			t.Errorf("historyPlan(%d steps, every %d, %d epochs) = %d, %d: %d rows", c.steps, c.every, c.epochs, recordEvery, checkEvery, rows)
		}
		if c.steps <= MaxHistoryRows/2 && (recordEvery != c.every || checkEvery != 1) {
			t.Errorf("historyPlan(%d steps) = %d, %d; a short run records as asked", c.steps, recordEvery, checkEvery)
		}
	}
}

// TestADivergenceOnHugeFeaturesPointsAtTheirScale trains on data whose
// second column holds values of 1e300 in some rows, with a learning rate
// that sends the weights past what the network's sums survive: the
// divergence's message names that column and its size and suggests
// scaling the features, beside the smaller learning rate; on data of
// ordinary size it suggests only the learning rate. (At an ordinary
// learning rate such data trains: the saturated units' numerical gradient
// is finite.)
func TestADivergenceOnHugeFeaturesPointsAtTheirScale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scale float64
		lr    float64
		want  string
	}{
		{"huge features", 1e300, 1e10, `try a smaller learning_rate, or scale the features (the standardize stage): column "x1" reaches 1e+300`},
		{"a learning rate too large", 1, 1e300, "try a smaller learning_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 40
			d := &dataset.Dataset{Features: []string{"x0", "x1"}, Classes: []string{"a", "b"}, X: make([]float64, 2*n), Labels: make([]int32, n)}
			var s dataset.Split
			for i := range n {
				d.X[2*i], d.X[2*i+1], d.Labels[i] = math.Sin(float64(i)), math.Cos(float64(i)), int32(i%2)
				if i%3 == 0 {
					d.X[2*i+1] *= tc.scale
				}
				if i%5 == 4 {
					s.Test = append(s.Test, i)
				} else {
					s.Train = append(s.Train, i)
				}
			}
			s.Of = dataset.RowsOf(d)
			p := NewParams()
			p.Steps, p.LearningRate = 20, tc.lr
			p.DefaultSeeds(1, "train")
			err := Spec().Run(context.Background(), p, writeInputs(t, t.TempDir(), d, s))
			if de := (*pipeline.DivergedError)(nil); !errors.As(err, &de) {
				t.Fatalf("Run = %v, want a divergence", err)
			}
			if msg := err.Error(); !strings.HasSuffix(msg, tc.want) {
				t.Errorf("the divergence says %q, want it to end %q", msg, tc.want)
			}
		})
	}
}

// TestZeroGradientCauseNamesWhatMadeIt: epsilon is named only for a
// numerical gradient whose ε vanishes beside every weight; otherwise the
// gradient is zero at a stationary point, and a start with init.std 0 is
// named as its likely cause.
func TestZeroGradientCauseNamesWhatMadeIt(t *testing.T) {
	huge := []float64{1e20, -1e20, 3e19}
	small := []float64{0, 0.5, -0.25}
	for _, c := range []struct {
		name    string
		wv      []float64
		m       nn.Method
		eps     float64
		std     float64
		want    string
		notWant string
	}{
		{"numerical, ε vanishing", huge, nn.Numerical, 1e-3, 0.01, "epsilon 0.001 is too small", "stationary"},
		{"numerical, ε fine, init.std 0", small, nn.Numerical, 1e-3, 0, "with init.std 0 every hidden unit", "epsilon"},
		{"backprop, init.std 0", small, nn.Backprop, 1e-3, 0, "with init.std 0 every hidden unit", "epsilon"},
		{"backprop, weights huge", huge, nn.Backprop, 1e-3, 0.01, "stationary point", "epsilon"},
	} {
		got := zeroGradientCause(c.wv, c.m, c.eps, c.std)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.notWant) {
			t.Errorf("%s: %q, want it to say %q and not %q", c.name, got, c.want, c.notWant)
		}
	}
}
