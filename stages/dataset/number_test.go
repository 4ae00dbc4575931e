package dataset

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// sameAsStrconv checks parseNumber(s) against strconv.ParseFloat(s, 64): the same bits, or the
// same error.
func sameAsStrconv(t testing.TB, s string) {
	t.Helper()
	got, gerr := parseNumber(s)
	want, werr := strconv.ParseFloat(s, 64)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("parseNumber(%q) error %v, strconv %v", s, gerr, werr)
	}
	if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Fatalf("parseNumber(%q) = %v (%#x), strconv %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
	}
}

// TestParseNumberIsStrconvs compares the fast parser with strconv on the shortest forms of
// random float64s of every magnitude, on them cut to fewer digits (which fall between two
// float64s), on mantissas of up to 19 digits times every power of ten, on integers exactly
// halfway between two float64s, and on strings of every shape.
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
			sameAsStrconv(t, s)
		}
		// Up to 19 digits times any power of ten the table holds, and just outside it.
		man := src.Uint64() % uint64(math.Pow10(1+src.IntN(19)))
		sameAsStrconv(t, strconv.FormatUint(man, 10)+"e"+strconv.Itoa(src.IntN(720)-360))
		// Integers of 54 to 56 bits: exactly halfway between two float64s, or a quarter off.
		sameAsStrconv(t, strconv.FormatUint(1<<53+src.Uint64()%(1<<55), 10))
	}
	if _, ok := fastNumber("9007199254740993"); ok {
		t.Errorf("the halfway point 2^53 + 1 was decided by the fast path, which cannot see its dropped bits")
	}
	for _, s := range []string{"", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x1p3", "1_000", "inf", "-Inf", "NaN",
		"1e400", "-1e400", "1e-400", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308", "1.7976931348623159e308",
		"0", "-0", "00000", "-0.0e10", "0.000000000000000000000000001", "12345678901234567890", "1234567890123456789",
		"9007199254740993", "9007199254740992.5", "1.0000000000000000000000001", " 1", "1 ", "1e99999999999", "5.",
		".5", "-.5e-3", "1E5", "+7", "0.1", "0.2", "0.3"} {
		sameAsStrconv(t, s)
	}
}

// FuzzParseNumber compares the fast parser with strconv on any string.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0.14173827091891422", "-1e-5", "6.02e23", "1e400", "abc", "9007199254740993"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsStrconv(t, s) })
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
	}{{"strconv", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }}, {"fast", parseNumber}} {
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
