package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPathsWithLineBreaksStayOnOneLine gives every command that reads or
// writes a path the user named a path with a line break in it: the error
// is still one line, exit 2, with the path quoted.
func TestPathsWithLineBreaksStayOnOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := cachedRun(t, filepath.Join(dir, "results"), filepath.Join(dir, "cache"))
	folder := filepath.Join(dir, "a\nb")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join("..", "..", "data", "book_ch7.csv")
	missing := filepath.Join(dir, "no\nsuch")
	cases := []struct {
		name string
		args []string
	}{
		{"show of a folder", []string{"show", folder}},
		{"show of nothing", []string{"show", missing}},
		{"compare of a folder", []string{"compare", folder}},
		{"compare of nothing", []string{"compare", missing}},
		{"report of a folder", []string{"report", folder, "-o", filepath.Join(dir, "r.html")}},
		{"report into a missing folder", []string{"report", run.RunDir, "-o", filepath.Join(missing, "r.html")}},
		{"predict with a folder for a run", []string{"predict", folder, data}},
		{"predict of missing data", []string{"predict", run.RunDir, missing}},
		{"predict into a missing folder", []string{"predict", run.RunDir, data, "-o", filepath.Join(missing, "p.parquet")}},
		{"export into a missing folder", []string{"export", run.RunDir, "-o", filepath.Join(missing, "m.onnx")}},
		{"run of a missing config", []string{"run", missing}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := nnpipe(t, c.args...)
			if code != exitInvalid || stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", code, stdout, exitInvalid)
			}
			oneLineError(t, stderr, `\n`)
		})
	}
	t.Run("predict's report of the files", func(t *testing.T) {
		out := filepath.Join(folder, "p\n.parquet")
		stdout, stderr, code := nnpipe(t, "predict", run.RunDir, data, "-o", out)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if first, _, _ := strings.Cut(stdout, "\n"); !strings.Contains(first, `p\n.parquet`) {
			t.Errorf("the first line %q does not name the output file on one line", first)
		}
	})
}
