package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// numKind is how a Parquet column's values become float64 features or integer labels.
type numKind int

const (
	notNumeric numKind = iota
	kindDouble
	kindFloat
	kindInt32  // INT32, plain or a signed INT(8|16|32)
	kindUint32 // INT32 holding an unsigned INT(8|16|32)
	kindInt64  // INT64, plain or signed INT(64)
)

// numericKind classifies a column for use as a feature or integer label.
func numericKind(sc *schema.Schema, col *schema.Column) numKind {
	if isNested(sc, col) {
		return notNumeric
	}
	lt := col.LogicalType()
	it, isInt := lt.(schema.IntLogicalType)
	switch col.PhysicalType() {
	case parquet.Types.Double:
		if lt.IsNone() {
			return kindDouble
		}
	case parquet.Types.Float:
		if lt.IsNone() {
			return kindFloat
		}
	case parquet.Types.Int32:
		switch {
		case lt.IsNone() || isInt && it.IsSigned():
			return kindInt32
		case isInt:
			return kindUint32
		}
	case parquet.Types.Int64:
		if lt.IsNone() || isInt && it.IsSigned() {
			return kindInt64
		}
	}
	return notNumeric
}

// unreadNumbers reports whether a flat column holds numbers that are no feature's type:
// DECIMAL, FLOAT16 or unsigned 64-bit integers. Taken by default, such a column is refused
// rather than left out: the same numbers in a CSV file would be a feature, and a table
// written from SQL or by pandas often holds them.
func unreadNumbers(sc *schema.Schema, col *schema.Column) bool {
	if isNested(sc, col) {
		return false
	}
	switch lt := col.LogicalType().(type) {
	case schema.DecimalLogicalType, schema.Float16LogicalType:
		return true
	case schema.IntLogicalType:
		return !lt.IsSigned()
	}
	return false
}

// notAFeature says why the column col, which numericKind finds no feature type, cannot be
// one: numbers of a type nnpipe does not read (a DECIMAL, a FLOAT16, an unsigned 64-bit
// integer) are named as numbers, with the type to store them as, rather than answered with
// "want … integers" beside an integer type.
func notAFeature(sc *schema.Schema, col *schema.Column) string {
	if unreadNumbers(sc, col) {
		return fmt.Sprintf("holds numbers of type %s, which nnpipe does not read as a feature; store them as DOUBLE", describeType(sc, col))
	}
	return fmt.Sprintf("unsupported type %s for a feature; want DOUBLE, FLOAT or integers", describeType(sc, col))
}

// isStringColumn reports whether a column holds text labels.
func isStringColumn(sc *schema.Schema, col *schema.Column) bool {
	t, ok := tableType(sc, col)
	return ok && t == String
}

// loadParquet is Load for the Parquet file f, named path, of size bytes. The caller closes f.
// It checks the footer (openParquetAt), chooses the columns, then decodes them.
func loadParquet(ctx context.Context, path string, f parquet.ReaderAtSeeker, size int64, opt LoadOptions) (d *Dataset, err error) {
	fail := func(column string, format string, args ...any) error {
		return &LoadError{File: path, Column: column, Err: fmt.Errorf(format, args...)}
	}
	if size == 0 {
		return nil, fail("", "empty file")
	}
	defer func() {
		if p := recover(); p != nil { // see recoverCorrupt
			d, err = nil, fail("", "corrupt Parquet file: %v", p)
		}
	}()
	r, err := openParquetAt(f, size)
	if err != nil {
		if errors.Is(err, errFooter) {
			return nil, fail("", "%v", err)
		}
		return nil, fail("", "not a readable Parquet file: %v", err)
	}
	cols, err := chooseParquetColumns(r.MetaData().Schema, opt, fail)
	if err != nil {
		return nil, err
	}
	for k, list := range [][]int{cols.features, cols.keep} {
		for _, c := range list {
			if err := reservedName(cols.names[c], k == 1); err != nil {
				return nil, fail(cols.names[c], "%v", err)
			}
		}
	}
	n := r.NumRows()
	if n == 0 {
		return nil, fail("", "no rows")
	}
	if err := checkValues(n, len(cols.features)+1+len(cols.keep), size); err != nil {
		return nil, fail("", "%v", err)
	}
	d, lr, err := readParquetColumns(ctx, r, cols, size)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, chunkLoadError(path, err)
	}
	if cols.labelText {
		d.Classes = textClasses(lr.texts.keys, d.Labels)
	} else {
		d.Classes = intClasses(lr.ints.keys, d.Labels)
	}
	if len(d.Classes) < 2 {
		return nil, fail(opt.Label, "%v", singleClass(d.Classes[0]))
	}
	if len(d.Classes) > MaxClasses {
		return nil, fail(opt.Label, "%v", tooManyClasses(len(d.Classes)))
	}
	if err := d.Validate(); err != nil {
		return nil, fail("", "%v", err) // not expected: every check above comes first
	}
	return d, nil
}

