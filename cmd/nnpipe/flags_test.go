package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

func TestRunAndSweepRefuseOutResultsAndCacheThatOverlap(t *testing.T) {
	const defaultCache = "(default cache)"
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// Each case gets a folder with a finished run (results/book-ch7/<id>)
	// and its cache (cache/), and returns the flags to try; they follow
	// --results and --cache naming those, except that a case whose flags
	// start with defaultCache gives no --cache at all.
	type places struct{ root, results, cache, runDir, sweepDir, entry string }
	cases := []struct {
		name  string
		flags func(t *testing.T, p places) []string
		want  string
	}{
		{"--out inside a cache entry", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.entry, "myrun")}
		}, "inside the cache"},
		{"--out the cache itself", func(t *testing.T, p places) []string {
			return []string{"--out", p.cache}
		}, "inside the cache"},
		{"--out a new folder in the cache", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.cache, "runs", "mine")}
		}, "inside the cache"},
		{"--out in the cache through a symbolic link", func(t *testing.T, p places) []string {
			link := filepath.Join(p.root, "link")
			if err := os.Symlink(p.cache, link); err != nil {
				t.Fatal(err)
			}
			return []string{"--out", filepath.Join(link, "mine")}
		}, "inside the cache"},
		{"--out in the cache by a relative path", func(t *testing.T, p places) []string {
			rel, err := filepath.Rel(wd, filepath.Join(p.cache, "mine"))
			if err != nil {
				t.Fatal(err)
			}
			return []string{"--out", rel}
		}, "inside the cache"},
		{"--out inside a cache other than the run's", func(t *testing.T, p places) []string {
			return []string{"--cache", filepath.Join(p.root, "other"), "--out", filepath.Join(p.cache, "mine")}
		}, "inside the cache"},
		{"--out inside a cache entry of a cache other than the run's", func(t *testing.T, p places) []string {
			return []string{"--cache", filepath.Join(p.root, "other"), "--out", filepath.Join(p.entry, "mine")}
		}, "inside the cache"},
		{"--out where the default cache of --results lives", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.results, ".cache")}
		}, "default cache"},
		{"--cache inside --out", func(t *testing.T, p places) []string {
			out := filepath.Join(p.root, "new")
			return []string{"--out", out, "--cache", filepath.Join(out, "cache")}
		}, "holds the cache"},
		{"--out that will hold the default cache", func(t *testing.T, p places) []string {
			out := filepath.Join(p.root, "new")
			return []string{defaultCache, "--out", out, "--results", out}
		}, "holds the cache"},
		{"--out an existing run directory", func(t *testing.T, p places) []string {
			return []string{"--out", p.runDir}
		}, "not empty"},
		{"--out inside an existing run directory", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.runDir, "plots", "again")}
		}, "inside the run or sweep directory"},
		{"--out inside a sweep directory", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.sweepDir, "mine")}
		}, "inside the run or sweep directory"},
		{"--out a file", func(t *testing.T, p places) []string {
			return []string{"--out", filepath.Join(p.runDir, "config.yaml")}
		}, "inside the run or sweep directory"},
		{"--out a file elsewhere", func(t *testing.T, p places) []string {
			f := filepath.Join(p.root, "notes.txt")
			if err := os.WriteFile(f, []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"--out", f}
		}, "not a directory"},
		{"--results inside the cache", func(t *testing.T, p places) []string {
			return []string{"--results", filepath.Join(p.cache, "tmp")}
		}, "inside the cache"},
		{"--results inside a cache other than the run's", func(t *testing.T, p places) []string {
			return []string{"--cache", filepath.Join(p.root, "other"), "--results", filepath.Join(p.cache, "results")}
		}, "inside the cache"},
		{"--results inside another cache, with the default cache", func(t *testing.T, p places) []string {
			return []string{defaultCache, "--results", filepath.Join(p.cache, "results")}
		}, "inside the cache"},
		{"--results the cache", func(t *testing.T, p places) []string {
			return []string{"--results", p.cache}
		}, "same folder"},
	}
	// One finished run and its cache, copied for each case: a run costs
	// a hundred times the copy.
	template := t.TempDir()
	run := cachedRun(t, filepath.Join(template, "results"), filepath.Join(template, "cache"))
	runDir, err := filepath.Rel(template, run.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	// setup also runs the case in parallel with the others.
	setup := func(t *testing.T) places {
		t.Parallel()
		root := t.TempDir()
		if err := os.CopyFS(root, os.DirFS(template)); err != nil {
			t.Fatal(err)
		}
		p := places{root: root, results: filepath.Join(root, "results"), cache: filepath.Join(root, "cache")}
		p.runDir = filepath.Join(root, runDir)
		p.entry = cache.Open(p.cache).Path(run.Stages[2].Key)
		p.sweepDir = filepath.Join(p.results, "small-sweep", "sweep-12345678")
		if err := os.MkdirAll(p.sweepDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.sweepDir, "sweep.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range cases {
		for _, cmd := range []string{"run", "sweep"} {
			t.Run(cmd+"/"+c.name, func(t *testing.T) {
				p := setup(t)
				flags := []string{"--results", p.results, "--cache", p.cache}
				if more := c.flags(t, p); len(more) > 0 && more[0] == defaultCache {
					flags = append(flags[:2], more[1:]...)
				} else {
					flags = append(flags, more...)
				}
				config := bookConfig
				if cmd == "sweep" {
					config = smallSweep
				}
				before := snapshotTree(t, p.root)
				stdout, stderr, code := nnpipe(t, append([]string{cmd, config, "--quiet", "--set", "train.steps=10"}, flags...)...)
				refusedWith(t, code, stderr, c.want)
				if stdout != "" {
					t.Errorf("stdout = %q, want nothing", stdout)
				}
				if after := snapshotTree(t, p.root); !reflect.DeepEqual(before, after) {
					for path, d := range after {
						if before[path] != d {
							t.Errorf("the refused %s wrote %s", cmd, path)
						}
					}
					for path := range before {
						if _, ok := after[path]; !ok {
							t.Errorf("the refused %s removed %s", cmd, path)
						}
					}
				}
			})
		}
	}
}

func TestRunAcceptsTheNestingsThatDoNoHarm(t *testing.T) {
	cases := []struct {
		name  string
		flags func(root string) []string
	}{
		{"the default cache in --results", func(root string) []string {
			return []string{"--results", filepath.Join(root, "results")}
		}},
		{"a cache in a dot folder of --results", func(root string) []string {
			return []string{"--results", filepath.Join(root, "results"), "--cache", filepath.Join(root, "results", ".mine")}
		}},
		{"a cache in a plain folder of --results", func(root string) []string {
			return []string{"--results", filepath.Join(root, "shared"), "--cache", filepath.Join(root, "shared", "cache")}
		}},
		{"--out a new folder in --results", func(root string) []string {
			return []string{"--results", filepath.Join(root, "results"), "--out", filepath.Join(root, "results", "mine")}
		}},
		{"--out an empty folder", func(root string) []string {
			out := filepath.Join(root, "empty")
			os.Mkdir(out, 0o755)
			return []string{"--results", filepath.Join(root, "results"), "--out", out}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			_, stderr, code := nnpipe(t, append([]string{"run", bookConfig, "--quiet", "--set", "train.steps=10"}, c.flags(root)...)...)
			if code != 0 {
				t.Errorf("exit %d, want 0\n%s", code, stderr)
			}
		})
	}
}

// TestADefaultCacheUnderResultsWithAColonIsAFolder: a --results folder named like
// "res-12:30" is a folder, and so is the default cache under it, which the user never gave
// as a location: it must not be refused as a URL.
func TestADefaultCacheUnderResultsWithAColonIsAFolder(t *testing.T) {
	config, err := filepath.Abs(bookConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"run", config, "--quiet", "--set", "train.steps=10", "--results", "res-12:30"},
		{"cache", "verify", "--results", "res-12:30"},
		{"cache", "du", "--results", "res-12:30"},
	} {
		if _, stderr, code := nnpipe(t, args...); code != 0 {
			t.Errorf("%v: exit %d, want 0\n%s", args, code, stderr)
		}
	}
	if fi, err := os.Stat(filepath.Join("res-12:30", ".cache")); err != nil || !fi.IsDir() {
		t.Errorf("the default cache res-12:30/.cache is not there: %v", err)
	}
}

