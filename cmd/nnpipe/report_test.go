package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// TestRunAndSweepWriteReportsAndReportReadsThemAll: run writes the run
// directory's report.html (listed in its manifest), sweep its sweep
// directory's (not one per trial), and report writes one page of a folder
// of both, naming on stderr a summary it skipped.
func TestRunAndSweepWriteReportsAndReportReadsThemAll(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	run := runJSONOf(t, "testdata/ok.yaml", "--results", res)
	page := readFile(t, filepath.Join(run.RunDir, results.ReportFile))
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || !bytes.Contains(page, []byte(run.RunID)) {
		t.Errorf("the run's report.html does not show the run %s", run.RunID)
	}
	if err := results.CheckRun(run.RunDir); err != nil {
		t.Errorf("the run directory with its report: %v", err)
	}
	sw, code, stderr := sweepJSONOf(t, smallSweep, "--results", res)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(sw.SweepDir, results.ReportFile)); err != nil {
		t.Errorf("the sweep directory has no report.html: %v", err)
	}
	for _, tr := range sw.Trials {
		if _, err := os.Stat(filepath.Join(tr.RunDir, results.ReportFile)); err == nil {
			t.Errorf("trial %s has a report.html of its own", tr.TrialID)
		}
	}
	damaged := filepath.Join(res, "damaged", results.SummaryFile)
	if err := os.MkdirAll(filepath.Dir(damaged), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, []byte("PAR1 not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "all.html")
	stdout, stderr, code := nnpipe(t, "report", res, "-o", out)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	want := out + ": " + report.Plural(1+len(sw.Trials), "run", "runs") + "\n"
	if stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	lines := stderrLines(stderr)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "nnpipe: warning: skipped "+damaged+": ") {
		t.Errorf("stderr = %q, want one warning naming the damaged summary", stderr)
	}
	if b := readFile(t, out); !bytes.Contains(b, []byte(run.RunID)) || !bytes.Contains(b, []byte(sw.Trials[0].TrialID)) {
		t.Error("the report does not show the run and the sweep's trials")
	}
	// A run or sweep directory holds only what nnpipe wrote: a page added
	// would no longer match its manifest.
	for _, inside := range []string{filepath.Join(run.RunDir, "all.html"), filepath.Join(sw.SweepDir, "plots", "all.html")} {
		_, stderr, code := nnpipe(t, "report", res, "-o", inside)
		if code != exitInvalid || !strings.Contains(stderr, "inside the run or sweep directory") {
			t.Errorf("report -o %s: exit %d, %q; want exit %d naming the directory", inside, code, stderr, exitInvalid)
		}
		if _, err := os.Stat(inside); err == nil {
			t.Errorf("report -o %s wrote the page into the directory", inside)
		}
	}
	if err := results.CheckRun(run.RunDir); err != nil {
		t.Errorf("the run directory after report -o into it: %v", err)
	}
}

// TestADirectorysReportIsWhatReportOfDotWritesInIt: the report.html that
// run and sweep write is, byte for byte, the page `nnpipe report . -o FILE`
// writes in that directory, titled by the directory's name.
func TestADirectorysReportIsWhatReportOfDotWritesInIt(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	run := runJSONOf(t, "testdata/ok.yaml", "--results", res)
	out := runJSONOf(t, "testdata/ok.yaml", "--results", res, "--out", filepath.Join(dir, "named"))
	sw, code, stderr := sweepJSONOf(t, smallSweep, "--results", res)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, stderr)
	}
	cases := []struct {
		name, dir string
	}{
		{"a run's directory", run.RunDir},
		{"a run written to --out", out.RunDir},
		{"a sweep's directory", sw.SweepDir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "page.html")
			t.Chdir(c.dir)
			if _, stderr, code := nnpipe(t, "report", ".", "-o", page); code != 0 {
				t.Fatalf("report . in %s: exit %d\n%s", c.dir, code, stderr)
			}
			got, want := readFile(t, page), readFile(t, results.ReportFile)
			if !bytes.Equal(got, want) {
				t.Errorf("report . in %s differs from its %s", c.dir, results.ReportFile)
			}
			if title := "<title>" + filepath.Base(c.dir) + "</title>"; !bytes.Contains(got, []byte(title)) {
				t.Errorf("report . in %s is not titled %s", c.dir, title)
			}
		})
	}
}

// TestReportsDoneLineQuotesAnOutThatIsNoPlainText: the line report ends
// with names the page as predict's names its output: quoted when the name
// holds an escape sequence or a line break, which would otherwise reach
// the terminal or split the line.
func TestReportsDoneLineQuotesAnOutThatIsNoPlainText(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	runJSONOf(t, "testdata/ok.yaml", "--results", res)
	for _, name := range []string{"page\x1b[31m.html", "two\nlines.html"} {
		page := filepath.Join(dir, name)
		stdout, stderr, code := nnpipe(t, "report", res, "-o", page)
		if code != 0 {
			t.Fatalf("report -o %q: exit %d\n%s", page, code, stderr)
		}
		if want := config.Shown(page) + ": 1 run\n"; stdout != want {
			t.Errorf("report -o %q printed %q, want %q", page, stdout, want)
		}
	}
}
