package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	yaml "go.yaml.in/yaml/v3"
)

// indexedJob is what the tests read of a Kubernetes Indexed Job.
type indexedJob struct {
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
					Env     []struct {
						Name      string  `yaml:"name"`
						Value     *string `yaml:"value"`
						ValueFrom *struct {
							SecretKeyRef *struct {
								Name     string `yaml:"name"`
								Key      string `yaml:"key"`
								Optional bool   `yaml:"optional"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string    `yaml:"name"`
					EmptyDir              *struct{} `yaml:"emptyDir"`
					PersistentVolumeClaim *struct{} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readIndexedJob reads a shipped Indexed Job and checks what every one
// must have: one index per shard, retries per index, no retry of invalid
// input (exit 2), and a shard count equal to the completions. It returns
// the job and its command line.
func readIndexedJob(t *testing.T, path string) (*indexedJob, string) {
	t.Helper()
	var job indexedJob
	if err := yaml.Unmarshal(readFile(t, path), &job); err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" || s.BackoffLimitPerIndex == nil || s.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("%s: completionMode %q, backoffLimitPerIndex %v, restartPolicy %q; want Indexed, set, Never",
			path, s.CompletionMode, s.BackoffLimitPerIndex, s.Template.Spec.RestartPolicy)
	}
	failsOn2 := false
	for _, r := range s.PodFailurePolicy.Rules {
		if r.Action == "FailIndex" && r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" && len(r.OnExitCodes.Values) == 1 && r.OnExitCodes.Values[0] == 2 {
			failsOn2 = true
		}
	}
	if !failsOn2 {
		t.Errorf("%s: podFailurePolicy has no FailIndex rule for exit code 2", path)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", path, len(s.Template.Spec.Containers))
	}
	cmd := strings.Join(s.Template.Spec.Containers[0].Command, " ")
	if want := "--shard auto/" + strconv.Itoa(s.Completions); !strings.Contains(cmd, want) {
		t.Errorf("%s: command %q lacks %q (the completion count)", path, cmd, want)
	}
	if !strings.Contains(cmd, "configs/sweep-hidden.yaml") {
		t.Errorf("%s: the job does not run configs/sweep-hidden.yaml", path)
	}
	return &job, cmd
}

// TestClusterFilesAgreeWithTheCLI checks that the shipped cluster files
// use the features the README promises and a shard count that matches
// their own parallel width, and that what they run is a valid sweep.
func TestClusterFilesAgreeWithTheCLI(t *testing.T) {
	readIndexedJob(t, "../../configs/cluster/sweep-job.yaml")
	script := string(readFile(t, "../../configs/cluster/sweep.sbatch"))
	// The array's indices are the shards (--shard auto/N), so that a task
	// resubmitted alone keeps its shard.
	array := regexp.MustCompile(`(?m)^#SBATCH --array=0-(\d+)$`).FindStringSubmatch(script)
	if array == nil {
		t.Fatalf("sweep.sbatch lacks a job array from 0")
	}
	last, _ := strconv.Atoi(array[1])
	if want := fmt.Sprintf("--shard auto/%d ", last+1); !strings.Contains(script, want) {
		t.Errorf("sweep.sbatch's array 0-%d does not go with %q", last, want)
	}
	if !strings.Contains(script, "configs/sweep-hidden.yaml") {
		t.Errorf("sweep.sbatch does not run configs/sweep-hidden.yaml")
	}
	if _, err := os.Stat("../../configs/sweep-hidden.yaml"); err != nil {
		t.Error(err)
	}
}

// TestTheS3JobSharesNoVolume checks the Indexed Job that keeps the cache
// in a bucket: an s3:// cache, no persistent volume, the credentials from
// a Secret under the variables nnpipe reads, and the local copy on a
// volume of the pod's own.
func TestTheS3JobSharesNoVolume(t *testing.T) {
	const path = "../../configs/cluster/sweep-job-s3.yaml"
	job, cmd := readIndexedJob(t, path)
	pod := job.Spec.Template.Spec
	c := pod.Containers[0]
	cacheArg := ""
	for i, a := range c.Command {
		if a == "--cache" && i+1 < len(c.Command) {
			cacheArg = c.Command[i+1]
		}
	}
	if loc, err := cache.ParseLocation(cacheArg); err != nil || !loc.IsS3() {
		t.Errorf("%s: --cache %q is not an S3 location (%v); command %q", path, cacheArg, err, cmd)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	scratch := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil || v.EmptyDir == nil {
			t.Errorf("%s: volume %q is not an emptyDir: the pods must share nothing", path, v.Name)
		}
		scratch[mounts[v.Name]] = v.EmptyDir != nil
	}
	env := map[string]int{}
	for i, e := range c.Env {
		env[e.Name] = i
	}
	secret := ""
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"} {
		i, ok := env[name]
		if !ok {
			t.Errorf("%s: %s is not set", path, name)
			continue
		}
		e := c.Env[i]
		switch {
		case e.Value != nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil:
			t.Errorf("%s: %s does not come from a Secret", path, name)
		case e.ValueFrom.SecretKeyRef.Key != name:
			t.Errorf("%s: %s comes from the Secret's key %q", path, name, e.ValueFrom.SecretKeyRef.Key)
		case secret != "" && e.ValueFrom.SecretKeyRef.Name != secret:
			t.Errorf("%s: %s comes from another Secret, %q", path, name, e.ValueFrom.SecretKeyRef.Name)
		case e.ValueFrom.SecretKeyRef.Optional != (name == "AWS_ENDPOINT_URL"):
			t.Errorf("%s: %s: optional is %v; only the endpoint may be absent", path, name, e.ValueFrom.SecretKeyRef.Optional)
		default:
			secret = e.ValueFrom.SecretKeyRef.Name
		}
	}
	if i, ok := env["AWS_REGION"]; !ok || c.Env[i].Value == nil || *c.Env[i].Value == "" {
		t.Errorf("%s: AWS_REGION is not set", path)
	}
	copyOnScratch := false
	if i, ok := env["NNPIPE_S3_COPY"]; ok && c.Env[i].Value != nil {
		for dir, isEmptyDir := range scratch {
			copyOnScratch = copyOnScratch || (isEmptyDir && strings.HasPrefix(*c.Env[i].Value, dir+"/"))
		}
	}
	if !copyOnScratch {
		t.Errorf("%s: NNPIPE_S3_COPY is not on an emptyDir volume of the pod", path)
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
		{"slurm in steps of 2", "auto", map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, "2/3", 0},
		{"slurm with a count", "auto/3", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "1"}, "1/3", 0},
		{"neither", "auto", nil, "", exitInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP"} {
				t.Setenv(k, c.env[k])
			}
			out, stderr, code := nnpipe(t, "sweep", smallSweep, "--shard", c.shard, "--results", t.TempDir(), "--set", "sweep.train.hidden=1", "--set", "sweep.train.init.seed=1,2,3")
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s", code, c.code, stderr)
			}
			if c.code == 0 && !strings.HasPrefix(out, "shard "+c.want+": 1 trial,") {
				t.Errorf("stdout = %q, want shard %s named, as resolved, running one trial of three", out, c.want)
			}
		})
	}
}
