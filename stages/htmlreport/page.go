package htmlreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// pageData is the JSON block the page draws its table, parallel
// coordinates and groups from.
type pageData struct {
	Title   string          `json:"title"`
	Nnpipe  string          `json:"nnpipe"`
	ECharts string          `json:"echarts"`
	Sources []string        `json:"sources"`
	Skipped []skippedData   `json:"skipped"`
	Columns []column        `json:"columns"`
	Text    [][]string      `json:"text"` // per row, per column: the cell as compare prints it
	Nums    json.RawMessage `json:"nums"` // per row, per column: the number, or null
	Groups  groupsData      `json:"groups"`
}

type skippedData struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// groupsData is every grouping the page offers.
type groupsData struct {
	Keys    []string             `json:"keys"`    // the varying parameters one may group by
	Default []int                `json:"default"` // the keys grouped by at first
	Metrics []string             `json:"metrics"` // the metrics of Stats, in order
	Sets    map[string]*groupSet `json:"sets"`    // by the indices of their keys, "0,2"
	Left    int64                `json:"left"`    // groupings not computed (too many groups)
	Command string               `json:"command"` // compare's command line, for the others
}

// groupSet is one grouping: compare --group-by's table, and each group's
// first key and statistics for the chart.
type groupSet struct {
	Header  []string        `json:"header"`
	Numeric []bool          `json:"numeric"`
	Rows    [][]string      `json:"rows"`
	X       json.RawMessage `json:"x"`     // per group: the first key's number, or null
	Stats   json.RawMessage `json:"stats"` // per group, per metric: [mean, std, n]
}

// runsData is the JSON block of the drill-downs, read only when one opens.
type runsData struct {
	Lines     []string      `json:"lines"`     // every distinct line of the configs
	ClassSets [][]string    `json:"classSets"` // every distinct list of class names
	StageSets [][][2]string `json:"stageSets"` // every distinct list of stages (id, kind)
	Notes     []string      `json:"notes"`     // every distinct note
	Runs      []*runData    `json:"-"`         // "runs": per row; null for a row without a run directory (see encode)
}

type runData struct {
	Dir       string             `json:"dir"`
	Notes     []int              `json:"notes,omitempty"` // what is not shown, and why: indices in Notes
	Config    *configData        `json:"config,omitempty"`
	Classes   int                `json:"classes"` // index in ClassSets; -1 for none
	Confusion map[string][][]int `json:"confusion,omitempty"`
	Stages    *stagesData        `json:"stages,omitempty"`
	Boundary  string             `json:"boundary,omitempty"` // a data: URI
	// "curve" and "weights", written by encode: encoding/json would check
	// every number of their arrays again.
	Curve, Weights *chartData `json:"-"`
}

// configData is a config's lines, by index in Lines: all of them, or
// those that differ from an earlier run's config of as many lines.
type configData struct {
	Lines []int    `json:"lines,omitempty"`
	Base  *int     `json:"base,omitempty"` // the run whose config this one changes
	Set   [][2]int `json:"set,omitempty"`  // [line number, index in Lines]
}

type stagesData struct {
	Set     int             `json:"set"`               // index in StageSets
	Cached  string          `json:"cached"`            // per stage, 1 for a cache hit, else 0
	Seconds json.RawMessage `json:"seconds"`           // as the run saw it
	Compute json.RawMessage `json:"compute,omitempty"` // computing it; left out when equal to seconds
}

// chartData is a chart of history columns against their step: in JSON,
// {"x": the step column's name ("row" when there is none), "xs": [...],
// "series": [{"name", "y": [...]}], "tips": integer columns shown in the
// tooltip, "rows": the rows of the history}.
type chartData struct {
	X      string
	XS     []byte // a JSON array
	Series []lineData
	Tips   []lineData
	Rows   int
}

type lineData struct {
	Name string
	Y    []byte // a JSON array
}

// lineList is a list of a chart's lines and the JSON that opens it.
type lineList struct {
	open  string
	lines []lineData
}

// lists are c's lists of lines, in the order of its JSON.
func (c *chartData) lists() [2]lineList {
	return [2]lineList{{`,"series":[`, c.Series}, {`,"tips":[`, c.Tips}}
}

