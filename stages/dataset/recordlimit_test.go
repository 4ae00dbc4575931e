package dataset

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plainLimiter is recordLimiter's definition, byte by byte: the oracle of its faster loop.
type plainLimiter struct {
	r           io.Reader
	limit, run  int
	quoted      bool
	line, start int
}

func (l *plainLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.line++
			if !l.quoted {
				l.run, l.start = 0, l.line
				continue
			}
		}
		if b == '"' {
			l.quoted = !l.quoted
		}
		l.run++
		if l.run > l.limit {
			return i, errRecordTooLong
		}
	}
	return n, err
}

// TestRecordLimiterMatchesItsDefinition reads random text of short and long lines, quoted
// values with line breaks and doubled quotes in them, through recordLimiter and the
// byte-by-byte oracle, in reads of random sizes: both must pass the same bytes, fail at the
// same byte and count the same lines.
func TestRecordLimiterMatchesItsDefinition(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"x", "xxxxx", "\n", "\n", ",", `"`, `""`}
	for trial := range 4000 {
		var text []byte
		for range src.IntN(30) {
			text = append(text, pieces[src.IntN(len(pieces))]...)
		}
		limit := 1 + src.IntN(10)
		read := func(r io.Reader) (out []byte, err error) {
			buf := make([]byte, 1+src.IntN(16))
			for {
				n, err := r.Read(buf)
				out = append(out, buf[:n]...)
				if err != nil {
					return out, err
				}
			}
		}
		seed := src.Uint64()
		fast := &recordLimiter{r: iotestReader(text, seed), limit: limit, line: 1, start: 1}
		slow := &plainLimiter{r: iotestReader(text, seed), limit: limit, line: 1, start: 1}
		a, errA := read(fast)
		b, errB := read(slow)
		if !bytes.Equal(a, b) || !errors.Is(errA, errB) && errA != errB || fast.line != slow.line || fast.start != slow.start {
			t.Fatalf("trial %d, limit %d, text %q: recordLimiter passed %q (%v, line %d, record from line %d), the definition %q (%v, line %d, record from line %d)",
				trial, limit, text, a, errA, fast.line, fast.start, b, errB, slow.line, slow.start)
		}
	}
}

// iotestReader returns text in reads of sizes drawn from seed.
func iotestReader(text []byte, seed uint64) io.Reader {
	return &chunkReader{text: text, src: rand.New(rand.NewPCG(seed, 3))}
}

type chunkReader struct {
	text []byte
	src  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.text) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.text), 1+c.src.IntN(8))
	copy(p, c.text[:n])
	c.text = c.text[n:]
	return n, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadersBoundEachRecordNotEachLine reads CSV text with Load's reader and with the
// scanner: a record longer than MaxRecordBytes is refused at the line it starts on, however
// many lines its quoted values spread it over, having read little more than the limit;
// records that are each short load, however many quoted line breaks the file holds.
func TestReadersBoundEachRecordNotEachLine(t *testing.T) {
	long := strings.Repeat(strings.Repeat("x", 99)+"\n", MaxRecordBytes/100+1)
	tests := []struct {
		name string
		text string
		line int // the line of the error; 0 when the text loads
	}{
		{"a quoted value of many short lines is one long record", "x,label\n1,a\n2,\"" + long + "\"\n3,b\n", 3},
		{"a doubled quote before a line break does not close the value", "x,label\n1,\"a\"\"\n" + long + "\"\n2,b\n", 2},
		{"a quote left open runs the record on to the end", "x,label\n1,a\n2,\"b\n" + strings.Repeat("3,c\n", MaxRecordBytes/4), 3},
		{"one long line is a long record", "x,label\n1,a\n2," + strings.Repeat("y", MaxRecordBytes+1) + "\n", 3},
		// In a column of notes: a label spanning lines is refused as a quote out of place.
		{"short records with quoted line breaks load however many", "x,note,label\n" + strings.Repeat("1,\"a\n\"\"b\"\"\",a\n2,\"\"\"c\"\"\",b\n", MaxRecordBytes/16), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{r: strings.NewReader(tt.text)}
			_, err := readCSV(context.Background(), "t.csv", r, int64(len(tt.text)), LoadOptions{Label: "label"})
			checkRecordLimit(t, "readCSV", err, tt.line)
			if most := MaxRecordBytes + MaxRecordBytes/2; tt.line > 0 && r.n > most {
				t.Errorf("readCSV read %d bytes to refuse a long record, want at most %d", r.n, most)
			}
			path := filepath.Join(t.TempDir(), "t.csv")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err = scanAll(t, path, ScanOptions{Features: []string{"x"}, Label: "label"})
			checkRecordLimit(t, "Scan", err, tt.line)
		})
	}
}

// checkRecordLimit checks that err is nil when line is 0, else a *LoadError at line.
func checkRecordLimit(t *testing.T, reader string, err error, line int) {
	t.Helper()
	var le *LoadError
	switch {
	case line == 0 && err != nil:
		t.Errorf("%s = %v, want no error", reader, err)
	case line > 0 && !errors.As(err, &le):
		t.Errorf("%s = %v, want a *LoadError at line %d", reader, err, line)
	case line > 0 && le.Line != line:
		t.Errorf("%s = %v at line %d, want line %d", reader, err, le.Line, line)
	}
}
