//go:build linux

package main

// Reliability of the cache against `cache gc` while a run is in progress,
// with the built binary as the running process (skipped under -short).

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// trainingRun starts the book's run with a million training steps and
// waits until it trains: data and split are published and the train
// stage's build folder exists. It returns the process and that folder.
func trainingRun(t *testing.T, results string) (*proc, string) {
	t.Helper()
	p := startNNPipe(t, "run", bookConfig, "--results", results, "--quiet", "--set", "train.steps=1000000")
	cacheDir := filepath.Join(results, ".cache")
	for {
		select {
		case <-p.done:
			t.Fatalf("the run ended before it trained: exit %d\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
		default:
		}
		listed, _ := cache.Open(cacheDir).List()
		builds, _ := filepath.Glob(filepath.Join(cacheDir, "tmp", "build-*"))
		if len(listed) == 2 && len(builds) == 1 {
			return p, builds[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheGCKeepsARunningProcessesWorkUntilItIsKilled(t *testing.T) {
	t.Parallel()
	binary(t)
	results := t.TempDir()
	cacheDir := filepath.Join(results, ".cache")
	p, building := trainingRun(t, results)
	listed, err := cache.Open(cacheDir).List()
	if err != nil {
		t.Fatal(err)
	}
	// The run's directory, under construction beside where it will go.
	runDirs, _ := filepath.Glob(filepath.Join(results, "book-ch7", ".tmp-*"))
	if len(runDirs) != 1 {
		t.Fatalf("%d run directories under construction, want 1: %v", len(runDirs), runDirs)
	}
	runDir := runDirs[0]
	// The training has run for three hours, as far as gc can tell.
	backdateAll(t, building, 3*time.Hour)
	backdateAll(t, runDir, 3*time.Hour)
	for _, keep := range []string{"1h", "0s"} {
		out, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--keep-recent", keep)
		if code != 0 {
			t.Fatalf("cache gc --keep-recent %s: exit %d\n%s", keep, code, stderr)
		}
		if !strings.Contains(out, "removed 0 entries, kept 2") || !strings.Contains(out, "kept what 1 nnpipe process running now uses") {
			t.Errorf("cache gc --keep-recent %s while a run trains printed %q, want nothing removed", keep, out)
		}
		if _, err := os.Stat(building); err != nil {
			t.Fatalf("cache gc --keep-recent %s removed the build folder of a training in progress: %v", keep, err)
		}
		if _, err := os.Stat(runDir); err != nil {
			t.Fatalf("cache gc --keep-recent %s removed the run directory of a training in progress: %v", keep, err)
		}
		for _, l := range listed {
			if _, err := cache.Open(cacheDir).Get(l.Key); err != nil {
				t.Errorf("cache gc --keep-recent %s removed %s, an entry the run uses: %v", keep, l.Key[:12], err)
			}
		}
	}
	select {
	case <-p.done:
		t.Fatalf("the run ended during gc: exit %d\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	default:
	}

	// A killed process protects nothing: its lease is dead.
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	if left := leftovers(filepath.Join(cacheDir, "leases"), "*.lease"); len(left) != 1 {
		t.Fatalf("the killed run left %d leases, want its one", len(left))
	}
	backdateAll(t, building, 3*time.Hour)
	backdateAll(t, runDir, 3*time.Hour)
	out, stderr, code := nnpipe(t, "cache", "gc", "--results", results, "--keep-recent", "1h")
	if code != 0 || !strings.Contains(out, "removed 0 entries and 2 leftovers, kept 2") {
		t.Errorf("cache gc --keep-recent 1h after the kill: exit %d, %q%s; want the young entries kept, and the build folder and the run directory removed", code, out, stderr)
	}
	if _, err := os.Stat(building); err == nil {
		t.Errorf("cache gc kept the three-hour-old build folder of a killed run")
	}
	if _, err := os.Stat(runDir); err == nil {
		t.Errorf("cache gc kept the three-hour-old run directory of a killed run")
	}
	out, stderr, code = nnpipe(t, "cache", "gc", "--results", results, "--keep-recent", "0s")
	if code != 0 || !strings.Contains(out, "removed 2 entries, kept 0") || strings.Contains(out, "running now") {
		t.Errorf("cache gc --keep-recent 0s after the kill: exit %d, %q%s; want both entries removed", code, out, stderr)
	}
	if left := leftovers(filepath.Join(cacheDir, "leases"), "*.lease"); len(left) != 0 {
		t.Errorf("gc kept the killed run's lease: %v", left)
	}
}

// backdateAll sets the modification time of path and everything under it
// to ago before now.
func backdateAll(t *testing.T, path string, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	err := filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}
