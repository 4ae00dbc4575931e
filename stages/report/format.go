package report

import (
	"math"
	"strconv"
)

// FormatFloat formats a metric for a table cell, the same way everywhere so
// that a column lines up on its right edge:
//
//   - zero and magnitudes in [0.01, 100000): four decimals (so at least
//     three significant digits), "0.2234", "1.0986", "1000.0000"; negative
//     zero prints as "0.0000";
//   - other magnitudes: three significant digits in exponent form,
//     "1.10e-05", "2.35e+07";
//   - NaN: "-"; infinities: "+Inf" and "-Inf".
//
// Every finite result is a valid JSON number, so a numeric Table column of
// such cells is written as numbers by Write's JSON format.
func FormatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case x == 0:
		return "0.0000"
	}
	if a := math.Abs(x); a >= 1e-2 && a < 1e5 {
		return strconv.FormatFloat(x, 'f', 4, 64)
	}
	return strconv.FormatFloat(x, 'e', 2, 64)
}

// FormatMeanStd formats a mean and its standard deviation over seeds as
// "0.9120 ± 0.0110", each number as FormatFloat prints it. A NaN std (a single
// seed) prints the mean alone, and a NaN mean prints "-".
func FormatMeanStd(mean, std float64) string {
	if math.IsNaN(mean) {
		return "-"
	}
	if math.IsNaN(std) {
		return FormatFloat(mean)
	}
	return FormatFloat(mean) + " ± " + FormatFloat(std)
}

// Plural is n followed by the word for one or for many: "1 entry", "3 entries".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
