package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// outputs is the content of a build: slash-separated name -> bytes.
type outputs map[string]string

var sampleOutputs = outputs{
	"metrics.json":           `{"accuracy": 0.88}`,
	"sub/predictions.csv":    "row,label\n0,1\n",
	"sub/deeper/history.bin": "\x00\x01\x02\xff",
	"empty":                  "",
}

// build writes files into a new temporary folder of c.
func build(t testing.TB, c *Cache, files outputs) string {
	t.Helper()
	dir, err := c.TempDir()
	if err != nil {
		t.Fatalf("TempDir() = %v", err)
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publishOutputs builds files and publishes them as key.
func publishOutputs(t testing.TB, c *Cache, key string, files outputs, meta any) *Entry {
	t.Helper()
	e, err := c.Publish(key, build(t, c, files), meta)
	if err != nil {
		t.Fatalf("Publish(%s) = %v", short(key), err)
	}
	return e
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// wantFiles is the sorted File list of files.
func wantFiles(files outputs) []File {
	var fs []File
	for name, content := range files {
		fs = append(fs, File{Name: name, Size: int64(len(content)), SHA256: sum(content)})
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// readOutputs reads every file of an entry folder except entry.json.
func readOutputs(t testing.TB, dir string) outputs {
	t.Helper()
	got := outputs{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == EntryFile {
			return nil
		}
		b, err := os.ReadFile(path)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// tree describes every file and folder under dir with its mode, size and
// modification time, to tell whether anything was written.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return nil
		}
		if err != nil {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		m[path] = fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// leftovers lists what is in the cache's temporary folder.
func leftovers(t testing.TB, c *Cache) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(c.Dir(), tmpDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// entryDirs lists the entry folders of the cache as v1/xx/key.
func entryDirs(t testing.TB, c *Cache) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(c.Dir(), versionDir, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range matches {
		matches[i], _ = filepath.Rel(c.Dir(), m)
		matches[i] = filepath.ToSlash(matches[i])
	}
	return matches
}

func TestKeyIsTheHexSHA256OfThePreimage(t *testing.T) {
	tests := []struct{ preimage, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := Key(tt.preimage); got != tt.want {
			t.Errorf("Key(%q) = %s, want %s", tt.preimage, got, tt.want)
		}
		if !validKey(Key(tt.preimage)) {
			t.Errorf("validKey(Key(%q)) = false, want true", tt.preimage)
		}
	}
}

func TestOpenCreatesNothing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "cache")
	c := Open(root)
	if c.Dir() != root {
		t.Errorf("Open(%s).Dir() = %s", root, c.Dir())
	}
	if _, err := c.Get(Key("x")); !errors.Is(err, ErrMiss) {
		t.Errorf("Get on a cache that does not exist = %v, want ErrMiss", err)
	}
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Open and Get, Stat(%s) = %v, want not exist", root, err)
	}
}

func TestPublishThenGetReturnsTheFiles(t *testing.T) {
	c := Open(t.TempDir())
	created := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
	c.now = func() time.Time { return created }
	key := Key("train v1 {hidden: 2}")
	meta := map[string]any{"kind": "train", "outputs": []any{"model"}}
	dir := build(t, c, sampleOutputs)
	published, err := c.Publish(key, dir, meta)
	if err != nil {
		t.Fatalf("Publish = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Publish, the build folder %s is still there (%v)", dir, err)
	}
	got, err := c.Get(key)
	if err != nil {
		t.Fatalf("Get after Publish = %v", err)
	}
	for name, e := range map[string]*Entry{"Publish": published, "Get": got} {
		if e.Key != key || e.Format != format || e.Dir != c.Path(key) {
			t.Errorf("%s entry = key %s, format %d, dir %s; want %s, %d, %s", name, e.Key, e.Format, e.Dir, key, format, c.Path(key))
		}
		if !e.Created.Equal(created.Truncate(time.Second)) || e.Created.Location() != time.UTC {
			t.Errorf("%s entry created = %v, want %v in UTC", name, e.Created, created.Truncate(time.Second))
		}
		if want := wantFiles(sampleOutputs); !reflect.DeepEqual(e.Files, want) {
			t.Errorf("%s entry files = %v, want %v", name, e.Files, want)
		}
		var m map[string]any
		if err := json.Unmarshal(e.Meta, &m); err != nil || !reflect.DeepEqual(m, meta) {
			t.Errorf("%s entry meta = %s (%v), want %v", name, e.Meta, err, meta)
		}
	}
	if want := filepath.Join(c.Dir(), "v1", key[:2], key); c.Path(key) != want {
		t.Errorf("Path(key) = %s, want %s", c.Path(key), want)
	}
	if content := readOutputs(t, got.Dir); !reflect.DeepEqual(content, sampleOutputs) {
		t.Errorf("entry content = %q, want %q", content, sampleOutputs)
	}
	if f, ok := got.File("sub/predictions.csv"); !ok || f.Size != int64(len(sampleOutputs["sub/predictions.csv"])) {
		t.Errorf("File(sub/predictions.csv) = %v, %v", f, ok)
	}
	if _, ok := got.File("nope"); ok {
		t.Errorf("File(nope) found a file")
	}
	if l := leftovers(t, c); len(l) > 0 {
		t.Errorf("after Publish, tmp holds %v", l)
	}
}

func TestPublishWithoutMetadataOrFiles(t *testing.T) {
	c := Open(t.TempDir())
	key := Key("nothing")
	publishOutputs(t, c, key, outputs{}, nil)
	e, err := c.Get(key)
	if err != nil {
		t.Fatalf("Get = %v", err)
	}
	if len(e.Files) != 0 || e.Meta != nil {
		t.Errorf("Get = files %v, meta %s; want none", e.Files, e.Meta)
	}
}

func TestDigestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	size, digest, err := DigestFile(path)
	if err != nil || size != 3 || digest != sum("abc") {
		t.Errorf("DigestFile = %d, %s, %v; want 3, %s", size, digest, err, sum("abc"))
	}
	// Files smaller than, as large as and larger than the buffer.
	for _, n := range []int{0, 1, 511, 512, 513, digestBuffer - 1, digestBuffer, digestBuffer + 1, 3*digestBuffer + 17} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		size, digest, err := DigestFile(path)
		if want := sum(string(data)); err != nil || size != int64(n) || digest != want {
			t.Errorf("DigestFile of %d bytes = %d, %s, %v; want %d, %s", n, size, digest, err, n, want)
		}
	}
	if _, _, err := DigestFile(path + "-missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DigestFile(missing) = %v, want not exist", err)
	}
}

func TestGetOfAMissingKeyIsErrMiss(t *testing.T) {
	c := Open(t.TempDir())
	publishOutputs(t, c, Key("a"), sampleOutputs, nil)
	for _, preimage := range []string{"b", "c"} {
		if e, err := c.Get(Key(preimage)); e != nil || !errors.Is(err, ErrMiss) {
			t.Errorf("Get(Key(%q)) = %v, %v; want ErrMiss", preimage, e, err)
		}
	}
}

// rewriteEntryJSON edits the decoded entry.json of dir.
func rewriteEntryJSON(t testing.TB, dir string, edit func(m map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, EntryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameJSON reports whether a and b encode the same value; Publish returns
// its metadata compact and Get as indented in entry.json.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestGetDetectsDamageAndPublishReplacesIt(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"a flipped byte", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "metrics.json")
			b, err := os.ReadFile(path)
			must(t, err)
			b[3] ^= 0x01
			must(t, os.WriteFile(path, b, 0o644))
		}},
		{"a flipped byte in a sub-folder", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "sub", "deeper", "history.bin")
			b, err := os.ReadFile(path)
			must(t, err)
			b[0] ^= 0x80
			must(t, os.WriteFile(path, b, 0o644))
		}},
		{"a truncated file", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(dir, "sub", "predictions.csv"), 4))
		}},
		{"a file emptied", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(dir, "metrics.json"), 0))
		}},
		{"a file grown", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "empty"), []byte("x"), 0o644))
		}},
		{"a deleted file", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "metrics.json")))
		}},
		{"a deleted sub-folder", func(t *testing.T, dir string) {
			must(t, os.RemoveAll(filepath.Join(dir, "sub")))
		}},
		{"an extra file", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "extra"), nil, 0o644))
		}},
		{"an extra file in a sub-folder", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "sub", "deeper", "extra"), []byte("x"), 0o644))
		}},
		{"a file renamed", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(dir, "metrics.json"), filepath.Join(dir, "metrics.JSON")))
		}},
		{"a file replaced by a folder", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "empty")))
			must(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
		}},
		{"a file replaced by a symbolic link to the same content", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "metrics.json")
			copyPath := filepath.Join(t.TempDir(), "copy")
			b, err := os.ReadFile(path)
			must(t, err)
			must(t, os.WriteFile(copyPath, b, 0o644))
			must(t, os.Remove(path))
			must(t, os.Symlink(copyPath, path))
		}},
		{"garbage entry.json", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, EntryFile), []byte("\x00garbage{"), 0o644))
		}},
		{"an empty entry.json", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(dir, EntryFile), 0))
		}},
		{"a truncated entry.json", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(dir, EntryFile), 40))
		}},
		{"a deleted entry.json", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, EntryFile)))
		}},
		{"entry.json replaced by a folder", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, EntryFile)))
			must(t, os.Mkdir(filepath.Join(dir, EntryFile), 0o755))
		}},
		{"entry.json naming another key", func(t *testing.T, dir string) {
			rewriteEntryJSON(t, dir, func(m map[string]any) { m["key"] = Key("another") })
		}},
		{"entry.json of another format", func(t *testing.T, dir string) {
			rewriteEntryJSON(t, dir, func(m map[string]any) { m["format"] = 2 })
		}},
		{"entry.json with a wrong digest", func(t *testing.T, dir string) {
			rewriteEntryJSON(t, dir, func(m map[string]any) {
				m["files"].([]any)[0].(map[string]any)["sha256"] = sum("other")
			})
		}},
		{"entry.json listing a file outside the entry", func(t *testing.T, dir string) {
			rewriteEntryJSON(t, dir, func(m map[string]any) {
				m["files"].([]any)[0].(map[string]any)["name"] = "../../../../etc/passwd"
			})
		}},
		{"entry.json listing no files", func(t *testing.T, dir string) {
			rewriteEntryJSON(t, dir, func(m map[string]any) { m["files"] = []any{} })
		}},
		{"an empty entry folder", func(t *testing.T, dir string) {
			must(t, os.RemoveAll(dir))
			must(t, os.Mkdir(dir, 0o755))
		}},
		{"the entry folder replaced by a file", func(t *testing.T, dir string) {
			must(t, os.RemoveAll(dir))
			must(t, os.WriteFile(dir, []byte("x"), 0o644))
		}},
	}
	// The damage that leaves in the entry something its entry.json does
	// not list: Publish moves the entry aside instead of deleting it.
	foreignDamage := map[string]bool{
		"an extra file": true, "an extra file in a sub-folder": true, "a file renamed": true,
		"a file replaced by a symbolic link to the same content": true,
		"garbage entry.json": true, "an empty entry.json": true, "a truncated entry.json": true,
		"a deleted entry.json": true, "entry.json replaced by a folder": true,
		"entry.json of another format": true, "entry.json listing a file outside the entry": true,
		"entry.json listing no files": true, "the entry folder replaced by a file": true,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Open(t.TempDir())
			key := Key("damage")
			publishOutputs(t, c, key, sampleOutputs, map[string]int{"v": 1})
			tt.damage(t, c.Path(key))
			damagedContent := contents(t, c.Path(key))

			e, err := c.Get(key)
			var damaged *DamagedError
			if e != nil || !errors.As(err, &damaged) || errors.Is(err, ErrMiss) {
				t.Fatalf("Get(damaged) = %v, %v; want a *DamagedError", e, err)
			}
			if damaged.Key != key || damaged.Reason == "" || !strings.Contains(err.Error(), short(key)) {
				t.Errorf("Get(damaged) = %#v (%q), want the key and a reason", damaged, err)
			}

			fresh := outputs{"metrics.json": `{"accuracy": 0.9}`, "sub/x": "new"}
			published, err := c.Publish(key, build(t, c, fresh), nil)
			if err != nil {
				t.Fatalf("Publish over a damaged entry = %v, want it replaced", err)
			}
			if !reflect.DeepEqual(published.Files, wantFiles(fresh)) {
				t.Errorf("Publish over a damaged entry = files %v, want %v", published.Files, wantFiles(fresh))
			}
			if q := published.Quarantined; foreignDamage[tt.name] {
				if q == "" {
					t.Fatalf("Publish deleted a damaged entry holding files it did not list")
				}
				if got := contents(t, q); !reflect.DeepEqual(got, damagedContent) {
					t.Errorf("quarantined %v, want the damaged entry %v", got, damagedContent)
				}
			} else if q != "" || exists(c.QuarantineDir()) {
				t.Errorf("Publish quarantined %q, want a damaged entry of only its own files deleted", q)
			}
			got, err := c.Get(key)
			if err != nil {
				t.Fatalf("Get after replacing a damaged entry = %v", err)
			}
			if content := readOutputs(t, got.Dir); !reflect.DeepEqual(content, fresh) {
				t.Errorf("replaced entry content = %q, want %q", content, fresh)
			}
			if l := leftovers(t, c); len(l) > 0 {
				t.Errorf("after replacing a damaged entry, tmp holds %v", l)
			}
			if dirs := entryDirs(t, c); len(dirs) != 1 {
				t.Errorf("entries = %v, want one", dirs)
			}
		})
	}
}

