package dataset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// decimalSyntax and nonFiniteSyntax are the numbers ParseNumber takes, written out here
// independently of it: the decimal numbers DuckDB's and NumPy's CSV readers take (a sign, digits
// with an optional fraction, an optional exponent), and the infinities and NaN they spell.
var (
	decimalSyntax   = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	nonFiniteSyntax = regexp.MustCompile(`(?i)^[+-]?(inf|infinity|nan)$`)
)

// checkParse checks ParseNumber(s) against decimalSyntax and strconv.ParseFloat(s, 64): for
// a decimal number, strconv's bits or error; for an infinity or NaN, its value and no error;
// for anything else, a syntax error.
func checkParse(t testing.TB, s string) {
	t.Helper()
	got, gerr := ParseNumber(s)
	switch {
	case decimalSyntax.MatchString(s):
		want, werr := strconv.ParseFloat(s, 64)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("ParseNumber(%q) error %v, strconv %v", s, gerr, werr)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("ParseNumber(%q) = %v (%#x), strconv %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	case nonFiniteSyntax.MatchString(s):
		if gerr != nil || !math.IsNaN(got) && !math.IsInf(got, 0) {
			t.Fatalf("ParseNumber(%q) = %v, %v, want an infinity or NaN and no error", s, got, gerr)
		}
		if want, _ := strconv.ParseFloat(s, 64); math.IsInf(want, 0) && got != want {
			t.Fatalf("ParseNumber(%q) = %v, want %v", s, got, want)
		}
	default:
		if !errors.Is(gerr, strconv.ErrSyntax) {
			t.Fatalf("ParseNumber(%q) = %v, %v, want a syntax error: not a decimal number", s, got, gerr)
		}
	}
}

// TestParseNumber reads, one by one, the cells a careful user could mean as numbers or not,
// as the loader hands them to it: trimmed of surrounding space.
func TestParseNumber(t *testing.T) {
	const syntax, inf, nan = "syntax", "inf", "nan"
	tests := []struct {
		in   string
		want float64
		err  string // syntax, range, or inf or nan for a value the caller refuses as not finite
	}{
		{in: "0x1p4", err: syntax},   // hexadecimal: Go's syntax, which strconv takes (16)
		{in: "0X1P-2", err: syntax},  // likewise (0.25)
		{in: "0x1.8p1", err: syntax}, // likewise (3)
		{in: "0x10", err: syntax},    // hexadecimal without a binary exponent: strconv refuses it too
		{in: "1_000", err: syntax},   // digits set off with _: strconv takes it (1000)
		{in: "1_000.5", err: syntax},
		{in: "+Inf", want: math.Inf(1), err: inf},
		{in: "inf", want: math.Inf(1), err: inf},
		{in: "infinity", want: math.Inf(1), err: inf},
		{in: "-Infinity", want: math.Inf(-1), err: inf},
		{in: "NaN", err: nan},
		{in: "nan", err: nan},
		{in: "-nan", err: nan}, // strconv refuses a signed NaN; NumPy and DuckDB read it
		{in: "+NAN", err: nan},
		{in: "infin", err: syntax},
		{in: " 1.5", err: syntax}, // the loader trims a cell first
		{in: "1.5 ", err: syntax},
		{in: "1e400", want: math.Inf(1), err: "range"},
		{in: "-1e400", want: math.Inf(-1), err: "range"},
		{in: "1e-400", want: 0},
		{in: "-1e-400", want: math.Copysign(0, -1)},
		{in: ".5", want: 0.5},
		{in: "5.", want: 5},
		{in: "+.5", want: 0.5},
		{in: "-5.e3", want: -5000},
		{in: "+1", want: 1},
		{in: "00012", want: 12},
		{in: "1E5", want: 1e5},
		{in: "1.5e+05", want: 1.5e5},
		{in: "0.1", want: 0.1},
		{in: "12345678901234567890.5", want: 12345678901234567890.5}, // past the fast path
		{in: "1,5", err: syntax},
		{in: "1d3", err: syntax},
		{in: "１２", err: syntax}, // full-width digits
		{in: "", err: syntax},
		{in: ".", err: syntax},
		{in: "-", err: syntax},
		{in: "1e", err: syntax},
		{in: "1e+", err: syntax},
		{in: "e5", err: syntax},
		{in: "1.2.3", err: syntax},
	}
	for _, tt := range tests {
		got, err := ParseNumber(tt.in)
		switch tt.err {
		case "":
			if err != nil || math.Float64bits(got) != math.Float64bits(tt.want) {
				t.Errorf("ParseNumber(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
		case syntax:
			if !errors.Is(err, strconv.ErrSyntax) {
				t.Errorf("ParseNumber(%q) = %v, %v, want a syntax error", tt.in, got, err)
			}
		case "range":
			if !errors.Is(err, strconv.ErrRange) || got != tt.want {
				t.Errorf("ParseNumber(%q) = %v, %v, want %v, a range error", tt.in, got, err, tt.want)
			}
		case inf:
			if err != nil || got != tt.want {
				t.Errorf("ParseNumber(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
		case nan:
			if err != nil || !math.IsNaN(got) {
				t.Errorf("ParseNumber(%q) = %v, %v, want NaN", tt.in, got, err)
			}
		}
	}
}

func TestParseNumberIsStrconvs(t *testing.T) {
	src := rand.New(rand.NewPCG(9, 9))
	for range 50_000 {
		f := math.Float64frombits(src.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		for _, s := range []string{
			strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'e', src.IntN(20), 64),
			strconv.FormatFloat(src.NormFloat64()*math.Pow(10, float64(src.IntN(40)-20)), 'f', -1, 64),
		} {
			checkParse(t, s)
		}
		// Up to 19 digits times any power of ten the table holds, and just outside it.
		man := src.Uint64() % uint64(math.Pow10(1+src.IntN(19)))
		checkParse(t, strconv.FormatUint(man, 10)+"e"+strconv.Itoa(src.IntN(720)-360))
		// Integers of 54 to 56 bits: exactly halfway between two float64s, or a quarter off.
		checkParse(t, strconv.FormatUint(1<<53+src.Uint64()%(1<<55), 10))
	}
	if _, ok := fastNumber("9007199254740993"); ok {
		t.Errorf("the halfway point 2^53 + 1 was decided by the fast path, which cannot see its dropped bits")
	}
	for _, s := range []string{"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x1p3", "1_000", "inf", "-Inf", "NaN",
		"1e400", "-1e400", "1e-400", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308", "1.7976931348623159e308",
		"0", "-0", "00000", "-0.0e10", "0.000000000000000000000000001", "12345678901234567890", "1234567890123456789",
		"9007199254740993", "9007199254740992.5", "1.0000000000000000000000001", " 1", "1 ", "1e99999999999", "5.",
		".5", "-.5e-3", "1E5", "+7", "0.1", "0.2", "0.3"} {
		checkParse(t, s)
	}
}

// FuzzParseNumber checks ParseNumber on any string with checkParse: it takes a decimal number
// as strconv does and refuses every other string but the infinities and NaN; and that it reads
// back the shortest form of any finite float64 x, and x printed with an exponent.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0.14173827091891422", "-1e-5", "6.02e23", "1e400", "abc", "9007199254740993",
		"0x1p4", "1_000", "-nan", "Infinity", "１２"} {
		f.Add(s, 0.1)
	}
	f.Add("5.", math.SmallestNonzeroFloat64)
	f.Add(".5", -math.MaxFloat64)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		checkParse(t, s)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		for _, s := range []string{strconv.FormatFloat(x, 'g', -1, 64), strconv.FormatFloat(x, 'e', -1, 64)} {
			if got, err := ParseNumber(s); err != nil || math.Float64bits(got) != math.Float64bits(x) {
				t.Fatalf("ParseNumber(%q) = %v, %v, want %v", s, got, err, x)
			}
		}
	})
}

func BenchmarkParseNumber(b *testing.B) {
	src := rand.New(rand.NewPCG(1, 1))
	cells := make([]string, 4096)
	for i := range cells {
		cells[i] = strconv.FormatFloat(src.NormFloat64(), 'g', -1, 64)
	}
	for _, p := range []struct {
		name  string
		parse func(string) (float64, error)
	}{{"strconv", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }}, {"fast", ParseNumber}} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				for _, c := range cells {
					p.parse(c)
				}
			}
		})
	}
}

func TestCommaNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"1,5": true, "-0,25": true, "+3,0": true, "1.234,5": true, "1.234.567,89": true, "12345,5": true,
		"1,234": true, "1,234,567": true, "-1,234,567.25": true, "12,345.5": true,
		"12.34,5": false, "1,2,3": false, ",5": false, "1,": false, "a,5": false, "1.5": false,
		"1,5e3": false, "": false, "-,5": false, ".234,5": false, "1234,567,890": false,
		"1,23,456": false, "1,234.": false, "+-1,5": false, "-+1,5": false, "1.234": false, "12345.234,5": false,
	} {
		if got := commaNumber(s); got != want {
			t.Errorf("commaNumber(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestCSVCellsAreDecimalNumbers loads each cell as a feature's value on the first data row
// (which decides, when the features are not named, whether the column is one), as a named
// feature's value on a later row, and scans it as predict does: a decimal number, surrounding
// space trimmed, is read; anything else is refused on its line and column, not taken for a
// number in another syntax nor, on the first row, for a column of text left out silently.
func TestCSVCellsAreDecimalNumbers(t *testing.T) {
	tests := []struct {
		cell string
		want float64 // when ok
		ok   bool
	}{
		{"0x1p4", 0, false}, {"0X1P-2", 0, false}, {"0x10", 0, false}, {"1_000", 0, false},
		{"+Inf", 0, false}, {"infinity", 0, false}, {"-Infinity", 0, false}, {"NaN", 0, false}, {"-nan", 0, false},
		{" 1.5", 1.5, true}, {"1.5 ", 1.5, true}, {"\t-2.5e1 ", -25, true},
		{"1e400", 0, false}, {"1e-400", 0, true},
		{".5", 0.5, true}, {"5.", 5, true}, {"+1", 1, true}, {"00012", 12, true}, {"1E5", 1e5, true},
		{`"1,5"`, 0, false}, {"1d3", 0, false}, {"１２", 0, false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		first := filepath.Join(dir, fmt.Sprintf("first%d.csv", i))
		later := filepath.Join(dir, fmt.Sprintf("later%d.csv", i))
		for path, data := range map[string]string{
			first: "x,z,y\n" + tt.cell + ",1,a\n2,2,b\n",
			later: "x,z,y\n1,1,a\n" + tt.cell + ",2,b\n",
		} {
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		check := func(how string, line int, got []float64, err error) {
			t.Helper()
			var le *LoadError
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s %q: %v, want %v", how, tt.cell, err, tt.want)
			case tt.ok && (len(got) == 0 || got[0] != tt.want):
				t.Errorf("%s %q: features %v, want %v first", how, tt.cell, got, tt.want)
			case !tt.ok && !errors.As(err, &le):
				t.Errorf("%s %q: features %v, error %v, want a *LoadError", how, tt.cell, got, err)
			case !tt.ok && (le.Line != line || le.Column != "x"):
				t.Errorf("%s %q: error %v, want it on line %d, column x", how, tt.cell, err, line)
			}
		}
		d, err := Load(first, LoadOptions{Label: "y"})
		var x []float64
		if err == nil {
			x = d.X // x, z on the first row: x first
		}
		check("Load, default features, first row", 2, x, err)
		d, err = Load(later, LoadOptions{Label: "y", Features: []string{"x"}})
		x = nil
		if err == nil {
			x = d.X[1:]
		}
		check("Load, features named, line 3", 3, x, err)
		x, _, err = scanAll(t, later, ScanOptions{Features: []string{"x"}})
		if err == nil {
			x = x[1:]
		}
		check("Scan, line 3", 3, x, err)
	}
}
