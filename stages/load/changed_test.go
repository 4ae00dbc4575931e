package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// tableVersion is version v of a small table, as CSV or (ext ".parquet") Parquet bytes; every
// version has other values and one more row than the last.
func tableVersion(t testing.TB, v int, ext string, rows int) []byte {
	t.Helper()
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, Classes: []string{"a", "b", "c"}}
	var csv bytes.Buffer
	csv.WriteString("x0,x1,label\n")
	for i := range rows + v {
		x0, x1, l := float64(v)+float64(i)/8, float64(i%17), int32((i+v)%3)
		d.X = append(d.X, x0, x1)
		d.Labels = append(d.Labels, l)
		fmt.Fprintf(&csv, "%v,%v,%s\n", x0, x1, d.Classes[l])
	}
	if ext == ".csv" {
		return csv.Bytes()
	}
	path := filepath.Join(t.TempDir(), "v.parquet")
	if err := dataset.WriteFile(path, d, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// paramsFor loads data<ext> from the config's folder.
func paramsFor(ext string) *Params {
	return with(func(p *Params) {
		p.Path, p.Label = "data"+ext, "label"
		if ext == ".parquet" {
			p.Label, p.Features = "label_name", []string{"x0", "x1"}
		}
	})
}

// TestRunRefusesAFileChangedBetweenItsFingerprintAndTheRead computes the key's fingerprint,
// changes the file (in place, or by renaming another over it), and runs the stage with that
// fingerprint, as the engine does: the stage must fail with an error that names the file and
// matches dataset.ErrChanged, is not invalid input, and writes nothing.
func TestRunRefusesAFileChangedBetweenItsFingerprintAndTheRead(t *testing.T) {
	for _, ext := range []string{".csv", ".parquet"} {
		for _, how := range []string{"in place", "by a rename", "not at all"} {
			t.Run(ext+" changed "+how, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "data"+ext)
				if err := os.WriteFile(path, tableVersion(t, 0, ext, 50), 0o644); err != nil {
					t.Fatal(err)
				}
				p := paramsFor(ext)
				fp, err := Fingerprint(p, dir)
				if err != nil {
					t.Fatal(err)
				}
				switch how {
				case "in place":
					err = os.WriteFile(path, tableVersion(t, 1, ext, 50), 0o644)
				case "by a rename":
					if err = os.WriteFile(path+".new", tableVersion(t, 1, ext, 50), 0o644); err == nil {
						err = os.Rename(path+".new", path)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				out := t.TempDir()
				io := pipeline.NewIO("data", nil, map[string]string{"dataset": filepath.Join(out, "dataset.parquet")})
				io.BaseDir, io.Fingerprint = dir, fp
				err = Spec().Run(context.Background(), p, io)
				left, _ := os.ReadDir(out)
				if how == "not at all" {
					if err != nil || len(left) != 1 || left[0].Name() != "dataset.parquet" {
						t.Errorf("Run of an unchanged file = %v, leaving %d files; want dataset.parquet alone", err, len(left))
					}
					return
				}
				if !errors.Is(err, dataset.ErrChanged) || pipeline.IsInvalid(err) {
					t.Errorf("Run = %v, want dataset.ErrChanged, not marked invalid input", err)
				}
				if err != nil && !strings.HasPrefix(err.Error(), path+": changed while nnpipe read it") {
					t.Errorf("Run = %q, want it to name %s and say it changed while nnpipe read it", err, path)
				}
				if len(left) > 0 {
					t.Errorf("Run left %d files in its output folder, want none", len(left))
				}
			})
		}
	}
}

func TestRunRefusesAFingerprintItCannotCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.csv"), tableVersion(t, 0, ".csv", 5), 0o644); err != nil {
		t.Fatal(err)
	}
	io := pipeline.NewIO("data", nil, map[string]string{"dataset": filepath.Join(dir, "out.parquet")})
	io.BaseDir, io.Fingerprint = dir, "md5 abc"
	if err := Spec().Run(context.Background(), paramsFor(".csv"), io); err == nil {
		t.Errorf("Run with fingerprint %q = nil, want an error", io.Fingerprint)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.parquet")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Run with a fingerprint it cannot check wrote its output")
	}
}

