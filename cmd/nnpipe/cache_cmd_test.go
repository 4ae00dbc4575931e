package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// snapshotTree maps every path under dir to its kind, size and content
// digest: what a refused command must leave unchanged.
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		desc := fmt.Sprint(info.Mode(), " ", info.Size())
		if info.Mode().IsRegular() {
			_, sum, _ := cache.DigestFile(path)
			desc += " " + sum
		}
		m[path] = desc
		return nil
	})
	return m
}

// refusedWith checks an exit status of 2 and one line on stderr that
// names each of want.
func refusedWith(t *testing.T, code int, stderr string, want ...string) {
	t.Helper()
	if code != exitInvalid {
		t.Errorf("exit status = %d, want %d; stderr:\n%s", code, exitInvalid, stderr)
	}
	oneLineError(t, stderr, want...)
}

// cachedRun runs the book's config (10 steps) with results and cacheDir
// and returns its --json output.
func cachedRun(t *testing.T, results, cacheDir string, more ...string) runJSON {
	t.Helper()
	return runJSONOf(t, append([]string{bookConfig, "--results", results, "--cache", cacheDir, "--set", "train.steps=10"}, more...)...)
}

func TestCacheCommandsRefuseAFolderThatIsNotACache(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, parent string) string // returns --cache
	}{
		{"a cache that does not exist", func(t *testing.T, parent string) string {
			return filepath.Join(parent, "nonexistent")
		}},
		{"a cache that is a file", func(t *testing.T, parent string) string {
			path := filepath.Join(parent, "file")
			if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{"a folder that is not a cache", func(t *testing.T, parent string) string {
			// Someone's folder with tmp/ and failures/ folders of its own:
			// gc must not clean them.
			dir := filepath.Join(parent, "home")
			for _, p := range []string{"tmp/build-notes", "failures", "documents"} {
				if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []string{"tmp/build-notes/a.txt", "failures/" + cache.Key("x") + ".json", "documents/b.txt"} {
				if err := os.WriteFile(filepath.Join(dir, p), []byte("mine"), 0o644); err != nil {
					t.Fatal(err)
				}
				old := time.Now().Add(-48 * time.Hour)
				os.Chtimes(filepath.Join(dir, p), old, old)
			}
			return dir
		}},
	}
	for _, c := range cases {
		for _, cmd := range [][]string{{"verify"}, {"du"}, {"gc", "--keep-recent", "0s"}, {"gc", "--dry-run"}} {
			t.Run(c.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				parent := t.TempDir()
				results := filepath.Join(parent, "results")
				if err := os.Mkdir(results, 0o755); err != nil {
					t.Fatal(err)
				}
				cacheDir := c.setup(t, parent)
				before := snapshotTree(t, parent)
				args := append(append([]string{"cache"}, cmd...), "--cache", cacheDir, "--results", results)
				stdout, stderr, code := nnpipe(t, args...)
				refusedWith(t, code, stderr, cacheDir)
				if stdout != "" {
					t.Errorf("a refused command printed %q", stdout)
				}
				if after := snapshotTree(t, parent); !reflect.DeepEqual(before, after) {
					t.Errorf("a refused command changed the files:\nbefore %v\nafter  %v", before, after)
				}
			})
		}
	}
}

func TestCacheGCRefusesAResultsFolderItCannotReadTheRunsOf(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	results, cacheDir := filepath.Join(parent, "results"), filepath.Join(parent, "cache")
	cachedRun(t, results, cacheDir)
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, results, want string }{
		{"results that do not exist", filepath.Join(parent, "typo"), "typo"},
		{"results that are a file", file, file},
		{"results inside the cache", filepath.Join(cacheDir, "v1"), "inside the cache"},
		{"results that are the cache", cacheDir, "inside the cache"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshotTree(t, parent)
			_, stderr, code := nnpipe(t, "cache", "gc", "--results", c.results, "--cache", cacheDir, "--keep-recent", "0s")
			refusedWith(t, code, stderr, c.want)
			if after := snapshotTree(t, parent); !reflect.DeepEqual(before, after) {
				t.Errorf("gc changed the files although it refused")
			}
		})
	}
	// A negative age would make everything old enough to remove.
	before := snapshotTree(t, parent)
	_, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--cache", cacheDir, "--keep-recent", "-1h")
	refusedWith(t, code, stderr, "--keep-recent")
	if after := snapshotTree(t, parent); !reflect.DeepEqual(before, after) {
		t.Errorf("gc --keep-recent -1h changed the files although it refused")
	}
	// With the default cache, the missing runs are what is named.
	_, stderr, code = nnpipe(t, "cache", "gc", "--results", filepath.Join(parent, "typo"))
	refusedWith(t, code, stderr, "--results "+filepath.Join(parent, "typo")+" does not exist")
	// Results reached through a symbolic link still count as references.
	link := filepath.Join(parent, "link")
	if err := os.Symlink(results, link); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := nnpipe(t, "cache", "gc", "--results", link, "--cache", cacheDir, "--keep-recent", "0s")
	if code != 0 || !strings.Contains(out, "removed 0 entries, kept 6") {
		t.Errorf("gc with --results a symbolic link: exit %d, %q%s; want every entry kept", code, out, stderr)
	}
}

