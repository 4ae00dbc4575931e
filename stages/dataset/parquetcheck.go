package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// A Parquet file describes itself in its footer, and the decoder sizes its buffers from what
// the footer and the page headers claim. A file is data from outside, so nothing they claim is
// trusted before it is checked against the file's size and against the rest of the footer:
// a 700-byte file claiming 2³¹ rows must be an error, not a multi-gigabyte allocation.
const (
	// maxFooterBytes bounds the footer: a table of 10,000 columns in a hundred row groups
	// has a footer of a few tens of megabytes at most.
	maxFooterBytes = 64 << 20
	// maxFooterValues bounds the Thrift values (fields and list elements) the footer holds:
	// each becomes at least one Go object when the footer is decoded.
	maxFooterValues = 4 << 20
	// maxSchemaElements bounds the schema's elements, groups and columns: MaxColumns columns,
	// as many groups, and the root.
	maxSchemaElements = 2*MaxColumns + 1
	// maxValuesPerByte and freeValues bound the values a file may decode to: at most
	// freeValues plus maxValuesPerByte per byte of the file. Real columns of numbers take
	// several bytes a value; only a file whose every column repeats one value could compress
	// better, and those hold no information.
	maxValuesPerByte = 64
	freeValues       = 1 << 24
	// maxPageBytes is what any page may decompress to, beyond 8 bytes a value the file may
	// hold (see maxValuesPerByte); writers cut pages at about a megabyte.
	maxPageBytes = 16 << 20
	// maxThriftDepth bounds the nesting of structs in the footer; the footer's own layout
	// nests six deep.
	maxThriftDepth = 32
)

// errFooter is matched by every error of the checks here: a footer that cannot be a valid
// file's (footerError), or a valid file's that is larger than nnpipe reads (limitError).
var errFooter = errors.New("corrupt Parquet file")

// checkError is an error of the checks here; it matches errFooter.
type checkError struct{ msg string }

func (e *checkError) Error() string        { return e.msg }
func (e *checkError) Is(target error) bool { return target == errFooter }

// footerError is the error for a footer that lies or is malformed.
func footerError(format string, args ...any) error {
	return &checkError{errFooter.Error() + ": " + fmt.Sprintf(format, args...)}
}

// limitError is the error for a footer that may well be a valid file's, but describes more
// than nnpipe reads (columns, schema elements, footer values or bytes): saying the file is
// corrupt would send its owner looking for damage that is not there.
func limitError(format string, args ...any) error {
	return &checkError{"a Parquet file larger than nnpipe reads: " + fmt.Sprintf(format, args...)}
}

// openParquetAt opens the Parquet file r of size bytes: it checks the footer's shape before
// the decoder reads it (see skimFooter), opens it with page sizes bounded by the file's size,
// and checks what the footer says (see checkMetadata). Its buffers come from a
// reuseAllocator of its own.
func openParquetAt(r parquet.ReaderAtSeeker, size int64) (*file.Reader, error) {
	return openParquetWith(r, size, &reuseAllocator{})
}

// openParquetWith is openParquetAt with the decoder's buffers from mem.
func openParquetWith(r parquet.ReaderAtSeeker, size int64, mem memory.Allocator) (*file.Reader, error) {
	if size < 12 {
		return nil, fmt.Errorf("file too small (%d bytes)", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("read the footer: %w", err)
	}
	switch string(tail[4:]) {
	case "PAR1":
	case "PARE":
		return nil, errors.New("the file is encrypted, which nnpipe does not read")
	default:
		return nil, errors.New("no Parquet magic number at the end")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, footerError("the footer claims %d bytes in a file of %d", n, size)
	}
	if n > maxFooterBytes {
		return nil, limitError("a footer of %d bytes, more than %d", n, maxFooterBytes)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the footer: %w", err)
	}
	if err := skimFooter(footer); err != nil {
		return nil, err
	}
	// The decoder allocates what a page header claims before reading the page: a page is part
	// of the file, and decompresses to at most maxPageBytes.
	props := parquet.NewReaderProperties(mem)
	props.MaxCompressedPageSize = min(size, parquet.DefaultMaxCompressedPageSize)
	props.MaxUncompressedPageSize = min(maxPageBytes+8*maxValuesPerByte*size, parquet.DefaultMaxUncompressedPageSize)
	fr, err := file.NewParquetReader(r, file.WithReadProps(props))
	if err != nil {
		return nil, err
	}
	if err := checkMetadata(fr.MetaData(), size); err != nil {
		return nil, err
	}
	return fr, nil
}

// checkMetadata checks what a decoded footer says against the file's size and itself: the
// row count, the columns, each row group's rows against the total and against each of its
// column chunks' value counts, and each chunk's place in the file.
func checkMetadata(md *metadata.FileMetaData, size int64) error {
	sc := md.Schema
	if n := md.NumRows; n < 0 || n > math.MaxInt32 {
		return footerError("the footer claims %d rows, and a file holds 0 to %d", n, math.MaxInt32)
	}
	if sc.NumColumns() > MaxColumns {
		return limitError("%d columns, more than %d", sc.NumColumns(), MaxColumns)
	}
	var rows int64
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		n := rg.NumRows()
		if n < 0 || n > md.NumRows-rows {
			return footerError("row group %d claims %d rows, and the file %d in all", g, n, md.NumRows)
		}
		rows += n
		if rg.NumColumns() != sc.NumColumns() {
			return footerError("row group %d has %d column chunks for %d columns", g, rg.NumColumns(), sc.NumColumns())
		}
		for i := range sc.NumColumns() {
			cc, err := rg.ColumnChunk(i)
			if err != nil {
				return footerError("row group %d: %v", g, err)
			}
			if err := checkChunk(cc, n, sc.Column(i).MaxRepetitionLevel() == 0, size); err != nil {
				return footerError("row group %d, column %q: %v", g, sc.Column(i).Path(), err)
			}
		}
	}
	if rows != md.NumRows {
		return footerError("the row groups hold %d rows, the footer says %d", rows, md.NumRows)
	}
	return nil
}

