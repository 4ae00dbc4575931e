package htmlreport_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/cputime"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
)

// BenchmarkReport1000Runs writes the report of 1,000 runs like the book's
// (a folder of run directories, each with its summary, history, config,
// manifest, metrics and boundary.png): the whole of `nnpipe report`,
// finding the summaries included. It reports the page's size.
func BenchmarkReport1000Runs(b *testing.B) { benchReport(b, 1000) }

// BenchmarkReport40Runs is BenchmarkReport1000Runs for 40 runs, the size of
// the sweep benchmark's: few enough that every run's curves are drawn with
// hundreds of points, so reading the histories is most of the work.
func BenchmarkReport40Runs(b *testing.B) { benchReport(b, 40) }

func benchReport(b *testing.B, runs int) {
	root := b.TempDir()
	synthRuns(b, root, runs)
	out := filepath.Join(b.TempDir(), "report.html")
	cpu0, _ := cputime.Process()
	for b.Loop() {
		if _, err := htmlreport.WriteFile(context.Background(), []string{root}, out, htmlreport.Options{Version: "test"}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	st, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "bytes")
}

// BenchmarkRunReport makes the report.html `run` writes into the book's
// run directory: what the report adds to every run.
func BenchmarkRunReport(b *testing.B) {
	book, _ := testdata(b)
	report := htmlreport.ForDir("test")
	var size int
	cpu0, _ := cputime.Process()
	for b.Loop() {
		page, err := report(book, filepath.Base(book), nil)
		if err != nil {
			b.Fatal(err)
		}
		size = len(page)
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(size), "bytes")
}

// reportCPU reports the process's CPU time per operation since cpu0,
// beside the wall time, which on a busy machine includes waiting for a
// core.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu, ok := cputime.Process(); ok {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