// TestARunPutInACacheEntryIsQuarantinedNotDeleted replays what an --out
// inside the cache used to cause: a run directory inside a cache entry,
// which the next run found damaged. The user's files must survive the
// repair and every later gc.
func TestARunPutInACacheEntryIsQuarantinedNotDeleted(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	results, cacheDir := filepath.Join(root, "results"), filepath.Join(root, "cache")
	first := cachedRun(t, results, cacheDir)
	var trainKey string
	for _, s := range first.Stages {
		if s.ID == "train" {
			trainKey = s.Key
		}
	}
	entry := cache.Open(cacheDir).Path(trainKey)
	// As an older nnpipe would have left it (--out inside the cache is
	// refused now): the user's run in the entry.
	mine := filepath.Join(entry, "myrun")
	if err := os.CopyFS(mine, os.DirFS(first.RunDir)); err != nil {
		t.Fatal(err)
	}
	want := snapshotFiles(t, mine)

	stdout, stderr, code := nnpipe(t, "run", bookConfig, "--results", results, "--cache", cacheDir, "--set", "train.steps=10", "--json")
	if code != 0 {
		t.Fatalf("the run after: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "recomputing damaged cache entry: stage=train") {
		t.Errorf("no warning about the damaged train entry; stderr:\n%s", stderr)
	}
	m := regexp.MustCompile(`moved it aside instead of deleting it: stage=train path=(\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the warning does not say where the entry went; stderr:\n%s", stderr)
	}
	quarantined := filepath.Join(m[1], "myrun")
	if got := snapshotFiles(t, quarantined); !reflect.DeepEqual(got, want) {
		t.Errorf("the user's run in quarantine = %v, want %v", got, want)
	}
	if !strings.Contains(stdout, `"cached": false`) {
		t.Errorf("the run after did not recompute train:\n%s", stdout)
	}
	out, _, code := nnpipe(t, "cache", "verify", "--cache", cacheDir)
	if code != 0 || !strings.Contains(out, "1 folder in "+filepath.Join(cacheDir, "quarantine")) {
		t.Errorf("cache verify: exit %d, %q; want 0 and the quarantine named", code, out)
	}
	// gc with no run to keep removes every entry, and not the quarantine.
	empty := filepath.Join(root, "no-runs")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = nnpipe(t, "cache", "gc", "--results", empty, "--cache", cacheDir, "--keep-recent", "0s")
	if code != 0 || !strings.Contains(out, "removed 6 entries") {
		t.Errorf("cache gc: exit %d, %q%s; want 6 entries removed", code, out, stderr)
	}
	if got := snapshotFiles(t, quarantined); !reflect.DeepEqual(got, want) {
		t.Errorf("after gc, the user's run in quarantine = %v, want %v", got, want)
	}
}

func TestCacheGCMovesAnEntryHoldingForeignFilesToQuarantine(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	results, cacheDir := filepath.Join(root, "results"), filepath.Join(root, "cache")
	run := cachedRun(t, results, cacheDir)
	entry := cache.Open(cacheDir).Path(run.Stages[0].Key)
	if err := os.WriteFile(filepath.Join(entry, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(run.RunDir); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--cache", cacheDir, "--keep-recent", "0s", "--dry-run")
	if code != 0 || !strings.Contains(out, "would move "+run.Stages[0].Key[:12]+" to the quarantine folder") {
		t.Errorf("gc --dry-run: exit %d, %q%s", code, out, stderr)
	}
	out, stderr, code = nnpipe(t, "cache", "gc", "--results", results, "--cache", cacheDir, "--keep-recent", "0s")
	if code != 0 || !strings.Contains(out, "removed 5 entries") {
		t.Errorf("gc: exit %d, %q%s; want 5 entries removed and one moved", code, out, stderr)
	}
	m := regexp.MustCompile(`moved \w+ to (\S+) instead of deleting it`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("gc does not say where the entry went: %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(m[1], "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the user's file after gc: %q, %v", b, err)
	}
}

// snapshotFiles maps the relative path of every file under dir to its
// content.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("%s holds no file", dir)
	}
	return m
}

func TestPlanWritesNothingNotEvenALease(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	results, cacheDir := filepath.Join(root, "results"), filepath.Join(root, "cache")
	cachedRun(t, results, cacheDir)
	before := snapshotTree(t, root)
	for _, args := range [][]string{
		{"plan", bookConfig, "--set", "train.steps=10"},
		{"plan", smallSweep},
	} {
		if _, stderr, code := nnpipe(t, append(args, "--results", results, "--cache", cacheDir)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	if after := snapshotTree(t, root); !reflect.DeepEqual(before, after) {
		t.Errorf("plan wrote:\nbefore %v\nafter  %v", before, after)
	}
}
