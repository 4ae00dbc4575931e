package dataset

import (
	"bufio"
	"bytes"
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
//
// It reads in three steps: the header (or, without one, the first row's width) and the
// columns opt names in it; the first data row, which decides the feature columns when opt
// names none (a column must then hold a number on every row, or on none); then every row
// into the dataset.
func readCSV(ctx context.Context, name string, r io.Reader, size int64, opt LoadOptions) (*Dataset, error) {
	delim := opt.Delimiter
	if delim == 0 {
		delim = ','
	}
	if !validDelimiter(delim) {
		return nil, &LoadError{File: name, Err: fmt.Errorf("invalid delimiter %q", delim)}
	}
	cr := newCSVRecords(name, r, delim)
	rec, err := cr.next()
	if err != nil {
		return nil, err
	}
	if len(rec) > MaxColumns {
		return nil, cr.at(1, "", "%d columns, more than %d", len(rec), MaxColumns)
	}
	if rec == nil {
		if opt.NoHeader {
			return nil, cr.at(1, "", "empty file: no rows")
		}
		return nil, cr.at(1, "", "empty file: no header row")
	}
	h, err := newCSVHeader(cr, rec, opt.NoHeader, "")
	if err != nil {
		return nil, err
	}
	var headerEnd int64
	if !opt.NoHeader {
		headerEnd = cr.cr.InputOffset()
	}
	cols, err := h.columns(opt)
	if err != nil {
		return nil, err
	}
	if !opt.NoHeader {
		if rec, err = cr.next(); err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, cr.at(1, "", "a header but no data rows")
		}
	}
	if len(opt.Features) == 0 {
		if err := h.numericColumns(rec, &cols); err != nil {
			return nil, err
		}
	}
	if err := h.checkReserved(cols); err != nil {
		return nil, err
	}
	d, classes, err := cr.readRows(ctx, h, cols, rec, csvSizeHint{size, headerEnd}, opt.Label)
	if err != nil {
		return nil, err
	}
	if len(classes.keys) < 2 {
		return nil, cr.at(1, opt.Label, "%v", singleClass(classes.keys[0]))
	}
	d.Classes = textClasses(classes.keys, d.Labels)
	if len(d.Classes) < 2 { // "1" and "01"
		return nil, cr.at(1, opt.Label, "%v", singleClass(d.Classes[0]))
	}
	if len(d.Classes) > MaxClasses {
		return nil, cr.at(1, opt.Label, "%v", tooManyClasses(len(d.Classes)))
	}
	if err := d.Validate(); err != nil {
		return nil, cr.at(1, "", "%v", err) // not expected: every check above comes first
	}
	return d, nil
}

// csvRecords reads the records of a CSV file and says where they are: every error it makes is
// a *LoadError naming the file and a line.
type csvRecords struct {
	name     string
	limit    *recordLimiter
	cr       *csv.Reader
	lastLine int    // the line of the last record read
	notCSV   string // what the file is when its first bytes say it is no CSV text (see notCSVText)
}

func newCSVRecords(name string, r io.Reader, delim rune) *csvRecords {
	br := bufio.NewReaderSize(r, 256<<10)
	skipBOM(br)
	limit := &recordLimiter{r: br, limit: MaxRecordBytes, line: 1, start: 1}
	cr := csv.NewReader(limit)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // ragged rows are reported by readRows, with both counts
	cr.ReuseRecord = true
	// LazyQuotes stays off: recordLimiter tells where a record ends from the quotes, which
	// only strict quoting makes possible.
	notCSV := notCSVText(br)
	if notCSV == "" && crLineEnds(br) {
		notCSV = crLineEndsProblem
	}
	return &csvRecords{name: name, limit: limit, cr: cr, lastLine: 1, notCSV: notCSV}
}

// crLineEndsProblem is what a file whose lines end in a carriage return alone is to nnpipe.
const crLineEndsProblem = "its lines end in a carriage return alone (CR, as classic Mac OS programs write), " +
	"and nnpipe reads lines that end in LF or CRLF: save the file with Unix (LF) or Windows (CRLF) line ends"

