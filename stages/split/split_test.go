package split

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/polltest"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// params returns the defaults with a fixed seed, changed by set.
func params(set func(p *Params)) *Params {
	p := NewParams()
	p.DefaultSeeds(1, "split")
	if set != nil {
		set(p)
	}
	return p
}

// labelled returns a dataset whose rows have the given class counts, the classes interleaved
// (0 1 2 0 1 2 …, a class dropping out when it runs out), one feature holding the row index.
func labelled(counts ...int) *dataset.Dataset {
	d := &dataset.Dataset{Features: []string{"x"}}
	for c := range counts {
		d.Classes = append(d.Classes, "class "+strconv.Itoa(c))
	}
	left := slices.Clone(counts)
	for more := true; more; {
		more = false
		for c := range left {
			if left[c] > 0 {
				d.Labels = append(d.Labels, int32(c))
				d.X = append(d.X, float64(len(d.X)))
				left[c]--
				more = true
			}
		}
	}
	return d
}

// classCounts counts each class among rows.
func classCounts(d *dataset.Dataset, rows []int) []int {
	n := make([]int, len(d.Classes))
	for _, r := range rows {
		n[d.Labels[r]]++
	}
	return n
}

// checkPartition fails unless s holds every row of an n-row dataset exactly once.
func checkPartition(t *testing.T, s dataset.Split, n int) {
	t.Helper()
	all := append(slices.Clone(s.Train), s.Test...)
	slices.Sort(all)
	for i, r := range all {
		if r != i {
			t.Fatalf("split rows = %v, want every row of %d exactly once", all, n)
		}
	}
	if len(all) != n {
		t.Fatalf("split has %d rows, want %d", len(all), n)
	}
}

func TestSplitByRatio(t *testing.T) {
	d := labelled(40, 40, 20)
	tests := []struct {
		name      string
		p         *Params
		wantTrain int
		inOrder   bool
	}{
		{"the first rows train, in data order (the book's way)", params(func(p *Params) { p.TrainRatio = 0.5 }), 50, true},
		{"a ratio rounds to the nearest row", params(func(p *Params) { p.TrainRatio = 0.333 }), 33, true},
		{"a shuffled split takes the ratio in a new order", params(func(p *Params) { p.TrainRatio = 0.7; p.Shuffle = true }), 70, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Split(context.Background(), d, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			checkPartition(t, s, d.Rows())
			if len(s.Train) != tt.wantTrain {
				t.Errorf("Split(context.Background(), %d rows, ratio %v) = %d training rows, want %d", d.Rows(), tt.p.TrainRatio, len(s.Train), tt.wantTrain)
			}
			if got := slices.IsSorted(s.Train) && s.Train[0] == 0; got != tt.inOrder {
				t.Errorf("Split(context.Background(), shuffle %v) training rows in data order from row 0 = %v, want %v", tt.p.Shuffle, got, tt.inOrder)
			}
		})
	}
}

func TestShuffleIsSeededAndDeterministic(t *testing.T) {
	d := labelled(50, 50)
	p := params(func(p *Params) { p.Shuffle = true })
	a, _ := Split(context.Background(), d, p)
	b, _ := Split(context.Background(), d, p)
	if !slices.Equal(a.Train, b.Train) || !slices.Equal(a.Test, b.Test) {
		t.Errorf("Split with one seed twice gave different parts")
	}
	other := params(func(p *Params) { p.Shuffle = true; *p.Seed = *p.Seed + 1 })
	c, _ := Split(context.Background(), d, other)
	if slices.Equal(a.Train, c.Train) {
		t.Errorf("Split with seeds %d and %d gave the same training rows", *p.Seed, *other.Seed)
	}
}

