package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/golden"
)

// TestLoadErrors loads one bad file per kind of bad data a user can give and compares every message with
// testdata/load_errors.golden.
func TestLoadErrors(t *testing.T) {
	tmp := t.TempDir()
	gen := func(name string, fields []Field, cols ...any) string {
		path := filepath.Join(tmp, name)
		writeTable(t, path, fields, nil, RowGroupRows, cols)
		return path
	}
	xy := []Field{{"x", Float64}, {"y", String}}
	noRows := gen("no_rows.parquet", xy, []float64{}, []string{})
	oneClass := gen("one_class.parquet", xy, []float64{1, 2}, []string{"a", "a"})
	nan := gen("nan.parquet", xy, []float64{1, 2, math.NaN()}, []string{"a", "b", "a"})
	emptyLabel := gen("empty_label.parquet", xy, []float64{1, 2}, []string{"a", " "})
	emptyPq := filepath.Join(tmp, "empty.parquet")
	notPq := filepath.Join(tmp, "text.parquet")
	for path, data := range map[string]string{emptyPq: "", notPq: "x,y\n1,a\n"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Files with bytes that are not text, or too many of something, are made here too.
	write := func(name string, data []byte) string {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var manyClasses, manyPq strings.Builder
	manyClasses.WriteString("x,label\n")
	manyLabels := make([]string, MaxClasses+1)
	for i := range manyLabels {
		manyLabels[i] = "id-" + strconv.Itoa(i)
		fmt.Fprintf(&manyClasses, "%d,%s\n", i, manyLabels[i])
	}
	manyPq.WriteString(strings.Repeat("x", MaxNameBytes+1))
	csvBadLabel := write("bad_label.csv", []byte("x,label\n1,a\n2,b\xffc\n"))
	csvBadName := write("bad_name.csv", []byte("x\xff,label\n1,a\n2,b\n"))
	csvBadKept := write("bad_kept.csv", []byte("x,k,label\n1,t,a\n2,\xfe,b\n"))
	csvDupDefault := write("dup_default.csv", []byte("x0,x1,x0,label\n1,2,3,a\n4,5,6,b\n"))
	csvDupUnused := write("dup_unused.csv", []byte("x0,notes,notes,label\n1,p,q,a\n4,r,s,b\n"))
	csvMany := write("many_classes.csv", []byte(manyClasses.String()))
	csvLongName := write("long_name.csv", []byte(manyPq.String()+",label\n1,a\n2,b\n"))
	csvFirstEmpty := write("first_empty.csv", []byte("f1,f2,kind\n0.1,,a\n0.2,1.0,b\n0.3,1.1,a\n"))
	csvFirstText := write("first_text.csv", []byte("f1,f2,kind\n0.1,x,a\n0.2,y,b\n0.3,1e999,a\n"))
	csvFirstTextNoHeader := write("first_text_no_header.csv", []byte("0.1,n/a,a\n0.2,2,b\n"))
	csvUTF16 := write("utf16.csv", []byte("\xff\xfex\x00,\x00l\x00a\x00b\x00e\x00l\x00\n\x001\x00,\x00a\x00\n\x00"))
	csvUTF16BE := write("utf16be.csv", []byte("\xfe\xff\x00x\x00,\x00l\x00a\x00b\x00e\x00l\x00\n\x001\x00,\x00a\x00\n"))
	csvSwallow := write("swallow.csv", []byte("x,label\n1,a\n2,\"b\n3,a\n4,b\n5,a\"\n6,b\n"))
	csvSwallowCRLF := write("swallow_crlf.csv", []byte("b,0\r\n\"a,1\r\nb,2\r\nc\",3\r\nb,4\r\n"))
	csvDecimalComma := write("decimal_comma.csv", []byte("n;w;kind\n3;1,5;a\n4;2,25;b\n"))
	csvDecimalCommaNamed := write("decimal_comma_named.csv", []byte("n;w;kind\n3;1.5;a\n4;-1.234,25;b\n"))
	csvThousands := write("thousands.csv", []byte("n,w,kind\n3,\"1,234,567\",a\n4,\"2,000\",b\n"))
	csvHex := write("hex.csv", []byte("n,w,kind\n3,0x1p-2,a\n4,0x1p4,b\n"))
	csvUnderscore := write("underscore.csv", []byte("n,w,kind\n3,1.5,a\n4,1_000,b\n"))
	csvSignedNaN := write("signed_nan.csv", []byte("n,w,kind\n3,1.5,a\n4,-nan,b\n"))
	csvCommaAfterText := write("comma_after_text.csv", []byte("n;w;kind\n3;n/a;a\n4;2,5;b\n"))
	csvNoHeader := write("no_header.csv", []byte("5.1,3.5,setosa\n4.9,3.0,versicolor\n"))
	csvGzip := write("gzip.csv", []byte("\x1f\x8b\b\b\x12\xbb\x16k\x00\x03a.csv\x00\xab"))
	csvCR := write("cr.csv", []byte("x,label\r1,a\r2,b\r"))
	csvCRQuoted := write("cr_quoted.csv", []byte("x,\"label\"\r\"1\",\"a\"\r\"2\",\"b\"\r"))
	csvXlsx := write("sheet.csv", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00"))
	csvParquet := write("table.csv", validCraft().bytes())
	csvPAR1Header := write("par1_header.csv", []byte("PAR1,x,label\n1,2,a\n3,4,b\n"))
	csvLabelFeature := write("label_feature.csv", []byte("x,label,kind\n1,2,a\n3,4,b\n"))
	csvLabelNameKept := write("label_name_kept.csv", []byte("x,label_name,kind\n1,t,a\n3,f,b\n"))
	pqLabelNameFeature := gen("label_name_feature.parquet", []Field{{"x", Float64}, {"label_name", Float64}, {"y", String}}, []float64{1, 2}, []float64{3, 4}, []string{"a", "b"})
	csvLongQuoted := write("long_quoted.csv", []byte("x,label\n1,a\n2,\""+strings.Repeat(strings.Repeat("x", 99)+"\n", MaxRecordBytes/100+1)+"\"\n"))
	xs := make([]float64, len(manyLabels))
	pqMany := gen("many_classes.parquet", xy, xs, manyLabels)
	pqBadLabel := gen("bad_label.parquet", xy, []float64{1, 2}, []string{"a", "\xffb"})
	pqBadKept := gen("bad_kept.parquet", []Field{{"x", Float64}, {"k", String}, {"y", String}}, []float64{1, 2}, []string{"t", "\xc3"}, []string{"a", "b"})
	badName, dupName := validCraft(), validCraft()
	badName.columns[0].name = "x\xff0"
	dupName.columns[1].name = "x0"
	pqBadName := write("bad_name.parquet", badName.bytes())
	pqDup := write("dup.parquet", dupName.bytes())
	csv := func(name string) string { return filepath.Join("testdata", "load", name) }
	label := LoadOptions{Label: "label"}
	const duck = "testdata/duckdb.parquet"
	tests := []struct {
		name string
		path string
		opt  LoadOptions
	}{
		{"a missing file", csv("missing.csv"), label},
		{"a directory", "testdata/load", LoadOptions{Label: "label", Format: "csv"}},
		{"an empty file", csv("empty.csv"), label},
		{"a file of blank lines", csv("blank_lines.csv"), label},
		{"a header without rows", csv("header_only.csv"), label},
		{"a ragged row", csv("ragged.csv"), label},
		{"a non-numeric feature", csv("data.csv"), label},
		{"a non-numeric feature named explicitly", csv("data.csv"), LoadOptions{Label: "label", Features: []string{"x1"}}},
		{"NaN", csv("nan.csv"), label},
		{"minus infinity", csv("inf.csv"), label},
		{"a number out of range", csv("out_of_range.csv"), label},
		{"an empty feature value", csv("empty_value.csv"), label},
		{"a missing label column", csv("no_label.csv"), label},
		{"a missing feature column", csv("data.csv"), LoadOptions{Label: "label", Features: []string{"x0", "x2"}}},
		{"an empty label", csv("empty_label.csv"), label},
		{"a single class", csv("single_class.csv"), label},
		{"a single class written three ways", csv("single_int_class.csv"), label},
		{"a broken quote", csv("bad_quote.csv"), label},
		{"no numeric column", csv("no_numeric.csv"), label},
		{"a duplicated feature column", csv("duplicate.csv"), LoadOptions{Label: "label", Features: []string{"x0"}}},
		{"the wrong delimiter", csv("semicolons.csv"), label},
		{"an unknown extension", csv("data.txt"), label},
		{"an unknown format", csv("data.csv"), LoadOptions{Label: "label", Format: "xlsx"}},
		{"no label given", csv("data.csv"), LoadOptions{}},
		{"the label as a feature", csv("data.csv"), LoadOptions{Label: "label", Features: []string{"x0", "label"}}},
		{"a feature listed twice", csv("data.csv"), LoadOptions{Label: "label", Features: []string{"x0", "x0"}}},
		{"an invalid delimiter", csv("data.csv"), LoadOptions{Label: "label", Delimiter: '"'}},
		{"an empty Parquet file", emptyPq, LoadOptions{Label: "y"}},
		{"a text file named .parquet", notPq, LoadOptions{Label: "y"}},
		{"a Parquet file without rows", noRows, LoadOptions{Label: "y"}},
		{"a Parquet file with a single class", oneClass, LoadOptions{Label: "y"}},
		{"a Parquet NaN", nan, LoadOptions{Label: "y"}},
		{"a Parquet empty label", emptyLabel, LoadOptions{Label: "y"}},
		{"a Parquet missing label column", duck, LoadOptions{Label: "label"}},
		{"a Parquet null feature", duck, LoadOptions{Label: "species", Features: []string{"x", "gap"}}},
		{"a Parquet NaN written by DuckDB", duck, LoadOptions{Label: "species", Features: []string{"bad"}}},
		{"a Parquet null label", duck, LoadOptions{Label: "maybe", Features: []string{"x"}}},
		{"a Parquet date feature", duck, LoadOptions{Label: "species", Features: []string{"x", "day"}}},
		{"a Parquet string feature", duck, LoadOptions{Label: "cls", Features: []string{"species"}}},
		{"a Parquet boolean label", duck, LoadOptions{Label: "flag"}},
		{"a Parquet float label", duck, LoadOptions{Label: "x", Features: []string{"i"}}},
		{"a Parquet default feature with a null", duck, LoadOptions{Label: "species"}},
		{"a delimiter for a Parquet file", duck, LoadOptions{Label: "species", Delimiter: ';'}},
		{"an empty file without a header", csv("empty.csv"), LoadOptions{Label: "c0", NoHeader: true}},
		{"a label named as in a header of a file without one", csv("data.csv"), LoadOptions{Label: "label", NoHeader: true}},
		{"a non-numeric feature without a header", csv("data.csv"), LoadOptions{Label: "c2", Features: []string{"c1"}, NoHeader: true}},
		{"no header for a Parquet file", duck, LoadOptions{Label: "species", NoHeader: true}},
		{"a kept column not in the header", csv("data.csv"), LoadOptions{Label: "label", Keep: []string{"train"}}},
		{"a Parquet kept column of an unsupported type", duck, LoadOptions{Label: "species", Keep: []string{"day"}}},
		{"a label that is not UTF-8", csvBadLabel, label},
		{"a feature name that is not UTF-8", csvBadName, label},
		{"a kept value that is not UTF-8", csvBadKept, LoadOptions{Label: "label", Keep: []string{"k"}}},
		{"a duplicated column among the default features", csvDupDefault, label},
		{"a duplicated column that is not used", csvDupUnused, LoadOptions{Label: "label", Features: []string{"x0"}}},
		{"more classes than nnpipe handles", csvMany, label},
		{"a feature name too long", csvLongName, label},
		{"a Parquet label that is not UTF-8", pqBadLabel, LoadOptions{Label: "y"}},
		{"a Parquet feature name that is not UTF-8", pqBadName, LoadOptions{Label: "label"}},
		{"a Parquet kept value that is not UTF-8", pqBadKept, LoadOptions{Label: "y", Keep: []string{"k"}}},
		{"a Parquet duplicated column", pqDup, LoadOptions{Label: "label", Features: []string{"x0"}}},
		{"more classes than nnpipe handles in Parquet", pqMany, LoadOptions{Label: "y"}},
		{"a default feature's first value empty", csvFirstEmpty, LoadOptions{Label: "kind"}},
		{"a column of text with a number on a later line", csvFirstText, LoadOptions{Label: "kind"}},
		{"a default feature's first value text, without a header", csvFirstTextNoHeader, LoadOptions{Label: "c2", NoHeader: true}},
		{"a quoted value of many lines longer than a record may be", csvLongQuoted, label},
		{"UTF-16 text", csvUTF16, label},
		{"UTF-16 text, big-endian, without a header", csvUTF16BE, LoadOptions{Label: "c1", NoHeader: true}},
		{"a quote opening a label that the rows up to the next quote would join", csvSwallow, label},
		{"a quoted label over CRLF lines, without a header", csvSwallowCRLF, LoadOptions{Label: "c0", NoHeader: true}},
		{"a default feature of numbers with a decimal comma", csvDecimalComma, LoadOptions{Label: "kind", Delimiter: ';'}},
		{"a feature's later value with a decimal comma", csvDecimalCommaNamed, LoadOptions{Label: "kind", Delimiter: ';'}},
		{"a default feature of numbers with thousands set off by commas", csvThousands, LoadOptions{Label: "kind"}},
		{"a default feature of hexadecimal numbers", csvHex, LoadOptions{Label: "kind"}},
		{"a feature's later value with digits set off by _", csvUnderscore, LoadOptions{Label: "kind"}},
		{"a feature's later value a signed NaN", csvSignedNaN, LoadOptions{Label: "kind"}},
		{"a column of text on the first row and a number with a comma later", csvCommaAfterText, LoadOptions{Label: "kind", Delimiter: ';'}},
		{"a file without a header row read with one", csvNoHeader, LoadOptions{Label: "species"}},
		{"a file without a header row read with one, a feature named", csvNoHeader, LoadOptions{Label: "c2", Features: []string{"c0"}}},
		{"a gzip-compressed file", csvGzip, label},
		{"lines that end in CR alone", csvCR, label},
		{"lines that end in CR alone, every value quoted", csvCRQuoted, label},
		{"an .xlsx workbook", csvXlsx, label},
		{"a Parquet file read as CSV", csvParquet, LoadOptions{Label: "label", Format: "csv"}},
		{"a header starting as Parquet's magic number, with a text label", csvPAR1Header, LoadOptions{Label: "label", Features: []string{"x"}, Keep: []string{"nope"}}},
		{"a default feature named as the dataset file's label column", csvLabelFeature, LoadOptions{Label: "kind"}},
		{"a feature named as the dataset file's label column", csvLabelFeature, LoadOptions{Label: "kind", Features: []string{"x", "label"}}},
		{"a kept column named as the dataset file's class names", csvLabelNameKept, LoadOptions{Label: "kind", Keep: []string{"label_name"}}},
		{"a Parquet default feature named as the dataset file's class names", pqLabelNameFeature, LoadOptions{Label: "y"}},
		{"a Parquet kept column named as the dataset file's class names", pqLabelNameFeature, LoadOptions{Label: "y", Features: []string{"x"}, Keep: []string{"label_name"}}},
	}
	var got strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(tt.path, tt.opt)
			if err == nil {
				t.Fatalf("Load(%s, %+v) = %d rows, want an error", tt.path, tt.opt, d.Rows())
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load(%s) error %T %q is not a *LoadError", tt.path, err, err)
			}
			if le.File != tt.path {
				t.Errorf("Load(%s): LoadError.File = %q, want the path", tt.path, le.File)
			}
			fmt.Fprintf(&got, "%s\n\t%s\n", tt.name, strings.ReplaceAll(err.Error(), tmp, "$TMP"))
		})
	}
	golden.CheckString(t, filepath.Join("testdata", "load_errors.golden"), got.String())
}

