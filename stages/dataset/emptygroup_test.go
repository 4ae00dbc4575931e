package dataset

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// writeGroups writes a Parquet file of a DOUBLE column x and a string column y the way
// arrow-go's writers do, one row group per entry of groups (an empty one included), with or
// without dictionary encoding. Row i has x = i and y = "a" or "b" by its parity.
func writeGroups(t testing.TB, groups []int, dict bool) []byte {
	t.Helper()
	y, err := schema.NewPrimitiveNodeLogical("y", parquet.Repetitions.Required, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required,
		schema.FieldList{schema.NewFloat64Node("x", parquet.Repetitions.Required, -1), y}, -1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := file.NewParquetWriter(&buf, root, file.WithWriterProps(parquet.NewWriterProperties(parquet.WithDictionaryDefault(dict))))
	row := 0
	for _, n := range groups {
		rg, err := w.AppendRowGroupChecked()
		if err != nil {
			t.Fatal(err)
		}
		xs, ys := make([]float64, n), make([]parquet.ByteArray, n)
		for i := range n {
			xs[i], ys[i] = float64(row), parquet.ByteArray("ab"[row%2:row%2+1])
			row++
		}
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cw.(*file.Float64ColumnChunkWriter).WriteBatch(xs, nil, nil); err != nil {
			t.Fatal(err)
		}
		if cw, err = rg.NextColumn(); err != nil {
			t.Fatal(err)
		}
		if _, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(ys, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := rg.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEmptyRowGroupsAreNotCorruption loads files with a row group of no rows, as a writer
// leaves when it flushes an empty batch: its column chunks hold no data page (arrow-go
// records the data page's offset as 0), which is no sign of a damaged file. An empty table is
// refused for having no rows, not called corrupt.
func TestEmptyRowGroupsAreNotCorruption(t *testing.T) {
	tests := []struct {
		name   string
		groups []int
		rows   int    // the rows loaded
		err    string // or the error
	}{
		{name: "an empty row group between two others", groups: []int{3, 0, 3}, rows: 6},
		{name: "an empty row group first", groups: []int{0, 4}, rows: 4},
		{name: "an empty row group last", groups: []int{4, 0}, rows: 4},
		{name: "a table of one empty row group", groups: []int{0}, err: "no rows"},
	}
	for _, tt := range tests {
		for _, dict := range []bool{true, false} {
			b := writeGroups(t, tt.groups, dict)
			d, err := loadParquet(context.Background(), "e.parquet", bytes.NewReader(b), int64(len(b)), LoadOptions{Label: "y"})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "corrupt") {
					t.Errorf("%s (dictionary %v): error %v, want one saying %q", tt.name, dict, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (dictionary %v): %v", tt.name, dict, err)
				continue
			}
			want := make([]float64, tt.rows)
			labels := make([]int32, tt.rows)
			for i := range want {
				want[i], labels[i] = float64(i), int32(i%2)
			}
			if !reflect.DeepEqual(d.X, want) || !reflect.DeepEqual(d.Labels, labels) {
				t.Errorf("%s (dictionary %v): loaded X %v labels %v, want %v %v", tt.name, dict, d.X, d.Labels, want, labels)
			}
		}
	}
}

// TestScanSkipsEmptyRowGroups streams the same files as TestEmptyRowGroupsAreNotCorruption
// through Scan, in batches smaller than a row group.
func TestScanSkipsEmptyRowGroups(t *testing.T) {
	for _, groups := range [][]int{{3, 0, 3}, {0, 4}, {4, 0}} {
		for _, dict := range []bool{true, false} {
			path := filepath.Join(t.TempDir(), "e.parquet")
			if err := os.WriteFile(path, writeGroups(t, groups, dict), 0o644); err != nil {
				t.Fatal(err)
			}
			var x []float64
			err := func() error {
				s, err := Scan(context.Background(), path, ScanOptions{Features: []string{"x"}, BatchRows: 2})
				if err != nil {
					return err
				}
				defer s.Close()
				for {
					b, err := s.Next(context.Background())
					if errors.Is(err, io.EOF) {
						return nil
					}
					if err != nil {
						return err
					}
					x = append(x, b.X...)
				}
			}()
			var want []float64
			total := 0
			for _, n := range groups {
				total += n
			}
			for i := range total {
				want = append(want, float64(i))
			}
			if err != nil || !slices.Equal(x, want) {
				t.Errorf("groups %v (dictionary %v): scanned %v, %v; want %v", groups, dict, x, err, want)
			}
		}
	}
}
