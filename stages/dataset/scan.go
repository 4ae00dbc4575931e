package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// ScanOptions says which columns of a user's table [Scan] streams, and how to read it.
type ScanOptions struct {
	Format    string // "csv" or "parquet"; "" picks by extension (.csv, .parquet/.pq)
	Delimiter rune   // CSV only; 0 means ','
	NoHeader  bool   // CSV only: every line is data and the columns are c0, c1, …
	// NoHeaderOption is how the caller's user asks for NoHeader, named in the hint of an
	// error about a first line that looks like data ("--no-header" for a command's flag);
	// "" is the config key, "header: false".
	NoHeaderOption string
	Features       []string // required: the feature columns, found by name, in this order
	// Label, when set, names a column read as text when the file has it; a file without it
	// is scanned without labels.
	Label string
	// BatchRows bounds the rows of a batch; 0 means RowGroupRows.
	BatchRows int
	// SHA256 and TempDir are as in LoadOptions: when SHA256 is set, the bytes scanned must have
	// that digest, or the scan ends with an error matching ErrChanged instead of io.EOF.
	SHA256, TempDir string
}

// Batch is consecutive rows of a scanned table.
type Batch struct {
	Row0 int64     // the 0-based index of the batch's first data row in the file
	N    int       // the rows
	X    []float64 // N × features, row-major, each value a finite number
	// Labels holds each row's label as text (trimmed, as Load reads it; integers in decimal)
	// when the file has the label column, and is nil otherwise.
	Labels []string
}

// Scanner streams the rows of a user's CSV or Parquet table in batches of bounded size, so
// that a file of any length is read in bounded memory: [Scan] opens it, [Scanner.Next]
// returns one batch after the other. A Scanner is not safe for concurrent use.
type Scanner struct {
	path     string
	opt      ScanOptions
	hasLabel bool
	batch    Batch
	rows     int64 // rows returned so far
	close    []func()
	done     bool

	// CSV
	src  *source
	recs *csvRecords
	head *csvHeader
	cols []int // the feature columns' positions
	lab  int   // the label column's position, or -1
	ints map[string]string
	csv  *csvSplitter

	// Parquet
	pq     *file.Reader
	pqCols []int
	pqLab  int
	group  int   // the next row group
	left   int64 // rows left in the current row group
	chunks []file.ColumnChunkReader
	feat   featureReader
	kr     keepReader
}

