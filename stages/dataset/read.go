package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// batchRows bounds how many values of one column are decoded at a time when they go through
// a scratch buffer (strings, transposition into a row-major matrix, type conversion).
const batchRows = 8 << 10

// Table is a whole table read back: Columns[i] holds the values of Fields[i] as []int64,
// []int32, []float64, []string or []bool, each of length Rows. Meta is the file's key-value
// metadata (an empty map if it has none).
type Table struct {
	Fields  []Field
	Columns []any
	Meta    map[string]string
	Rows    int
}

// Column returns the values of the column with the given name and whether it exists.
func (t *Table) Column(name string) (any, bool) {
	for i, f := range t.Fields {
		if f.Name == name {
			return t.Columns[i], true
		}
	}
	return nil, false
}

// ReadTable reads a whole Parquet table: one written by [CreateTable], or any flat file whose
// columns map to a [Type] (INT64 and INT32, plain or annotated as signed integers; DOUBLE;
// BOOLEAN; BYTE_ARRAY, plain or annotated as strings). OPTIONAL columns are accepted as long
// as they hold no null.
func ReadTable(path string) (t *Table, err error) {
	defer recoverCorrupt(path, &err)
	r, size, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t, err = readTable(r, size, nil)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", path, err)
	}
	return t, nil
}

// ReadTableColumns is [ReadTable] of the columns pick chooses, by their
// index in fields, once it has seen the file's columns and its number of
// rows: the others are not decoded.
func ReadTableColumns(path string, pick func(fields []Field, rows int64) []int) (t *Table, err error) {
	defer recoverCorrupt(path, &err)
	r, size, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t, err = readTable(r, size, pick)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", path, err)
	}
	return t, nil
}