// crLineEndsPeek bounds the bytes crLineEnds looks at for the end of the first line.
const crLineEndsPeek = 64 << 10

// crLineEnds reports whether the first line of the file br reads ends in a carriage return
// that no line feed follows, outside quotes: a file whose lines end so (an old Mac OS
// spreadsheet's "CSV (Macintosh)") is one long line to the CSV parser, which then blames a
// quote, or a name twice in the header, on what are the file's rows. A CR inside a quoted
// value, and CRLF line ends, are text as usual.
func crLineEnds(br *bufio.Reader) bool {
	head, _ := br.Peek(crLineEndsPeek) // a shorter file gives fewer bytes
	quoted := false
	for i, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			return false
		case c == '\r':
			return i+1 < len(head) && head[i+1] != '\n'
		}
	}
	return false
}

// notCSVSignatures are the first bytes of files often given for a CSV file that are no UTF-8
// text, and what to say of each: read as CSV, such a file's header holds none of the names
// asked for, and a message that lists its bytes does not say why. Each holds a byte that no
// UTF-8 text has (a control character or an invalid byte), so no CSV file starts so.
var notCSVSignatures = []struct{ magic, problem string }{
	{"\xff\xfe", "UTF-16 text (the file starts with its byte order mark), and nnpipe reads UTF-8: save the file as UTF-8"},
	{"\xfe\xff", "UTF-16 text (the file starts with its byte order mark), and nnpipe reads UTF-8: save the file as UTF-8"},
	{"\x1f\x8b", "a gzip-compressed file, not CSV text: decompress it first"},
	{"\x28\xb5\x2f\xfd", "a zstd-compressed file, not CSV text: decompress it first"},
	{"\xfd7zXZ\x00", "an xz-compressed file, not CSV text: decompress it first"},
	{"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one), not CSV text: export the table as CSV, or unzip it"},
	{"PAR1\x15", "a Parquet file, not CSV text: set the format to parquet"}, // the magic number, then a page header
}

// notCSVText returns what the file br reads is when its first bytes say it is one of
// notCSVSignatures, and "" otherwise.
func notCSVText(br *bufio.Reader) string {
	head, _ := br.Peek(8) // a shorter file gives fewer bytes
	for _, s := range notCSVSignatures {
		if strings.HasPrefix(string(head), s.magic) {
			return s.problem
		}
	}
	return ""
}

// bom is the UTF-8 byte order mark that spreadsheet programs write before a CSV file.
var bom = []byte("\uFEFF")

// skipBOM drops a byte order mark from the start of br. It goes before the CSV parser sees
// the bytes: to the parser, a quoted first field after the mark is a bare quote in an
// unquoted field. A read error Peek meets (in a file shorter than the mark) is met again by
// the next read: the end of the file, or a file that changed, stays so.
func skipBOM(br *bufio.Reader) {
	if head, err := br.Peek(len(bom)); err == nil && bytes.Equal(head, bom) {
		br.Discard(len(bom))
	}
}

// at returns a *LoadError at line and column.
func (c *csvRecords) at(line int, column string, format string, args ...any) error {
	return &LoadError{File: c.name, Line: line, Column: column, Err: fmt.Errorf(format, args...)}
}

// line returns the line of field i of the last record read.
func (c *csvRecords) line(i int) int {
	line, _ := c.cr.FieldPos(i)
	return line
}

// next returns the next record, or nil at the end of the file. The record is reused by the
// next call.
func (c *csvRecords) next() ([]string, error) {
	if c.notCSV != "" {
		return nil, c.at(1, "", "%s", c.notCSV)
	}
	rec, err := c.cr.Read()
	if err == nil {
		c.lastLine = c.line(len(rec) - 1)
		return rec, nil
	}
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if errors.Is(err, errRecordTooLong) {
		if c.limit.start == c.limit.line {
			return nil, c.at(c.limit.line, "", "line is longer than %d bytes", MaxRecordBytes)
		}
		return nil, c.at(c.limit.start, "", "record is longer than %d bytes: a quoted value goes on past the end of this line (is a closing quote missing?)", MaxRecordBytes)
	}
	if errors.Is(err, ErrChanged) {
		return nil, &LoadError{File: c.name, Err: ErrChanged}
	}
	if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
		return nil, c.at(max(pe.Line, 1), "", "%v (character %d)", pe.Err, pe.Column)
	}
	return nil, c.at(c.lastLine, "", "%v", err)
}