func TestStratifiedSplitKeepsClassProportionsInBothParts(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		ratio  float64
		// wantTrain is round(ratio × count) per class; the test part has the rest.
		wantTrain []int
	}{
		{"balanced classes at 0.7", []int{50, 50, 50}, 0.7, []int{35, 35, 35}},
		{"unbalanced classes at 0.5", []int{76, 82, 42}, 0.5, []int{38, 41, 21}},
		{"a small class at 0.8", []int{100, 10}, 0.8, []int{80, 8}},
	}
	for _, tt := range tests {
		for _, shuffled := range []bool{false, true} {
			t.Run(tt.name+" shuffled "+strconv.FormatBool(shuffled), func(t *testing.T) {
				d := labelled(tt.counts...)
				s, err := Split(context.Background(), d, params(func(p *Params) { p.TrainRatio, p.Stratify, p.Shuffle = tt.ratio, true, shuffled }))
				if err != nil {
					t.Fatal(err)
				}
				checkPartition(t, s, d.Rows())
				train, test := classCounts(d, s.Train), classCounts(d, s.Test)
				for c := range tt.counts {
					if train[c] != tt.wantTrain[c] || test[c] != tt.counts[c]-tt.wantTrain[c] {
						t.Errorf("class %d of %d rows: %d train and %d test, want %d and %d",
							c, tt.counts[c], train[c], test[c], tt.wantTrain[c], tt.counts[c]-tt.wantTrain[c])
					}
				}
			})
		}
	}
}

