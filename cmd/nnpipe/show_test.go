package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages"
)

// runID matches a run id as run directories are named: the time it was
// made and the start of the config's hash.
var runID = regexp.MustCompile(`\d{8}T\d{6}-[0-9a-f]{8}`)

// maskRun replaces what differs between two runs of a config in printed
// output: run ids, the time it was made, the training's time and file
// sizes.
func maskRun(s, results string) string {
	for _, m := range []struct{ re, with string }{
		{regexp.QuoteMeta(results), "RESULTS"},
		{runID.String(), "RUN-ID"},
		{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`, "CREATED"},
		{` +\d+(\.\d+)? (B|KiB|MiB)\b`, " SIZE"},
		{` +\d+(\.\d+)? (µs|ms|s) │`, " TIME │"},
	} {
		s = regexp.MustCompile(m.re).ReplaceAllString(s, m.with)
	}
	return s
}

// TestRunAndShowPrintTheSummaryCellsAlike checks what run and show print
// of a run against golden files: parameters exactly as they read back
// (learning rate 0.5, epsilon 0.001), measurements with four decimals,
// in both.
func TestRunAndShowPrintTheSummaryCellsAlike(t *testing.T) {
	results := t.TempDir()
	out, stderr, code := nnpipe(t, "run", bookConfig, "--results", results, "--quiet")
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	golden(t, filepath.Join("testdata", "show", "run-book-ch7.golden"), maskRun(out, results))
	runs, _ := filepath.Glob(filepath.Join(results, "book-ch7", "2*"))
	if len(runs) != 1 {
		t.Fatalf("run directories %v, want one", runs)
	}
	out, stderr, code = nnpipe(t, "show", runs[0])
	if code != exitOK {
		t.Fatalf("show: exit %d\n%s", code, stderr)
	}
	golden(t, filepath.Join("testdata", "show", "show-book-ch7.golden"), maskRun(out, results))
}

// TestStagesListsEveryKindInOrder checks that `nnpipe stages` lists every
// kind of the registry, in its order, with its version, doc line, slots
// and parameters (the layout is Registry.WriteDoc's, tested in pipeline).
func TestStagesListsEveryKindInOrder(t *testing.T) {
	out, stderr, code := nnpipe(t, "stages")
	if code != exitOK {
		t.Fatalf("stages: exit %d\n%s", code, stderr)
	}
	at := 0
	for _, s := range stages.Builtin().Specs() {
		head := fmt.Sprintf("%s (v%d): %s\n  inputs: ", s.Kind, s.Version, s.Doc)
		i := strings.Index(out[at:], head)
		if i < 0 {
			t.Fatalf("stages does not list kind %q after the kinds before it:\n%s", s.Kind, out)
		}
		at += i + len(head)
		for _, f := range config.Describe(s.NewParams()) {
			if !strings.Contains(out[at:], "  "+f.Key+" ") {
				t.Errorf("stages does not list parameter %s of kind %q", f.Key, s.Kind)
			}
		}
	}
}

// TestTheREADMEShowsWhatTheBooksRunPrints holds the README's first example,
// the output of `nnpipe run configs/book-ch7.yaml`, to the golden file the
// run's own output is checked against above: with the run's time and the
// training's time masked, the README must show the same table and lines,
// and its run id must end in the config's hash as a real run's does.
func TestTheREADMEShowsWhatTheBooksRunPrints(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const intro = "What it prints"
	_, after, ok := strings.Cut(string(readme), "\n"+intro)
	if !ok {
		t.Fatalf("README.md has no line starting %q before the book's output", intro)
	}
	_, block, ok := strings.Cut(after, "\n```\n")
	if ok {
		block, _, ok = strings.Cut(block, "\n```\n")
	}
	if !ok {
		t.Fatalf("README.md: no fenced block after %q", intro)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "show", "run-book-ch7.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got := maskRun(block+"\n", "results"); got != string(want) {
		t.Errorf("README.md's example output, masked:\n%s\nwant (testdata/show/run-book-ch7.golden):\n%s", got, want)
	}
	f, err := config.Load(bookConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pipeline.Compile(f, stages.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	ids := runID.FindAllString(block, -1)
	if len(ids) == 0 {
		t.Fatal("README.md's example output shows no run id")
	}
	for _, id := range ids {
		if !strings.HasSuffix(id, "-"+plan.Hash[:8]) {
			t.Errorf("README.md's example run id %s, want it to end in -%s, the config's hash", id, plan.Hash[:8])
		}
	}
}

// TestShowRefusesAFolderThatIsNoRun gives show folders whose manifest.json
// is missing, a folder, or not a manifest: each is the path the user gave,
// refused with exit 2 and one line naming it, stdout empty.
func TestShowRefusesAFolderThatIsNoRun(t *testing.T) {
	cases := []struct {
		name     string
		manifest string // the manifest.json's content; "" for none, "/" for a folder
		want     string
	}{
		{"no manifest", "", "is not a finished run: no manifest.json"},
		{"a manifest that is a folder", "/", "its manifest.json is a folder"},
		{"a torn manifest", `{"run_id": "x"`, "its manifest.json is not JSON: unexpected end of JSON input"},
		{"a manifest that is binary", "\x00\xff", "its manifest.json is not JSON: invalid character"},
		{"a manifest that is a list", "[1]", "its manifest.json holds a JSON array, not an object"},
		{"a manifest with a number for the run id", `{"run_id": 3, "status": "ok"}`, "its manifest.json holds a JSON number in run_id"},
		{"a manifest without a run id", `{}`, "its manifest.json names no run id or status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "manifest.json")
			switch c.manifest {
			case "":
			case "/":
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(path, []byte(c.manifest), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stdout, stderr, code := nnpipe(t, "show", dir)
			lines := stderrLines(stderr)
			if code != exitInvalid || stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], dir) || !strings.Contains(lines[0], c.want) {
				t.Errorf("show: exit %d, stdout %q, stderr %q; want exit %d, nothing on stdout and one line naming %s and saying %q",
					code, stdout, stderr, exitInvalid, dir, c.want)
			}
		})
	}
}
