package config

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shown returns s, a value or path the user wrote, as a one-line message
// shows it: as it is, unless it would not be seen as itself there — it is
// empty, starts or ends with a space, holds a line break or another
// character that does not print, or is not UTF-8; then quoted as Go quotes
// strings.
func Shown(s string) string {
	if s != "" && s == strings.TrimSpace(s) && utf8.ValidString(s) && !strings.ContainsFunc(s, notPrintable) {
		return s
	}
	return strconv.Quote(s)
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }
