package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// A CSV file is scanned in two steps that run at once: a goroutine splits the records and
// keeps the cells of the columns scanned (csvSplitter), and Next parses the numbers of a
// batch of them on every core (parseCells). Parsing the decimal numbers is most of the work
// of reading a CSV file; splitting its records the rest.

// openCSV reads the header (or, without one, the first row's width), finds the columns and
// starts splitting the records.
func (s *Scanner) openCSV(ctx context.Context, src *source) error {
	s.src = src
	delim := s.opt.Delimiter
	if delim == 0 {
		delim = ','
	}
	if !validDelimiter(delim) {
		return &LoadError{File: s.path, Err: fmt.Errorf("invalid delimiter %q", delim)}
	}
	s.recs = newCSVRecords(s.path, src, delim)
	rec, err := s.recs.next()
	if err != nil {
		return s.csvError(err)
	}
	if rec == nil && s.opt.NoHeader {
		return s.recs.at(1, "", "empty file: no rows")
	}
	if rec == nil {
		return s.recs.at(1, "", "empty file: no header row")
	}
	if len(rec) > MaxColumns {
		return s.recs.at(1, "", "%d columns, more than %d", len(rec), MaxColumns)
	}
	if s.head, err = newCSVHeader(s.recs, rec, s.opt.NoHeader, s.opt.NoHeaderOption); err != nil {
		return err
	}
	for _, f := range s.opt.Features {
		i, err := s.head.lookup(f, "feature")
		if err != nil {
			return err
		}
		s.cols = append(s.cols, i)
	}
	if _, ok := s.head.index[s.opt.Label]; ok && s.opt.Label != "" && !s.head.dup[s.opt.Label] {
		s.lab, s.hasLabel = s.head.index[s.opt.Label], true
	}
	var first []string
	if s.opt.NoHeader {
		first = rec // the first line is data
	}
	s.ints = make(map[string]string)
	s.csv = startSplitter(ctx, s, first)
	return nil
}

// csvError reports a CSV error as the change it comes from, when the file changed meanwhile.
func (s *Scanner) csvError(err error) error {
	if errors.Is(err, ErrChanged) || s.src.changedOnDisk() {
		return &LoadError{File: s.path, Err: ErrChanged}
	}
	return err
}

// cells are the cells of the scanned columns of up to BatchRows records, as split.
type cells struct {
	n     int
	cells []string // n × (features, then the label when the file has it), untrimmed
	lines []int    // the line of each cell
	err   error    // what ended the batch early: io.EOF at the end, or the error at the next record
}

// csvSplitter is the goroutine that splits the records: batches of cells go out on out, and
// come back on free to be reused.
type csvSplitter struct {
	out  chan *cells
	free chan *cells
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// stop ends the goroutine and waits for it: after stop it reads the file no more.
func (c *csvSplitter) stop() {
	c.once.Do(func() { close(c.done) })
	c.wg.Wait()
}

// startSplitter starts splitting the records of s, beginning with first when it is not nil.
// The goroutine stops at the end of the file, at an error, when ctx is done or at stop.
func startSplitter(ctx context.Context, s *Scanner, first []string) *csvSplitter {
	const buffers = 2
	c := &csvSplitter{out: make(chan *cells), free: make(chan *cells, buffers), done: make(chan struct{})}
	width := len(s.cols)
	if s.hasLabel {
		width++
	}
	for range buffers {
		c.free <- &cells{cells: make([]string, 0, s.opt.BatchRows*width), lines: make([]int, 0, s.opt.BatchRows*width)}
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		rec := first
		for {
			var b *cells
			select {
			case b = <-c.free:
			case <-c.done:
				return
			case <-ctx.Done():
				return
			}
			b.n, b.cells, b.lines, b.err = 0, b.cells[:0], b.lines[:0], nil
			for b.n < s.opt.BatchRows {
				if rec == nil {
					var err error
					if rec, err = s.recs.next(); err != nil {
						b.err = err
						break
					}
					if rec == nil {
						b.err = io.EOF
						break
					}
				}
				if b.n%checkEvery == 0 && ctx.Err() != nil {
					b.err = ctx.Err()
					break
				}
				if len(rec) != len(s.head.names) {
					b.err = s.recs.at(s.recs.line(0), "", "%d fields, but the header has %d", len(rec), len(s.head.names))
					break
				}
				for _, col := range s.cols {
					b.cells = append(b.cells, rec[col])
					b.lines = append(b.lines, s.recs.line(col))
				}
				if s.hasLabel {
					b.cells = append(b.cells, rec[s.lab])
					b.lines = append(b.lines, s.recs.line(s.lab))
				}
				b.n++
				rec = nil
			}
			select {
			case c.out <- b:
			case <-c.done:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	return c
}

// nextCSV parses the next batch of cells into the batch.
func (s *Scanner) nextCSV(ctx context.Context) error {
	b := &s.batch
	b.X = b.X[:0]
	if s.hasLabel {
		b.Labels = b.Labels[:0]
	}
	if s.csv == nil { // the file ended, or an error ended the scan
		return nil
	}
	var c *cells
	select {
	case c = <-s.csv.out:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := s.parseCells(c); err != nil {
		return s.csvError(err)
	}
	err := c.err
	s.csv.free <- c
	switch {
	case errors.Is(err, io.EOF):
		s.csv.stop()
		s.csv = nil
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.csvError(err)
	}
	return nil
}

// minParallelRows is the fewest rows worth parsing on more than one core.
const minParallelRows = 4096

// parseCells parses the cells of c into the batch: the features on every core, in parts of
// consecutive rows; the labels, checked to be UTF-8 text. It returns the error of the first row
// that has one.
func (s *Scanner) parseCells(c *cells) error {
	b := &s.batch
	d := len(s.cols)
	width := d
	if s.hasLabel {
		width++
	}
	b.X = growTo(b.X[:0], c.n*d)
	parts := 1
	if c.n >= minParallelRows {
		parts = min(runtime.GOMAXPROCS(0), c.n/(minParallelRows/2))
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*c.n/parts, (p+1)*c.n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = s.parseRows(c, b.X, width, lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if !s.hasLabel {
		return nil
	}
	for i := range c.n {
		l := strings.TrimSpace(c.cells[i*width+d])
		if l == "" {
			return s.recs.at(c.lines[i*width+d], s.opt.Label, "%s", emptyLabelProblem)
		}
		if !utf8.ValidString(l) {
			return s.recs.at(c.lines[i*width+d], s.opt.Label, "%s", notText(l))
		}
		if err := s.recs.labelSpansLines(c.lines[i*width+d], s.opt.Label, l); err != nil {
			return err
		}
		b.Labels = append(b.Labels, intern(s.ints, l))
	}
	return nil
}

// parseRows parses the features of rows [lo, hi) of c into x, and returns the error of the
// first bad value.
func (s *Scanner) parseRows(c *cells, x []float64, width, lo, hi int) error {
	d := len(s.cols)
	for i := lo; i < hi; i++ {
		for j := range d {
			cell := strings.TrimSpace(c.cells[i*width+j])
			v, err := ParseNumber(cell)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return s.recs.at(c.lines[i*width+j], s.head.names[s.cols[j]], "%s", valueProblem(cell, err))
			}
			x[i*d+j] = v
		}
	}
	return nil
}
