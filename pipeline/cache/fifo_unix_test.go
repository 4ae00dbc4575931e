//go:build unix

package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestANamedPipeInTheCacheIsDamageNotAWait puts a named pipe, with no
// writer, where the cache keeps a file — an entry's entry.json, an
// entry's output, a failure record, a lease — and uses the cache as runs,
// verify and gc do. Opening a named pipe to read waits for a writer, for
// ever and deaf to an interrupt; each use must instead return: the entry
// damaged, the failure record absent, the lease not one, and gc done. A regression hangs here until the test binary's
// timeout.
func TestANamedPipeInTheCacheIsDamageNotAWait(t *testing.T) {
	for _, c := range []struct {
		name   string
		pipe   func(c *Cache, key string) string
		damage string // in Get's reason; "" when the entry stays sound
	}{
		{"entry.json", func(c *Cache, key string) string { return filepath.Join(c.Path(key), EntryFile) }, "entry.json is not a regular file but a named pipe"},
		{"an output", func(c *Cache, key string) string { return filepath.Join(c.Path(key), "out.txt") }, "out.txt is not a regular file"},
		{"a failure record", func(c *Cache, key string) string { return filepath.Join(c.dir, failuresDir, key+".json") }, ""},
		{"a lease", func(c *Cache, key string) string { return filepath.Join(c.dir, leasesDir, "1-2"+leaseSuffix) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ca := Open(t.TempDir())
			defer ca.Close()
			key := publishFile(t, ca, "p", "content", nil)
			pipe := c.pipe(ca, key)
			if err := os.MkdirAll(filepath.Dir(pipe), 0o755); err != nil {
				t.Fatal(err)
			}
			os.Remove(pipe)
			if err := syscall.Mkfifo(pipe, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ca.Get(key)
			var damaged *DamagedError
			switch {
			case c.damage == "" && err != nil:
				t.Errorf("Get: %v; want the entry", err)
			case c.damage != "" && (!errors.As(err, &damaged) || !strings.Contains(damaged.Reason, c.damage)):
				t.Errorf("Get: %v; want it damaged: %s", err, c.damage)
			}
			if rec, ok := ca.Failure(key); ok {
				t.Errorf("Failure: %q; want none", rec)
			}
			if _, err := ca.GC(GCOptions{}); err != nil {
				t.Errorf("GC: %v", err)
			}
		})
	}
}
