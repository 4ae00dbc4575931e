package dataset

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// readCSV reads a CSV table with a header row (unless opt.NoHeader) from r; name is the file
// name for errors and size its length in bytes (0 if unknown), used to size the arrays once.
// Every error is a *LoadError with a line.
func readCSV(ctx context.Context, name string, r io.Reader, size int64, opt LoadOptions) (*Dataset, error) {
	at := func(line int, column string, format string, args ...any) error {
		return &LoadError{File: name, Line: line, Column: column, Err: fmt.Errorf(format, args...)}
	}
	delim := opt.Delimiter
	if delim == 0 {
		delim = ','
	}
	if !validDelimiter(delim) {
		return nil, &LoadError{File: name, Err: fmt.Errorf("invalid delimiter %q", delim)}
	}
	lines := &lineLimiter{r: bufio.NewReaderSize(r, 256<<10), limit: MaxLineBytes, line: 1}
	cr := csv.NewReader(lines)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // ragged rows are reported here, with both counts
	cr.ReuseRecord = true
	lastLine := 1
	// read returns the next record, or nil at the end of the file.
	read := func() ([]string, error) {
		rec, err := cr.Read()
		if err == nil {
			lastLine, _ = cr.FieldPos(len(rec) - 1)
			return rec, nil
		}
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if errors.Is(err, errLineTooLong) {
			return nil, at(lines.line, "", "line is longer than %d bytes", MaxLineBytes)
		}
		if errors.Is(err, ErrChanged) {
			return nil, &LoadError{File: name, Err: ErrChanged}
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			return nil, at(max(pe.Line, 1), "", "%v (character %d)", pe.Err, pe.Column)
		}
		return nil, at(lastLine, "", "%v", err)
	}

	rec, err := read()
	if err != nil {
		return nil, err
	}
	if len(rec) > MaxColumns {
		return nil, at(1, "", "%d columns, more than %d", len(rec), MaxColumns)
	}
	if rec == nil {
		if opt.NoHeader {
			return nil, at(1, "", "empty file: no rows")
		}
		return nil, at(1, "", "empty file: no header row")
	}
	rec[0] = strings.TrimPrefix(rec[0], "\uFEFF") // a byte order mark from spreadsheet exports
	var header []string
	var headerEnd int64
	if opt.NoHeader {
		header = make([]string, len(rec))
		for i := range header {
			header[i] = "c" + strconv.Itoa(i)
		}
	} else {
		header = make([]string, len(rec))
		for i, s := range rec {
			header[i] = strings.TrimSpace(strings.Clone(s))
		}
		headerEnd = cr.InputOffset()
	}
	index := make(map[string]int, len(header))
	dup := make(map[string]bool) // unnamed columns, which cannot be chosen anyway
	for i, h := range header {
		j, ok := index[h]
		switch {
		case !ok:
			index[h] = i
		case h != "":
			return nil, at(1, h, "appears twice in the header, as columns %d and %d", j+1, i+1)
		default:
			dup[h] = true
		}
	}
	lookup := func(col, role string) (int, error) {
		i, ok := index[col]
		if !ok {
			hint := ""
			if len(header) == 1 && strings.ContainsAny(rec[0], ",;\t|") {
				hint = "; the header is one column: is the delimiter right?"
				if opt.NoHeader {
					hint = "; the first line is one column: is the delimiter right?"
				}
			}
			if opt.NoHeader {
				return 0, at(1, col, "%s column not in the file (without a header row its columns are %s)%s", role, listColumns(header), hint)
			}
			return 0, at(1, col, "%s column not in the header (%s)%s", role, listColumns(header), hint)
		}
		if dup[col] {
			return 0, at(1, col, "appears more than once in the header")
		}
		return i, nil
	}
	labelCol, err := lookup(opt.Label, "label")
	if err != nil {
		return nil, err
	}
	featCols := make([]int, len(opt.Features))
	for k, f := range opt.Features {
		if featCols[k], err = lookup(f, "feature"); err != nil {
			return nil, err
		}
	}
	keepCols := make([]int, len(opt.Keep))
	kept := make(map[int]bool, len(opt.Keep))
	for k, name := range opt.Keep {
		if keepCols[k], err = lookup(name, "kept"); err != nil {
			return nil, err
		}
		kept[keepCols[k]] = true
	}

	if !opt.NoHeader {
		rec, err = read()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, at(1, "", "a header but no data rows")
		}
	}
	if len(opt.Features) == 0 {
		// The first data row decides which columns are numeric; a later value that does not
		// parse is then an error on its line rather than a column silently dropped.
		featCols = featCols[:0]
		for i, s := range rec {
			if i == labelCol || kept[i] || i >= len(header) || header[i] == "" || dup[header[i]] {
				continue
			}
			if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil || errors.Is(err, strconv.ErrRange) {
				featCols = append(featCols, i)
			}
		}
		if len(featCols) == 0 {
			line, _ := cr.FieldPos(0)
			return nil, at(line, "", "no feature columns: on the first data row, no column but the label holds a number")
		}
		for _, c := range featCols {
			if err := checkName(header[c], c); err != nil {
				return nil, at(1, header[c], "%v", err)
			}
		}
	}
	dims := len(featCols)
	d := &Dataset{Features: make([]string, dims)}
	for k, c := range featCols {
		d.Features[k] = header[c]
	}
	for _, c := range keepCols {
		d.Extra = append(d.Extra, Column{Name: header[c]})
	}
	texts := make(map[string]string) // kept values seen so far, shared
	classes := newClassSet(strings.Clone)
	for row := 0; rec != nil; row++ {
		if row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if len(rec) != len(header) {
			line, _ := cr.FieldPos(0)
			return nil, at(line, "", "%d fields, but the header has %d", len(rec), len(header))
		}
		if row == 1024 && size > 0 {
			// Size the arrays once from the bytes per row so far, instead of growing them
			// (which would briefly hold two copies).
			if per := (cr.InputOffset() - headerEnd) / 1024; per > 0 {
				est := int((size-headerEnd)/per) + 64
				d.X = slices.Grow(d.X, est*dims+est/16*dims-len(d.X))
				d.Labels = slices.Grow(d.Labels, est+est/16-len(d.Labels))
				for k := range d.Extra {
					d.Extra[k].Values = slices.Grow(d.Extra[k].Values, est+est/16-len(d.Extra[k].Values))
				}
			}
		}
		for _, c := range featCols {
			s := strings.TrimSpace(rec[c])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				line, _ := cr.FieldPos(c)
				return nil, at(line, header[c], "%s", valueProblem(s, err))
			}
			d.X = append(d.X, v)
		}
		s := strings.TrimSpace(rec[labelCol])
		if s == "" {
			line, _ := cr.FieldPos(labelCol)
			return nil, at(line, opt.Label, "empty label")
		}
		if !utf8.ValidString(s) {
			line, _ := cr.FieldPos(labelCol)
			return nil, at(line, opt.Label, "%s", notText(s))
		}
		d.Labels = append(d.Labels, classes.id(s))
		for k, c := range keepCols {
			v := strings.TrimSpace(rec[c])
			if !utf8.ValidString(v) {
				line, _ := cr.FieldPos(c)
				return nil, at(line, header[c], "%s", notText(v))
			}
			d.Extra[k].Values = append(d.Extra[k].Values, intern(texts, v))
		}
		if rec, err = read(); err != nil {
			return nil, err
		}
	}
	if len(classes.keys) < 2 {
		return nil, at(1, opt.Label, "%v", singleClass(classes.keys[0]))
	}
	d.Classes = textClasses(classes.keys, d.Labels)
	if len(d.Classes) < 2 { // "1" and "01"
		return nil, at(1, opt.Label, "%v", singleClass(d.Classes[0]))
	}
	if len(d.Classes) > MaxClasses {
		return nil, at(1, opt.Label, "%v", tooManyClasses(len(d.Classes)))
	}
	if err := d.Validate(); err != nil {
		return nil, at(1, "", "%v", err) // not expected: every check above comes first
	}
	return d, nil
}

