package main

import (
	"fmt"

	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
)

func newReportCmd(e *env) *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "report PATH...",
		Short: "Write runs and sweeps as one self-contained HTML page",
		Long: `Write one HTML file that opens offline and makes no network request: a sortable,
filterable table of the runs and sweep trials (CSV export of the rows shown), parallel
coordinates from the varying parameters to the metrics (brushing an axis filters the
table), groups with each metric's mean ± std as compare --group-by computes them, and a
drill-down into each run: learning curve, weight paths, decision regions, confusion
matrices, effective config, stage times and cache hits.

PATHs are what compare takes: runs, sweeps, their summary.parquet, or folders of them at
any depth. A summary that cannot be read is listed in the page as skipped, and named on
stderr; the rest is shown. The page cannot go inside a run or sweep directory, which
holds only what nnpipe wrote there.`,
		Example: `  nnpipe report results/ -o report.html
  nnpipe report results/book-ch7 results/sweep-hidden -o compare.html`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := results.OutsideRuns(out); err != nil {
				return err
			}
			rep, err := htmlreport.WriteFile(c.Context(), args, out, htmlreport.Options{Version: Version})
			if err != nil {
				return err
			}
			for _, s := range rep.Skipped {
				fmt.Fprintf(e.stderr, "nnpipe: warning: skipped %s: %s\n", s.File, s.Reason)
			}
			fmt.Fprintln(e.stdout, rep.Done(out))
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "report.html", "write the page to `FILE`, replacing it")
	return c
}
