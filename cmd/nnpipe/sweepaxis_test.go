package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepAxesTheTrialsDoNotUseAreRefused runs validate and sweep on grids
// whose axes make no difference to the trials, or give a value twice: each
// is refused, exit 2, one line per axis naming its key and line, and
// nothing is written.
func TestSweepAxesTheTrialsDoNotUseAreRefused(t *testing.T) {
	for _, name := range []string{"axis-set-prefix", "axis-unused", "axis-same-value", "axis-same-file", "axis-init-std-zero"} {
		for _, cmd := range []string{"validate", "sweep"} {
			t.Run(name+"/"+cmd, func(t *testing.T) {
				cfg := filepath.Join("testdata", "sweep", name+".yaml")
				results := filepath.Join(t.TempDir(), "results")
				args := []string{cmd, cfg}
				if cmd == "sweep" {
					args = append(args, "--results", results)
				}
				stdout, stderr, code := nnpipe(t, args...)
				if code != exitInvalid || stdout != "" {
					t.Errorf("nnpipe %s %s: exit %d, stdout %q; want %d and nothing", cmd, cfg, code, stdout, exitInvalid)
				}
				golden(t, filepath.Join("testdata", "sweep", name+".golden"), stderr)
				if left := listTree(t, results); len(left) > 0 {
					t.Errorf("nnpipe %s wrote %v", cmd, left)
				}
			})
		}
	}
}

// TestAnInitSeedAxisWithZeroWeightsIsKeptWhenMiniBatchesDrawFromIt: with
// init.std 0 the initial weights are all 0, but the mini-batches' order is
// drawn from init.seed, so its values give different trials and validate
// accepts the grid.
func TestAnInitSeedAxisWithZeroWeightsIsKeptWhenMiniBatchesDrawFromIt(t *testing.T) {
	cfg := filepath.Join("testdata", "sweep", "init-std-zero-shuffled.yaml")
	stdout, stderr, code := nnpipe(t, "validate", cfg)
	if code != 0 || !strings.Contains(stdout, "ok (4 sweep trials)") {
		t.Errorf("nnpipe validate %s: exit %d, stdout %q, stderr %q; want 0 and 4 trials", cfg, code, stdout, stderr)
	}
}

// TestSweepsWithTheSameTrialsButAnotherGridGetTheirOwnFolders checks that the
// sweep id names the grid: a sweep whose trials coincide with another's,
// through an axis of one value the config already has, gets its own folder,
// while the same sweep run again keeps its folder.
func TestSweepsWithTheSameTrialsButAnotherGridGetTheirOwnFolders(t *testing.T) {
	results := t.TempDir()
	collect := func(sets ...string) sweepJSON {
		t.Helper()
		args := []string{smallSweep, "--collect", "--results", results}
		for _, s := range sets {
			args = append(args, "--set", s)
		}
		s, code, stderr := sweepJSONOf(t, args...)
		if code != 0 {
			t.Fatalf("sweep --collect %v: exit %d\n%s", sets, code, stderr)
		}
		return s
	}
	plain := collect()
	withSteps := collect("sweep.train.steps=50") // small.yaml's own steps: the same six trials
	again := collect()
	if plain.Pending != 6 || withSteps.Pending != 6 {
		t.Fatalf("pending %d and %d, want the same 6 trials in both", plain.Pending, withSteps.Pending)
	}
	if plain.SweepDir == withSteps.SweepDir || plain.SweepID == withSteps.SweepID {
		t.Errorf("two grids with the same trials share the folder %s (id %s)", plain.SweepDir, plain.SweepID)
	}
	if again.SweepDir != plain.SweepDir {
		t.Errorf("the same sweep run again went to %s, first to %s", again.SweepDir, plain.SweepDir)
	}
	if left := listTree(t, filepath.Join(results, "small-sweep")); len(left) < 2 {
		t.Errorf("results hold %v, want both sweeps' folders", left)
	}
}
