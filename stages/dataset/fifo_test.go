//go:build unix

package dataset

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLoadRefusesANamedPipeWithoutBlocking opens a FIFO that no one writes to: opening it
// plainly would wait forever for a writer, which go test's -timeout reports with the
// stacks of the blocked calls.
func TestLoadRefusesANamedPipeWithoutBlocking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe.csv")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 2)
	go func() {
		_, err := Load(path, LoadOptions{Label: "label"})
		done <- err
	}()
	go func() {
		_, err := Digest(path)
		done <- err
	}()
	for range 2 {
		if err := <-done; !errors.Is(err, ErrNotRegular) {
			t.Errorf("Load or Digest(FIFO) = %v, want ErrNotRegular", err)
		}
	}
}
