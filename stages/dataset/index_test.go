package dataset

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAnUnnamedIndexIsNotADefaultFeature loads tables with the row index a writer adds to the
// data: pandas writes an unnamed index as a column without a name into a CSV file, and as
// __index_level_0__ into a Parquet file (for any index but a plain range, as after rows were
// filtered out). Taken as a feature, the row numbers would be an input of the network, and
// of a data set sorted by class, a give-away of the label.
func TestAnUnnamedIndexIsNotADefaultFeature(t *testing.T) {
	dir := t.TempDir()
	index := func(name string, features ...string) string {
		path := filepath.Join(dir, name+".parquet")
		writeTable(t, path, []Field{{name, Int64}, {"x", Float64}, {"label", String}}, nil, RowGroupRows,
			[]any{[]int64{3, 7}, []float64{0.5, 0.25}, []string{"a", "b"}})
		return path
	}
	csv := func(name, text string) string {
		path := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	unnamed := validCraft()
	unnamed.columns[0].name = ""
	craftPath := filepath.Join(dir, "unnamed.parquet")
	if err := os.WriteFile(craftPath, unnamed.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		features []string // the options' features
		want     []string // the features loaded
	}{
		{"pandas' index in a Parquet file", index("__index_level_0__"), nil, []string{"x"}},
		{"pandas' second index level in a Parquet file", index("__index_level_1__"), nil, []string{"x"}},
		{"a Parquet column without a name", craftPath, nil, []string{"x1"}},
		{"pandas' index named as a feature", index("__index_level_0__"), []string{"__index_level_0__", "x"}, []string{"__index_level_0__", "x"}},
		{"a name only like pandas' index", index("__index_level_x__"), nil, []string{"__index_level_x__", "x"}},
		{"pandas' index in a CSV file", csv("index", "__index_level_0__,x,label\n3,0.5,a\n7,0.25,b\n"), nil, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(tt.path, LoadOptions{Label: "label", Features: tt.features})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Features, tt.want) {
				t.Errorf("Load(%s) features = %q, want %q", filepath.Base(tt.path), d.Features, tt.want)
			}
		})
	}
}
