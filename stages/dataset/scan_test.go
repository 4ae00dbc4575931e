package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/golden"
)

// scanAll scans path to the end and returns its rows and labels, batch by batch joined.
func scanAll(t *testing.T, path string, opt ScanOptions) (x []float64, labels []string, err error) {
	t.Helper()
	s, err := Scan(context.Background(), path, opt)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var row int64
	for {
		b, err := s.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return x, labels, nil
		}
		if err != nil {
			return x, labels, err
		}
		if b.Row0 != row || b.N*len(opt.Features) != len(b.X) || b.N > max(opt.BatchRows, 1) && opt.BatchRows > 0 {
			t.Fatalf("batch at row %d: Row0 %d, N %d, %d values, batches of %d", row, b.Row0, b.N, len(b.X), opt.BatchRows)
		}
		if s.HasLabel() != (b.Labels != nil) || b.Labels != nil && len(b.Labels) != b.N {
			t.Fatalf("batch at row %d: %d labels for %d rows, HasLabel %v", row, len(b.Labels), b.N, s.HasLabel())
		}
		row += int64(b.N)
		x = append(x, b.X...)
		labels = append(labels, b.Labels...)
	}
}

// scanTable is a table of 1,000 rows written as CSV and as Parquet in row groups of 300 rows:
// features a, b, c (c an integer column in Parquet) and a text label, and the columns it
// holds, for comparison.
type scanTable struct {
	csv, parquet string
	a, b, c      []float64
	labels       []string
}

func newScanTable(t *testing.T) scanTable {
	t.Helper()
	dir := t.TempDir()
	const n = 1000
	st := scanTable{csv: filepath.Join(dir, "t.csv"), parquet: filepath.Join(dir, "t.parquet")}
	var csv strings.Builder
	csv.WriteString("label,a,note,b,c\n")
	c32 := make([]int32, n)
	notes := make([]string, n)
	for i := range n {
		a, b := math.Sin(float64(i))*1e3, 1/float64(i+3)
		st.a, st.b = append(st.a, a), append(st.b, b)
		c32[i] = int32(i*7 - 3000)
		st.c = append(st.c, float64(c32[i]))
		st.labels = append(st.labels, []string{"cat", "dog", "émeu"}[i%3])
		notes[i] = "n" + strconv.Itoa(i)
		fmt.Fprintf(&csv, " %s ,%s,%s,%s,%d\n", st.labels[i], strconv.FormatFloat(a, 'g', -1, 64), notes[i], strconv.FormatFloat(b, 'g', -1, 64), c32[i])
	}
	if err := os.WriteFile(st.csv, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	writeTable(t, st.parquet, []Field{{"label", String}, {"a", Float64}, {"note", String}, {"b", Float64}, {"c", Int32}}, nil, 300,
		[]any{st.labels, st.a, notes, st.b, c32})
	return st
}

// TestScanReadsTheNamedColumnsInOrder scans the same table from CSV and from Parquet, with the
// features in another order than the file's and batches that do not divide the row groups:
// every value and label must come through, in the order asked for.
func TestScanReadsTheNamedColumnsInOrder(t *testing.T) {
	st := newScanTable(t)
	want := make([]float64, 0, 3*len(st.a))
	for i := range st.a {
		want = append(want, st.c[i], st.a[i], st.b[i])
	}
	for _, path := range []string{st.csv, st.parquet} {
		for _, batch := range []int{0, 1, 7, 300, 5000} {
			x, labels, err := scanAll(t, path, ScanOptions{Features: []string{"c", "a", "b"}, Label: "label", BatchRows: batch})
			if err != nil {
				t.Fatalf("scan %s in batches of %d: %v", filepath.Base(path), batch, err)
			}
			if !slices.Equal(x, want) {
				t.Fatalf("scan %s in batches of %d: values differ from the table's", filepath.Base(path), batch)
			}
			if !slices.Equal(labels, st.labels) {
				t.Fatalf("scan %s in batches of %d: labels %v…, want %v…", filepath.Base(path), batch, labels[:3], st.labels[:3])
			}
		}
		x, labels, err := scanAll(t, path, ScanOptions{Features: []string{"b"}, Label: "species"})
		if err != nil || labels != nil || !slices.Equal(x, st.b) {
			t.Errorf("scan %s without its label column = %d values, labels %v, %v; want column b and no labels", filepath.Base(path), len(x), labels, err)
		}
	}
}

// TestScanSkipsAByteOrderMark scans files that begin with the byte order mark spreadsheet
// programs write: the first column is found and read whether its name or value is quoted.
func TestScanSkipsAByteOrderMark(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		opt        ScanOptions
	}{
		{"a quoted header after the mark", "\uFEFF\"a\",\"b\"\n1,2\n3,4\n", ScanOptions{Features: []string{"a", "b"}}},
		{"a bare header after the mark", "\uFEFFa,b\n1,2\n3,4\n", ScanOptions{Features: []string{"a", "b"}}},
		{"a quoted value after the mark without a header", "\uFEFF\"1\",2\n3,4\n", ScanOptions{Features: []string{"c0", "c1"}, NoHeader: true}},
	} {
		path := filepath.Join(t.TempDir(), "d.csv")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		x, _, err := scanAll(t, path, tt.opt)
		if want := []float64{1, 2, 3, 4}; err != nil || !slices.Equal(x, want) {
			t.Errorf("%s: scan(%q) = %v, %v; want %v", tt.name, tt.text, x, err, want)
		}
	}
}

