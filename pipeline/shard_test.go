package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// envOf returns a getenv that reads only m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseShard(t *testing.T) {
	cases := []struct {
		shard string
		env   map[string]string
		i, n  int
		bad   string // part of the error; "" when accepted
	}{
		{shard: "0/1", i: 0, n: 1},
		{shard: "1/4", i: 1, n: 4},
		{shard: "3/4", i: 3, n: 4},
		{shard: "03/04", i: 3, n: 4},
		{shard: "2147483646/2147483647", i: 2147483646, n: 2147483647},

		{shard: "4/4", bad: "need 0 <= i < n"},
		{shard: "0/0", bad: "need 0 <= i < n"},
		{shard: "0/2/3", bad: `count "2/3" is not a number`},
		{shard: "1x/4", bad: `index "1x" is not a number`},
		{shard: "1/4x", bad: `count "4x" is not a number`},
		{shard: "-1/2", bad: `index "-1" is not a number`},
		{shard: "+1/2", bad: `index "+1" is not a number`},
		{shard: "1/+2", bad: `count "+2" is not a number`},
		{shard: " 1/2", bad: "is not a number"},
		{shard: "1/2 ", bad: "is not a number"},
		{shard: "1 /2", bad: "is not a number"},
		{shard: "1/2\n", bad: "is not a number"},
		{shard: "0x1/2", bad: "is not a number"},
		{shard: "1_0/20", bad: "is not a number"},
		{shard: "１/2", bad: "is not a number"}, // a full-width digit
		{shard: "/2", bad: "index is empty"},
		{shard: "1/", bad: "count is empty"},
		{shard: "/", bad: "is empty"},
		{shard: "1", bad: "expected i/n, auto or auto/n"},
		{shard: "", bad: "expected i/n, auto or auto/n"},
		{shard: "0/99999999999999999999", bad: "too large"},
		{shard: "0/2147483648", bad: "too large"},
		{shard: "0/9223372036854775808", bad: "too large"},
		{shard: "auto/", bad: "count is empty"},
		{shard: "auto/x", env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, bad: `count "x" is not a number`},
		{shard: "Auto", bad: "expected i/n"},

		// Kubernetes Indexed Job.
		{shard: "auto/3", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, i: 2, n: 3},
		{shard: "auto/3", env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, bad: "need 0 <= i < n"},
		{shard: "auto/0", env: map[string]string{"JOB_COMPLETION_INDEX": "0"}, bad: "need 0 <= i < n"},
		{shard: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, bad: "give the completion count"},
		{shard: "auto/3", env: map[string]string{"JOB_COMPLETION_INDEX": "1x"}, bad: `JOB_COMPLETION_INDEX "1x" is not a number`},
		{shard: "auto/3", env: map[string]string{"JOB_COMPLETION_INDEX": "-1"}, bad: `JOB_COMPLETION_INDEX "-1" is not a number`},
		{shard: "auto/3", env: map[string]string{"JOB_COMPLETION_INDEX": " 1"}, bad: "is not a number"},

		// Slurm job array.
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, i: 2, n: 3},
		{shard: "auto/5", env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3"}, i: 4, n: 5},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, i: 2, n: 3},
		// A task of an --array=0-3 resubmitted alone (--array=2) stays shard 2 of 4.
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2"}, i: 2, n: 4},
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}, bad: "need 0 <= i < n"},
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "x"}, bad: `SLURM_ARRAY_TASK_MIN "x" is not a number`},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3"}, bad: "need 0 <= i < n"},
		// An --array=0-6:2 (tasks 0, 2, 4, 6) is counted in its steps: shards 0 to 3 of 4.
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, i: 3, n: 4},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, i: 1, n: 4},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "3"}, i: 2, n: 3},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, bad: "not a multiple of SLURM_ARRAY_TASK_STEP 2"},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "0"}, bad: "SLURM_ARRAY_TASK_STEP 0"},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "two"}, bad: `SLURM_ARRAY_TASK_STEP "two" is not a number`},
		// With a count, the task id is the shard, whatever the step.
		{shard: "auto/8", env: map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, i: 6, n: 8},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, bad: "below SLURM_ARRAY_TASK_MIN"},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2x", "SLURM_ARRAY_TASK_COUNT": "3"}, bad: `SLURM_ARRAY_TASK_ID "2x" is not a number`},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3.0"}, bad: `SLURM_ARRAY_TASK_COUNT "3.0" is not a number`},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1e0"}, bad: `SLURM_ARRAY_TASK_MIN "1e0" is not a number`},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "99999999999999999999"}, bad: "too large"},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, bad: "SLURM_ARRAY_TASK_COUNT is not"},
		{shard: "auto", bad: "neither JOB_COMPLETION_INDEX"},

		// An array whose task ids are not all shards: --array=1-4 with
		// auto/4 (task 4 is no shard, and shard 0 no task) or a sparse
		// array with plain auto refuse every task, not only the last.
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, bad: "SLURM_ARRAY_TASK_MAX 4: with --shard auto/4 the task ids are the shards, 0 to 3"},
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, i: 3, n: 4},
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2"}, i: 2, n: 4},
		{shard: "auto/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MAX": "x"}, bad: `SLURM_ARRAY_TASK_MAX "x" is not a number`},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_STEP": "1"}, bad: "not a range"},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "12", "SLURM_ARRAY_TASK_STEP": "4"}, i: 2, n: 4},
		{shard: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_STEP": "1"}, i: 3, n: 4},

		// A shard given by hand inside an Indexed Job or a job array must
		// be the task's own: the same --shard in every task runs one
		// shard over and over and the others never.
		{shard: "1/4", env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, bad: "JOB_COMPLETION_INDEX is 3"},
		{shard: "3/4", env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, i: 3, n: 4},
		{shard: "1/4", env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, bad: `JOB_COMPLETION_INDEX "x" is not a number`},
		{shard: "1/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, bad: "SLURM_ARRAY_TASK_ID is 2"},
		{shard: "1/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "x"}, bad: `SLURM_ARRAY_TASK_ID "x" is not a number`},
		{shard: "2/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, i: 2, n: 4},
		// --shard $((SLURM_ARRAY_TASK_ID - 1))/4 in an --array=1-4: the task's place in the array.
		{shard: "1/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, i: 1, n: 4},
		{shard: "0/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, bad: "SLURM_ARRAY_TASK_ID is 2"},
		// The task's shard, but of another count than the array's: in an
		// --array=0-7, --shard $SLURM_ARRAY_TASK_ID/4 fails tasks 4 to 7
		// only; in an --array=1-4, --shard $((SLURM_ARRAY_TASK_ID - 1))/8
		// leaves shards 4 to 7 to no task.
		{shard: "2/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "8", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "7"}, bad: `--shard "2/4": the count 4 disagrees with this Slurm job array`},
		{shard: "1/8", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, bad: `--shard "1/8": the count 8 disagrees with this Slurm job array`},
		// A task resubmitted alone keeps its shard of the first array's count.
		{shard: "2/4", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2"}, i: 2, n: 4},
		{shard: "2/3", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "2"}, i: 2, n: 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q %v", c.shard, c.env), func(t *testing.T) {
			i, n, err := ParseShard(c.shard, envOf(c.env))
			if c.bad == "" {
				if err != nil || i != c.i || n != c.n {
					t.Fatalf("ParseShard = %d, %d, %v; want %d, %d", i, n, err, c.i, c.n)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseShard = %d, %d; want an error saying %q", i, n, c.bad)
			}
			if !strings.Contains(err.Error(), c.bad) {
				t.Errorf("error %q does not say %q", err, c.bad)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
}

// FuzzParseShard checks ParseShard's promise for any --shard value and any
// cluster environment: it never panics, an accepted shard has
// 0 <= i < n, i/n written back parses to the same shard, and an error is
// one line.
func FuzzParseShard(f *testing.F) {
	f.Add("1/4", "", "", "", "", "", "")
	f.Add("0/2/3", "", "", "", "", "", "")
	f.Add("1x/4", "", "", "", "", "", "")
	f.Add("auto/3", "2", "", "", "", "", "")
	f.Add("auto", "", "3", "3", "1", "", "")
	f.Add("auto", "", "-1", "3", "", "", "")
	f.Add("auto/4", "", "7", "", "4", "", "")
	f.Add("auto", "", "8", "4", "0", "12", "4")
	f.Add("2/4", "", "2", "8", "0", "7", "1")
	f.Add("1/4", "", "2", "4", "1", "4", "1")
	f.Add("9223372036854775807/9223372036854775808", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, shard, k8sIndex, slurmID, slurmCount, slurmMin, slurmMax, slurmStep string) {
		env := envOf(map[string]string{
			"JOB_COMPLETION_INDEX":   k8sIndex,
			"SLURM_ARRAY_TASK_ID":    slurmID,
			"SLURM_ARRAY_TASK_COUNT": slurmCount,
			"SLURM_ARRAY_TASK_MIN":   slurmMin,
			"SLURM_ARRAY_TASK_MAX":   slurmMax,
			"SLURM_ARRAY_TASK_STEP":  slurmStep,
		})
		i, n, err := ParseShard(shard, env)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("ParseShard(%q): error %q is more than one line", shard, err)
			}
			return
		}
		if i < 0 || i >= n {
			t.Fatalf("ParseShard(%q) = %d, %d: want 0 <= i < n", shard, i, n)
		}
		// Every number it took was digits and nothing else.
		rest, auto := strings.CutPrefix(shard, "auto")
		switch {
		case !auto || (rest != "" && rest[0] != '/'):
			is, ns, _ := strings.Cut(shard, "/")
			if !digitsOf(is, i) || !digitsOf(ns, n) {
				t.Fatalf("ParseShard(%q) = %d, %d: accepted something other than digits", shard, i, n)
			}
		case rest != "" && !digitsOf(rest[1:], n):
			t.Fatalf("ParseShard(%q) = %d, %d: accepted a count other than digits", shard, i, n)
		case k8sIndex != "":
			if !digitsOf(k8sIndex, i) {
				t.Fatalf("ParseShard(%q) = %d, %d with JOB_COMPLETION_INDEX %q: accepted something other than digits", shard, i, n, k8sIndex)
			}
		case !allDigits(slurmID) || (slurmMin != "" && !allDigits(slurmMin)) || (rest == "" && !digitsOf(slurmCount, n)) ||
			(slurmMax != "" && !allDigits(slurmMax)) || (slurmStep != "" && !allDigits(slurmStep)):
			t.Fatalf("ParseShard(%q) = %d, %d with SLURM_ARRAY_TASK_ID %q, _COUNT %q, _MIN %q: accepted something other than digits",
				shard, i, n, slurmID, slurmCount, slurmMin)
		case rest != "" && !digitsOf(slurmID, i):
			t.Fatalf("ParseShard(%q) = %d, %d with SLURM_ARRAY_TASK_ID %q: with a count, the task id is the shard", shard, i, n, slurmID)
		}
		again := fmt.Sprintf("%d/%d", i, n)
		i2, n2, err := ParseShard(again, env)
		if err != nil || i2 != i || n2 != n {
			t.Fatalf("ParseShard(%q) = %d, %d, %v; want %d, %d as from %q", again, i2, n2, err, i, n, shard)
		}
	})
}

// digitsOf reports whether s is v in decimal digits, leading zeros
// allowed.
func digitsOf(s string, v int) bool {
	if !allDigits(s) {
		return false
	}
	t := strings.TrimLeft(s, "0")
	if t == "" {
		t = "0"
	}
	return t == fmt.Sprint(v)
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
