package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// runSummary is the table `nnpipe run` prints: the ten columns of one run.
func runSummary() Table {
	return Table{
		Header: []string{"run id", "hidden", "gradient", "steps", "learning rate",
			"train CE", "test CE", "train acc", "test acc", "seconds"},
		Rows: [][]string{{"20250101T120000-1a2b3c4d", "2", "numerical", "1000", "0.5",
			"0.2234", "0.2716", "0.9300", "0.9100", "1.23"}},
		Numeric: []bool{false, true, false, true, true, true, true, true, true, true},
	}
}

// sweepTable is a wide table of several rows, too many for transposing.
func sweepTable() Table {
	t := runSummary()
	t.Rows = nil
	for i, h := range []int{1, 2, 4, 8} {
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("20250101T12000%d-1a2b3c4d", i), fmt.Sprint(h), "backprop", "20000", "0.05",
			FormatFloat(0.5 / float64(h)), FormatFloat(math.NaN()), FormatFloat(1 - 0.01/float64(h)),
			FormatMeanStd(0.9, 0.011), FormatFloat(12.5 * float64(h)),
		})
	}
	return t
}

// skipIfEastAsian skips golden text checks when tablewriter counts ambiguous
// characters (box drawing, '±') as two columns, as it does under a CJK locale
// or RUNEWIDTH_EASTASIAN=1; the goldens are for narrow terminals.
func skipIfEastAsian(t *testing.T) {
	t.Helper()
	if twwidth.IsEastAsian() {
		t.Skip("tablewriter uses East Asian widths here; set RUNEWIDTH_EASTASIAN=0")
	}
}

func TestWriteGolden(t *testing.T) {
	pipes := Table{
		Header:  []string{"metric", "value", "note"},
		Rows:    [][]string{{"accuracy", "0.9993", "a|b"}, {"learning_rate", "0.05", "two\nlines"}},
		Numeric: []bool{false, true, false},
	}
	wide := runSummary()
	wide.MaxWidth = -1
	tests := []struct {
		name   string
		table  Table
		format Format
	}{
		{"a narrow table prints as a box table", pipes, Text},
		{"a run summary prints transposed", runSummary(), Text},
		{"a run summary with no width limit prints as one line", wide, Text},
		{"a wide sweep table prints split", sweepTable(), Text},
		{"markdown escapes pipes", pipes, Markdown},
		{"markdown run summary", runSummary(), Markdown},
		{"csv keeps cells verbatim", pipes, CSV},
		{"json writes numbers and strings", sweepTable(), JSON},
		{"json of a table without rows is an empty array", Table{Header: []string{"a"}}, JSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.format == Text || tt.format == Markdown {
				skipIfEastAsian(t)
			}
			var buf bytes.Buffer
			if err := tt.table.Write(&buf, tt.format); err != nil {
				t.Fatalf("Write(%s) = %v", tt.format, err)
			}
			name := strings.ReplaceAll(tt.name, " ", "_") + "." + string(tt.format)
			checkGolden(t, "tables/"+name, buf.Bytes())
		})
	}
}

// textWidth returns the display width of the widest line of s.
func textWidth(s string) int {
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, twwidth.Width(line))
	}
	return w
}

func TestWriteTextFitsWidth(t *testing.T) {
	skipIfEastAsian(t)
	many := sweepTable()
	for i := range 40 {
		many.Rows = append(many.Rows, slices.Clone(many.Rows[i%4]))
	}
	narrow := sweepTable()
	narrow.MaxWidth = 50
	tests := []struct {
		name  string
		table Table
		limit int
		// cells that must all appear in the output, so nothing is dropped
		cells []string
	}{
		{"a run summary fits in 80 columns", runSummary(), 80, runSummary().Rows[0]},
		{"a wide sweep fits in 80 columns", sweepTable(), 80, sweepTable().Rows[3]},
		{"a long sweep fits in 80 columns", many, 80, many.Rows[43]},
		{"a sweep fits a 50-column limit", narrow, 50, sweepTable().Rows[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.table.Write(&buf, Text); err != nil {
				t.Fatalf("Write(Text) = %v", err)
			}
			out := buf.String()
			if w := textWidth(out); w > tt.limit {
				t.Errorf("Write(Text) is %d columns wide, want at most %d:\n%s", w, tt.limit, out)
			}
			for _, c := range tt.cells {
				if !strings.Contains(out, c) {
					t.Errorf("Write(Text) lacks cell %q:\n%s", c, out)
				}
			}
		})
	}
}

