package predict

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// stageWorkspace writes a model file and a data file into a new folder and returns it with
// the stage's parameters for them (relative paths, as a config gives them).
func stageWorkspace(t *testing.T) (string, *Params) {
	t.Helper()
	dir := t.TempDir()
	if err := testModel("a", "b").Write(filepath.Join(dir, "model.json")); err != nil {
		t.Fatal(err)
	}
	writeCSV(t, dir, 50, func(i int) string { return []string{"a", "b"}[i%2] })
	p := NewParams()
	p.Run, p.Path = "model.json", "data.csv"
	return dir, p
}

// runWith runs the stage on p in dir with the fingerprint f, writing out.
func runWith(dir string, p *Params, f, out string) error {
	io := pipeline.NewIO("score", nil, map[string]string{"predictions": out})
	io.BaseDir, io.Fingerprint = dir, f
	return Spec().Run(context.Background(), p, io)
}

func TestFingerprintFollowsTheModelAndTheData(t *testing.T) {
	dir, p := stageWorkspace(t)
	first, err := Fingerprint(p, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, d, err := parseFingerprint(first); err != nil || len(m) != 64 || len(d) != 64 {
		t.Fatalf("parseFingerprint(%q) = %q, %q, %v", first, m, d, err)
	}
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, append(readFile(t, data), "99,1,a,2,n\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	second, _ := Fingerprint(p, dir)
	m := testModel("a", "b")
	m.Weights[0] = 42
	if err := m.Write(filepath.Join(dir, "model.json")); err != nil {
		t.Fatal(err)
	}
	third, _ := Fingerprint(p, dir)
	if first == second || second == third || first == third {
		t.Errorf("fingerprints %q, %q, %q: want a new one for new data and for a new model", first, second, third)
	}
}

// TestStageRefusesWhatChangedSinceTheKey runs the stage with the fingerprint the key holds
// after the data, then the model, changed: it must fail without writing, and not as invalid
// input (running again reads the new content).
func TestStageRefusesWhatChangedSinceTheKey(t *testing.T) {
	dir, p := stageWorkspace(t)
	out := filepath.Join(dir, "out.parquet")
	f, err := Fingerprint(p, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := runWith(dir, p, f, out); err != nil {
		t.Fatalf("the stage with its own fingerprint: %v", err)
	}
	os.Remove(out)
	data := filepath.Join(dir, "data.csv")
	before := readFile(t, data)
	// A change the scores do not see (an ignored column) still changes the bytes the key hashed.
	if err := os.WriteFile(data, []byte(strings.Replace(string(before), ",n\n", ",m\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	err = runWith(dir, p, f, out)
	if !errors.Is(err, dataset.ErrChanged) || pipeline.IsInvalid(err) {
		t.Errorf("the stage on data changed since its key = %v, want ErrChanged, not invalid input", err)
	}
	if err := os.WriteFile(data, before, 0o644); err != nil {
		t.Fatal(err)
	}
	m := testModel("a", "b")
	m.Steps = 99
	if err := m.Write(filepath.Join(dir, "model.json")); err != nil {
		t.Fatal(err)
	}
	err = runWith(dir, p, f, out)
	if !errors.Is(err, errModelChanged) || pipeline.IsInvalid(err) {
		t.Errorf("the stage with a model changed since its key = %v, want the model changed, not invalid input", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused stage left %s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d files, want the model and the data", len(entries))
	}
}

// TestFingerprintRefusesARunWithoutAModel points the stage at run directories that cannot
// predict: the key cannot be made, and the error is the user's, naming why.
func TestFingerprintRefusesARunWithoutAModel(t *testing.T) {
	dir, p := stageWorkspace(t)
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := `{"format": 2, "status": "diverged", "error": "stage \"train\": diverged at step 1: E = +Inf; try a smaller learning_rate"}`
	if err := os.WriteFile(filepath.Join(run, "manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Run = "run"
	_, err := Fingerprint(p, dir)
	if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "the run diverged (stage \"train\": diverged at step 1") {
		t.Errorf("Fingerprint of a diverged run = %v, want invalid input saying it diverged", err)
	}
	p.Run = "nowhere"
	if _, err := Fingerprint(p, dir); !pipeline.IsInvalid(err) {
		t.Errorf("Fingerprint of a missing run = %v, want invalid input", err)
	}
}

func TestParamsValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Params)
		keys string
	}{
		{"the defaults with the files", func(*Params) {}, ""},
		{"no run and no path", func(p *Params) { p.Run, p.Path = "", "" }, "run path"},
		{"an unknown extension", func(p *Params) { p.Path = "data.txt" }, "path"},
		{"an unknown format", func(p *Params) { p.Format = "xlsx" }, "format"},
		{"a long delimiter", func(p *Params) { p.Delimiter = ";;" }, "delimiter"},
		{"a NUL delimiter", func(p *Params) { p.Delimiter = "\x00" }, "delimiter"},
		{"a delimiter for Parquet", func(p *Params) { p.Path, p.Delimiter = "d.parquet", ";" }, "delimiter"},
		{"no header for Parquet", func(p *Params) { p.Path, p.Header = "d.pq", false }, "header"},
	} {
		p := NewParams()
		p.Run, p.Path = "run", "data.csv"
		tt.edit(p)
		var keys []string
		for _, e := range p.Validate() {
			keys = append(keys, e.Key)
		}
		if got := strings.Join(keys, " "); got != tt.keys {
			t.Errorf("%s: Validate names %q, want %q", tt.name, got, tt.keys)
		}
	}
}

// TestCanonicalNamesTheModelFileARunDirectoryHolds checks the form a sweep
// compares: a run directory becomes its model file, still relative to the
// config's folder as the run was (the caller joins it once), and a model
// file or a path to nothing stays as written.
func TestCanonicalNamesTheModelFileARunDirectoryHolds(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "runs", "r1"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ run, want string }{
		{"runs/r1", filepath.Join("runs", "r1", "model.json")},
		{filepath.Join(base, "runs", "r1"), filepath.Join(base, "runs", "r1", "model.json")},
		{"runs/r1/model.json", "runs/r1/model.json"},
		{"runs/none", "runs/none"},
	} {
		p := NewParams()
		p.Run, p.Path = c.run, "data.csv"
		if got := p.Canonical(base).(*Params); got.Run != c.want || got.Format != "csv" {
			t.Errorf("Canonical(%q) run %q format %q, want %q and csv", c.run, got.Run, got.Format, c.want)
		}
	}
}

// TestAFormatTheExtensionNamesKeysAsLeftOut checks that writing out the
// format the data file's extension names gives the canonical JSON, hence
// the cache key and the config hash, of leaving it out; another format is
// kept.
func TestAFormatTheExtensionNamesKeysAsLeftOut(t *testing.T) {
	for _, tt := range []struct {
		path, format string
		same         bool
	}{
		{"new.csv", CSV, true},
		{"new.parquet", Parquet, true},
		{"new.pq", Parquet, true},
		{"new.csv", Parquet, false},
		{"new.txt", CSV, false},
	} {
		left := &Params{Run: "run", Path: tt.path, Delimiter: ",", Header: true}
		written := &Params{Run: "run", Path: tt.path, Format: tt.format, Delimiter: ",", Header: true}
		a, err := pipeline.ParamsJSON(left)
		if err != nil {
			t.Fatal(err)
		}
		b, err := pipeline.ParamsJSON(written)
		if err != nil {
			t.Fatal(err)
		}
		if (string(a) == string(b)) != tt.same {
			t.Errorf("path %s: format left out gives %s, format %s gives %s; want them equal: %t", tt.path, a, tt.format, b, tt.same)
		}
	}
}
