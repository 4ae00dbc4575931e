package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// tree lists every path under dir, relative.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckFree(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty, full, file := mk("empty"), mk("full"), write("file")
	write("full/f")
	link := filepath.Join(dir, "link")
	dangling := filepath.Join(dir, "dangling")
	if os.Symlink("empty", link) != nil || os.Symlink("nowhere", dangling) != nil {
		t.Skip("cannot make symbolic links here")
	}
	cases := []struct {
		path string
		want error // nil, ErrTaken or ErrNotDir
	}{
		{filepath.Join(dir, "new"), nil},
		{filepath.Join(dir, "new", "deeper"), nil},
		{empty, nil},
		{empty + "/", nil},
		{link, nil},
		{full, ErrTaken},
		{full + "/.", ErrTaken},
		{file, ErrNotDir},
		{dangling, ErrNotDir},
		// A file above is as much in the way as the file itself: the
		// user's path to change, not a failure of the file system.
		{filepath.Join(file, "below"), ErrNotDir},
		{filepath.Join(file, "below", "deeper"), ErrNotDir},
	}
	for _, c := range cases {
		err := CheckFree(c.path)
		switch {
		case c.want == nil && err != nil, c.want != nil && err == nil:
			t.Errorf("CheckFree(%s) = %v, want %v", c.path, err, c.want)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("CheckFree(%s) = %v, want %v", c.path, err, c.want)
		}
	}
	if got := tree(t, dir); !slices.Equal(got, []string{"dangling", "empty", "file", "full", "full/f", "link"}) {
		t.Errorf("CheckFree changed the folder: %v", got)
	}
}

func TestRunDirNormalisesItsPath(t *testing.T) {
	for _, spelt := range []string{"out/", "out/.", "out//", "./out"} {
		t.Run(spelt, func(t *testing.T) {
			root := t.TempDir()
			t.Chdir(root)
			d, err := NewRunDir(spelt)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Finish(d.WriteFile("f", []byte("x"))); err != nil {
				t.Fatalf("commit %s: %v", spelt, err)
			}
			if d.Final() != "out" {
				t.Errorf("Final() = %q, want %q", d.Final(), "out")
			}
			if got := tree(t, root); !slices.Equal(got, []string{"out", "out/f"}) {
				t.Errorf("after the commit: %v, want out/f alone", got)
			}
		})
	}
}

