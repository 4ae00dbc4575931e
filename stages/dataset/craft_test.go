package dataset

import (
	"encoding/binary"
	"math"
)

// This file builds Parquet files byte by byte, footer included, so that tests can give the
// readers files no writer would make: footers that lie about rows, columns, sizes and offsets,
// pages that lie about their values. The footer and the page headers are Thrift structs in
// the compact protocol; the field numbers are those of parquet.thrift.

// Compact protocol types.
const (
	ctI32    = 5
	ctI64    = 6
	ctBinary = 8
	ctList   = 9
	ctStruct = 12
)

// Parquet enum values.
const (
	pqBoolean   = 0
	pqInt32     = 1
	pqInt64     = 2
	pqDouble    = 5
	pqByteArray = 6

	pqRequired = 0
	pqOptional = 1

	pqPlain          = 0
	pqRLE            = 3
	pqPlainDict      = 2
	pqRLEDictionary  = 8
	pqDataPage       = 0
	pqDictionaryPage = 2
)

// thriftWriter writes compact-protocol Thrift.
type thriftWriter struct {
	b    []byte
	last []int16 // the last field id of each open struct
}

func (w *thriftWriter) varint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func zigzag(v int64) uint64             { return uint64(v<<1) ^ uint64(v>>63) }

func (w *thriftWriter) field(id int16, typ byte) {
	top := &w.last[len(w.last)-1]
	if d := id - *top; d > 0 && d <= 15 {
		w.b = append(w.b, byte(d)<<4|typ)
	} else {
		w.b = append(w.b, typ)
		w.varint(zigzag(int64(id)))
	}
	*top = id
}

func (w *thriftWriter) begin()                    { w.last = append(w.last, 0) }
func (w *thriftWriter) end()                      { w.b = append(w.b, 0); w.last = w.last[:len(w.last)-1] }
func (w *thriftWriter) i32(id int16, v int32)     { w.field(id, ctI32); w.varint(zigzag(int64(v))) }
func (w *thriftWriter) i64(id int16, v int64)     { w.field(id, ctI64); w.varint(zigzag(v)) }
func (w *thriftWriter) binary(id int16, v []byte) { w.field(id, ctBinary); w.rawBinary(v) }
func (w *thriftWriter) rawBinary(v []byte)        { w.varint(uint64(len(v))); w.b = append(w.b, v...) }
func (w *thriftWriter) structField(id int16, f func()) {
	w.field(id, ctStruct)
	w.begin()
	f()
	w.end()
}

// list writes a list field of n elements of type typ, each written by elem.
func (w *thriftWriter) list(id int16, typ byte, n int, elem func(i int)) {
	w.field(id, ctList)
	if n < 15 {
		w.b = append(w.b, byte(n)<<4|typ)
	} else {
		w.b = append(w.b, 0xf0|typ)
		w.varint(uint64(n))
	}
	for i := range n {
		if typ == ctStruct {
			w.begin()
			elem(i)
			w.end()
		} else {
			elem(i)
		}
	}
}

// craftPage is one page of a column chunk.
type craftPage struct {
	dict         bool  // a dictionary page
	numValues    int32 // as the header says
	encoding     int32
	body         []byte // uncompressed: the codec is always UNCOMPRESSED
	uncompressed int32  // the header's uncompressed size; 0: len(body)
	compressed   int32  // the header's compressed size; 0: len(body)
}

// craftColumn is a column and its chunk in the one row group.
type craftColumn struct {
	name       string
	typ        int32 // physical type
	optional   bool
	pages      []craftPage
	numValues  int64 // the chunk's num_values; -1: the row group's rows
	offset     int64 // the chunk's data_page_offset; -1: where its pages are
	dictOffset int64 // the chunk's dictionary_page_offset when it has a dictionary page; -1: where it is
	size       int64 // total_compressed_size; -1: the pages' size
}

// craftFile describes a whole file.
type craftFile struct {
	columns     []craftColumn
	rows        int64   // the footer's num_rows
	groupRows   []int64 // each row group's num_rows (every group has every column's chunk)
	meta        [][2]string
	extraLeaves int // more REQUIRED DOUBLE leaves in the schema, without chunks
}

