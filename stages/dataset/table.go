package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// RowGroupRows is the most rows a [TableWriter] puts in one Parquet row group, and so the most
// rows it buffers: 64 Ki.
const RowGroupRows = 64 << 10

// createdBy is the created_by field of every file written here.
const createdBy = "nnpipe"

// codec compresses every column. Measured with the package benchmarks on 100,000 rows (8
// normal features; a predictions-like table), snappy wrote 2× faster than zstd (4.7 M against
// 2.0–2.5 M rows/s; 2.7 M against 1.5 M rows/s), read as fast, and its files were only 1.6%
// and 5% larger: float64 features and probabilities barely compress either way.
var codec = compress.Codecs.Snappy

// Type is the type of a table column.
type Type int

// The column types. In Go a column is a slice of the matching element type: []int64, []int32,
// []float64, []string or []bool. In Parquet they are the REQUIRED physical types INT64, INT32,
// DOUBLE, BYTE_ARRAY (annotated as UTF-8 strings) and BOOLEAN.
const (
	Int64 Type = iota
	Int32
	Float64
	String
	Bool
)

// String returns the type's name as used in error messages: int64, int32, float64, string, bool.
func (t Type) String() string {
	switch t {
	case Int64:
		return "int64"
	case Int32:
		return "int32"
	case Float64:
		return "float64"
	case String:
		return "string"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Field is one column of a table: its name and type.
type Field struct {
	Name string
	Type Type
}

// ClashingField returns the first name two of fields share, and whether there is one. A table
// of predictions puts the user's feature columns beside its own (row, label, predicted, p_0,
// …): a feature named like one of those cannot be written.
func ClashingField(fields []Field) (string, bool) {
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.Name] {
			return f.Name, true
		}
		seen[f.Name] = true
	}
	return "", false
}

// TableWriter streams rows into a Parquet file in row groups of at most [RowGroupRows] rows.
// It buffers at most one row group; columns are written one after the other as each row
// group fills.
//
// A TableWriter is not safe for concurrent use. After any error from Append, call Abort.
type TableWriter struct {
	path      string
	fields    []Field
	f         *os.File
	sink      *fileSink
	fw        *file.Writer
	groupRows int   // RowGroupRows, lowered by tests
	buf       []any // per field, the buffered rows of the current row group
	n         int   // buffered rows
	err       error // the first write error; sticky
	done      bool  // Close or Abort was called
	strs      stringScratch
}

// CreateTable creates (or truncates) the Parquet file at path for a table with the given
// fields and file-level key-value metadata, and returns a writer for its rows.
// Field names must be non-empty and distinct; at least one field is required.
func CreateTable(path string, fields []Field, meta map[string]string) (*TableWriter, error) {
	return createTable(path, fields, meta, RowGroupRows)
}

func createTable(path string, fields []Field, meta map[string]string, groupRows int) (*TableWriter, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("create table %s: no fields", path)
	}
	names := make([]string, len(fields))
	nodes := make(schema.FieldList, len(fields))
	props := []parquet.WriterProperty{
		parquet.WithCreatedBy(createdBy),
		parquet.WithCompression(codec),
		// No dictionary encoding, not even for repetitive strings (split, label_name): with
		// compression on (measured with zstd) it saved 1 byte a row (1.6%) on a 100,000-row
		// dataset, and it cost one heap allocation per value in arrow-go's dictionary encoder
		// (a closure in BinaryMemoTable.InsertOrGet) and 12% more write time.
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(int64(groupRows)),
	}
	for i, fd := range fields {
		names[i] = fd.Name
		node, err := columnNode(fd)
		if err != nil {
			return nil, fmt.Errorf("create table %s: %w", path, err)
		}
		nodes[i] = node
	}
	if err := uniqueNames("field", names); err != nil {
		return nil, fmt.Errorf("create table %s: %w", path, err)
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, nodes, -1)
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", path, err)
	}
	kv := metadata.NewKeyValueMetadata()
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys) // map order is random; sorted keys keep the bytes deterministic
	for _, k := range keys {
		if err := kv.Append(k, meta[k]); err != nil {
			return nil, fmt.Errorf("create table %s: metadata %q: %w", path, k, err)
		}
	}

	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	sink := &fileSink{w: bufio.NewWriterSize(f, 64<<10), f: f} // 64 KiB: 1 MiB cost a small table more than its data
	fw, err := file.NewParquetWriterWithError(sink, root,
		file.WithWriterProps(parquet.NewWriterProperties(props...)), file.WithWriteMetadata(kv))
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create table %s: %w", path, err)
	}
	return &TableWriter{
		path:      path,
		fields:    slices.Clone(fields),
		f:         f,
		sink:      sink,
		fw:        fw,
		groupRows: groupRows,
		buf:       make([]any, len(fields)),
	}, nil
}

