package dataset

import (
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// FormatOf returns the format a data file's extension names: "csv" for .csv, "parquet" for
// .parquet and .pq (in any case), "" for any other.
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv"
	case ".parquet", ".pq":
		return "parquet"
	}
	return ""
}

// KeyedFormat is format as a stage's cache key holds it: "" when the path's extension names
// it already (format csv for a.csv reads the file as leaving format out does), so that the
// two spellings are one key.
func KeyedFormat(format, path string) string {
	if format == FormatOf(path) {
		return ""
	}
	return format
}

// ParseDelimiter returns the one character of s if it can separate CSV fields: a single
// valid rune that encoding/csv accepts as its Comma, as [DelimiterRule] says. NUL is refused
// although it is one character: the readers take a delimiter of 0 for the default, a comma.
func ParseDelimiter(s string) (rune, bool) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || !validDelimiter(r) {
		return 0, false
	}
	return r, true
}

// DelimiterRule says which delimiters [ParseDelimiter] accepts, for the message that
// refuses one.
const DelimiterRule = "one character other than a quote, CR, LF, NUL or U+FFFD"

// Resolve returns the file a path parameter names: itself when absolute, else relative to
// base, the config file's folder ("" for the working directory).
func Resolve(path, base string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}