// checkChunk checks a column chunk of a row group of rows rows; a flat column has one value
// a row, a repeated one at least one. The chunk of an empty row group must hold no value, and
// its place is not checked: writers leave it without a data page (arrow-go records the data
// page's offset as 0), and nothing of it is read (see forEachChunk).
func checkChunk(cc *metadata.ColumnChunkMetaData, rows int64, flat bool, size int64) error {
	if v := cc.NumValues(); v != rows && (flat || v < rows || rows == 0) {
		return fmt.Errorf("%d values in %d rows", v, rows)
	}
	if rows == 0 {
		return nil
	}
	start, length := cc.DataPageOffset(), cc.TotalCompressedSize()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 {
		if d := cc.DictionaryPageOffset(); d < 4 || d >= size {
			return fmt.Errorf("dictionary at byte %d of a file of %d", d, size)
		}
		start = min(start, cc.DictionaryPageOffset())
	}
	if start < 4 || length < 0 || length > size-start {
		return fmt.Errorf("%d bytes at byte %d of a file of %d", length, start, size)
	}
	return nil
}

// maxValues is the most values a Parquet file of size bytes may decode to.
func maxValues(size int64) int64 { return maxValuesPerByte*size + freeValues }

// checkValues reports a table of rows rows and perRow values a row that a file of size bytes
// may not decode to (see maxValuesPerByte).
func checkValues(rows int64, perRow int, size int64) error {
	if rows > 0 && int64(perRow) > maxValues(size)/rows {
		return fmt.Errorf("%d rows × %d columns is more values than nnpipe reads from a file of %d bytes (%d)",
			rows, perRow, size, maxValues(size))
	}
	return nil
}

// checkedPages passes a column chunk's pages on to the column reader after checking what
// each page header claims against the chunk: a dictionary of no more values than the chunk
// and no more than its bytes can hold (the decoder sizes the dictionary from the claim), data
// pages of no more values than the chunk has left.
type checkedPages struct {
	file.PageReader
	minBytes func(n int64) int64 // the fewest bytes n plain values can take
	values   int64               // the chunk's values
	seen     int64               // values of the data pages so far
	err      error
}

func newCheckedPages(pr file.PageReader, typ parquet.Type, typeLen int, values int64) *checkedPages {
	per := map[parquet.Type]int64{parquet.Types.Int32: 4, parquet.Types.Float: 4, parquet.Types.Int64: 8,
		parquet.Types.Double: 8, parquet.Types.Int96: 12, parquet.Types.ByteArray: 4,
		parquet.Types.FixedLenByteArray: int64(typeLen)}[typ]
	minBytes := func(n int64) int64 { return n * per }
	if typ == parquet.Types.Boolean {
		minBytes = func(n int64) int64 { return (n + 7) / 8 }
	}
	return &checkedPages{PageReader: pr, minBytes: minBytes, values: values}
}

// Next moves to the next page, if it passes the checks.
func (p *checkedPages) Next() bool {
	if p.err != nil || !p.PageReader.Next() {
		return false
	}
	pg := p.PageReader.Page()
	if d, ok := pg.(*file.DictionaryPage); ok {
		p.err = p.checkDictionary(d)
	} else if pg != nil {
		n := int64(pg.NumValues())
		if n < 0 || n > p.values-p.seen {
			p.err = fmt.Errorf("a data page claims %d values, and the chunk has %d left", n, p.values-p.seen)
		}
		p.seen += n
	}
	return p.err == nil
}

// Err returns the first failed check, or the page reader's error.
func (p *checkedPages) Err() error {
	if p.err != nil {
		return p.err
	}
	return p.PageReader.Err()
}

// GetDictionaryPage returns the chunk's dictionary page, if it passes the checks.
func (p *checkedPages) GetDictionaryPage() (*file.DictionaryPage, error) {
	d, err := p.PageReader.GetDictionaryPage()
	if err == nil && d != nil {
		err = p.checkDictionary(d)
	}
	return d, err
}

