package comparison

import (
	"math"
	"slices"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

func TestCellsGiveEveryRowAndColumnInTheOrderOfTheSources(t *testing.T) {
	extra := &dataset.Table{Fields: []dataset.Field{{Name: "id", Type: dataset.String}, {Name: "gradient", Type: dataset.String}},
		Columns: []any{[]string{"z"}, []string{"backprop"}}, Rows: 1}
	c := New(testSchema, []Source{
		{Name: "one", Tables: []*dataset.Table{table([6]any{"a", "ok", 2, 0.5, 0.8, 1.0}, [6]any{"b", "failed", 4, 0.5, math.NaN(), 2.0})}},
		{Name: "two", Tables: []*dataset.Table{extra}},
	})
	want := []ColumnInfo{
		{Name: "id", Differs: true}, {Name: "status", Differs: true}, {Name: "hidden", Numeric: true, Differs: true},
		{Name: "lr", Numeric: true, Differs: true}, // the row of "two" has none
		{Name: "acc", Numeric: true, Measured: true, Differs: true}, {Name: "secs", Numeric: true, Measured: true, Differs: true},
		{Name: "gradient", Differs: true},
	}
	if got := c.Columns(); !slices.Equal(got, want) {
		t.Errorf("Columns() =\n%+v, want\n%+v", got, want)
	}
	if c.Len() != 3 || !slices.Equal(c.Sources(), []string{"one", "two"}) {
		t.Fatalf("Len() = %d, Sources() = %v; want 3 rows of [one two]", c.Len(), c.Sources())
	}
	type row struct {
		id, source, gradient string
		src                  int
		ok, lrSet            bool
	}
	var got []row
	for i := range c.Len() {
		got = append(got, row{c.Cell(i, "id").Text, c.Cell(i, ColSource).Text, c.Cell(i, "gradient").Text, c.RowSource(i), c.RowOK(i), c.Cell(i, "lr").Set})
	}
	wantRows := []row{{"a", "one", "", 0, true, true}, {"b", "one", "", 0, false, true}, {"z", "two", "backprop", 1, true, false}}
	if !slices.Equal(got, wantRows) {
		t.Errorf("rows %+v, want %+v", got, wantRows)
	}
	if x := c.Cell(0, "hidden"); !x.Num || x.F != 2 || x.Text != "2" {
		t.Errorf("Cell(0, hidden) = %+v, want the number 2", x)
	}
}

func TestKeysLeaveOutTheRowsEarlierOnesRepeat(t *testing.T) {
	extra := &dataset.Table{Fields: []dataset.Field{{Name: "id", Type: dataset.String}, {Name: "gradient", Type: dataset.String}},
		Columns: []any{[]string{"a"}, []string{"backprop"}}, Rows: 1}
	c := New(testSchema, []Source{
		{Name: "one", Tables: []*dataset.Table{table([6]any{"a", "ok", 2, 0.5, 0.8, 1.0}, [6]any{"b", "ok", 4, 0.5, 0.6, 2.0})},
			Keys: [][]string{{"ka", "kb"}}},
		{Name: "two", Tables: []*dataset.Table{table([6]any{"c", "ok", 2, 0.5, 0.7, 1.0}, [6]any{"a", "ok", 2, 0.5, 0.8, 1.0}, [6]any{"c", "ok", 2, 0.5, 0.7, 1.0}), extra},
			Keys: [][]string{{"kc", "ka", "kc"}, {"ka"}}},
		{Name: "three", Tables: []*dataset.Table{table([6]any{"b", "ok", 4, 0.5, 0.6, 2.0})}, Keys: [][]string{{"kb"}}},
	})
	type row struct {
		id  string
		src int
	}
	var got []row
	for i := range c.Len() {
		got = append(got, row{c.Cell(i, "id").Text, c.RowSource(i)})
	}
	if want := []row{{"a", 0}, {"b", 0}, {"c", 1}}; !slices.Equal(got, want) {
		t.Errorf("rows %+v, want %+v: each key once, from its first source", got, want)
	}
	if c.Has("gradient") {
		t.Errorf("a table whose rows all repeat earlier ones added its column gradient")
	}
	// Source two reached a (0.8) and c (0.7); three only b (0.6), shown from one.
	for _, w := range []struct {
		source int
		mean   float64
	}{{0, 0.7}, {1, 0.75}, {2, 0.6}} {
		// 1e-12: a sum of two decimal inputs.
		if m := c.BaselineMeans(w.source); len(m) != 1 || !near(m[0], w.mean, 1e-12) {
			t.Errorf("BaselineMeans(%d) = %v, want [%v]: every row the source reached", w.source, m, w.mean)
		}
	}
}
