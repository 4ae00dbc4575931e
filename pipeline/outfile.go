package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// OutFile is a file written under a temporary name in its folder and renamed into place by
// Commit, so that the name never holds a partial file and an older file of that name stays
// whole until the new one replaces it in one step. A failure or an interrupt leaves no file;
// a kill can leave the hidden temporary one (.NAME.tmp-*) beside it.
type OutFile struct {
	*os.File
	path   string         // as given
	target string         // the file replaced: path, or the file the symbolic link path names
	lock   *cache.DirLock // on the temporary file, until it is renamed or removed
	done   bool
}

// CreateOut checks path as a place to write a file (see CheckOutFile) and starts writing it,
// beside the file it will replace: path, or the file a symbolic link path names.
func CreateOut(path string) (*OutFile, error) {
	target, err := outTarget(path)
	if err != nil {
		return nil, err
	}
	// What writers of this name that were killed left: the hidden temporary
	// files nobody holds (see createTemp). Nothing else removes them.
	cache.RemoveAbandoned(filepath.Dir(target), tempPrefix(target), abandonedAge)
	f, lock, err := createTemp(target)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &OutFile{File: f, path: path, target: target, lock: lock}, nil
}

// abandonedAge is how long nothing must have changed in a temporary file
// that nobody holds before CreateOut removes it, where the file system
// cannot lock it: two of the heartbeats its writer then sets its
// modification time with.
const abandonedAge = 2 * cache.HeartbeatEvery

// tempPrefix is the start of the names of target's temporary files.
func tempPrefix(target string) string {
	return "." + filepath.Base(target) + ".tmp-"
}

// createTemp creates the file that is renamed onto target, beside it under a new hidden name
// (.NAME.tmp-*), with mode 0666 less the umask like every file nnpipe writes: os.CreateTemp's
// 0600 would keep others from reading it, and a chmod after it would ignore the umask. It
// locks the file for as long as it is written (cache.LockDir), so that the next writer of
// target tells it from the file of a writer that was killed, and removes only the latter.
func createTemp(target string) (*os.File, *cache.DirLock, error) {
	prefix := filepath.Join(filepath.Dir(target), tempPrefix(target))
	var err error
	for range 10_000 {
		name := prefix + strconv.FormatUint(rand.Uint64(), 36)
		var f *os.File
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		lock, lerr := cache.LockDir(name)
		if lerr == nil && lock.Holds(name) {
			return f, lock, nil
		}
		// Another writer took it for abandoned between its making and the
		// lock, and removes it or has: make another.
		if lerr == nil {
			lock.Close()
		}
		f.Close()
		if !errors.Is(lerr, fs.ErrNotExist) && lerr != nil {
			os.Remove(name)
			return nil, nil, lerr
		}
		err = lerr
	}
	return nil, nil, err
}

// Commit closes the file and renames it into place; its mode is the one createTemp gave it,
// 0666 less the umask, whatever the mode of the file it replaces. On error it removes the
// temporary file.
func (o *OutFile) Commit() error {
	o.done = true
	err := o.File.Close()
	if err == nil {
		// What stands there may have changed since CreateOut looked: never put a file in
		// the place of a named pipe, a device or a link.
		if fi, lerr := os.Lstat(o.target); lerr == nil && !fi.Mode().IsRegular() {
			os.Remove(o.Name())
			o.unlock()
			return notFileError(o.path, o.path != o.target, fi.Mode())
		}
		err = os.Rename(o.Name(), o.target)
	}
	if err != nil {
		os.Remove(o.Name())
		o.unlock()
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.unlock()
	return nil
}

// unlock releases the temporary file's lock, once it is renamed or removed.
func (o *OutFile) unlock() {
	if o.lock != nil {
		o.lock.Close()
		o.lock = nil
	}
}

// Abort closes and removes the temporary file, unless Commit was called.
func (o *OutFile) Abort() {
	if o.done {
		return
	}
	o.done = true
	o.File.Close()
	os.Remove(o.Name())
	o.unlock()
}

// CheckOutFile reports, before any work and creating nothing, a path where a file cannot be
// written: an empty path, a folder, a named pipe, a device, a socket or anything else that is
// not a regular file, a symbolic link to nothing or to such a thing, or a path whose folder
// does not exist or is a file. These are the user's mistakes: the error is Invalid and names
// the path. A symbolic link to a regular file is followed, as run --out follows one to a
// folder: the file it names is replaced, and the link stays.
func CheckOutFile(path string) error {
	_, err := outTarget(path)
	return err
}

// outTarget checks path as CheckOutFile does and returns the file that writing it replaces:
// path itself, or the file the symbolic link path names.
func outTarget(path string) (string, error) {
	if path == "" {
		return "", Invalid(errors.New("no file to write given"))
	}
	target := path
	fi, err := os.Lstat(path)
	link := err == nil && fi.Mode()&fs.ModeSymlink != 0
	if link {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			// What the system finds at the link's end says what is wrong.
			_, serr := os.Stat(path)
			switch {
			case errors.Is(serr, fs.ErrNotExist):
				return "", Invalid(fmt.Errorf("%s is a symbolic link to nothing; give a file to write", config.Shown(path)))
			case errors.Is(serr, syscall.ELOOP):
				return "", Invalid(fmt.Errorf("%s is a symbolic link that leads back to itself; give a file to write", config.Shown(path)))
			case errors.Is(serr, syscall.ENOTDIR):
				return "", Invalid(fmt.Errorf("%s is a symbolic link through a file, as if it were a folder; give a file to write", config.Shown(path)))
			}
			return "", fmt.Errorf("%s: %w", config.Shown(path), err)
		}
		fi, err = os.Lstat(target)
	}
	switch {
	case err == nil && fi.Mode().IsRegular():
		return target, nil
	case err == nil:
		return "", notFileError(path, link, fi.Mode())
	}
	// Nothing there, or nothing that can be looked at: its folder says why.
	dir := filepath.Dir(path)
	fi, err = os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", Invalid(fmt.Errorf("%s: the folder %s does not exist", config.Shown(path), config.Shown(dir)))
	case err != nil:
		return "", fmt.Errorf("%s: %w", config.Shown(path), err)
	case !fi.IsDir():
		return "", Invalid(fmt.Errorf("%s: %s is not a folder", config.Shown(path), config.Shown(dir)))
	}
	return path, nil
}

// notFileError is the Invalid error of an output path that is, or links to (link), something
// of mode m other than a regular file.
func notFileError(path string, link bool, m fs.FileMode) error {
	what := FileKind(m)
	if link {
		what = "a symbolic link to " + what
	}
	return Invalid(fmt.Errorf("%s is %s; give a file to write", config.Shown(path), what))
}

// CheckNotInput refuses, as the user's mistake, an output path that is the file input (the
// same file through any name), which the command reads: writing it would destroy what it
// reads. what names the input in the message ("the model file").
func CheckNotInput(out, what, input string) error {
	oi, err := os.Stat(out)
	if err != nil {
		return nil // nothing there yet, or nothing that can be read: no input
	}
	if ii, err := os.Stat(input); err == nil && os.SameFile(oi, ii) {
		return Invalid(fmt.Errorf("%s is %s; give another file to write", out, what))
	}
	return nil
}
