package pipeline

import (
	"fmt"
	"math"
	"strconv"
)

// FormatSeconds prints a duration for a person, in the unit that suits it
// — µs, ms, s, min, h or days, with years beyond a year — with three
// significant digits: "21.9 ms", "4.39 h", "4868 days (13.3 years)". Plan
// prints its estimates so, and stages their warnings of long work.
func FormatSeconds(s float64) string {
	switch {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return fmt.Sprint(s)
	case s < 1e-3:
		return sig3(s*1e6) + " µs"
	case s < 1:
		return sig3(s*1e3) + " ms"
	case s < 60:
		return sig3(s) + " s"
	case s < 3600:
		return sig3(s/60) + " min"
	case s < 86400:
		return sig3(s/3600) + " h"
	case s < 365*86400:
		return sig3(s/86400) + " days"
	}
	return fmt.Sprintf("%s days (%s years)", sig3(s/86400), sig3(s/(365.25*86400)))
}

// sig3 formats x ≥ 0 with three significant digits, never in e-notation.
func sig3(x float64) string {
	switch {
	case x < 10:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case x < 100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}