func TestPublishKeepsAnExistingEntry(t *testing.T) {
	c := Open(t.TempDir())
	key := Key("same computation")
	first := publishOutputs(t, c, key, outputs{"out": "one"}, map[string]int{"run": 1})
	before := tree(t, c.Path(key))
	dir := build(t, c, outputs{"out": "two"})
	second, err := c.Publish(key, dir, map[string]int{"run": 2})
	if err != nil {
		t.Fatalf("second Publish = %v, want the existing entry", err)
	}
	if !reflect.DeepEqual(second.Files, first.Files) || !sameJSON(second.Meta, first.Meta) || second.Dir != c.Path(key) {
		t.Errorf("second Publish = %+v, want the first entry %+v", second, first)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the second build folder is still there (%v)", err)
	}
	if after := tree(t, c.Path(key)); !reflect.DeepEqual(after, before) {
		t.Errorf("second Publish changed the entry:\n%v\nwant\n%v", after, before)
	}
	if l := leftovers(t, c); len(l) > 0 {
		t.Errorf("tmp holds %v", l)
	}
}

func TestPublishConcurrentlyLeavesOneEntry(t *testing.T) {
	const writers = 8
	for round := range 10 {
		c := Open(t.TempDir())
		key := Key(fmt.Sprint("round ", round))
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, writers)
		entries := make([]*Entry, writers)
		for i := range writers {
			dir := build(t, c, sampleOutputs)
			wg.Go(func() {
				<-start
				entries[i], errs[i] = c.Publish(key, dir, map[string]int{"writer": i})
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Publish by writer %d = %v, want success", round, i, err)
			}
			if entries[i].Dir != c.Path(key) || !reflect.DeepEqual(entries[i].Files, wantFiles(sampleOutputs)) {
				t.Errorf("round %d: writer %d got %+v", round, i, entries[i])
			}
		}
		if dirs := entryDirs(t, c); len(dirs) != 1 {
			t.Errorf("round %d: entries = %v, want one", round, dirs)
		}
		if l := leftovers(t, c); len(l) > 0 {
			t.Errorf("round %d: tmp holds %v", round, l)
		}
		got, err := c.Get(key)
		if err != nil {
			t.Fatalf("round %d: Get = %v", round, err)
		}
		if content := readOutputs(t, got.Dir); !reflect.DeepEqual(content, sampleOutputs) {
			t.Errorf("round %d: content = %q", round, content)
		}
	}
}