// columnNode returns the Parquet schema node of a field.
func columnNode(fd Field) (schema.Node, error) {
	if fd.Name == "" {
		return nil, errors.New("field with an empty name")
	}
	req := parquet.Repetitions.Required
	switch fd.Type {
	case Int64:
		return schema.NewInt64Node(fd.Name, req, -1), nil
	case Int32:
		return schema.NewInt32Node(fd.Name, req, -1), nil
	case Float64:
		return schema.NewFloat64Node(fd.Name, req, -1), nil
	case Bool:
		return schema.NewBooleanNode(fd.Name, req, -1), nil
	case String:
		return schema.NewPrimitiveNodeLogical(fd.Name, req, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)
	}
	return nil, fmt.Errorf("field %q: unknown type %v", fd.Name, fd.Type)
}

// Append writes one batch of rows: cols[i] is the column of field i as []int64, []int32,
// []float64, []string or []bool, and all have the same length (which may be 0). Full row
// groups are written out as they fill; the rest stays buffered until the next Append or
// Close. Append keeps no reference to cols after it returns.
func (w *TableWriter) Append(cols ...any) error {
	if w.done {
		return fmt.Errorf("append to table %s: writer is closed", w.path)
	}
	if w.err != nil {
		return w.err
	}
	if len(cols) != len(w.fields) {
		return fmt.Errorf("append to table %s: %d columns, want %d", w.path, len(cols), len(w.fields))
	}
	n := -1
	for i, c := range cols {
		m, err := columnLen(c, w.fields[i])
		if err != nil {
			return fmt.Errorf("append to table %s: %w", w.path, err)
		}
		if n >= 0 && m != n {
			return fmt.Errorf("append to table %s: column %q has %d rows, column %q has %d",
				w.path, w.fields[i].Name, m, w.fields[0].Name, n)
		}
		n = m
	}
	for off := 0; off < n; {
		if w.n == 0 && n-off >= w.groupRows {
			// A whole row group in the caller's slices: write it without copying.
			if err := w.writeGroup(cols, off, off+w.groupRows); err != nil {
				return w.fail(err)
			}
			off += w.groupRows
			continue
		}
		k := min(w.groupRows-w.n, n-off)
		for i, c := range cols {
			w.buf[i] = appendColumn(w.buf[i], c, off, off+k, w.groupRows)
		}
		w.n += k
		off += k
		if w.n == w.groupRows {
			if err := w.flush(); err != nil {
				return w.fail(err)
			}
		}
	}
	return nil
}

// columnLen returns the length of a column after checking its Go type against the field.
func columnLen(c any, fd Field) (int, error) {
	var (
		n    int
		want Type
	)
	switch c := c.(type) {
	case []int64:
		n, want = len(c), Int64
	case []int32:
		n, want = len(c), Int32
	case []float64:
		n, want = len(c), Float64
	case []string:
		n, want = len(c), String
	case []bool:
		n, want = len(c), Bool
	default:
		return 0, fmt.Errorf("column %q is a %T, want the slice type of %v", fd.Name, c, fd.Type)
	}
	if want != fd.Type {
		return 0, fmt.Errorf("column %q is a %T, want the slice type of %v", fd.Name, c, fd.Type)
	}
	return n, nil
}

// appendColumn appends src[lo:hi] to the buffer dst of the same slice type (dst may be nil),
// never growing it beyond limit values.
func appendColumn(dst, src any, lo, hi, limit int) any {
	switch s := src.(type) {
	case []int64:
		d, _ := dst.([]int64)
		return appendBounded(d, s[lo:hi], limit)
	case []int32:
		d, _ := dst.([]int32)
		return appendBounded(d, s[lo:hi], limit)
	case []float64:
		d, _ := dst.([]float64)
		return appendBounded(d, s[lo:hi], limit)
	case []string:
		d, _ := dst.([]string)
		return appendBounded(d, s[lo:hi], limit)
	case []bool:
		d, _ := dst.([]bool)
		return appendBounded(d, s[lo:hi], limit)
	}
	panic(fmt.Sprintf("dataset: unexpected column type %T", src)) // columnLen checked the types
}

