package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPlainListOfHalfAMillionValuesIsJudgedOnItsMerits checks that a long
// list written out in full is not refused as an alias bomb: a sweep axis of
// 500,000 values is refused for the size of its grid, and nothing blames
// aliases the file does not use.
func TestAPlainListOfHalfAMillionValuesIsJudgedOnItsMerits(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "big.yaml")
	src := "name: big\nseed: 1\nstages:\n  - {id: data, kind: generate}\n  - {id: split, kind: split}\n  - {id: train, kind: train}\n" +
		"sweep:\n  train.hidden: [" + strings.TrimSuffix(strings.Repeat("1,", 500_000), ",") + "]\n"
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := nnpipe(t, "validate", cfg)
	if code != exitInvalid || !strings.Contains(stderr, "the sweep grid has 500000 trials, more than --max-trials 100000") || strings.Contains(stderr, "alias") {
		t.Errorf("validate of a 500,000-value axis: exit %d, stderr %q; want 2 and the grid's size, not aliases", code, stderr)
	}
}
