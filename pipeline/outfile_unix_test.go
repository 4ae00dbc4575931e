//go:build unix

package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCreateOutRemovesTheTemporaryFilesOfKilledWritersOnly leaves what a
// writer killed before its rename leaves (a hidden temporary file nobody
// holds) beside a file being written by a live writer, and writes the same
// name again: the dead writer's file goes, the live one's stays and its
// writer commits; files of other names stay.
func TestCreateOutRemovesTheTemporaryFilesOfKilledWritersOnly(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.parquet")
	dead := filepath.Join(dir, ".p.parquet.tmp-killed")
	others := []string{filepath.Join(dir, ".q.parquet.tmp-killed"), filepath.Join(dir, "p.parquet.tmp-mine")}
	for _, f := range append([]string{dead}, others...) {
		if err := os.WriteFile(f, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	live, err := CreateOut(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed writer's %s is still there (%v)", filepath.Base(dead), err)
	}
	second, err := CreateOut(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Fatalf("a second writer removed the live writer's temporary file: %v", err)
	}
	for _, w := range []struct {
		o    *OutFile
		text string
	}{{second, "second"}, {live, "first"}} {
		if _, err := w.o.WriteString(w.text); err != nil {
			t.Fatal(err)
		}
		if err := w.o.Commit(); err != nil {
			t.Fatalf("Commit of the %s writer = %v", w.text, err)
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "first" {
		t.Errorf("%s holds %q, want the last commit's, first", out, b)
	}
	for _, f := range others {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s, not a temporary file of p.parquet, was removed: %v", filepath.Base(f), err)
		}
	}
	names, _ := filepath.Glob(filepath.Join(dir, ".p.parquet.tmp-*"))
	if len(names) > 0 {
		t.Errorf("temporary files left after both commits: %v", names)
	}
}
