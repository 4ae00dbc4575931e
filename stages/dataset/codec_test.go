package dataset

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// testDataset returns n rows × dims features of awkward but finite values (signed zeros,
// subnormals, extremes, values that print with 17 digits) over k classes.
func testDataset(n, dims, k int) *Dataset {
	special := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64,
		math.MaxFloat64, 0.1, 1.0 / 3, -2.5e-300, math.Nextafter(1, 2)}
	d := &Dataset{X: make([]float64, n*dims), Labels: make([]int32, n)}
	for j := range dims {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	for c := range k {
		d.Classes = append(d.Classes, "class "+strconv.Itoa(c))
	}
	for i := range d.X {
		if i%7 == 0 {
			d.X[i] = special[(i/7)%len(special)]
		} else {
			d.X[i] = math.Sin(float64(i)) * math.Pow(10, float64(i%11-5))
		}
	}
	for i := range d.Labels {
		d.Labels[i] = int32((i * 7) % k)
	}
	return d
}

// sameBits reports whether two float slices are equal bit for bit (so -0 ≠ +0).
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestWriteFileReadFileRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		d         *Dataset
		groupRows int
	}{
		{"one row one feature two classes", testDataset(1, 1, 2), RowGroupRows},
		{"a small table in one row group", testDataset(200, 2, 3), RowGroupRows},
		{"rows spread over many row groups with a partial last one", testDataset(1000, 3, 5), 64},
		{"rows filling row groups exactly", testDataset(256, 4, 2), 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.parquet")
			if err := writeDataset(context.Background(), path, tt.d, datasetFields(tt.d), datasetMeta(t, tt.d), tt.groupRows); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Features, tt.d.Features) || !slices.Equal(got.Classes, tt.d.Classes) ||
				!slices.Equal(got.Labels, tt.d.Labels) || !sameBits(got.X, tt.d.X) {
				t.Errorf("ReadFile(WriteFile(d)) differs from d:\n got %+v\nwant %+v", got, tt.d)
			}
		})
	}
}

// datasetFields and datasetMeta repeat what WriteFile does, so tests can call writeDataset
// with small row groups.
func datasetFields(d *Dataset) []Field {
	var f []Field
	for _, name := range d.Features {
		f = append(f, Field{name, Float64})
	}
	f = append(f, Field{labelColumn, Int32}, Field{labelNameColumn, String})
	for _, c := range d.Extra {
		f = append(f, Field{c.Name, String})
	}
	return f
}

func datasetMeta(t *testing.T, d *Dataset) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.parquet")
	if err := WriteFile(path, &Dataset{Features: []string{"x"}, X: []float64{0}, Labels: []int32{0}, Classes: d.Classes}, nil); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	return tab.Meta
}

func TestWriteFileIsDeterministic(t *testing.T) {
	d := testDataset(3000, 3, 4)
	meta := map[string]string{"run": "r1", "config.sha256": "abc", "z": "", "a": "1"}
	dir := t.TempDir()
	var files [][]byte
	for i := range 2 {
		path := filepath.Join(dir, strconv.Itoa(i)+".parquet")
		if err := WriteFile(path, d, meta); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("WriteFile twice gave different bytes (%d and %d bytes)", len(files[0]), len(files[1]))
	}
}

func TestWriteFileMetadataAndLayout(t *testing.T) {
	d := testDataset(100, 2, 3)
	path := filepath.Join(t.TempDir(), "d.parquet")
	if err := WriteFile(path, d, map[string]string{"nnpipe.version": "dev"}); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := map[string]string{"nnpipe.version": "dev", "nnpipe.classes": `["class 0","class 1","class 2"]`}
	if !reflect.DeepEqual(tab.Meta, wantMeta) {
		t.Errorf("ReadTable(WriteFile).Meta = %v, want %v", tab.Meta, wantMeta)
	}
	wantFields := []Field{{"x0", Float64}, {"x1", Float64}, {"label", Int32}, {"label_name", String}}
	if !slices.Equal(tab.Fields, wantFields) {
		t.Errorf("ReadTable(WriteFile).Fields = %v, want %v", tab.Fields, wantFields)
	}
	names, _ := tab.Column("label_name")
	for i, s := range names.([]string) {
		if want := d.Classes[d.Labels[i]]; s != want {
			t.Fatalf("label_name[%d] = %q, want %q", i, s, want)
		}
	}

	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.MetaData().GetCreatedBy(); got != "nnpipe" {
		t.Errorf("created_by = %q, want %q", got, "nnpipe")
	}
	rg := r.MetaData().RowGroup(0)
	for i := range 4 {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		if cc.Compression() != compress.Codecs.Snappy {
			t.Errorf("column %d compression = %v, want snappy", i, cc.Compression())
		}
		if cc.HasDictionaryPage() {
			t.Errorf("column %d has a dictionary page, want plain encoding", i)
		}
	}
}