func TestLoadErrorFields(t *testing.T) {
	tests := []struct {
		name                 string
		path                 string
		opt                  LoadOptions
		line, row            int
		column               string
		isNotExist, isDirErr bool
	}{
		{name: "a bad value names line and column", path: "testdata/load/data.csv", opt: LoadOptions{Label: "label"}, line: 14, column: "x1"},
		{name: "a ragged row names its line", path: "testdata/load/ragged.csv", opt: LoadOptions{Label: "label"}, line: 4},
		{name: "a Parquet null names row and column", path: "testdata/duckdb.parquet", opt: LoadOptions{Label: "species", Features: []string{"gap"}}, row: 3, column: "gap"},
		{name: "a missing file matches fs.ErrNotExist", path: "testdata/load/nope.csv", opt: LoadOptions{Label: "label"}, isNotExist: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, tt.opt)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load(%s) = %v, want a *LoadError", tt.path, err)
			}
			if le.Line != tt.line || le.Row != tt.row || le.Column != tt.column {
				t.Errorf("Load(%s) = line %d row %d column %q, want %d %d %q", tt.path, le.Line, le.Row, le.Column, tt.line, tt.row, tt.column)
			}
			if tt.isNotExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Load(%s) = %v, want errors.Is fs.ErrNotExist", tt.path, err)
			}
		})
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	path := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(path, []byte("x,label\n1,a\n2,b\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, LoadOptions{Label: "label"}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Load(unreadable) = %v, want fs.ErrPermission", err)
	}
}

