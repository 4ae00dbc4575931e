package standardize

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// table returns a dataset of the given rows (each a slice of feature values), two classes.
func table(rows ...[]float64) *dataset.Dataset {
	d := &dataset.Dataset{Classes: []string{"a", "b"}}
	for j := range rows[0] {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	for i, r := range rows {
		d.X = append(d.X, r...)
		d.Labels = append(d.Labels, int32(i%2))
	}
	return d
}

func TestFitUsesTheTrainingRowsOnly(t *testing.T) {
	// Rows 0–3 train; x0 there is 1 2 3 4: mean 2.5, population deviation sqrt(1.25).
	// x1 is constant (7) on the training rows. Rows 4 and 5 are test rows with wild values.
	d := table([]float64{1, 7}, []float64{2, 7}, []float64{3, 7}, []float64{4, 7}, []float64{1000, -50}, []float64{-1e6, 8})
	sc, err := Fit(context.Background(), d, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	// 1e-15: the mean and deviation of four small integers are computed to within an ulp or two.
	const tol = 1e-15
	if math.Abs(sc.Mean[0]-2.5) > tol || math.Abs(sc.Std[0]-math.Sqrt(1.25)) > tol || sc.Constant[0] {
		t.Errorf("Fit x0 = mean %v std %v constant %v, want 2.5, %v, false", sc.Mean[0], sc.Std[0], sc.Constant[0], math.Sqrt(1.25))
	}
	if sc.Mean[1] != 7 || sc.Std[1] != 1 || !sc.Constant[1] {
		t.Errorf("Fit x1 (constant 7) = mean %v std %v constant %v, want 7, 1, true", sc.Mean[1], sc.Std[1], sc.Constant[1])
	}

	// The test rows never leak in: changing them changes nothing fitted.
	other := table([]float64{1, 7}, []float64{2, 7}, []float64{3, 7}, []float64{4, 7}, []float64{0, 0}, []float64{5, 5})
	sc2, err := Fit(context.Background(), other, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sc.Mean, sc2.Mean) || !slices.Equal(sc.Std, sc2.Std) {
		t.Errorf("Fit depends on the test rows: %v %v, then %v %v", sc.Mean, sc.Std, sc2.Mean, sc2.Std)
	}

	sc.Apply(context.Background(), d.X)
	want := []float64{
		(1 - 2.5) / math.Sqrt(1.25), 0,
		(2 - 2.5) / math.Sqrt(1.25), 0,
		(3 - 2.5) / math.Sqrt(1.25), 0,
		(4 - 2.5) / math.Sqrt(1.25), 0,
		(1000 - 2.5) / math.Sqrt(1.25), -57, // the constant column is centred only
		(-1e6 - 2.5) / math.Sqrt(1.25), 1,
	}
	for i, w := range want {
		// Relative 1e-15: one division and one subtraction past the fitted values.
		if math.Abs(d.X[i]-w) > 1e-15*math.Max(1, math.Abs(w)) {
			t.Errorf("Apply: X[%d] = %v, want %v", i, d.X[i], w)
		}
	}
}

func TestStandardizedTrainingRowsHaveMeanZeroAndDeviationOne(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	n, dims := 1000, 3
	d := &dataset.Dataset{Features: []string{"a", "b", "c"}, Classes: []string{"0", "1"}, X: make([]float64, n*dims), Labels: make([]int32, n)}
	for i := range d.X {
		d.X[i] = 1e3 + 50*src.NormFloat64()*float64(i%dims+1)
	}
	train := make([]int, 0, n)
	for i := range n {
		if i%3 != 0 {
			train = append(train, i)
		}
	}
	sc, err := Fit(context.Background(), d, train)
	if err != nil {
		t.Fatal(err)
	}
	sc.Apply(context.Background(), d.X)
	for j := range dims {
		var sum, sq float64
		for _, r := range train {
			sum += d.X[r*dims+j]
		}
		mean := sum / float64(len(train))
		for _, r := range train {
			sq += (d.X[r*dims+j] - mean) * (d.X[r*dims+j] - mean)
		}
		std := math.Sqrt(sq / float64(len(train)))
		// 1e-12: sums of ~700 values of size ~1 after standardizing lose a few ulps each.
		if math.Abs(mean) > 1e-12 || math.Abs(std-1) > 1e-12 {
			t.Errorf("feature %d after standardizing: training mean %v std %v, want 0 and 1", j, mean, std)
		}
	}
}

func TestFitErrors(t *testing.T) {
	d := table([]float64{1}, []float64{2})
	if _, err := Fit(context.Background(), d, nil); !pipeline.IsInvalid(err) {
		t.Errorf("Fit(context.Background(), no training rows) = %v, want a pipeline.Invalid error", err)
	}
	if _, err := Fit(context.Background(), d, []int{0, 5}); err == nil {
		t.Errorf("Fit(context.Background(), row 5 of 2) = nil error, want one")
	}
	huge := table([]float64{-math.MaxFloat64}, []float64{math.MaxFloat64})
	if _, err := Fit(context.Background(), huge, []int{0, 1}); !pipeline.IsInvalid(err) {
		t.Errorf("Fit(context.Background(), ±MaxFloat64) = %v, want a pipeline.Invalid error", err)
	}
}

// TestRunRefusesAScoreBeyondFloat64 gives the stage test rows whose standard score overflows:
// each run must be a pipeline.Invalid error naming the feature and the row, with nothing
// written, rather than a failure to write a dataset holding ±Inf.
func TestRunRefusesAScoreBeyondFloat64(t *testing.T) {
	tests := []struct {
		name  string
		d     *dataset.Dataset
		split dataset.Split
		want  string
	}{
		{"a tiny deviation and a large test value", table([]float64{0}, []float64{1e-150}, []float64{0}, []float64{1e200}),
			dataset.Split{Train: []int{0, 1}, Test: []int{2, 3}}, `feature "x0": row 3: 1e+200`},
		{"a constant column and a test value of the opposite extreme", table([]float64{1, -math.MaxFloat64}, []float64{2, -math.MaxFloat64}, []float64{3, math.MaxFloat64}),
			dataset.Split{Train: []int{0, 1}, Test: []int{2}}, `feature "x1": row 2: 1.7976931348623157e+308`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, split, out := filepath.Join(dir, "in.parquet"), filepath.Join(dir, "split.parquet"), filepath.Join(dir, "out.parquet")
			if err := dataset.WriteFile(in, tt.d, nil); err != nil {
				t.Fatal(err)
			}
			if err := dataset.WriteSplit(split, tt.split); err != nil {
				t.Fatal(err)
			}
			io := pipeline.NewIO("scale", map[string]string{"dataset": in, "split": split}, map[string]string{"dataset": out})
			err := Spec().Run(context.Background(), &Params{}, io)
			if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want a pipeline.Invalid error saying %s", err, tt.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Run wrote %s (stat: %v)", out, err)
			}
		})
	}
}

