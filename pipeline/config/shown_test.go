package config

import "testing"

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
