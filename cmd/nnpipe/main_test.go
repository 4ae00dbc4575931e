package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	goldenfile "github.com/nnpipe/nnpipe/pipeline/golden"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/results"
)

// The JSON that run, sweep and a shard print, by short names.
type (
	runJSON        = results.RunJSON
	sweepJSON      = results.SweepJSON
	sweepTrialJSON = results.SweepTrialJSON
	shardJSON      = results.ShardJSON
)

const statusNotRun = results.StatusNotRun

var formatBytes = results.FormatBytes

// nnpipe runs Main with args and returns what it printed and its status.
func nnpipe(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// runJSONOf runs `run --json` and decodes its output.
func runJSONOf(t *testing.T, args ...string) runJSON {
	t.Helper()
	out, errOut, code := nnpipe(t, append([]string{"run", "--json", "--quiet"}, args...)...)
	if code != 0 {
		t.Fatalf("nnpipe run %v: exit %d, stderr:\n%s", args, code, errOut)
	}
	var r runJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("nnpipe run --json printed invalid JSON: %v\n%s", err, out)
	}
	return r
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listTree returns every path under dir, relative, or nil if dir does not exist.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && path != dir {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// golden compares got with the golden file at path, or rewrites the file
// when the tests run with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	goldenfile.CheckString(t, path, got)
}

func TestBadInputIsRefusedWithOneLinePerProblemAndNothingWritten(t *testing.T) {
	cases := []struct {
		name string
		args []string // after "run"; the config defaults to testdata/bad/<name>.yaml
	}{
		{name: "unknown-top-key"},
		{name: "unknown-stage-key"},
		{name: "unknown-with-key-hiden"},
		{name: "unknown-with-key-learning-rte"},
		{name: "wrong-type-word"},
		{name: "wrong-type-quoted-number"},
		{name: "wrong-type-fraction"},
		{name: "wrong-type-negative-seed"},
		{name: "duplicate-key"},
		{name: "duplicate-key-case"},
		{name: "duplicate-key-and-range"},
		{name: "dotted-key"},
		{name: "dotted-key-in-with"},
		{name: "range-hidden"},
		{name: "range-learning-rate"},
		{name: "range-epsilon"},
		{name: "range-steps"},
		{name: "range-train-ratio"},
		{name: "range-not-finite"},
		{name: "delimiter-nul"},
		{name: "unknown-kind"},
		{name: "duplicate-stage-id"},
		{name: "unprovided-input"},
		{name: "wiring-second-dataset"},
		{name: "wiring-wrong-type"},
		{name: "wiring-explicit-other-split"},
		{name: "wiring-model-other-data"},
		{name: "yaml-tag"},
		{name: "inputs-null"},
		{name: "set-tagged-value", args: []string{"testdata/ok.yaml", "--set", "train.hidden=!custom 5"}},
		{name: "malformed-yaml"},
		{name: "unknown-anchor"},
		{name: "empty-key"},
		{name: "many-problems"},
		{name: "missing-file", args: []string{"testdata/bad/no-such-file.yaml"}},
		{name: "directory", args: []string{"testdata/bad"}},
		{name: "set-out-of-range", args: []string{"testdata/ok.yaml", "--set", "train.hidden=0"}},
		{name: "set-unknown-stage", args: []string{"testdata/ok.yaml", "--set", "trian.hidden=3"}},
		{name: "set-unknown-key", args: []string{"testdata/ok.yaml", "--set", "train.hiden=3"}},
		{name: "set-malformed", args: []string{"testdata/ok.yaml", "--set", "train.hidden"}},
		{name: "set-beneath-a-value", args: []string{"testdata/ok.yaml", "--set", "train.hidden.x=2", "--set", "data.with.n=5", "--set", "train.inputs.dataset=split.split"}},
		{name: "no-config", args: []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			results := t.TempDir()
			args := c.args
			if args == nil {
				args = []string{filepath.Join("testdata", "bad", c.name+".yaml")}
			}
			_, stderr, code := nnpipe(t, append(append([]string{"run"}, args...), "--results", results)...)
			if code != exitInvalid {
				t.Errorf("exit status = %d, want %d; stderr:\n%s", code, exitInvalid, stderr)
			}
			for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				if !strings.HasPrefix(line, "nnpipe: ") {
					t.Errorf("stderr line %q does not start with \"nnpipe: \"", line)
				}
			}
			if left := listTree(t, results); len(left) > 0 {
				t.Errorf("results folder holds %v after a refused run, want nothing", left)
			}
			golden(t, filepath.Join("testdata", "bad", c.name+".golden"), stderr)
		})
	}
}

func TestValidateReportsEveryProblemOfEveryFile(t *testing.T) {
	stdout, stderr, code := nnpipe(t, "validate", "testdata/ok.yaml", "testdata/bad/many-problems.yaml", "testdata/bad/range-steps.yaml")
	if code != exitInvalid {
		t.Fatalf("exit status = %d, want %d", code, exitInvalid)
	}
	if stdout != "testdata/ok.yaml: ok\n" {
		t.Errorf("stdout = %q, want the ok file listed", stdout)
	}
	golden(t, filepath.Join("testdata", "validate.golden"), stderr)
	if n := strings.Count(stderr, "\n"); n < 5 {
		t.Errorf("validate printed %d problems, want every one of the 4 in many-problems.yaml and 1 in range-steps.yaml:\n%s", n, stderr)
	}
}

func TestShippedConfigsAreValid(t *testing.T) {
	var paths []string
	filepath.WalkDir(filepath.Join("..", "..", "configs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".yaml") && !strings.Contains(path, string(filepath.Separator)+"cluster"+string(filepath.Separator)) {
			paths = append(paths, path)
		}
		return nil
	})
	if len(paths) == 0 {
		t.Fatal("found no configs")
	}
	for _, p := range paths {
		if out, stderr, code := nnpipe(t, "validate", p); code != 0 {
			t.Errorf("nnpipe validate %s: exit %d\n%s%s", p, code, out, stderr)
		}
		// A run's config.yaml, the effective config with every default
		// written out, runs as it is: it validates too, for the run and
		// for each trial of a sweep.
		file, chain, err := pipeline.Load(p, nil, stages.Builtin())
		if err != nil {
			t.Fatal(err)
		}
		chains := []*pipeline.Chain{chain}
		if len(file.Sweep) > 0 {
			trials, err := pipeline.Expand(context.Background(), file, stages.Builtin())
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range trials {
				chains = append(chains, tr.Chain)
			}
		}
		for i, c := range chains {
			eff, err := c.EffectiveYAML()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, eff, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, stderr, code := nnpipe(t, "validate", path); code != 0 {
				t.Errorf("the effective config of %s (chain %d) does not validate: exit %d\n%s%s\n%s", p, i, code, out, stderr, eff)
			}
		}
	}
}

// oneLineError checks that a failure printed one clear line and nothing
// else: no warning about damage that is not there.
func oneLineError(t *testing.T, stderr string, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "nnpipe: ") {
		t.Errorf("stderr = %q, want one line starting with \"nnpipe: \"", stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[len(lines)-1], w) {
			t.Errorf("error %q does not say %q", lines[len(lines)-1], w)
		}
	}
}
