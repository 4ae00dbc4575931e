package cache

import (
	"errors"
	"syscall"
	"testing"
)

// TestGCDryRunOfAReadOnlyCache: a dry run only looks, so it works on a
// cache mounted read-only (its lock file opened for reading), listing
// what gc would remove; gc itself is refused there.
func TestGCDryRunOfAReadOnlyCache(t *testing.T) {
	src := t.TempDir()
	setup := Open(src)
	setup.now = twoHoursAgo
	k := Key("old")
	publishOutputs(t, setup, k, sampleOutputs, nil)
	must(t, setup.Close())

	ro := t.TempDir()
	if err := syscall.Mount(src, ro, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("cannot bind-mount here (%v): this case needs root and mount rights", err)
	}
	t.Cleanup(func() { syscall.Unmount(ro, syscall.MNT_DETACH) })
	if err := syscall.Mount("", ro, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot make the mount read-only (%v)", err)
	}
	c := Open(ro)
	defer c.Close()
	res, err := c.GC(GCOptions{DryRun: true})
	if err != nil {
		t.Fatalf("gc --dry-run of a read-only cache: %v", err)
	}
	if got := removedKeys(res); len(got) != 1 || got[0] != k {
		t.Errorf("the dry run would remove %v, want %s", got, short(k))
	}
	if _, err := c.GC(GCOptions{}); !errors.Is(err, syscall.EROFS) {
		t.Errorf("gc of a read-only cache = %v, want a read-only file system error", err)
	}
}
