package hugepages

import (
	"strconv"
	"strings"
)

// span is the part of an allocation that whole huge pages cover: len bytes
// from off bytes past its start.
type span struct{ off, len uintptr }

// hugeRange returns the whole huge pages within n bytes at address p.
func hugeRange(p, n uintptr) span {
	beg := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + n) &^ (hugePage - 1)
	if end <= beg {
		return span{}
	}
	return span{off: beg - p, len: end - beg}
}

// disabled reports whether the GODEBUG settings godebug (the build's
// defaults, then the environment's, comma-separated) turn huge pages off
// for the heap, as the runtime reads them: the last disablethp setting
// that is an integer decides, and any but 0 turns them off.
func disabled(godebug string) bool {
	off := false
	for f := range strings.SplitSeq(godebug, ",") {
		if v, ok := strings.CutPrefix(f, "disablethp="); ok {
			if n, err := strconv.ParseInt(v, 10, 32); err == nil {
				off = n != 0
			}
		}
	}
	return off
}

// madviseMode reports whether enabled, the text of Linux's
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"),
// selects "madvise": transparent huge pages only for memory advised
// MADV_HUGEPAGE.
func madviseMode(enabled string) bool {
	for f := range strings.FieldsSeq(enabled) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			return f == "[madvise]"
		}
	}
	return false
}
