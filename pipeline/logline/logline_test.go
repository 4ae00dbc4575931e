package logline

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestLinesCarryTheLevelTheMessageAndQuotedAttributes(t *testing.T) {
	var b strings.Builder
	log := New(&b, slog.LevelInfo).With("stage", "train")
	log.Warn("large network", "params", 100000, "estimate", "2 h")
	log.Error("write failed")
	log.Info("plain", "path", `a"b`)
	log.Debug("not shown")
	want := "nnpipe: warning: large network: stage=train params=100000 estimate=\"2 h\"\n" +
		"nnpipe: error: write failed: stage=train\n" +
		"nnpipe: plain: stage=train path=\"a\\\"b\"\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	var q strings.Builder
	quiet := New(&q, slog.LevelError)
	quiet.Warn("hidden")
	quiet.Error("shown")
	if q.String() != "nnpipe: error: shown\n" {
		t.Errorf("at level error: %q, want only the error", q.String())
	}
}

func TestConcurrentRecordsAreWholeLines(t *testing.T) {
	var b strings.Builder
	log := New(&b, slog.LevelInfo)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				log.Warn("w", "worker", i, "text", strings.Repeat("x", 200))
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "nnpipe: warning: w: worker=") || !strings.HasSuffix(l, strings.Repeat("x", 200)) {
			t.Fatalf("line %q is not one whole record", l)
		}
	}
}