func TestWriteTextWithoutLimitIsOneTable(t *testing.T) {
	tbl := sweepTable()
	tbl.MaxWidth = -1
	var buf bytes.Buffer
	if err := tbl.Write(&buf, Text); err != nil {
		t.Fatal(err)
	}
	// one header line, one line per row, three borders
	if got, want := strings.Count(buf.String(), "\n"), len(tbl.Rows)+4; got != want {
		t.Errorf("Write(Text) with MaxWidth -1 has %d lines, want %d:\n%s", got, want, buf.String())
	}
	if w := textWidth(buf.String()); w <= DefaultTextWidth {
		t.Errorf("Write(Text) with MaxWidth -1 is %d columns wide, want the unsplit width above %d", w, DefaultTextWidth)
	}
}

// TestBoxWidth checks the width formula that decides transposing and
// splitting against what tablewriter prints.
func TestBoxWidth(t *testing.T) {
	skipIfEastAsian(t)
	for _, tbl := range []Table{runSummary(), sweepTable(), {Header: []string{"±", "a\nbbbb"}}} {
		tbl.MaxWidth = -1
		var buf bytes.Buffer
		if err := tbl.Write(&buf, Text); err != nil {
			t.Fatal(err)
		}
		want := textWidth(buf.String())
		if got := boxWidth(columnWidths(tbl.Header, tbl.Rows)); got != want {
			t.Errorf("boxWidth(%q) = %d, want %d (printed)", tbl.Header, got, want)
		}
	}
}

func TestWriteJSONValues(t *testing.T) {
	tbl := Table{
		Header:  []string{"id", "n", "x", "mean", "text", "flag"},
		Numeric: []bool{false, true, true, true, false, false},
		Bool:    []bool{false, false, false, false, false, true},
		Rows: [][]string{
			{"a", "3", "1.10e-05", "0.91 ± 0.01", "<&>", "true"},
			{"b", "", "-", "+Inf", "7", "false"},
			{"c", "4", "0", "1", "", ""}, // an empty text and no flag
			{"d", "4", "0", "1", "", "maybe"},
		},
		Missing: [][]bool{nil, nil, {false, false, false, false, false, true}, {false, false, true, false, true, false}},
	}
	var buf bytes.Buffer
	if err := tbl.Write(&buf, JSON); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("Write(JSON) is not JSON: %v\n%s", err, buf.String())
	}
	want := []map[string]any{
		{"id": "a", "n": 3.0, "x": 1.10e-05, "mean": "0.91 ± 0.01", "text": "<&>", "flag": true},
		{"id": "b", "n": nil, "x": nil, "mean": "+Inf", "text": "7", "flag": false},
		{"id": "c", "n": 4.0, "x": 0.0, "mean": 1.0, "text": "", "flag": nil},
		{"id": "d", "n": 4.0, "x": nil, "mean": 1.0, "text": nil, "flag": "maybe"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Write(JSON) decodes to %v, want %v", got, want)
	}
	if !strings.Contains(buf.String(), `"<&>"`) {
		t.Errorf("Write(JSON) escapes HTML characters: %s", buf.String())
	}
}

