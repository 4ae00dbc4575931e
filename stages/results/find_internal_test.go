package results

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFindPassesOverAFolderRemovedWhileItLooks: a folder of runs that is
// listed, then removed (a user cleaning up old runs while report or
// compare reads the results) before Find looks into it is no longer there
// to report; the rest is found. It used to fail the whole command, exit 1.
func TestFindPassesOverAFolderRemovedWhileItLooks(t *testing.T) {
	root := t.TempDir()
	var keep string
	for _, dir := range []string{filepath.Join(root, "a", "run1"), filepath.Join(root, "b", "run2")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		keep = filepath.Join(dir, SummaryFile)
		if err := WriteSummary(keep, []*Row{{TrialID: filepath.Base(dir), Status: StatusOK}}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, gone := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "run1")} {
		t.Run(filepath.Base(gone), func(t *testing.T) {
			removed := false
			readDir := func(dir string) ([]os.DirEntry, error) {
				entries, err := os.ReadDir(dir)
				if !removed && dir == filepath.Dir(gone) {
					// Listed, then removed before Find looks into it.
					removed = true
					if err := os.Rename(gone, gone+".moved"); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { os.Rename(gone+".moved", gone) })
				}
				return entries, err
			}
			got, err := find(root, readDir)
			if err != nil || !slices.Equal(got, []string{keep}) {
				t.Errorf("Find(root) = %v, %v; want %v", got, err, []string{keep})
			}
		})
	}
}