func TestSplitErrorsNameWhatIsWrong(t *testing.T) {
	tests := []struct {
		name string
		d    *dataset.Dataset
		p    *Params
		want []string // in the message
	}{
		{"a ratio that leaves no training row", labelled(1, 1), params(func(p *Params) { p.TrainRatio = 0.2 }), []string{"training part empty"}},
		{"a ratio that leaves no test row", labelled(2, 1), params(func(p *Params) { p.TrainRatio = 0.9 }), []string{"test part empty"}},
		{"a stratified class of one row", labelled(10, 1), params(func(p *Params) { p.Stratify = true }), []string{`class "class 1"`, "1 row"}},
		{"a stratified class too small for the ratio", labelled(10, 3), params(func(p *Params) { p.Stratify, p.TrainRatio = true, 0.9 }), []string{`class "class 1"`, "3 rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Split(context.Background(), tt.d, tt.p)
			if err == nil {
				t.Fatalf("Split = nil error, want one")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Split error = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

// withColumn returns labelled(counts) with an extra column "part" holding values in turn.
func withColumn(values ...string) *dataset.Dataset {
	d := labelled(len(values)/2, len(values)-len(values)/2)
	d.Extra = []dataset.Column{{Name: "part", Values: values}}
	return d
}

func TestSplitByColumn(t *testing.T) {
	tests := []struct {
		name            string
		values          []string
		wantTrain, want []int
	}{
		{"0 and 1", []string{"1", "1", "0", "1", "0"}, []int{0, 1, 3}, []int{2, 4}},
		{"train and test in any case around spaces", []string{" Train", "TEST ", "train", "test"}, []int{0, 2}, []int{1, 3}},
		{"true and false", []string{"true", "False"}, []int{0}, []int{1}},
		{"numbers equal to 1 and 0", []string{"1.0", "0.0", "1e0", "-0"}, []int{0, 2}, []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Split(context.Background(), withColumn(tt.values...), params(func(p *Params) { p.Column = "part" }))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Train, tt.wantTrain) || !slices.Equal(s.Test, tt.want) {
				t.Errorf("Split(context.Background(), column %q) = %v / %v, want %v / %v", tt.values, s.Train, s.Test, tt.wantTrain, tt.want)
			}
		})
	}
}

func TestSplitByColumnErrors(t *testing.T) {
	feature := labelled(2, 2)
	feature.Features = []string{"part"}
	tests := []struct {
		name string
		d    *dataset.Dataset
		want string
	}{
		{"a value that is neither, on row 2 counted from 0", withColumn("1", "0", "maybe"), `column "part": row 2: "maybe" is not`},
		{"1 in hexadecimal, which load would not read as a number", withColumn("1", "0", "0x1p0"), `row 2: "0x1p0" is not`},
		{"every row training", withColumn("1", "1", "true"), "the test part is empty"},
		{"every row test", withColumn("0", "test"), "the training part is empty"},
		{"a column the dataset does not carry", labelled(2, 2), "list it under the load stage's keep"},
		{"a column that is a feature", feature, "is a feature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Split(context.Background(), tt.d, params(func(p *Params) { p.Column = "part" }))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Split(context.Background(), column) = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    *Params
		keys []string
	}{
		{"the defaults", params(nil), nil},
		{"a column alone", params(func(p *Params) { p.Column = "train" }), nil},
		{"a ratio of 1", params(func(p *Params) { p.TrainRatio = 1 }), []string{"train_ratio"}},
		{"a column with shuffle and stratify", params(func(p *Params) { p.Column, p.Shuffle, p.Stratify = "train", true, true }), []string{"shuffle", "stratify"}},
		{"five folds, the last tested", params(func(p *Params) { p.Folds, p.Fold = 5, 4 }), nil},
		{"one fold", params(func(p *Params) { p.Folds = 1 }), []string{"folds"}},
		{"negative folds", params(func(p *Params) { p.Folds = -2 }), []string{"folds"}},
		{"fold equal to folds", params(func(p *Params) { p.Folds, p.Fold = 5, 5 }), []string{"fold"}},
		{"a negative fold", params(func(p *Params) { p.Folds, p.Fold = 5, -1 }), []string{"fold"}},
		{"a fold without folds", params(func(p *Params) { p.Fold = 2 }), []string{"fold"}},
		{"folds with a column", params(func(p *Params) { p.Folds, p.Column = 3, "train" }), []string{"folds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, e := range tt.p.Validate() {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("Validate(%+v) keys = %v, want %v", tt.p, keys, tt.keys)
			}
		})
	}
}

// TestRunWritesTheSplitAndMarksBadSplitsInvalid runs the stage twice on the same input
// (identical bytes) and once on a split that cannot be made (a pipeline.Invalid error, which
// makes the CLI exit 2, and no output file).
func TestRunWritesTheSplitAndMarksBadSplitsInvalid(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "dataset.parquet")
	if err := dataset.WriteFile(in, withColumn("1", "0", "1", "0"), nil); err != nil {
		t.Fatal(err)
	}
	run := func(name string, p *Params) (string, error) {
		out := filepath.Join(dir, name)
		io := pipeline.NewIO("split", map[string]string{"dataset": in}, map[string]string{"split": out})
		return out, Spec().Run(context.Background(), p, io)
	}
	var outputs [][]byte
	for i := range 2 {
		out, err := run("split"+strconv.Itoa(i)+".parquet", params(func(p *Params) { p.Column = "part" }))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, b)
		s, err := dataset.ReadSplit(out)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Train, []int{0, 2}) || !slices.Equal(s.Test, []int{1, 3}) {
			t.Errorf("split by column = %v / %v, want [0 2] / [1 3]", s.Train, s.Test)
		}
	}
	if string(outputs[0]) != string(outputs[1]) {
		t.Errorf("two runs wrote different bytes")
	}
	out, err := run("bad.parquet", params(func(p *Params) { p.TrainRatio = 0.1 }))
	if !pipeline.IsInvalid(err) {
		t.Errorf("Run(4 rows at train_ratio 0.1) = %v, want a pipeline.Invalid error", err)
	}
	if _, statErr := os.Stat(out); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a failed split left %s behind", out)
	}
}