func TestGetNeverWrites(t *testing.T) {
	c := Open(t.TempDir())
	good, damaged, missing := Key("good"), Key("damaged"), Key("missing")
	publishOutputs(t, c, good, sampleOutputs, nil)
	publishOutputs(t, c, damaged, sampleOutputs, nil)
	must(t, os.WriteFile(filepath.Join(c.Path(damaged), "metrics.json"), []byte("{}"), 0o644))
	// Any write now shows in the modification times, however coarse the
	// file system's clock.
	backdate(t, c.Dir(), time.Hour)
	before := tree(t, c.Dir())
	for range 3 {
		if _, err := c.Get(good); err != nil {
			t.Fatalf("Get(good) = %v", err)
		}
		var d *DamagedError
		if _, err := c.Get(damaged); !errors.As(err, &d) {
			t.Fatalf("Get(damaged) = %v, want a *DamagedError", err)
		}
		if _, err := c.Get(missing); !errors.Is(err, ErrMiss) {
			t.Fatalf("Get(missing) = %v, want ErrMiss", err)
		}
		if _, err := c.Get("not a key"); err == nil {
			t.Fatal("Get(not a key) = nil error")
		}
	}
	after := tree(t, c.Dir())
	if !reflect.DeepEqual(after, before) {
		for path, state := range after {
			if before[path] != state {
				t.Errorf("Get changed %s: %q, was %q", path, state, before[path])
			}
		}
		for path := range before {
			if _, ok := after[path]; !ok {
				t.Errorf("Get removed %s", path)
			}
		}
	}
}

