package dataset

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// allocBound is the most a crafted file of n bytes may make the readers allocate in total,
// whatever it claims: the values it may decode to (see maxValues), a page, and a little
// more. Without the checks, the files below asked for tens of gigabytes.
func allocBound(n int) uint64 {
	return uint64(8*maxValues(int64(n))) + maxPageBytes + 64<<20
}

// allocated returns the bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// craftCases are files whose footer or page headers lie, and the words their error must hold.
func craftCases() []struct {
	name string
	file []byte
	want string
} {
	with := func(change func(c *craftFile)) []byte {
		c := validCraft()
		change(&c)
		return c.bytes()
	}
	valid := validCraft().bytes()
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"2³¹ rows claimed", with(func(c *craftFile) { c.rows, c.groupRows = 1<<31, []int64{1 << 31} }), "rows"},
		{"2³¹ − 1 rows claimed", with(func(c *craftFile) { c.rows, c.groupRows = 1<<31-1, []int64{1<<31 - 1} }), "values"},
		{"2²⁸ rows claimed by a footer and its row group alike", with(func(c *craftFile) { c.rows, c.groupRows = 1<<28, []int64{1 << 28} }), "values"},
		{"2⁶² rows claimed", with(func(c *craftFile) { c.rows, c.groupRows = 1<<62, []int64{1 << 62} }), "rows"},
		{"a negative row count", with(func(c *craftFile) { c.rows, c.groupRows = -1, []int64{-1} }), "rows"},
		{"a negative row group", with(func(c *craftFile) { c.groupRows = []int64{-4, 8} }), "row group"},
		{"row groups that hold fewer rows than the footer says", with(func(c *craftFile) { c.groupRows = []int64{3} }), "rows"},
		{"row groups that hold more rows than the footer says", with(func(c *craftFile) { c.groupRows = []int64{4, 4} }), "row group"},
		{"a chunk of more values than its row group's rows", with(func(c *craftFile) { c.columns[0].numValues = 1 << 30 }), "values"},
		{"a chunk of fewer values than its row group's rows", with(func(c *craftFile) { c.columns[0].numValues = 2 }), "values"},
		{"15,000 columns", with(func(c *craftFile) { c.extraLeaves = 15_000 }), "columns"},
		{"a million columns", with(func(c *craftFile) { c.extraLeaves = 1_000_000 }), "schema elements"},
		{"a chunk past the end of the file", with(func(c *craftFile) { c.columns[0].offset = 1 << 40 }), "bytes at byte"},
		{"a chunk of 2⁴⁰ bytes", with(func(c *craftFile) { c.columns[2].size = 1 << 40 }), "bytes at byte"},
		{"a chunk inside the magic number", with(func(c *craftFile) { c.columns[1].offset = 2 }), "bytes at byte"},
		{"a dictionary past the end of the file", with(func(c *craftFile) { c.columns[1].dictOffset = 1 << 40 }), "dictionary"},
		{"a dictionary of 2³¹ − 1 values and an index near the end", with(func(c *craftFile) {
			c.columns[1].pages = []craftPage{
				{dict: true, numValues: math.MaxInt32, encoding: pqPlain, body: plainDoubles(7, 8)},
				{numValues: 4, encoding: pqRLEDictionary, body: rleRun(31, 4, math.MaxInt32-1)},
			}
		}), "dictionary"},
		{"a dictionary claiming more values than its bytes hold", with(func(c *craftFile) {
			c.columns[1].pages[0].numValues = 3
		}), "dictionary"},
		{"a data page claiming 2³⁰ values", with(func(c *craftFile) { c.columns[0].pages[0].numValues = 1 << 30 }), "values"},
		{"a page claiming 2 GB uncompressed", with(func(c *craftFile) { c.columns[0].pages[0].uncompressed = math.MaxInt32 }), "page size"},
		{"a page claiming a negative size", with(func(c *craftFile) { c.columns[0].pages[0].compressed = -8 }), "page"},
		{"a string page whose value lengths run past it", with(func(c *craftFile) {
			c.columns[2].pages[0].body = plainStrings("a", "b", "a", "b")[:10]
		}), "label"},
		{"a footer length past the start of the file", append(bytes.Clone(valid[:len(valid)-8]), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), "footer"},
		{"no magic number", append(bytes.Clone(valid[:len(valid)-4]), "PAR2"...), "magic"},
		{"a footer of structs nested 100 deep", nestedFooter(100), "nested"},
		{"a footer list claiming 2³¹ elements", hugeListFooter(), "list"},
	}
	for _, cut := range []int{len(valid) - 1, len(valid) - 9, len(valid) / 2, 40, 11} {
		cases = append(cases, struct {
			name string
			file []byte
			want string
		}{"the file cut to " + itoa(cut) + " bytes", valid[:cut], ""})
	}
	return cases
}

