package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// TestAReplacedFolderPutBackSurvivesGC: a replacing directory's commit
// swaps the new version with the folder in place, which then sits under a
// temporary name while CheckReplaced vets it. A `cache gc --results` at
// that moment (here, from CheckReplaced itself) must leave it alone, so
// that a refusal puts it back whole: it used to be unlocked there, and an
// old sweep directory, its files hours old, was removed as a half-built
// folder of a killed process, lost, and the refused version left in place.
func TestAReplacedFolderPutBackSurvivesGC(t *testing.T) {
	parent := t.TempDir()
	final := filepath.Join(parent, "sweep-1")
	if err := os.MkdirAll(final, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(final, "sweep.json")
	if err := os.WriteFile(old, []byte("the old version"), 0o644); err != nil {
		t.Fatal(err)
	}
	hoursAgo := time.Now().Add(-3 * time.Hour)
	for _, p := range []string{old, final} {
		if err := os.Chtimes(p, hoursAgo, hoursAgo); err != nil {
			t.Fatal(err)
		}
	}
	d, err := NewReplacingRunDir(final)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Abort()
	if err := d.WriteFile("sweep.json", []byte("the new version")); err != nil {
		t.Fatal(err)
	}
	d.NoSync = true
	refused := errors.New("the folder in place records more finished trials")
	d.CheckReplaced = func(string) error {
		if _, err := cache.RemoveOlder(parent, TempPrefix, time.Hour, false); err != nil {
			t.Errorf("gc: %v", err)
		}
		return refused
	}
	if err := d.Commit(); !errors.Is(err, refused) {
		t.Errorf("Commit = %v, want the refusal", err)
	}
	if b, err := os.ReadFile(old); err != nil || string(b) != "the old version" {
		t.Errorf("after the refusal, %s holds %q (%v), want the old version put back", old, b, err)
	}
}
