package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
	dir    string
}

func (r *recorder) Helper()             {}
func (r *recorder) ArtifactDir() string { return r.dir }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(strings.ReplaceAll(format, "%", "")))
}

func TestCheck(t *testing.T) {
	if Updating() {
		t.Skip("this test checks the comparison, not files to rewrite")
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "text.golden")
	if err := os.WriteFile(text, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "image.png")
	if err := os.WriteFile(binary, []byte{0x89, 'P', 'N', 'G', 0, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		got      []byte
		failures int
		kept     bool // got is written to the artifact directory
	}{
		{"equal text passes", text, []byte("one\ntwo\n"), 0, false},
		{"a changed line fails", text, []byte("one\nthree\n"), 1, false},
		{"a missing final newline fails", text, []byte("one\ntwo"), 1, false},
		{"equal bytes pass", binary, []byte{0x89, 'P', 'N', 'G', 0, 0xff}, 0, false},
		{"changed bytes fail and are kept", binary, []byte{0x89, 'P', 'N', 'G', 0, 0xfe}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t, dir: t.TempDir()}
			Check(r, tt.path, tt.got)
			if len(r.errors) != tt.failures {
				t.Errorf("Check reported %d failures %q, want %d", len(r.errors), r.errors, tt.failures)
			}
			_, err := os.Stat(filepath.Join(r.dir, filepath.Base(tt.path)))
			if kept := err == nil; kept != tt.kept {
				t.Errorf("got kept in the artifact directory: %v, want %v", kept, tt.kept)
			}
		})
	}
}

func TestDescribeShowsTheFirstDifferingLine(t *testing.T) {
	got := describe("a\nb\nc\n", "a\nx\nc\n")
	if !strings.Contains(got, `line 2:`) || !strings.Contains(got, `got "b"`) || !strings.Contains(got, `want "x"`) {
		t.Errorf("describe = %q, want line 2 with both versions", got)
	}
	long := strings.Repeat("line\n", 2000)
	if got := describe(long+"end\n", long+"END\n"); strings.Contains(got, "got:\n") {
		t.Errorf("describe of two long texts shows them whole (%d bytes)", len(got))
	}
}