// nestedFooter is a file whose footer's first field is a struct nested depth deep.
func nestedFooter(depth int) []byte {
	var w thriftWriter
	w.begin()
	var nest func(d int)
	nest = func(d int) {
		if d == 0 {
			w.i32(1, 1)
			return
		}
		w.structField(1, func() { nest(d - 1) })
	}
	nest(depth)
	w.end()
	return wrapFooter(w.b)
}

// hugeListFooter is a file whose footer's schema list claims 2³¹ elements.
func hugeListFooter() []byte {
	var w thriftWriter
	w.begin()
	w.field(2, ctList)
	w.b = append(w.b, 0xf0|ctStruct)
	w.varint(1 << 31)
	w.b = append(w.b, 0, 0, 0)
	return wrapFooter(w.b)
}

func wrapFooter(footer []byte) []byte {
	out := append([]byte("PAR1"), footer...)
	n := len(footer)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	return append(out, "PAR1"...)
}

func TestCraftedValidFileLoads(t *testing.T) {
	b := validCraft().bytes()
	d, err := loadParquet(context.Background(), "c.parquet", bytes.NewReader(b), int64(len(b)), LoadOptions{Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{Features: []string{"x0", "x1"}, X: []float64{0.5, 7, 1.5, 7, -2, 8, 3, 8}, Labels: []int32{0, 1, 0, 1}, Classes: []string{"a", "b"}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("load of the crafted file = %+v, want %+v", d, want)
	}
}

// TestCraftedFootersAreRefusedWithinBoundedMemory gives every reader of the package files
// whose footer or pages lie: each must return an error (for Load, one line naming the file),
// allocating no more than the file's size allows.
func TestCraftedFootersAreRefusedWithinBoundedMemory(t *testing.T) {
	for _, c := range craftCases() {
		t.Run(c.name, func(t *testing.T) {
			opt := LoadOptions{Label: "label"}
			var err error
			n := allocated(func() {
				_, err = loadParquet(context.Background(), "c.parquet", bytes.NewReader(c.file), int64(len(c.file)), opt)
			})
			var le *LoadError
			switch {
			case err == nil:
				t.Fatalf("Load of a file with %s = no error", c.name)
			case !errors.As(err, &le) || le.File != "c.parquet" || strings.Contains(err.Error(), "\n"):
				t.Errorf("Load = %T %q, want a one-line *LoadError naming the file", err, err)
			case !strings.Contains(err.Error(), c.want):
				t.Errorf("Load = %q, want it to say %q", err, c.want)
			}
			if n > allocBound(len(c.file)) {
				t.Errorf("Load of a %d-byte file allocated %d MB, more than %d MB", len(c.file), n>>20, allocBound(len(c.file))>>20)
			}
			path := filepath.Join(t.TempDir(), "c.parquet")
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			readers := map[string]func() error{
				"ReadTable": func() error { _, err := ReadTable(path); return err },
				"ReadFile":  func() error { _, err := ReadFile(path); return err },
				"ReadSplit": func() error { _, err := ReadSplit(path); return err },
			}
			for name, read := range readers {
				var err error
				n := allocated(func() { err = read() })
				if err == nil {
					t.Errorf("%s of a file with %s = no error", name, c.name)
				} else if !strings.Contains(err.Error(), path) {
					t.Errorf("%s = %q, want it to name the file", name, err)
				}
				if n > allocBound(len(c.file)) {
					t.Errorf("%s of a %d-byte file allocated %d MB, more than %d MB", name, len(c.file), n>>20, allocBound(len(c.file))>>20)
				}
			}
		})
	}
}

// TestAFileBeyondTheLimitsIsNotCalledCorrupt gives Load files whose footer may well be a
// valid file's, but describes more than nnpipe reads: the refusal must say so, not call the
// file corrupt.
func TestAFileBeyondTheLimitsIsNotCalledCorrupt(t *testing.T) {
	// A footer whose row groups (field 4) hold more values than nnpipe decodes, as a writer
	// that flushes a row group per small batch leaves: one byte a value.
	var w thriftWriter
	w.begin()
	w.list(4, ctI32, maxFooterValues+1, func(int) { w.varint(0) })
	w.end()
	manyValues := wrapFooter(w.b)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"15,000 columns", func() []byte { c := validCraft(); c.extraLeaves = 15_000; return c.bytes() }(), "15003 columns, more than 10000"},
		{"a million columns", func() []byte { c := validCraft(); c.extraLeaves = 1_000_000; return c.bytes() }(), "schema elements"},
		{"more footer values than nnpipe decodes", manyValues, "values in the footer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadParquet(context.Background(), "big.parquet", bytes.NewReader(tt.file), int64(len(tt.file)), LoadOptions{Label: "label"})
			if err == nil || !strings.Contains(err.Error(), "larger than nnpipe reads") || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "corrupt") {
				t.Errorf("Load = %v, want an error saying the file is larger than nnpipe reads (%s), not corrupt", err, tt.want)
			}
		})
	}
}

