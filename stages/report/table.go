package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format names a rendering of a Table. Its values are the spellings of the
// command line's --format flag.
type Format string

const (
	// Text is a box table for terminals, at most Table.MaxWidth columns wide.
	Text Format = "table"
	// Markdown is a GitHub-flavoured Markdown table.
	Markdown Format = "md"
	// CSV is RFC 4180 CSV with a header line.
	CSV Format = "csv"
	// JSON is an array of objects keyed by the header.
	JSON Format = "json"
)

// DefaultTextWidth is the widest line, in terminal columns, of a Text table
// whose MaxWidth is zero.
const DefaultTextWidth = 80

// ParseFormat returns the Format spelled s ("table", "md", "csv" or "json",
// exactly), or an error naming the valid spellings.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, Markdown, CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown table format %q (want table, md, csv or json)", s)
}

// Table is a header and rows of already formatted cells; Numeric marks the
// columns that hold numbers (right-aligned, and JSON numbers), Bool those
// that hold booleans (JSON true and false), and Missing the cells that
// hold no value (JSON null), which the other formats print as their text.
//
// Every row must have exactly len(Header) cells; Numeric and Bool are nil
// or have len(Header) entries, Missing is nil or has len(Rows) rows, each
// nil or of len(Header) entries; Write reports anything else as an error.
type Table struct {
	Header  []string
	Rows    [][]string
	Numeric []bool   // per column; nil means none
	Bool    []bool   // per column; nil means none
	Missing [][]bool // per row and column; nil means none

	// MaxWidth is the widest line, in terminal columns, that the Text format
	// may print: 0 means DefaultTextWidth and a negative value means no limit.
	// A table wider than that is printed transposed when that fits (one line
	// per column, one column per row: the usual shape of a single run's
	// summary), and otherwise split into several tables of consecutive
	// columns, each repeating the first column so its rows stay identified.
	MaxWidth int
}

// Write renders t in format f to w:
//
//   - Text: a tablewriter box table with the header as given (no automatic
//     upper-casing), numeric columns right-aligned, tabs shown as spaces,
//     other control and bidirectional formatting characters as their Go
//     escapes (\x1b, \u202e), fitted into MaxWidth columns as described there;
//   - Markdown: a tablewriter Markdown table, numeric columns right-aligned,
//     '|' in a cell escaped as `\|`, line breaks shown as spaces and control
//     characters escaped as in Text;
//   - CSV: encoding/csv, the header then the rows, cells verbatim;
//   - JSON: an array of objects, one per row, with the header cells as keys in
//     header order. A Missing cell is null. A numeric column's cell is written
//     as a JSON number when it is one (such as FormatFloat's "0.2234" or
//     "1.10e-05"), as null when it is empty or "-", and as a string otherwise
//     (such as "0.91 ± 0.01"); a Bool column's "true" and "false" are JSON
//     true and false; other cells are strings. Header cells must differ.
//
// Write writes nothing when t is malformed or f is unknown.
func (t Table) Write(w io.Writer, f Format) error {
	if err := t.check(); err != nil {
		return err
	}
	switch f {
	case Text:
		return t.writeText(w)
	case Markdown:
		return t.writeMarkdown(w)
	case CSV:
		return t.writeCSV(w)
	case JSON:
		return t.writeJSON(w)
	}
	return fmt.Errorf("write table: unknown format %q", f)
}

// check reports the first way in which t's shape is inconsistent.
func (t Table) check() error {
	if len(t.Header) == 0 {
		return fmt.Errorf("write table: no columns")
	}
	if t.Numeric != nil && len(t.Numeric) != len(t.Header) {
		return fmt.Errorf("write table: %d numeric flags for %d columns", len(t.Numeric), len(t.Header))
	}
	if t.Bool != nil && len(t.Bool) != len(t.Header) {
		return fmt.Errorf("write table: %d bool flags for %d columns", len(t.Bool), len(t.Header))
	}
	if t.Missing != nil && len(t.Missing) != len(t.Rows) {
		return fmt.Errorf("write table: missing flags for %d rows, want %d", len(t.Missing), len(t.Rows))
	}
	for i, r := range t.Rows {
		if len(r) != len(t.Header) {
			return fmt.Errorf("write table: row %d has %d cells, want %d", i, len(r), len(t.Header))
		}
		if t.Missing != nil && t.Missing[i] != nil && len(t.Missing[i]) != len(t.Header) {
			return fmt.Errorf("write table: %d missing flags in row %d, want %d", len(t.Missing[i]), i, len(t.Header))
		}
	}
	return nil
}