// TestScanChecksTheDigestOfWhatItRead scans with the digest of other content: the scan must
// end with ErrChanged instead of io.EOF, for CSV (hashed as it streams) and Parquet (hashed as
// it is copied, refused before the first batch).
func TestScanChecksTheDigestOfWhatItRead(t *testing.T) {
	st := newScanTable(t)
	for _, path := range []string{st.csv, st.parquet} {
		sum, err := Digest(path)
		if err != nil {
			t.Fatal(err)
		}
		opt := ScanOptions{Features: []string{"a"}, SHA256: sum, TempDir: t.TempDir()}
		if _, _, err := scanAll(t, path, opt); err != nil {
			t.Errorf("scan %s with its own digest = %v", filepath.Base(path), err)
		}
		opt.SHA256 = strings.Repeat("0", 64)
		if _, _, err := scanAll(t, path, opt); !errors.Is(err, ErrChanged) {
			t.Errorf("scan %s with another digest = %v, want ErrChanged", filepath.Base(path), err)
		}
		if left, _ := os.ReadDir(opt.TempDir); len(left) > 0 {
			t.Errorf("scan %s left %d files in its temporary folder", filepath.Base(path), len(left))
		}
	}
}

// TestScanChecksForCancellationBetweenBatches cancels after the first batch.
func TestScanChecksForCancellationBetweenBatches(t *testing.T) {
	st := newScanTable(t)
	for _, path := range []string{st.csv, st.parquet} {
		s, err := Scan(context.Background(), path, ScanOptions{Features: []string{"a"}, BatchRows: 10})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := s.Next(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Next of %s after cancel = %v, want context.Canceled", filepath.Base(path), err)
		}
		s.Close()
	}
}

