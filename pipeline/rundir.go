package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// RunDir builds a results directory under a temporary name beside its final
// place and renames it into place when complete, so an interrupted run
// leaves nothing that `compare` would read.
type RunDir struct {
	// NoSync skips flushing the files to disk on Commit, for a directory
	// inside another that is flushed as a whole when it is committed.
	NoSync bool

	tmp     string
	final   string
	replace bool
}

// TempPrefix starts the name of every directory under construction.
const TempPrefix = ".tmp-"

// NewRunDir starts building the directory final. final must not exist, or
// be an empty directory.
func NewRunDir(final string) (*RunDir, error) {
	if err := checkFree(final); err != nil {
		return nil, err
	}
	return newRunDir(final, false)
}

func newRunDir(final string, replace bool) (*RunDir, error) {
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, TempPrefix+filepath.Base(final)+"-")
	if err != nil {
		return nil, err
	}
	return &RunDir{tmp: tmp, final: final, replace: replace}, nil
}

// ErrTaken reports that a run directory's name is already taken: another
// run of the same config in the same second, or a non-empty --out.
var ErrTaken = errors.New("already exists and is not empty")

func checkFree(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s exists and is not a readable directory", dir)
	case len(entries) > 0:
		return fmt.Errorf("%s: %w", dir, ErrTaken)
	}
	return nil
}

// CheckWritable reports early, before any work, a folder that cannot be
// made because a file stands on its path. It creates nothing.
func CheckWritable(dir string) error {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s cannot be made: %s is not a directory", dir, p)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s cannot be made: %w", dir, err)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// NewReplacingRunDir is NewRunDir for a directory that a complete new
// version replaces on Commit, such as a sweep's, rebuilt by every rerun.
func NewReplacingRunDir(final string) (*RunDir, error) { return newRunDir(final, true) }

// Final returns where the directory will be once committed.
func (d *RunDir) Final() string { return d.final }

// Path returns where to write name (slash-separated) inside the directory.
func (d *RunDir) Path(name string) string {
	return filepath.Join(d.tmp, filepath.FromSlash(name))
}

// WriteFile writes a file into the directory, making parent folders.
func (d *RunDir) WriteFile(name string, data []byte) error {
	path := d.Path(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Copy copies the file or folder src into the directory as name.
func (d *RunDir) Copy(name, src string) error {
	return copyTree(d.Path(name), src)
}

func copyTree(dst, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return copyFile(dst, src)
	}
	return filepath.WalkDir(src, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if de.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(target, path)
	})
}

// CopyFile copies the file src to dst, making dst's folder.
func CopyFile(dst, src string) error { return copyFile(dst, src) }

func copyFile(dst, src string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Commit flushes the directory's files to disk and renames it into place.
func (d *RunDir) Commit() error {
	if !d.NoSync {
		if err := syncTree(d.tmp); err != nil {
			return fmt.Errorf("sync %s: %w", d.final, err)
		}
	}
	if d.replace {
		// Swap the new version with the old in one step (the old then
		// sits at the temporary name and is deleted), so that the folder
		// never goes missing.
		err := renameNoReplace(d.tmp, d.final)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			err = exchange(d.tmp, d.final)
			defer os.RemoveAll(d.tmp)
		}
		if err != nil {
			return fmt.Errorf("move %s into place: %w", d.final, err)
		}
		return syncPath(filepath.Dir(d.final))
	}
	if err := checkFree(d.final); err != nil {
		return err
	}
	os.Remove(d.final) // an empty directory given with --out
	// Never replace: another process may have taken the name meanwhile.
	if err := renameNoReplace(d.tmp, d.final); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("%s: %w", d.final, ErrTaken)
		}
		return fmt.Errorf("move the run into place: %w", err)
	}
	return syncPath(filepath.Dir(d.final))
}

// Finish commits the directory if filling it succeeded (err is nil) and
// aborts it otherwise, or if the commit fails; it returns the first error.
func (d *RunDir) Finish(err error) error {
	if err == nil {
		err = d.Commit()
	}
	if err != nil {
		d.Abort()
	}
	return err
}

// Abort removes the directory under construction.
func (d *RunDir) Abort() { os.RemoveAll(d.tmp) }

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// renameChecked renames old to new after checking that new does not exist.
func renameChecked(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrExist}
	}
	return os.Rename(oldpath, newpath)
}

// exchangeByRenames swaps a and b through a third name; b is missing
// between the second and third rename.
func exchangeByRenames(a, b string) error {
	aside := a + "-old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(aside, b)
		return err
	}
	return os.Rename(aside, a)
}
