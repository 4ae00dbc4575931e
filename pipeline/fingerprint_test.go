package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// errChanged is what the test kind returns when what it reads is not what its key describes.
var errChanged = errors.New("changed since the key was computed")

// fileSpec is a kind like `load`: its fingerprint is the content of a file, which Run reads
// again and must find unchanged; between runs after the key and before the read.
func fileSpec(path string, between func()) Spec {
	return Spec{
		Kind: "file", Version: 1, Outputs: []Output{{Slot: "data", File: "data.txt"}},
		NewParams: func() Params { return noParams{} },
		Fingerprint: func(Params, string) (string, error) {
			b, err := os.ReadFile(path)
			return "content " + string(b), err
		},
		Run: func(_ context.Context, _ Params, io *IO) error {
			between()
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if io.Fingerprint != "content "+string(b) {
				return errChanged
			}
			return os.WriteFile(io.Output("data"), b, 0o644)
		},
	}
}

func runFileSpec(t *testing.T, eng *Engine, spec Spec) ([]*StageResult, error) {
	t.Helper()
	return eng.Run(context.Background(), fileChain(t, spec))
}

// fileChain compiles a config of one stage, data, of spec's kind.
func fileChain(t *testing.T, spec Spec) *Chain {
	t.Helper()
	return compileWith(t, "name: t\nstages:\n  - {id: data, kind: file}\n", spec)
}

// compileWith compiles the config src against a registry of specs.
func compileWith(t *testing.T, src string, specs ...Spec) *Chain {
	t.Helper()
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse("test.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunHandsTheKeysFingerprintToTheStage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	r, err := runFileSpec(t, eng, fileSpec(path, func() {}))
	if err != nil {
		t.Fatalf("Run with an unchanged file = %v", err)
	}
	entry, err := eng.Cache.Get(r[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(entry.Dir, "data.txt")); string(b) != "old" {
		t.Errorf("the entry holds %q, want old", b)
	}
}

func TestRunPublishesNothingWhenTheStageFindsItsInputChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	eng := &Engine{Cache: cache.Open(dir), Version: "test"}
	rewrite := func() {
		if err := os.WriteFile(path, []byte("new"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := runFileSpec(t, eng, fileSpec(path, rewrite)); !errors.Is(err, errChanged) {
		t.Fatalf("Run with the file rewritten after the key = %v, want %v", err, errChanged)
	}
	// The engine's lease is the process's own: closing it must leave the
	// cache as the refused stage found it, empty.
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if len(files) > 0 {
		t.Errorf("the cache holds %v after the stage refused, want nothing", files)
	}
	// The next run keys the new content and computes it.
	r, err := runFileSpec(t, eng, fileSpec(path, func() {}))
	if err != nil {
		t.Fatal(err)
	}
	entry, err := eng.Cache.Get(r[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(entry.Meta), "fingerprint content new") {
		t.Errorf("the entry's preimage does not hold the new content's fingerprint: %s", entry.Meta)
	}
}

// TestAnEngineTakesAFingerprintOnce runs the same chain twice on one
// engine, as the trials of a sweep do, with the file rewritten in between:
// the second run has the first's key and reuses its entry (every trial of a
// sweep sees the data as it was when the sweep first looked, and the file
// is read once, not once a trial), and after Close the engine takes the
// fingerprint anew and keys the new content.
func TestAnEngineTakesAFingerprintOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken := 0
	spec := fileSpec(path, func() {})
	fingerprint := spec.Fingerprint
	spec.Fingerprint = func(p Params, base string) (string, error) {
		taken++
		return fingerprint(p, base)
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	first, err := runFileSpec(t, eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := runFileSpec(t, eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].Key != first[0].Key || !second[0].Cached || taken != 1 {
		t.Errorf("the second run: same key %v, cached %v, fingerprints taken %d; want the first run's entry and one fingerprint",
			second[0].Key == first[0].Key, second[0].Cached, taken)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := runFileSpec(t, eng, spec)
	if err != nil {
		t.Fatal(err)
	}
	if third[0].Key == first[0].Key || third[0].Cached || taken != 2 {
		t.Errorf("after Close: same key %v, cached %v, fingerprints taken %d; want a new key for the new content",
			third[0].Key == first[0].Key, third[0].Cached, taken)
	}
}

// TestAnEngineTakesAFilesFingerprintOnceHoweverTheStageIsSet runs stages
// of one kind that name the same file with other parameters, and by
// another spelling of its path, with the file rewritten in between: one
// fingerprint is taken, so every one of them keys the content the engine
// first saw, as the trials of a sweep whose axis sets the load stage do.
func TestAnEngineTakesAFilesFingerprintOnceHoweverTheStageIsSet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken := 0
	spec := Spec{Kind: "file", Version: 1, PathKeys: []string{"path"},
		Outputs:   []Output{{Slot: "data", File: "data.txt"}},
		NewParams: func() Params { return &pathParams{} },
		Fingerprint: func(p Params, base string) (string, error) {
			taken++
			b, err := os.ReadFile(filepath.Join(base, p.(*pathParams).Path))
			return "content " + string(b), err
		},
		Run: func(_ context.Context, _ Params, io *IO) error { return os.WriteFile(io.Output("data"), nil, 0o644) },
	}
	reg, err := NewRegistry(spec)
	if err != nil {
		t.Fatal(err)
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	var preimages []string
	for i, with := range []string{"{path: in.txt, n: 1}", "{path: ./in.txt, n: 2}", "{path: in.txt, n: 3}"} {
		f, err := config.Parse(filepath.Join(dir, "t.yaml"), []byte("name: t\nstages:\n  - {id: data, kind: file, with: "+with+"}\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(f, reg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Run(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		_, preimage, _, err := eng.Key(p, p.Stages[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		preimages = append(preimages, preimage)
		if i == 0 {
			if err := os.WriteFile(path, []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, pre := range preimages {
		if !strings.Contains(pre, "fingerprint content old\n") {
			t.Errorf("stage %d keys %q, want the content the engine first saw", i+1, pre)
		}
	}
	if taken != 1 {
		t.Errorf("the file's fingerprint was taken %d times, want once", taken)
	}
}

// TestExplainNamesAChangedFingerprint edits the file a stage reads between a run and a plan:
// the plan must say that what the stage reads changed, the most common reason a load misses,
// rather than that the entries differ in nothing they record.
func TestExplainNamesAChangedFingerprint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spec := fileSpec(path, func() {})
	if _, err := runFileSpec(t, &Engine{Cache: cache.Open(dir), Version: "test"}, spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := fileChain(t, spec)
	eng := &Engine{Cache: cache.Open(dir), Version: "test"}
	h, err := ReadHistory(eng.Cache)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := eng.Explain(p, h)
	if err != nil {
		t.Fatal(err)
	}
	sp := plans[0]
	want := []Change{{Kind: ChangeFingerprint, Old: "content old", New: "content new"}}
	if sp.Cached || sp.Nearest == nil || !slices.Equal(sp.Nearest.Changes, want) {
		t.Fatalf("Explain = cached %v, nearest %+v; want a miss whose one change is the fingerprint", sp.Cached, sp.Nearest)
	}
	if got, want := planReason(sp), "miss: what it reads changed (content old → content new)"; got != want {
		t.Errorf("plan reason = %q, want %q", got, want)
	}
}
