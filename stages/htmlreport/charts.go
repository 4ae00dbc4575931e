package htmlreport

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
)

// The page's size budget (see the package doc).
const (
	// targetSize is the size the page aims at, in bytes.
	targetSize = 2_850_000
	// bytesPerNumber is what a curve's number costs, on average, for the
	// budget: six significant digits and a comma.
	bytesPerNumber = 10
	// minPoints is the fewest points a chart is drawn with; with fewer
	// the budget allows, it is left out.
	minPoints = 8
	// dataURIPrefix starts an embedded boundary.png.
	dataURIPrefix = "data:image/png;base64,"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// leftOut says why a part of a drill-down is not shown.
const leftOut = "left out to keep the page small (see nnpipe report's size budget)"

// withoutPath is err's message without path, which is named beside it.
func withoutPath(err error, path string) string {
	return strings.TrimPrefix(strings.ReplaceAll(err.Error(), path+": ", ""), path)
}

// fill adds to the drill-downs what the size budget leaves room for: the
// curves of every run with a history, then boundary images in row order.
func (p *page) fill(ctx context.Context, runs []*run) error {
	used, err := p.size()
	if err != nil {
		return err
	}
	left := targetSize - used
	withHistory := 0
	for _, r := range runs {
		if r != nil && r.history != "" {
			withHistory++
		}
	}
	perRun := 0
	if withHistory > 0 && left > 0 {
		perRun = left / bytesPerNumber / withHistory
	}
	spent := make([]int, len(runs))
	notes := make([][]string, len(runs)) // added in row order, for the same page every time
	pipeline.ForEach(ctx, len(runs), runtime.GOMAXPROCS(0), func(i int) {
		r, d := runs[i], p.runs.Runs[i]
		if r == nil || r.history == "" {
			return
		}
		var err error
		d.Curve, d.Weights, notes[i], err = readHistory(r.history, perRun)
		if err != nil {
			notes[i] = []string{HistoryFile + ": " + withoutPath(err, r.history)}
			return
		}
		spent[i] = d.chartsLen()
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, s := range spent {
		left -= s
		for _, n := range notes[i] {
			p.note(p.runs.Runs[i], n)
		}
	}
	for i, r := range runs {
		if r == nil || r.boundary == "" {
			continue
		}
		d := p.runs.Runs[i]
		size := len(dataURIPrefix) + base64.StdEncoding.EncodedLen(int(r.imageSize))
		if size > left {
			p.note(d, BoundaryFile+": "+leftOut)
			continue
		}
		b, err := readCapped(r.boundary, maxImage)
		if err == nil && !bytes.HasPrefix(b, pngMagic) {
			err = fmt.Errorf("not a PNG image")
		}
		if err != nil {
			p.note(d, BoundaryFile+": "+withoutPath(err, r.boundary))
			continue
		}
		d.Boundary = dataURIPrefix + base64.StdEncoding.EncodeToString(b)
		left -= len(d.Boundary)
	}
	return nil
}

// size is the page's size so far: the assets and both JSON blocks.
func (p *page) size() (int, error) {
	data, err := json.Marshal(p.data)
	if err != nil {
		return 0, err
	}
	runs, err := p.runs.encode()
	if err != nil {
		return 0, err
	}
	return len(echartsJS) + len(reportJS) + len(reportCSS) + len(pageHTML) + len(data) + len(runs) + 2048, nil
}

// historyPlan is what of a history the drill-down draws: the step column
// (-1: the row number), the learning curve's columns (every float column
// that is not a weight) with the integer columns for its tooltip, the
// weights (w_j_i and v_k_j), and each chart's number of points (0: left
// out).
type historyPlan struct {
	x               int
	lines, tips, ws []int
	pl, pw          int
}

// planHistory plans the charts of a history of rows rows with fields
// within budget numbers.
func planHistory(fields []dataset.Field, rows, budget int) historyPlan {
	h := historyPlan{x: -1}
	for i, f := range fields {
		if f.Name == "step" && (f.Type == dataset.Int64 || f.Type == dataset.Int32) {
			h.x = i
		}
	}
	for i, f := range fields {
		if h.x < 0 && (f.Type == dataset.Int64 || f.Type == dataset.Int32) {
			h.x = i
		}
	}
	for i, f := range fields {
		switch {
		case i == h.x:
		case f.Type == dataset.Float64 && isWeight(f.Name):
			h.ws = append(h.ws, i)
		case f.Type == dataset.Float64:
			h.lines = append(h.lines, i)
		case f.Type == dataset.Int64 || f.Type == dataset.Int32:
			h.tips = append(h.tips, i)
		}
	}
	l := len(h.lines) + len(h.tips)
	if len(h.lines) == 0 {
		l = 0
	}
	h.pl, h.pw = points(rows, budget, l, len(h.ws))
	return h
}

// columns are the columns the plan draws, in the order of the history's
// columns: the order dataset.ReadTableColumns gives them in.
func (h historyPlan) columns() []int {
	var cols []int
	if h.x >= 0 {
		cols = append(cols, h.x)
	}
	if h.pl > 0 {
		cols = append(append(cols, h.lines...), h.tips...)
	}
	if h.pw > 0 {
		cols = append(cols, h.ws...)
	}
	slices.Sort(cols)
	return cols
}

// readHistory reads and draws the history at path within budget numbers,
// decoding only the columns it draws.
func readHistory(path string, budget int) (curve, weights *chartData, notes []string, err error) {
	var plan historyPlan
	var values int64
	t, err := dataset.ReadTableColumns(path, func(fields []dataset.Field, rows int64) []int {
		plan = planHistory(fields, int(min(rows, math.MaxInt32)), budget)
		cols := plan.columns()
		if values = rows * int64(len(cols)); values > maxHistoryValues {
			return nil // decoding them would take values × 8 bytes of memory: refused below
		}
		return cols
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if values > maxHistoryValues {
		return nil, nil, nil, fmt.Errorf("%d values to draw, more than %d", values, maxHistoryValues)
	}
	curve, weights, notes = plan.draw(t)
	return curve, weights, notes, nil
}

// historyCharts draws a whole history table within budget numbers.
func historyCharts(t *dataset.Table, budget int) (curve, weights *chartData, notes []string) {
	plan := planHistory(t.Fields, t.Rows, budget)
	byName := &dataset.Table{Rows: t.Rows, Meta: t.Meta}
	for _, i := range plan.columns() {
		byName.Fields = append(byName.Fields, t.Fields[i])
		byName.Columns = append(byName.Columns, t.Columns[i])
	}
	return plan.draw(byName)
}

// draw draws the charts of the plan from t, which holds the columns the
// plan names (plan.columns), in their order.
func (h historyPlan) draw(t *dataset.Table) (curve, weights *chartData, notes []string) {
	if t.Rows == 0 {
		return nil, nil, []string{HistoryFile + ": no rows"}
	}
	at := map[int]int{} // the plan's column index -> t's
	for k, i := range h.columns() {
		at[i] = k
	}
	pos := func(cols []int) []int {
		out := make([]int, len(cols))
		for k, i := range cols {
			out[k] = at[i]
		}
		return out
	}
	x := -1
	if h.x >= 0 {
		x = at[h.x]
	}
	switch {
	case len(h.lines) == 0:
	case h.pl == 0:
		notes = append(notes, "learning curve: "+leftOut)
	default:
		curve = chartOf(t, x, pos(h.lines), pos(h.tips), h.pl)
	}
	switch {
	case len(h.ws) == 0:
	case h.pw == 0:
		notes = append(notes, "weight paths: "+leftOut)
	default:
		weights = chartOf(t, x, pos(h.ws), nil, h.pw)
	}
	return curve, weights, notes
}

// points shares budget numbers between a learning curve of l series and
// weight paths of w series, each with its own x values, over rows rows: as
// many points as there are rows when that fits; else half the budget to
// each, the weights' share to the curve when it gives them fewer than
// minPoints; 0 for a chart that gets fewer (unless the history is that
// short).
func points(rows, budget, l, w int) (pl, pw int) {
	switch {
	case w == 0:
		pl = min(rows, budget/(1+l))
	case l == 0:
		pw = min(rows, budget/(1+w))
	case rows*(2+l+w) <= budget:
		pl, pw = rows, rows
	default:
		pl = min(rows, budget/2/(1+l))
		pw = min(rows, (budget-pl*(1+l))/(1+w))
		if pw < minPoints && pw < rows {
			pw, pl = 0, min(rows, budget/(1+l))
		}
	}
	if pl < minPoints && pl < rows {
		pl = 0
	}
	if pw < minPoints && pw < rows {
		pw = 0
	}
	return pl, pw
}

// chartOf is the columns cols (and tips) of t against column x (the row
// number when x < 0) on n points: the first and last rows and others
// spread evenly between. The last value of each column is exact.
func chartOf(t *dataset.Table, x int, cols, tips []int, n int) *chartData {
	// The arrays are JSON written here, of numbers only (see encodeColumn).
	idx := spread(t.Rows, n)
	c := &chartData{X: "row", Rows: t.Rows}
	if x >= 0 {
		c.X = t.Fields[x].Name
		c.XS = encodeColumn(t.Columns[x], idx)
	} else {
		b := []byte{'['}
		for k, i := range idx {
			if k > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(i), 10)
		}
		c.XS = append(b, ']')
	}
	for _, j := range cols {
		c.Series = append(c.Series, lineData{Name: t.Fields[j].Name, Y: encodeColumn(t.Columns[j], idx)})
	}
	for _, j := range tips {
		c.Tips = append(c.Tips, lineData{Name: t.Fields[j].Name, Y: encodeColumn(t.Columns[j], idx)})
	}
	return c
}

// spread returns n row indices out of rows: 0, rows-1 and evenly between.
func spread(rows, n int) []int {
	if n >= rows {
		n = rows
	}
	idx := make([]int, n)
	for k := range n {
		if n == 1 {
			idx[k] = rows - 1
			break
		}
		idx[k] = int(int64(k) * int64(rows-1) / int64(n-1))
	}
	return idx
}

// encodeColumn is the JSON array of the rows idx of a column: integers
// exactly, floats to 6 significant digits but the last exactly.
func encodeColumn(col any, idx []int) []byte {
	b := make([]byte, 0, 2+len(idx)*len("-1.23457e-100,")) // the longest 6-digit number
	b = append(b, '[')
	for k, i := range idx {
		if k > 0 {
			b = append(b, ',')
		}
		switch c := col.(type) {
		case []int64:
			b = strconv.AppendInt(b, c[i], 10)
		case []int32:
			b = strconv.AppendInt(b, int64(c[i]), 10)
		case []float64:
			b = appendNumber(b, c[i], k == len(idx)-1)
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, ']')
}

// isWeight reports whether a history column is a weight: w_j_i or v_k_j.
func isWeight(name string) bool {
	if len(name) < 5 || (name[0] != 'w' && name[0] != 'v') || name[1] != '_' {
		return false
	}
	parts := 0
	digits := 0
	for _, r := range name[2:] {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '_' && digits > 0:
			parts++
			digits = 0
		default:
			return false
		}
	}
	return parts == 1 && digits > 0
}
