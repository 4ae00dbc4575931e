//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
)

func TestSIGHUPAndSIGTERMStopARunAndRemoveItsBuildFolders(t *testing.T) {
	t.Parallel()
	binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			results := t.TempDir()
			cacheDir := filepath.Join(results, ".cache")
			p, building := trainingRun(t, results)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			<-p.done
			if code := p.cmd.ProcessState.ExitCode(); code != exitInterrupted {
				t.Errorf("exit status after %v = %d, want %d\n%s", sig, code, exitInterrupted, p.stderr.String())
			}
			if _, err := os.Stat(building); err == nil {
				t.Errorf("the train stage's build folder %s is left after %v", building, sig)
			}
			if left := leftovers(filepath.Join(cacheDir, "tmp"), "build-*", "trash-*"); len(left) > 0 {
				t.Errorf("left in the cache's temporary folder after %v: %v", sig, left)
			}
			if left := leftovers(filepath.Join(cacheDir, "leases"), "*.lease"); len(left) > 0 {
				t.Errorf("the lease is left after %v: %v", sig, left)
			}
			if left := leftovers(results, pipeline.TempPrefix+"*"); len(left) > 0 {
				t.Errorf("temporary folders left in the results after %v: %v", sig, left)
			}
			if !strings.Contains(p.stderr.String(), "interrupted: stages data, split finished") {
				t.Errorf("stderr = %q, want it to say what finished", p.stderr.String())
			}
			cacheVerifies(t, cacheDir, "after "+sig.String())
		})
	}
}