func TestLoadCSV(t *testing.T) {
	tests := []struct {
		name string
		text string
		opt  LoadOptions
		want *Dataset
	}{
		{
			name: "string labels become sorted classes and non-numeric columns are skipped",
			text: "id,x0,x1,label\nr1,1.5,-2,virginica\nr2,0,3e2,setosa\nr3,-0.25,2.5e-1,versicolor\n",
			opt:  LoadOptions{Label: "label"},
			want: &Dataset{Features: []string{"x0", "x1"}, X: []float64{1.5, -2, 0, 300, -0.25, 0.25},
				Labels: []int32{2, 0, 1}, Classes: []string{"setosa", "versicolor", "virginica"}},
		},
		{
			name: "integer labels sort numerically and keep their canonical names",
			text: "y,x\n10,1\n9,2\n-1,3\n010,4\n",
			opt:  LoadOptions{Label: "y"},
			want: &Dataset{Features: []string{"x"}, X: []float64{1, 2, 3, 4}, Labels: []int32{2, 1, 0, 2}, Classes: []string{"-1", "9", "10"}},
		},
		{
			name: "mixed labels sort as strings",
			text: "x,y\n1,10\n2,9\n3,b\n",
			opt:  LoadOptions{Label: "y"},
			want: &Dataset{Features: []string{"x"}, X: []float64{1, 2, 3}, Labels: []int32{0, 1, 2}, Classes: []string{"10", "9", "b"}},
		},
		{
			name: "explicit features keep their order and may skip numeric columns",
			text: "a,b,c,label\n1,2,3,p\n4,5,6,q\n",
			opt:  LoadOptions{Label: "label", Features: []string{"c", "a"}},
			want: &Dataset{Features: []string{"c", "a"}, X: []float64{3, 1, 6, 4}, Labels: []int32{0, 1}, Classes: []string{"p", "q"}},
		},
		{
			name: "a semicolon delimiter, quotes, spaces, CRLF and a byte order mark",
			text: "\uFEFF x0 ;\"x;1\";label\r\n\" 1.5 \";2;\"a b\"\r\n3; 4 ;c\r\n",
			opt:  LoadOptions{Label: "label", Delimiter: ';'},
			want: &Dataset{Features: []string{"x0", "x;1"}, X: []float64{1.5, 2, 3, 4}, Labels: []int32{0, 1}, Classes: []string{"a b", "c"}},
		},
		{
			name: "a byte order mark before a quoted header",
			text: "\uFEFF\"x\",\"label\"\n1,a\n2,b\n",
			opt:  LoadOptions{Label: "label"},
			want: &Dataset{Features: []string{"x"}, X: []float64{1, 2}, Labels: []int32{0, 1}, Classes: []string{"a", "b"}},
		},
		{
			name: "a byte order mark before a quoted value without a header",
			text: "\uFEFF\"1\",a\n2,b\n",
			opt:  LoadOptions{Label: "c1", NoHeader: true},
			want: &Dataset{Features: []string{"c0"}, X: []float64{1, 2}, Labels: []int32{0, 1}, Classes: []string{"a", "b"}},
		},
		{
			name: "a tab delimiter and a label in the first column",
			text: "label\tx\n1\t-1\n0\t1\n",
			opt:  LoadOptions{Label: "label", Delimiter: '\t'},
			want: &Dataset{Features: []string{"x"}, X: []float64{-1, 1}, Labels: []int32{1, 0}, Classes: []string{"0", "1"}},
		},
		{
			name: "an unnamed index column (as pandas writes) is not a feature",
			text: ",x,label\n0,0.5,a\n1,0.25,b\n",
			opt:  LoadOptions{Label: "label"},
			want: &Dataset{Features: []string{"x"}, X: []float64{0.5, 0.25}, Labels: []int32{0, 1}, Classes: []string{"a", "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.csv")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestLoadIris(t *testing.T) {
	d, err := Load("testdata/iris.csv", LoadOptions{Label: "species"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows() != 150 || d.Dims() != 4 || !slices.Equal(d.Classes, []string{"setosa", "versicolor", "virginica"}) {
		t.Errorf("Load(iris) = %d rows, %v, %v; want 150 rows, 4 features, 3 species", d.Rows(), d.Features, d.Classes)
	}
	if want := []float64{5.1, 3.5, 1.4, 0.2}; !slices.Equal(d.X[:4], want) {
		t.Errorf("Load(iris) first row = %v, want %v", d.X[:4], want)
	}
	counts := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		counts[l]++
	}
	if !slices.Equal(counts, []int{50, 50, 50}) {
		t.Errorf("Load(iris) class counts = %v, want 50 each", counts)
	}
}

func TestLoadDuckDBParquet(t *testing.T) {
	tests := []struct {
		name string
		opt  LoadOptions
		want *Dataset
	}{
		{
			name: "OPTIONAL columns of every numeric type and a string label",
			opt:  LoadOptions{Label: "species", Features: []string{"x", "f", "i", "b", "u"}},
			want: &Dataset{Features: []string{"x", "f", "i", "b", "u"},
				X: []float64{
					0.5, 1.5, 1, 10, 200,
					-1.25, 2.5, -2, 20, 1,
					2, -0.5, 3, -30, 2,
					3.5, 0.25, 4, 40, 3},
				Labels: []int32{1, 0, 1, 2}, Classes: []string{"a", "b", "c"}},
		},
		{
			name: "integer labels sort numerically",
			opt:  LoadOptions{Label: "cls", Features: []string{"x"}},
			want: &Dataset{Features: []string{"x"}, X: []float64{0.5, -1.25, 2, 3.5}, Labels: []int32{1, 2, 1, 0}, Classes: []string{"-1", "2", "10"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load("testdata/duckdb.parquet", tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load(duckdb.parquet, %+v) = %+v, want %+v", tt.opt, got, tt.want)
			}
		})
	}
}

// TestLoadCSVAndParquetAgree writes the same data as CSV (shortest exact decimal form) and as
// Parquet, and checks that both load to the identical dataset, bit for bit.
func TestLoadCSVAndParquetAgree(t *testing.T) {
	d := testDataset(3000, 3, 4)
	dir := t.TempDir()
	var b bytes.Buffer
	b.WriteString(strings.Join(d.Features, ",") + ",label\n")
	for i := range d.Rows() {
		for j := range d.Dims() {
			b.WriteString(strconv.FormatFloat(d.X[i*d.Dims()+j], 'g', -1, 64) + ",")
		}
		b.WriteString(d.Classes[d.Labels[i]] + "\n")
	}
	csvPath := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csvPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pqPath := filepath.Join(dir, "d.parquet")
	if err := WriteFile(pqPath, d, nil); err != nil {
		t.Fatal(err)
	}
	fromCSV, err := Load(csvPath, LoadOptions{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	// The int32 `label` column is numeric, but a feature may not have its name: list the
	// features.
	fromPq, err := Load(pqPath, LoadOptions{Label: "label_name", Features: d.Features})
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*Dataset{fromCSV, fromPq} {
		if !slices.Equal(got.Features, d.Features) || !sameBits(got.X, d.X) || !slices.Equal(got.Labels, d.Labels) || !slices.Equal(got.Classes, d.Classes) {
			t.Errorf("Load gave %d rows %v %v, want the written dataset", got.Rows(), got.Features, got.Classes)
		}
	}
}

func TestDigest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Digest(path)
	// The SHA-256 of "abc" from FIPS 180-2, appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if err != nil || got != want {
		t.Errorf("Digest(abc) = %q, %v, want %q", got, err, want)
	}
	if _, err := Digest(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Digest(missing) = %v, want fs.ErrNotExist", err)
	}
}

// FuzzReadCSV checks that the CSV reader never panics, that every error is a *LoadError that
// names a line, and that every success is a valid dataset with at least two classes.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"x0,x1,label\n1,2,a\n3,4,b\n",
		"label,x\n1,0.5\n0,-0.5\n",
		"x,label\n1,\"a\nb\"\n2,c\n",
		"x,label\nNaN,a\n",
		"x,label\n1e999,a\n",
		"\uFEFFx,label\r\n1,a\r\n2,b\r\n",
		",x,label\n0,1,a\n1,2,b\n",
		"x,label_name,label\n1,2,a\n3,4,b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := readCSV(context.Background(), "fuzz.csv", bytes.NewReader(data), int64(len(data)), LoadOptions{Label: "label"})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("readCSV(%q) error %T %v is not a *LoadError", data, err, err)
			}
			if le.Line < 1 || !strings.HasPrefix(err.Error(), "fuzz.csv:"+strconv.Itoa(le.Line)+": ") {
				t.Fatalf("readCSV(%q) = %q, want an error that names a line", data, err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("readCSV(%q) returned an invalid dataset: %v", data, err)
		}
		if len(d.Classes) < 2 {
			t.Fatalf("readCSV(%q) returned %d classes, want at least 2", data, len(d.Classes))
		}
		if slices.Contains(d.Features, labelColumn) || slices.Contains(d.Features, labelNameColumn) {
			t.Fatalf("readCSV(%q) returned the features %q, which WriteFile refuses", data, d.Features)
		}
	})
}

// FuzzReadCSVWithoutHeader is FuzzReadCSV for a file without a header row and with a kept
// column: the same guarantees, and every kept value is there for every row.
func FuzzReadCSVWithoutHeader(f *testing.F) {
	for _, s := range []string{
		"1,a,x\n2,b,y\n",
		"1,a\n2,b\n",
		"\uFEFF0.5,a,1\n-0.5,b,0\n",
		"1,a,x\n2,b\n",
		"NaN,a,x\n",
	} {
		f.Add([]byte(s))
	}
	opt := LoadOptions{Label: "c1", Keep: []string{"c2"}, NoHeader: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := readCSV(context.Background(), "fuzz.csv", bytes.NewReader(data), int64(len(data)), opt)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("readCSV(%q) error %T %v is not a *LoadError", data, err, err)
			}
			if le.Line < 1 || !strings.HasPrefix(err.Error(), "fuzz.csv:"+strconv.Itoa(le.Line)+": ") {
				t.Fatalf("readCSV(%q) = %q, want an error that names a line", data, err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("readCSV(%q) returned an invalid dataset: %v", data, err)
		}
		if v, ok := d.ExtraColumn("c2"); !ok || len(v) != d.Rows() {
			t.Fatalf("readCSV(%q) kept %d values of c2 for %d rows", data, len(v), d.Rows())
		}
	})
}

// TestListColumnsKeepsTheMessageOnOneLine lists the header names an error message shows:
// each reads as itself when it can, and the list stays one line of UTF-8 text.
func TestListColumnsKeepsTheMessageOnOneLine(t *testing.T) {
	many := make([]string, 13)
	for i := range many {
		many[i] = "c" + strconv.Itoa(i)
	}
	for _, tt := range []struct {
		name  string
		names []string
		want  string
	}{
		{"names that print are listed as they are", []string{"a", "b c", "é"}, "a, b c, é"},
		{"a name with a line break is quoted", []string{"a\nq", "b"}, `"a\nq", b`},
		{"an empty name is quoted", []string{"", "x"}, `"", x`},
		{"a name with edge spaces is quoted", []string{" a", "b "}, `" a", "b "`},
		{"a name holding the separator is quoted", []string{"e, f", "g,h"}, `"e, f", g,h`},
		{"a name that is not UTF-8 is quoted", []string{"x\xff"}, `"x\xff"`},
		{"a long name is cut between two characters", []string{strings.Repeat("日", 30)}, strings.Repeat("日", 21) + "…"},
		{"a long name that is quoted is cut inside the quotes", []string{strings.Repeat("\t", 70)}, strconv.Quote(strings.Repeat("\t", 64)) + "…"},
		{"a long header is cut after twelve names", many, "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, … (13 columns)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := listColumns(tt.names); got != tt.want {
				t.Errorf("listColumns(%q) = %q, want %q", tt.names, got, tt.want)
			}
		})
	}
}

