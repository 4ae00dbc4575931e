package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyResultsOrCacheNeverPassForSuccess drives the built binary
// against real read-only file systems: results that cannot be written are
// refused before any stage runs, and a sweep whose trials cannot write to
// the cache says so once and exits 1, its sweep.json listing no trial.
func TestReadOnlyResultsOrCacheNeverPassForSuccess(t *testing.T) {
	t.Parallel()
	binary(t)
	cases := []struct {
		name    string
		args    []string
		roCache bool     // the cache, rather than the results, is read-only
		lines   []string // patterns of stderr's lines
		stdout  string   // pattern of stdout; "" for nothing
	}{
		{"run, results read-only", []string{"run", bookConfig}, false,
			[]string{`^nnpipe: \.\./\.\./configs/book-ch7\.yaml: results: .*read-only file system$`}, ""},
		{"run --json, results read-only", []string{"run", bookConfig, "--json"}, false,
			[]string{`read-only file system$`}, ""},
		{"sweep, results read-only", []string{"sweep", smallSweep}, false,
			[]string{`^nnpipe: testdata/sweep/small\.yaml: results: .*read-only file system$`}, ""},
		{"sweep, cache read-only", []string{"sweep", smallSweep}, true,
			[]string{`^nnpipe: trial [0-9a-f]{12} \(.*\) and 5 other trials did not run: stage "data": cache: .*read-only file system$`,
				`^nnpipe: testdata/sweep/small\.yaml: 6 of 6 trials did not run$`}, `6 trials: 0 ok, 0 failed, 6 not finished`},
		{"sweep --json, cache read-only", []string{"sweep", smallSweep, "--json"}, true,
			[]string{`and 5 other trials did not run: .*read-only file system$`, `6 of 6 trials did not run$`}, `"trials": \[\]`},
		{"shard, cache read-only", []string{"sweep", smallSweep, "--shard", "0/2"}, true,
			[]string{`and 2 other trials did not run: .*read-only file system$`, `^nnpipe: shard 0/2: 3 of 3 trials did not run$`}, `0 failed, 3 did not run`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ro := mountTmpfs(t, "64k", syscall.MS_RDONLY)
			results, cacheDir := ro, filepath.Join(t.TempDir(), "cache")
			if c.roCache {
				results, cacheDir = t.TempDir(), ro
			}
			args := append(c.args, "--results", results, "--cache", cacheDir, "--set", "train.steps=20")
			p := startNNPipe(t, args...)
			code := p.wait()
			if code != exitFailure {
				t.Errorf("exit %d, want %d\n%s", code, exitFailure, p.stderr.String())
			}
			lines := stderrLines(p.stderr.String())
			if len(lines) != len(c.lines) {
				t.Fatalf("stderr = %q, want %d lines", p.stderr.String(), len(c.lines))
			}
			for i, pattern := range c.lines {
				if !regexp.MustCompile(pattern).MatchString(lines[i]) {
					t.Errorf("stderr line %d = %q, want it to match %s", i+1, lines[i], pattern)
				}
			}
			if c.stdout == "" && p.stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing", p.stdout.String())
			} else if c.stdout != "" && !regexp.MustCompile(c.stdout).MatchString(p.stdout.String()) {
				t.Errorf("stdout = %q, want it to match %s", p.stdout.String(), c.stdout)
			}
			if !c.roCache {
				// Refused before any work: not even the cache was made.
				if _, err := os.Stat(cacheDir); !os.IsNotExist(err) {
					t.Errorf("the cache exists (%v): stages ran although the results could not be written", err)
				}
				return
			}
			if m := regexp.MustCompile(`sweep directory: (.*)\n`).FindStringSubmatch(p.stdout.String()); m != nil {
				if ms := sweepManifestAt(t, m[1]); len(ms.Trials) != 0 || ms.Pending != 6 {
					t.Errorf("sweep.json: %d trials, %d pending; want none and 6", len(ms.Trials), ms.Pending)
				}
			}
			if strings.Contains(c.name, "shard") {
				if left := listTree(t, results); len(left) > 0 {
					t.Errorf("a shard wrote %v to the results, want nothing", left)
				}
			}
		})
	}
}