func readTable(r *file.Reader, size int64, pick func([]Field, int64) []int) (*Table, error) {
	sc := r.MetaData().Schema
	if kv := len(r.MetaData().KeyValueMetadata()); kv > maxMetaEntries {
		return nil, fmt.Errorf("%d key-value metadata entries, more than %d", kv, maxMetaEntries)
	}
	fields := make([]Field, sc.NumColumns())
	for i := range fields {
		col := sc.Column(i)
		typ, ok := tableType(sc, col)
		if !ok {
			return nil, fmt.Errorf("column %q: unsupported type %s", col.Path(), describeType(sc, col))
		}
		fields[i] = Field{Name: col.Name(), Type: typ}
	}
	n := r.NumRows()
	if err := checkValues(n, len(fields), size); err != nil {
		return nil, err
	}
	var picked []int // nil: every column
	if pick != nil {
		picked = []int{}
		for _, i := range pick(slices.Clone(fields), n) {
			if i >= 0 && i < len(fields) && !slices.Contains(picked, i) {
				picked = append(picked, i)
			}
		}
		slices.Sort(picked)
	}
	cols := make([]any, len(fields))
	est := presize(n, len(fields), size)
	for i, f := range fields {
		if picked == nil || slices.Contains(picked, i) {
			cols[i] = makeColumn(f.Type, est)
		}
	}
	var sr stringReader
	err := forEachChunk(context.Background(), r, picked, func(row0, rows int64, i int, cr file.ColumnChunkReader) error {
		defs := defScratch(cr)
		var err error
		switch col := cols[i].(type) {
		case []int64:
			err = readInto(cr.(*file.Int64ColumnChunkReader), defs, &col, row0, rows)
			cols[i] = col
		case []int32:
			err = readInto(cr.(*file.Int32ColumnChunkReader), defs, &col, row0, rows)
			cols[i] = col
		case []float64:
			err = readInto(cr.(*file.Float64ColumnChunkReader), defs, &col, row0, rows)
			cols[i] = col
		case []bool:
			err = readInto(cr.(*file.BooleanColumnChunkReader), defs, &col, row0, rows)
			cols[i] = col
		case []string:
			err = sr.read(cr.(*file.ByteArrayColumnChunkReader), defs, &col, row0, rows)
			cols[i] = col
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if picked != nil {
		kept := make([]Field, len(picked))
		keptCols := make([]any, len(picked))
		for k, i := range picked {
			kept[k], keptCols[k] = fields[i], cols[i]
		}
		fields, cols = kept, keptCols
	}
	return &Table{Fields: fields, Columns: cols, Meta: keyValues(r), Rows: int(n)}, nil
}

// ReadMeta returns the key-value metadata of a Parquet file (an empty map if it has none),
// reading its footer only.
func ReadMeta(path string) (meta map[string]string, err error) {
	defer recoverCorrupt(path, &err)
	r, _, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if kv := len(r.MetaData().KeyValueMetadata()); kv > maxMetaEntries {
		return nil, fmt.Errorf("read parquet %s: %d key-value metadata entries, more than %d", path, kv, maxMetaEntries)
	}
	return keyValues(r), nil
}

// makeColumn allocates an empty column of type t with room for n values.
func makeColumn(t Type, n int) any {
	switch t {
	case Int64:
		return make([]int64, 0, n)
	case Int32:
		return make([]int32, 0, n)
	case Float64:
		return make([]float64, 0, n)
	case String:
		return make([]string, 0, n)
	case Bool:
		return make([]bool, 0, n)
	}
	panic(fmt.Sprintf("dataset: unknown type %v", t))
}

// scratchLen is the length of a scratch buffer for a column the footer says has n rows:
// batchRows, or fewer for a short table (a sweep reads its small tables thousands of times).
// A footer that claims too few rows only makes the batches smaller.
func scratchLen(n int64) int { return int(max(1, min(n, batchRows))) }

// presize is the room to make for a table that a file of size bytes claims holds n rows of
// perRow values: the claim, unless the file is too small for it to be plausible (a byte a
// value), in which case the columns start smaller and grow as values are decoded. A file
// cannot make a reader allocate more than the values it actually decodes to.
func presize(n int64, perRow int, size int64) int {
	return int(min(n, size/int64(max(perRow, 1))+batchRows))
}

// growTo returns s with length at least n, reallocating (with room to grow, as append does)
// only when its capacity is short. It never shortens s.
func growTo[T any](s []T, n int) []T {
	switch {
	case n <= len(s):
		return s
	case n <= cap(s):
		return s[:n]
	}
	return slices.Grow(s, n-len(s))[:n]
}

// openParquet opens a Parquet file for reading, with its footer checked (see openParquetAt),
// and returns it with its size. Closing the reader closes the file.
func openParquet(path string) (*file.Reader, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read parquet: %w", err) // already names the file
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("read parquet: %w", err)
	}
	r, err := openParquetAt(f, st.Size())
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("read parquet %s: %w", path, err)
	}
	return r, st.Size(), nil
}

// recoverCorrupt turns a panic of the Parquet decoder into an error. The decoder is
// third-party code fed with bytes from disk; a damaged file must be a reported error, not a
// crash of the whole run.
func recoverCorrupt(path string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("read parquet %s: corrupt file: %v", path, p)
	}
}

// keyValues returns a file's key-value metadata as a map.
func keyValues(r *file.Reader) map[string]string {
	kv := r.MetaData().KeyValueMetadata()
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		if e.Value != nil {
			m[e.Key] = *e.Value
		} else {
			m[e.Key] = ""
		}
	}
	return m
}

// tableType maps a flat column to a [Type]; ok is false for anything else.
func tableType(sc *schema.Schema, col *schema.Column) (t Type, ok bool) {
	if isNested(sc, col) {
		return 0, false
	}
	lt := col.LogicalType()
	switch col.PhysicalType() {
	case parquet.Types.Int64:
		return Int64, isSignedInt(lt)
	case parquet.Types.Int32:
		return Int32, isSignedInt(lt)
	case parquet.Types.Double:
		return Float64, lt.IsNone()
	case parquet.Types.Boolean:
		return Bool, lt.IsNone()
	case parquet.Types.ByteArray:
		// An ENUM (as Avro's enums are written) is UTF-8 text like a STRING.
		_, str := lt.(schema.StringLogicalType)
		_, enum := lt.(schema.EnumLogicalType)
		return String, str || enum || lt.IsNone()
	}
	return 0, false
}

// isNested reports whether a leaf column is repeated or inside a group (a list, map or struct).
func isNested(sc *schema.Schema, col *schema.Column) bool {
	return col.MaxRepetitionLevel() > 0 || col.SchemaNode().Parent() != schema.Node(sc.Root())
}

