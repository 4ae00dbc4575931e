package stages

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/split"
	"github.com/nnpipe/nnpipe/stages/standardize"
)

func rowsDataset(labels ...int32) *dataset.Dataset {
	d := &dataset.Dataset{Features: []string{"x"}, Classes: []string{"a", "b"}, Labels: labels}
	for i := range labels {
		d.X = append(d.X, float64(i*i))
	}
	return d
}

// TestASplitIsNeverReadWithTheRowsOfOtherData checks the run-time guard
// behind the compile-time wiring check: the split stage records the rows it
// divides, and the stages that pair a split with a dataset refuse other rows
// while accepting the same rows rescaled.
func TestASplitIsNeverReadWithTheRowsOfOtherData(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	mine := rowsDataset(0, 1, 0, 1, 0, 1)
	other := rowsDataset(1, 1, 0, 0, 1, 0) // as many rows, other labels
	longer := rowsDataset(0, 1, 0, 1, 0, 1, 0, 1)
	for name, d := range map[string]*dataset.Dataset{"mine": mine, "other": other, "longer": longer} {
		if err := dataset.WriteFile(path(name+".parquet"), d, nil); err != nil {
			t.Fatal(err)
		}
	}
	run := func(spec pipeline.Spec, p pipeline.Params, in, out map[string]string) error {
		return spec.Run(context.Background(), p, pipeline.NewIO(spec.Kind, in, out))
	}
	if err := run(split.Spec(), split.NewParams(), map[string]string{"dataset": path("mine.parquet")}, map[string]string{"split": path("split.parquet")}); err != nil {
		t.Fatal(err)
	}
	if s, err := dataset.ReadSplit(path("split.parquet")); err != nil || s.Of != dataset.RowsOf(mine) {
		t.Fatalf("the split stage recorded Of = %q (%v), want %q", s.Of, err, dataset.RowsOf(mine))
	}
	if err := run(standardize.Spec(), &standardize.Params{}, map[string]string{"dataset": path("mine.parquet"), "split": path("split.parquet")},
		map[string]string{"dataset": path("scaled.parquet")}); err != nil {
		t.Fatalf("standardize with its own split: %v", err)
	}
	cases := []struct {
		data string
		ok   bool
	}{
		{"mine.parquet", true},
		{"scaled.parquet", true}, // the same rows, rescaled
		{"other.parquet", false},
		{"longer.parquet", false},
	}
	for _, c := range cases {
		_, _, _, err := model.ReadSplit(path(c.data), path("split.parquet"))
		if (err == nil) != c.ok {
			t.Errorf("model.ReadSplit(%s, split of mine) = %v, want ok %v", c.data, err, c.ok)
		}
		err = run(standardize.Spec(), &standardize.Params{}, map[string]string{"dataset": path(c.data), "split": path("split.parquet")},
			map[string]string{"dataset": path("out.parquet")})
		if (err == nil) != c.ok {
			t.Errorf("standardize(%s, split of mine) = %v, want ok %v", c.data, err, c.ok)
		}
	}
	// A split that does not record its rows is read as before.
	if err := dataset.WriteSplit(path("bare.parquet"), dataset.Split{Train: []int{0, 1, 2}, Test: []int{3}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := model.ReadSplit(path("other.parquet"), path("bare.parquet")); err != nil {
		t.Errorf("model.ReadSplit with a split that records no rows = %v, want nil", err)
	}
}

// TestEverySplitInputIsTiedToItsDataset checks the slot declarations the
// wiring check relies on: every kind that reads a split says it must split
// the dataset it reads, every kind that outputs rows derived from its input
// says so, and models and histories say what they were made from and are
// read with it.
func TestEverySplitInputIsTiedToItsDataset(t *testing.T) {
	for _, spec := range Builtin().Specs() {
		for _, in := range spec.Inputs {
			if in.Type == "split" && in.SameRows != "dataset" {
				t.Errorf("kind %q: input %q of type split has SameRows %q, want \"dataset\"", spec.Kind, in.Slot, in.SameRows)
			}
		}
		_, readsData := spec.Input("dataset")
		_, readsSplit := spec.Input("split")
		for _, in := range spec.Inputs {
			if (in.Type == "model" || in.Type == "history") && readsData && readsSplit && !slices.Equal(in.MadeFrom, []string{"dataset", "split"}) {
				t.Errorf("kind %q: input %q of type %s with a dataset and a split has MadeFrom %q, want both", spec.Kind, in.Slot, in.Type, in.MadeFrom)
			}
		}
		for _, o := range spec.Outputs {
			if readsData && (o.Type == "split" || o.Type == "dataset") && o.RowsFrom != "dataset" {
				t.Errorf("kind %q: output %q derives from its dataset input but has RowsFrom %q", spec.Kind, o.Slot, o.RowsFrom)
			}
			if (o.Type == "model" || o.Type == "history") && !slices.Equal(o.From, []string{"dataset", "split"}) {
				t.Errorf("kind %q: output %q of type %s has From %q, want dataset and split", spec.Kind, o.Slot, o.Type, o.From)
			}
		}
	}
}