// Scan opens the table at path and finds the columns opt names: every feature column must be
// there (and hold numbers, in a Parquet file), the label column may be. A problem is a
// *LoadError naming the file and the column, as for [Load]: a file that is missing, not a
// regular file, empty or without data rows, a feature column missing, a malformed or crafted
// file. The caller closes the scanner.
func Scan(ctx context.Context, path string, opt ScanOptions) (_ *Scanner, err error) {
	if len(opt.Features) == 0 {
		return nil, &LoadError{File: path, Err: errors.New("no feature columns given")}
	}
	if i, j := dupIndex(opt.Features); i >= 0 {
		return nil, &LoadError{File: path, Column: opt.Features[j], Err: errors.New("listed twice as a feature")}
	}
	if opt.BatchRows <= 0 {
		opt.BatchRows = RowGroupRows
	}
	format, err := fileFormat(path, opt.Format, opt.Delimiter, opt.NoHeader)
	if err != nil {
		return nil, err
	}
	f, st, err := openRegular(path)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	s := &Scanner{path: path, opt: opt, lab: -1, pqLab: -1, close: []func(){func() { f.Close() }}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	src := newSource(f, st, opt.SHA256)
	if format == "csv" {
		return s, s.openCSV(ctx, src)
	}
	if st.Size() == 0 {
		return nil, &LoadError{File: path, Err: errors.New("empty file")}
	}
	r, size := f, st.Size()
	if opt.SHA256 != "" {
		snap, err := snapshot(ctx, path, src, opt.TempDir)
		if err != nil {
			return nil, err
		}
		s.close = append(s.close, func() { snap.Close(); os.Remove(snap.Name()) })
		r, size = snap, src.n
	}
	return s, s.openParquet(r, size)
}

// emptyLabelProblem is what a scanned row with the label column but no label in it (a blank
// CSV cell, an empty Parquet string) is: a row that cannot be scored against its label, nor
// counted as a label the model never saw.
const emptyLabelProblem = "empty label: with the label column, every row needs one; leave the column out of the file to predict without labels"

// HasLabel reports whether the file has the label column.
func (s *Scanner) HasLabel() bool { return s.hasLabel }

// Metadata returns the value of key in a Parquet file's key-value metadata,
// and whether the file has it; a CSV file has none.
func (s *Scanner) Metadata(key string) (string, bool) {
	if s.pq == nil {
		return "", false
	}
	v := s.pq.MetaData().KeyValueMetadata().FindValue(key)
	if v == nil {
		return "", false
	}
	return *v, true
}

// Close releases the file (and the copy a digest check made). It is safe to call twice.
func (s *Scanner) Close() error {
	if s.csv != nil {
		s.csv.stop()
		s.csv = nil
	}
	for _, c := range s.chunks {
		if c != nil {
			c.Close()
		}
	}
	s.chunks = nil
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
	s.close = nil
	return nil
}

// Next returns the next batch of rows, which stays valid until the next call, or io.EOF after
// the last. It stops with ctx's error when ctx is done. A bad value is a *LoadError with the
// line (CSV) or row (Parquet) and the column; a file that changed while it was read, or whose
// bytes do not have ScanOptions.SHA256, ends the scan with an error matching ErrChanged
// instead of io.EOF.
func (s *Scanner) Next(ctx context.Context) (*Batch, error) {
	if s.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var err error
	if s.pq != nil {
		err = s.nextParquet(ctx)
	} else {
		err = s.nextCSV(ctx)
	}
	if err != nil {
		return nil, err
	}
	if len(s.batch.X) == 0 {
		s.done = true
		if s.rows == 0 { // a Parquet file without rows is refused when opened
			return nil, &LoadError{File: s.path, Line: 1, Err: errors.New("a header but no data rows")}
		}
		if s.src != nil { // a Parquet file was checked as it was copied
			if err := s.src.check(); err != nil {
				return nil, &LoadError{File: s.path, Err: err}
			}
		}
		return nil, io.EOF
	}
	s.batch.Row0 = s.rows
	s.batch.N = len(s.batch.X) / len(s.opt.Features)
	s.rows += int64(s.batch.N)
	return &s.batch, nil
}

// openParquet checks the footer of the Parquet file r of size bytes and finds the columns.
func (s *Scanner) openParquet(r *os.File, size int64) (err error) {
	fail := func(column string, format string, args ...any) error {
		return &LoadError{File: s.path, Column: column, Err: fmt.Errorf(format, args...)}
	}
	defer func() {
		if p := recover(); p != nil { // see recoverCorrupt
			err = fail("", "corrupt Parquet file: %v", p)
		}
	}()
	pq, err := openParquetAt(r, size)
	if err != nil {
		if errors.Is(err, errFooter) {
			return fail("", "%v", err)
		}
		return fail("", "not a readable Parquet file: %v", err)
	}
	s.pq = pq
	s.close = append(s.close, func() { pq.Close() })
	sc := pq.MetaData().Schema
	names := make([]string, sc.NumColumns())
	index := make(map[string]int, len(names))
	for i := range names {
		names[i] = sc.Column(i).Path()
		if j, ok := index[names[i]]; ok {
			return fail(names[i], "appears twice in the file, as columns %d and %d", j+1, i+1)
		}
		index[names[i]] = i
	}
	for _, f := range s.opt.Features {
		i, ok := index[f]
		if !ok {
			return fail(f, "feature column not in the file (%s)", listColumns(names))
		}
		if numericKind(sc, sc.Column(i)) == notNumeric {
			return fail(f, "%s", notAFeature(sc, sc.Column(i)))
		}
		s.pqCols = append(s.pqCols, i)
	}
	if i, ok := index[s.opt.Label]; ok && s.opt.Label != "" {
		if keptKind(sc, sc.Column(i)) == notKeepable {
			return fail(s.opt.Label, "unsupported type %s for the label; want strings, integers, DOUBLE, FLOAT or BOOLEAN", describeType(sc, sc.Column(i)))
		}
		s.pqLab, s.hasLabel = i, true
	}
	n := pq.NumRows()
	if n == 0 {
		return fail("", "no rows")
	}
	if err := checkValues(n, len(s.pqCols)+1, size); err != nil {
		return fail("", "%v", err)
	}
	s.chunks = make([]file.ColumnChunkReader, len(s.pqCols)+1)
	return nil
}

// nextParquet reads up to BatchRows rows of the current row group, moving to the next one
// when it is done.
func (s *Scanner) nextParquet(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil { // see recoverCorrupt
			err = &LoadError{File: s.path, Err: fmt.Errorf("corrupt Parquet file: %v", p)}
		}
	}()
	b := &s.batch
	b.X = b.X[:0]
	for s.left == 0 {
		if s.group == s.pq.NumRowGroups() {
			if s.rows != s.pq.NumRows() {
				return &LoadError{File: s.path, Err: fmt.Errorf("row groups hold %d rows, the footer says %d", s.rows, s.pq.NumRows())}
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.openGroup(); err != nil {
			return err
		}
	}
	d := len(s.pqCols)
	n := min(int64(s.opt.BatchRows), s.left)
	b.X = growTo(b.X[:0], int(n)*d)
	s.feat.d, s.feat.dims = &Dataset{X: b.X}, d
	for j, c := range s.chunks[:d] {
		if err := s.feat.read(c, j, 0, n); err != nil {
			return s.parquetError(c, err)
		}
	}
	if s.hasLabel {
		b.Labels = growTo(b.Labels[:0], int(n))
		c := s.chunks[d]
		if err := s.kr.read(c, b.Labels); err != nil {
			return s.parquetError(c, err)
		}
		for k, l := range b.Labels {
			if l == "" {
				return s.parquetError(c, &rowError{row: int64(k), err: errors.New(emptyLabelProblem)})
			}
		}
	}
	s.left -= n
	return nil
}

// openGroup opens the chunk readers of the next row group.
func (s *Scanner) openGroup() error {
	rg := s.pq.RowGroup(s.group)
	s.group++
	s.left = rg.NumRows()
	cols := s.pqCols
	if s.hasLabel {
		cols = append(cols[:len(cols):len(cols)], s.pqLab)
	}
	for k, i := range cols {
		if s.chunks[k] != nil {
			s.chunks[k].Close()
			s.chunks[k] = nil
		}
		c, err := openChunk(s.pq, rg, i)
		if err != nil {
			return chunkLoadError(s.path, err)
		}
		s.chunks[k] = c
	}
	return nil
}

// parquetError locates an error of the chunk c at the file's row: its rowError counts from
// the batch's first row.
func (s *Scanner) parquetError(c file.ColumnChunkReader, err error) error {
	var re *rowError
	if errors.As(err, &re) {
		re.row += s.rows
	}
	return chunkLoadError(s.path, &columnError{column: c.Descriptor().Path(), err: err})
}
