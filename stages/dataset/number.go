package dataset

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

// ParseNumber reads a CSV cell, trimmed of surrounding space, as a number. It accepts decimal
// numbers, as spreadsheets, databases and data-frame libraries write and read them, and nothing
// else:
//
//	[+|-] digits [. [digits]] [(e|E) [+|-] digits]
//	[+|-] . digits [(e|E) [+|-] digits]
//
// with ASCII digits only: 1, -0.5, +3, .5, 5., 007, 6.02e23 and 1E-5 are numbers; 0x1p4 and
// 0x10 (hexadecimal), 1_000 (digits set off with _), 1,5 (a decimal comma), 1d3 (a Fortran
// exponent), １２ (full-width digits), ".", "1e" and "" are not (a *strconv.NumError wrapping
// strconv.ErrSyntax). A number beyond float64's range (1e400) is ±Inf with a *strconv.NumError
// wrapping strconv.ErrRange; one too small for it (1e-400) is ±0. The infinities and NaN, spelt
// as they are written out (inf, infinity and nan in any letter case, with an optional sign), are
// ±Inf and NaN without an error, so that the caller can refuse them as not finite rather than
// as not numbers. The value is strconv.ParseFloat's, bit for bit.
//
// Parsing the numbers is most of the time of scanning a large CSV file: a decimal of at most 19
// significant digits is read here into a mantissa and a power of ten and converted with the
// Eisel–Lemire algorithm, which gives the correctly rounded float64 or says it cannot tell;
// every other decimal, and every case it cannot tell, goes to strconv.ParseFloat.
func ParseNumber(s string) (float64, error) {
	if f, ok := fastNumber(s); ok {
		return f, nil
	}
	if isDecimal(s) {
		return strconv.ParseFloat(s, 64)
	}
	if f, ok := nonFinite(s); ok {
		return f, nil
	}
	return 0, &strconv.NumError{Func: "ParseFloat", Num: strings.Clone(s), Err: strconv.ErrSyntax}
}

// isDecimal reports whether s is a decimal number as ParseNumber defines it.
func isDecimal(s string) bool {
	i, n := 0, len(s)
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	i = skipDigits(s, i)
	digits := i - start
	if i < n && s[i] == '.' {
		i++
		frac := i
		i = skipDigits(s, i)
		digits += i - frac
	}
	if digits == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		if i = skipDigits(s, i); i == exp {
			return false
		}
	}
	return i == n
}

// skipDigits returns where the ASCII digits of s from i on end.
func skipDigits(s string, i int) int {
	for i < len(s) && s[i]-'0' <= 9 {
		i++
	}
	return i
}

// nonFinite returns the value of s when it spells an infinity or NaN: an optional sign, then
// inf, infinity or nan in any letter case.
func nonFinite(s string) (float64, bool) {
	sign := 1
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	switch {
	case strings.EqualFold(s, "inf"), strings.EqualFold(s, "infinity"):
		return math.Inf(sign), true
	case strings.EqualFold(s, "nan"):
		return math.NaN(), true
	}
	return 0, false
}