// parquetColumns are the columns of a Parquet file that a load reads, by position.
type parquetColumns struct {
	names     []string // every column's name
	label     int
	labelText bool // the label column holds strings, not integers
	features  []int
	keep      []int
}

// chooseParquetColumns finds the columns opt names in the schema sc, or the numeric ones
// when it names no features, and checks that each has a type its role can take. fail makes
// the errors.
func chooseParquetColumns(sc *schema.Schema, opt LoadOptions, fail func(column string, format string, args ...any) error) (parquetColumns, error) {
	var cols parquetColumns
	names := make([]string, sc.NumColumns())
	index := make(map[string]int, len(names))
	dup := make(map[string]bool)
	for i := range names {
		names[i] = sc.Column(i).Path()
		j, ok := index[names[i]]
		switch {
		case !ok:
			index[names[i]] = i
		case names[i] != "":
			return cols, fail(names[i], "appears twice in the file, as columns %d and %d", j+1, i+1)
		default:
			dup[names[i]] = true // unnamed columns, which cannot be chosen anyway
		}
	}
	cols.names = names
	lookup := func(name, role string) (int, error) {
		i, ok := index[name]
		if !ok {
			return 0, fail(name, "%s column not in the file (%s)", role, listColumns(names))
		}
		if dup[name] {
			return 0, fail(name, "appears more than once in the file")
		}
		return i, nil
	}
	var err error
	if cols.label, err = lookup(opt.Label, "label"); err != nil {
		return cols, err
	}
	labelKind := numericKind(sc, sc.Column(cols.label))
	cols.labelText = isStringColumn(sc, sc.Column(cols.label))
	if labelKind == kindDouble || labelKind == kindFloat || labelKind == notNumeric && !cols.labelText {
		return cols, fail(opt.Label, "unsupported type %s for a label; want integers or strings", describeType(sc, sc.Column(cols.label)))
	}
	cols.keep = make([]int, len(opt.Keep))
	kept := make(map[int]bool, len(opt.Keep))
	for k, name := range opt.Keep {
		i, err := lookup(name, "kept")
		if err != nil {
			return cols, err
		}
		if keptKind(sc, sc.Column(i)) == notKeepable {
			return cols, fail(name, "unsupported type %s for a kept column; want strings, integers, DOUBLE, FLOAT or BOOLEAN", describeType(sc, sc.Column(i)))
		}
		cols.keep[k], kept[i] = i, true
	}
	for _, f := range opt.Features {
		i, err := lookup(f, "feature")
		if err != nil {
			return cols, err
		}
		if numericKind(sc, sc.Column(i)) == notNumeric {
			return cols, fail(f, "%s", notAFeature(sc, sc.Column(i)))
		}
		cols.features = append(cols.features, i)
	}
	if len(opt.Features) > 0 {
		return cols, nil
	}
	for i := range names {
		if i == cols.label || kept[i] || dup[names[i]] || isUnnamedIndex(names[i]) {
			continue
		}
		if numericKind(sc, sc.Column(i)) != notNumeric {
			cols.features = append(cols.features, i)
		} else if unreadNumbers(sc, sc.Column(i)) {
			return cols, fail(names[i], "holds numbers of type %s, which nnpipe does not read as a feature; list the features to leave the column out (or store it as DOUBLE)", describeType(sc, sc.Column(i)))
		}
	}
	if len(cols.features) == 0 {
		return cols, fail("", "no feature columns: no column but the label is numeric (%s)", listColumns(names))
	}
	for _, c := range cols.features {
		if err := checkName(names[c], c); err != nil {
			return cols, fail(names[c], "%v", err)
		}
	}
	return cols, nil
}

