package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestClusterFilesAgreeWithTheCLI checks that the shipped cluster files
// use the features the README promises and a shard count that matches
// their own parallel width, and that what they run is a valid sweep.
func TestClusterFilesAgreeWithTheCLI(t *testing.T) {
	var job struct {
		Spec struct {
			CompletionMode       string `yaml:"completionMode"`
			Completions          int    `yaml:"completions"`
			BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
			PodFailurePolicy     struct {
				Rules []struct {
					Action      string `yaml:"action"`
					OnExitCodes *struct {
						Operator string `yaml:"operator"`
						Values   []int  `yaml:"values"`
					} `yaml:"onExitCodes"`
				} `yaml:"rules"`
			} `yaml:"podFailurePolicy"`
			Template struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Command []string `yaml:"command"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	src := readFile(t, "../../configs/cluster/sweep-job.yaml")
	if err := yaml.Unmarshal(src, &job); err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" || s.BackoffLimitPerIndex == nil || s.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("job: completionMode %q, backoffLimitPerIndex %v, restartPolicy %q; want Indexed, set, Never",
			s.CompletionMode, s.BackoffLimitPerIndex, s.Template.Spec.RestartPolicy)
	}
	failsOn2 := false
	for _, r := range s.PodFailurePolicy.Rules {
		if r.Action == "FailIndex" && r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" && len(r.OnExitCodes.Values) == 1 && r.OnExitCodes.Values[0] == 2 {
			failsOn2 = true
		}
	}
	if !failsOn2 {
		t.Error("job: podFailurePolicy has no FailIndex rule for exit code 2")
	}
	cmd := strings.Join(s.Template.Spec.Containers[0].Command, " ")
	if want := "--shard auto/" + strconv.Itoa(s.Completions); !strings.Contains(cmd, want) {
		t.Errorf("job command %q lacks %q (the completion count)", cmd, want)
	}

	script := string(readFile(t, "../../configs/cluster/sweep.sbatch"))
	if !regexp.MustCompile(`(?m)^#SBATCH --array=0-\d+$`).MatchString(script) || !strings.Contains(script, "--shard auto") {
		t.Errorf("sweep.sbatch lacks a job array from 0 or --shard auto")
	}
	for _, path := range []string{"../../configs/sweep-hidden.yaml"} {
		if !strings.Contains(cmd, strings.TrimPrefix(path, "../../")) || !strings.Contains(script, strings.TrimPrefix(path, "../../")) {
			t.Errorf("the cluster files do not run %s", path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	}
}

func TestShardAutoReadsTheClusterEnvironment(t *testing.T) {
	cases := []struct {
		name, shard string
		env         map[string]string
		want        string // trials run, as "shard i/n"
		code        int
	}{
		{"kubernetes", "auto/3", map[string]string{"JOB_COMPLETION_INDEX": "1"}, "1/3", 0},
		{"kubernetes without a count", "auto", map[string]string{"JOB_COMPLETION_INDEX": "1"}, "", exitInvalid},
		{"slurm", "auto", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, "2/3", 0},
		{"slurm starting at 1", "auto", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, "2/3", 0},
		{"neither", "auto", nil, "", exitInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"} {
				t.Setenv(k, c.env[k])
			}
			out, stderr, code := nnpipe(t, "sweep", smallSweep, "--shard", c.shard, "--results", t.TempDir(), "--set", "sweep.train.hidden=1", "--set", "sweep.train.init.seed=1,2,3")
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			if c.code == 0 && !strings.Contains(out, "1 trial,") {
				t.Errorf("stdout = %q, want one trial of three run by this shard", out)
			}
		})
	}
}
