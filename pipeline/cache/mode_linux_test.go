package cache

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAnEntryHasTheModeOfTheCachesFolders: an entry, made from a build
// folder, has mode 0755 less the umask like the cache's other folders, so
// that others who share the cache can read it; it was 0700 whatever the
// umask. The umask is the process's: the test does not run in parallel.
func TestAnEntryHasTheModeOfTheCachesFolders(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o002} {
		func() {
			defer syscall.Umask(syscall.Umask(umask))
			c := Open(t.TempDir())
			defer c.Close()
			k := Key("mode")
			publishOutputs(t, c, k, sampleOutputs, nil)
			fi, err := os.Stat(c.Path(k))
			must(t, err)
			if got, want := fi.Mode().Perm(), os.FileMode(0o755&^umask); got != want {
				t.Errorf("umask %#o: the entry's mode is %#o, want %#o", umask, got, want)
			}
		}()
	}
}

// TestAFailureRecordHasTheModeOfTheCachesFiles: a failure record is read
// by whoever shares the cache (a sweep's collection, a run that reports
// the recorded failure), so it has mode 0644 less the umask like the
// entries' files; os.CreateTemp made it 0600 whatever the umask.
func TestAFailureRecordHasTheModeOfTheCachesFiles(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o002} {
		func() {
			defer syscall.Umask(syscall.Umask(umask))
			c := Open(t.TempDir())
			defer c.Close()
			k := Key("failed")
			must(t, c.RecordFailure(k, map[string]string{"error": "diverged"}))
			fi, err := os.Stat(filepath.Join(c.dir, failuresDir, k+".json"))
			must(t, err)
			if got, want := fi.Mode().Perm(), os.FileMode(0o644&^umask); got != want {
				t.Errorf("umask %#o: the failure record's mode is %#o, want %#o", umask, got, want)
			}
		}()
	}
}

// TestTheQuarantineHasTheModeOfTheCachesFolders: the folder an entry with
// foreign files is moved into has mode 0755 less the umask like the
// cache's other folders, so that whoever put the files there, sharing the
// cache, can reach them; it was os.MkdirTemp's 0700 whatever the umask.
func TestTheQuarantineHasTheModeOfTheCachesFolders(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o002} {
		func() {
			defer syscall.Umask(syscall.Umask(umask))
			dir := t.TempDir()
			c := Open(dir)
			k := Key("foreign")
			publishOutputs(t, c, k, sampleOutputs, nil)
			must(t, c.Close())
			must(t, os.WriteFile(filepath.Join(c.Path(k), "mine.txt"), []byte("mine"), 0o644))
			res := gcOnce(t, dir, GCOptions{})
			if len(res.Quarantined) != 1 {
				t.Fatalf("umask %#o: gc quarantined %+v, want the entry", umask, res.Quarantined)
			}
			for _, p := range []string{filepath.Dir(res.Quarantined[0].Path), res.Quarantined[0].Path} {
				fi, err := os.Stat(p)
				must(t, err)
				if got, want := fi.Mode().Perm(), os.FileMode(0o755&^umask); got != want {
					t.Errorf("umask %#o: %s has mode %#o, want %#o", umask, p, got, want)
				}
			}
		}()
	}
}