// TestCacheLocationsThatAreNotFoldersOrS3AreRefused gives every command
// that takes a cache a location that looks like a URL it does not support,
// or an S3 location it cannot use: each is invalid input, one line, and
// nothing is written — before, "s3://bucket/x" made a folder named "s3:".
func TestCacheLocationsThatAreNotFoldersOrS3AreRefused(t *testing.T) {
	run, err := filepath.Abs("../../configs/book-ch7.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sweep, err := filepath.Abs(smallSweep)
	if err != nil {
		t.Fatal(err)
	}
	commands := [][]string{{"run", run}, {"sweep", sweep}, {"sweep", "--collect", sweep}, {"sweep", "--shard", "0/2", sweep},
		{"plan", run}, {"cache", "verify"}, {"cache", "du"}, {"cache", "gc"}}
	cases := []struct {
		name, cache, env, want string
	}{
		{"s3 without slashes", "s3:bucket/x", "", `--cache "s3:bucket/x": expected s3://BUCKET`},
		{"another scheme", "gs://bucket/x", "", "gs:// is not supported"},
		{"a scheme in NNPIPE_CACHE", "", "https://host/bucket", `NNPIPE_CACHE "https://host/bucket": https:// is not supported`},
		{"a bad bucket name", "s3://My_Bucket/x", "", "lower-case letters"},
		{"no credentials", "s3://bucket/x", "", "no credentials: set AWS_ACCESS_KEY_ID"},
		// Not the bucket's root, nor the prefix "a": quoted as typed.
		{"two slashes after the bucket", "s3://nnpipe//", "", `--cache "s3://nnpipe//": prefix "/" has an empty, "." or ".." part`},
		{"two slashes after the prefix in NNPIPE_CACHE", "", "s3://nnpipe/a//", `NNPIPE_CACHE "s3://nnpipe/a//": prefix "a//" has an empty, "." or ".." part`},
	}
	for _, c := range cases {
		for _, cmd := range commands {
			t.Run(c.name+"/"+strings.Join(cmd[:len(cmd)-1], " "), func(t *testing.T) {
				dir := t.TempDir()
				t.Chdir(dir)
				t.Setenv("NNPIPE_CACHE", c.env)
				t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "xdg"))
				t.Setenv("AWS_ACCESS_KEY_ID", "")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "")
				t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
				args := append([]string{}, cmd...)
				if c.cache != "" {
					args = append(args, "--cache", c.cache)
				}
				if cmd[0] == "cache" {
					if err := os.Mkdir("results", 0o755); err != nil {
						t.Fatal(err)
					}
				}
				_, stderr, code := nnpipe(t, args...)
				if code != exitInvalid || len(stderrLines(stderr)) != 1 || !strings.Contains(stderr, c.want) {
					t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, stderr, exitInvalid, c.want)
				}
				if got := listTree(t, dir); len(got) > 1 || (len(got) == 1 && got[0] != "results") {
					t.Errorf("wrote %v", got)
				}
			})
		}
	}
}
