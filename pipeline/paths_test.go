package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePathFollowsLinksTheWayTheSystemDoes(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"a/b", "c"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "a", "b"), filepath.Join(root, "c", "link")); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, filepath.Join(root, "c"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{filepath.Join(root, "c", "link"), filepath.Join(root, "a", "b")},
		{filepath.Join(root, "c", "link", "new", "deeper"), filepath.Join(root, "a", "b", "new", "deeper")},
		// The system resolves link before "..": the parent of a/b.
		{root + "/c/link/../x", filepath.Join(root, "a", "x")},
		{rel + "/link/../x", filepath.Join(root, "a", "x")},
		{filepath.Join(root, "missing", "x"), filepath.Join(root, "missing", "x")},
		{root + "/c/./link//y", filepath.Join(root, "a", "b", "y")},
	}
	for _, c := range cases {
		if got := ResolvePath(c.path); got != c.want {
			t.Errorf("ResolvePath(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		want      bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b/c", "/a/b", true},
		{"/a/bc", "/a/b", false},
		{"/a", "/a/b", false},
		{"/a/b", "/", true},
	} {
		if got := Within(c.path, c.dir); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}