// TestCacheEntriesMatchTheirKeysWhileTheFileIsSwapped runs a config that loads a file, many
// times, while another goroutine keeps replacing the file (renaming a new version over it, or
// rewriting it in place). Runs may fail with dataset.ErrChanged, or as invalid input when they
// catch the file half rewritten; any other error fails the test. Then every `load` entry in
// the cache must hold exactly the data of the bytes whose SHA-256 its key holds: a version,
// or a version cut short as a rewrite in place leaves it for a moment.
func TestCacheEntriesMatchTheirKeysWhileTheFileIsSwapped(t *testing.T) {
	if testing.Short() {
		t.Skip("a stress test")
	}
	for _, ext := range []string{".csv", ".parquet"} {
		t.Run(strings.TrimPrefix(ext, "."), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "data"+ext)
			const nVersions = 6
			var contents [][]byte
			// states maps the hex SHA-256 of every content the file can have had to it: each
			// version, and each version's prefixes (a file rewritten in place grows from
			// empty; a reader sees it grow in steps of a block, 512 bytes at the finest).
			states := map[string][]byte{}
			for v := range nVersions {
				b := tableVersion(t, v, ext, 3000)
				contents = append(contents, b)
				for n := 0; n < len(b); n += 512 {
					states[sha(b[:n])] = b[:n]
				}
				states[sha(b)] = b
			}
			if err := os.WriteFile(path, contents[0], 0o644); err != nil {
				t.Fatal(err)
			}
			reg, err := pipeline.NewRegistry(Spec())
			if err != nil {
				t.Fatal(err)
			}
			src := fmt.Sprintf("name: swap\nstages:\n  - {id: data, kind: load, with: {path: data%s, label: %s}}\n", ext, paramsFor(ext).Label)
			if ext == ".parquet" {
				src = strings.Replace(src, "}}", ", features: [x0, x1]}}", 1)
			}
			f, err := config.Parse(filepath.Join(dir, "swap.yaml"), []byte(src), nil)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pipeline.Compile(f, reg)
			if err != nil {
				t.Fatal(err)
			}
			cacheDir := t.TempDir()

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var swaps atomic.Int64
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					b := contents[i%nVersions]
					if i%2 == 0 {
						os.WriteFile(path, b, 0o644)
					} else {
						tmp := path + ".tmp"
						if os.WriteFile(tmp, b, 0o644) == nil {
							os.Rename(tmp, path)
						}
					}
					swaps.Add(1)
				}
			}()
			var published, changed, invalid int
			for range 150 {
				// NoCache computes the stage on every run; the cache keeps the first entry
				// published under each key.
				eng := &pipeline.Engine{Cache: cache.Open(cacheDir), Version: "test", NoCache: true}
				_, err := eng.Run(context.Background(), plan)
				switch {
				case err == nil:
					published++
				case errors.Is(err, dataset.ErrChanged):
					changed++
				case pipeline.IsInvalid(err):
					invalid++
				default:
					t.Errorf("run: %v", err)
				}
			}
			close(stop)
			wg.Wait()
			t.Logf("%d swaps; of the runs, %d published, %d refused as changed, %d refused for a half-written file", swaps.Load(), published, changed, invalid)

			entries := 0
			filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.Name() != "entry.json" {
					return nil
				}
				entries++
				name := filepath.Base(filepath.Dir(p))
				var e struct {
					Meta struct{ Preimage string }
				}
				b, _ := os.ReadFile(p)
				if err := json.Unmarshal(b, &e); err != nil {
					t.Fatal(err)
				}
				_, sum, _ := strings.Cut(e.Meta.Preimage, "fingerprint "+fingerprintPrefix)
				sum = strings.TrimSpace(sum)
				state, known := states[sum]
				if !known {
					t.Errorf("entry %s: its key holds the digest %s of no content the file had", name, sum)
					return nil
				}
				vp := filepath.Join(t.TempDir(), "state"+ext)
				if err := os.WriteFile(vp, state, 0o644); err != nil {
					t.Fatal(err)
				}
				want, err := dataset.Load(vp, paramsFor(ext).Options())
				if err != nil {
					t.Errorf("entry %s: its key names bytes that do not load (%v), yet it was published", name, err)
					return nil
				}
				got, err := dataset.ReadFile(filepath.Join(filepath.Dir(p), "dataset.parquet"))
				switch {
				case err != nil:
					t.Errorf("entry %s: %v", name, err)
				case !reflect.DeepEqual(got.X, want.X) || !reflect.DeepEqual(got.Labels, want.Labels) || !reflect.DeepEqual(got.Classes, want.Classes):
					t.Errorf("entry %s holds %d rows, not the %d rows of the bytes its key names", name, got.Rows(), want.Rows())
				}
				return nil
			})
			if entries == 0 {
				t.Errorf("no entry was published in %d runs", published+changed+invalid)
			}
			t.Logf("%d entries checked", entries)
		})
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
