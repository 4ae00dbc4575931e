package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// RunDir builds a results directory under a temporary name beside its final
// place and renames it into place when complete, so an interrupted run
// leaves nothing that `compare` would read. The folders it had to make
// for that are removed again, when empty, if it is aborted: a failure
// leaves no empty folder behind. The folder under construction is locked
// (cache.LockDir) until it is committed or aborted, so that `cache gc`,
// which removes what killed processes left, never removes it however long
// the run takes; and a folder removed all the same (by hand) fails the
// run's next write and its commit rather than being made again in part.
type RunDir struct {
	// NoSync skips flushing the files, and the rename into place, to disk
	// on Commit, for a directory inside another that is flushed as a whole
	// when it is committed (a sweep's trials: a flush of the parent folder
	// per trial made every trial wait for a journal commit).
	NoSync bool

	// CheckReplaced, when set, vets the folder a replacing directory
	// (NewReplacingRunDir) takes the place of, once Commit has swapped
	// them: an error puts that folder back in place, whole, and is
	// Commit's error. It sees what was there at the moment of the swap,
	// whatever another process put there since the work began.
	CheckReplaced func(old string) error

	tmp     string
	lock    *cache.DirLock // on tmp, until Commit or Abort
	final   string
	replace bool
	made    []string // folders made for tmp, deepest first
	flush   *flusher // started by StartFlush, nil before
}

// TempPrefix starts the name of every directory under construction.
const TempPrefix = ".tmp-"

// NewRunDir starts building the directory final. final must not exist, or
// be an empty directory (see CheckFree).
func NewRunDir(final string) (*RunDir, error) {
	final = filepath.Clean(final)
	if err := CheckFree(final); err != nil {
		return nil, err
	}
	return newRunDir(final, false)
}

// RemoveAbandoned removes what runs building final that were killed left
// beside it: the folders named TempPrefix + final's name + "-…" that no
// live process holds (see cache.RemoveAbandoned; where the file system
// cannot lock folders, those in which nothing changed for longer than two
// of their makers' heartbeats). The leftovers under a results folder are
// `cache gc --results`'s to remove; this is for a directory given exactly
// (--out), beside which no gc looks. It does its best and reports nothing.
func RemoveAbandoned(final string) {
	final = filepath.Clean(final)
	cache.RemoveAbandoned(filepath.Dir(final), TempPrefix+filepath.Base(final)+"-", abandonedAge)
}

// mkdirAttempts bounds how often newRunDir makes its folder again when
// another process's Abort removed the (then empty) parent in between, or
// gc the new folder before it was locked.
const mkdirAttempts = 3

func newRunDir(final string, replace bool) (*RunDir, error) {
	final = filepath.Clean(final)
	parent := filepath.Dir(final)
	for attempt := 1; ; attempt++ {
		made, err := mkdirAll(parent)
		if err != nil {
			return nil, err
		}
		tmp, err := mkdirTemp(parent, TempPrefix+filepath.Base(final)+"-")
		if err == nil {
			var lock *cache.DirLock
			if lock, err = cache.LockDir(tmp); err == nil {
				return &RunDir{tmp: tmp, lock: lock, final: final, replace: replace, made: made}, nil
			}
			// Removed before it was locked (gc --keep-recent 0s): make another.
			os.Remove(tmp)
		}
		removeEmpty(made)
		if !errors.Is(err, fs.ErrNotExist) || attempt == mkdirAttempts {
			return nil, err
		}
	}
}

// mkdirTemp is os.MkdirTemp for a folder that becomes a run or sweep
// directory: made with mode 0755 less the umask, like every other folder of
// the results (os.MkdirTemp's 0700 would keep others from reading them).
func mkdirTemp(parent, prefix string) (string, error) {
	var err error
	for range 10_000 {
		dir := filepath.Join(parent, prefix+strconv.FormatUint(rand.Uint64(), 36))
		err = os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", err
}

// mkdirAll is os.MkdirAll that returns the folders it made, deepest
// first. On error it removes them again.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		removeEmpty(missing)
		return nil, err
	}
	return missing, nil
}

// removeEmpty removes the folders dirs (deepest first) as long as they are
// empty; another process may be using them.
func removeEmpty(dirs []string) {
	for _, d := range dirs {
		if os.Remove(d) != nil {
			return
		}
	}
}

// ErrTaken reports that a run directory's name is already taken: another
// run of the same config in the same second, or a non-empty --out.
var ErrTaken = errors.New("already exists and is not empty")

// ErrNotDir reports that something other than a folder stands where a
// run directory should go.
var ErrNotDir = errors.New("exists and is not a directory")

// ErrTempName reports a run directory named like one under construction.
var ErrTempName = errors.New("a name starting with " + TempPrefix + " is a run directory under construction, which compare skips and cache gc removes")