// fastNumber reads s as [+-]digits[.digits][(e|E)[+-]digits] with at most 19 significant
// digits, and converts it; ok is false for anything else, or when the conversion cannot tell
// the correctly rounded result.
func fastNumber(s string) (f float64, ok bool) {
	i, n := 0, len(s)
	neg := false
	if i < n && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	// Leading zeros leave man at 0; nd counts the digits from the first that is not one.
	var man uint64
	nd, exp10 := 0, 0
	start := i
	i, man, nd = readDigits(s, i, man, nd)
	digits := i - start
	if i < n && s[i] == '.' {
		i++
		frac := i
		i, man, nd = readDigits(s, i, man, nd)
		digits += i - frac
		exp10 = frac - i
	}
	if digits == 0 || nd > 19 { // no digit; or more than a uint64 holds, which strconv rounds
		return 0, false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == n {
			return 0, false
		}
		e := 0
		for ; i < n; i++ {
			c := s[i] - '0'
			if c > 9 || e > 10_000 {
				return 0, false
			}
			e = e*10 + int(c)
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if i != n {
		return 0, false
	}
	return eiselLemire(man, exp10, neg)
}

// readDigits reads the decimal digits of s from i on into man (man·10 + digit each) and
// counts in nd those from the first that is not 0; it returns where the digits end.
func readDigits(s string, i int, man uint64, nd int) (int, uint64, int) {
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		man = man*10 + uint64(c)
		if man != 0 {
			nd++
		}
	}
	return i, man, nd
}

// Powers of ten whose 128-bit mantissas powersOfTen holds.
const (
	minExp10 = -348
	maxExp10 = 347
)

var (
	powersOnce sync.Once
	powers     [maxExp10 - minExp10 + 1][2]uint64 // {low, high} 64 bits
)

// powersOfTen returns the table of the 128 leading bits of 10^q, rounded down, for q from
// minExp10 to maxExp10, computed exactly with math/big on first use (about a millisecond).
func powersOfTen() *[maxExp10 - minExp10 + 1][2]uint64 {
	powersOnce.Do(func() {
		ten := big.NewInt(10)
		mask := new(big.Int).SetUint64(math.MaxUint64)
		for q := minExp10; q <= maxExp10; q++ {
			p := new(big.Int).Exp(ten, big.NewInt(int64(abs(q))), nil)
			var m *big.Int
			if q >= 0 {
				if shift := p.BitLen() - 128; shift > 0 {
					m = p.Rsh(p, uint(shift))
				} else {
					m = p.Lsh(p, uint(-shift))
				}
			} else {
				// floor(2^k / 10^-q) with k such that the quotient has 128 bits.
				k := 127 + p.BitLen()
				m = new(big.Int).Quo(new(big.Int).Lsh(big.NewInt(1), uint(k)), p)
				if m.BitLen() < 128 {
					m = new(big.Int).Quo(new(big.Int).Lsh(big.NewInt(1), uint(k+1)), p)
				}
			}
			lo := new(big.Int).And(m, mask).Uint64()
			hi := new(big.Int).Rsh(m, 64).Uint64()
			powers[q-minExp10] = [2]uint64{lo, hi}
		}
	})
	return &powers
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// eiselLemire returns the float64 nearest to man × 10^exp10 (negated if neg), rounding half to
// even, or ok false when the 128-bit product cannot decide the rounding, or the result is
// subnormal, infinite or out of the table's range (Lemire, "Number Parsing at a Gigabyte per
// Second", 2021).
func eiselLemire(man uint64, exp10 int, neg bool) (float64, bool) {
	if man == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	if exp10 < minExp10 || exp10 > maxExp10 {
		return 0, false
	}
	pow := powersOfTen()[exp10-minExp10]
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const bias = 1023
	// 217706 / 2^16 approximates log2(10): the binary exponent of 10^exp10.
	exp2 := uint64(217706*exp10>>16+64+bias) - uint64(clz)
	hi, lo := bits.Mul64(man, pow[1])
	if hi&0x1FF == 0x1FF && lo+man < man {
		// The low bits may carry into the ones that decide: widen with the table's low word.
		yHi, yLo := bits.Mul64(man, pow[0])
		mHi, mLo := hi, lo+yHi
		if mLo < lo {
			mHi++
		}
		if mHi&0x1FF == 0x1FF && mLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		hi, lo = mHi, mLo
	}
	msb := hi >> 63
	mant := hi >> (msb + 9)
	exp2 -= 1 ^ msb
	if lo == 0 && hi&0x1FF == 0 && mant&3 == 1 {
		return 0, false // exactly half way: the bits dropped decide, and they are not known
	}
	mant += mant & 1
	mant >>= 1
	if mant>>53 > 0 {
		mant >>= 1
		exp2++
	}
	if exp2-1 >= 0x7FF-1 {
		return 0, false // subnormal, or infinite
	}
	b := exp2<<52 | mant&(1<<52-1)
	if neg {
		b |= 1 << 63
	}
	return math.Float64frombits(b), true
}