func (t Table) numeric(col int) bool {
	return t.Numeric != nil && t.Numeric[col]
}

func (t Table) boolean(col int) bool {
	return t.Bool != nil && t.Bool[col]
}

func (t Table) missing(row, col int) bool {
	return t.Missing != nil && t.Missing[row] != nil && t.Missing[row][col]
}

// aligns returns the alignment of each column: numbers right, the rest left.
func (t Table) aligns() []tw.Align {
	a := make([]tw.Align, len(t.Header))
	for c := range a {
		a[c] = tw.AlignLeft
		if t.numeric(c) {
			a[c] = tw.AlignRight
		}
	}
	return a
}

// writeText prints the box table, transposed or split when it is too wide.
func (t Table) writeText(w io.Writer) error {
	header := mapCells(t.Header, textCell)
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = mapCells(r, textCell)
	}
	limit := t.MaxWidth
	if limit == 0 {
		limit = DefaultTextWidth
	}
	widths := columnWidths(header, rows)
	if limit < 0 || boxWidth(widths) <= limit || len(header) == 1 {
		return renderBox(w, header, rows, t.aligns())
	}
	if len(rows) > 0 {
		th, trows := transpose(header, rows, t.numeric)
		if boxWidth(columnWidths(th, trows)) <= limit {
			// The cells are padded already, each by its own source column's
			// alignment, so every transposed column is left-aligned.
			return renderBox(w, th, trows, make([]tw.Align, len(th)))
		}
	}
	var buf bytes.Buffer
	for i, cols := range splitColumns(widths, limit) {
		if i > 0 {
			buf.WriteByte('\n')
		}
		sub := Table{Header: pick(header, cols), Rows: make([][]string, len(rows))}
		for r := range rows {
			sub.Rows[r] = pick(rows[r], cols)
		}
		sub.Numeric = make([]bool, len(cols))
		for i, c := range cols {
			sub.Numeric[i] = t.numeric(c)
		}
		if err := renderBox(&buf, sub.Header, sub.Rows, sub.aligns()); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// renderBox prints one tablewriter box table with literal headers, aligned
// per column (tw.Empty counts as left).
func renderBox(w io.Writer, header []string, rows [][]string, aligns []tw.Align) error {
	for i, a := range aligns {
		if a == tw.Empty {
			aligns[i] = tw.AlignLeft
		}
	}
	tbl := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}))
	tbl.Header(anySlice(header)...)
	if err := tbl.Bulk(rows); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// textCell makes a cell safe for a box table: tabs (whose width tablewriter
// guesses from the environment) and carriage returns become spaces, and the
// other characters a terminal would obey rather than show are escaped.
func textCell(s string) string {
	return terminalSafe(strings.NewReplacer("\t", " ", "\r\n", "\n", "\r", " ").Replace(s))
}