// TestScanErrors scans one bad file per kind of bad input and compares every message with
// testdata/scan_errors.golden; each is a *LoadError naming the file.
func TestScanErrors(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	gen := func(name string, fields []Field, cols ...any) string {
		path := filepath.Join(tmp, name)
		writeTable(t, path, fields, nil, RowGroupRows, cols)
		return path
	}
	csv := func(name string) string { return filepath.Join("testdata", "load", name) }
	xy := ScanOptions{Features: []string{"x0", "x1"}, Label: "label"}
	const duck = "testdata/duckdb.parquet"
	tests := []struct {
		name string
		path string
		opt  ScanOptions
	}{
		{"a missing file", csv("missing.csv"), xy},
		{"a directory", "testdata/load", ScanOptions{Features: []string{"x"}, Format: "csv"}},
		{"an empty file", csv("empty.csv"), xy},
		{"an empty file without a header", csv("empty.csv"), ScanOptions{Features: []string{"c0"}, NoHeader: true}},
		{"a header without rows", write("header.csv", "x0,x1,label\n"), xy},
		{"a file without a header row read with one", write("no_header.csv", "1,2,a\n3,4,b\n"), xy},
		{"a file without a header row read with one, for a command's flag", write("no_header.csv", "1,2,a\n3,4,b\n"),
			ScanOptions{Features: xy.Features, Label: xy.Label, NoHeaderOption: "--no-header"}},
		{"a missing feature column", csv("data.csv"), ScanOptions{Features: []string{"x0", "x2"}}},
		{"a non-numeric value", csv("data.csv"), xy},
		{"NaN", write("nan.csv", "x0,x1\n1,2\n3,NaN\n"), xy},
		{"infinity", write("inf.csv", "x0,x1\n1,2\n3,-Inf\n"), xy},
		{"a number out of range", write("range.csv", "x0,x1\n1,2\n3,1e999\n"), xy},
		{"an empty value", write("blank.csv", "x0,x1\n1,2\n3, \n"), xy},
		{"a ragged row", csv("ragged.csv"), ScanOptions{Features: []string{"x0"}}},
		{"a label that is not UTF-8", write("utf8.csv", "x0,x1,label\n1,2,a\n3,4,b\xffc\n"), xy},
		{"a broken quote", csv("bad_quote.csv"), ScanOptions{Features: []string{"x0"}}},
		{"a quoted value of many lines longer than a record may be", write("long.csv", "x0,x1,label\n1,2,a\n3,4,\""+strings.Repeat(strings.Repeat("x", 99)+"\n", MaxRecordBytes/100+1)+"\"\n"), xy},
		{"the wrong delimiter", csv("semicolons.csv"), ScanOptions{Features: []string{"x0"}}},
		{"a feature listed twice", csv("data.csv"), ScanOptions{Features: []string{"x0", "x0"}}},
		{"no feature", csv("data.csv"), ScanOptions{}},
		{"an unknown extension", csv("data.txt"), xy},
		{"an empty Parquet file", write("empty.parquet", ""), xy},
		{"a text file named .parquet", write("text.parquet", "x0,x1\n1,2\n"), xy},
		{"a Parquet file without rows", gen("none.parquet", []Field{{"x0", Float64}, {"x1", Float64}}, []float64{}, []float64{}), xy},
		{"a Parquet NaN", gen("nan.parquet", []Field{{"x0", Float64}, {"x1", Float64}}, []float64{1, 2, 3}, []float64{4, math.Inf(1), 6}), xy},
		{"a Parquet missing feature", duck, ScanOptions{Features: []string{"x", "nope"}}},
		{"a Parquet null feature", duck, ScanOptions{Features: []string{"x", "gap"}}},
		{"a Parquet string feature", duck, ScanOptions{Features: []string{"species"}}},
		{"a Parquet label of a date type", duck, ScanOptions{Features: []string{"x"}, Label: "day"}},
		{"a Parquet null label", duck, ScanOptions{Features: []string{"x"}, Label: "maybe"}},
		{"a delimiter for a Parquet file", duck, ScanOptions{Features: []string{"x"}, Delimiter: ';'}},
		{"a quote opening a label that the rows up to the next quote would join", write("swallow.csv", "x0,x1,label\n1,2,a\n3,4,\"b\n5,6,a\n7,8,b\"\n9,10,a\n"), xy},
		{"UTF-16 text", write("utf16.csv", "\xff\xfex\x000\x00,\x00x\x001\x00\n\x001\x00,\x002\x00\n\x00"), xy},
		{"lines that end in CR alone", write("cr.csv", "x0,x1,label\r1,2,a\r3,4,b\r"), xy},
		{"an empty label", write("blank_label.csv", "x0,x1,label\n1,2,a\n3,4, \n"), xy},
		{"a Parquet empty label", gen("blank_label.parquet", []Field{{"x0", Float64}, {"x1", Float64}, {"label", String}},
			[]float64{1, 2, 3}, []float64{4, 5, 6}, []string{"a", "b", " "}), xy},
	}
	var got strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, _, err := scanAll(t, tt.path, tt.opt)
			if err == nil {
				t.Fatalf("scan %s = %d values, want an error", tt.path, len(x))
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("scan %s: error %T %q is not a *LoadError", tt.path, err, err)
			}
			if le.File != tt.path {
				t.Errorf("scan %s: LoadError.File = %q, want the path", tt.path, le.File)
			}
			fmt.Fprintf(&got, "%s\n\t%s\n", tt.name, strings.ReplaceAll(err.Error(), tmp, "$TMP"))
		})
	}
	golden.CheckString(t, filepath.Join("testdata", "scan_errors.golden"), got.String())
}

// TestScanReportsTheFirstBadRow puts bad values and a ragged row in a file large enough for its
// numbers to be parsed on several cores: the error reported is always the first in the file.
func TestScanReportsTheFirstBadRow(t *testing.T) {
	const n = 20_000
	write := func(bad map[int]string) string {
		var b strings.Builder
		b.WriteString("x,y\n")
		for i := range n {
			if row, ok := bad[i]; ok {
				b.WriteString(row + "\n")
				continue
			}
			fmt.Fprintf(&b, "%d,%d.5\n", i, i)
		}
		path := filepath.Join(t.TempDir(), "d.csv")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		name string
		bad  map[int]string
		line int
		col  string
	}{
		{"bad values in two parts of a batch", map[int]string{15_000: "1,x", 8_000: "y,1"}, 8_002, "x"},
		{"bad values in one part", map[int]string{9_000: "1,x", 3_000: "1,y"}, 3_002, "y"},
		{"a ragged row after a bad value", map[int]string{5_000: "1,2,3", 3_000: "1,z"}, 3_002, "y"},
		{"a bad value after a ragged row", map[int]string{5_000: "1,2,3", 9_000: "1,z"}, 5_002, ""},
		{"a bad value in the second batch", map[int]string{19_999: "inf,1"}, 20_001, "x"},
	} {
		_, _, err := scanAll(t, write(tt.bad), ScanOptions{Features: []string{"x", "y"}, BatchRows: 16_384})
		var le *LoadError
		if !errors.As(err, &le) || le.Line != tt.line || le.Column != tt.col {
			t.Errorf("%s: scan = %v, want an error at line %d, column %q", tt.name, err, tt.line, tt.col)
		}
	}
}
