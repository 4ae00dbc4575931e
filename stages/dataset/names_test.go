package dataset

import (
	"path/filepath"
	"testing"
)

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{
		"a.csv": "csv", "dir/A.CSV": "csv", "a.parquet": "parquet", "a.PQ": "parquet",
		"a.tsv": "", "a": "", "csv": "", "a.csv.gz": "", "a.parquet/": "",
	} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for s, want := range map[string]rune{",": ',', ";": ';', "\t": '\t', "|": '|', "€": '€'} {
		if r, ok := ParseDelimiter(s); !ok || r != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v, want %q, true", s, r, ok, want)
		}
	}
	for _, s := range []string{"", ",,", `"`, "\r", "\n", "\x00", "\uFFFD", "\xff", "ab"} {
		if r, ok := ParseDelimiter(s); ok {
			t.Errorf("ParseDelimiter(%q) = %q, true, want false", s, r)
		}
	}
}

func TestResolve(t *testing.T) {
	abs := filepath.Join(string(filepath.Separator), "data", "x.csv")
	for _, tc := range []struct{ path, base, want string }{
		{"x.csv", "configs", filepath.Join("configs", "x.csv")},
		{"x.csv", "", "x.csv"},
		{"../data/x.csv", "configs", filepath.Join("data", "x.csv")},
		{abs, "configs", abs},
	} {
		if got := Resolve(tc.path, tc.base); got != tc.want {
			t.Errorf("Resolve(%q, %q) = %q, want %q", tc.path, tc.base, got, tc.want)
		}
	}
}
