package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInterruptStopsExpandingAGrid checks that validate, plan and sweep hand
// the interrupt's context to the expansion of the grid: interrupted before
// it starts, none of them expands a trial, and each exits 130 having
// written nothing.
func TestInterruptStopsExpandingAGrid(t *testing.T) {
	dir := t.TempDir()
	values := make([]string, 100)
	for i := range values {
		values[i] = fmt.Sprint(i + 1)
	}
	list := "[" + strings.Join(values, ", ") + "]"
	cfg := filepath.Join(dir, "grid.yaml")
	src := "name: grid\nseed: 1\nstages:\n  - {id: data, kind: generate, with: {dataset: moons, n: 40}}\n  - {id: split, kind: split}\n" +
		"  - {id: train, kind: train, with: {steps: 5}}\nsweep:\n  train.hidden: " + list + "\n  seed: " + list + "\n"
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cmd := range []string{"validate", "plan", "sweep"} {
		t.Run(cmd, func(t *testing.T) {
			results := filepath.Join(t.TempDir(), "results")
			args := []string{cmd, cfg}
			if cmd != "validate" {
				args = append(args, "--results", results)
			}
			var out, errb bytes.Buffer
			code := Main(ctx, args, &out, &errb)
			if code != exitInterrupted || out.Len() != 0 || errb.String() != "nnpipe: interrupted\n" {
				t.Errorf("nnpipe %s after an interrupt: exit %d, stdout %q, stderr %q; want 130, nothing, and \"nnpipe: interrupted\"", cmd, code, out.String(), errb.String())
			}
			if left := listTree(t, results); len(left) > 0 {
				t.Errorf("nnpipe %s wrote %v after an interrupt", cmd, left)
			}
		})
	}
}
