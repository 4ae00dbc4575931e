package comparison

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/report"
)

// View is a table about to be printed: named columns of cells.
type View struct {
	cols    []viewCol
	rows    [][]Cell
	metrics []string
	grouped bool
}

type viewCol struct {
	name    string
	numeric bool
	boolean bool // every value is a bool: JSON true and false
	metric  bool // printed with std and delta
}

// Rows is one row per summary row: the id, the source (with several
// sources, or when sorted on), the status, the parameters that differ, the
// column sorted on (sortCol, "" for none), the metrics, and the error when
// a row has one. A sortCol that is not a column is invalid input.
func (c *Comparison) Rows(sortCol string) (*View, error) {
	if sortCol != "" && !c.Has(sortCol) {
		return nil, c.missing("--sort", sortCol)
	}
	s := c.schema
	names := []string{s.ID}
	if len(c.sources) > 1 || sortCol == ColSource {
		names = append(names, ColSource)
	}
	if c.Has(s.Status) {
		names = append(names, s.Status)
	}
	var measured []string
	for _, n := range c.columns {
		switch {
		case n == s.ID || n == s.Status || n == s.Error || slices.Contains(s.Metrics, n):
		case s.Measured(n):
			if n == sortCol {
				measured = append(measured, n)
			}
		case n == sortCol || c.differs(n):
			names = append(names, n)
		}
	}
	names = append(names, measured...)
	names = append(names, s.Metrics...)
	showError := sortCol == s.Error
	for _, r := range c.rows {
		if e := c.cell(r, s.Error); e.Text != "" {
			showError = true
			break
		}
	}
	if showError {
		names = append(names, s.Error)
	}

	v := &View{cols: make([]viewCol, len(names)), rows: make([][]Cell, len(c.rows)), metrics: s.Metrics}
	for j, n := range names {
		v.cols[j] = viewCol{name: n, numeric: c.numeric(n), boolean: c.boolean(n), metric: slices.Contains(s.Metrics, n)}
	}
	cells := make([]Cell, len(c.rows)*len(names))
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

// Grouped is one row per group of Groups(keys): the keys, n, failed (when
// some row did not finish ok), and each metric's mean and std over the
// group's ok rows.
func (c *Comparison) Grouped(keys []string) (*View, error) {
	groups, err := c.Groups(keys)
	if err != nil {
		return nil, err
	}
	anyFailed := false
	for _, g := range groups {
		anyFailed = anyFailed || g.Failed > 0
	}
	v := &View{metrics: c.schema.Metrics, grouped: true}
	for _, k := range keys {
		v.cols = append(v.cols, viewCol{name: k, numeric: c.numeric(k), boolean: c.boolean(k)})
	}
	v.cols = append(v.cols, viewCol{name: ColN, numeric: true})
	if anyFailed {
		v.cols = append(v.cols, viewCol{name: ColFailed, numeric: true})
	}
	for _, m := range c.schema.Metrics {
		v.cols = append(v.cols, viewCol{name: m, numeric: true, metric: true})
	}
	count := func(n int) Cell {
		return Cell{Set: true, Num: true, F: float64(n), Std: math.NaN(), Text: strconv.Itoa(n)}
	}
	for _, g := range groups {
		row := append([]Cell(nil), g.Keys...)
		row = append(row, count(g.N))
		if anyFailed {
			row = append(row, count(g.Failed))
		}
		for _, m := range g.Metrics {
			if !m.Set {
				m = Cell{}
			}
			row = append(row, m)
		}
		v.rows = append(v.rows, row)
	}
	return v, nil
}

// ParseKeys splits comma-separated group keys ("name,train.hidden", as
// --group-by takes them), refusing an empty key or one given twice as
// invalid input; "" is no key.
func ParseKeys(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	keys := strings.Split(s, ",")
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, pipeline.Invalid(fmt.Errorf("--group-by %q: empty key", s))
		}
		if slices.Contains(keys[:i], k) {
			return nil, pipeline.Invalid(fmt.Errorf("--group-by %q: key %q given twice", s, k))
		}
		keys[i] = k
	}
	return keys, nil
}