func TestReadTableRefusesMoreMetadataEntriesThanItWrites(t *testing.T) {
	c := validCraft()
	for i := range maxMetaEntries + 1 {
		c.meta = append(c.meta, [2]string{"k" + itoa(i), "v"})
	}
	path := filepath.Join(t.TempDir(), "c.parquet")
	if err := os.WriteFile(path, c.bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTable(path); err == nil || !strings.Contains(err.Error(), "metadata") {
		t.Errorf("ReadTable of a file with %d metadata entries = %v, want an error", len(c.meta), err)
	}
}

// FuzzReadParquet gives arbitrary bytes to every Parquet reader of the package, seeded with
// valid files (written here, by DuckDB, and crafted with a dictionary) and with crafted files
// whose footer or pages lie. No input may crash the process or make it allocate more than
// the file's size allows; every Load error is a one-line *LoadError naming the file, and
// every loaded dataset is valid.
func FuzzReadParquet(f *testing.F) {
	f.Add(validCraft().bytes())
	f.Add(writeGroups(f, []int{2, 0, 2}, true))
	for _, c := range craftCases() {
		if len(c.file) < 1<<16 {
			f.Add(c.file)
		}
	}
	dir := f.TempDir()
	d := withExtra(testDataset(20, 2, 3))
	for name, write := range map[string]func(string) error{
		"dataset": func(p string) error { return WriteFile(p, d, nil) },
		"split":   func(p string) error { return WriteSplit(p, Split{Train: []int{0, 2}, Test: []int{1}}) },
	} {
		path := filepath.Join(dir, name+".parquet")
		if err := write(path); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if b, err := os.ReadFile("testdata/duckdb.parquet"); err == nil {
		f.Add(b)
	}
	opts := []LoadOptions{
		{Label: "label"},
		{Label: "label_name", Keep: []string{"train"}},
		{Label: "species", Features: []string{"x", "f", "i"}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := allocated(func() {
			for _, opt := range opts {
				d, err := loadParquet(context.Background(), "fuzz.parquet", bytes.NewReader(data), int64(len(data)), opt)
				if err != nil {
					var le *LoadError
					if !errors.As(err, &le) || le.File != "fuzz.parquet" || strings.Contains(err.Error(), "\n") {
						t.Fatalf("Load = %T %q, want a one-line *LoadError naming the file", err, err)
					}
					continue
				}
				if err := d.Validate(); err != nil {
					t.Fatalf("Load returned an invalid dataset: %v", err)
				}
			}
			readAll(data)
		})
		if n > allocBound(len(data)) {
			t.Fatalf("reading %d bytes allocated %d MB", len(data), n>>20)
		}
	})
}

// readAll runs ReadTable's (of every column, and of a few), ReadFile's and ReadSplit's decoding
// on data, recovering from the decoder's panics as they do.
func readAll(data []byte) {
	for _, read := range []func(r *file.Reader, size int64) error{
		func(r *file.Reader, size int64) error { _, err := readTable(r, size, nil); return err },
		func(r *file.Reader, size int64) error {
			_, err := readTable(r, size, func(f []Field, _ int64) []int { return []int{len(f) - 1, 0, -1} })
			return err
		},
		func(r *file.Reader, size int64) error { _, err := readDataset(r, size); return err },
		func(r *file.Reader, size int64) error { _, err := readSplit(r, size); return err },
	} {
		func() {
			var err error
			defer recoverCorrupt("fuzz.parquet", &err)
			r, err := openParquetAt(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return
			}
			err = read(r, int64(len(data)))
		}()
	}
}

// TestAllocationFollowsTheDecodedValuesNotTheClaim: a footer may claim a plausible-looking
// number of rows (within what the file's size allows) that its pages do not hold; the readers
// must allocate for the values they decode, not for the claim.
func TestAllocationFollowsTheDecodedValuesNotTheClaim(t *testing.T) {
	c := validCraft()
	c.rows, c.groupRows = 1<<21, []int64{1 << 21} // 6 M values claimed: 48 MB as float64
	b := c.bytes()
	if err := checkValues(c.rows, 3, int64(len(b))); err != nil {
		t.Fatalf("the claim must pass checkValues for this test: %v", err)
	}
	path := filepath.Join(t.TempDir(), "c.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	const most = 8 << 20 // a few batches of scratch space
	for name, read := range map[string]func() error{
		"Load":      func() error { _, err := Load(path, LoadOptions{Label: "label"}); return err },
		"ReadTable": func() error { _, err := ReadTable(path); return err },
	} {
		var err error
		n := allocated(func() { err = read() })
		if err == nil {
			t.Errorf("%s of a file claiming %d rows and holding 4 = no error", name, c.rows)
		}
		if n > most {
			t.Errorf("%s allocated %d MB for a file claiming %d rows and holding 4, want at most %d MB", name, n>>20, c.rows, most>>20)
		}
	}
}
