// Package golden compares what a test produced with a golden file under
// testdata/, and rewrites the golden files when the tests run with
// -update:
//
//	go test ./... -run TestBadInput -update
//
// It is for tests only: importing it registers the -update flag on the
// test binary's command line, and no non-test code may import it. It
// imports nothing from stages/ or the rest of pipeline/.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// update is the one -update flag of every test binary that checks golden
// files.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Updating reports whether the tests run with -update, for a test that
// must skip a check that makes no sense while its golden files are
// rewritten.
func Updating() bool { return *update }

// Check compares got with the golden file at path. With -update it writes
// got to path instead, making the file's folder if needed, and the test
// passes. A difference is reported with t.Errorf: for text, the first
// line that differs and both versions in full (up to a few kilobytes);
// for anything else (a PNG, say), the sizes, with got kept in the test's
// artifact directory (go test -artifacts -outputdir DIR) for a look.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test with -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if !utf8.Valid(got) || !utf8.Valid(want) || bytes.IndexByte(got, 0) >= 0 {
		kept := filepath.Join(t.ArtifactDir(), filepath.Base(path))
		if err := os.WriteFile(kept, got, 0o644); err != nil {
			kept = fmt.Sprintf("not kept: %v", err)
		}
		t.Errorf("%s differs (%d bytes, want %d; run go test with -update to accept); got is %s", path, len(got), len(want), kept)
		return
	}
	t.Errorf("%s differs (run go test with -update to accept)%s", path, describe(string(got), string(want)))
}

// CheckString is Check for text.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got))
}

// fullBelow is the size up to which a difference shows both texts whole.
const fullBelow = 4 << 10

// describe says where got and want first differ, and shows both in full
// when they are short.
func describe(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(gl), len(wl)) {
		g, w := lineAt(gl, i), lineAt(wl, i)
		if g != w {
			fmt.Fprintf(&b, " from line %d:\n got %s\nwant %s", i+1, g, w)
			break
		}
	}
	if len(got)+len(want) <= fullBelow {
		fmt.Fprintf(&b, "\ngot:\n%s\nwant:\n%s", got, want)
	}
	return b.String()
}

// lineAt returns line i, or a mark that there is none.
func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return fmt.Sprintf("%q", lines[i])
	}
	return "(no line)"
}
