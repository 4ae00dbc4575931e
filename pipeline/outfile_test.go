package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("after Commit the file holds %q, want the new content", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the output", len(entries))
	}
}

// TestOutFileModeIsTheUmasks: the file written has mode 0666 less the umask, as a new file
// and in place of one of another mode. Not parallel: the umask is the process's.
func TestOutFileModeIsTheUmasks(t *testing.T) {
	for _, tt := range []struct {
		name  string
		umask int
		old   os.FileMode // 0: no file there before
		want  os.FileMode
	}{
		{"a new file, umask 022", 0o022, 0, 0o644},
		{"a new file, umask 077", 0o077, 0, 0o600},
		{"a new file, umask 002", 0o002, 0, 0o664},
		{"in place of a 0600 file, umask 077", 0o077, 0o600, 0o600},
		{"in place of a 0600 file, umask 022", 0o022, 0o600, 0o644},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.txt")
			if tt.old != 0 {
				if err := os.WriteFile(path, []byte("old"), tt.old); err != nil {
					t.Fatal(err)
				}
			}
			defer syscall.Umask(syscall.Umask(tt.umask))
			o, err := CreateOut(path)
			if err != nil {
				t.Fatal(err)
			}
			o.WriteString("new")
			if err := o.Commit(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tt.want {
				t.Errorf("after Commit the file has mode %v, want %v", fi.Mode(), tt.want)
			}
		})
	}
}

// TestCheckOutFileRefusesWhatCannotBeAFile: each path where no file can be written is
// refused as invalid input with the one line that says what stands there; a new name, a
// regular file and a link to one are accepted. Nothing is created or changed.
func TestCheckOutFileRefusesWhatCannotBeAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	if err := syscall.Mknod(sock, syscall.S_IFSOCK|0o644, 0); err != nil {
		t.Fatal(err)
	}
	link := func(name, to string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	toFile, toFifo, toDir := link("to-file", "f"), link("to-fifo", "fifo"), link("to-dir", ".")
	toNull, dangling := link("to-null", os.DevNull), link("dangling", "nowhere")
	loop, throughFile := link("loop-a", "loop-b"), link("through-file", "f/x")
	link("loop-b", "loop-a")
	for _, tt := range []struct{ path, want string }{
		{"", "no file to write given"},
		{dir, dir + " is a directory; give a file to write"},
		{filepath.Join(dir, "no", "x"), filepath.Join(dir, "no", "x") + ": the folder " + filepath.Join(dir, "no") + " does not exist"},
		{filepath.Join(file, "x"), filepath.Join(file, "x") + ": " + file + " is not a folder"},
		{fifo, fifo + " is a named pipe; give a file to write"},
		{sock, sock + " is a socket; give a file to write"},
		{toFifo, toFifo + " is a symbolic link to a named pipe; give a file to write"},
		{toNull, toNull + " is a symbolic link to a device; give a file to write"},
		{toDir, toDir + " is a symbolic link to a directory; give a file to write"},
		{dangling, dangling + " is a symbolic link to nothing; give a file to write"},
		{loop, loop + " is a symbolic link that leads back to itself; give a file to write"},
		{throughFile, throughFile + " is a symbolic link through a file, as if it were a folder; give a file to write"},
	} {
		err := CheckOutFile(tt.path)
		if !IsInvalid(err) || err.Error() != tt.want {
			t.Errorf("CheckOutFile(%q) = %v, want invalid input %q", tt.path, err, tt.want)
		}
	}
	for _, good := range []string{file, filepath.Join(dir, "new"), toFile} {
		if err := CheckOutFile(good); err != nil {
			t.Errorf("CheckOutFile(%q) = %v, want nil", good, err)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the named pipe is now %v, %v", fi, err)
	}
}

// TestOutFileWritesTheFileALinkNames: an output path that is a symbolic link to a regular
// file replaces that file, written beside it, and the link stays a link to it.
func TestOutFileWritesTheFileALinkNames(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	target, link := filepath.Join(other, "target.txt"), filepath.Join(dir, "link.txt")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	o, err := CreateOut(link)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(o.Name()) != other {
		t.Errorf("the temporary file is %s, want it beside the link's target in %s", o.Name(), other)
	}
	o.WriteString("new")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	if to, err := os.Readlink(link); err != nil || to != target {
		t.Errorf("after Commit the link points to %q (%v), want %s", to, err, target)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("after Commit the target holds %q, want the new content", b)
	}
	for _, d := range []string{dir, other} {
		if entries, _ := os.ReadDir(d); len(entries) != 1 {
			t.Errorf("%s holds %d files, want 1", d, len(entries))
		}
	}
}

// TestOutFileCommitLeavesWhatIsNoLongerAFile: a named pipe or a link put in the output's place
// after CreateOut looked is left as it is by Commit, which fails as invalid input and leaves
// no temporary file.
func TestOutFileCommitLeavesWhatIsNoLongerAFile(t *testing.T) {
	for _, tt := range []struct {
		name   string
		put    func(path string) error
		want   string
		isWhat fs.FileMode
	}{
		{"a named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }, " is a named pipe; give a file to write", fs.ModeNamedPipe},
		{"a link", func(p string) error { return os.Symlink("elsewhere", p) }, " is a symbolic link; give a file to write", fs.ModeSymlink},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.txt")
			o, err := CreateOut(path)
			if err != nil {
				t.Fatal(err)
			}
			o.WriteString("new")
			if err := tt.put(path); err != nil {
				t.Fatal(err)
			}
			if err := o.Commit(); !IsInvalid(err) || err.Error() != path+tt.want {
				t.Errorf("Commit = %v, want invalid input %q", err, path+tt.want)
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != tt.isWhat {
				t.Errorf("after Commit %s is %v, %v; want it left as it was", path, fi, err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the folder holds %d files, want only what was put there", len(entries))
			}
		})
	}
}