// readParquetColumns decodes the chosen columns of r, a file of size bytes, into a new
// dataset, whose classes are not set yet, and returns it with the label reader that saw
// them. It checks ctx at every column chunk.
func readParquetColumns(ctx context.Context, r *file.Reader, cols parquetColumns, size int64) (*Dataset, *labelReader, error) {
	// The arrays get the room the footer claims only if the file is large enough for the
	// claim to be plausible; in each row group the label column is decoded first, growing its
	// array as values arrive, and the other columns get room for the rows it held.
	dims := len(cols.features)
	est := presize(r.NumRows(), dims+1+len(cols.keep), size)
	d := &Dataset{Features: make([]string, dims), X: make([]float64, 0, est*dims), Labels: make([]int32, 0, est)}
	featOf := make(map[int]int, dims) // column -> feature index
	for k, c := range cols.features {
		d.Features[k] = cols.names[c]
		featOf[c] = k
	}
	keepOf := make(map[int]int, len(cols.keep)) // column -> extra column index
	for k, c := range cols.keep {
		d.Extra = append(d.Extra, Column{Name: cols.names[c], Values: make([]string, 0, est)})
		keepOf[c] = k
	}
	fr := featureReader{d: d, dims: dims}
	lr := &labelReader{labels: &d.Labels, texts: newClassSet(strings.Clone), ints: newClassSet(func(v int64) int64 { return v })}
	var kr keepReader
	order := append(append([]int{cols.label}, cols.features...), cols.keep...)
	err := forEachChunk(ctx, r, order, func(row0, rows int64, i int, cr file.ColumnChunkReader) error {
		if i == cols.label {
			if err := lr.read(cr, row0, rows); err != nil {
				return err
			}
			end := int(row0 + rows) // as many labels were decoded
			d.X = growTo(d.X, end*dims)
			for k := range d.Extra {
				d.Extra[k].Values = growTo(d.Extra[k].Values, end)
			}
			return nil
		}
		if k, ok := keepOf[i]; ok {
			return kr.read(cr, d.Extra[k].Values[row0:row0+rows])
		}
		return fr.read(cr, featOf[i], row0, rows)
	})
	if err != nil {
		return nil, nil, err
	}
	return d, lr, nil
}

// chunkLoadError turns an error of readParquetColumns into a *LoadError naming the column
// and the row it was found at, when it knows them.
func chunkLoadError(path string, err error) *LoadError {
	le := &LoadError{File: path, Err: err}
	var ce *columnError
	if errors.As(err, &ce) {
		le.Column, le.Err = ce.column, ce.err
	}
	var re *rowError
	if errors.As(le.Err, &re) {
		le.Row, le.Err = int(re.row)+1, re.err
	}
	return le
}

// featureReader decodes feature columns into the row-major matrix d.X, which has room for
// the row group's rows, converting to float64 and rejecting NaN and ±Inf.
type featureReader struct {
	d    *Dataset
	dims int
	f64  []float64
	f32  []float32
	i32  []int32
	i64  []int64
	defs []int16
}

func (fr *featureReader) read(cr file.ColumnChunkReader, j int, row0, rows int64) error {
	if cr.Descriptor().MaxDefinitionLevel() > 0 && fr.defs == nil {
		fr.defs = make([]int16, batchRows)
	}
	var defs []int16
	if cr.Descriptor().MaxDefinitionLevel() > 0 {
		defs = fr.defs
	}
	fr.f64 = scratch(fr.f64)
	// put stores a batch of values that starts at chunk row done.
	put := func(done int64, v []float64) error {
		x := fr.d.X[(row0+done)*int64(fr.dims)+int64(j):]
		for k, f := range v {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return &rowError{row: done + int64(k), err: fmt.Errorf("%v is not a finite number", f)}
			}
			x[k*fr.dims] = f
		}
		return nil
	}
	conv := fr.f64 // other types are converted into it, batch by batch
	switch c := cr.(type) {
	case *file.Float64ColumnChunkReader:
		return readBatches(c, defs, rows, func(int64) []float64 { return fr.f64 }, put)
	case *file.Float32ColumnChunkReader:
		fr.f32 = scratch(fr.f32)
		return readBatches(c, defs, rows, func(int64) []float32 { return fr.f32 }, func(done int64, v []float32) error {
			for k, f := range v {
				conv[k] = float64(f)
			}
			return put(done, conv[:len(v)])
		})
	case *file.Int32ColumnChunkReader:
		fr.i32 = scratch(fr.i32)
		unsigned := isUnsigned(cr)
		return readBatches(c, defs, rows, func(int64) []int32 { return fr.i32 }, func(done int64, v []int32) error {
			for k, i := range v {
				if unsigned {
					conv[k] = float64(uint32(i))
				} else {
					conv[k] = float64(i)
				}
			}
			return put(done, conv[:len(v)])
		})
	case *file.Int64ColumnChunkReader:
		fr.i64 = scratch(fr.i64)
		return readBatches(c, defs, rows, func(int64) []int64 { return fr.i64 }, func(done int64, v []int64) error {
			for k, i := range v {
				conv[k] = float64(i)
			}
			return put(done, conv[:len(v)])
		})
	}
	return fmt.Errorf("unexpected column reader %T", cr)
}

