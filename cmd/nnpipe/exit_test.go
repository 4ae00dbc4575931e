package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInvalidInputExitsTwoWithOneLineWritingNothing covers every command:
// a missing, unknown or extra argument or subcommand, an unknown or
// malformed flag, a flag the mode would ignore, an --out that is taken,
// and a shard that does not parse all exit 2 with one line on stderr,
// nothing on stdout and nothing written.
func TestInvalidInputExitsTwoWithOneLineWritingNothing(t *testing.T) {
	// Placeholders in the cases' arguments.
	const (
		results  = "RESULTS"  // an empty folder, which must stay empty
		nonEmpty = "NONEMPTY" // a folder with one file, which must stay so
		file     = "FILE"     // a file
	)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string // part of the message
	}{
		{"no command", []string{}, nil, "expected a command"},
		{"unknown command", []string{"frob"}, nil, `unknown command "frob"`},
		{"misspelt command", []string{"swep"}, nil, `did you mean "sweep"`},
		{"unknown flag", []string{"--frob"}, nil, "unknown flag: --frob"},
		{"--version with an argument", []string{"--version", "extra"}, nil, "--version takes no arguments, got extra"},
		{"-v with an argument", []string{"-v", "extra"}, nil, "--version takes no arguments, got extra"},
		{"help for an unknown command", []string{"help", "frob"}, nil, `unknown command "frob"`},
		{"help for an unknown subcommand", []string{"help", "cache", "frob"}, nil, `unknown command "cache frob"`},

		{"run without a config", []string{"run", "--results", results}, nil, "expected CONFIG"},
		{"run with two configs", []string{"run", "testdata/ok.yaml", "testdata/ok.yaml", "--results", results}, nil, "got 2 arguments"},
		{"run with an unknown flag", []string{"run", "testdata/ok.yaml", "--frob", "--results", results}, nil, "unknown flag: --frob"},
		{"run with --jobs 0", []string{"run", "testdata/ok.yaml", "--jobs", "0", "--results", results}, nil, "--jobs"},
		{"run with --jobs above its maximum", []string{"run", "testdata/ok.yaml", "--jobs", "1025", "--results", results}, nil, "--jobs: must be between 1 and 1024, got 1025"},
		{"sweep with an absurd --jobs", []string{"sweep", smallSweep, "--jobs", "1000000000", "--results", results}, nil, "--jobs: must be between 1 and 1024, got 1000000000"},
		{"run with --jobs x", []string{"run", "testdata/ok.yaml", "--jobs", "x", "--results", results}, nil, `--jobs: "x" is not an integer`},
		{"run with --jobs 010", []string{"run", "testdata/ok.yaml", "--jobs", "010", "--results", results}, nil, `--jobs: "010" has a leading zero`},
		{"run with --jobs 0x10", []string{"run", "testdata/ok.yaml", "-j", "0x10", "--results", results}, nil, `--jobs: "0x10" is not an integer`},
		{"sweep with --max-trials 0100", []string{"sweep", smallSweep, "--max-trials", "0100", "--results", results}, nil, `--max-trials: "0100" has a leading zero`},
		{"plan with --max-trials 1_000", []string{"plan", smallSweep, "--max-trials", "1_000", "--results", results}, nil, `--max-trials: "1_000" is not a non-negative integer`},
		{"run with --results empty", []string{"run", "testdata/ok.yaml", "--results", ""}, nil, "--results"},
		{"run with --out empty", []string{"run", "testdata/ok.yaml", "--out", "", "--results", results}, nil, "--out: must not be empty"},
		{"run with --out not empty", []string{"run", "testdata/ok.yaml", "--out", nonEmpty, "--results", results}, nil, "not empty"},
		{"run with --out not empty, slash", []string{"run", "testdata/ok.yaml", "--out", nonEmpty + "/", "--results", results}, nil, "not empty"},
		{"run with --out not empty, dot", []string{"run", "testdata/ok.yaml", "--out", nonEmpty + "/.", "--results", results}, nil, "not empty"},
		{"run with --out a file", []string{"run", "testdata/ok.yaml", "--out", file, "--results", results}, nil, "not a directory"},
		{"run with --out the current folder", []string{"run", "testdata/ok.yaml", "--out", ".", "--results", results}, nil, "current folder"},
		{"run with --out named like a run under construction", []string{"run", "testdata/ok.yaml", "--out", filepath.Join(results, "ok", ".tmp-mine"), "--results", results}, nil, "is a run directory under construction"},
		{"sweep with --out named like a run under construction", []string{"sweep", smallSweep, "--out", ".tmp-sweep", "--results", results}, nil, "is a run directory under construction"},
		{"run with a missing config", []string{"run", "testdata/no-such.yaml", "--results", results}, nil, "no such file"},
		{"run with --cache empty", []string{"run", "testdata/ok.yaml", "--cache", "", "--results", results}, nil, "--cache: must not be empty"},
		{"sweep with --cache empty", []string{"sweep", smallSweep, "--cache", "", "--results", results}, nil, "--cache: must not be empty"},
		{"plan with --cache empty", []string{"plan", "testdata/ok.yaml", "--cache", "", "--results", results}, nil, "--cache: must not be empty"},
		{"cache du with --cache empty", []string{"cache", "du", "--cache", "", "--results", results}, nil, "--cache: must not be empty"},
		{"validate with a --set value on two lines", []string{"validate", "testdata/ok.yaml", "--set", "train.hidden=2\n3"}, nil, `--set "train.hidden=2\n3"`},
		{"validate a missing config named on two lines", []string{"validate", "testdata/no\nsuch.yaml"}, nil, `"testdata/no\nsuch.yaml": no such file`},
		{"run with --out on two lines inside the cache", []string{"run", "testdata/ok.yaml", "--cache", "OUT", "--out", "OUT/a\nb", "--results", results}, nil, `--out "`},
		{"run with --set of a sweep axis", []string{"run", "testdata/ok.yaml", "--set", "sweep.train.hidden=1,2", "--results", results}, nil, "--set sweep.train.hidden=1,2: a single run leaves the sweep grid aside"},
		{"run with a malformed --set", []string{"run", "testdata/ok.yaml", "--set", "train.hidden", "--results", results}, nil, "train.hidden"},

		{"run with --cache a folder of other files", []string{"run", "testdata/ok.yaml", "--cache", nonEmpty, "--results", results}, nil, "which nnpipe does not make: it is not a cache folder"},
		{"sweep with --cache a folder of other files", []string{"sweep", smallSweep, "--cache", nonEmpty, "--results", results}, nil, "which nnpipe does not make: it is not a cache folder"},
		{"shard with --cache a folder of other files", []string{"sweep", smallSweep, "--shard", "0/2", "--cache", nonEmpty, "--results", results}, nil, "which nnpipe does not make: it is not a cache folder"},
		{"collect with --cache a folder of other files", []string{"sweep", smallSweep, "--collect", "--cache", nonEmpty, "--results", results}, nil, "which nnpipe does not make: it is not a cache folder"},
		{"plan with --cache a folder of other files", []string{"plan", smallSweep, "--cache", nonEmpty, "--results", results}, nil, "which nnpipe does not make: it is not a cache folder"},
		{"run with --cache a file", []string{"run", "testdata/ok.yaml", "--cache", file, "--results", results}, nil, "file is not a directory"},
		{"sweep with --cache a file", []string{"sweep", smallSweep, "--cache", file, "--results", results}, nil, "file is not a directory"},
		{"shard with --cache a file", []string{"sweep", smallSweep, "--shard", "0/2", "--cache", file, "--results", results}, nil, "file is not a directory"},
		{"collect with --cache a file", []string{"sweep", smallSweep, "--collect", "--cache", file, "--results", results}, nil, "file is not a directory"},
		{"plan with --cache a file", []string{"plan", smallSweep, "--cache", file, "--results", results}, nil, "file is not a directory"},
		{"run with --cache below a file", []string{"run", "testdata/ok.yaml", "--cache", file + "/cache", "--results", results}, nil, "cannot be a folder"},
		{"plan with --cache below a file", []string{"plan", "testdata/ok.yaml", "--cache", file + "/cache", "--results", results}, nil, "cannot be a folder"},
		{"cache verify with --cache below a file", []string{"cache", "verify", "--cache", file + "/cache", "--results", results}, nil, "cannot be a folder"},
		{"cache du with --cache below a file", []string{"cache", "du", "--cache", file + "/cache", "--results", results}, nil, "cannot be a folder"},
		{"cache gc with --cache below a file", []string{"cache", "gc", "--cache", file + "/cache", "--results", results}, nil, "cannot be a folder"},
		{"cache verify with --results a file", []string{"cache", "verify", "--results", file}, nil, "cannot be a folder"},
		{"run with --results a file", []string{"run", "testdata/ok.yaml", "--results", file}, nil, "--results "},
		{"run with --results below a file", []string{"run", "testdata/ok.yaml", "--results", file + "/results"}, nil, "--results "},
		{"sweep with --results a file", []string{"sweep", smallSweep, "--results", file}, nil, "--results "},
		{"plan with --results a file", []string{"plan", "testdata/ok.yaml", "--results", file}, nil, "file is not a directory (see --cache, --results and $NNPIPE_CACHE)"},
		{"run with --out below a file", []string{"run", "testdata/ok.yaml", "--out", file + "/out", "--results", results}, nil, "not a directory"},
		{"sweep with --out below a file", []string{"sweep", smallSweep, "--out", file + "/out", "--results", results}, nil, "not a directory"},
		{"sweep without a config", []string{"sweep", "--results", results}, nil, "expected CONFIG"},
		{"sweep with an unknown flag", []string{"sweep", smallSweep, "--frob", "--results", results}, nil, "unknown flag: --frob"},
		{"sweep with --set of a swept key", []string{"sweep", smallSweep, "--set", "train.hidden=7", "--results", results}, nil, "train.hidden: the sweep sets it in every trial"},
		{"validate with --set of a swept key", []string{"validate", smallSweep, "--set", "train.hidden=7"}, nil, "train.hidden: the sweep sets it in every trial"},
		{"sweep without a grid", []string{"sweep", "testdata/ok.yaml", "--results", results}, nil, "no sweep grid"},
		{"sweep with --max-trials -1", []string{"sweep", smallSweep, "--max-trials", "-1", "--results", results}, nil, "--max-trials"},
		{"sweep over --max-trials", []string{"sweep", smallSweep, "--max-trials", "5", "--results", results}, nil, "more than --max-trials 5"},
		{"sweep with --out not empty", []string{"sweep", smallSweep, "--out", nonEmpty, "--results", results}, nil, "not empty"},
		{"sweep with --out not empty, slashes", []string{"sweep", smallSweep, "--out", nonEmpty + "//", "--results", results}, nil, "not empty"},
		{"collect with --out not empty", []string{"sweep", smallSweep, "--collect", "--out", nonEmpty, "--results", results}, nil, "not empty"},
		{"sweep with --shard empty", []string{"sweep", smallSweep, "--shard", "", "--results", results}, nil, "--shard: must not be empty"},
		{"sweep with --shard 0/2/3", []string{"sweep", smallSweep, "--shard", "0/2/3", "--results", results}, nil, "not a number"},
		{"sweep with --shard 1x/4", []string{"sweep", smallSweep, "--shard", "1x/4", "--results", results}, nil, "not a number"},
		{"sweep with --shard +1/4", []string{"sweep", smallSweep, "--shard", "+1/4", "--results", results}, nil, "not a number"},
		{"sweep with --shard ' 1/4'", []string{"sweep", smallSweep, "--shard", " 1/4", "--results", results}, nil, "not a number"},
		{"sweep with --shard 4/4", []string{"sweep", smallSweep, "--shard", "4/4", "--results", results}, nil, "need 0 <= i < n"},
		{"sweep with an overflowing --shard", []string{"sweep", smallSweep, "--shard", "0/18446744073709551617", "--results", results}, nil, "too large"},
		{"sweep with --shard and --collect", []string{"sweep", smallSweep, "--shard", "0/2", "--collect", "--results", results}, nil, "takes no --shard"},
		{"sweep with --collect and --no-cache", []string{"sweep", smallSweep, "--collect", "--no-cache", "--results", results}, nil, "takes no --no-cache"},
		{"sweep with --shard and --out", []string{"sweep", smallSweep, "--shard", "0/2", "--out", "OUT", "--results", results}, nil, "--out is for --collect"},
		{"sweep --shard auto outside a cluster", []string{"sweep", smallSweep, "--shard", "auto", "--results", results}, nil, "neither JOB_COMPLETION_INDEX"},
		{"sweep --shard auto, Kubernetes index garbage", []string{"sweep", smallSweep, "--shard", "auto/3", "--results", results},
			map[string]string{"JOB_COMPLETION_INDEX": "1x"}, `JOB_COMPLETION_INDEX "1x" is not a number`},
		{"sweep --shard auto, Kubernetes index out of range", []string{"sweep", smallSweep, "--shard", "auto/3", "--results", results},
			map[string]string{"JOB_COMPLETION_INDEX": "3"}, "need 0 <= i < n"},
		{"sweep --shard auto, Slurm id garbage", []string{"sweep", smallSweep, "--shard", "auto", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2 ", "SLURM_ARRAY_TASK_COUNT": "3"}, `SLURM_ARRAY_TASK_ID "2 " is not a number`},
		{"sweep --shard auto, Slurm count garbage", []string{"sweep", smallSweep, "--shard", "auto", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3x"}, `SLURM_ARRAY_TASK_COUNT "3x" is not a number`},
		{"sweep --shard auto, Slurm min garbage", []string{"sweep", smallSweep, "--shard", "auto", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "-1"}, `SLURM_ARRAY_TASK_MIN "-1" is not a number`},
		{"sweep --shard auto, Slurm min above the id", []string{"sweep", smallSweep, "--shard", "auto", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, "below SLURM_ARRAY_TASK_MIN"},
		{"sweep --shard auto/4 in an --array=1-4", []string{"sweep", smallSweep, "--shard", "auto/4", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, "submit the array as --array=0-3"},
		{"sweep --shard auto in an array that is not a range", []string{"sweep", smallSweep, "--shard", "auto", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_STEP": "1"}, "not a range in steps"},
		{"sweep --shard 1/4 in another Kubernetes index", []string{"sweep", smallSweep, "--shard", "1/4", "--results", results},
			map[string]string{"JOB_COMPLETION_INDEX": "3"}, `--shard "1/4": JOB_COMPLETION_INDEX is 3`},
		{"sweep --shard 1/4 in another Slurm task", []string{"sweep", smallSweep, "--shard", "1/4", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, `--shard "1/4": SLURM_ARRAY_TASK_ID is 2`},
		{"sweep --shard 2/4 in an array of 8 tasks", []string{"sweep", smallSweep, "--shard", "2/4", "--results", results},
			map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7"}, `--shard "2/4": the count 4 disagrees with this Slurm job array (SLURM_ARRAY_TASK_COUNT 8, SLURM_ARRAY_TASK_MAX 7)`},

		{"validate without a config", []string{"validate"}, nil, "expected CONFIG"},
		{"validate with an unknown flag", []string{"validate", "--frob", "testdata/ok.yaml"}, nil, "unknown flag: --frob"},
		{"validate a missing config", []string{"validate", "testdata/no-such.yaml"}, nil, "no such file"},
		{"validate a config named with a leading dash", []string{"validate", "-dash.yaml"}, nil, `unknown shorthand flag: 'd' in -dash.yaml (a path that starts with "-" goes after --, or as ./-dash.yaml)`},
		{"run a config named with a leading dash", []string{"run", "-dash.yaml", "--results", results}, nil, "goes after --, or as ./-dash.yaml"},
		{"compare a folder named with a leading dash", []string{"compare", "-runs"}, nil, "goes after --, or as ./-runs"},

		{"plan without a config", []string{"plan", "--results", results}, nil, "expected CONFIG"},
		{"plan with two configs", []string{"plan", "testdata/ok.yaml", "testdata/ok.yaml", "--results", results}, nil, "got 2 arguments"},
		{"plan with an unknown flag", []string{"plan", "testdata/ok.yaml", "--frob", "--results", results}, nil, "unknown flag: --frob"},

		{"show without a run", []string{"show"}, nil, "expected RUN_DIR"},
		{"show a folder that is no run", []string{"show", results}, nil, "not a finished run"},

		{"compare without a path", []string{"compare"}, nil, "expected PATH"},
		{"compare a missing path", []string{"compare", filepath.Join(results, "none")}, nil, "no such run"},
		{"compare an empty path", []string{"compare", ""}, nil, "an empty path"},
		{"report an empty path", []string{"report", "", "-o", "OUT"}, nil, "an empty path"},
		{"compare with --baseline empty", []string{"compare", "--baseline", "", results}, nil, "--baseline: must not be empty"},
		{"cache gc with --results empty", []string{"cache", "gc", "--results", ""}, nil, "--results: must not be empty"},
		{"cache du with --results empty", []string{"cache", "du", "--results", ""}, nil, "--results: must not be empty"},
		{"cache verify with --results empty", []string{"cache", "verify", "--results", ""}, nil, "--results: must not be empty"},
		{"compare with --sort empty", []string{"compare", "--sort", "", results}, nil, "--sort: must not be empty"},
		{"compare with --group-by empty", []string{"compare", "--group-by", "", results}, nil, "--group-by: must not be empty"},
		{"export with --format empty", []string{"export", results, "--format", "", "-o", "OUT"}, nil, "--format: must not be empty"},
		{"export with --dtype empty", []string{"export", results, "--dtype", "", "-o", "OUT"}, nil, "--dtype: must not be empty"},
		{"predict with --format empty", []string{"predict", results, "FILE", "--format", "", "-o", "OUT"}, nil, "--format: must not be empty"},
		{"predict with --data-format empty", []string{"predict", results, "FILE", "--data-format", "", "-o", "OUT"}, nil, "--data-format: must not be empty"},
		{"predict with --delimiter empty", []string{"predict", results, "FILE", "--delimiter", "", "-o", "OUT"}, nil, "--delimiter: must not be empty"},
		{"compare with an unknown format", []string{"compare", "--format", "xml", results}, nil, "--format"},

		{"report without a path", []string{"report"}, nil, "expected PATH"},
		{"report a missing path", []string{"report", filepath.Join(results, "none"), "-o", "OUT"}, nil, "no such run"},
		{"report a folder without runs", []string{"report", results, "-o", "OUT"}, nil, "no finished run or sweep"},
		{"report to a folder", []string{"report", results, "-o", nonEmpty}, nil, "is a folder"},
		{"report to a missing folder", []string{"report", results, "-o", "OUT/report.html"}, nil, "does not exist"},
		{"report to nothing", []string{"report", results, "-o", ""}, nil, "must not be empty"},
		{"export to nothing", []string{"export", results, "-o", ""}, nil, "nnpipe: --out: must not be empty"},
		{"predict to nothing", []string{"predict", results, "FILE", "-o", ""}, nil, "nnpipe: --out: must not be empty"},

		{"stages with an argument", []string{"stages", "extra"}, nil, "expected no arguments, got 1 argument "},
		{"stages with an unknown flag", []string{"stages", "--frob"}, nil, "unknown flag: --frob"},

		{"cache without a subcommand", []string{"cache", "--results", results}, nil, "expected a command: du, gc, verify"},
		{"cache with an unknown subcommand", []string{"cache", "frob", "--results", results}, nil, `unknown command "frob"`},
		{"cache verify with an argument", []string{"cache", "verify", "extra", "--results", results}, nil, "expected no arguments, got 1 argument "},
		{"cache gc with a malformed duration", []string{"cache", "gc", "--keep-recent", "soon", "--results", results}, nil, `--keep-recent: "soon" is not a duration`},
		{"cache du with an unknown flag", []string{"cache", "du", "--frob", "--results", results}, nil, "unknown flag: --frob"},

		{"completion without a shell", []string{"completion"}, nil, "expected a command"},
		{"completion for an unknown shell", []string{"completion", "tcsh"}, nil, `unknown command "tcsh"`},
		{"completion with an extra argument", []string{"completion", "bash", "extra"}, nil, `unknown command "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP"} {
				t.Setenv(k, c.env[k])
			}
			t.Setenv("NNPIPE_CACHE", "")
			dir := t.TempDir()
			paths := map[string]string{
				results:  filepath.Join(dir, "results"),
				nonEmpty: filepath.Join(dir, "full"),
				file:     filepath.Join(dir, "file"),
				"OUT":    filepath.Join(dir, "out"),
			}
			for _, p := range []string{paths[results], paths[nonEmpty]} {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range []string{paths[file], filepath.Join(paths[nonEmpty], "keep")} {
				if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := slices.Clone(c.args)
			for i, a := range args {
				for ph, p := range paths {
					if a == ph || strings.HasPrefix(a, ph+"/") {
						args[i] = p + strings.TrimPrefix(a, ph)
					}
				}
			}
			before := listTree(t, dir)
			stdout, stderr, code := nnpipe(t, args...)
			if code != exitInvalid {
				t.Errorf("nnpipe %q: exit %d, want %d\nstderr: %s", args, code, exitInvalid, stderr)
			}
			lines := stderrLines(stderr)
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "nnpipe: ") {
				t.Errorf("stderr = %q, want one line starting with \"nnpipe: \"", stderr)
			} else if !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr = %q, want it to say %q", lines[0], c.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if after := listTree(t, dir); !slices.Equal(after, before) {
				t.Errorf("the refused command changed the folder: %v, was %v", after, before)
			}
		})
	}
}

// TestHelpStillSucceeds checks that the strict argument checks leave help
// and the version alone.
func TestHelpStillSucceeds(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "run"}, {"help", "cache", "gc"}, {"run", "--help"}, {"cache", "--help"}, {"--version"}, {"completion", "bash"}} {
		stdout, stderr, code := nnpipe(t, args...)
		if code != exitOK || stdout == "" || stderr != "" {
			t.Errorf("nnpipe %q: exit %d, %d bytes of stdout, stderr %q; want 0, output and no error", args, code, len(stdout), stderr)
		}
	}
}
