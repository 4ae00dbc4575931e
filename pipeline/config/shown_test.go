package config

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShownQuotesWhatWouldNotBeSeenAsItself(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"data/book.csv", "data/book.csv"},
		{"2.0", "2.0"},
		{"a b", "a b"},
		{"日本語.csv", "日本語.csv"},
		{"", `""`},
		{" csv", `" csv"`},
		{"csv ", `"csv "`},
		{"a\nb", `"a\nb"`},
		{"tab\there", `"tab\there"`},
		{"\xff", `"\xff"`},
	} {
		if got := Shown(c.in); got != c.want {
			t.Errorf("Shown(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestQuoteShortCutsLongValuesBetweenCharacters: a value of megabytes is
// named in at most 64 characters, cut between characters (never inside
// one, so the message stays UTF-8), and a short one whole.
func TestQuoteShortCutsLongValuesBetweenCharacters(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"gd", `"gd"`},
		{strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		{strings.Repeat("a", 900_000), `"` + strings.Repeat("a", 64) + `…"`},
		{strings.Repeat("é", 65), `"` + strings.Repeat("é", 64) + `…"`},
	} {
		if got := QuoteShort(c.in); got != c.want || !utf8.ValidString(got) {
			t.Errorf("QuoteShort(%d bytes) = %.80q, want %.80q", len(c.in), got, c.want)
		}
	}
}