func TestWriteFileRejects(t *testing.T) {
	valid := func() *Dataset { return testDataset(4, 2, 2) }
	tests := []struct {
		name string
		d    *Dataset
		meta map[string]string
	}{
		{"a dataset without rows", &Dataset{Features: []string{"x"}, Classes: []string{"a"}}, nil},
		{"a NaN value", func() *Dataset { d := valid(); d.X[3] = math.NaN(); return d }(), nil},
		{"an infinite value", func() *Dataset { d := valid(); d.X[0] = math.Inf(-1); return d }(), nil},
		{"a label out of range", func() *Dataset { d := valid(); d.Labels[1] = 2; return d }(), nil},
		{"a negative label", func() *Dataset { d := valid(); d.Labels[1] = -1; return d }(), nil},
		{"X of the wrong length", func() *Dataset { d := valid(); d.X = d.X[1:]; return d }(), nil},
		{"a duplicate feature name", func() *Dataset { d := valid(); d.Features[1] = "x0"; return d }(), nil},
		{"a duplicate class name", func() *Dataset { d := valid(); d.Classes[1] = "class 0"; return d }(), nil},
		{"a feature named label", func() *Dataset { d := valid(); d.Features[1] = "label"; return d }(), nil},
		{"the reserved metadata key", valid(), map[string]string{"nnpipe.classes": "[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.parquet")
			if err := WriteFile(path, tt.d, tt.meta); err == nil {
				t.Errorf("WriteFile(%s) = nil, want an error", tt.name)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("WriteFile(%s) left a file behind (stat: %v)", tt.name, err)
			}
		})
	}
}

func TestWriteSplitReadSplitRoundTrip(t *testing.T) {
	many := make([]int, RowGroupRows+10)
	for i := range many {
		many[i] = len(many) - i
	}
	tests := []struct {
		name string
		s    Split
	}{
		{"the book's first half and second half", Split{Train: seq(0, 100), Test: seq(100, 200)}},
		{"shuffled rows keep their order", Split{Train: []int{5, 0, 3}, Test: []int{4, 1, 2}}},
		{"an empty test part", Split{Train: []int{0, 1}, Test: nil}},
		{"an empty training part", Split{Train: nil, Test: []int{7}}},
		{"no rows at all", Split{}},
		{"more rows than one row group", Split{Train: many, Test: []int{0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "split.parquet")
			if err := WriteSplit(path, tt.s); err != nil {
				t.Fatal(err)
			}
			got, err := ReadSplit(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Train, tt.s.Train) || !slices.Equal(got.Test, tt.s.Test) {
				t.Errorf("ReadSplit(WriteSplit(s)) = %v / %v, want %v / %v", len(got.Train), len(got.Test), len(tt.s.Train), len(tt.s.Test))
			}
			tab, err := ReadTable(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := []Field{{"row", Int64}, {"part", String}}; !slices.Equal(tab.Fields, want) {
				t.Errorf("split file fields = %v, want %v", tab.Fields, want)
			}
		})
	}
}

func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestWriteSplitRejectsNegativeRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "split.parquet")
	if err := WriteSplit(path, Split{Train: []int{0, -1}}); err == nil {
		t.Error("WriteSplit(train row -1) = nil, want an error")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteSplit left a file behind (stat: %v)", err)
	}
}

func TestReadSplitRejectsOtherTables(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		fields []Field
		cols   []any
	}{
		{"a part that is neither train nor test", []Field{{"row", Int64}, {"part", String}}, []any{[]int64{0, 1}, []string{"train", "valid"}}},
		{"a negative row", []Field{{"row", Int64}, {"part", String}}, []any{[]int64{-3}, []string{"test"}}},
		{"a row column of the wrong type", []Field{{"row", Int32}, {"part", String}}, []any{[]int32{0}, []string{"test"}}},
		{"a missing part column", []Field{{"row", Int64}}, []any{[]int64{0}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".parquet")
			writeTable(t, path, tt.fields, nil, RowGroupRows, tt.cols)
			if s, err := ReadSplit(path); err == nil {
				t.Errorf("ReadSplit(%s) = %v, want an error", tt.name, s)
			}
		})
	}
}

