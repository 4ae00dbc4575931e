// Package comparison is the model behind `nnpipe compare` and a sweep's
// tables: the rows of run summaries from several sources, unioned into one
// table whose columns are the summaries' own; the parameters that differ;
// groups with the mean ± std of each metric; numeric or lexical sorting;
// differences from a baseline; and the four renderings of report.Format.
//
// It knows nothing of files: the caller reads the summaries (see
// stages/results) and says, with a Schema, which columns name, qualify and
// measure a row.
package comparison

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"gonum.org/v1/gonum/stat"
)

// Columns a comparison adds to the summaries' own.
const (
	ColSource = "source" // the source a row came from, shown with several sources
	ColN      = "n"      // a group's rows
	ColFailed = "failed" // a group's rows whose status is not ok
)

// Schema says which columns of the summaries a comparison treats apart
// from the parameters.
type Schema struct {
	ID      string   // the column naming each row, shown first
	Status  string   // the column of a row's status
	OK      string   // the status of a row that finished: the others' metrics are left out
	Error   string   // the column of a row's error, shown when a row has one
	Metrics []string // the metrics, in order: shown always, averaged by group, compared to the baseline
	// Measured reports the columns that are measurements (the metrics,
	// times) rather than parameters: they never count as differing
	// parameters, and other than the metrics are shown only when sorted on.
	Measured func(column string) bool
	// Format prints a value of a column: an int64, int32, float64, bool or
	// string.
	Format func(column string, v any) string
}

// Adds reports whether a comparison may add a column named name to the
// summaries' own: ColSource, ColN, ColFailed, or a metric's <metric>_std or
// <metric>_delta (see View.Table). A summary with a column of such a name
// cannot be shown beside them: callers refuse it (see AddedColumns).
func (s Schema) Adds(name string) bool {
	switch name {
	case ColSource, ColN, ColFailed:
		return true
	}
	for _, m := range s.Metrics {
		if name == m+"_std" || name == m+"_delta" {
			return true
		}
	}
	return false
}

// AddedColumns lists the columns Adds names, for messages: "source, n,
// failed, <metric>_std, <metric>_delta".
const AddedColumns = ColSource + ", " + ColN + ", " + ColFailed + ", <metric>_std, <metric>_delta"

// Source is the summaries read from one place a user named.
type Source struct {
	Name   string // as the user wrote it: shown in the source column
	Tables []*dataset.Table
	// Keys, when not nil, name the rows of Tables: Keys[i][r] is row r of
	// Tables[i]. A row whose key an earlier row has, of this source or an
	// earlier one, is left out, so that a run several sources reach is one
	// row, shown from the first of them. nil keeps every row.
	Keys [][]string
}

// Cell is one value of a compared table. Rows of a summary without the
// column, and metrics of rows that did not finish ok, are not Set and
// print blank.
type Cell struct {
	Set   bool
	Num   bool    // an int or a float: F holds it and sorts numerically
	Float bool    // read from a float column: csv and json print F in full
	F     float64 // the number; a group's mean
	Std   float64 // a group's sample standard deviation; NaN for a single value
	N     int     // how many values a group's mean is over
	Text  string  // the value as printed; empty for a group's mean
}

// Comparison is the union of the rows of every summary of its sources.
type Comparison struct {
	schema  Schema
	sources []string
	columns []string // every column of every summary, in first-seen order
	index   map[string]int
	nonNum  []bool // per column: some value is not a number
	nonBool []bool // per column: some summary has it of another type than bool
	rows    []line
}

// line is one row of a summary: its cells by column index (a row read
// before a column was first seen is shorter).
type line struct {
	source int
	also   []int // the later sources that reached the row too (Source.Keys)
	cells  []Cell
}

// New unions the rows of sources, in order, each key of Source.Keys once.
func New(schema Schema, sources []Source) *Comparison {
	c := &Comparison{schema: schema, index: map[string]int{}}
	seen := map[string]int{} // a row's key: its index in c.rows
	for i, s := range sources {
		c.sources = append(c.sources, s.Name)
		for j, t := range s.Tables {
			var keys []string
			if s.Keys != nil {
				keys = s.Keys[j]
			}
			c.add(i, t, c.keep(i, t.Rows, keys, seen))
		}
	}
	return c
}

