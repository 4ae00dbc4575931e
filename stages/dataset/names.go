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

// ParseDelimiter returns the one character of s if it can separate CSV fields: a single
// valid rune other than a quote, CR or LF.
func ParseDelimiter(s string) (rune, bool) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, false
	}
	return r, true
}

// Resolve returns the file a path parameter names: itself when absolute, else relative to
// base, the config file's folder ("" for the working directory).
func Resolve(path, base string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}
