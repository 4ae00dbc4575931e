package dataset

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestReadTableColumnsReadsOnlyWhatItPicks: the columns picked, in the
// file's order, once each; indices out of range are ignored; picking none
// still gives the number of rows.
func TestReadTableColumnsReadsOnlyWhatItPicks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	fields := []Field{{Name: "step", Type: Int64}, {Name: "a", Type: Float64}, {Name: "s", Type: String}, {Name: "b", Type: Float64}}
	w, err := CreateTable(path, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append([]int64{0, 1, 2}, []float64{.5, .25, .125}, []string{"x", "y", "z"}, []float64{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var seen []Field
	var seenRows int64
	tbl, err := ReadTableColumns(path, func(f []Field, rows int64) []int {
		seen, seenRows = f, rows
		f[0].Name = "changed" // the caller's copy
		return []int{3, 0, 3, 7, -1}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen[1:], fields[1:]) || seenRows != 3 {
		t.Errorf("pick saw %v and %d rows, want every field and 3", seen, seenRows)
	}
	if !slices.Equal(tbl.Fields, []Field{fields[0], fields[3]}) || tbl.Rows != 3 ||
		!slices.Equal(tbl.Columns[0].([]int64), []int64{0, 1, 2}) || !slices.Equal(tbl.Columns[1].([]float64), []float64{1, 2, 3}) {
		t.Errorf("ReadTableColumns = %+v, want step and b", tbl)
	}
	none, err := ReadTableColumns(path, func([]Field, int64) []int { return nil })
	if err != nil || len(none.Fields) != 0 || len(none.Columns) != 0 || none.Rows != 3 {
		t.Errorf("picking no column = %+v, %v; want no column of 3 rows", none, err)
	}
}
