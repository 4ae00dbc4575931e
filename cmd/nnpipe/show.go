package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
)

func newShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show RUN_DIR",
		Short: "Print a finished run's summary, metrics with confusion matrices, and files",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return showRun(e, args[0])
		},
	}
}

func showRun(e *env, dir string) error {
	m, err := results.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		if _, serr := os.Stat(filepath.Join(dir, results.SweepFile)); serr == nil {
			return usagef("%s is a sweep; show takes one run (a sweep's runs are in its trials/ folder; compare reads sweeps)", dir)
		}
		return usagef("%s is not a finished run: no manifest.json", dir)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	out := e.stdout
	fmt.Fprintf(out, "run %s (%s), status %s, nnpipe %s, %s\n", m.RunID, m.Name, m.Status, m.Nnpipe, m.Created)
	if m.Error != "" {
		fmt.Fprintf(out, "error: %s\n", m.Error)
	}
	if tbl, err := results.ReadSummary(filepath.Join(dir, results.SummaryFile)); err == nil {
		t := report.Table{Header: []string{"parameter", "value"}, Numeric: []bool{false, true}}
		for i, f := range tbl.Fields {
			switch f.Name {
			case results.ColTrialID, results.ColName, results.ColStatus, results.ColError, results.ColSeconds, results.ColTrainSeconds:
				continue
			}
			t.Rows = append(t.Rows, []string{f.Name, results.FormatValue(f.Name, results.Value(tbl.Columns[i], 0))})
		}
		fmt.Fprintln(out)
		if err := t.Write(out, report.Text); err != nil {
			return err
		}
	}
	if metrics, err := results.ReadMetrics(dir); err == nil {
		for _, name := range []string{"train", "test"} {
			part := metrics.Train
			if name == "test" {
				part = metrics.Test
			}
			fmt.Fprintf(out, "\n%s: %d rows, cross-entropy %s, accuracy %s\n", name, part.N,
				report.FormatFloat(part.CrossEntropy), report.FormatFloat(part.Accuracy))
			header := []string{"true \\ predicted"}
			header = append(header, metrics.Classes...)
			header = append(header, "recall")
			t := report.Table{Header: header}
			for k, row := range part.Confusion {
				cells := []string{metrics.Classes[k]}
				for _, n := range row {
					cells = append(cells, fmt.Sprint(n))
				}
				cells = append(cells, report.FormatFloat(part.Recall[k]))
				t.Rows = append(t.Rows, cells)
			}
			prec := []string{"precision"}
			for _, p := range part.Precision {
				prec = append(prec, report.FormatFloat(p))
			}
			t.Rows = append(t.Rows, append(prec, ""))
			t.Numeric = make([]bool, len(header))
			for i := 1; i < len(header); i++ {
				t.Numeric[i] = true
			}
			if err := t.Write(out, report.Text); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(out, "\nfiles in %s:\n", dir)
	return results.WalkFiles(dir, func(rel string) error {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-28s %10s\n", rel, formatBytes(info.Size()))
		return nil
	})
}