// isSignedInt reports whether an integer column holds plain signed integers (no logical type,
// or INT(8|16|32|64, signed)), as opposed to dates, times, decimals or unsigned integers.
func isSignedInt(lt schema.LogicalType) bool {
	if lt.IsNone() {
		return true
	}
	it, ok := lt.(schema.IntLogicalType)
	return ok && it.IsSigned()
}

// describeType names a column's Parquet type for error messages, e.g. "INT32 (Date)",
// "DOUBLE", "nested".
func describeType(sc *schema.Schema, col *schema.Column) string {
	if isNested(sc, col) {
		return "nested or repeated " + col.PhysicalType().String()
	}
	s := col.PhysicalType().String()
	if lt := col.LogicalType(); !lt.IsNone() {
		s += " (" + lt.String() + ")"
	}
	return s
}

// forEachChunk calls fn for the chunks of the given columns (nil: all) in every row group that
// has rows, in file order (an empty row group has nothing to read); row0 is the file row of
// the group's first row and rows its row count. Each chunk's page headers are checked as they
// are read (see checkedPages). It closes each chunk reader, and stops with ctx's error between
// chunks when ctx is done. An error of fn comes back as a *columnError, and a *rowError inside
// it has its row moved from the chunk to the file.
func forEachChunk(ctx context.Context, r *file.Reader, cols []int, fn func(row0, rows int64, col int, cr file.ColumnChunkReader) error) error {
	sc := r.MetaData().Schema
	if cols == nil {
		cols = make([]int, sc.NumColumns())
		for i := range cols {
			cols[i] = i
		}
	}
	var row0 int64
	for g := range r.NumRowGroups() {
		rg := r.RowGroup(g)
		rows := rg.NumRows()
		if rows == 0 {
			continue // nothing to read, and its chunks' places are not checked (see checkChunk)
		}
		for _, i := range cols {
			if err := ctx.Err(); err != nil {
				return err
			}
			cr, err := openChunk(r, rg, i)
			if err != nil {
				return err
			}
			err = fn(row0, rows, i, cr)
			if cerr := cr.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				var re *rowError
				if errors.As(err, &re) {
					re.row += row0
				}
				return &columnError{column: cr.Descriptor().Path(), err: err}
			}
		}
		row0 += rows
	}
	if row0 != r.NumRows() {
		return fmt.Errorf("row groups hold %d rows, the footer says %d", row0, r.NumRows())
	}
	return nil
}

// openChunk returns a reader of column i's chunk in the row group rg of r, whose page headers
// are checked as they are read (see checkedPages). The caller closes it.
func openChunk(r *file.Reader, rg *file.RowGroupReader, i int) (file.ColumnChunkReader, error) {
	col := r.MetaData().Schema.Column(i)
	pr, err := rg.GetColumnPageReader(i)
	if err != nil {
		return nil, &columnError{column: col.Path(), err: err}
	}
	// NewColumnReader is the one way to put checks between the page headers and the decoder,
	// which sizes a dictionary from its header's claim. It takes any PageReader and calls only
	// that interface's methods (arrow-go v18.8.0, pinned); should it go, the build says so.
	//lint:ignore SA1019 see above
	return file.NewColumnReader(col, newCheckedPages(pr, col.PhysicalType(), col.TypeLength(), rg.NumRows()), memory.DefaultAllocator, r.BufferPool()), nil
}

// columnError is an error in one column of a Parquet file.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string { return fmt.Sprintf("column %q: %v", e.column, e.err) }
func (e *columnError) Unwrap() error { return e.err }