// isUnsigned reports whether an INT32 column holds unsigned INT(8|16|32) values.
func isUnsigned(cr file.ColumnChunkReader) bool {
	it, ok := cr.Descriptor().LogicalType().(schema.IntLogicalType)
	return ok && !it.IsSigned()
}

// scratch returns buf, allocated to batchRows values on first use.
func scratch[T any](buf []T) []T {
	if buf == nil {
		buf = make([]T, batchRows)
	}
	return buf
}

// labelReader decodes the label column into provisional class ids, appended to *labels as
// they are decoded.
type labelReader struct {
	labels *[]int32
	texts  *classSet[string]
	ints   *classSet[int64]
	bas    []parquet.ByteArray
	i32    []int32
	i64    []int64
	defs   []int16
}

func (lr *labelReader) read(cr file.ColumnChunkReader, row0, rows int64) error {
	var defs []int16
	if cr.Descriptor().MaxDefinitionLevel() > 0 {
		lr.defs = scratch(lr.defs)
		defs = lr.defs
	}
	// dst returns where the n labels of a batch that starts at chunk row done go.
	dst := func(done int64, n int) []int32 {
		at := int(row0 + done)
		*lr.labels = growTo(*lr.labels, at+n)
		return (*lr.labels)[at-int(done):]
	}
	switch c := cr.(type) {
	case *file.ByteArrayColumnChunkReader:
		lr.bas = scratch(lr.bas)
		return readBatches(c, defs, rows, func(int64) []parquet.ByteArray { return lr.bas }, func(done int64, v []parquet.ByteArray) error {
			dst := dst(done, len(v))
			for k, b := range v {
				s := bytes.TrimSpace(b)
				if len(s) == 0 {
					return &rowError{row: done + int64(k), err: errors.New("empty label")}
				}
				if !utf8.Valid(s) {
					return &rowError{row: done + int64(k), err: errors.New(notText(string(s)))}
				}
				dst[done+int64(k)] = textID(lr.texts, s)
			}
			return nil
		})
	case *file.Int32ColumnChunkReader:
		lr.i32 = scratch(lr.i32)
		unsigned := isUnsigned(cr)
		return readBatches(c, defs, rows, func(int64) []int32 { return lr.i32 }, func(done int64, v []int32) error {
			dst := dst(done, len(v))
			for k, l := range v {
				w := int64(l)
				if unsigned {
					w = int64(uint32(l))
				}
				dst[done+int64(k)] = lr.ints.id(w)
			}
			return nil
		})
	case *file.Int64ColumnChunkReader:
		lr.i64 = scratch(lr.i64)
		return readBatches(c, defs, rows, func(int64) []int64 { return lr.i64 }, func(done int64, v []int64) error {
			dst := dst(done, len(v))
			for k, l := range v {
				dst[done+int64(k)] = lr.ints.id(l)
			}
			return nil
		})
	}
	return fmt.Errorf("unexpected column reader %T", cr)
}

// textID is classSet.id for a label held as bytes, without converting a known label to a
// string (map lookups and comparisons with string(b) do not allocate).
func textID(c *classSet[string], b []byte) int32 {
	if c.lastN >= 0 && string(b) == c.last {
		return c.lastN
	}
	if n, ok := c.ids[string(b)]; ok {
		c.last, c.lastN = c.keys[n], n
		return n
	}
	return c.id(string(b))
}

// keepKind is how a kept Parquet column's values become text.
type keepKind int