// valueProblem says what is wrong with a feature value s that ParseFloat rejected with err
// or parsed as NaN or ±Inf.
func valueProblem(s string, err error) string {
	switch {
	case s == "":
		return "empty value"
	case errors.Is(err, strconv.ErrRange):
		return fmt.Sprintf("%s is out of range", shortQuote(s))
	case err != nil:
		return fmt.Sprintf("%s is not a number", shortQuote(s))
	}
	return fmt.Sprintf("%s is not a finite number", shortQuote(s))
}

// shortQuote quotes s for an error message, cutting a long value short.
func shortQuote(s string) string {
	const most = 40
	if len(s) <= most {
		return strconv.Quote(s)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// validDelimiter mirrors encoding/csv's rule for Comma.
func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// intern returns s, or an equal string seen before, so that a column of few distinct values
// (0/1, train/test) costs no allocation per row and holds no copy per row. It remembers at most
// maxKnown values, so a column of distinct ids cannot grow the table without limit.
func intern(known map[string]string, s string) string {
	if k, ok := known[s]; ok {
		return k
	}
	k := strings.Clone(s)
	if len(known) < maxKnown {
		known[k] = k
	}
	return k
}

// checkEvery is how many rows a reading loop handles between two looks at its context.
const checkEvery = 4096

// MaxColumns bounds the columns of a CSV file.
const MaxColumns = 10_000

// MaxLineBytes bounds a CSV line: a table row is short, and a file that is
// one enormous line (a binary file, a wrong delimiter) must be refused
// quickly and in bounded memory rather than read whole.
const MaxLineBytes = 1 << 20

var errLineTooLong = errors.New("line too long")

// lineLimiter passes bytes through, failing once a line exceeds limit
// bytes; it counts lines for the error message.
type lineLimiter struct {
	r     io.Reader
	limit int
	run   int // bytes since the last newline
	line  int
}

func (l *lineLimiter) Read(p []byte) (int, error) {
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