// csvHeader is the names of a CSV file's columns: its header row, or c0, c1, … without one.
type csvHeader struct {
	recs     *csvRecords
	names    []string
	index    map[string]int  // the column of each name
	dup      map[string]bool // names more than one column has (only "" may), which cannot be chosen
	noHeader bool
	// noHeaderOption is how the user asks for noHeader, for a hint (ScanOptions.NoHeaderOption).
	noHeaderOption string
	first          string // the first field of the first line, for a hint about the delimiter
}

// newCSVHeader makes the header from the first record; a name twice is an error.
// noHeaderOption is how the user asks for a file without a header row, "" the config key.
func newCSVHeader(recs *csvRecords, rec []string, noHeader bool, noHeaderOption string) (*csvHeader, error) {
	if noHeaderOption == "" {
		noHeaderOption = "header: false"
	}
	h := &csvHeader{recs: recs, names: make([]string, len(rec)), noHeader: noHeader, noHeaderOption: noHeaderOption, first: rec[0]}
	for i, s := range rec {
		if noHeader {
			h.names[i] = "c" + strconv.Itoa(i)
		} else {
			h.names[i] = strings.TrimSpace(strings.Clone(s))
		}
	}
	h.index = make(map[string]int, len(h.names))
	h.dup = make(map[string]bool)
	for i, name := range h.names {
		j, ok := h.index[name]
		switch {
		case !ok:
			h.index[name] = i
		case name != "":
			return nil, recs.at(1, name, "appears twice in the header, as columns %d and %d", j+1, i+1)
		default:
			h.dup[name] = true
		}
	}
	return h, nil
}

// lookup returns the column named col, whose role (label, feature, kept) is for the error.
func (h *csvHeader) lookup(col, role string) (int, error) {
	i, ok := h.index[col]
	if !ok {
		hint := ""
		if len(h.names) == 1 && strings.ContainsAny(h.first, ",;\t|") {
			hint = "; the header is one column: is the delimiter right?"
			if h.noHeader {
				hint = "; the first line is one column: is the delimiter right?"
			}
		}
		if h.noHeader {
			return 0, h.recs.at(1, col, "%s column not in the file (without a header row its columns are %s)%s", role, listColumns(h.names), hint)
		}
		if hint == "" && h.looksLikeData() {
			hint = "; the first line looks like data: has the file no header row? (" + h.noHeaderOption + " names the columns c0, c1, …)"
		}
		return 0, h.recs.at(1, col, "%s column not in the header (%s)%s", role, listColumns(h.names), hint)
	}
	if h.dup[col] {
		return 0, h.recs.at(1, col, "appears more than once in the header")
	}
	return i, nil
}

// looksLikeData reports whether the header row holds numbers in at least half its columns
// (and in one at least): a data row taken for the header, as when a file has none.
func (h *csvHeader) looksLikeData() bool {
	numbers := 0
	for _, n := range h.names {
		if isNumber(n) {
			numbers++
		}
	}
	return numbers > 0 && 2*numbers >= len(h.names)
}

// csvColumns are the columns a load reads, by position.
type csvColumns struct {
	label    int
	features []int
	keep     []int
	kept     map[int]bool
	// text are the columns left out as text because their first value is not a number,
	// when the load names no features: a number in one of them on a later row is an error.
	text []textColumn
}

// textColumn is a column left out of the features because its first value, on line, is
// not a number.
type textColumn struct {
	col   int
	line  int
	first string
}

