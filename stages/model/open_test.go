package model

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
)

// TestOpenFindsTheModelOrSaysWhyNot opens a run directory, a model file, and folders and files
// that hold no model: each refusal is invalid input of one line saying why.
func TestOpenFindsTheModelOrSaysWhyNot(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, files map[string]string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(p, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	b, _ := validModel().Marshal()
	run := mk("run", map[string]string{File: string(b), "manifest.json": `{"status": "ok"}`})
	sum := sha256.Sum256(b)
	for _, path := range []string{run, filepath.Join(run, File)} {
		m, digest, err := Open(path)
		if err != nil || m.Label != "label" || digest != hex.EncodeToString(sum[:]) {
			t.Errorf("Open(%s) = %v, %s, %v; want the model and the digest of its bytes", path, m, digest, err)
		}
	}
	two := mk("two", map[string]string{File: string(b), "scaled-" + File: string(b), "manifest.json": `{"status": "ok"}`})
	for _, path := range []string{filepath.Join(two, File), filepath.Join(two, "scaled-"+File)} {
		if _, _, err := Open(path); err != nil {
			t.Errorf("Open(%s) = %v; want the model: the file is named", path, err)
		}
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"a diverged run", mk("diverged", map[string]string{"manifest.json": `{"status": "diverged", "error": "stage \"train\": diverged\nat step 1"}`}),
			`the run diverged (stage "train": diverged at step 1) and has no model`},
		{"a failed run", mk("failed", map[string]string{"manifest.json": `{"status": "failed", "error": "disk full"}`}), "the run failed (disk full)"},
		{"a run without a train stage", mk("plain", map[string]string{"manifest.json": `{"status": "ok"}`}), "the run has no model.json (its config trains no model)"},
		{"a sweep", mk("sweep", map[string]string{"sweep.json": `{}`}), "is a sweep; give one of its runs (in its trials/ folder)"},
		{"an empty folder", mk("empty", nil), "has no model.json: give a run directory or a model file"},
		{"a manifest that is not JSON", mk("bad", map[string]string{"manifest.json": `{`}), "its manifest.json cannot be read"},
		{"a run of a config with two train stages", two, "holds 2 models, model.json and scaled-model.json (its config trains more than one): give the model file to use"},
		{"a missing path", filepath.Join(dir, "nowhere"), "no such file or directory"},
		{"a named pipe", fifo, "not a regular file"},
		{"a model of format 1", mk("old", map[string]string{File: `{"format": 1}`}), "model format 1 predates"},
	} {
		_, _, err := Open(tt.path)
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Open = %v, want invalid input, one line, containing %q", tt.name, err, tt.want)
		}
	}
}
