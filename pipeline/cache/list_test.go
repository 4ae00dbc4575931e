package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// publishFile publishes an entry for preimage holding one file.
func publishFile(t *testing.T, c *Cache, preimage, content string, meta any) string {
	t.Helper()
	dir, err := c.TempDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out.txt"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	key := Key(preimage)
	if _, err := c.Publish(key, dir, meta); err != nil {
		t.Fatal(err)
	}
	return key
}

// snapshot returns every path under dir with its size and mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fmt.Sprint(info.Mode(), info.ModTime(), info.Size())
		return nil
	})
	return out
}

func TestListOfACacheThatDoesNotExistIsEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-cache")
	got, err := Open(dir).List()
	if err != nil || len(got) != 0 {
		t.Fatalf("List() = %v, %v, want nothing and no error", got, err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("List() created %s", dir)
	}
}

func TestListReturnsEveryEntrySortedByKeyWithItsMetadata(t *testing.T) {
	c := Open(t.TempDir())
	var keys []string
	for i, pre := range []string{"a", "b", "c", "d"} {
		keys = append(keys, publishFile(t, c, pre, pre, map[string]int{"n": i}))
	}
	if err := c.RecordFailure(Key("failed"), map[string]string{"error": "boom"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TempDir(); err != nil { // an abandoned build
		t.Fatal(err)
	}
	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var gotKeys []string
	for _, l := range got {
		gotKeys = append(gotKeys, l.Key)
		if l.Err != nil || l.Entry == nil {
			t.Errorf("List() entry %s: err %v, want a parsed entry", l.Key[:12], l.Err)
			continue
		}
		if l.Dir != c.Path(l.Key) {
			t.Errorf("List() entry %s: Dir = %s, want %s", l.Key[:12], l.Dir, c.Path(l.Key))
		}
		var meta struct{ N *int }
		if err := json.Unmarshal(l.Entry.Meta, &meta); err != nil || meta.N == nil {
			t.Errorf("List() entry %s: meta %s does not decode: %v", l.Key[:12], l.Entry.Meta, err)
		}
	}
	if !slices.Equal(gotKeys, keys) {
		t.Errorf("List() keys = %v, want %v", gotKeys, keys)
	}
}

func TestListDoesNotVerifyFilesButReportsABadEntryJSON(t *testing.T) {
	c := Open(t.TempDir())
	damaged := publishFile(t, c, "damaged", "content", nil)
	garbage := publishFile(t, c, "garbage", "content", nil)
	foreign := publishFile(t, c, "foreign", "content", nil)
	// A flipped output file: Get refuses it, List still describes it.
	if err := os.WriteFile(filepath.Join(c.Path(damaged), "out.txt"), []byte("CONTENT"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Path(garbage), EntryFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An entry.json copied from another entry names the wrong key.
	src, err := os.ReadFile(filepath.Join(c.Path(damaged), EntryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Path(foreign), EntryFile), src, 0o644); err != nil {
		t.Fatal(err)
	}
	// Folders that are not entries are skipped.
	for _, d := range []string{filepath.Join("v1", "zz"), filepath.Join("v1", damaged[:2], "not-a-key"), filepath.Join("v1", "ab", damaged)} {
		if err := os.MkdirAll(filepath.Join(c.Dir(), d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Get(damaged); err == nil {
		t.Fatal("Get of an altered entry succeeded; the test needs it damaged")
	}
	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("List() returned %d entries, want 3: %+v", len(got), got)
	}
	for _, l := range got {
		switch l.Key {
		case damaged:
			if l.Err != nil || l.Entry == nil || l.Entry.Key != damaged {
				t.Errorf("List() of an entry with an altered file: err %v, want it listed unverified", l.Err)
			}
		case garbage, foreign:
			if l.Err == nil || l.Entry != nil {
				t.Errorf("List() of an entry with a bad entry.json (%s): entry %v, err nil, want an error", l.Key[:12], l.Entry)
			}
		default:
			t.Errorf("List() returned unexpected key %s", l.Key)
		}
	}
}

func TestListNeverWrites(t *testing.T) {
	c := Open(t.TempDir())
	publishFile(t, c, "a", "a", nil)
	publishFile(t, c, "b", "b", nil)
	before := snapshot(t, c.Dir())
	if _, err := c.List(); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, c.Dir())
	if len(before) != len(after) {
		t.Fatalf("List() changed the cache tree: %d paths before, %d after", len(before), len(after))
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("List() changed %s: %s, then %s", p, b, after[p])
		}
	}
}

func TestCheckLayoutRefusesACacheWhoseFoldersAreFiles(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string // made as files under the cache folder; "" is the folder itself
		dirs  []string
		want  string // "" for no error
	}{
		{"no cache yet", nil, nil, ""},
		{"an empty cache", nil, []string{""}, ""},
		{"a used cache", []string{"lock"}, []string{"v1/ab", "tmp", "leases", "failures", "quarantine"}, ""},
		{"the cache a file", []string{""}, nil, "not a directory"},
		{"v1 a file", []string{"v1"}, nil, "v1 is not a directory"},
		{"failures a file", []string{"failures"}, []string{"v1"}, "failures is not a directory"},
		{"tmp a file: writes say so themselves", []string{"tmp"}, []string{"v1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			for _, d := range c.dirs {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range c.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := CheckLayout(dir)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("CheckLayout = %v, want %q", err, c.want)
			}
		})
	}
}

func TestCheckFolderRefusesWhatIsNoCache(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(root, "foreign")
	if err := os.MkdirAll(filepath.Join(foreign, "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	used := filepath.Join(root, "used")
	for _, d := range []string{"v1", "tmp", "leases", "failures", "quarantine"} {
		if err := os.MkdirAll(filepath.Join(used, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		dir     string
		missing bool
		want    string // "" for no error
	}{
		{filepath.Join(root, "missing"), true, "does not exist"},
		{file, false, "is not a directory"},
		{foreign, false, `holds "notes.txt", which nnpipe does not make`},
		{used, false, ""},
	} {
		err := CheckFolder(c.dir)
		var nc *NotCacheError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckFolder(%s) = %v, want nil", c.dir, err)
		case c.want != "" && (!errors.As(err, &nc) || nc.Missing != c.missing || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckFolder(%s) = %v, want a NotCacheError saying %q (missing %v)", c.dir, err, c.want, c.missing)
		}
	}
}

func TestACacheFolderThatCannotBeIsNoCache(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir, want string
	}{
		{"a file", file, "is not a directory"},
		{"a folder below a file", filepath.Join(file, "cache"), "cannot be a folder: " + file + " is not a directory"},
		{"a folder two below a file", filepath.Join(file, "a", "cache"), "cannot be a folder: " + file + " is not a directory"},
	}
	for _, c := range cases {
		for _, check := range []struct {
			name string
			f    func(string) error
		}{{"CheckLayout", CheckLayout}, {"CheckFolder", CheckFolder}, {"CheckUse", CheckUse}} {
			t.Run(c.name+", "+check.name, func(t *testing.T) {
				err := check.f(c.dir)
				var nc *NotCacheError
				if !errors.As(err, &nc) || nc.Missing || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s(%s) = %v, want a NotCacheError saying %q", check.name, c.dir, err, c.want)
				}
			})
		}
	}
}