// keep returns the rows, of a table of n rows named by keys (nil: every
// row), whose keys no earlier row has, and records those keys in seen at
// the indices in c.rows the rows will get. A row left out records source
// among the sources of the row it repeats.
func (c *Comparison) keep(source, n int, keys []string, seen map[string]int) []int {
	rows := make([]int, 0, n)
	for r := range n {
		if keys == nil {
			rows = append(rows, r)
			continue
		}
		at, dup := seen[keys[r]]
		switch {
		case !dup:
			seen[keys[r]] = len(c.rows) + len(rows)
			rows = append(rows, r)
		case at < len(c.rows): // else a repeat within the table
			if l := &c.rows[at]; l.source != source && !slices.Contains(l.also, source) {
				l.also = append(l.also, source)
			}
		}
	}
	return rows
}

// add appends the rows (indices) of t, read from sources[source]; a table
// whose rows all repeat earlier ones adds no column either.
func (c *Comparison) add(source int, t *dataset.Table, rows []int) {
	if len(rows) == 0 && t.Rows > 0 {
		return
	}
	at := make([]int, len(t.Fields))
	for i, f := range t.Fields {
		j, ok := c.index[f.Name]
		if !ok {
			j = len(c.columns)
			c.index[f.Name] = j
			c.columns = append(c.columns, f.Name)
			c.nonNum = append(c.nonNum, false)
			c.nonBool = append(c.nonBool, false)
		}
		at[i] = j
		if f.Type == dataset.String || f.Type == dataset.Bool {
			c.nonNum[j] = true
		}
		if f.Type != dataset.Bool {
			c.nonBool[j] = true
		}
	}
	cells := make([]Cell, len(rows)*len(c.columns))
	for k, r := range rows {
		l := line{source: source, cells: cells[k*len(c.columns) : (k+1)*len(c.columns) : (k+1)*len(c.columns)]}
		for i, f := range t.Fields {
			l.cells[at[i]] = c.valueCell(f.Name, t.Columns[i], r)
		}
		c.rows = append(c.rows, l)
	}
}

// valueCell is row r of the column name, col, as dataset.ReadTable
// returns it.
func (c *Comparison) valueCell(name string, col any, r int) Cell {
	var v any
	out := Cell{Set: true, Std: math.NaN()}
	switch col := col.(type) {
	case []int64:
		v, out.Num, out.F = col[r], true, float64(col[r])
	case []int32:
		v, out.Num, out.F = col[r], true, float64(col[r])
	case []float64:
		v, out.Num, out.Float, out.F = col[r], true, true, col[r]
	case []bool:
		v = col[r]
	case []string:
		v = col[r]
	default:
		return Cell{}
	}
	out.Text = c.schema.Format(name, v)
	return out
}

func (c *Comparison) cell(r line, name string) Cell {
	if name == ColSource {
		return Cell{Set: true, Text: c.sources[r.source]}
	}
	j, ok := c.index[name]
	if !ok || j >= len(r.cells) {
		return Cell{}
	}
	return r.cells[j]
}

// ok reports whether r finished ok; a summary without a status column has
// only finished rows.
func (c *Comparison) ok(r line) bool {
	s := c.cell(r, c.schema.Status)
	return !s.Set || s.Text == c.schema.OK
}

// Has reports whether name is a column of the table (the source always is).
func (c *Comparison) Has(name string) bool {
	_, ok := c.index[name]
	return ok || name == ColSource
}

func (c *Comparison) numeric(name string) bool {
	j, ok := c.index[name]
	return ok && !c.nonNum[j]
}

// boolean reports whether name is a column that every summary having it
// holds as booleans.
func (c *Comparison) boolean(name string) bool {
	j, ok := c.index[name]
	return ok && !c.nonBool[j]
}

// missing is the error for a column that is not in the summaries: invalid
// input, naming the flag that asked for it.
func (c *Comparison) missing(flag, name string) error {
	return pipeline.Invalid(fmt.Errorf("%s: no column %q in the summaries (columns: %s)", flag, name, strings.Join(c.columns, ", ")))
}

