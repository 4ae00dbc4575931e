package dataset

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/polltest"
)

// trickle hands out a file at most 64 bytes a read, and calls change once, after the first
// read: the rest of the file is read after the change, as a slow read of a large file would.
type trickle struct {
	r       io.Reader
	change  func()
	changed bool
}

func (t *trickle) Read(p []byte) (int, error) {
	n, err := t.r.Read(p[:min(len(p), 64)])
	if !t.changed {
		t.changed = true
		t.change()
	}
	return n, err
}

// versions are two tables of the same shape and different values, as CSV and Parquet files'
// bytes, with the options that load them.
type versions struct {
	old, new []byte
	opt      LoadOptions
	ext      string
}

func csvVersions(t *testing.T) versions {
	t.Helper()
	text := func(first string) []byte {
		var b strings.Builder
		b.WriteString("x0,x1,label\n")
		for i := range 200 {
			b.WriteString(first + "," + strconv.Itoa(i) + ",c" + strconv.Itoa(i%3) + "\n")
		}
		return []byte(b.String())
	}
	return versions{old: text("1.5"), new: text("2.5"), opt: LoadOptions{Label: "label"}, ext: ".csv"}
}

func parquetVersions(t *testing.T) versions {
	t.Helper()
	write := func(d *Dataset) []byte {
		path := filepath.Join(t.TempDir(), "d.parquet")
		if err := WriteFile(path, d, nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	d := testDataset(300, 2, 3)
	old := write(d)
	d.X[0]++
	return versions{old: old, new: write(d), opt: LoadOptions{Label: "label_name", Features: []string{"x0", "x1"}}, ext: ".parquet"}
}

// TestLoadRefusesAFileThatChangedAfterItsDigestOrWhileRead loads a file with the digest of
// its old content while the file is changed in each way a writer can change it: before the
// read (in place, or by renaming another file over it), and in the middle of the read
// (rewritten, truncated, grown, renamed over). The load must return exactly the data the
// digest describes or ErrChanged, and leave no copy behind.
func TestLoadRefusesAFileThatChangedAfterItsDigestOrWhileRead(t *testing.T) {
	inPlace := func(b []byte) func(path string) error {
		return func(path string) error { return os.WriteFile(path, b, 0o644) }
	}
	renameOver := func(b []byte) func(path string) error {
		return func(path string) error {
			tmp := path + ".new"
			if err := os.WriteFile(tmp, b, 0o644); err != nil {
				return err
			}
			return os.Rename(tmp, path)
		}
	}
	for _, v := range []versions{csvVersions(t), parquetVersions(t)} {
		cases := []struct {
			name   string
			before func(path string) error // after the digest, before the load opens the file
			during func(path string) error // after the load read its first bytes
			ok     bool                    // the load reads the old bytes whole: no error
		}{
			{name: "unchanged", ok: true},
			{name: "rewritten in place before the read", before: inPlace(v.new)},
			{name: "replaced by a rename before the read", before: renameOver(v.new)},
			{name: "rewritten in place during the read", during: inPlace(v.new)},
			{name: "truncated during the read", during: inPlace(v.old[:len(v.old)/2])},
			// A CSV line cut short fails to parse: the change must be reported, not that.
			{name: "cut in its last line during the read", during: inPlace(v.old[:len(v.old)-4])},
			{name: "grown during the read", during: inPlace(append(bytes.Clone(v.old), v.old...))},
			{name: "emptied during the read", during: inPlace(nil)},
			// The open file keeps the old bytes when another file is renamed over its name.
			{name: "replaced by a rename during the read", during: renameOver(v.new), ok: true},
			{name: "rewritten with the same bytes during the read", during: inPlace(v.old), ok: true},
		}
		for _, c := range cases {
			t.Run(strings.TrimPrefix(v.ext, ".")+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "data"+v.ext)
				if err := os.WriteFile(path, v.old, 0o644); err != nil {
					t.Fatal(err)
				}
				want, err := Load(path, v.opt)
				if err != nil {
					t.Fatal(err)
				}
				opt := v.opt
				if opt.SHA256, err = Digest(path); err != nil {
					t.Fatal(err)
				}
				opt.TempDir = t.TempDir()
				if c.before != nil {
					if err := c.before(path); err != nil {
						t.Fatal(err)
					}
				}
				var wrap func(io.Reader) io.Reader
				if c.during != nil {
					wrap = func(r io.Reader) io.Reader {
						return &trickle{r: r, change: func() {
							if err := c.during(path); err != nil {
								t.Error(err)
							}
						}}
					}
				}
				got, err := load(context.Background(), path, opt, wrap)
				switch {
				case c.ok && err != nil:
					t.Errorf("load = %v, want the old data", err)
				case c.ok && !reflect.DeepEqual(got, want):
					t.Errorf("load returned other data than the old file's")
				case !c.ok && !errors.Is(err, ErrChanged):
					t.Errorf("load = %v, want ErrChanged", err)
				case !c.ok:
					var le *LoadError
					if !errors.As(err, &le) || le.File != path || strings.Count(err.Error(), "\n") > 0 {
						t.Errorf("load = %q, want one line naming the file", err)
					}
				}
				if left, _ := os.ReadDir(opt.TempDir); len(left) > 0 {
					t.Errorf("load left %d files in its temporary folder", len(left))
				}
			})
		}
	}
}

// TestLoadWithoutADigestRefusesAFileThatGrowsWhileRead: without a digest to compare with,
// the file's size when opened still bounds the read.
func TestLoadWithoutADigestRefusesAFileThatGrowsWhileRead(t *testing.T) {
	v := csvVersions(t)
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, v.old, 0o644); err != nil {
		t.Fatal(err)
	}
	wrap := func(r io.Reader) io.Reader {
		return &trickle{r: r, change: func() {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(v.old[12:]) // the rows again
			f.Close()
		}}
	}
	if _, err := load(context.Background(), path, v.opt, wrap); !errors.Is(err, ErrChanged) {
		t.Errorf("load of a file that grew while read = %v, want ErrChanged", err)
	}
}

func TestLoadStopsWhenItsContextIsCancelled(t *testing.T) {
	for _, v := range []versions{csvVersions(t), parquetVersions(t)} {
		t.Run(v.ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data"+v.ext)
			if err := os.WriteFile(path, v.old, 0o644); err != nil {
				t.Fatal(err)
			}
			opt := v.opt
			opt.SHA256, _ = Digest(path)
			ctx, cancel := context.WithCancel(context.Background())
			// The context is cancelled after the first bytes are read: nothing may follow
			// that would not look at it.
			wrap := func(r io.Reader) io.Reader { return &trickle{r: r, change: cancel} }
			if _, err := load(ctx, path, opt, wrap); !errors.Is(err, context.Canceled) {
				t.Errorf("load with its context cancelled while reading = %v, want context.Canceled", err)
			}
		})
	}
}

func TestWriteFileStopsAtTheCancellationAndRemovesTheFile(t *testing.T) {
	d := testDataset(3*RowGroupRows, 2, 3)
	path := filepath.Join(t.TempDir(), "d.parquet")
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 2}
	if err := WriteFileContext(ctx, path, d, nil); !errors.Is(err, context.Canceled) || ctx.Polls != 2 {
		t.Errorf("WriteFileContext cancelled at its second look = %v after %d looks, want context.Canceled after 2", err, ctx.Polls)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled write left %s", path)
	}
}
