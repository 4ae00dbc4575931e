//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestLoadRefusesSpecialFilesWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	// A FIFO with no writer would block a plain read forever.
	for _, path := range []string{fifo, link, "/dev/null"} {
		f, err := Load(path, nil)
		es := asErrors(t, err)
		if f != nil || len(es) != 1 || !strings.Contains(es[0].Msg, "not a regular file") {
			t.Errorf("Load(%s) = %v, %v; want not a regular file", path, f, err)
		}
	}
}

func TestLoadReportsAnUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(path, []byte("name: x\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path, nil)
	es := asErrors(t, err)
	if f != nil || len(es) != 1 || es[0].File != path || !strings.Contains(es[0].Msg, "cannot read: permission denied") {
		t.Errorf("Load(unreadable) = %v, %v; want cannot read: permission denied", f, err)
	}
}