// columns finds the columns opt names.
func (h *csvHeader) columns(opt LoadOptions) (csvColumns, error) {
	var cols csvColumns
	var err error
	if cols.label, err = h.lookup(opt.Label, "label"); err != nil {
		return cols, err
	}
	cols.features = make([]int, len(opt.Features))
	for k, f := range opt.Features {
		if cols.features[k], err = h.lookup(f, "feature"); err != nil {
			return cols, err
		}
	}
	cols.keep = make([]int, len(opt.Keep))
	cols.kept = make(map[int]bool, len(opt.Keep))
	for k, name := range opt.Keep {
		if cols.keep[k], err = h.lookup(name, "kept"); err != nil {
			return cols, err
		}
		cols.kept[cols.keep[k]] = true
	}
	return cols, nil
}

// numericColumns finds the feature columns when the load names none: the first data row rec
// decides which columns are numeric. A later value that does not parse is then an error on its
// line, and a later number in a column left out as text (readRows checks cols.text) an error
// on the first row's line, rather than a column silently dropped whichever row is wrong.
func (h *csvHeader) numericColumns(rec []string, cols *csvColumns) error {
	var features []int
	for i, s := range rec {
		if i == cols.label || cols.kept[i] || i >= len(h.names) || isUnnamedIndex(h.names[i]) || h.dup[h.names[i]] {
			continue
		}
		if s = strings.TrimSpace(s); isNumber(s) {
			features = append(features, i)
		} else if commaNumber(s) {
			// Left out as text, a column of numbers written as spreadsheets write them would be
			// a feature the network never sees, without a word.
			return h.recs.at(h.recs.line(i), h.names[i], "%s on the first data row is a number written with a comma (a decimal comma, or thousands set off), and nnpipe reads plain numbers with a decimal point (name the features to leave the column out)", shortQuote(s))
		} else if goNumber(s) {
			return h.recs.at(h.recs.line(i), h.names[i], "%s on the first data row is a number in a programming language's syntax (hexadecimal, or digits set off with _), and nnpipe reads plain decimal numbers (name the features to leave the column out)", shortQuote(s))
		} else {
			cols.text = append(cols.text, textColumn{col: i, line: h.recs.line(i), first: strings.Clone(s)})
		}
	}
	if len(features) == 0 {
		return h.recs.at(h.recs.line(0), "", "no feature columns: on the first data row, no column but the label holds a number")
	}
	for _, c := range features {
		if err := checkName(h.names[c], c); err != nil {
			return h.recs.at(1, h.names[c], "%v", err)
		}
	}
	cols.features = features
	return nil
}

// checkReserved refuses a feature or kept column named as a column of the dataset file
// (see reservedName).
func (h *csvHeader) checkReserved(cols csvColumns) error {
	for _, c := range cols.features {
		if err := reservedName(h.names[c], false); err != nil {
			return h.recs.at(1, h.names[c], "%v", err)
		}
	}
	for _, c := range cols.keep {
		if err := reservedName(h.names[c], true); err != nil {
			return h.recs.at(1, h.names[c], "%v", err)
		}
	}
	return nil
}