// CheckFree reports whether dir can become a run directory: it must not
// exist, or be an empty directory, and its name must not start with
// TempPrefix. It wraps ErrTaken for a directory that is not empty,
// ErrNotDir for a file (or a link to one, or a file on the path above it)
// and ErrTempName for such a name;
// any other error is the file system's. It creates nothing.
func CheckFree(dir string) error {
	if strings.HasPrefix(filepath.Base(dir), TempPrefix) {
		return fmt.Errorf("%s: %w", dir, ErrTempName)
	}
	// The name itself first, then what a link points to: a directory that
	// another process renames into place between two looks is then never
	// taken for a link to nothing (which is not ErrTaken, so a run of the
	// same config in the same second would fail instead of moving on).
	fi, err := os.Lstat(dir)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w (a symbolic link to nothing)", dir, ErrNotDir)
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		if p, perr := cache.FileOnPath(dir); perr == nil && p != "" {
			return fmt.Errorf("%s: cannot be made, as %s %w", dir, p, ErrNotDir)
		}
		return err
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s: %w", dir, ErrNotDir)
	}
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // gone since: free
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Readdirnames(1); err == nil {
		return fmt.Errorf("%s: %w", dir, ErrTaken)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}

// CheckWritable reports early, before any work, a folder that cannot be
// made because a file stands on its path: an invalid-input error
// (IsInvalid) wrapping ErrNotDir, as the path is the user's to change.
// It creates nothing.
func CheckWritable(dir string) error {
	p, err := cache.FileOnPath(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s cannot be made: %w", dir, err)
	case p != "":
		return Invalid(fmt.Errorf("%s cannot be made: %s %w", dir, p, ErrNotDir))
	}
	return nil
}

// NewReplacingRunDir is NewRunDir for a directory that a complete new
// version replaces on Commit, such as a sweep's, rebuilt by every rerun.
func NewReplacingRunDir(final string) (*RunDir, error) { return newRunDir(final, true) }

// StartFlush starts flushing what the directory holds so far to disk in the
// background, so that Commit has only what is written after it left to
// flush: a sweep starts it once its trials' directories are written, and a
// run once its outputs are copied, before computing their tables and
// report while the disk works. It does nothing with NoSync or once
// started. Commit, Reset and Abort wait for it; Commit reports its error.
func (d *RunDir) StartFlush() {
	if !d.NoSync && d.flush == nil {
		d.flush = startFlush(d.tmp)
	}
}

// waitFlush waits for the flush StartFlush started, if any, and with again
// flushes what was written since.
func (d *RunDir) waitFlush(again bool) error {
	if d.flush == nil {
		return nil
	}
	fl := d.flush
	d.flush = nil
	return fl.wait(again)
}

// Final returns where the directory will be once committed.
func (d *RunDir) Final() string { return d.final }

// Reset empties the directory under construction and makes final, in the
// same folder as before, its destination: a run whose name was taken
// meanwhile is rewritten under the next name. The folder itself stays, and
// stays locked.
func (d *RunDir) Reset(final string) error {
	final = filepath.Clean(final)
	if filepath.Dir(final) != filepath.Dir(d.final) {
		return fmt.Errorf("move %s to %s: not in the same folder", d.final, final)
	}
	d.waitFlush(false) // of files about to be removed
	if err := d.Check(); err != nil {
		return err
	}
	names, err := os.ReadDir(d.tmp)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(d.tmp, n.Name())); err != nil {
			return err
		}
	}
	d.final = final
	return nil
}

// ErrRemoved reports that the folder a RunDir was building was removed
// before it was committed.
var ErrRemoved = errors.New("the folder under construction was removed")

// Check reports, wrapping ErrRemoved, a folder under construction that is
// gone, so that a write never makes it again with only what follows.
func (d *RunDir) Check() error {
	if !d.lock.Holds(d.tmp) {
		return fmt.Errorf("%s: %w", d.tmp, ErrRemoved)
	}
	return nil
}

// Path returns where to write name (slash-separated) inside the directory.
func (d *RunDir) Path(name string) string {
	return filepath.Join(d.tmp, filepath.FromSlash(name))
}

