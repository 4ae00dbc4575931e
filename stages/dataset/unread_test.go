package dataset

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// oneRowGroup writes a Parquet file of one row group: a DOUBLE column x (1, 2), the column
// node extra with the two values write writes, and a string label y (a, b).
func oneRowGroup(t *testing.T, extra schema.Node, write func(cw file.ColumnChunkWriter) error) []byte {
	t.Helper()
	y, err := schema.NewPrimitiveNodeLogical("y", parquet.Repetitions.Required, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required,
		schema.FieldList{schema.NewFloat64Node("x", parquet.Repetitions.Required, -1), extra, y}, -1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := file.NewParquetWriter(&buf, root)
	rg, err := w.AppendRowGroupChecked()
	if err != nil {
		t.Fatal(err)
	}
	for i, write := range []func(cw file.ColumnChunkWriter) error{
		func(cw file.ColumnChunkWriter) error {
			_, err := cw.(*file.Float64ColumnChunkWriter).WriteBatch([]float64{1, 2}, nil, nil)
			return err
		},
		write,
		func(cw file.ColumnChunkWriter) error {
			_, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("a"), parquet.ByteArray("b")}, nil, nil)
			return err
		},
	} {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		if err := write(cw); err != nil {
			t.Fatalf("column %d: %v", i, err)
		}
	}
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unreadCase is a Parquet column of numbers of a type no feature can have, named price, and
// how to write its two values.
type unreadCase struct {
	name  string
	node  schema.Node
	write func(cw file.ColumnChunkWriter) error
}

// unreadCases are the columns of numbers nnpipe does not read as features: a DECIMAL (as SQL
// databases and pandas write prices), a FLOAT16, an unsigned 64-bit integer.
func unreadCases(t *testing.T) []unreadCase {
	node := func(name string, lt schema.LogicalType, typ parquet.Type, length int) schema.Node {
		n, err := schema.NewPrimitiveNodeLogical(name, parquet.Repetitions.Required, lt, typ, length, -1)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ints32 := func(cw file.ColumnChunkWriter) error {
		_, err := cw.(*file.Int32ColumnChunkWriter).WriteBatch([]int32{150, 275}, nil, nil)
		return err
	}
	ints64 := func(cw file.ColumnChunkWriter) error {
		_, err := cw.(*file.Int64ColumnChunkWriter).WriteBatch([]int64{150, -1}, nil, nil)
		return err
	}
	fixed := func(cw file.ColumnChunkWriter) error {
		_, err := cw.(*file.FixedLenByteArrayColumnChunkWriter).WriteBatch([]parquet.FixedLenByteArray{{0, 60}, {0, 61}}, nil, nil)
		return err
	}
	return []unreadCase{
		{"a DECIMAL in INT32", node("price", schema.NewDecimalLogicalType(9, 2), parquet.Types.Int32, -1), ints32},
		{"a DECIMAL in INT64", node("price", schema.NewDecimalLogicalType(18, 2), parquet.Types.Int64, -1), ints64},
		{"a DECIMAL in FIXED_LEN_BYTE_ARRAY", node("price", schema.NewDecimalLogicalType(4, 2), parquet.Types.FixedLenByteArray, 2), fixed},
		{"a FLOAT16", node("price", schema.Float16LogicalType{}, parquet.Types.FixedLenByteArray, 2), fixed},
		{"an unsigned 64-bit integer", node("price", schema.NewIntLogicalType(64, false), parquet.Types.Int64, -1), ints64},
	}
}

// TestNumbersNnpipeDoesNotReadAreNotSilentlyLeftOut loads, with the features taken by
// default, Parquet files with a column of numbers of a type no feature can have: a DECIMAL
// (as SQL databases and pandas write prices), a FLOAT16, an unsigned 64-bit integer. In a
// CSV file the same numbers would be a feature; leaving the column out would train on less
// than the table without a word, so the load is refused, naming the column. Named features
// without it load.
func TestNumbersNnpipeDoesNotReadAreNotSilentlyLeftOut(t *testing.T) {
	tests := unreadCases(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := oneRowGroup(t, tt.node, tt.write)
			load := func(opt LoadOptions) (*Dataset, error) {
				return loadParquet(context.Background(), "p.parquet", bytes.NewReader(b), int64(len(b)), opt)
			}
			d, err := load(LoadOptions{Label: "y"})
			if err == nil {
				t.Fatalf("load with the default features = features %v, want an error naming column price", d.Features)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, `p.parquet: column "price": holds numbers of type`) || !strings.Contains(msg, "list the features") {
				t.Errorf("load with the default features: %v, want an error naming column price and the way out", err)
			}
			if d, err := load(LoadOptions{Label: "y", Features: []string{"x"}}); err != nil || len(d.Features) != 1 {
				t.Errorf("load with features [x] = %v, %v; want x alone", d, err)
			}
		})
	}
}

// TestNumbersNnpipeDoesNotReadAreNamedSoWhenListed loads, and scans as predict does, the same
// files with the column listed as a feature: the refusal says the column holds numbers of a
// type nnpipe does not read, and what to store them as. It used to say "want DOUBLE, FLOAT or
// integers", which for a column of unsigned 64-bit integers named integers as the way out.
func TestNumbersNnpipeDoesNotReadAreNamedSoWhenListed(t *testing.T) {
	for _, tt := range unreadCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			b := oneRowGroup(t, tt.node, tt.write)
			path := filepath.Join(t.TempDir(), "p.parquet")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%s: column %q: holds numbers of type ", path, "price")
			_, err := Load(path, LoadOptions{Label: "y", Features: []string{"x", "price"}})
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "store them as DOUBLE") {
				t.Errorf("load with features [x price]: %v, want %q… store them as DOUBLE", err, want)
			}
			s, err := Scan(context.Background(), path, ScanOptions{Features: []string{"x", "price"}, Label: "y"})
			if err == nil {
				s.Close()
			}
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "store them as DOUBLE") {
				t.Errorf("scan with features [x price]: %v, want %q… store them as DOUBLE", err, want)
			}
		})
	}
}

// TestAnEnumLabelIsText loads a Parquet file whose label is a BYTE_ARRAY annotated ENUM, as
// Avro's enums are written: UTF-8 text, as a STRING is, and so a label or a kept column.
func TestAnEnumLabelIsText(t *testing.T) {
	enum, err := schema.NewPrimitiveNodeLogical("kind", parquet.Repetitions.Required, schema.EnumLogicalType{}, parquet.Types.ByteArray, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	b := oneRowGroup(t, enum, func(cw file.ColumnChunkWriter) error {
		_, err := cw.(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("RED"), parquet.ByteArray("BLUE")}, nil, nil)
		return err
	})
	load := func(opt LoadOptions) (*Dataset, error) {
		return loadParquet(context.Background(), "e.parquet", bytes.NewReader(b), int64(len(b)), opt)
	}
	d, err := load(LoadOptions{Label: "kind"})
	if err != nil || !slices.Equal(d.Classes, []string{"BLUE", "RED"}) || !slices.Equal(d.Labels, []int32{1, 0}) {
		t.Fatalf("load with the ENUM label = %+v, %v; want classes BLUE, RED", d, err)
	}
	d, err = load(LoadOptions{Label: "y", Keep: []string{"kind"}})
	if v, ok := d.ExtraColumn("kind"); err != nil || !ok || !slices.Equal(v, []string{"RED", "BLUE"}) {
		t.Errorf("load with the ENUM kept = %+v, %v; want RED, BLUE", d, err)
	}
}
