package predictions

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// inputs writes a dataset of n rows and classes classes, a split and a model into dir, and
// returns the stage's IO, writing to out.
func inputs(t *testing.T, dir string, n, classes int, out string) *pipeline.IO {
	t.Helper()
	return inputsNamed(t, dir, n, classes, out, "x0", "x1")
}

// inputsNamed is inputs with the two feature columns named f0 and f1.
func inputsNamed(t *testing.T, dir string, n, classes int, out, f0, f1 string) *pipeline.IO {
	t.Helper()
	d := &dataset.Dataset{Features: []string{f0, f1}, X: make([]float64, 2*n), Labels: make([]int32, n)}
	for c := range classes {
		d.Classes = append(d.Classes, "c"+strconv.Itoa(c))
	}
	var s dataset.Split
	for i := range n {
		d.X[2*i], d.X[2*i+1] = float64(i%97)/97, float64(i%89)/89
		d.Labels[i] = int32(i % classes)
		if i%10 == 0 {
			s.Test = append(s.Test, i)
		} else {
			s.Train = append(s.Train, i)
		}
	}
	m := &model.Model{Format: model.Format, D: 2, M: 3, K: classes, Features: d.Features, Label: "label", Classes: d.Classes}
	m.Weights = make([]float64, m.Shape().NumParams())
	for i := range m.Weights {
		m.Weights[i] = math.Sin(float64(i))
	}
	paths := map[string]string{"dataset": filepath.Join(dir, "d.parquet"), "split": filepath.Join(dir, "s.parquet"), "model": filepath.Join(dir, "m.json")}
	if err := dataset.WriteFile(paths["dataset"], d, nil); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit(paths["split"], s); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(paths["model"]); err != nil {
		t.Fatal(err)
	}
	io := pipeline.NewIO("predictions", paths, map[string]string{"predictions": out})
	io.ConfigHash, io.Version = "abc", "test"
	return io
}

// TestRunWritesTheSameBytesWhateverTheBatch: batches are a matter of memory; the file is the
// same, also when many classes make the batches smaller than asked.
func TestRunWritesTheSameBytesWhateverTheBatch(t *testing.T) {
	for _, classes := range []int{3, dataset.MaxClasses} {
		dir := t.TempDir()
		var first []byte
		for _, batch := range []int{1, 7, 65536} {
			out := filepath.Join(dir, strconv.Itoa(batch)+".parquet")
			io := inputs(t, dir, 1000, classes, out)
			p := NewParams()
			p.BatchRows = batch
			if err := Spec().Run(context.Background(), p, io); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Errorf("%d classes, batch_rows %d: the file differs from batch_rows 1's", classes, batch)
			}
		}
	}
}

// TestRunStopsAtTheCancellationAndLeavesNoFile cancels at the stage's second look at its
// context, after the first batch of 100,000 rows of 1,000 classes: the stage must return the
// cancellation then and remove what it had written.
func TestRunStopsAtTheCancellationAndLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "predictions.parquet")
	io := inputs(t, dir, 100_000, dataset.MaxClasses, out)
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 2}
	if err := Spec().Run(ctx, NewParams(), io); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run cancelled = %v, want context.Canceled", err)
	}
	if ctx.Polls != 2 {
		t.Errorf("Run looked at its context %d times, want it to return at the look that saw the cancellation (2)", ctx.Polls)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled Run left %s", out)
	}
}

// TestRunLooksAtItsContextEveryFewRowsWithManyClasses: with 1,000 classes a batch is at most
// model.MaxBatchValues / 1,000 rows, so a full run looks at its context at least once per so many
// rows (a batch of the default 65,536 rows would take seconds and half a gigabyte).
func TestRunLooksAtItsContextEveryFewRowsWithManyClasses(t *testing.T) {
	dir := t.TempDir()
	const n = 4000
	io := inputs(t, dir, n, dataset.MaxClasses, filepath.Join(dir, "predictions.parquet"))
	ctx := &polltest.Context{Context: context.Background(), CancelAt: math.MaxInt}
	if err := Spec().Run(ctx, NewParams(), io); err != nil {
		t.Fatal(err)
	}
	if most := model.MaxBatchValues / dataset.MaxClasses; ctx.Polls < n/most {
		t.Errorf("Run looked at its context %d times for %d rows, want at least once per %d rows", ctx.Polls, n, most)
	}
}

