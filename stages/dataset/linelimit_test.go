package dataset

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// plainLimiter is lineLimiter's definition, byte by byte: the oracle of its faster loop.
type plainLimiter struct {
	r          io.Reader
	limit, run int
	line       int
}

func (l *plainLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.line++
			continue
		}
		l.run++
		if l.run > l.limit {
			return i, errLineTooLong
		}
	}
	return n, err
}

// TestLineLimiterMatchesItsDefinition reads random text of short and long lines through
// lineLimiter and the byte-by-byte oracle, in reads of random sizes: both must pass the same
// bytes, fail at the same byte and count the same lines.
func TestLineLimiterMatchesItsDefinition(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var text []byte
		for range src.IntN(20) {
			text = append(text, bytes.Repeat([]byte{'x'}, src.IntN(12))...)
			if src.IntN(4) > 0 {
				text = append(text, '\n')
			}
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
		fast := &lineLimiter{r: iotestReader(text, seed), limit: limit, line: 1}
		slow := &plainLimiter{r: iotestReader(text, seed), limit: limit, line: 1}
		a, errA := read(fast)
		b, errB := read(slow)
		if !bytes.Equal(a, b) || !errors.Is(errA, errB) && errA != errB || fast.line != slow.line {
			t.Fatalf("trial %d, limit %d, text %q: lineLimiter passed %q (%v, line %d), the definition %q (%v, line %d)",
				trial, limit, text, a, errA, fast.line, b, errB, slow.line)
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