// differs reports whether the column name has two rows with different
// values (a row without the column differs from one with it).
func (c *Comparison) differs(name string) bool {
	if len(c.rows) == 0 {
		return false
	}
	first := c.cell(c.rows[0], name)
	for _, r := range c.rows[1:] {
		if x := c.cell(r, name); x.Set != first.Set || x.Text != first.Text {
			return true
		}
	}
	return false
}

// BaselineMeans returns each metric's mean over the ok rows of
// sources[source], those shown from an earlier source included (see
// Source.Keys), or nil if it has none.
func (c *Comparison) BaselineMeans(source int) []float64 {
	var rows []line
	for _, r := range c.rows {
		if (r.source == source || slices.Contains(r.also, source)) && c.ok(r) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	means := make([]float64, len(c.schema.Metrics))
	for i, m := range c.schema.Metrics {
		means[i], _, _ = MeanStd(c.metricValues(rows, m))
	}
	return means
}

// metricValues lists the metric's values in rows, leaving out rows that did
// not finish ok and values that are missing or NaN.
func (c *Comparison) metricValues(rows []line, metric string) []float64 {
	var xs []float64
	for _, r := range rows {
		if x := c.cell(r, metric); x.Set && x.Num && !math.IsNaN(x.F) && c.ok(r) {
			xs = append(xs, x.F)
		}
	}
	return xs
}

// MeanStd returns the mean of xs and their sample standard deviation
// (divisor n-1), NaN for what n is too small for, and n.
func MeanStd(xs []float64) (mean, std float64, n int) {
	switch n = len(xs); n {
	case 0:
		return math.NaN(), math.NaN(), 0
	case 1:
		return xs[0], math.NaN(), 1
	}
	mean, std = stat.MeanStdDev(xs, nil)
	return mean, std, n
}

// Group is the rows sharing the values of some keys.
type Group struct {
	Keys    []Cell // the keys' values, in the order of the keys
	N       int    // rows
	Failed  int    // rows that did not finish ok
	Metrics []Cell // per metric of the schema: the mean (F), std and count (N) over the ok rows; not Set when there is none
}

// Groups returns one group per distinct value of keys, in order of first
// appearance. A key that is not a column, or names a metric (which a group
// averages) or a column the comparison adds other than the source (see
// Schema.Adds), is invalid input.
func (c *Comparison) Groups(keys []string) ([]Group, error) {
	for _, k := range keys {
		switch {
		case !c.Has(k):
			return nil, c.missing("--group-by", k)
		case slices.Contains(c.schema.Metrics, k):
			return nil, pipeline.Invalid(fmt.Errorf("--group-by: %q is a metric, which each group averages; group by another column", k))
		case k != ColSource && c.schema.Adds(k):
			return nil, pipeline.Invalid(fmt.Errorf("--group-by: %q is a column compare adds (%s); group by another column", k, AddedColumns))
		}
	}
	var order []string
	members := map[string][]line{}
	var id strings.Builder
	for _, r := range c.rows {
		id.Reset()
		for _, k := range keys {
			x := c.cell(r, k)
			if x.Set {
				id.WriteByte('=')
			} else {
				id.WriteByte('!')
			}
			id.WriteString(x.Text)
			id.WriteByte(0)
		}
		g := id.String()
		if _, seen := members[g]; !seen {
			order = append(order, g)
		}
		members[g] = append(members[g], r)
	}
	out := make([]Group, 0, len(order))
	for _, g := range order {
		rows := members[g]
		grp := Group{N: len(rows)}
		for _, k := range keys {
			grp.Keys = append(grp.Keys, c.cell(rows[0], k))
		}
		for _, r := range rows {
			if !c.ok(r) {
				grp.Failed++
			}
		}
		for _, m := range c.schema.Metrics {
			mean, std, n := MeanStd(c.metricValues(rows, m))
			if n == 0 {
				grp.Metrics = append(grp.Metrics, Cell{F: math.NaN(), Std: math.NaN()})
				continue
			}
			grp.Metrics = append(grp.Metrics, Cell{Set: true, Num: true, F: mean, Std: std, N: n})
		}
		out = append(out, grp)
	}
	return out, nil
}
