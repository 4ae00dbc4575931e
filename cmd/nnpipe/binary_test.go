package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// The tests that need real processes (shards started at once, kills) run
// the binary, built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary returns the path of an nnpipe binary built from this package.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nnpipe-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "nnpipe")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// command prepares the binary with args, in this package's folder.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command(binary(t), args...)
	c.Env = append(os.Environ(), "NNPIPE_CACHE=")
	return c
}

func TestMain(m *testing.M) {
	if os.Getenv(interruptChildEnv) != "" {
		interruptChild()
		return
	}
	if signal.Ignored(syscall.SIGHUP) {
		// Started under nohup (as a CI script may be), this process would
		// pass SIGHUP ignored to every nnpipe it starts, which then keeps
		// ignoring it, as it should. Caught here instead, it reaches them
		// with its default action (exec resets caught signals), which the
		// tests of SIGHUP assume.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	}
	// The tests are run as outside any cluster job: run inside a Slurm
	// array task or an Indexed Job's pod, the shards they give by hand
	// (--shard 0/3) would be refused as another shard than the task's.
	for _, k := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
		"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// interruptChildEnv makes the test binary, run again as a child process,
// be a command that does not stop at an interrupt (interruptChild).
const interruptChildEnv = "NNPIPE_TEST_INTERRUPT_CHILD"

// interruptChild takes the signals as Main does, says "ready", and once
// interrupted says "cancelled by" the signal and goes on reading its input,
// as a command blocked where the cancellation does not reach it would.
func interruptChild() {
	ctx, stop := interruptContext(context.Background())
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("cancelled by", context.Cause(ctx))
	var b [1]byte
	os.Stdin.Read(b[:])
	os.Exit(3)
}
