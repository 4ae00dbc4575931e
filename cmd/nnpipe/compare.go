package main

import (
	"os"

	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type compareFlags struct {
	sort     string
	groupBy  string
	baseline string
	format   string
}

func newCompareCmd(e *env) *cobra.Command {
	var f compareFlags
	c := &cobra.Command{
		Use:   "compare PATH...",
		Short: "Print the summaries of finished runs and sweeps as one table",
		Long: `Read the summary.parquet of finished runs and sweeps and print them as one table:
one row per run or sweep trial with its trial_id (a run's run id) and status, the
parameter columns whose values differ between rows, and the four metrics. A
parameter missing from some summaries is blank in their rows. Failed and diverged
rows are kept, with their status and error; their metrics are blank. Nothing but
summary.parquet files is read, so a thousand runs compare in under a second.

Each PATH is one of:
  - a run or sweep directory (results/<name>/<run-id>, results/<name>/sweep-<id>);
  - its summary.parquet;
  - a folder holding run and sweep directories at any depth, such as results/,
    results/<name> or a sweep's trials/: every finished one, in name order.
    A sweep's trials count once, from the sweep's summary; unfinished runs
    (.tmp-*) and other hidden entries, such as the cache, are skipped.
With more than one PATH, a source column shows the PATH each row came from. A run
or trial that several PATHs reach (a sweep and its trials/, a symbolic link and
its target) is one row, from the first of them: --baseline's, when it is added.

Column names are the summaries' own (trial_id, seed, train.hidden, test_accuracy,
...). --sort takes any of them, and the column sorted on is always shown.
--group-by prints one row per distinct value of its keys (any column but a
metric), with n, the number of rows, failed, how many of them did not finish ok
(when any did not), and each metric's mean ± std over the ok rows (std: the sample
standard deviation, left out for a single row). With --baseline every metric gets
its difference from the baseline's mean, "0.8800 (+0.0200)". In csv and json,
standard deviations and differences go to their own columns, <metric>_std and
<metric>_delta, no value is a blank cell (null in json, where an empty text is ""
and a bool is true or false), and every number is in full: the shortest form that
reads back as the same float64 (table and md round them for reading). A summary
with a column named like one compare adds (source, n, failed, <metric>_std,
<metric>_delta) is refused.`,
		Example: `  nnpipe compare results/book-ch7 results/sweep-hidden
  nnpipe compare results/sweep-hidden --group-by train.hidden --sort -test_accuracy
  nnpipe compare results/sweep-hidden --baseline results/book-ch7/20250101T120000-1a2b3c4d --format csv`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := notEmpty(c, "baseline", "sort", "group-by"); err != nil {
				return err
			}
			return runCompare(e, args, &f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.sort, "sort", "", "sort the rows on column `COL`: numerically when it holds numbers, else lexically;\n-COL sorts descending; rows without a value come last (default: the order of the PATHs)")
	fl.StringVar(&f.groupBy, "group-by", "", "one row per distinct value of the comma-separated `KEYS`, with n and each metric's mean ± std")
	fl.StringVar(&f.baseline, "baseline", "", "show each metric's difference from the mean of the rows of `PATH`\n(a run, sweep or folder as above; compared too when it is not one of the PATHs)")
	fl.StringVar(&f.format, "format", string(report.Text), "output `FORMAT`: table, md, csv or json")
	return c
}

func runCompare(e *env, args []string, f *compareFlags) error {
	format, err := report.ParseFormat(f.format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	keys, err := comparison.ParseKeys(f.groupBy)
	if err != nil {
		return err
	}
	t, err := results.Compare(args, results.CompareOptions{Sort: f.sort, GroupBy: keys, Baseline: f.baseline, Format: format})
	if err != nil {
		return err
	}
	if isTerminal(e.stdout) {
		if w, _, err := term.GetSize(int(e.stdout.(*os.File).Fd())); err == nil && w > 0 {
			t.MaxWidth = w
		}
	}
	return t.Write(e.stdout, format)
}