// WriteFile writes a file into the directory, making parent folders.
func (d *RunDir) WriteFile(name string, data []byte) error {
	if err := d.Check(); err != nil {
		return err
	}
	path := d.Path(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Copy copies the file or folder src into the directory as name.
func (d *RunDir) Copy(name, src string) error {
	if err := d.Check(); err != nil {
		return err
	}
	return copyTree(d.Path(name), src)
}

// ErrChangedInCache is the error of an output whose copy into a run
// directory does not have the digest its cache entry records: the entry's
// file changed after the lookup verified it.
var ErrChangedInCache = errors.New("changed in the cache after it was verified; the run directory was not written, run again")

// CopyPublished copies the output p into the directory as name, as Copy
// does, and then checks the copy against the digest p's entry records, so
// that a run directory holds exactly what its stages' keys stand for: an
// entry's file edited or replaced after its lookup verified it is
// ErrChangedInCache, and the caller, which then does not commit the
// directory, leaves no run made of it.
func (d *RunDir) CopyPublished(name string, p Published) error {
	if err := d.Copy(name, p.Src); err != nil {
		return err
	}
	var got string
	var err error
	if p.Folder != "" {
		got, err = folderDigest(d.Path(name), p.Folder)
	} else {
		_, got, err = cache.DigestFile(d.Path(name))
	}
	if err != nil {
		return err
	}
	if got != p.Digest {
		return fmt.Errorf("%s (%s): %w", name, p.Src, ErrChangedInCache)
	}
	return nil
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

// Commit flushes the directory's files to disk and renames it into place,
// and releases its lock.
func (d *RunDir) Commit() error {
	if !d.NoSync {
		var err error
		if d.flush != nil {
			err = d.waitFlush(true)
		} else {
			err = syncTree(d.tmp)
		}
		if gone := d.Check(); gone != nil {
			err = gone // the cause of the sync's error, if any
		}
		if err != nil {
			return fmt.Errorf("sync %s: %w", d.final, err)
		}
	}
	if err := d.Check(); err != nil {
		return err
	}
	if d.replace {
		// Swap the new version with the old in one step (the old then
		// sits at the temporary name and is deleted), so that the folder
		// never goes missing.
		err := renameNoReplace(d.tmp, d.final)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			// The folder in place is locked too while it sits at the
			// temporary name: gc --results, which removes such folders
			// of killed processes, must not take it (its files may be
			// hours old) before CheckReplaced puts it back, or before it
			// is deleted below.
			if held, lerr := cache.LockDir(d.final); lerr == nil {
				defer held.Close()
			}
			if err = exchange(d.tmp, d.final); err != nil {
				return fmt.Errorf("move %s into place: %w", d.final, err)
			}
			if d.CheckReplaced != nil {
				if cerr := d.CheckReplaced(d.tmp); cerr != nil {
					if err := exchange(d.tmp, d.final); err != nil {
						// The old folder is at d.tmp, which Abort leaves
						// alone: it no longer holds the locked folder.
						return fmt.Errorf("%w; and putting it back from %s failed: %w", cerr, d.tmp, err)
					}
					return cerr
				}
			}
			defer os.RemoveAll(d.tmp)
		}
		if err != nil {
			return fmt.Errorf("move %s into place: %w", d.final, err)
		}
		d.made = nil
		d.unlock()
		return d.syncParent()
	}
	if err := CheckFree(d.final); err != nil {
		return err
	}
	// An empty directory given with --out is replaced; if the rename then
	// fails for another reason than a race, it is put back.
	wasEmptyDir := os.Remove(d.final) == nil
	// Never replace: another process may have taken the name meanwhile.
	if err := renameNoReplace(d.tmp, d.final); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("%s: %w", d.final, ErrTaken)
		}
		if wasEmptyDir {
			os.Mkdir(d.final, 0o755)
		}
		return fmt.Errorf("move the run into place: %w", err)
	}
	d.made = nil
	d.unlock()
	return d.syncParent()
}

// unlock releases the folder's lock, once it is committed or removed.
func (d *RunDir) unlock() {
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
}

// syncParent flushes the folder that holds the committed directory, so that
// its new name is on disk, unless NoSync.
func (d *RunDir) syncParent() error {
	if d.NoSync {
		return nil
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

// Abort removes the directory under construction, and the folders made
// for it that are empty now. After a successful Commit there is nothing
// left to remove.
func (d *RunDir) Abort() {
	d.waitFlush(false)
	if d.lock == nil {
		return // committed
	}
	if d.lock.Holds(d.tmp) {
		os.RemoveAll(d.tmp)
	}
	d.unlock()
	removeEmpty(d.made)
	d.made = nil
}

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

// exchange swaps the directories a and b: in one step where the system can
// (cache.Exchange), else by renames.
func exchange(a, b string) error {
	swapped, err := cache.Exchange(a, b)
	if err != nil || swapped {
		return err
	}
	return exchangeByRenames(a, b)
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

// ResolvePath returns path absolute, with the symbolic links of the part
// of it that exists resolved the way the system resolves them: "link/.."
// is the parent of link's target, not the folder holding link.
func ResolvePath(path string) string {
	abs := path
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return filepath.Clean(path)
		}
		abs = wd + string(filepath.Separator) + path
	}
	parts := strings.Split(abs, string(filepath.Separator))
	for n := len(parts); n > 0; n-- {
		prefix := strings.Join(parts[:n], string(filepath.Separator))
		if prefix == "" {
			prefix = string(filepath.Separator)
		}
		if real, err := filepath.EvalSymlinks(prefix); err == nil {
			return filepath.Join(real, strings.Join(parts[n:], string(filepath.Separator)))
		}
	}
	return filepath.Clean(abs)
}

// ResolveCachePath is ResolvePath for a cache location (see
// cache.ParseLocation); an S3 location resolves to a name that no folder
// is within or holds.
func ResolveCachePath(location string) string {
	if l, err := cache.ParseLocation(location); err == nil && l.IsS3() {
		return "\x00" + location
	}
	return ResolvePath(location)
}

// Within reports whether path is dir or inside it; both must be resolved
// (ResolvePath).
func Within(path, dir string) bool {
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}