func TestInvalidKeysAreRefused(t *testing.T) {
	valid := Key("x")
	keys := []string{
		"",
		"a",
		"abc",
		valid[:63],
		valid + "0",
		strings.ToUpper(valid),
		strings.Repeat("g", 64),
		"../" + valid[3:],
		valid[:62] + "/a",
		valid[:63] + "\x00",
		" " + valid[1:],
	}
	for _, key := range keys {
		c := Open(t.TempDir())
		e, err := c.Get(key)
		var d *DamagedError
		if e != nil || err == nil || errors.Is(err, ErrMiss) || errors.As(err, &d) {
			t.Errorf("Get(%q) = %v, %v; want an invalid-key error", key, e, err)
		}
		dir := build(t, c, outputs{"a": "b"})
		if e, err := c.Publish(key, dir, nil); e != nil || err == nil {
			t.Errorf("Publish(%q) = %v, %v; want an error", key, e, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Publish(%q) left its build folder (%v)", key, err)
		}
		if dirs := entryDirs(t, c); len(dirs) > 0 {
			t.Errorf("Publish(%q) made entries %v", key, dirs)
		}
		if err := c.RecordFailure(key, "boom"); err == nil {
			t.Errorf("RecordFailure(%q) = nil, want an error", key)
		}
		if _, ok := c.Failure(key); ok {
			t.Errorf("Failure(%q) found a record", key)
		}
	}
	if _, err := Open(t.TempDir()).Get(strings.Repeat("0", 64)); !errors.Is(err, ErrMiss) {
		t.Errorf("Get(64 zeros) = %v, want ErrMiss: it is a valid key", err)
	}
}

func TestPublishRefusesAnythingButFilesAndFolders(t *testing.T) {
	c := Open(t.TempDir())
	dir := build(t, c, outputs{"a": "b"})
	must(t, os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "link")))
	if e, err := c.Publish(Key("link"), dir, nil); e != nil || err == nil {
		t.Errorf("Publish(a build with a symbolic link) = %v, %v; want an error", e, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Publish left its build folder (%v)", err)
	}
	if _, err := c.Get(Key("link")); !errors.Is(err, ErrMiss) {
		t.Errorf("Get after a refused Publish = %v, want ErrMiss", err)
	}
}

