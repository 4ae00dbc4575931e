package cache

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestTempDirsBesideFailedRunsRemovingTheTmpFolder makes build folders on
// four goroutines while each removes its own again and then the tmp folder
// when that leaves it empty, as a failed stage does (the engine's
// discardTemp): making one must never fail because another goroutine
// removed or made the tmp folder in between. Without the retries most
// runs hit the race (4 goroutines, 500 folders each); with them, each
// retry follows one of the at most 2,000 removals the goroutines make, so
// the verdict does not depend on how they are scheduled.
func TestTempDirsBesideFailedRunsRemovingTheTmpFolder(t *testing.T) {
	dir := t.TempDir()
	c := Open(dir)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for range 500 {
				b, err := c.TempDir()
				if err != nil {
					errs <- err
					return
				}
				os.RemoveAll(b)
				os.Remove(filepath.Dir(b))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
