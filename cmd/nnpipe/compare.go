package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gonum.org/v1/gonum/stat"
)

// summaryFile is the one file compare reads in a run or sweep directory.
const summaryFile = "summary.parquet"

// Columns of the compared table besides the summaries' own.
const (
	colSource  = "source"   // the PATH a row came from, with several PATHs
	colN       = "n"        // --group-by: rows in the group
	colFailed  = "failed"   // --group-by: rows in the group whose status is not ok
	colTrialID = "trial_id" // summary columns compare places itself
	colStatus  = "status"
	colError   = "error"
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
  - a folder holding run and sweep directories, such as results/<name>: every
    finished one directly in it, in name order. Unfinished runs (.tmp-*) and
    other hidden entries are skipped.
With more than one PATH, a source column shows the PATH each row came from.

Column names are the summaries' own (trial_id, seed, train.hidden, test_accuracy,
...). --sort takes any of them, and the column sorted on is always shown.
--group-by prints one row per distinct value of its keys, with n, the number of
rows, failed, how many of them did not finish ok (when any did not), and each
metric's mean ± std over the ok rows (std: the sample standard deviation, left
out for a single row). With --baseline every metric gets its difference from the
baseline's mean, "0.8800 (+0.0200)". In csv and json, standard deviations and
differences go to their own columns, <metric>_std and <metric>_delta, and a blank
cell (null in json) means no value.`,
		Example: `  nnpipe compare results/book-ch7 results/sweep-hidden
  nnpipe compare results/sweep-hidden --group-by train.hidden --sort -test_accuracy
  nnpipe compare results/sweep-hidden --baseline results/book-ch7/20250101T120000-1a2b3c4d --format csv`,
		Args: minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
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
	keys, err := parseGroupBy(f.groupBy)
	if err != nil {
		return err
	}
	files := make([][]string, len(args))
	for i, a := range args {
		if files[i], err = summaryFiles(a); err != nil {
			return err
		}
	}
	base := -1
	if f.baseline != "" {
		bf, err := summaryFiles(f.baseline)
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		for i := range files {
			if slices.Equal(files[i], bf) {
				base = i
				break
			}
		}
		if base < 0 { // compared too, first
			args = append([]string{f.baseline}, args...)
			files = append([][]string{bf}, files...)
			base = 0
		}
	}
	cs, err := loadComparison(args, files)
	if err != nil {
		return err
	}
	var baseline []float64
	if base >= 0 {
		if baseline = cs.baselineMeans(base); baseline == nil {
			return usagef("--baseline %s: no row with status ok to compare against", f.baseline)
		}
	}
	var v *view
	if len(keys) > 0 {
		v, err = cs.grouped(keys)
	} else {
		v, err = cs.rowsView(strings.TrimPrefix(f.sort, "-"))
	}
	if err != nil {
		return err
	}
	if f.sort != "" {
		if err := v.sort(f.sort); err != nil {
			return err
		}
	}
	t := v.table(format, baseline, len(keys) > 0)
	if isTerminal(e.stdout) {
		if w, _, err := term.GetSize(int(e.stdout.(*os.File).Fd())); err == nil && w > 0 {
			t.MaxWidth = w
		}
	}
	return t.Write(e.stdout, format)
}

// parseGroupBy splits --group-by's comma-separated keys.
func parseGroupBy(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	keys := strings.Split(s, ",")
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, usagef("--group-by %q: empty key", s)
		}
		if slices.Contains(keys[:i], k) {
			return nil, usagef("--group-by %q: key %q given twice", s, k)
		}
		keys[i] = k
	}
	return keys, nil
}

// summaryFiles resolves a PATH to the summary.parquet files it stands for.
// Problems are usage errors (exit 2) naming path.
func summaryFiles(path string) ([]string, error) {
	clean := filepath.Clean(path)
	info, err := os.Stat(clean)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("%s: no such run, sweep or folder", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !info.IsDir() {
		if filepath.Base(clean) != summaryFile {
			return nil, usagef("%s: not a run or sweep directory, a %s, or a folder of runs and sweeps", path, summaryFile)
		}
		if unfinished(filepath.Dir(clean)) {
			return nil, usagef("%s: in an unfinished run (%s*), not read", path, pipeline.TempPrefix)
		}
		return []string{clean}, nil
	}
	if unfinished(clean) {
		return nil, usagef("%s: an unfinished run (%s*), not read", path, pipeline.TempPrefix)
	}
	if hasSummary(clean) {
		return []string{filepath.Join(clean, summaryFile)}, nil
	}
	entries, err := os.ReadDir(clean)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	for _, d := range entries { // sorted by name
		if strings.HasPrefix(d.Name(), ".") { // .tmp-* (unfinished), .cache, ...
			continue
		}
		if dir := filepath.Join(clean, d.Name()); hasSummary(dir) {
			out = append(out, filepath.Join(dir, summaryFile))
		}
	}
	if len(out) == 0 {
		return nil, usagef("%s: not a run or sweep directory, and no finished run or sweep in it (no %s)", path, summaryFile)
	}
	return out, nil
}

func unfinished(dir string) bool {
	return strings.HasPrefix(filepath.Base(dir), pipeline.TempPrefix)
}

func hasSummary(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, summaryFile))
	return err == nil && info.Mode().IsRegular()
}

// readSummaries reads every file on a few workers; the tables come back in
// the order of files.
func readSummaries(files []string) ([]*dataset.Table, error) {
	tables := make([]*dataset.Table, len(files))
	errs := make([]error, len(files))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(files) {
					return
				}
				tables[j], errs[j] = dataset.ReadTable(files[j])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, &usageError{err} // a damaged summary is invalid input; the message names it
		}
	}
	return tables, nil
}

// cell is one value of the compared table. Rows of a summary without the
// column, and metrics of rows that did not finish ok, have set false and
// print blank.
type cell struct {
	set  bool
	num  bool    // an int or a float: f holds it and sorts numerically
	f    float64 // the number; a group's mean
	std  float64 // a group's sample standard deviation; NaN for a single value
	text string  // the value as printed
}

// comparison is the union of the rows of every summary.
type comparison struct {
	paths   []string // as given
	columns []string // every column of every summary, in first-seen order
	index   map[string]int
	nonNum  []bool // per column: some value is not a number
	rows    []summaryLine
}

// summaryLine is one row of a summary: its cells by column index (a row
// read before a column was first seen is shorter).
type summaryLine struct {
	path  int
	cells []cell
}

func (c *comparison) cell(r summaryLine, name string) cell {
	if name == colSource {
		return cell{set: true, text: c.paths[r.path]}
	}
	j, ok := c.index[name]
	if !ok || j >= len(r.cells) {
		return cell{}
	}
	return r.cells[j]
}

// ok reports whether r finished ok; a summary without a status column has
// only finished rows.
func (c *comparison) ok(r summaryLine) bool {
	s := c.cell(r, colStatus)
	return !s.set || s.text == statusOK
}

func loadComparison(paths []string, files [][]string) (*comparison, error) {
	var all []string
	for _, f := range files {
		all = append(all, f...)
	}
	tables, err := readSummaries(all)
	if err != nil {
		return nil, err
	}
	c := &comparison{paths: paths, index: map[string]int{}}
	k := 0
	for p, pathFiles := range files {
		for _, file := range pathFiles {
			t := tables[k]
			k++
			if _, ok := t.Column(colTrialID); !ok {
				return nil, usagef("%s: not a run or sweep summary (no %s column)", file, colTrialID)
			}
			c.add(p, t)
		}
	}
	return c, nil
}

// add appends the rows of t, read from paths[path].
func (c *comparison) add(path int, t *dataset.Table) {
	at := make([]int, len(t.Fields))
	for i, f := range t.Fields {
		j, ok := c.index[f.Name]
		if !ok {
			j = len(c.columns)
			c.index[f.Name] = j
			c.columns = append(c.columns, f.Name)
			c.nonNum = append(c.nonNum, false)
		}
		at[i] = j
		if f.Type == dataset.String || f.Type == dataset.Bool {
			c.nonNum[j] = true
		}
	}
	cells := make([]cell, t.Rows*len(c.columns))
	for r := range t.Rows {
		line := summaryLine{path: path, cells: cells[r*len(c.columns) : (r+1)*len(c.columns) : (r+1)*len(c.columns)]}
		for i, f := range t.Fields {
			line.cells[at[i]] = valueCell(t.Columns[i], r, isMeasured(f.Name))
		}
		c.rows = append(c.rows, line)
	}
}

// isMeasured reports whether a summary column is a measurement rather than
// a parameter: a metric, a time, or the step training stopped at.
func isMeasured(name string) bool {
	return slices.Contains(metricNames, name) || name == "seconds" || name == "train_seconds" || name == "stopped_at"
}

// valueCell is row r of a column as ReadTable returns it. Measurements print
// as every table does (report.FormatFloat); parameters print exactly, in
// the shortest form that reads back the same (0.5, 0.001, 1e-05).
func valueCell(col any, r int, measured bool) cell {
	switch col := col.(type) {
	case []int64:
		return cell{set: true, num: true, f: float64(col[r]), std: math.NaN(), text: strconv.FormatInt(col[r], 10)}
	case []int32:
		return cell{set: true, num: true, f: float64(col[r]), std: math.NaN(), text: strconv.FormatInt(int64(col[r]), 10)}
	case []float64:
		x := col[r]
		text := strconv.FormatFloat(x, 'g', -1, 64)
		if measured {
			text = report.FormatFloat(x)
		}
		return cell{set: true, num: true, f: x, std: math.NaN(), text: text}
	case []bool:
		return cell{set: true, text: strconv.FormatBool(col[r])}
	case []string:
		return cell{set: true, text: col[r]}
	}
	return cell{}
}

// has reports whether name is a column of the table (source always is).
func (c *comparison) has(name string) bool {
	_, ok := c.index[name]
	return ok || name == colSource
}

func (c *comparison) numeric(name string) bool {
	j, ok := c.index[name]
	return ok && !c.nonNum[j]
}

// missing is the usage error for a column that is not in the summaries.
func (c *comparison) missing(flag, name string) error {
	return usagef("%s: no column %q in the summaries (columns: %s)", flag, name, strings.Join(c.columns, ", "))
}

// differs reports whether the column name has two rows with different values
// (a row without the column differs from one with it).
func (c *comparison) differs(name string) bool {
	if len(c.rows) == 0 {
		return false
	}
	first := c.cell(c.rows[0], name)
	for _, r := range c.rows[1:] {
		if x := c.cell(r, name); x.set != first.set || x.text != first.text {
			return true
		}
	}
	return false
}

// baselineMeans returns each metric's mean over the ok rows of paths[path],
// or nil if it has none.
func (c *comparison) baselineMeans(path int) []float64 {
	var rows []summaryLine
	for _, r := range c.rows {
		if r.path == path && c.ok(r) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	means := make([]float64, len(metricNames))
	for i, m := range metricNames {
		means[i], _, _ = meanStd(c.metricValues(rows, m))
	}
	return means
}

// metricValues lists the metric's values in rows, leaving out rows that did
// not finish ok and values that are missing or NaN.
func (c *comparison) metricValues(rows []summaryLine, metric string) []float64 {
	var xs []float64
	for _, r := range rows {
		if x := c.cell(r, metric); x.set && x.num && !math.IsNaN(x.f) && c.ok(r) {
			xs = append(xs, x.f)
		}
	}
	return xs
}

// meanStd returns the mean of xs and their sample standard deviation
// (divisor n-1), NaN for what n is too small for.
func meanStd(xs []float64) (mean, std float64, n int) {
	switch n = len(xs); n {
	case 0:
		return math.NaN(), math.NaN(), 0
	case 1:
		return xs[0], math.NaN(), 1
	}
	mean, std = stat.MeanStdDev(xs, nil)
	return mean, std, n
}

// view is the table about to be printed: named columns of cells.
type view struct {
	cols []viewCol
	rows [][]cell
}

type viewCol struct {
	name    string
	numeric bool
	metric  bool // printed with std and delta
}

// rowsView is one row per summary row: trial_id, source (with several
// PATHs), status, the parameters that differ, the column sorted on, the
// metrics, and error when a row has one.
func (c *comparison) rowsView(sortCol string) (*view, error) {
	if sortCol != "" && !c.has(sortCol) {
		return nil, c.missing("--sort", sortCol)
	}
	names := []string{colTrialID}
	if len(c.paths) > 1 || sortCol == colSource {
		names = append(names, colSource)
	}
	if c.has(colStatus) {
		names = append(names, colStatus)
	}
	var measured []string
	for _, n := range c.columns {
		switch {
		case n == colTrialID || n == colStatus || n == colError || slices.Contains(metricNames, n):
		case isMeasured(n):
			if n == sortCol {
				measured = append(measured, n)
			}
		case n == sortCol || c.differs(n):
			names = append(names, n)
		}
	}
	names = append(names, measured...)
	names = append(names, metricNames...)
	showError := sortCol == colError
	for _, r := range c.rows {
		if e := c.cell(r, colError); e.text != "" {
			showError = true
			break
		}
	}
	if showError {
		names = append(names, colError)
	}

	v := &view{cols: make([]viewCol, len(names)), rows: make([][]cell, len(c.rows))}
	for j, n := range names {
		v.cols[j] = viewCol{name: n, numeric: c.numeric(n), metric: slices.Contains(metricNames, n)}
	}
	cells := make([]cell, len(c.rows)*len(names))
	for i, r := range c.rows {
		row := cells[i*len(names) : (i+1)*len(names)]
		ok := c.ok(r)
		for j, col := range v.cols {
			if col.metric && !ok {
				continue // blank
			}
			row[j] = c.cell(r, col.name)
		}
		v.rows[i] = row
	}
	return v, nil
}

// grouped is one row per distinct value of keys, in order of first
// appearance: the keys, n, failed (when some row did not finish ok), and
// each metric's mean and std over the group's ok rows.
func (c *comparison) grouped(keys []string) (*view, error) {
	for _, k := range keys {
		if !c.has(k) {
			return nil, c.missing("--group-by", k)
		}
	}
	var order []string
	groups := map[string][]summaryLine{}
	anyFailed := false
	var id strings.Builder
	for _, r := range c.rows {
		id.Reset()
		for _, k := range keys {
			x := c.cell(r, k)
			if x.set {
				id.WriteByte('=')
			} else {
				id.WriteByte('!')
			}
			id.WriteString(x.text)
			id.WriteByte(0)
		}
		g := id.String()
		if _, seen := groups[g]; !seen {
			order = append(order, g)
		}
		groups[g] = append(groups[g], r)
		anyFailed = anyFailed || !c.ok(r)
	}

	v := &view{}
	for _, k := range keys {
		v.cols = append(v.cols, viewCol{name: k, numeric: c.numeric(k)})
	}
	v.cols = append(v.cols, viewCol{name: colN, numeric: true})
	if anyFailed {
		v.cols = append(v.cols, viewCol{name: colFailed, numeric: true})
	}
	for _, m := range metricNames {
		v.cols = append(v.cols, viewCol{name: m, numeric: true, metric: true})
	}
	count := func(n int) cell {
		return cell{set: true, num: true, f: float64(n), std: math.NaN(), text: strconv.Itoa(n)}
	}
	for _, g := range order {
		rows := groups[g]
		var row []cell
		for _, k := range keys {
			row = append(row, c.cell(rows[0], k))
		}
		row = append(row, count(len(rows)))
		if anyFailed {
			failed := 0
			for _, r := range rows {
				if !c.ok(r) {
					failed++
				}
			}
			row = append(row, count(failed))
		}
		for _, m := range metricNames {
			mean, std, n := meanStd(c.metricValues(rows, m))
			if n == 0 {
				row = append(row, cell{})
				continue
			}
			row = append(row, cell{set: true, num: true, f: mean, std: std})
		}
		v.rows = append(v.rows, row)
	}
	return v, nil
}

// sort orders the rows stably on the column spec names, descending when it
// starts with '-': numerically when the column holds numbers, else by text.
// Rows without a value (or with NaN) come last either way.
func (v *view) sort(spec string) error {
	name, desc := strings.CutPrefix(spec, "-")
	j := slices.IndexFunc(v.cols, func(c viewCol) bool { return c.name == name })
	if j < 0 {
		var names []string
		for _, c := range v.cols {
			names = append(names, c.name)
		}
		return usagef("--sort: no column %q in the table (columns: %s)", name, strings.Join(names, ", "))
	}
	numeric := v.cols[j].numeric
	missing := func(x cell) bool { return !x.set || (numeric && math.IsNaN(x.f)) }
	slices.SortStableFunc(v.rows, func(a, b []cell) int {
		x, y := a[j], b[j]
		switch mx, my := missing(x), missing(y); {
		case mx && my:
			return 0
		case mx:
			return 1
		case my:
			return -1
		}
		var d int
		if numeric {
			d = cmp.Compare(x.f, y.f)
		} else {
			d = strings.Compare(x.text, y.text)
		}
		if desc {
			d = -d
		}
		return d
	})
	return nil
}

// table renders v. In table and md a metric cell carries its std (grouped)
// and its difference from the baseline, "0.9000 ± 0.0200 (+0.0100)"; in csv
// and json these get columns of their own, <metric>_std and <metric>_delta,
// and a missing number is an empty cell (null).
func (v *view) table(f report.Format, baseline []float64, grouped bool) report.Table {
	machine := f == report.CSV || f == report.JSON
	var t report.Table
	type out struct {
		col  int
		cell func(x cell) string
	}
	var outs []out
	add := func(name string, numeric bool, col int, fn func(x cell) string) {
		t.Header = append(t.Header, name)
		t.Numeric = append(t.Numeric, numeric)
		outs = append(outs, out{col, fn})
	}
	number := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return report.FormatFloat(x)
	}
	for j, col := range v.cols {
		if !col.metric {
			add(col.name, col.numeric, j, func(x cell) string { return x.text })
			continue
		}
		base := math.NaN()
		if baseline != nil {
			base = baseline[slices.Index(metricNames, col.name)]
		}
		if !machine {
			add(col.name, true, j, func(x cell) string {
				if !x.set {
					return ""
				}
				s := report.FormatFloat(x.f)
				if grouped {
					s = report.FormatMeanStd(x.f, x.std)
				}
				if d := x.f - base; baseline != nil && !math.IsNaN(d) {
					s += " (" + signed(formatDelta(d, x.f)) + ")"
				}
				return s
			})
			continue
		}
		add(col.name, true, j, func(x cell) string {
			if !x.set {
				return ""
			}
			return number(x.f)
		})
		if grouped {
			add(col.name+"_std", true, j, func(x cell) string {
				if !x.set {
					return ""
				}
				return number(x.std)
			})
		}
		if baseline != nil {
			add(col.name+"_delta", true, j, func(x cell) string {
				if d := x.f - base; x.set && !math.IsNaN(d) {
					return formatDelta(d, x.f)
				}
				return ""
			})
		}
	}
	t.Rows = make([][]string, len(v.rows))
	for i, r := range v.rows {
		row := make([]string, len(outs))
		for k, o := range outs {
			row[k] = o.cell(r[o.col])
		}
		t.Rows[i] = row
	}
	return t
}

// formatDelta formats the difference d of the value x from the baseline on
// x's own grid: with four decimals when report.FormatFloat prints x so (an
// accuracy of 0.4000 against 0.4100 differs by -0.0100, not by the
// -9.999999999999995e-03 of the float subtraction), else as FormatFloat
// prints d.
func formatDelta(d, x float64) string {
	if strings.Contains(report.FormatFloat(x), "e") || math.IsInf(d, 0) {
		return report.FormatFloat(d)
	}
	s := strconv.FormatFloat(d, 'f', 4, 64)
	if s == "-0.0000" {
		s = "0.0000"
	}
	return s
}

// signed puts a + before a number that has no sign: "+0.0200".
func signed(s string) string {
	if !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "+") {
		s = "+" + s
	}
	return s
}