func TestPublishRefusesMetadataThatIsNotJSON(t *testing.T) {
	c := Open(t.TempDir())
	dir := build(t, c, outputs{"a": "b"})
	if _, err := c.Publish(Key("meta"), dir, map[string]any{"f": func() {}}); err == nil {
		t.Errorf("Publish(meta with a func) = nil error")
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Publish left its build folder (%v)", err)
	}
}

func TestTempDirsAreDistinct(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "new"))
	a, err := c.TempDir()
	must(t, err)
	b, err := c.TempDir()
	must(t, err)
	if a == b || filepath.Dir(a) != filepath.Join(c.Dir(), tmpDir) || filepath.Dir(b) != filepath.Dir(a) {
		t.Errorf("TempDir() = %s, %s; want two folders in %s", a, b, filepath.Join(c.Dir(), tmpDir))
	}
}

func TestFailureRecords(t *testing.T) {
	c := Open(t.TempDir())
	key := Key("failing trial")
	if _, ok := c.Failure(key); ok {
		t.Fatal("Failure before any record = found")
	}
	must(t, c.RecordFailure(key, map[string]string{"error": "diverged at step 3"}))
	b, ok := c.Failure(key)
	if !ok || !bytes.Contains(b, []byte("diverged at step 3")) {
		t.Errorf("Failure = %s, %v; want the record", b, ok)
	}
	must(t, c.RecordFailure(key, map[string]string{"error": "second"}))
	if b, _ := c.Failure(key); !bytes.Contains(b, []byte("second")) || bytes.Contains(b, []byte("diverged")) {
		t.Errorf("Failure after a second record = %s, want only the second", b)
	}
	c.ClearFailure(key)
	if _, ok := c.Failure(key); ok {
		t.Error("Failure after ClearFailure = found")
	}
	entries, err := os.ReadDir(filepath.Join(c.Dir(), failuresDir))
	must(t, err)
	if len(entries) != 0 {
		t.Errorf("failures folder holds %v after ClearFailure, want nothing", entries)
	}
	if _, err := c.Get(key); !errors.Is(err, ErrMiss) {
		t.Errorf("Get(key with a failure record) = %v, want ErrMiss", err)
	}
}