func (p *checkedPages) checkDictionary(d *file.DictionaryPage) error {
	n := int64(d.NumValues())
	if n < 0 || n > max(p.values, 1) || p.minBytes(n) > int64(len(d.Data())) {
		return fmt.Errorf("a dictionary page claims %d values in %d bytes, for %d values in the chunk", n, len(d.Data()), p.values)
	}
	return nil
}

// skimFooter walks the footer's Thrift encoding (the compact protocol) without decoding it,
// and refuses one whose decoding would cost far more memory than its size: more than
// maxFooterValues values, more than maxSchemaElements schema elements, structs nested deeper
// than maxThriftDepth, or a length or count that runs past its end.
func skimFooter(b []byte) error {
	s := &skimmer{b: b}
	s.structFields(0, func(id int16, typ byte) bool {
		if id != 2 || typ != tList { // FileMetaData.schema
			return false
		}
		n, elem := s.listHeader()
		if n > maxSchemaElements {
			s.fail(limitError("%d schema elements (columns and groups), more than %d", n, maxSchemaElements))
		}
		for range n {
			s.skip(elem, 1)
		}
		return true
	})
	return s.err
}

// The compact protocol's type codes.
const (
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
	tUUID   = 13
)

// skimmer reads compact-protocol Thrift, keeping only the first error.
type skimmer struct {
	b      []byte
	pos    int
	values int
	err    error
}

func (s *skimmer) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.pos = len(s.b)
}

func (s *skimmer) count(n int) {
	s.values += n
	if s.values > maxFooterValues {
		s.fail(limitError("more than %d values in the footer (write the table in fewer, larger row groups)", maxFooterValues))
	}
}

func (s *skimmer) byte() byte {
	if s.pos >= len(s.b) {
		s.fail(footerError("the footer ends early"))
		return 0
	}
	s.pos++
	return s.b[s.pos-1]
}

func (s *skimmer) uvarint() uint64 {
	v, n := binary.Uvarint(s.b[s.pos:])
	if n <= 0 {
		s.fail(footerError("a malformed number in the footer"))
		return 0
	}
	s.pos += n
	return v
}

// bytes skips n bytes.
func (s *skimmer) bytes(n uint64) {
	if n > uint64(len(s.b)-s.pos) {
		s.fail(footerError("a length of %d runs past the footer's end", n))
		return
	}
	s.pos += int(n)
}

// listHeader reads a list or set header: the element count (each element takes a byte at
// least, so a count beyond what is left is an error) and type.
func (s *skimmer) listHeader() (int, byte) {
	h := s.byte()
	n, typ := uint64(h>>4), h&0x0f
	if n == 15 {
		n = s.uvarint()
	}
	if n > uint64(len(s.b)-s.pos) {
		s.fail(footerError("a list of %d elements runs past the footer's end", n))
		return 0, typ
	}
	s.count(int(n))
	return int(n), typ
}

// structFields reads a struct's fields up to its stop byte, handing each to handle, which
// reads the value and returns true, or returns false to have it skipped.
func (s *skimmer) structFields(depth int, handle func(id int16, typ byte) bool) {
	if depth > maxThriftDepth {
		s.fail(footerError("structs nested more than %d deep in the footer", maxThriftDepth))
		return
	}
	var id int16
	for s.err == nil {
		h := s.byte()
		if h == 0 {
			return
		}
		typ := h & 0x0f
		if d := h >> 4; d != 0 {
			id += int16(d)
		} else {
			v := s.uvarint()
			id = int16(v>>1) ^ -int16(v&1)
		}
		s.count(1)
		if handle == nil || !handle(id, typ) {
			if typ != tTrue && typ != tFalse { // a field's bool is in its header
				s.skip(typ, depth+1)
			}
		}
	}
}

// skip skips a value of type typ.
func (s *skimmer) skip(typ byte, depth int) {
	switch typ {
	case tTrue, tFalse, tByte:
		s.byte()
	case tI16, tI32, tI64:
		s.uvarint()
	case tDouble:
		s.bytes(8)
	case tUUID:
		s.bytes(16)
	case tBinary:
		s.bytes(s.uvarint())
	case tList, tSet:
		n, elem := s.listHeader()
		for i := 0; i < n && s.err == nil; i++ {
			s.skip(elem, depth+1)
		}
	case tMap:
		n := s.uvarint()
		if n == 0 {
			return
		}
		if n > uint64(len(s.b)-s.pos) {
			s.fail(footerError("a map of %d entries runs past the footer's end", n))
			return
		}
		s.count(int(n))
		kv := s.byte()
		for i := uint64(0); i < n && s.err == nil; i++ {
			s.skip(kv>>4, depth+1)
			s.skip(kv&0x0f, depth+1)
		}
	case tStruct:
		s.structFields(depth, nil)
	default:
		s.fail(footerError("unknown Thrift type %d in the footer", typ))
	}
}