// TestRunNamesThePredictedClass checks predicted_name beside predicted when the classes have
// names, as `nnpipe predict` writes it.
func TestRunNamesThePredictedClass(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "predictions.parquet")
	if err := Spec().Run(context.Background(), NewParams(), inputs(t, dir, 50, 3, out)); err != nil {
		t.Fatal(err)
	}
	tbl, err := dataset.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	pred, _ := tbl.Column("predicted")
	names, ok := tbl.Column("predicted_name")
	if !ok {
		t.Fatalf("no predicted_name column: %v", tbl.Fields)
	}
	for i, p := range pred.([]int32) {
		if want := "c" + strconv.Itoa(int(p)); names.([]string)[i] != want {
			t.Fatalf("row %d: predicted %d named %q, want %q", i, p, names.([]string)[i], want)
		}
	}
}

// TestRunRefusesFeaturesNamedLikeItsColumns: a feature column named like a column the stage
// writes (row, predicted, …) would make a table with two columns of one name: refused as
// invalid input naming it, with no file left.
// TestPrecheckRefusesFromTheDatasetAloneWhatRunWould: the check the
// engine makes once the dataset is made refuses the names Run refuses, and
// passes names that clash with no column (p_3 with three classes).
func TestPrecheckRefusesFromTheDatasetAloneWhatRunWould(t *testing.T) {
	for _, c := range []struct {
		name  string
		clash bool
	}{{"row", true}, {"split", true}, {"predicted", true}, {"p_2", true}, {"correct", true}, {"p_3", false}, {"y", false}, {"rows", false}} {
		dir := t.TempDir()
		io := inputsNamed(t, dir, 20, 3, filepath.Join(dir, "p.parquet"), "x", c.name)
		err := Spec().Precheck.Check(NewParams(), func(slot string) string {
			if slot != "dataset" {
				t.Errorf("Precheck asked for %q, which it does not name", slot)
			}
			return io.Input(slot)
		})
		switch {
		case c.clash && (!pipeline.IsInvalid(err) || !strings.Contains(err.Error(), strconv.Quote(c.name))):
			t.Errorf("a feature named %q: %v, want an invalid-input error naming it", c.name, err)
		case !c.clash && err != nil:
			t.Errorf("a feature named %q: %v, want nil", c.name, err)
		}
	}
}

func TestRunRefusesFeaturesNamedLikeItsColumns(t *testing.T) {
	for _, name := range []string{"row", "split", "predicted", "p_1", "correct"} {
		dir := t.TempDir()
		out := filepath.Join(dir, "p.parquet")
		io := inputsNamed(t, dir, 20, 3, out, "x", name)
		err := Spec().Run(context.Background(), NewParams(), io)
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("a feature named %q: %v, want an invalid-input error naming it", name, err)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("a feature named %q: %s was written", name, out)
		}
	}
}

// TestTheMetadataSaysWhenTheFeaturesAreStandardized: the predictions of a
// model that standardizes its input hold the standardized values, and say
// so in the file's metadata (model.StandardizedKey), so that predict
// refuses to score them again; those of a model that does not, do not.
func TestTheMetadataSaysWhenTheFeaturesAreStandardized(t *testing.T) {
	for _, standardized := range []bool{false, true} {
		dir := t.TempDir()
		io := inputs(t, dir, 30, 2, filepath.Join(dir, "p.parquet"))
		if standardized {
			m, _, err := model.Open(io.Input("model"))
			if err != nil {
				t.Fatal(err)
			}
			m.Preprocess = []model.Step{{Op: model.Standardize, Mean: []float64{0.5, 0.5}, Std: []float64{1, 2}}}
			if err := m.Write(io.Input("model")); err != nil {
				t.Fatal(err)
			}
		}
		if err := Spec().Run(context.Background(), NewParams(), io); err != nil {
			t.Fatal(err)
		}
		meta, err := dataset.ReadMeta(io.Output("predictions"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := meta[model.StandardizedKey], map[bool]string{true: "true"}[standardized]; got != want {
			t.Errorf("standardized %v: metadata %s = %q, want %q", standardized, model.StandardizedKey, got, want)
		}
	}
}