// TestSplitStopsAtTheCancellation cancels each way of splitting at its second look at the
// context, a few hundred thousand rows in: it must return the cancellation at that look.
func TestSplitStopsAtTheCancellation(t *testing.T) {
	const n = 5 * checkEvery
	d := &dataset.Dataset{Features: []string{"x"}, X: make([]float64, n), Labels: make([]int32, n), Classes: []string{"a", "b"}}
	part := make([]string, n)
	for i := range n {
		d.Labels[i] = int32(i % 2)
		part[i] = strconv.Itoa(i % 2)
	}
	d.Extra = []dataset.Column{{Name: "part", Values: part}}
	for _, tt := range []struct {
		name string
		p    *Params
	}{
		{"shuffled", params(func(p *Params) { p.Shuffle = true })},
		{"stratified", params(func(p *Params) { p.Stratify = true })},
		{"by a column", params(func(p *Params) { p.Column = "part" })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := &polltest.Context{Context: context.Background(), CancelAt: 2}
			if _, err := Split(ctx, d, tt.p); !errors.Is(err, context.Canceled) || ctx.Polls != 2 {
				t.Errorf("Split cancelled at its second look = %v after %d looks, want context.Canceled after 2", err, ctx.Polls)
			}
		})
	}
}

func TestKFoldMakesEachRowATestRowOnce(t *testing.T) {
	d := labelled(13, 7, 5)
	n := len(d.Labels)
	for _, k := range []int{2, 3, 5} {
		for _, shuffle := range []bool{false, true} {
			for _, stratify := range []bool{false, true} {
				name := "k=" + strconv.Itoa(k) + " shuffle=" + strconv.FormatBool(shuffle) + " stratify=" + strconv.FormatBool(stratify)
				t.Run(name, func(t *testing.T) {
					tested := make([]int, n)
					var sizes []int
					perClass := make([][]int, len(d.Classes))
					for fold := range k {
						s, err := Split(context.Background(), d, params(func(p *Params) {
							p.Folds, p.Fold, p.Shuffle, p.Stratify = k, fold, shuffle, stratify
						}))
						if err != nil {
							t.Fatal(err)
						}
						checkPartition(t, s, n)
						for _, r := range s.Test {
							tested[r]++
						}
						sizes = append(sizes, len(s.Test))
						for c, m := range classCounts(d, s.Test) {
							perClass[c] = append(perClass[c], m)
						}
					}
					for r, c := range tested {
						if c != 1 {
							t.Errorf("row %d is a test row in %d folds, want 1", r, c)
						}
					}
					if slices.Max(sizes)-slices.Min(sizes) > 1 {
						t.Errorf("fold sizes %v differ by more than one", sizes)
					}
					if stratify {
						for c, counts := range perClass {
							if slices.Max(counts)-slices.Min(counts) > 1 {
								t.Errorf("class %d's rows per fold %v differ by more than one", c, counts)
							}
						}
					}
				})
			}
		}
	}
}

func TestKFoldInDataOrderIsScikitLearnsKFold(t *testing.T) {
	// Unshuffled, 10 rows in 3 folds: rows 0-3, 4-6, 7-9 (the first fold one larger).
	d := labelled(5, 5)
	for fold, want := range [][]int{{0, 1, 2, 3}, {4, 5, 6}, {7, 8, 9}} {
		s, err := Split(context.Background(), d, params(func(p *Params) { p.Folds, p.Fold = 3, fold }))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Test, want) || !slices.IsSorted(s.Train) {
			t.Errorf("fold %d: test %v, train %v; want test %v and the rest in order", fold, s.Test, s.Train, want)
		}
	}
}

func TestKFoldIsSeeded(t *testing.T) {
	d := labelled(20, 20)
	split := func(seed uint64) []int {
		s, err := Split(context.Background(), d, params(func(p *Params) { p.Folds, p.Fold, p.Shuffle, p.Seed = 4, 1, true, &seed }))
		if err != nil {
			t.Fatal(err)
		}
		return s.Test
	}
	if a, b, c := split(3), split(3), split(4); !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("seed 3 twice gave %v and %v, seed 4 %v: want the same, then other rows", a, b, c)
	}
}