// appendBounded is append that doubles the capacity up to limit, and no further, so that a
// small table allocates little and a large one exactly one row group per column.
func appendBounded[T any](dst, src []T, limit int) []T {
	if need := len(dst) + len(src); need > cap(dst) {
		grown := make([]T, len(dst), min(max(2*cap(dst), need), limit))
		copy(grown, dst)
		dst = grown
	}
	return append(dst, src...)
}

// flush writes the buffered rows as one row group and empties the buffers.
func (w *TableWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	if err := w.writeGroup(w.buf, 0, w.n); err != nil {
		return err
	}
	for i, b := range w.buf {
		switch b := b.(type) {
		case []int64:
			w.buf[i] = b[:0]
		case []int32:
			w.buf[i] = b[:0]
		case []float64:
			w.buf[i] = b[:0]
		case []string:
			clear(b) // drop references to the caller's strings
			w.buf[i] = b[:0]
		case []bool:
			w.buf[i] = b[:0]
		}
	}
	w.n = 0
	return nil
}

// writeGroup writes rows [lo, hi) of cols as one row group.
func (w *TableWriter) writeGroup(cols []any, lo, hi int) error {
	rg, err := w.fw.AppendRowGroupChecked()
	if err != nil {
		return err
	}
	for i, c := range cols {
		cw, err := rg.NextColumn()
		if err != nil {
			return err
		}
		switch c := c.(type) {
		case []int64:
			_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch(c[lo:hi], nil, nil)
		case []int32:
			_, err = cw.(*file.Int32ColumnChunkWriter).WriteBatch(c[lo:hi], nil, nil)
		case []float64:
			_, err = cw.(*file.Float64ColumnChunkWriter).WriteBatch(c[lo:hi], nil, nil)
		case []bool:
			_, err = cw.(*file.BooleanColumnChunkWriter).WriteBatch(c[lo:hi], nil, nil)
		case []string:
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(w.strs.byteArrays(c[lo:hi]), nil, nil)
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", w.fields[i].Name, err)
		}
	}
	return rg.Close()
}

// fail records the first write error, wrapped with the file name.
func (w *TableWriter) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("write table %s: %w", w.path, err)
	}
	return w.err
}

// Close writes the buffered rows and the footer and closes the file. On error it removes the
// file (a caller's own os.Remove then reports fs.ErrNotExist, which it may ignore). Calling
// Close again returns nil after a success and the same error after a failure.
func (w *TableWriter) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err == nil {
		if err := w.flush(); err != nil {
			w.fail(err)
		}
	}
	if w.err != nil {
		w.f.Close()
		os.Remove(w.path)
		return w.err
	}
	if err := w.fw.Close(); err != nil { // writes the footer, then closes the sink and the file
		w.fail(err)
		os.Remove(w.path)
		return w.err
	}
	return nil
}

// Abort closes and removes the partial file. It does nothing after Close (whether Close
// succeeded or removed the file itself), so `defer w.Abort()` right after CreateTable is the
// idiomatic way to clean up on every error path.
func (w *TableWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.err == nil {
		w.err = fmt.Errorf("write table %s: aborted", w.path)
	}
	w.f.Close()
	os.Remove(w.path)
}

// fileSink buffers the Parquet writer's many small writes (page headers, levels) in front of
// the file. Close flushes and closes the file; the Parquet writer calls it from its own Close.
type fileSink struct {
	w *bufio.Writer
	f *os.File
}

func (s *fileSink) Write(p []byte) (int, error) { return s.w.Write(p) }

func (s *fileSink) Close() error {
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// stringScratch turns a batch of strings into Parquet byte arrays without an allocation per
// value: the bytes are copied into one reused buffer. The column writer copies what it keeps
// (dictionary, statistics, pages), so the buffer can be reused for the next batch.
type stringScratch struct {
	bytes []byte
	bas   []parquet.ByteArray
}

func (s *stringScratch) byteArrays(strs []string) []parquet.ByteArray {
	total := 0
	for _, v := range strs {
		total += len(v)
	}
	if s.bytes == nil {
		// Never nil: the statistics code reads a nil byte array as "no value", which would
		// leave an empty string out of the column's min and max.
		s.bytes = make([]byte, 0, max(total, 64))
	}
	s.bytes = slices.Grow(s.bytes[:0], total)
	s.bas = slices.Grow(s.bas[:0], len(strs))
	for _, v := range strs {
		start := len(s.bytes)
		s.bytes = append(s.bytes, v...)
		s.bas = append(s.bas, s.bytes[start:len(s.bytes):len(s.bytes)])
	}
	return s.bas
}
