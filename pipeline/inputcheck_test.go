package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// twoStages is a config of a stage a of kind src and b of kind use.
const twoStages = "name: t\nstages:\n  - {id: a, kind: src}\n  - {id: b, kind: use}\n"

// readerChain compiles `src` (writes "rows") followed by `use` (copies its
// input); during reads, use's Run calls it with the path of its input, a
// file in src's cache entry.
func readerChain(t *testing.T, during func(input string)) *Chain {
	t.Helper()
	none := func() Params { return noParams{} }
	return compileWith(t, twoStages,
		Spec{Kind: "src", Version: 1, NewParams: none, Outputs: []Output{{Slot: "rows", Type: "rows", File: "rows.txt"}},
			Run: func(_ context.Context, _ Params, io *IO) error {
				return os.WriteFile(io.Output("rows"), []byte("rows"), 0o644)
			}},
		Spec{Kind: "use", Version: 1, NewParams: none,
			Inputs:  []Input{{Slot: "rows", Type: "rows"}},
			Outputs: []Output{{Slot: "copy", Type: "rows", File: "copy.txt"}},
			Run: func(_ context.Context, _ Params, io *IO) error {
				during(io.Input("rows"))
				b, err := os.ReadFile(io.Input("rows"))
				if err != nil {
					return err
				}
				return os.WriteFile(io.Output("copy"), b, 0o644)
			}},
	)
}

// TestAStageWhoseCachedInputChangesWhileItRunsPublishesNothing edits the
// cache entry a stage reads after the entry was verified, as another
// program could: what the stage made of the other bytes would be an entry
// under a key that names the first ones, a hit for every later run.
func TestAStageWhoseCachedInputChangesWhileItRunsPublishesNothing(t *testing.T) {
	dir := t.TempDir()
	edit := func(input string) {
		if err := os.WriteFile(input, []byte("ROWS"), 0o644); err != nil { // same size
			t.Fatal(err)
		}
	}
	eng := &Engine{Cache: cache.Open(dir), Version: "test"}
	_, err := eng.Run(context.Background(), readerChain(t, edit))
	if !errors.Is(err, ErrInputChanged) {
		t.Fatalf("Run with the input edited while the stage read it = %v, want %v", err, ErrInputChanged)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	listed, err := eng.Cache.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range listed {
		if l.Entry != nil {
			if _, ok := l.Entry.File("copy.txt"); ok {
				t.Errorf("the cache holds an entry of the stage that read the edited input: %s", l.Dir)
			}
		}
	}
	// The next run finds src's entry damaged, recomputes it, and then b.
	eng = &Engine{Cache: cache.Open(dir), Version: "test"}
	defer eng.Close()
	r, err := eng.Run(context.Background(), readerChain(t, func(string) {}))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(r[1].Outputs["copy"]); string(b) != "rows" {
		t.Errorf("the rerun's copy holds %q, want rows", b)
	}
}

func TestAStageWhoseCachedInputIsUnchangedPublishes(t *testing.T) {
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng.Close()
	r, err := eng.Run(context.Background(), readerChain(t, func(string) {}))
	if err != nil {
		t.Fatal(err)
	}
	if r[1].Cached {
		t.Fatal("the first run's b is a hit")
	}
	if _, err := eng.Cache.Get(r[1].Key); err != nil {
		t.Errorf("b's entry: %v", err)
	}
}

// TestAFolderInputIsCheckedAsItsKeyDigestsIt reads a folder output (two
// files, one in a subfolder) unchanged, and then with one file edited.
func TestAFolderInputIsCheckedAsItsKeyDigestsIt(t *testing.T) {
	none := func() Params { return noParams{} }
	chain := func(during func(string)) *Chain {
		return compileWith(t, twoStages,
			Spec{Kind: "src", Version: 1, NewParams: none, Outputs: []Output{{Slot: "figs", Type: "figs", File: "figs/"}},
				Run: func(_ context.Context, _ Params, io *IO) error {
					if err := os.MkdirAll(io.Output("figs")+"/sub", 0o755); err != nil {
						return err
					}
					if err := os.WriteFile(io.Output("figs")+"/sub/b.txt", []byte("b"), 0o644); err != nil {
						return err
					}
					return os.WriteFile(io.Output("figs")+"/a.txt", []byte("a"), 0o644)
				}},
			Spec{Kind: "use", Version: 1, NewParams: none, Inputs: []Input{{Slot: "figs", Type: "figs"}},
				Outputs: []Output{{Slot: "n", Type: "n", File: "n.txt"}},
				Run: func(_ context.Context, _ Params, io *IO) error {
					during(io.Input("figs"))
					return os.WriteFile(io.Output("n"), []byte("2"), 0o644)
				}},
		)
	}
	dir := t.TempDir()
	eng := &Engine{Cache: cache.Open(dir), Version: "test"}
	if _, err := eng.Run(context.Background(), chain(func(string) {})); err != nil {
		t.Fatalf("Run with the folder unchanged = %v", err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	edit := func(figs string) {
		if err := os.WriteFile(figs+"/sub/b.txt", []byte("B"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eng = &Engine{Cache: cache.Open(dir), Version: "test", NoCache: true}
	defer eng.Close()
	if _, err := eng.Run(context.Background(), chain(edit)); !errors.Is(err, ErrInputChanged) {
		t.Errorf("Run with a file of the folder edited = %v, want %v", err, ErrInputChanged)
	}
}

// TestAnEntryEditedToLeaveOutAnOutputNamesTheFolderToRemove edits a
// stage's entry as a person could: its output removed, and entry.json
// made to match. The entry is whole as it says, so the run stops, naming
// the folder to remove; once it is removed, the run computes the stage
// again.
func TestAnEntryEditedToLeaveOutAnOutputNamesTheFolderToRemove(t *testing.T) {
	dir := t.TempDir()
	eng := &Engine{Cache: cache.Open(dir), Version: "test"}
	r, err := eng.Run(context.Background(), readerChain(t, func(string) {}))
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()
	entry := cache.Open(dir).Path(r[0].Key)
	if err := os.Remove(filepath.Join(entry, "rows.txt")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(entry, cache.EntryFile))
	if err != nil {
		t.Fatal(err)
	}
	e, err := cache.ParseEntry(raw, entry)
	if err != nil {
		t.Fatal(err)
	}
	e.Files = nil
	b, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(entry, cache.EntryFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	eng = &Engine{Cache: cache.Open(dir), Version: "test"}
	_, err = eng.Run(context.Background(), readerChain(t, func(string) {}))
	eng.Close()
	if err == nil || !strings.Contains(err.Error(), "lacks output rows.txt") || !strings.Contains(err.Error(), "remove "+entry+" and run again") {
		t.Fatalf("Run over the edited entry: %v; want it to name the folder to remove", err)
	}
	if err := os.RemoveAll(entry); err != nil {
		t.Fatal(err)
	}
	eng = &Engine{Cache: cache.Open(dir), Version: "test"}
	defer eng.Close()
	if r, err := eng.Run(context.Background(), readerChain(t, func(string) {})); err != nil || r[0].Cached {
		t.Errorf("Run after the removal: %v; want the stage computed again", err)
	}
}