func TestKFoldErrorsNameTheFolds(t *testing.T) {
	tests := []struct {
		name string
		d    *dataset.Dataset
		p    *Params
		want string
	}{
		{"more folds than rows", labelled(2, 2), params(func(p *Params) { p.Folds = 5 }), "folds: 5 is more than the 4 rows"},
		{"more folds than a class's rows, stratified", labelled(10, 3), params(func(p *Params) { p.Folds, p.Stratify = 4, true }),
			`folds: 4 is more than class "class 1"'s 3 rows`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Split(context.Background(), tt.d, tt.p); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Split = %v, want an error saying %s", err, tt.want)
			}
		})
	}
}

func TestFoldsStayOutOfTheKeyUntilUsed(t *testing.T) {
	p := params(nil)
	b, err := pipeline.ParamsJSON(p)
	if err != nil || strings.Contains(string(b), "fold") {
		t.Errorf("ParamsJSON(defaults) = %s, %v; want no folds", b, err)
	}
	p.Folds, p.Fold = 5, 2
	if b, _ := pipeline.ParamsJSON(p); !strings.Contains(string(b), `"fold":2,"folds":5`) {
		t.Errorf("ParamsJSON(5 folds, fold 2) = %s, want both", b)
	}
}

func TestUnusedKeysWithFolds(t *testing.T) {
	tests := []struct {
		p    *Params
		want string
	}{
		{params(nil), "seed rng fold"},
		{params(func(p *Params) { p.Shuffle = true }), "fold"},
		{params(func(p *Params) { p.Shuffle, p.Folds = true, 5 }), "train_ratio"},
		{params(func(p *Params) { p.Folds = 5 }), "seed rng train_ratio"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.p.UnusedKeys(), " "); got != tt.want {
			t.Errorf("UnusedKeys(%+v) = %s, want %s", tt.p, got, tt.want)
		}
	}
}

// TestAClassLeftOutOfTrainingIsWarnedAbout runs the stage on rows sorted by
// class: a split in data order that puts whole classes in the test part
// must say which ones and how to mix them; a split whose training part
// holds every class must say nothing.
func TestAClassLeftOutOfTrainingIsWarnedAbout(t *testing.T) {
	sorted := &dataset.Dataset{Features: []string{"x"}, Classes: []string{"setosa", "versicolor", "virginica"}}
	for c := range 3 {
		for range 10 {
			sorted.Labels = append(sorted.Labels, int32(c))
			sorted.X = append(sorted.X, float64(len(sorted.X)))
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "dataset.parquet")
	if err := dataset.WriteFile(in, sorted, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		set  func(p *Params)
		want []string // in the one warning; none wanted when empty
	}{
		{"data order, two classes out", func(p *Params) { p.TrainRatio = 0.3 }, []string{`classes "versicolor", "virginica"`, "shuffle: true"}},
		{"data order, one class out", func(p *Params) { p.TrainRatio = 0.5 }, []string{`class "virginica",`, "cannot learn to predict it", "stratify: true"}},
		{"data order, every class in", func(p *Params) { p.TrainRatio = 0.9 }, nil},
		{"stratified", func(p *Params) { p.TrainRatio = 0.3; p.Stratify = true }, nil},
		{"shuffled", func(p *Params) { p.TrainRatio = 0.5; p.Shuffle = true }, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log warnings
			io := pipeline.NewIO("split", map[string]string{"dataset": in}, map[string]string{"split": filepath.Join(dir, strconv.Itoa(i)+".parquet")})
			io.Log = slog.New(&log)
			if err := Spec().Run(context.Background(), params(c.set), io); err != nil {
				t.Fatal(err)
			}
			if len(c.want) == 0 {
				if len(log) != 0 {
					t.Errorf("warned %q, want nothing", log)
				}
				return
			}
			if len(log) != 1 {
				t.Fatalf("warned %q, want one warning", log)
			}
			got := log[0]
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("warning %q does not say %q", got, w)
				}
			}
		})
	}
}

// warnings is a slog.Handler that keeps the messages of warnings and worse.
type warnings []string

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	*w = append(*w, r.Message)
	return nil
}