func TestLoadErrorQuotesAFileNameThatWouldNotReadAsItself(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"data/x.csv", "data/x.csv: boom"},
		{" data/x.csv", `" data/x.csv": boom`},
		{"data/x.csv ", `"data/x.csv ": boom`},
		{"a\nb.csv", `"a\nb.csv": boom`},
	} {
		if got := (&LoadError{File: c.file, Err: errors.New("boom")}).Error(); got != c.want {
			t.Errorf("LoadError{File: %q}.Error() = %q, want %q", c.file, got, c.want)
		}
	}
}

// TestCarriageReturnsBesideLineFeedsAreRead loads, and scans, files whose first line holds a
// carriage return that ends no line: CRLF line ends, and a CR inside a quoted header name
// before LF line ends. Only a file whose lines end in CR alone is refused as such.
func TestCarriageReturnsBesideLineFeedsAreRead(t *testing.T) {
	tests := []struct{ name, data string }{
		{"CRLF line ends", "x,label\r\n1,a\r\n2,b\r\n"},
		{"a CR in a quoted name, LF line ends", "x,\"no\rte\",label\n1,p,a\n2,q,b\n"},
		{"a CR in a quoted name, CRLF line ends", "x,\"no\rte\",label\r\n1,p,a\r\n2,q,b\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.csv")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := Load(path, LoadOptions{Label: "label", Features: []string{"x"}})
			if err != nil || !slices.Equal(d.X, []float64{1, 2}) || !slices.Equal(d.Classes, []string{"a", "b"}) {
				t.Fatalf("load = %+v, %v; want x 1, 2 and classes a, b", d, err)
			}
			x, labels, err := scanAll(t, path, ScanOptions{Features: []string{"x"}, Label: "label"})
			if err != nil || !slices.Equal(x, []float64{1, 2}) || !slices.Equal(labels, []string{"a", "b"}) {
				t.Fatalf("scan = %v, %v, %v; want x 1, 2 and labels a, b", x, labels, err)
			}
		})
	}
}
