package predict

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

// csvWriter writes the predictions as CSV: a header row of the column names, then one line a
// row. Numbers are written in the shortest form that reads back to the same float64 (so a CSV
// holds the probabilities bit for bit), booleans as true and false, and a field is quoted when
// it holds a comma, a quote, a line break or surrounding spaces (RFC 4180).
type csvWriter struct {
	w    *bufio.Writer
	line []byte
}

func newCSVWriter(f io.Writer, fields []dataset.Field) *csvWriter {
	c := &csvWriter{w: bufio.NewWriterSize(f, 256<<10)}
	for i, fd := range fields {
		if i > 0 {
			c.line = append(c.line, ',')
		}
		c.line = appendField(c.line, fd.Name)
	}
	c.line = append(c.line, '\n')
	return c
}

// append writes the rows of cols, one []int64, []int32, []float64, []string or []bool per
// column, all of one length.
func (c *csvWriter) append(cols []any) error {
	n := 0
	switch col := cols[0].(type) {
	case []int64:
		n = len(col)
	default:
		return fmt.Errorf("the first column is a %T, want []int64", cols[0])
	}
	for i := range n {
		for j, col := range cols {
			if j > 0 {
				c.line = append(c.line, ',')
			}
			switch v := col.(type) {
			case []int64:
				c.line = strconv.AppendInt(c.line, v[i], 10)
			case []int32:
				c.line = strconv.AppendInt(c.line, int64(v[i]), 10)
			case []float64:
				c.line = strconv.AppendFloat(c.line, v[i], 'g', -1, 64)
			case []string:
				c.line = appendField(c.line, v[i])
			case []bool:
				c.line = strconv.AppendBool(c.line, v[i])
			}
		}
		c.line = append(c.line, '\n')
		if len(c.line) >= 64<<10 {
			if _, err := c.w.Write(c.line); err != nil {
				return err
			}
			c.line = c.line[:0]
		}
	}
	return nil
}

// appendField appends s, quoted if it must be.
func appendField(b []byte, s string) []byte {
	if s == "" || !strings.ContainsAny(s, ",\"\r\n") && strings.TrimSpace(s) == s {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

// flush writes what is buffered; the caller closes the file.
func (c *csvWriter) flush() error {
	if _, err := c.w.Write(c.line); err != nil {
		return err
	}
	return c.w.Flush()
}