// isNumber reports whether s parses as a number (see ParseNumber), however large: what makes
// a column a feature when the load names none.
func isNumber(s string) bool {
	_, err := ParseNumber(s)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// goNumber reports whether s, which ParseNumber refuses, is a number in Go's syntax, which
// load version 4 read: hexadecimal with a binary exponent (0x1p4) or digits set off with _
// (1_000). Left out as text now, a column of them would vanish from the default features
// without a word, so it is refused instead.
func goNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// checkText returns the error for a number on a later row in a column left out as text.
func (c *csvRecords) checkText(h *csvHeader, text []textColumn, rec []string) error {
	for _, t := range text {
		if v := strings.TrimSpace(rec[t.col]); isNumber(v) || commaNumber(v) {
			return c.at(t.line, h.names[t.col], "%s on the first data row, but line %d has a number: a feature needs a number on every row (name the features to leave a column out)",
				valueProblem(t.first, strconv.ErrSyntax), c.line(t.col))
		}
	}
	return nil
}

// csvSizeHint is what readRows needs to size its arrays once: the file's size and where the
// data rows start, in bytes (0 if unknown).
type csvSizeHint struct{ size, headerEnd int64 }

// readRows reads the data rows, starting with rec, the first one, into a new dataset, and
// returns it with the label values in order of appearance. It checks ctx every checkEvery
// rows. The dataset's classes are not set yet.
func (c *csvRecords) readRows(ctx context.Context, h *csvHeader, cols csvColumns, rec []string, hint csvSizeHint, label string) (*Dataset, *classSet[string], error) {
	dims := len(cols.features)
	d := &Dataset{Features: make([]string, dims)}
	for k, col := range cols.features {
		d.Features[k] = h.names[col]
	}
	for _, col := range cols.keep {
		d.Extra = append(d.Extra, Column{Name: h.names[col]})
	}
	texts := make(map[string]string) // kept values seen so far, shared
	classes := newClassSet(strings.Clone)
	var err error
	for row := 0; rec != nil; row++ {
		if row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		if len(rec) != len(h.names) {
			return nil, nil, c.at(c.line(0), "", "%d fields, but the header has %d", len(rec), len(h.names))
		}
		if row == 1024 && hint.size > 0 {
			c.grow(d, hint)
		}
		if row > 0 && len(cols.text) > 0 {
			if err := c.checkText(h, cols.text, rec); err != nil {
				return nil, nil, err
			}
		}
		for _, col := range cols.features {
			s := strings.TrimSpace(rec[col])
			v, err := ParseNumber(s)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, c.at(c.line(col), h.names[col], "%s", valueProblem(s, err))
			}
			d.X = append(d.X, v)
		}
		s := strings.TrimSpace(rec[cols.label])
		if s == "" {
			return nil, nil, c.at(c.line(cols.label), label, "empty label")
		}
		if !utf8.ValidString(s) {
			return nil, nil, c.at(c.line(cols.label), label, "%s", notText(s))
		}
		if err := c.labelSpansLines(c.line(cols.label), label, s); err != nil {
			return nil, nil, err
		}
		d.Labels = append(d.Labels, classes.id(s))
		for k, col := range cols.keep {
			v := strings.TrimSpace(rec[col])
			if !utf8.ValidString(v) {
				return nil, nil, c.at(c.line(col), h.names[col], "%s", notText(v))
			}
			d.Extra[k].Values = append(d.Extra[k].Values, intern(texts, v))
		}
		if rec, err = c.next(); err != nil {
			return nil, nil, err
		}
	}
	return d, classes, nil
}

// labelSpansLines returns the error for a label s, of the column named label, that starts on
// line from and holds a line break, and nil for one that does not. A quoted label spread over
// lines is no class name: a quote left open at its start made it of the rows up to the next
// quote, which would go missing without a word.
func (c *csvRecords) labelSpansLines(from int, label, s string) error {
	n := strings.Count(s, "\n")
	if n == 0 {
		return nil
	}
	return c.at(from, label, "the label spans lines %d to %d, and a class name holds no line break (is a quote unbalanced?)", from, from+n)
}

// grow sizes d's arrays once, after the first 1024 rows, from the bytes per row so far,
// instead of growing them as rows come (which would briefly hold two copies).
func (c *csvRecords) grow(d *Dataset, hint csvSizeHint) {
	per := (c.cr.InputOffset() - hint.headerEnd) / 1024
	if per <= 0 {
		return
	}
	dims := len(d.Features)
	est := int((hint.size-hint.headerEnd)/per) + 64
	d.X = slices.Grow(d.X, est*dims+est/16*dims-len(d.X))
	d.Labels = slices.Grow(d.Labels, est+est/16-len(d.Labels))
	for k := range d.Extra {
		d.Extra[k].Values = slices.Grow(d.Extra[k].Values, est+est/16-len(d.Extra[k].Values))
	}
}

