package cache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/polltest"
)

// TestGCStopsAtEachLookAtItsContext interrupts a gc at each of its looks
// at its context in turn, from the first to the one after which it has
// finished, over a cache of kept and doomed entries, one of them holding a
// file it did not make, and a stale build folder. Each time, gc must
// return the interrupt (or, past its last look, finish) and leave every
// entry whole or gone; the next gc must then finish the work: the doomed
// entries and the stale folders gone, the kept entries whole, the entry
// with a foreign file quarantined with it.
func TestGCStopsAtEachLookAtItsContext(t *testing.T) {
	keys := make([]string, 6)
	for i := range keys {
		keys[i] = Key("entry " + string(rune('a'+i)))
	}
	keep := func(k string) bool { return slices.Index(keys, k)%3 == 0 }
	foreignKey := keys[1]
	setup := func(t *testing.T) string {
		dir := t.TempDir()
		c := Open(dir)
		for _, k := range keys {
			publishOutputs(t, c, k, sampleOutputs, nil)
		}
		must(t, c.Close())
		must(t, os.WriteFile(filepath.Join(c.Path(foreignKey), "mine.txt"), []byte("keep me"), 0o644))
		must(t, os.MkdirAll(filepath.Join(dir, tmpDir, "build-killed"), 0o755))
		return dir
	}
	opts := GCOptions{Keep: keep} // nothing is recent
	for at := 1; ; at++ {
		dir := setup(t)
		ctx := &polltest.Context{Context: context.Background(), CancelAt: at}
		c := OpenContext(ctx, dir)
		_, err := c.GC(opts)
		must(t, c.Close())
		finished := err == nil
		if !finished && !errors.Is(err, context.Canceled) {
			t.Fatalf("GC interrupted at look %d = %v, want context.Canceled", at, err)
		}
		listed, lerr := Open(dir).List()
		must(t, lerr)
		for _, l := range listed {
			if l.Err != nil {
				t.Errorf("after GC interrupted at look %d: entry %s is damaged: %v", at, l.Key[:12], l.Err)
			}
		}
		// The interrupted gc's lease is gone: its trash folder is a
		// leftover like any other.
		res := gcOnce(t, dir, opts)
		var left []string
		for _, l := range must2(t)(Open(dir).List()) {
			left = append(left, l.Key)
		}
		var want []string
		for _, k := range keys {
			if keep(k) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		if !reflect.DeepEqual(left, want) {
			t.Errorf("interrupted at look %d, then gc: entries %d, want the %d kept", at, len(left), len(want))
		}
		q, _ := os.ReadDir(filepath.Join(dir, quarantineDir))
		if len(q) != 1 {
			t.Errorf("interrupted at look %d, then gc: quarantine holds %d folders, want the entry with a foreign file", at, len(q))
		}
		if tmps, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(tmps) != 0 {
			t.Errorf("interrupted at look %d, then gc: tmp/ holds %v (the second gc said %+v)", at, tmps, res.Leftovers)
		}
		if finished {
			if at <= len(keys) {
				t.Errorf("GC finished before its look %d: it does not look at its context at each of the %d entries", at, len(keys))
			}
			t.Logf("GC finished before its look %d", at)
			return
		}
	}
}

// must2 returns a function that fails t on err and returns v.
func must2(t *testing.T) func(v []Listed, err error) []Listed {
	return func(v []Listed, err error) []Listed {
		t.Helper()
		must(t, err)
		return v
	}
}

// TestAnInterruptedGCLeavesAFailedStagesOutputsToBeRemoved: what a failed
// stage kept (failures/<key>/, without an entry.json) is a leftover that gc
// removes. Interrupted after moving it aside, gc leaves it in its trash
// folder, where the next gc must remove it too, not take it for an entry
// whose files are foreign and quarantine it with a warning.
func TestAnInterruptedGCLeavesAFailedStagesOutputsToBeRemoved(t *testing.T) {
	k := Key("diverged")
	for at := 1; ; at++ {
		dir := t.TempDir()
		c := Open(dir)
		b, err := c.TempDir()
		must(t, err)
		must(t, os.WriteFile(filepath.Join(b, "history.parquet"), []byte("history"), 0o644))
		_, err = c.KeepFailed(k, b)
		must(t, err)
		must(t, c.Close())

		ctx := &polltest.Context{Context: context.Background(), CancelAt: at}
		g := OpenContext(ctx, dir)
		_, err = g.GC(GCOptions{})
		must(t, g.Close())
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("GC interrupted at look %d = %v, want context.Canceled", at, err)
		}
		res := gcOnce(t, dir, GCOptions{})
		if len(res.Quarantined) != 0 {
			t.Errorf("interrupted at look %d, then gc: quarantined %+v, want the failed stage's outputs removed", at, res.Quarantined)
		}
		if left, _ := os.ReadDir(filepath.Join(dir, failuresDir)); len(left) != 0 {
			t.Errorf("interrupted at look %d, then gc: failures/ holds %d names", at, len(left))
		}
		if err == nil {
			return
		}
	}
}