// appendJSON appends c as JSON to b.
func (c *chartData) appendJSON(b []byte) []byte {
	b = append(b, `{"x":`...)
	b = appendString(b, c.X)
	b = append(b, `,"xs":`...)
	b = append(b, c.XS...)
	for _, list := range c.lists() {
		b = append(b, list.open...)
		for j, l := range list.lines {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, l.Name)
			b = append(b, `,"y":`...)
			b = append(b, l.Y...)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"rows":`...)
	b = strconv.AppendInt(b, int64(c.Rows), 10)
	return append(b, '}')
}

// namedChart is one of a run's charts and its key in the run's JSON.
type namedChart struct {
	name  string
	chart *chartData // nil: the run has none
}

// charts are d's charts, in the order of its JSON.
func (d *runData) charts() [2]namedChart {
	return [2]namedChart{{"curve", d.Curve}, {"weights", d.Weights}}
}

// chartsLen is the length of d's charts in JSON (see chartData.jsonLen).
func (d *runData) chartsLen() int {
	n := 0
	for _, c := range d.charts() {
		if c.chart != nil {
			n += c.chart.jsonLen()
		}
	}
	return n
}

// jsonLen is len(c.appendJSON(nil)), without building it.
func (c *chartData) jsonLen() int {
	n := len(`{"x":`) + len(appendString(nil, c.X)) + len(`,"xs":`) + len(c.XS)
	for _, list := range c.lists() {
		n += len(list.open) + 1 // ... ]
		for j, l := range list.lines {
			if j > 0 {
				n++
			}
			n += len(`{"name":`) + len(appendString(nil, l.Name)) + len(`,"y":`) + len(l.Y) + 1
		}
	}
	var digits [20]byte
	return n + len(`,"rows":`) + len(strconv.AppendInt(digits[:0], int64(c.Rows), 10)) + 1
}

// appendString appends s as a JSON string, HTML-safe.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// encode is the drill-downs' JSON block: runsData with its runs, each
// with its charts.
func (r *runsData) encode() ([]byte, error) {
	head, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	size := len(head) + len(`,"runs":[]}`)
	for _, d := range r.Runs {
		if d != nil {
			size += 2*len(`,"weights":`) + d.chartsLen()
		}
	}
	b := make([]byte, 0, size+len(r.Runs)*512) // the charts, and room for the rest
	b = append(append(b, head[:len(head)-1]...), `,"runs":[`...)
	for i, d := range r.Runs {
		if i > 0 {
			b = append(b, ',')
		}
		if d == nil {
			b = append(b, "null"...)
			continue
		}
		one, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		b = append(b, one[:len(one)-1]...)
		for _, c := range d.charts() {
			if c.chart != nil {
				b = append(b, `,"`+c.name+`":`...)
				b = c.chart.appendJSON(b)
			}
		}
		b = append(b, '}')
	}
	return escapeHTML(append(b, "]}"...)), nil
}

// page is the report's two JSON blocks being built.
type page struct {
	data pageData
	runs runsData
	// for the drill-downs' skeleton
	lines   map[string]int
	classes map[string]int
	stages  map[string]int
	notes   map[string]int
	bases   map[int]int // a config's number of lines -> the first run with as many
}

// Groupings are computed while they add up to at most maxGroupRows groups
// and maxGroupings groupings.
const (
	maxGroupRows  = 3000
	maxGroupings  = 128
	maxGroupSizes = 4 // keys in one grouping
)

// newPage starts the page of c, whose sources are the paths names (as
// given: the page shows them as c names them, the compare command it
// prints gives them as they are).
func newPage(c *comparison.Comparison, rep *Report, runs []*run, names []string) *page {
	p := &page{lines: map[string]int{}, classes: map[string]int{}, stages: map[string]int{}, notes: map[string]int{}, bases: map[int]int{}}
	d := &p.data
	d.Title, d.Nnpipe, d.ECharts, d.Sources = rep.title, rep.version, echartsVersion(), c.Sources()
	d.Skipped = []skippedData{}
	for _, s := range rep.Skipped {
		d.Skipped = append(d.Skipped, skippedData(s))
	}
	p.table(c, runs)
	p.groups(c, names)
	p.runs = runsData{Lines: []string{}, ClassSets: [][]string{}, StageSets: [][][2]string{}, Notes: []string{}, Runs: make([]*runData, len(runs))}
	for i, r := range runs {
		p.runs.Runs[i] = p.skeleton(i, r)
	}
	return p
}

// table fills the columns and cells: the id, the source with several,
// the status, every parameter, the metrics, the times, the error when a
// row has one, and the train stage's cache key.
func (p *page) table(c *comparison.Comparison, runs []*run) {
	s := results.Schema()
	infos := c.Columns()
	cols := []column{{Name: s.ID, Role: roleID}}
	if len(c.Sources()) > 1 {
		cols = append(cols, column{Name: comparison.ColSource, Role: roleSource, Varies: true})
	}
	if c.Has(s.Status) {
		cols = append(cols, column{Name: s.Status, Role: roleStatus})
	}
	for _, in := range infos {
		if in.Name != s.ID && in.Name != s.Status && in.Name != s.Error && !in.Measured {
			cols = append(cols, column{Name: in.Name, Role: roleParam, Numeric: in.Numeric, Varies: in.Differs})
		}
	}
	for _, m := range s.Metrics {
		if c.Has(m) {
			cols = append(cols, column{Name: m, Role: roleMetric, Numeric: true, Better: better(m)})
		}
	}
	for _, in := range infos {
		if in.Measured && !slices.Contains(s.Metrics, in.Name) {
			cols = append(cols, column{Name: in.Name, Role: roleTime, Numeric: in.Numeric})
		}
	}
	for i := range c.Len() {
		if c.Cell(i, s.Error).Text != "" {
			cols = append(cols, column{Name: s.Error, Role: roleError})
			break
		}
	}
	cols = append(cols, column{Name: KeyColumn, Role: roleKey})
	for j := range cols {
		switch col := &cols[j]; col.Role {
		case roleParam:
			col.Shown = col.Varies
		case roleTime:
			col.Shown = col.Name == results.ColSeconds
		case roleKey:
		default:
			col.Shown = true
		}
	}
	p.data.Columns = cols

	p.data.Text = make([][]string, c.Len())
	nums := []byte{'['}
	for i := range c.Len() {
		text := make([]string, len(cols))
		if i > 0 {
			nums = append(nums, ',')
		}
		nums = append(nums, '[')
		for j, col := range cols {
			var x comparison.Cell
			switch {
			case col.Role == roleKey:
				if runs[i] != nil {
					x = comparison.Cell{Set: true, Text: runs[i].key}
				}
			case col.Role == roleMetric && !c.RowOK(i): // blank, as compare shows it
			default:
				x = c.Cell(i, col.Name)
			}
			text[j] = x.Text
			if j > 0 {
				nums = append(nums, ',')
			}
			nums = appendNumber(nums, finite(x), true)
		}
		nums = append(nums, ']')
		p.data.Text[i] = text
	}
	p.data.Nums = append(nums, ']')
}

// groups computes the groupings: every subset of the varying parameters,
// smallest first, while they add up to at most maxGroupRows groups; and
// first the default, the varying parameters that are not repetitions (seeds,
// folds). names are the sources' paths, for the compare command.
func (p *page) groups(c *comparison.Comparison, names []string) {
	g := &p.data.Groups
	g.Metrics, g.Sets, g.Default, g.Keys = results.Schema().Metrics, map[string]*groupSet{}, []int{}, []string{}
	for _, col := range p.data.Columns {
		if (col.Role == roleParam || col.Role == roleSource) && col.Varies {
			if col.Role == roleParam && col.Name != results.ColName && !results.IsRepetitionKey(col.Name) {
				g.Default = append(g.Default, len(g.Keys))
			}
			g.Keys = append(g.Keys, col.Name)
		}
	}
	g.Command = "nnpipe compare"
	for _, s := range names {
		g.Command += " " + commandArg(s)
	}
	rows := 0
	full := func() bool { return len(g.Sets) >= maxGroupings || rows >= maxGroupRows }
	add := func(idx []int, always bool) {
		id := subsetID(idx)
		if _, done := g.Sets[id]; done || (!always && full()) {
			return
		}
		keys := make([]string, len(idx))
		for i, k := range idx {
			keys[i] = g.Keys[k]
		}
		set, n := groupSetOf(c, keys)
		if set == nil || (!always && rows+n > maxGroupRows) {
			return
		}
		rows += n
		g.Sets[id] = set
	}
	add(g.Default, true)
	// Once the page holds as many groupings or groups as it may, the rest
	// are counted, not visited: with hundreds of varying columns (runs of
	// configs whose stages have other ids) there are billions of subsets.
	for size := 0; size <= min(len(g.Keys), maxGroupSizes) && !full(); size++ {
		subsets(len(g.Keys), size, func(idx []int) bool {
			add(idx, false)
			return !full()
		})
	}
	// Every subset of at most maxGroupSizes keys not computed is left, and
	// every larger one: at most 2^53 in all, what the page's script counts
	// exactly.
	left := smallSubsets(len(g.Keys))
	for id := range g.Sets {
		if strings.Count(id, ",") < maxGroupSizes { // "" too: the empty subset
			left--
		}
	}
	g.Left = min(left+uncounted(len(g.Keys)), 1<<53)
}

// smallSubsets is the number of subsets of n keys with at most
// maxGroupSizes keys, at most 2^53 (what the page's script counts
// exactly).
func smallSubsets(n int) int64 {
	const most = 1 << 53
	total, c := int64(0), int64(1) // C(n, size)
	for size := 0; size <= min(n, maxGroupSizes); size++ {
		total += c
		if total >= most || c > most/int64(max(n, 1)) {
			return most
		}
		c = c * int64(n-size) / int64(size+1)
	}
	return total
}

// uncounted is the number of subsets of n keys with more than
// maxGroupSizes keys, which are never computed: 2^n less those of at most
// maxGroupSizes keys, at most 2^53 (what the page's script counts
// exactly).
func uncounted(n int) int64 {
	const most = 1 << 53
	if n >= 53 {
		return most
	}
	total := int64(1) << n
	c := int64(1) // C(n, size)
	for size := 0; size <= min(n, maxGroupSizes); size++ {
		total -= c
		c = c * int64(n-size) / int64(size+1)
	}
	return total
}

// subsets calls fn with every subset of size of 0..n-1, in lexical order,
// until fn returns false.
func subsets(n, size int, fn func([]int) bool) {
	idx := make([]int, size)
	var rec func(at, from int) bool
	rec = func(at, from int) bool {
		if at == size {
			return fn(slices.Clone(idx))
		}
		for i := from; i <= n-(size-at); i++ {
			idx[at] = i
			if !rec(at+1, i+1) {
				return false
			}
		}
		return true
	}
	rec(0, 0)
}

func subsetID(idx []int) string {
	s := make([]string, len(idx))
	for i, k := range idx {
		s[i] = strconv.Itoa(k)
	}
	return strings.Join(s, ",")
}

// groupSetOf is the grouping by keys as compare --group-by prints it, and
// its number of groups.
func groupSetOf(c *comparison.Comparison, keys []string) (*groupSet, int) {
	groups, err := c.Groups(keys)
	if err != nil {
		return nil, 0
	}
	v, err := c.Grouped(keys)
	if err != nil {
		return nil, 0
	}
	t := v.Table(report.Text, nil)
	set := &groupSet{Header: t.Header, Numeric: t.Numeric, Rows: t.Rows}
	x, stats := []byte{'['}, []byte{'['}
	for i, g := range groups {
		if i > 0 {
			x, stats = append(x, ','), append(stats, ',')
		}
		first := math.NaN()
		if len(g.Keys) > 0 {
			first = finite(g.Keys[0])
		}
		x = appendNumber(x, first, true)
		stats = append(stats, '[')
		for j, m := range g.Metrics {
			if j > 0 {
				stats = append(stats, ',')
			}
			mean, std := math.NaN(), math.NaN()
			if m.Set {
				mean, std = m.F, m.Std
			}
			stats = append(stats, '[')
			stats = appendNumber(stats, mean, true)
			stats = append(stats, ',')
			stats = appendNumber(stats, std, true)
			stats = append(stats, ',')
			stats = strconv.AppendInt(stats, int64(m.N), 10)
			stats = append(stats, ']')
		}
		stats = append(stats, ']')
	}
	set.X, set.Stats = append(x, ']'), append(stats, ']')
	return set, len(groups)
}

// skeleton is the drill-down data of row i without its curves and image.
func (p *page) skeleton(i int, r *run) *runData {
	if r == nil {
		return nil
	}
	d := &runData{Dir: r.dir, Classes: -1}
	for _, n := range r.notes {
		p.note(d, n)
	}
	if r.config != nil {
		d.Config = p.config(i, r.config)
	}
	if r.classes != nil {
		d.Classes = intern(p.classes, strings.Join(r.classes, "\x00"), func() { p.runs.ClassSets = append(p.runs.ClassSets, r.classes) })
		if len(r.confusion) > 0 {
			d.Confusion = r.confusion
		}
	}
	if len(r.stages) > 0 {
		var names [][2]string
		var key strings.Builder
		st := &stagesData{}
		var cached strings.Builder
		secs, comp := []byte{'['}, []byte{'['}
		same := true
		for j, s := range r.stages {
			names = append(names, [2]string{s.ID, s.Kind})
			key.WriteString(s.ID + "\x00" + s.Kind + "\x00")
			if s.Cached {
				cached.WriteByte('1')
			} else {
				cached.WriteByte('0')
			}
			if j > 0 {
				secs, comp = append(secs, ','), append(comp, ',')
			}
			secs = strconv.AppendFloat(secs, s.Seconds, 'g', 3, 64)
			comp = strconv.AppendFloat(comp, s.ComputeSeconds, 'g', 3, 64)
			same = same && s.Seconds == s.ComputeSeconds
		}
		st.Cached, st.Seconds = cached.String(), append(secs, ']')
		if !same {
			st.Compute = append(comp, ']')
		}
		st.Set = intern(p.stages, key.String(), func() { p.runs.StageSets = append(p.runs.StageSets, names) })
		d.Stages = st
	}
	return d
}

// note adds a note to the drill-down d.
func (p *page) note(d *runData, note string) {
	d.Notes = append(d.Notes, intern(p.notes, note, func() { p.runs.Notes = append(p.runs.Notes, note) }))
}

// config encodes the lines of run i's config: as the changes to the
// first config of as many lines, when few lines differ.
func (p *page) config(i int, lines []string) *configData {
	idx := make([]int, len(lines))
	for j, l := range lines {
		idx[j] = intern(p.lines, l, func() { p.runs.Lines = append(p.runs.Lines, l) })
	}
	b, ok := p.bases[len(lines)]
	if !ok {
		p.bases[len(lines)] = i
		return &configData{Lines: idx}
	}
	base := p.runs.Runs[b].Config.Lines
	d := &configData{Base: &b}
	for j := range idx {
		if idx[j] != base[j] {
			d.Set = append(d.Set, [2]int{j, idx[j]})
		}
	}
	if len(d.Set) > len(idx)/2 {
		return &configData{Lines: idx}
	}
	return d
}

// intern returns the index of key in m, calling add to append it first
// when it is new.
func intern(m map[string]int, key string, add func()) int {
	if i, ok := m[key]; ok {
		return i
	}
	m[key] = len(m)
	add()
	return m[key]
}

// appendNumber appends x as a JSON number, null for NaN and infinities:
// exact (the shortest form that reads back the same), or to 6 significant
// digits.
func appendNumber(b []byte, x float64, exact bool) []byte {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return append(b, "null"...)
	case exact:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, x, 'g', 6, 64)
}

// marshalHTML is v as JSON that can stand inside a <script> element: <,
// > and & escaped (encoding/json escapes them in strings, the only place
// valid JSON can hold them; this makes sure of it), as are U+2028 and
// U+2029.
func marshalHTML(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return escapeHTML(b), nil
}

// escapeHTML escapes <, > and & in b, JSON that holds them only in
// strings.
func escapeHTML(b []byte) []byte {
	if bytes.ContainsAny(b, "<>&") {
		b = bytes.ReplaceAll(b, []byte("<"), []byte(`\u003c`))
		b = bytes.ReplaceAll(b, []byte(">"), []byte(`\u003e`))
		b = bytes.ReplaceAll(b, []byte("&"), []byte(`\u0026`))
	}
	return b
}

// commandArg is the path s as an argument of the compare command the page
// prints: quoted for the shell, and, when it starts with '-', led by "./"
// so that compare does not take it for a flag.
func commandArg(s string) string {
	if strings.HasPrefix(s, "-") {
		s = "./" + s
	}
	return shellQuote(s)
}

// shellQuote quotes s for a POSIX shell when it needs it: in single quotes,
// or, when s holds bytes that are not UTF-8 or a control character such as
// a line break (which the page cannot show as they are), as $'...' with
// those bytes escaped, which bash, zsh and ksh read.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._/-+=:,@%", r))
	}) < 0 {
		return s
	}
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	b := []byte("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, unicode.IsControl(r):
			for _, c := range []byte(s[i : i+size]) {
				b = fmt.Appendf(b, `\x%02x`, c)
			}
		case r == '\'' || r == '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(append(b, '\''))
}