// valueProblem says what is wrong with a feature value s that ParseNumber rejected with err
// or parsed as NaN or ±Inf.
func valueProblem(s string, err error) string {
	switch {
	case s == "":
		return "empty value"
	case errors.Is(err, strconv.ErrRange):
		return fmt.Sprintf("%s is out of range", shortQuote(s))
	case err != nil && commaNumber(s):
		return fmt.Sprintf("%s is not a plain number (a decimal comma, or thousands set off?)", shortQuote(s))
	case err != nil && goNumber(s):
		return fmt.Sprintf("%s is not a plain decimal number (hexadecimal, or digits set off with _?)", shortQuote(s))
	case err != nil:
		return fmt.Sprintf("%s is not a number", shortQuote(s))
	}
	return fmt.Sprintf("%s is not a finite number", shortQuote(s))
}

// commaNumber reports whether s is a number written with a comma, as spreadsheets write them:
// an optional sign, then either a decimal comma ("1,5"; its whole part may set off thousands
// with points, "1.234,5") or thousands set off by commas ("1,234", "1,234,567.5").
func commaNumber(s string) bool {
	if strings.IndexByte(s, ',') < 0 {
		return false // most text: no allocation, no scan beyond this
	}
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if whole, frac, ok := strings.Cut(s, ","); ok && allDigits(frac) && grouped(whole, ".") {
		return true // a decimal comma
	}
	whole, frac, ok := strings.Cut(s, ".")
	return strings.Contains(whole, ",") && grouped(whole, ",") && (!ok || allDigits(frac))
}

// grouped reports whether s is digits, in groups of three after the first set off by sep.
func grouped(s, sep string) bool {
	first, rest, more := strings.Cut(s, sep)
	if !allDigits(first) || more && len(first) > 3 {
		return false
	}
	for more {
		var g string
		g, rest, more = strings.Cut(rest, sep)
		if len(g) != 3 || !allDigits(g) {
			return false
		}
	}
	return true
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// shortQuote quotes s for an error message, cutting a long value short.
func shortQuote(s string) string {
	const most = 40
	if len(s) <= most {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:runeCut(s, most)]) + "…"
}

// runeCut returns where to cut s to at most n bytes (n < len(s)) without splitting a
// character.
func runeCut(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// validDelimiter mirrors encoding/csv's rule for Comma: not NUL, a quote, CR, LF, an
// invalid rune or U+FFFD.
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

// MaxRecordBytes bounds a CSV record, a row of the table: a row is short, and a file that is
// one enormous line (a binary file, a wrong delimiter) or one enormous quoted value (a quote
// never closed) must be refused quickly and in bounded memory rather than read whole.
const MaxRecordBytes = 1 << 20

var errRecordTooLong = errors.New("record too long")

// recordLimiter passes bytes through, failing once a CSV record exceeds limit bytes; it
// counts lines for the error message. A record ends at a line break outside quotes, and a
// line break inside them counts as one of its bytes.
//
// Whether a line break is inside quotes is the parity of the quotes before it in the record:
// to encoding/csv (without LazyQuotes) a quote opens a quoted field, closes it, or is doubled
// inside it, and any other quote is an error on its line. A doubled quote flips the parity
// twice, with no line break between.
type recordLimiter struct {
	r      io.Reader
	limit  int
	run    int  // bytes of the record so far
	quoted bool // inside quotes: an odd number of quotes since the record started
	line   int  // the line being read
	start  int  // the line the record started on
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	// Jump from line break to line break (IndexByte is vectorized): a byte-by-byte loop cost
	// a sixth of the time of reading a million-row CSV. Quotes are counted only in reads that
	// have one, which most files of numbers have not.
	quotes := bytes.IndexByte(p[:n], '"') >= 0
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			j = n - i
		}
		if l.run+j > l.limit {
			return i + l.limit - l.run, errRecordTooLong
		}
		l.run += j
		if quotes && bytes.Count(p[i:i+j], quote)%2 == 1 {
			l.quoted = !l.quoted
		}
		if i += j; i == n {
			break
		}
		i++ // the line break
		l.line++
		if !l.quoted {
			l.run, l.start = 0, l.line
			continue
		}
		if l.run++; l.run > l.limit {
			return i - 1, errRecordTooLong
		}
	}
	return n, err
}

var quote = []byte{'"'}