// Sort orders the rows stably on the column spec names, descending when it
// starts with '-': numerically when the column holds numbers, else by text.
// Rows without a value (or with NaN) come last either way. A column the
// view does not show is invalid input.
func (v *View) Sort(spec string) error {
	name, desc := strings.CutPrefix(spec, "-")
	j := slices.IndexFunc(v.cols, func(c viewCol) bool { return c.name == name })
	if j < 0 {
		var names []string
		for _, c := range v.cols {
			names = append(names, c.name)
		}
		return pipeline.Invalid(fmt.Errorf("--sort: no column %q in the table (columns: %s)", name, strings.Join(names, ", ")))
	}
	numeric := v.cols[j].numeric
	missing := func(x Cell) bool { return !x.Set || (numeric && math.IsNaN(x.F)) }
	slices.SortStableFunc(v.rows, func(a, b []Cell) int {
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
			d = cmp.Compare(x.F, y.F)
		} else {
			d = strings.Compare(x.Text, y.Text)
		}
		if desc {
			d = -d
		}
		return d
	})
	return nil
}

// Table renders v in format f, with each metric's difference from
// baseline (a mean per metric of the schema; nil: none). In table and md a
// metric cell carries its std (grouped) and its difference from the
// baseline, "0.9000 ± 0.0200 (+0.0100)"; in csv and json these get columns
// of their own, <metric>_std and <metric>_delta. A missing value (a cell
// not Set, a NaN) is an empty cell, marked report.Table.Missing (null in
// json, where an empty text is ""); a column of booleans is marked
// report.Table.Bool (true and false in json). Table and md round numbers
// for reading (see report.FormatFloat); csv and json print every float in
// full, the shortest text that reads back as the same float64.
func (v *View) Table(f report.Format, baseline []float64) report.Table {
	r := renderer{v: v, baseline: baseline, machine: f == report.CSV || f == report.JSON}
	for j, col := range v.cols {
		if col.metric {
			r.addMetric(j, col.name)
		} else {
			r.add(col.name, col.numeric, col.boolean, j, r.text)
		}
	}
	r.t.Rows = make([][]string, len(v.rows))
	r.t.Missing = make([][]bool, len(v.rows))
	for i, row := range v.rows {
		cells := make([]string, len(r.outs))
		missing := make([]bool, len(r.outs))
		for k, o := range r.outs {
			cells[k] = o.cell(row[o.col])
			missing[k] = !row[o.col].Set
		}
		r.t.Rows[i], r.t.Missing[i] = cells, missing
	}
	return r.t
}

// renderer builds a report.Table from a View, column by column.
type renderer struct {
	v        *View
	baseline []float64
	machine  bool // csv or json: std and delta in columns of their own
	t        report.Table
	outs     []output
}

// output is a printed column: the view column it shows, and how.
type output struct {
	col  int
	cell func(x Cell) string
}

// text prints a cell of a column other than a metric: as the schema
// printed it, but a finite float in full in csv and json.
func (r *renderer) text(x Cell) string {
	if r.machine && x.Float && !math.IsNaN(x.F) && !math.IsInf(x.F, 0) {
		return exact(x.F)
	}
	return x.Text
}

func (r *renderer) add(name string, numeric, boolean bool, col int, fn func(x Cell) string) {
	r.t.Header = append(r.t.Header, name)
	r.t.Numeric = append(r.t.Numeric, numeric)
	r.t.Bool = append(r.t.Bool, boolean)
	r.outs = append(r.outs, output{col, fn})
}

// addMetric adds the column or columns of the metric shown in view column j.
func (r *renderer) addMetric(j int, name string) {
	base := math.NaN()
	if r.baseline != nil {
		base = r.baseline[slices.Index(r.v.metrics, name)]
	}
	grouped, hasBase := r.v.grouped, r.baseline != nil
	if !r.machine {
		r.add(name, true, false, j, func(x Cell) string {
			if !x.Set {
				return ""
			}
			s := report.FormatFloat(x.F)
			if grouped {
				s = report.FormatMeanStd(x.F, x.Std)
			}
			if d := x.F - base; hasBase && !math.IsNaN(d) {
				s += " (" + signed(formatDelta(d, x.F)) + ")"
			}
			return s
		})
		return
	}
	r.add(name, true, false, j, func(x Cell) string {
		if !x.Set {
			return ""
		}
		return number(x.F)
	})
	if grouped {
		r.add(name+"_std", true, false, j, func(x Cell) string {
			if !x.Set {
				return ""
			}
			return number(x.Std)
		})
	}
	if hasBase {
		r.add(name+"_delta", true, false, j, func(x Cell) string {
			if !x.Set {
				return ""
			}
			return number(x.F - base)
		})
	}
}

// number prints x in full (exact), NaN as a blank.
func number(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return exact(x)
}

// exact is the shortest text that reads back as x: "0.83", "1e-05",
// "0.8300000000000001"; infinities are "+Inf" and "-Inf", as
// report.FormatFloat prints them.
func exact(x float64) string {
	return strconv.FormatFloat(x, 'g', -1, 64)
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