// writeTable writes one table with the given row group size, appending cols as one batch.
func writeTable(t *testing.T, path string, fields []Field, meta map[string]string, groupRows int, cols []any) {
	t.Helper()
	w, err := createTable(path, fields, meta, groupRows)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(cols...); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

var allFields = []Field{{"i64", Int64}, {"i32", Int32}, {"f64", Float64}, {"s", String}, {"b", Bool}}

// allColumns returns n rows of every type, with extremes, empty and non-ASCII strings.
func allColumns(n int) []any {
	i64 := make([]int64, n)
	i32 := make([]int32, n)
	f64 := make([]float64, n)
	s := make([]string, n)
	b := make([]bool, n)
	strs := []string{"", "train", "test", "ünïcödé ✓", "a,b\n\"c\"", "\x00"}
	for i := range n {
		i64[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1}[i%4] + int64(i)
		i32[i] = []int32{math.MinInt32, math.MaxInt32, 0, -1}[i%4] ^ int32(i)
		f64[i] = []float64{math.Copysign(0, -1), math.Inf(1), math.NaN(), math.SmallestNonzeroFloat64}[i%4] * float64(i%3+1)
		s[i] = strs[i%len(strs)]
		if i%50 == 49 {
			s[i] = strconv.Itoa(i) // some distinct values too
		}
		b[i] = i%3 == 0
	}
	return []any{i64, i32, f64, s, b}
}

func sameColumns(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if x, ok := a[i].([]float64); ok {
			if !sameBits(x, b[i].([]float64)) {
				return false
			}
		} else if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestTableRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		rows      int
		batches   []int // Append sizes, summing to rows
		groupRows int
	}{
		{"no rows", 0, nil, 16},
		{"no rows from an empty batch", 0, []int{0}, 16},
		{"one row", 1, []int{1}, 16},
		{"batches smaller than a row group", 100, []int{3, 0, 40, 57}, 16},
		{"a batch of several row groups after a partial one", 100, []int{5, 90, 5}, 16},
		{"whole row groups written straight from the batch", 64, []int{32, 32}, 16},
		{"one large batch in the default row groups", RowGroupRows + 1, []int{RowGroupRows + 1}, RowGroupRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.parquet")
			want := allColumns(tt.rows)
			meta := map[string]string{"k": "v", "empty": ""}
			w, err := createTable(path, allFields, meta, tt.groupRows)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			lo := 0
			for _, n := range tt.batches {
				batch := make([]any, len(want))
				for i, c := range want {
					batch[i] = reflect.ValueOf(c).Slice(lo, lo+n).Interface()
				}
				if err := w.Append(batch...); err != nil {
					t.Fatal(err)
				}
				lo += n
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := ReadTable(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rows != tt.rows || !slices.Equal(got.Fields, allFields) || !reflect.DeepEqual(got.Meta, meta) {
				t.Errorf("ReadTable = %d rows, fields %v, meta %v; want %d, %v, %v", got.Rows, got.Fields, got.Meta, tt.rows, allFields, meta)
			}
			if !sameColumns(got.Columns, want) {
				t.Errorf("ReadTable columns differ from the written ones")
			}
			r, err := file.OpenParquetFile(path, false)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			wantGroups := (tt.rows + tt.groupRows - 1) / tt.groupRows
			if r.NumRowGroups() != wantGroups {
				t.Errorf("row groups = %d, want %d", r.NumRowGroups(), wantGroups)
			}
		})
	}
}

func TestTableColumn(t *testing.T) {
	tab := &Table{Fields: []Field{{"a", Int64}, {"b", String}}, Columns: []any{[]int64{1}, []string{"x"}}, Rows: 1}
	if c, ok := tab.Column("b"); !ok || !reflect.DeepEqual(c, []string{"x"}) {
		t.Errorf("Column(b) = %v, %v, want [x], true", c, ok)
	}
	if c, ok := tab.Column("c"); ok {
		t.Errorf("Column(c) = %v, true, want false", c)
	}
}

func TestCreateTableRejects(t *testing.T) {
	tests := []struct {
		name   string
		fields []Field
	}{
		{"no fields", nil},
		{"an empty name", []Field{{"", Int64}}},
		{"a duplicate name", []Field{{"a", Int64}, {"a", String}}},
		{"an unknown type", []Field{{"a", Type(99)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.parquet")
			if w, err := CreateTable(path, tt.fields, nil); err == nil {
				w.Abort()
				t.Errorf("CreateTable(%v) = nil error, want one", tt.fields)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("CreateTable(%v) left a file (stat: %v)", tt.fields, err)
			}
		})
	}
}

func TestAppendRejects(t *testing.T) {
	tests := []struct {
		name string
		cols []any
	}{
		{"too few columns", []any{[]int64{1}}},
		{"a column of the wrong type", []any{[]int64{1}, []int64{1}}},
		{"a column that is not a slice", []any{[]int64{1}, "x"}},
		{"columns of different lengths", []any{[]int64{1, 2}, []string{"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.parquet")
			w, err := CreateTable(path, []Field{{"a", Int64}, {"b", String}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.Append(tt.cols...); err == nil {
				t.Errorf("Append(%v) = nil, want an error", tt.cols)
			}
		})
	}
}

func TestAbortRemovesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, err := createTable(path, allFields, nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(allColumns(40)...); err != nil { // two row groups on disk
		t.Fatal(err)
	}
	w.Abort()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Abort, stat = %v, want not exist", err)
	}
	if err := w.Append(allColumns(1)...); err == nil {
		t.Error("Append after Abort = nil, want an error")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort = nil, want an error")
	}
}

func TestAbortAfterCloseKeepsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, err := CreateTable(path, allFields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(allColumns(3)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if tab, err := ReadTable(path); err != nil || tab.Rows != 3 {
		t.Errorf("ReadTable after Close and Abort = %v, %v; want 3 rows", tab, err)
	}
}

func TestWriteErrorRemovesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, err := createTable(path, allFields, nil, 16)
	if err != nil {
		t.Fatal(err)
	}
	w.f.Close() // every write to the file now fails
	w.sink.w.Reset(w.f)
	err = w.Append(allColumns(2000)...)
	if err == nil {
		err = w.Close()
	} else if cerr := w.Close(); cerr == nil {
		t.Error("Close after a failed Append = nil, want the error")
	}
	if err == nil {
		t.Fatal("writing to a closed file gave no error")
	}
	if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("after a write error (%v), stat = %v, want not exist", err, serr)
	}
}

func TestReadersRejectBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	if err := WriteFile(good, testDataset(500, 2, 3), nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := slices.Clone(b)
	for i := 100; i < len(flipped)/2; i += 97 { // the pages, not the footer
		flipped[i] ^= 0xff
	}
	paths := map[string]string{
		"a missing file":            filepath.Join(dir, "missing.parquet"),
		"an empty file":             write("empty.parquet", nil),
		"a CSV file":                write("x.parquet", []byte("a,b\n1,2\n")),
		"a file cut in half":        write("half.parquet", b[:len(b)/2]),
		"a file without its footer": write("nofooter.parquet", b[:len(b)-8]),
		"a file with damaged pages": write("flipped.parquet", flipped),
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadFile(path); err == nil {
				t.Errorf("ReadFile(%s) = nil error, want one", name)
			}
			if _, err := ReadTable(path); err == nil {
				t.Errorf("ReadTable(%s) = nil error, want one", name)
			}
			if _, err := ReadSplit(path); err == nil {
				t.Errorf("ReadSplit(%s) = nil error, want one", name)
			}
		})
	}
	if _, err := ReadFile(paths["a missing file"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestReadFileRejectsOtherTables(t *testing.T) {
	dir := t.TempDir()
	meta := map[string]string{"nnpipe.classes": `["a","b"]`}
	tests := []struct {
		name   string
		fields []Field
		meta   map[string]string
		cols   []any
	}{
		{"no classes metadata", []Field{{"x", Float64}, {"label", Int32}, {"label_name", String}}, nil,
			[]any{[]float64{1}, []int32{0}, []string{"a"}}},
		{"a label out of range", []Field{{"x", Float64}, {"label", Int32}, {"label_name", String}}, meta,
			[]any{[]float64{1}, []int32{2}, []string{"a"}}},
		{"a label name that disagrees", []Field{{"x", Float64}, {"label", Int32}, {"label_name", String}}, meta,
			[]any{[]float64{1}, []int32{0}, []string{"b"}}},
		{"a NaN feature", []Field{{"x", Float64}, {"label", Int32}, {"label_name", String}}, meta,
			[]any{[]float64{math.NaN()}, []int32{0}, []string{"a"}}},
		{"an int64 feature", []Field{{"x", Int64}, {"label", Int32}, {"label_name", String}}, meta,
			[]any{[]int64{1}, []int32{0}, []string{"a"}}},
		{"no label column", []Field{{"x", Float64}, {"label_name", String}}, meta,
			[]any{[]float64{1}, []string{"a"}}},
		{"no rows", []Field{{"x", Float64}, {"label", Int32}, {"label_name", String}}, meta,
			[]any{[]float64{}, []int32{}, []string{}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(i)+".parquet")
			writeTable(t, path, tt.fields, tt.meta, RowGroupRows, tt.cols)
			if d, err := ReadFile(path); err == nil {
				t.Errorf("ReadFile(%s) = %+v, want an error", tt.name, d)
			}
		})
	}
}

// TestTableWriterBuffersOneRowGroup appends many small batches and checks that the writer
// never holds more than one row group, however many rows go through it.
func TestTableWriterBuffersOneRowGroup(t *testing.T) {
	const groupRows = 1000
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, err := createTable(path, allFields, nil, groupRows)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	batch := allColumns(333)
	for range 100 { // 33,300 rows
		if err := w.Append(batch...); err != nil {
			t.Fatal(err)
		}
		for i, b := range w.buf {
			if c := reflect.ValueOf(b).Cap(); c > groupRows {
				t.Fatalf("buffer of column %d holds %d rows, want at most %d", i, c, groupRows)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 33300 {
		t.Errorf("ReadTable rows = %d, want 33300", tab.Rows)
	}
}