func TestWriteRejectsMalformedTables(t *testing.T) {
	tests := []struct {
		name   string
		table  Table
		format Format
	}{
		{"a table without columns", Table{}, Text},
		{"a short row", Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}, {"1"}}}, CSV},
		{"a long row", Table{Header: []string{"a"}, Rows: [][]string{{"1", "2"}}}, Markdown},
		{"numeric flags of the wrong length", Table{Header: []string{"a", "b"}, Numeric: []bool{true}}, Text},
		{"bool flags of the wrong length", Table{Header: []string{"a", "b"}, Bool: []bool{true}}, JSON},
		{"missing flags for too few rows", Table{Header: []string{"a"}, Rows: [][]string{{"1"}, {"2"}}, Missing: [][]bool{nil}}, JSON},
		{"missing flags too short for a row", Table{Header: []string{"a", "b"}, Rows: [][]string{{"1", "2"}}, Missing: [][]bool{{true}}}, CSV},
		{"an unknown format", Table{Header: []string{"a"}}, Format("html")},
		{"duplicate JSON keys", Table{Header: []string{"a", "a"}, Rows: [][]string{{"1", "2"}}}, JSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tt.table.Write(&buf, tt.format)
			if err == nil {
				t.Fatalf("Write(%s) = nil, want an error", tt.format)
			}
			if buf.Len() != 0 {
				t.Errorf("Write(%s) wrote %q before failing, want nothing", tt.format, buf.String())
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"table", Text, false},
		{"md", Markdown, false},
		{"csv", CSV, false},
		{"json", JSON, false},
		{"markdown", "", true},
		{"TABLE", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseFormat(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.22341, "0.2234"},
		{1.0986122886681098, "1.0986"},
		{0.93, "0.9300"},
		{1, "1.0000"},
		{0, "0.0000"},
		{math.Copysign(0, -1), "0.0000"},
		{-0.5, "-0.5000"},
		{0.01, "0.0100"},
		{0.0099, "9.90e-03"},
		{1.1e-05, "1.10e-05"},
		{-1.1e-05, "-1.10e-05"},
		{99999.5, "99999.5000"},
		{123456, "1.23e+05"},
		{math.NaN(), "-"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			if got := FormatFloat(tt.in); got != tt.want {
				t.Errorf("FormatFloat(%v) = %q, want %q", tt.in, got, tt.want)
			}
			if got := FormatFloat(tt.in); !math.IsNaN(tt.in) && !math.IsInf(tt.in, 0) && !isJSONNumber(got) {
				t.Errorf("FormatFloat(%v) = %q, not a JSON number", tt.in, got)
			}
		})
	}
}

func TestFormatMeanStd(t *testing.T) {
	tests := []struct {
		mean, std float64
		want      string
	}{
		{0.912, 0.011, "0.9120 ± 0.0110"},
		{0.2, 0, "0.2000 ± 0.0000"},
		{0.2, 3e-05, "0.2000 ± 3.00e-05"},
		{0.2, math.NaN(), "0.2000"},
		{math.NaN(), 0.1, "-"},
	}
	for _, tt := range tests {
		if got := FormatMeanStd(tt.mean, tt.std); got != tt.want {
			t.Errorf("FormatMeanStd(%v, %v) = %q, want %q", tt.mean, tt.std, got, tt.want)
		}
	}
}

