package pipeline

import (
	"math"
	"testing"
)

func TestFormatSeconds(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0.0000123, "12.3 µs"},
		{0.0219, "21.9 ms"},
		{1.5, "1.50 s"},
		{90, "1.50 min"},
		{4.39 * 3600, "4.39 h"},
		{3 * 86400, "3.00 days"},
		{4868 * 86400, "4868 days (13.3 years)"},
		{math.NaN(), "NaN"},
	}
	for _, c := range cases {
		if got := FormatSeconds(c.in); got != c.want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