const (
	notKeepable keepKind = iota
	keepText
	keepNumber
	keepBool
)

// keptKind classifies a column for use as a kept column.
func keptKind(sc *schema.Schema, col *schema.Column) keepKind {
	switch {
	case isStringColumn(sc, col):
		return keepText
	case numericKind(sc, col) != notNumeric:
		return keepNumber
	}
	if t, ok := tableType(sc, col); ok && t == Bool {
		return keepBool
	}
	return notKeepable
}

// keepReader decodes kept columns into text: strings trimmed as in a CSV file, integers in
// decimal, floating-point numbers in their shortest exact form, booleans as true and false.
// Values seen before share one string, so a 0/1 or train/test column costs no allocation per
// row.
type keepReader struct {
	bas   []parquet.ByteArray
	b     []bool
	f32   []float32
	f64   []float64
	i32   []int32
	i64   []int64
	defs  []int16
	texts map[string]string
}

// text returns b (which it may not keep) as a string, or an equal string seen before, so
// that a column of few distinct values holds no copy per row; it remembers at most maxKnown.
func (kr *keepReader) text(b []byte) string {
	if s, ok := kr.texts[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(kr.texts) < maxKnown {
		kr.texts[s] = s
	}
	return s
}

// read decodes a kept column's chunk into dst, one row's text per element: strings trimmed
// and checked for UTF-8, numbers and booleans formatted as Go does. There is one case per
// Parquet physical type, side by side so that their conversions can be compared.
func (kr *keepReader) read(cr file.ColumnChunkReader, dst []string) error {
	if kr.texts == nil {
		kr.texts = make(map[string]string)
	}
	var defs []int16
	if cr.Descriptor().MaxDefinitionLevel() > 0 {
		kr.defs = scratch(kr.defs)
		defs = kr.defs
	}
	rows := int64(len(dst))
	var buf []byte
	put := func(i int64, b []byte) { dst[i] = kr.text(b) }
	switch c := cr.(type) {
	case *file.ByteArrayColumnChunkReader:
		kr.bas = scratch(kr.bas)
		return readBatches(c, defs, rows, func(int64) []parquet.ByteArray { return kr.bas }, func(done int64, v []parquet.ByteArray) error {
			for k, b := range v {
				b = bytes.TrimSpace(b)
				if !utf8.Valid(b) {
					return &rowError{row: done + int64(k), err: errors.New(notText(string(b)))}
				}
				put(done+int64(k), b)
			}
			return nil
		})
	case *file.BooleanColumnChunkReader:
		kr.b = scratch(kr.b)
		return readBatches(c, defs, rows, func(int64) []bool { return kr.b }, func(done int64, v []bool) error {
			for k, b := range v {
				dst[done+int64(k)] = strconv.FormatBool(b)
			}
			return nil
		})
	case *file.Float64ColumnChunkReader:
		kr.f64 = scratch(kr.f64)
		return readBatches(c, defs, rows, func(int64) []float64 { return kr.f64 }, func(done int64, v []float64) error {
			for k, f := range v {
				buf = strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
				put(done+int64(k), buf)
			}
			return nil
		})
	case *file.Float32ColumnChunkReader:
		kr.f32 = scratch(kr.f32)
		return readBatches(c, defs, rows, func(int64) []float32 { return kr.f32 }, func(done int64, v []float32) error {
			for k, f := range v {
				buf = strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)
				put(done+int64(k), buf)
			}
			return nil
		})
	case *file.Int32ColumnChunkReader:
		kr.i32 = scratch(kr.i32)
		unsigned := isUnsigned(cr)
		return readBatches(c, defs, rows, func(int64) []int32 { return kr.i32 }, func(done int64, v []int32) error {
			for k, i := range v {
				w := int64(i)
				if unsigned {
					w = int64(uint32(i))
				}
				buf = strconv.AppendInt(buf[:0], w, 10)
				put(done+int64(k), buf)
			}
			return nil
		})
	case *file.Int64ColumnChunkReader:
		kr.i64 = scratch(kr.i64)
		return readBatches(c, defs, rows, func(int64) []int64 { return kr.i64 }, func(done int64, v []int64) error {
			for k, i := range v {
				buf = strconv.AppendInt(buf[:0], i, 10)
				put(done+int64(k), buf)
			}
			return nil
		})
	}
	return fmt.Errorf("unexpected column reader %T", cr)
}