// bytes returns the file.
func (c craftFile) bytes() []byte {
	out := []byte("PAR1")
	type placed struct{ offset, dictOffset, size int64 }
	where := make([]placed, len(c.columns))
	for i, col := range c.columns {
		where[i] = placed{offset: -1, dictOffset: -1}
		start := int64(len(out))
		for _, p := range col.pages {
			var h thriftWriter
			h.begin()
			typ := int32(pqDataPage)
			if p.dict {
				typ = pqDictionaryPage
			}
			h.i32(1, typ)
			un, cmp := p.uncompressed, p.compressed
			if un == 0 {
				un = int32(len(p.body))
			}
			if cmp == 0 {
				cmp = int32(len(p.body))
			}
			h.i32(2, un)
			h.i32(3, cmp)
			if p.dict {
				where[i].dictOffset = int64(len(out))
				h.structField(7, func() { h.i32(1, p.numValues); h.i32(2, p.encoding) })
			} else {
				if where[i].offset < 0 {
					where[i].offset = int64(len(out))
				}
				h.structField(5, func() { h.i32(1, p.numValues); h.i32(2, p.encoding); h.i32(3, pqRLE); h.i32(4, pqRLE) })
			}
			h.end()
			out = append(out, h.b...)
			out = append(out, p.body...)
		}
		if where[i].offset < 0 {
			where[i].offset = start
		}
		where[i].size = int64(len(out)) - start
	}
	var w thriftWriter
	w.begin()
	w.i32(1, 1)
	leaves := len(c.columns) + c.extraLeaves
	w.list(2, ctStruct, leaves+1, func(i int) {
		if i == 0 {
			w.binary(4, []byte("schema"))
			w.i32(5, int32(leaves))
			return
		}
		typ, rep, name := int32(pqDouble), int32(pqRequired), "extra"+itoa(i)
		if i <= len(c.columns) {
			col := c.columns[i-1]
			typ, name = col.typ, col.name
			if col.optional {
				rep = pqOptional
			}
		}
		w.i32(1, typ)
		w.i32(3, rep)
		w.binary(4, []byte(name))
	})
	w.i64(3, c.rows)
	w.list(4, ctStruct, len(c.groupRows), func(g int) {
		w.list(1, ctStruct, len(c.columns), func(i int) {
			col := c.columns[i]
			pick := func(v, dflt int64) int64 {
				if v < 0 {
					return dflt
				}
				return v
			}
			w.i64(2, where[i].offset)
			w.structField(3, func() {
				w.i32(1, col.typ)
				w.list(2, ctI32, 1, func(int) { w.varint(zigzag(pqPlain)) })
				w.list(3, ctBinary, 1, func(int) { w.rawBinary([]byte(col.name)) })
				w.i32(4, 0) // UNCOMPRESSED
				w.i64(5, pick(col.numValues, c.groupRows[g]))
				size := pick(col.size, where[i].size)
				w.i64(6, size)
				w.i64(7, size)
				w.i64(9, pick(col.offset, where[i].offset))
				if where[i].dictOffset >= 0 || col.dictOffset >= 0 {
					w.i64(11, pick(col.dictOffset, where[i].dictOffset))
				}
			})
		})
		w.i64(2, 0)
		w.i64(3, c.groupRows[g])
	})
	if c.meta != nil {
		w.list(5, ctStruct, len(c.meta), func(i int) {
			w.binary(1, []byte(c.meta[i][0]))
			w.binary(2, []byte(c.meta[i][1]))
		})
	}
	w.binary(6, []byte("craft"))
	w.end()
	out = append(out, w.b...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(w.b)))
	return append(out, "PAR1"...)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// plainDoubles and plainStrings are PLAIN page bodies.
func plainDoubles(v ...float64) []byte {
	var b []byte
	for _, f := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

func plainStrings(v ...string) []byte {
	var b []byte
	for _, s := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// rleRun is an RLE_DICTIONARY data page body: bit width, then one RLE run of n copies of index
// idx.
func rleRun(width byte, n uint64, idx uint64) []byte {
	b := []byte{width}
	b = binary.AppendUvarint(b, n<<1)
	for range (int(width) + 7) / 8 {
		b = append(b, byte(idx))
		idx >>= 8
	}
	return b
}

// validCraft is a well-formed file of 4 rows: DOUBLE x0 and x1, a string label; x1 and the
// label are dictionary encoded.
func validCraft() craftFile {
	return craftFile{
		rows:      4,
		groupRows: []int64{4},
		columns: []craftColumn{
			{name: "x0", typ: pqDouble, numValues: -1, offset: -1, dictOffset: -1, size: -1,
				pages: []craftPage{{numValues: 4, encoding: pqPlain, body: plainDoubles(0.5, 1.5, -2, 3)}}},
			{name: "x1", typ: pqDouble, numValues: -1, offset: -1, dictOffset: -1, size: -1,
				pages: []craftPage{
					{dict: true, numValues: 2, encoding: pqPlain, body: plainDoubles(7, 8)},
					{numValues: 4, encoding: pqRLEDictionary, body: append(rleRun(1, 2, 0), rleRun(1, 2, 1)[1:]...)},
				}},
			{name: "label", typ: pqByteArray, numValues: -1, offset: -1, dictOffset: -1, size: -1,
				pages: []craftPage{{numValues: 4, encoding: pqPlain, body: plainStrings("a", "b", "a", "b")}}},
		},
	}
}
