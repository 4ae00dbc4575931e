package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// TestNoCacheSaysWhenTheEntryOfItsKeyHoldsOtherOutputs recomputes, with
// NoCache, a stage whose cache entry holds other bytes than the
// computation makes (as an entry of another build of nnpipe would, or one
// edited with its entry.json made to match): the cache keeps its entry,
// and the run must say that it uses it instead of what it recomputed. An
// entry that holds what the computation makes is reused without a word.
func TestNoCacheSaysWhenTheEntryOfItsKeyHoldsOtherOutputs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first string // what the first computation writes; the second writes "same"
		warns bool
	}{
		{"other outputs", "other", true},
		{"the same outputs", "same", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			chain := compileWith(t, "name: t\nstages:\n  - {id: a, kind: src}\n",
				Spec{Kind: "src", Version: 1, NewParams: func() Params { return noParams{} },
					Outputs: []Output{{Slot: "rows", Type: "rows", File: "rows.txt"}},
					Run: func(_ context.Context, _ Params, io *IO) error {
						runs++
						content := "same"
						if runs == 1 {
							content = tc.first
						}
						return os.WriteFile(io.Output("rows"), []byte(content), 0o644)
					}})
			dir := t.TempDir()
			eng := &Engine{Cache: cache.Open(dir), Version: "test"}
			if _, err := eng.Run(context.Background(), chain); err != nil {
				t.Fatal(err)
			}
			eng.Close()
			var log bytes.Buffer
			eng = &Engine{Cache: cache.Open(dir), Version: "test", NoCache: true, Log: slog.New(slog.NewTextHandler(&log, nil))}
			defer eng.Close()
			r, err := eng.Run(context.Background(), chain)
			if err != nil {
				t.Fatal(err)
			}
			if runs != 2 {
				t.Fatalf("the stage ran %d times, want 2", runs)
			}
			b, err := os.ReadFile(r[0].Outputs["rows"])
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.first {
				t.Errorf("the run's output holds %q, want the entry's %q", b, tc.first)
			}
			warned := strings.Contains(log.String(), "the cache already held other outputs for this key")
			if warned != tc.warns {
				t.Errorf("warned %v, want %v; log:\n%s", warned, tc.warns, log.String())
			}
			if tc.warns && !strings.Contains(log.String(), "stage=a files=rows.txt entry="+cache.Open(dir).Path(r[0].Key)) {
				t.Errorf("the warning names neither the stage, the file nor the entry:\n%s", log.String())
			}
		})
	}
}

// locatedStore is a file cache whose entries say they are stored
// elsewhere (as an S3 store's entries, whose files are in a local copy).
type locatedStore struct{ cache.Store }

func (s locatedStore) Publish(key, dir string, meta any) (*cache.Entry, error) {
	e, err := s.Store.Publish(key, dir, meta)
	if e != nil {
		e.Location = "s3://bucket/prefix/v1/" + key[:2] + "/" + key
	}
	return e, err
}

// TestNoCacheNamesTheEntryWhereItIsStored checks that the warning of a
// NoCache run whose recomputed outputs differ from the entry names the
// entry where it is stored (Location), which is what to remove, rather
// than the folder its files were copied into.
func TestNoCacheNamesTheEntryWhereItIsStored(t *testing.T) {
	runs := 0
	chain := compileWith(t, "name: t\nstages:\n  - {id: a, kind: src}\n",
		Spec{Kind: "src", Version: 1, NewParams: func() Params { return noParams{} },
			Outputs: []Output{{Slot: "rows", Type: "rows", File: "rows.txt"}},
			Run: func(_ context.Context, _ Params, io *IO) error {
				runs++
				return os.WriteFile(io.Output("rows"), []byte(strings.Repeat("x", runs)), 0o644)
			}})
	dir := t.TempDir()
	eng := &Engine{Cache: locatedStore{cache.Open(dir)}, Version: "test"}
	r, err := eng.Run(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	eng.Close()
	var log bytes.Buffer
	eng = &Engine{Cache: locatedStore{cache.Open(dir)}, Version: "test", NoCache: true, Log: slog.New(slog.NewTextHandler(&log, nil))}
	defer eng.Close()
	if _, err := eng.Run(context.Background(), chain); err != nil {
		t.Fatal(err)
	}
	want := "entry=s3://bucket/prefix/v1/" + r[0].Key[:2] + "/" + r[0].Key
	if !strings.Contains(log.String(), "the cache already held other outputs") || !strings.Contains(log.String(), want) {
		t.Errorf("the warning does not name the entry where it is stored (%s):\n%s", want, log.String())
	}
}
