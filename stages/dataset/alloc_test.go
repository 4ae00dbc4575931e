package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the buffers it hands out.
type countingAllocator struct {
	memory.GoAllocator
	n int
}

func (c *countingAllocator) Allocate(size int) []byte {
	c.n++
	return c.GoAllocator.Allocate(size)
}

func TestReuseAllocator(t *testing.T) {
	a := &reuseAllocator{}
	b := a.Allocate(100)
	if len(b) != 100 {
		t.Fatalf("Allocate(100) has length %d", len(b))
	}
	for i := range b {
		b[i] = 0xff
	}
	a.Free(b)
	small := a.Allocate(10)
	if &small[0] != &b[0] {
		t.Errorf("Allocate(10) after freeing 100 bytes did not reuse them")
	}
	if len(small) != 10 || !bytes.Equal(small[:cap(small)], make([]byte, cap(small))) {
		t.Errorf("a reused buffer is not all zero, to its capacity: %v", small[:cap(small)])
	}
	a.Free(small)

	// The smallest freed buffer that holds the size is the one reused.
	big, mid := a.Allocate(1000), a.Allocate(200)
	a.Free(big)
	a.Free(mid)
	if got := a.Allocate(150); &got[0] != &mid[0] {
		t.Errorf("Allocate(150) did not take the 200-byte buffer, the smallest that holds it")
	}
	if got := a.Allocate(150); &got[0] != &small[0] && &got[0] != &big[0] {
		t.Errorf("Allocate(150) took a new buffer with two freed ones that hold it")
	}

	// Reallocate keeps the contents.
	r := a.Allocate(4)
	copy(r, "abcd")
	r = a.Reallocate(5000, r)
	if len(r) != 5000 || string(r[:4]) != "abcd" || r[4] != 0 {
		t.Errorf("Reallocate(5000) = %d bytes starting %q", len(r), r[:5])
	}

	// It keeps at most maxReused buffers.
	c := &reuseAllocator{}
	for range 2 * maxReused {
		c.Free(make([]byte, 8))
	}
	c.Free(nil)
	if len(c.free) != maxReused {
		t.Errorf("kept %d freed buffers, want %d", len(c.free), maxReused)
	}
}

// TestReadingManyChunksReusesTheirBuffers reads a file of many small
// column chunks, as a training history is, and checks that its page
// buffers come from a few allocations rather than a few per chunk, and that
// what is read is what was written.
func TestReadingManyChunksReusesTheirBuffers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	const rows = 500
	var fields []Field
	var cols []any
	for j := range 40 {
		fields = append(fields, Field{Name: "c" + string(rune('A'+j%26)) + string(rune('a'+j/26)), Type: Float64})
		c := make([]float64, rows)
		for i := range c {
			c[i] = float64(i*j) / 7
		}
		cols = append(cols, c)
	}
	writeTable(t, path, fields, nil, RowGroupRows, cols)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingAllocator{}
	r, err := openParquetWith(f, st.Size(), &reuseAllocator{base: counted})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readTable(r, st.Size(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameColumns(got.Columns, cols) {
		t.Errorf("the columns read differ from the written ones")
	}
	// Each chunk's reader takes three buffers; without reuse that is 120.
	if counted.n == 0 || counted.n > 2*maxReused {
		t.Errorf("reading %d column chunks took %d new buffers, want at most %d", len(cols), counted.n, 2*maxReused)
	}
}
