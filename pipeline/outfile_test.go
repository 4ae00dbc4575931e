package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOutFileReplacesWholeOrNotAtAll(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := CreateOut(path)
	if err != nil {
		t.Fatal(err)
	}
	o.WriteString("half")
	o.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after Abort the file holds %q, want the old content", b)
	}
	o, err = CreateOut(path)
	if err != nil {
		t.Fatal(err)
	}
	o.WriteString("new")
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("before Commit the file holds %q, want the old content", b)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Abort() // after Commit: nothing to remove
	fi, err := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "new" || err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("after Commit the file holds %q with mode %v, want the new content, 0644", b, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the output", len(entries))
	}
}

func TestCheckOutFileRefusesWhatCannotBeAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", dir, filepath.Join(dir, "no", "x"), filepath.Join(file, "x")} {
		if err := CheckOutFile(bad); !IsInvalid(err) {
			t.Errorf("CheckOutFile(%q) = %v, want invalid input", bad, err)
		}
	}
	for _, good := range []string{file, filepath.Join(dir, "new")} {
		if err := CheckOutFile(good); err != nil {
			t.Errorf("CheckOutFile(%q) = %v, want nil", good, err)
		}
	}
}
