package results

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// TestOutsideRunsRefusesAFileInsideACache writes predictions, a model or a
// report into a cache that holds an entry: over an entry's file, beside
// it, at the cache's top, and through a symbolic link to the cache.
func TestOutsideRunsRefusesAFileInsideACache(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "results", ".cache")
	c := cache.Open(dir)
	tmp, err := c.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "predictions.parquet"), []byte("p"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := cache.Key("an entry")
	entry, err := c.Publish(key, tmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		filepath.Join(entry.Dir, "predictions.parquet"),
		filepath.Join(entry.Dir, "model.onnx"),
		filepath.Join(dir, "report.html"),
		filepath.Join(dir, "v1", "report.html"),
		filepath.Join(link, "report.html"),
	} {
		if err := OutsideRuns(out); !pipeline.IsInvalid(err) {
			t.Errorf("OutsideRuns(%s) = %v, want an invalid-input error", out, err)
		}
	}
	for _, out := range []string{
		filepath.Join(root, "results", "report.html"),
		filepath.Join(root, "report.html"),
	} {
		if err := OutsideRuns(out); err != nil {
			t.Errorf("OutsideRuns(%s) = %v, want nil", out, err)
		}
	}
}