// TestKeepFailedReplacesOlderOutputsInOneStep: a stage that fails again
// keeps its newer outputs in place of the older ones without a moment in
// which neither is there, so a process killed meanwhile never leaves a
// failure record whose kept outputs (a diverged training's history) are
// gone. Before, the older outputs were deleted first.
func TestKeepFailedReplacesOlderOutputsInOneStep(t *testing.T) {
	c := Open(t.TempDir())
	defer c.Close()
	k := Key("diverged twice")
	keep := func(history string) string {
		t.Helper()
		dir, err := c.KeepFailed(k, build(t, c, outputs{"history.parquet": history}))
		if err != nil {
			t.Fatalf("KeepFailed = %v", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "history.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := keep("first"); got != "first" {
		t.Fatalf("kept %q, want first", got)
	}
	var between []string
	c.keptSwapped = func() {
		dir, _ := c.FailedDir(k)
		b, err := os.ReadFile(filepath.Join(dir, "history.parquet"))
		if err != nil {
			between = append(between, err.Error())
			return
		}
		between = append(between, string(b))
	}
	if got := keep("second"); got != "second" {
		t.Errorf("kept %q, want second", got)
	}
	if !reflect.DeepEqual(between, []string{"second"}) {
		t.Errorf("before the older outputs were deleted, the kept history read %q; want [second]", between)
	}
	tmp, _ := os.ReadDir(filepath.Join(c.Dir(), tmpDir))
	for _, e := range tmp {
		if strings.HasPrefix(e.Name(), buildPrefix) {
			t.Errorf("the older outputs were left in %s", e.Name())
		}
	}
}