// TestARecentTrashFolderOfAProcessGoneIsRemoved: the trash folder an
// interrupted gc leaves holds nothing anyone may want back, so the next gc
// removes it however recent, with the default --keep-recent of an hour;
// an entry in it with a file it did not make is quarantined first.
func TestARecentTrashFolderOfAProcessGoneIsRemoved(t *testing.T) {
	dir := t.TempDir()
	c := Open(dir)
	k := Key("moved aside")
	publishOutputs(t, c, k, sampleOutputs, nil)
	must(t, c.Close())
	trash := filepath.Join(dir, tmpDir, trashPrefix+"interrupted")
	must(t, os.MkdirAll(trash, 0o755))
	must(t, os.Rename(c.Path(k), filepath.Join(trash, "0-"+k)))
	must(t, os.WriteFile(filepath.Join(trash, "0-"+k, "mine.txt"), []byte("keep me"), 0o644))
	res := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
	if len(res.Leftovers) != 1 || res.Leftovers[0].What != "trash folder" || len(res.Quarantined) != 1 {
		t.Errorf("gc: leftovers %+v, quarantined %+v; want the trash folder removed and its entry quarantined", res.Leftovers, res.Quarantined)
	}
	if exists(trash) {
		t.Error("gc kept a recent trash folder of a process that is gone")
	}
}

// errKilled stands for the kill of a process in the middle of a removal.
var errKilled = errors.New("killed")

// TestATrashFolderCutShortHoldsNoEntryForTheNextGCToQuarantine: a process
// killed at any moment while it deletes an entry from its trash folder
// (gc emptying its trash, a run discarding a damaged entry) leaves the
// next gc nothing it takes for files nnpipe did not make, because each
// folder's entry.json goes last. Before, a kill after entry.json went and
// before the entry's other files did had the next gc quarantine them,
// saying the entry held files it did not list.
func TestATrashFolderCutShortHoldsNoEntryForTheNextGCToQuarantine(t *testing.T) {
	for _, at := range []string{"0-KEY", "KEY", "3-trash-older/12-KEY"} {
		for kill := 0; ; kill++ {
			dir := t.TempDir()
			c := Open(dir)
			k := Key("trashed")
			publishOutputs(t, c, k, sampleOutputs, nil)
			must(t, c.Close())
			trash := filepath.Join(dir, tmpDir, trashPrefix+"killed")
			entry := filepath.Join(trash, filepath.FromSlash(strings.ReplaceAll(at, "KEY", k)))
			must(t, os.MkdirAll(filepath.Dir(entry), 0o755))
			must(t, os.Rename(c.Path(k), entry))
			removed := 0
			err := removeEntryJSONLast(trash, func(p string) error {
				if removed == kill {
					return errKilled
				}
				removed++
				return os.Remove(p)
			})
			if err == nil {
				break // every removal done: each kill point was tried
			}
			res := gcOnce(t, dir, GCOptions{KeepRecent: time.Hour})
			if len(res.Quarantined) != 0 {
				t.Errorf("%s, killed after %d removals: the next gc quarantined %+v, want nothing", at, kill, res.Quarantined)
			}
			if exists(trash) {
				t.Errorf("%s, killed after %d removals: the next gc kept the trash folder", at, kill)
			}
		}
	}
}