// rowError is an error at one row of a Parquet file; row is 0-based, in the column chunk
// until forEachChunk moves it to the file.
type rowError struct {
	row int64
	err error
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %v", e.row+1, e.err) }
func (e *rowError) Unwrap() error { return e.err }

// errNull reports a null in a column that must not have one.
var errNull = errors.New("null value")

// defScratch returns a definition-level buffer for an OPTIONAL column (to find a null's row)
// and nil for a REQUIRED one.
func defScratch(cr file.ColumnChunkReader) []int16 {
	if cr.Descriptor().MaxDefinitionLevel() == 0 {
		return nil
	}
	return make([]int16, batchRows)
}

// batchReader is the ReadBatch method shared by the typed column chunk readers.
type batchReader[T any] interface {
	ReadBatch(batchSize int64, values []T, defLvls, repLvls []int16) (total int64, valuesRead int, err error)
	Descriptor() *schema.Column
	Err() error // why the chunk ended, when a page could not be read
}

// readBatches reads the len(dst) values of a column chunk, decoding each batch into
// buf(done) (at least one value long) and handing it to use, if not nil. defs is nil for a
// REQUIRED column and a scratch buffer for an OPTIONAL one, which then must hold no null.
func readBatches[T any](r batchReader[T], defs []int16, rows int64, buf func(done int64) []T, use func(done int64, vals []T) error) error {
	maxDef := r.Descriptor().MaxDefinitionLevel()
	for done := int64(0); done < rows; {
		dst := buf(done)
		want := min(rows-done, int64(len(dst)))
		if defs != nil {
			want = min(want, int64(len(defs)))
		}
		lv, nv, err := r.ReadBatch(want, dst, defs, nil)
		if err != nil {
			return err
		}
		if lv == 0 {
			if err := r.Err(); err != nil {
				return err
			}
			return fmt.Errorf("column chunk ends after %d of %d rows", done, rows)
		}
		if int64(nv) != lv {
			for i, d := range defs[:lv] {
				if d < maxDef {
					return &rowError{row: done + int64(i), err: errNull}
				}
			}
			return fmt.Errorf("%d values for %d rows", nv, lv)
		}
		if use != nil {
			if err := use(done, dst[:nv]); err != nil {
				return err
			}
		}
		done += lv
	}
	return nil
}

// readInto decodes a column chunk of rows values straight into *col from row row0, growing
// *col a batch at a time as values are decoded, not to the row count the footer claims.
func readInto[T any](r batchReader[T], defs []int16, col *[]T, row0, rows int64) error {
	return readBatches(r, defs, rows, func(done int64) []T {
		*col = growTo(*col, int(row0+done+min(rows-done, batchRows)))
		return (*col)[row0+done:]
	}, nil)
}

// stringReader decodes string columns without an allocation per value: a value seen before
// is shared (most string columns repeat a few values: split, label_name, status), and the
// others of a batch are cut from one string allocated for the batch.
type stringReader struct {
	scratch []parquet.ByteArray
	known   map[string]string
	pending []int
}

// maxMetaEntries bounds the key-value metadata entries of a table read back: nnpipe writes a
// handful.
const maxMetaEntries = 1000

// maxKnown bounds the table of shared strings, so a column of distinct values cannot grow it
// without limit.
const maxKnown = 4096

// read decodes a column chunk of rows strings into *col from row row0, growing *col as values
// are decoded.
func (s *stringReader) read(r *file.ByteArrayColumnChunkReader, defs []int16, col *[]string, row0, rows int64) error {
	if n := scratchLen(rows); len(s.scratch) < n {
		s.scratch = make([]parquet.ByteArray, n)
	}
	s.known = make(map[string]string) // per column: values rarely repeat across columns
	return readBatches(r, defs, rows,
		func(int64) []parquet.ByteArray { return s.scratch },
		func(done int64, vals []parquet.ByteArray) error {
			at := int(row0 + done)
			*col = growTo(*col, at+len(vals))
			s.convert((*col)[at:at+len(vals)], vals)
			return nil
		})
}

// convert sets dst[i] to string(vals[i]).
func (s *stringReader) convert(dst []string, vals []parquet.ByteArray) {
	s.pending = s.pending[:0]
	total := 0
	for i, v := range vals {
		if k, ok := s.known[string(v)]; ok {
			dst[i] = k
			continue
		}
		if len(s.known) < maxKnown {
			k := string(v)
			s.known[k] = k
			dst[i] = k
			continue
		}
		s.pending = append(s.pending, i)
		total += len(v)
	}
	if len(s.pending) == 0 {
		return
	}
	var b strings.Builder
	b.Grow(total)
	for _, i := range s.pending {
		b.Write(vals[i])
	}
	arena := b.String()
	off := 0
	for _, i := range s.pending {
		n := len(vals[i])
		dst[i] = arena[off : off+n]
		off += n
	}
}
