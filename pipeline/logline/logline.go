// Package logline is the log/slog handler of nnpipe's messages: one plain
// line per record, `nnpipe: warning: MESSAGE: key=value ...`.
package logline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// New returns a logger that writes the records at level or above to w,
// one line each: "nnpipe: ", "error: " or "warning: " by the record's
// level (nothing for info and debug), the message, then ": " and the
// attributes as key=value, a value with spaces, tabs, newlines or quotes
// quoted. Lines are written whole, one at a time.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(&handler{mu: &sync.Mutex{}, w: w, level: level})
}

type handler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("nnpipe: ")
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	for i, a := range attrs {
		if i == 0 {
			b.WriteString(":")
		}
		v := a.Value.String()
		if strings.ContainsAny(v, " \t\n\"") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *handler) WithGroup(string) slog.Handler { return h }