// terminalSafe writes every control character but '\n' (C0, DEL, C1: the
// start of an escape sequence that would recolour the terminal or set its
// title), every bidirectional formatting character (which would reorder
// the line around it, U+202E among them) and the line and paragraph
// separators U+2028 and U+2029 as a Go escape, \x1b or \u202e, so that
// text from a user's data, such as a class name, shows as itself.
func terminalSafe(s string) string {
	if !strings.ContainsFunc(s, obeyed) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !obeyed(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// obeyed reports whether a terminal acts on r instead of showing it: a
// control character other than a line break, a bidirectional mark,
// embedding, override or isolate, or a line or paragraph separator.
func obeyed(r rune) bool {
	switch {
	case r == '\n':
		return false
	case unicode.IsControl(r):
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// columnWidths returns the display width of each column's widest line,
// header included.
func columnWidths(header []string, rows [][]string) []int {
	widths := make([]int, len(header))
	measure := func(c int, s string) {
		for line := range strings.SplitSeq(s, "\n") {
			widths[c] = max(widths[c], twwidth.Width(line))
		}
	}
	for c, h := range header {
		measure(c, h)
	}
	for _, r := range rows {
		for c, s := range r {
			measure(c, s)
		}
	}
	return widths
}

// boxWidth is the line width of a box table with the given column widths:
// a border before every column and after the last, one space of padding on
// each side of every cell.
func boxWidth(widths []int) int {
	n := 1
	for _, w := range widths {
		n += w + 3
	}
	return n
}

// transpose turns the table into one row per column: the first column's cells
// become the header, after the first header cell. Each cell is padded to its
// new column's width, on the left for numeric source columns and on the right
// for the others, so alignment follows the source column.
func transpose(header []string, rows [][]string, numeric func(int) bool) ([]string, [][]string) {
	th := make([]string, len(rows)+1)
	th[0] = header[0]
	for r, row := range rows {
		th[r+1] = row[0]
	}
	trows := make([][]string, len(header)-1)
	for c := 1; c < len(header); c++ {
		tr := make([]string, len(rows)+1)
		tr[0] = header[c]
		for r, row := range rows {
			tr[r+1] = row[c]
		}
		trows[c-1] = tr
	}
	widths := columnWidths(th, trows)
	for i, tr := range trows {
		for j := 1; j < len(tr); j++ {
			tr[j] = padCell(tr[j], widths[j], numeric(i+1))
		}
	}
	return th, trows
}

// padCell pads every line of s with spaces to width columns, on the left when
// right is true.
func padCell(s string, width int, right bool) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		pad := strings.Repeat(" ", max(0, width-twwidth.Width(l)))
		if right {
			lines[i] = pad + l
		} else {
			lines[i] = l + pad
		}
	}
	return strings.Join(lines, "\n")
}

// splitColumns groups the columns after the first into consecutive runs that,
// together with the first column, fit into limit; a column too wide on its
// own gets a group of its own anyway. Every group starts with column 0.
func splitColumns(widths []int, limit int) [][]int {
	var groups [][]int
	cur := []int{0}
	used := boxWidth(widths[:1])
	for c := 1; c < len(widths); c++ {
		if len(cur) > 1 && used+widths[c]+3 > limit {
			groups = append(groups, cur)
			cur = []int{0}
			used = boxWidth(widths[:1])
		}
		cur = append(cur, c)
		used += widths[c] + 3
	}
	return append(groups, cur)
}

func pick(cells []string, cols []int) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = cells[c]
	}
	return out
}

func mapCells(cells []string, f func(string) string) []string {
	out := make([]string, len(cells))
	for i, s := range cells {
		out[i] = f(s)
	}
	return out
}

func anySlice(cells []string) []any {
	out := make([]any, len(cells))
	for i, s := range cells {
		out[i] = s
	}
	return out
}

// markdownCell escapes '|', which tablewriter's Markdown renderer would take
// as a column break, flattens line breaks, which a Markdown table row
// cannot hold, and escapes what a terminal would obey, as textCell does.
func markdownCell(s string) string {
	return terminalSafe(strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s))
}

func (t Table) writeMarkdown(w io.Writer) error {
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = mapCells(r, markdownCell)
	}
	aligns := t.aligns()
	tbl := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}))
	tbl.Header(anySlice(mapCells(t.Header, markdownCell))...)
	if err := tbl.Bulk(rows); err != nil {
		return fmt.Errorf("render markdown table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render markdown table: %w", err)
	}
	return nil
}

func (t Table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return fmt.Errorf("write csv table: %w", err)
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return fmt.Errorf("write csv table: %w", err)
	}
	return nil
}

func (t Table) writeJSON(w io.Writer) error {
	seen := make(map[string]bool, len(t.Header))
	keys := make([][]byte, len(t.Header))
	for c, h := range t.Header {
		if seen[h] {
			return fmt.Errorf("write json table: header %q appears twice", h)
		}
		seen[h] = true
		keys[c] = jsonString(h)
	}
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, r := range t.Rows {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n  {")
		for c, s := range r {
			if c > 0 {
				buf.WriteString(", ")
			}
			buf.Write(keys[c])
			buf.WriteString(": ")
			buf.Write(t.jsonValue(i, c, s))
		}
		buf.WriteString("}")
	}
	if len(t.Rows) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("]\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonValue encodes one cell, s of row and col, as Write documents.
func (t Table) jsonValue(row, col int, s string) []byte {
	switch {
	case t.missing(row, col), t.numeric(col) && (s == "" || s == "-"):
		return []byte("null")
	case t.numeric(col) && isJSONNumber(s), t.boolean(col) && (s == "true" || s == "false"):
		return []byte(s)
	}
	return jsonString(s)
}

// isJSONNumber reports whether s is exactly a JSON number literal.
func isJSONNumber(s string) bool {
	if s == "" || !(s[0] == '-' || ('0' <= s[0] && s[0] <= '9')) {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	// ParseFloat also takes forms JSON does not ("0x1p-2", "1_000", "01",
	// "1.", "-Inf"); json.Valid rules them out.
	return json.Valid([]byte(s))
}

// jsonString encodes s as a JSON string without HTML escaping, so "<" and
// "&" stay readable.
func jsonString(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