func TestRunDirAbortRemovesOnlyTheFoldersItMade(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "kept", "sibling"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := NewRunDir(filepath.Join(root, "kept", "a", "b", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("plots/p.png", []byte("x")); err != nil {
		t.Fatal(err)
	}
	d.Abort()
	if got := tree(t, root); !slices.Equal(got, []string{"kept", "kept/sibling"}) {
		t.Errorf("after Abort: %v, want the folders that were there before", got)
	}
	d.Abort() // twice is harmless
}

func TestRunDirAbortKeepsAFolderAnotherRunUses(t *testing.T) {
	root := t.TempDir()
	first, err := NewRunDir(filepath.Join(root, "name", "run-1"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewRunDir(filepath.Join(root, "name", "run-2"))
	if err != nil {
		t.Fatal(err)
	}
	first.Abort() // made name/, which second still uses
	if err := second.Finish(second.WriteFile("f", nil)); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, root); !slices.Equal(got, []string{"name", "name/run-2", "name/run-2/f"}) {
		t.Errorf("got %v", got)
	}
}

func TestRunDirCommitIntoAnEmptyFolderAndNotAFullOne(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := NewRunDir(out + "/")
	if err != nil {
		t.Fatal(err)
	}
	// Another process fills the folder before the commit.
	if err := os.WriteFile(filepath.Join(out, "theirs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(d.WriteFile("mine", nil)); !errors.Is(err, ErrTaken) {
		t.Fatalf("commit into a folder filled meanwhile: %v, want ErrTaken", err)
	}
	if got := tree(t, root); !slices.Equal(got, []string{"out", "out/theirs"}) {
		t.Errorf("after the refused commit: %v, want their file alone", got)
	}
	if err := os.Remove(filepath.Join(out, "theirs")); err != nil {
		t.Fatal(err)
	}
	d, err = NewRunDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(d.WriteFile("mine", nil)); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, root); !slices.Equal(got, []string{"out", "out/mine"}) {
		t.Errorf("after the commit: %v", got)
	}
}

func TestRunDirResetMovesItsDestinationAndEmptiesIt(t *testing.T) {
	root := t.TempDir()
	d, err := NewRunDir(filepath.Join(root, "run"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("old", nil); err != nil {
		t.Fatal(err)
	}
	if err := d.Reset(filepath.Join(root, "run-2")); err != nil {
		t.Fatal(err)
	}
	if err := d.Reset(filepath.Join(root, "elsewhere", "run-3")); err == nil {
		t.Error("Reset to another folder succeeded, want an error")
	}
	if err := d.Finish(d.WriteFile("new", nil)); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, root); !slices.Equal(got, []string{"run-2", "run-2/new"}) {
		t.Errorf("got %v, want run-2/new alone", got)
	}
}

// TestRunDirRemovedUnderItFailsAndIsNotMadeAgain removes the folder under
// construction, as a hand (or a gc that did not see its lock) would: the
// next write and the commit fail with ErrRemoved, and neither the folder nor
// the run directory is made again with only what was written after.
func TestRunDirRemovedUnderItFailsAndIsNotMadeAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		last func(d *RunDir) error
	}{
		{"a write", func(d *RunDir) error { return d.WriteFile("plots/after.png", nil) }},
		{"a copy", func(d *RunDir) error { return d.Copy("copied", "rundir_test.go") }},
		{"the commit", func(d *RunDir) error { return d.Commit() }},
		{"a reset", func(d *RunDir) error { return d.Reset(d.Final() + "-2") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			d, err := NewRunDir(filepath.Join(root, "run"))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Abort()
			if err := d.WriteFile("before", nil); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(d.Path("")); err != nil {
				t.Fatal(err)
			}
			if err := tc.last(d); !errors.Is(err, ErrRemoved) {
				t.Fatalf("%s after the folder was removed = %v, want ErrRemoved", tc.name, err)
			}
			if err := d.Commit(); !errors.Is(err, ErrRemoved) {
				t.Fatalf("Commit after the folder was removed = %v, want ErrRemoved", err)
			}
			if got := tree(t, root); len(got) != 0 {
				t.Errorf("left %v, want nothing", got)
			}
		})
	}
}

// TestRunDirAbortLeavesAFolderMadeAtItsNameAlone checks that Abort removes
// only the folder the RunDir made: another made at its name after the
// first was removed is someone else's.
func TestRunDirAbortLeavesAFolderMadeAtItsNameAlone(t *testing.T) {
	root := t.TempDir()
	d, err := NewRunDir(filepath.Join(root, "run"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := d.Path("")
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	d.Abort()
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("Abort removed a folder it did not make: %v", err)
	}
}

func TestRunDirIsReadableByOthersLikeEveryOtherFolder(t *testing.T) {
	// os.MkdirTemp makes 0700 folders: shared results would be unreadable
	// by anyone else. A run directory gets what os.Mkdir(0755) gives under
	// the process's umask, as every other folder of the results.
	parent := t.TempDir()
	like := filepath.Join(parent, "like")
	if err := os.Mkdir(like, 0o755); err != nil {
		t.Fatal(err)
	}
	want := mode(t, like)
	for _, replacing := range []bool{false, true} {
		final := filepath.Join(parent, "runs", fmt.Sprintf("run-%v", replacing))
		start := NewRunDir
		if replacing {
			start = NewReplacingRunDir
		}
		d, err := start(final)
		if err != nil {
			t.Fatal(err)
		}
		if got := mode(t, d.Path("")); got != want {
			t.Errorf("the folder under construction has mode %v, want %v", got, want)
		}
		if err := d.Reset(final + "-2"); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, d.Path("")); got != want {
			t.Errorf("after Reset the folder has mode %v, want %v", got, want)
		}
		if err := d.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, final+"-2"); got != want {
			t.Errorf("the committed run directory has mode %v, want %v", got, want)
		}
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestCheckFreeNeverTakesAFolderMadeMeanwhileForADanglingLink races
// CheckFree against a full folder renamed into place and away again, as
// another run of the same config in the same second does: it must say
// free or taken, never "a symbolic link to nothing" (which made the run
// fail instead of moving on to the next run id).
func TestCheckFreeNeverTakesAFolderMadeMeanwhileForADanglingLink(t *testing.T) {
	dir := t.TempDir()
	target, spare := filepath.Join(dir, "run"), filepath.Join(dir, "spare")
	if err := os.MkdirAll(filepath.Join(spare, "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2_000 {
			os.Rename(spare, target)
			os.Rename(target, spare)
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		if err := CheckFree(target); err != nil && !errors.Is(err, ErrTaken) {
			t.Fatalf("CheckFree while a folder comes and goes: %v", err)
		}
	}
}

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files")
	}
	return len(fds)
}

func TestRunDirStartFlush(t *testing.T) {
	for _, tc := range []struct {
		name   string
		steps  func(d *RunDir, root string) error
		want   []string
		nosync bool
	}{
		{name: "files written before and after it are committed", steps: func(d *RunDir, _ string) error {
			if err := d.WriteFile("before", nil); err != nil {
				return err
			}
			d.StartFlush()
			d.StartFlush() // twice is one flush
			return d.Finish(d.WriteFile("after", nil))
		}, want: []string{"run", "run/after", "run/before"}},
		{name: "abort removes the directory", steps: func(d *RunDir, _ string) error {
			err := d.WriteFile("before", nil)
			d.StartFlush()
			d.Abort()
			return err
		}},
		{name: "reset starts over", steps: func(d *RunDir, root string) error {
			if err := d.WriteFile("old", nil); err != nil {
				return err
			}
			d.StartFlush()
			if err := d.Reset(filepath.Join(root, "run-2")); err != nil {
				return err
			}
			return d.Finish(d.WriteFile("new", nil))
		}, want: []string{"run-2", "run-2/new"}},
		{name: "nothing to do with NoSync", nosync: true, steps: func(d *RunDir, _ string) error {
			d.StartFlush()
			if d.flush != nil {
				return errors.New("StartFlush started a flush with NoSync")
			}
			return d.Finish(d.WriteFile("f", nil))
		}, want: []string{"run", "run/f"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			open := openFiles(t)
			d, err := NewRunDir(filepath.Join(root, "run"))
			if err != nil {
				t.Fatal(err)
			}
			d.NoSync = tc.nosync
			if err := tc.steps(d, root); err != nil {
				t.Fatal(err)
			}
			if got := tree(t, root); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if n := openFiles(t); n != open {
				t.Errorf("%d files open after, %d before: the flush's folder, or the lock, was left open", n, open)
			}
		})
	}
}

func TestRunDirCommitReportsAFailedEarlyFlush(t *testing.T) {
	root := t.TempDir()
	d, err := NewRunDir(filepath.Join(root, "run"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Abort()
	// The folder vanishes before the flush opens it.
	if err := os.Remove(d.Path("")); err != nil {
		t.Fatal(err)
	}
	d.StartFlush()
	if err := d.Commit(); err == nil || !strings.Contains(err.Error(), "sync") {
		t.Fatalf("Commit = %v, want the flush's error", err)
	}
}

func TestCheckWritableRefusesAFileOnThePathAsInvalidInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		blocked    bool
	}{
		{"a folder to make", filepath.Join(dir, "new", "deeper"), false},
		{"an existing folder", dir, false},
		{"a file", file, true},
		{"a folder below a file", filepath.Join(file, "below"), true},
		{"a folder two below a file", filepath.Join(file, "below", "deeper"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckWritable(c.path)
			switch {
			case !c.blocked && err != nil:
				t.Errorf("CheckWritable(%s) = %v, want nil", c.path, err)
			case c.blocked && (!errors.Is(err, ErrNotDir) || !IsInvalid(err) || !strings.Contains(err.Error(), file+" ")):
				t.Errorf("CheckWritable(%s) = %v, want invalid input wrapping ErrNotDir that names %s", c.path, err, file)
			}
		})
	}
}

// TestCopyPublishedChecksTheCopyAgainstItsEntry: an output whose copy has
// the digest its entry records goes into the run directory; one whose
// file changed in the cache since (a file, or a file of a folder output)
// is ErrChangedInCache.
func TestCopyPublishedChecksTheCopyAgainstItsEntry(t *testing.T) {
	src := t.TempDir()
	file := filepath.Join(src, "history.parquet")
	folder := filepath.Join(src, "plots")
	for path, text := range map[string]string{file: "rows", filepath.Join(folder, "a.png"): "a", filepath.Join(folder, "b.png"): "b"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fileSum := func(text string) string {
		h := sha256.Sum256([]byte(text))
		return hex.EncodeToString(h[:])
	}
	folderSum := func(a, b string) string {
		h := sha256.New()
		fmt.Fprintf(h, "plots/a.png %s\nplots/b.png %s\n", fileSum(a), fileSum(b))
		return hex.EncodeToString(h.Sum(nil))
	}
	cases := []struct {
		name string
		p    Published
		ok   bool
	}{
		{"a file as its entry says", Published{Src: file, Digest: fileSum("rows")}, true},
		{"a file changed since", Published{Src: file, Digest: fileSum("other rows")}, false},
		{"a folder as its entry says", Published{Src: folder, Digest: folderSum("a", "b"), Folder: "plots"}, true},
		{"a folder with a file changed since", Published{Src: folder, Digest: folderSum("a", "c"), Folder: "plots"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd, err := NewRunDir(filepath.Join(t.TempDir(), "run"))
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Abort()
			err = rd.CopyPublished(filepath.Base(c.p.Src), c.p)
			if c.ok && err != nil {
				t.Errorf("CopyPublished = %v, want nil", err)
			}
			if !c.ok && !errors.Is(err, ErrChangedInCache) {
				t.Errorf("CopyPublished = %v, want %v", err, ErrChangedInCache)
			}
		})
	}
}

// TestRemoveAbandonedTakesOnlyUnheldLeftoversOfItsName leaves beside a
// directory's place a killed run's folder (nobody holds it), a live run's
// (held), another name's and a user's folder: only the first goes.
func TestRemoveAbandonedTakesOnlyUnheldLeftoversOfItsName(t *testing.T) {
	parent := t.TempDir()
	final := filepath.Join(parent, "out")
	for _, name := range []string{".tmp-out-killed", ".tmp-out-live", ".tmp-other-killed", "tmp-out-mine"} {
		if err := os.MkdirAll(filepath.Join(parent, name, "plots"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(parent, name, "plots", "a.png"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	live, err := cache.LockDir(filepath.Join(parent, ".tmp-out-live"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	RemoveAbandoned(final + "/")
	var left []string
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".tmp-other-killed", ".tmp-out-live", "tmp-out-mine"}; !slices.Equal(left, want) {
		t.Errorf("left %v; want %v", left, want)
	}
}