// FuzzTableWrite writes arbitrary cells in every format and checks what each
// format promises: CSV reads back the same cells, JSON is valid with one
// object per row, Markdown has one line per row and no unescaped '|' in a
// cell, and nothing fails.
func FuzzTableWrite(f *testing.F) {
	f.Add("a", "b", "1", "x|y", true)
	f.Add("run id", "", "0.5\n2", "\"q\"", false)
	f.Add("\t", "±", "-", "1e5", true)
	f.Fuzz(func(t *testing.T, h0, h1, c0, c1 string, num bool) {
		tbl := Table{
			Header:  []string{h0, h1},
			Rows:    [][]string{{c0, c1}, {c1, c0}},
			Numeric: []bool{false, num},
		}
		for _, format := range []Format{Text, Markdown, CSV, JSON} {
			var buf bytes.Buffer
			err := tbl.Write(&buf, format)
			if format == JSON && h0 == h1 {
				if err == nil {
					t.Errorf("Write(JSON) with duplicate keys %q = nil, want an error", h0)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Write(%s) = %v", format, err)
			}
			switch format {
			case CSV:
				got, err := csv.NewReader(&buf).ReadAll()
				want := [][]string{tbl.Header, tbl.Rows[0], tbl.Rows[1]}
				// encoding/csv turns \r\n inside quoted fields into \n and
				// cannot round-trip a lone "" line; compare what it can.
				if err == nil && !strings.Contains(h0+h1+c0+c1, "\r") && fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("CSV round trip = %q, want %q", got, want)
				}
			case JSON:
				var rows []map[string]any
				if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
					t.Fatalf("Write(JSON) is not valid JSON: %v\n%s", err, buf.String())
				}
				if len(rows) != 2 {
					t.Errorf("Write(JSON) has %d objects, want 2", len(rows))
				}
			case Markdown:
				lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
				if len(lines) != 4 {
					t.Errorf("Write(Markdown) has %d lines, want 4:\n%s", len(lines), buf.String())
				}
				for _, l := range lines {
					if n := unescapedPipes(l); n != 3 {
						t.Errorf("Write(Markdown) line %q has %d column breaks, want 3", l, n)
					}
				}
			}
		}
	})
}

// unescapedPipes counts the '|' of a Markdown table line that are not
// preceded by a backslash: the column breaks.
func unescapedPipes(line string) int {
	n := 0
	for i := range len(line) {
		if line[i] == '|' && (i == 0 || line[i-1] != '\\') {
			n++
		}
	}
	return n
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"table", "md", "csv", "json", "", "Table"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		if err == nil && string(got) != s {
			t.Errorf("ParseFormat(%q) = %q, want the same spelling", s, got)
		}
		if err != nil && got != "" {
			t.Errorf("ParseFormat(%q) = %q with error %v, want an empty Format", s, got, err)
		}
	})
}

func BenchmarkWriteText(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		tbl := sweepTable()
		for len(tbl.Rows) < n {
			tbl.Rows = append(tbl.Rows, tbl.Rows[len(tbl.Rows)%4])
		}
		tbl.Rows = tbl.Rows[:n]
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := tbl.Write(&bytes.Buffer{}, Text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestTerminalFormatsShowControlCharactersAsEscapes: a class name or a
// column name from a user's data reaches show's, predict's and compare's
// tables; one holding a terminal escape sequence (a colour, a window title
// set by OSC, an 8-bit CSI) or a bidirectional override must show as its
// escape, not drive the terminal or reorder the line.
func TestTerminalFormatsShowControlCharactersAsEscapes(t *testing.T) {
	cases := []struct{ cell, shown string }{
		{"a\x1b[31mred\x1b[0m", `a\x1b[31mred\x1b[0m`},
		{"t\x1b]0;PWNED\x07", `t\x1b]0;PWNED\x07`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"del\x7f", `del\x7f`},
		{"x\u202etxt.exe", `x\u202etxt.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"line\u2028sep\u2029", `line\u2028sep\u2029`},
		{"back\\slash", `back\slash`},
		{`</script>`, `</script>`},
		{"café ±", "café ±"},
	}
	bad := func(r rune) bool {
		return r == '\x1b' || r == '\x07' || r == '\x7f' || (r >= 0x80 && r < 0xa0) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029
	}
	for _, f := range []Format{Text, Markdown} {
		for _, c := range cases {
			tbl := Table{Header: []string{"class", "col " + c.cell}, Rows: [][]string{{c.cell, "1"}}, Numeric: []bool{false, true}}
			var buf bytes.Buffer
			if err := tbl.Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if strings.ContainsFunc(out, bad) {
				t.Errorf("Write(%s) of %q prints a control character:\n%q", f, c.cell, out)
			}
			if !strings.Contains(out, c.shown) || !strings.Contains(out, "col "+c.shown) {
				t.Errorf("Write(%s) of %q does not show %s in the cell and the header:\n%s", f, c.cell, c.shown, out)
			}
		}
	}
}
