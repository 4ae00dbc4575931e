//go:build unix

package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRemoveOlderLeavesALockedFolderAlone checks that a folder under
// construction, locked by its maker, survives RemoveOlder however old it
// looks, that an unlocked one of the same age goes, and that the locked one
// goes too once its lock is released (its maker died).
func TestRemoveOlderLeavesALockedFolderAlone(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-3 * time.Hour)
	mk := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(path, "plots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "plots", "f.png"), []byte("png"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(path, "plots", "f.png"), filepath.Join(path, "plots"), path} {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	live, dead, other := mk(".tmp-live"), mk(".tmp-dead"), mk("run")
	lock, err := LockDir(live)
	if err != nil {
		t.Fatal(err)
	}
	// A dry run lists the dead folder alone and removes nothing.
	would, err := RemoveOlder(dir, ".tmp-", time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Old{{Path: dead, Size: 3}}; !slices.Equal(would, want) {
		t.Errorf("dry run = %v, want %v", would, want)
	}
	for _, path := range []string{live, dead, other} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the dry run removed %s: %v", filepath.Base(path), err)
		}
	}
	removed, err := RemoveOlder(dir, ".tmp-", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, would) {
		t.Errorf("removed %v, want what the dry run said, %v", removed, would)
	}
	for path, want := range map[string]bool{live: true, dead: false, other: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: exists %v after RemoveOlder, want %v", filepath.Base(path), err == nil, want)
		}
	}
	if !lock.Holds(live) {
		t.Error("the lock no longer holds the folder it locked")
	}
	if err := lock.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := RemoveOlder(dir, ".tmp-", 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the folder whose lock was released was kept: %v", err)
	}
}

// TestLockDir checks that a folder can be locked once, and that a lock on a
// folder that was removed, or replaced by another of its name, says so.
func TestLockDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tmp-run")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if second, err := LockDir(path); !errors.Is(err, fs.ErrNotExist) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("locking a locked folder again = %v, want an error matching fs.ErrNotExist", err)
	}
	if _, err := LockDir(path + "-missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("locking a missing folder = %v, want fs.ErrNotExist", err)
	}
	moved := path + "-moved"
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	if !lock.Holds(moved) || lock.Holds(path) {
		t.Errorf("after a rename: holds the new name %v, the old %v; want true, false", lock.Holds(moved), lock.Holds(path))
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if lock.Holds(path) {
		t.Error("the lock holds a new folder made at the old name")
	}
	if err := os.Remove(moved); err != nil {
		t.Fatal(err)
	}
	if lock.Holds(moved) {
		t.Error("the lock holds a folder that was removed")
	}
}

// TestDirLockTouchKeepsTheFolderYoung checks the heartbeat a DirLock
// keeps where the file system cannot lock a folder: each beat sets the
// folder's time to now, so that RemoveOlder, going by age, keeps it; it
// leaves a folder made at the name since alone; and Close stops the
// heartbeat.
func TestDirLockTouchKeepsTheFolderYoung(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".tmp-run")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDir(path)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	lock.touch(path)
	if fi, err := os.Stat(path); err != nil || time.Since(fi.ModTime()) > time.Hour {
		t.Fatalf("after a beat the folder is %v old (%v), want young", time.Since(fi.ModTime()), err)
	}
	// Only the age counts now, as on a file system without locks.
	lock.Close()
	if _, err := RemoveOlder(dir, ".tmp-", time.Hour, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("RemoveOlder removed a folder a beat made young: %v", err)
	}

	// A folder made at the name since is not the lock's to touch.
	lock, err = LockDir(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+"-moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	lock.touch(path)
	if fi, _ := os.Stat(path); time.Since(fi.ModTime()) < time.Hour {
		t.Error("a beat touched a folder the lock does not hold")
	}

	// Close stops a heartbeat, however long its interval.
	lock.stop, lock.done = make(chan struct{}), make(chan struct{})
	go lock.heartbeat(path, 1<<62)
	if err := lock.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lock.done:
	default:
		t.Error("Close returned with the heartbeat running")
	}
}