// runStage runs the stage on d and s in dir and returns the output path.
func runStage(t *testing.T, dir string, d *dataset.Dataset, s dataset.Split, name string) string {
	t.Helper()
	return runStageOn(t, dir, d, nil, s, name)
}

// runStageOn is runStage with the input dataset's metadata meta.
func runStageOn(t *testing.T, dir string, d *dataset.Dataset, meta map[string]string, s dataset.Split, name string) string {
	t.Helper()
	in, split, out := filepath.Join(dir, "in.parquet"), filepath.Join(dir, "split.parquet"), filepath.Join(dir, name)
	if err := dataset.WriteFile(in, d, meta); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit(split, s); err != nil {
		t.Fatal(err)
	}
	io := pipeline.NewIO("scale", map[string]string{"dataset": in, "split": split}, map[string]string{"dataset": out})
	if err := Spec().Run(context.Background(), &Params{}, io); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunKeepsLabelsAndExtraColumnsAndRecordsTheScaling(t *testing.T) {
	d := table([]float64{1, 10}, []float64{3, 10}, []float64{5, 0})
	d.Extra = []dataset.Column{{Name: "train", Values: []string{"1", "1", "0"}}}
	dir := t.TempDir()
	out := runStage(t, dir, d, dataset.Split{Train: []int{0, 1}, Test: []int{2}}, "a.parquet")
	got, err := dataset.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{-1, 0, 1, 0, 3, -10}; !slices.Equal(got.X, want) {
		t.Errorf("standardized X = %v, want %v", got.X, want)
	}
	if !slices.Equal(got.Labels, d.Labels) || !slices.Equal(got.Classes, d.Classes) || !slices.Equal(got.Features, d.Features) {
		t.Errorf("standardize changed the labels, classes or feature names")
	}
	if v, ok := got.ExtraColumn("train"); !ok || !slices.Equal(v, []string{"1", "1", "0"}) {
		t.Errorf("standardize dropped the extra column: %v %v", v, ok)
	}
	lin, err := model.ReadLineage(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(lin.Preprocess) != 1 {
		t.Fatalf("recorded lineage = %+v, want one step", lin)
	}
	if st := lin.Preprocess[0]; st.Op != model.Standardize || !slices.Equal(st.Mean, []float64{2, 10}) || !slices.Equal(st.Std, []float64{1, 1}) {
		t.Errorf("recorded step = %+v, want standardize, mean [2 10] std [1 1]", st)
	}

	again := runStage(t, dir, d, dataset.Split{Train: []int{0, 1}, Test: []int{2}}, "b.parquet")
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Errorf("two runs on the same input wrote different bytes")
	}
}

// benchData returns n rows of 8 features and a split of 80% training rows.
func benchData(n int) (*dataset.Dataset, []int) {
	src := rand.New(rand.NewPCG(1, 2))
	const dims = 8
	d := &dataset.Dataset{Classes: []string{"a", "b", "c"}, X: make([]float64, n*dims), Labels: make([]int32, n)}
	for j := range dims {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	for i := range d.X {
		d.X[i] = 3 + 2*src.NormFloat64()
	}
	train := make([]int, 0, n)
	for i := range n {
		if i%5 != 0 {
			train = append(train, i)
		}
	}
	return d, train
}

func BenchmarkFitApply(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			d, train := benchData(n)
			x := slices.Clone(d.X)
			for b.Loop() {
				copy(d.X, x)
				sc, err := Fit(context.Background(), d, train)
				if err != nil {
					b.Fatal(err)
				}
				sc.Apply(context.Background(), d.X)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkRun is the whole stage: read the dataset and the split, fit, apply, write.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			d, train := benchData(n)
			dir := b.TempDir()
			in, split, out := filepath.Join(dir, "in.parquet"), filepath.Join(dir, "split.parquet"), filepath.Join(dir, "out.parquet")
			var test []int
			for i := 0; i < n; i += 5 {
				test = append(test, i)
			}
			if err := dataset.WriteFile(in, d, nil); err != nil {
				b.Fatal(err)
			}
			if err := dataset.WriteSplit(split, dataset.Split{Train: train, Test: test}); err != nil {
				b.Fatal(err)
			}
			io := pipeline.NewIO("scale", map[string]string{"dataset": in, "split": split}, map[string]string{"dataset": out})
			for b.Loop() {
				if err := Spec().Run(context.Background(), &Params{}, io); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestFitAndApplyStopAtTheCancellation cancels Fit and Apply at their second look at the
// context: each must return the cancellation at that look, Apply leaving the rows after it as
// they were.
func TestFitAndApplyStopAtTheCancellation(t *testing.T) {
	const n, dims = 3 * checkEvery, 3
	d := &dataset.Dataset{Features: []string{"a", "b", "c"}, X: make([]float64, n*dims), Labels: make([]int32, n), Classes: []string{"p", "q"}}
	train := make([]int, n)
	for i := range d.X {
		d.X[i] = float64(i % 101)
	}
	for i := range train {
		train[i] = i
	}
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 2}
	if _, err := Fit(ctx, d, train); !errors.Is(err, context.Canceled) || ctx.Polls != 2 {
		t.Errorf("Fit cancelled at its second look = %v after %d looks, want context.Canceled after 2", err, ctx.Polls)
	}
	sc, err := Fit(context.Background(), d, train)
	if err != nil {
		t.Fatal(err)
	}
	x := slices.Clone(d.X)
	ctx = &polltest.Context{Context: context.Background(), CancelAt: 2}
	if err := sc.Apply(ctx, x); !errors.Is(err, context.Canceled) || ctx.Polls != 2 {
		t.Errorf("Apply cancelled at its second look = %v after %d looks, want context.Canceled after 2", err, ctx.Polls)
	}
	if !slices.Equal(x[checkEvery*dims:], d.X[checkEvery*dims:]) || slices.Equal(x[:dims], d.X[:dims]) {
		t.Errorf("Apply cancelled after %d rows changed other rows than those", checkEvery)
	}
}

// TestRunAppendsItsStepToTheInputsLineage standardizes data that was loaded (its lineage
// names the user's label column) and already standardized once: the output keeps the label
// and both steps, in the order they were applied, which is the order the model file replays
// them in.
func TestRunAppendsItsStepToTheInputsLineage(t *testing.T) {
	d := table([]float64{1, 10}, []float64{3, 20}, []float64{5, 0})
	first := model.Step{Op: model.Standardize, Mean: []float64{7, 8}, Std: []float64{2, 4}}
	meta, err := model.Lineage{Label: "species", Preprocess: []model.Step{first}}.Meta()
	if err != nil {
		t.Fatal(err)
	}
	out := runStageOn(t, t.TempDir(), d, meta, dataset.Split{Train: []int{0, 1}, Test: []int{2}}, "out.parquet")
	lin, err := model.ReadLineage(out)
	if err != nil {
		t.Fatal(err)
	}
	if lin.Label != "species" || len(lin.Preprocess) != 2 || !slices.Equal(lin.Preprocess[0].Mean, first.Mean) {
		t.Fatalf("lineage = %+v, want label species, the input's step, then this stage's", lin)
	}
	if got := lin.Preprocess[1]; !slices.Equal(got.Mean, []float64{2, 15}) || !slices.Equal(got.Std, []float64{1, 5}) {
		t.Errorf("appended step = %+v, want mean [2 15] std [1 5]", got)
	}
}
