package comparison

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
)

func TestSortIsNumericForNumbersAndLexicalOtherwise(t *testing.T) {
	num := func(x float64) Cell {
		return Cell{Set: true, Num: true, F: x, Std: math.NaN(), Text: strconv.FormatFloat(x, 'g', -1, 64)}
	}
	text := func(s string) Cell { return Cell{Set: true, Text: s} }
	newView := func() *View {
		return &View{
			cols: []viewCol{{name: "id"}, {name: "hidden", numeric: true}, {name: "label"}},
			rows: [][]Cell{
				{text("a"), num(12), text("12")},
				{text("b"), num(2), text("2")},
				{text("c"), {}, {}},
				{text("d"), num(4), text("4")},
				{text("e"), num(math.NaN()), text("x")},
				{text("f"), num(2), text("2")},
			},
		}
	}
	cases := []struct {
		spec string
		want string // the id column after sorting
	}{
		{"hidden", "bfdace"},  // 2 2 4 12, stable; no value and NaN last, in their order
		{"-hidden", "adbfce"}, // 12 4 2 2, stable; no value and NaN still last
		{"label", "abfdec"},   // "12" < "2" < "4" < "x"; no value last
		{"-label", "edbfac"},
		{"id", "abcdef"},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			v := newView()
			if err := v.Sort(c.spec); err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for _, r := range v.rows {
				got.WriteString(r[0].Text)
			}
			if got.String() != c.want {
				t.Errorf("Sort(%q) = %s, want %s", c.spec, got.String(), c.want)
			}
		})
	}
	if err := newView().Sort("nope"); !pipeline.IsInvalid(err) {
		t.Errorf("Sort on a column the view does not show = %v, want invalid input", err)
	}
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestMeanStd(t *testing.T) {
	cases := []struct {
		xs        []float64
		mean, std float64
	}{
		{[]float64{0.90, 0.94}, 0.92, math.Sqrt(0.0008)}, // sample std: sqrt((0.02² + 0.02²) / 1)
		{[]float64{1, 2, 3, 4}, 2.5, math.Sqrt(5.0 / 3)},
		{[]float64{0.91}, 0.91, math.NaN()},
		{nil, math.NaN(), math.NaN()},
	}
	for _, c := range cases {
		mean, std, n := MeanStd(c.xs)
		// 1e-12: a few roundings of decimal inputs near 1.
		if !near(mean, c.mean, 1e-12) || !near(std, c.std, 1e-12) || n != len(c.xs) {
			t.Errorf("MeanStd(%v) = %v, %v, %d, want %v, %v, %d", c.xs, mean, std, n, c.mean, c.std, len(c.xs))
		}
	}
}

func TestDeltaIsOnTheValuesGrid(t *testing.T) {
	cases := []struct {
		x, base float64
		want    string
	}{
		{0.40, 0.41, "-0.0100"}, // the float difference is -0.009999999999999953
		{0.88, 0.86, "0.0200"},
		{0.86, 0.86, "0.0000"},
		{0.86, 0.86000001, "0.0000"}, // rounds to -0.0000; no sign on zero
		{1.1e-5, 1.0e-5, "1.00e-06"}, // values printed in exponent form keep it
		{0.5, math.Inf(1), "-Inf"},
	}
	for _, c := range cases {
		if got := formatDelta(c.x-c.base, c.x); got != c.want {
			t.Errorf("formatDelta(%v - %v, %v) = %q, want %q", c.x, c.base, c.x, got, c.want)
		}
	}
	if got := signed("0.0200"); got != "+0.0200" {
		t.Errorf(`signed("0.0200") = %q, want "+0.0200"`, got)
	}
}

// testSchema is a summary with an id, a status, one metric and a time.
var testSchema = Schema{
	ID: "id", Status: "status", OK: "ok", Error: "error", Metrics: []string{"acc"},
	Measured: func(c string) bool { return c == "acc" || c == "secs" },
	Format: func(c string, v any) string {
		if f, ok := v.(float64); ok && (c == "acc" || c == "secs") { // measured: rounded, as results.FormatValue does
			return report.FormatFloat(f)
		}
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		if i, ok := v.(int64); ok {
			return strconv.FormatInt(i, 10)
		}
		return v.(string)
	},
}

// table builds a summary of rows (id, status, hidden, lr, acc, secs).
func table(rows ...[6]any) *dataset.Table {
	t := &dataset.Table{Fields: []dataset.Field{{Name: "id", Type: dataset.String}, {Name: "status", Type: dataset.String},
		{Name: "hidden", Type: dataset.Int64}, {Name: "lr", Type: dataset.Float64}, {Name: "acc", Type: dataset.Float64},
		{Name: "secs", Type: dataset.Float64}}, Rows: len(rows)}
	var id, st []string
	var h []int64
	var lr, acc, secs []float64
	for _, r := range rows {
		id, st, h = append(id, r[0].(string)), append(st, r[1].(string)), append(h, int64(r[2].(int)))
		lr, acc, secs = append(lr, r[3].(float64)), append(acc, r[4].(float64)), append(secs, r[5].(float64))
	}
	t.Columns = []any{id, st, h, lr, acc, secs}
	return t
}

func TestGroupsAverageTheOkRowsOfEachSetting(t *testing.T) {
	c := New(testSchema, []Source{{Name: "s", Tables: []*dataset.Table{table(
		[6]any{"a", "ok", 2, 0.5, 0.80, 1.0},
		[6]any{"b", "ok", 4, 0.5, 0.90, 1.0},
		[6]any{"c", "ok", 2, 0.5, 0.84, 1.0},
		[6]any{"d", "failed", 2, 0.5, math.NaN(), 1.0},
		[6]any{"e", "failed", 8, 0.5, 0.99, 1.0}, // a failed row's metric is left out even when it has one
	)}}})
	groups, err := c.Groups([]string{"hidden"})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		key       string
		n, failed int
		mean, std float64
		values    int
	}
	var gs []got
	for _, g := range groups {
		gs = append(gs, got{g.Keys[0].Text, g.N, g.Failed, g.Metrics[0].F, g.Metrics[0].Std, g.Metrics[0].N})
	}
	want := []got{{"2", 3, 1, 0.82, math.Sqrt(0.0008), 2}, {"4", 1, 0, 0.90, math.NaN(), 1}, {"8", 1, 1, math.NaN(), math.NaN(), 0}}
	if len(gs) != len(want) {
		t.Fatalf("groups %v, want %v", gs, want)
	}
	for i := range want {
		// 1e-12: sums of a few decimal inputs.
		if gs[i].key != want[i].key || gs[i].n != want[i].n || gs[i].failed != want[i].failed || gs[i].values != want[i].values ||
			!near(gs[i].mean, want[i].mean, 1e-12) || !near(gs[i].std, want[i].std, 1e-12) {
			t.Errorf("group %d = %+v, want %+v", i, gs[i], want[i])
		}
	}
	if _, err := c.Groups([]string{"hiden"}); !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), `no column "hiden"`) {
		t.Errorf("Groups of a missing key = %v, want invalid input naming it", err)
	}
}

func TestGroupKeysMustNotClashWithTheColumnsOfAGroup(t *testing.T) {
	n := &dataset.Table{Fields: []dataset.Field{{Name: "id", Type: dataset.String}, {Name: "n", Type: dataset.Int64}},
		Columns: []any{[]string{"z"}, []int64{3}}, Rows: 1}
	c := New(testSchema, []Source{{Name: "s", Tables: []*dataset.Table{table([6]any{"a", "ok", 2, 0.5, 0.8, 1.0}), n}}})
	cases := []struct {
		name  string
		keys  []string
		clash string // what the error says; "" for none
	}{
		{"a parameter is a key", []string{"hidden"}, ""},
		{"the source is a key", []string{ColSource, "hidden"}, ""},
		{"a time is a key", []string{"secs"}, ""},
		{"a metric is no key", []string{"hidden", "acc"}, `"acc" is a metric`},
		{"a column named like the group size is no key", []string{"n"}, `"n" is a column compare adds`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Grouped(tc.keys)
			switch {
			case tc.clash == "" && err != nil:
				t.Fatalf("Grouped(%q) = %v, want a view", tc.keys, err)
			case tc.clash == "":
				if h := v.Table(report.JSON, []float64{0.8}).Header; len(h) != len(slices.Compact(slices.Sorted(slices.Values(h)))) {
					t.Errorf("Grouped(%q) header %v repeats a name", tc.keys, h)
				}
			case !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), tc.clash):
				t.Errorf("Grouped(%q) = %v, want invalid input saying %s", tc.keys, err, tc.clash)
			}
		})
	}
}

func TestSchemaAddsTheColumnsCompareAdds(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"source", true}, {"n", true}, {"failed", true}, {"acc_std", true}, {"acc_delta", true},
		{"acc", false}, {"hidden", false}, {"hidden_std", false}, {"status", false},
	} {
		if got := testSchema.Adds(c.name); got != c.want {
			t.Errorf("Adds(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRowsShowTheParametersThatDifferAndTheMetrics(t *testing.T) {
	c := New(testSchema, []Source{
		{Name: "one", Tables: []*dataset.Table{table([6]any{"a", "ok", 2, 0.5, 0.8, 1.0})}},
		{Name: "two", Tables: []*dataset.Table{table([6]any{"b", "failed", 4, 0.5, 0.9, 2.0})}},
	})
	v, err := c.Rows("")
	if err != nil {
		t.Fatal(err)
	}
	tbl := v.Table(report.CSV, nil)
	// lr is the same everywhere and secs a measurement: not shown; the
	// failed row's metric is blank.
	if want := []string{"id", "source", "status", "hidden", "acc"}; !slices.Equal(tbl.Header, want) {
		t.Errorf("header %v, want %v", tbl.Header, want)
	}
	if want := [][]string{{"a", "one", "ok", "2", "0.8"}, {"b", "two", "failed", "4", ""}}; !slices.EqualFunc(tbl.Rows, want, slices.Equal) {
		t.Errorf("rows %v, want %v", tbl.Rows, want)
	}
	if base := c.BaselineMeans(0); len(base) != 1 || base[0] != 0.8 {
		t.Errorf("BaselineMeans(0) = %v, want [0.8]", base)
	}
	if base := c.BaselineMeans(1); base != nil {
		t.Errorf("BaselineMeans of a source without an ok row = %v, want nil", base)
	}
}

func TestParseKeys(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []string
		invalid bool
	}{
		{"", nil, false},
		{"train.hidden", []string{"train.hidden"}, false},
		{"name, train.hidden", []string{"name", "train.hidden"}, false},
		{"train.hidden,", nil, true},
		{"a,b,a", nil, true},
	} {
		got, err := ParseKeys(c.in)
		if pipeline.IsInvalid(err) != c.invalid || (err == nil && !slices.Equal(got, c.want)) {
			t.Errorf("ParseKeys(%q) = %v, %v; want %v (invalid %v)", c.in, got, err, c.want, c.invalid)
		}
	}
}

func TestCSVAndJSONCarryEveryFloatInFull(t *testing.T) {
	a, b, c := 0.2298341234, 0.2298341244, 0.00439123456 // accuracies: float64 arithmetic, not constant
	cmp := New(testSchema, []Source{
		{Name: "base", Tables: []*dataset.Table{table([6]any{"a", "ok", 2, 0.5, a, 1.23456789})}},
		{Name: "other", Tables: []*dataset.Table{table([6]any{"b", "ok", 2, 0.5, b, 2.5}, [6]any{"c", "ok", 4, 0.5, c, 0.001234567})}},
	})
	base := cmp.BaselineMeans(0)
	rows, err := cmp.Rows("secs")
	if err != nil {
		t.Fatal(err)
	}
	grouped, err := cmp.Grouped([]string{"hidden"})
	if err != nil {
		t.Fatal(err)
	}
	mean, std, _ := MeanStd([]float64{a, b})
	cases := []struct {
		name string
		v    *View
		col  string
		want []float64 // NaN: blank
	}{
		{"values", rows, "acc", []float64{a, b, c}},
		{"differences from the baseline, too small for four decimals", rows, "acc_delta", []float64{0, b - a, c - a}},
		{"a time sorted on", rows, "secs", []float64{1.23456789, 2.5, 0.001234567}},
		{"means", grouped, "acc", []float64{mean, c}},
		{"standard deviations", grouped, "acc_std", []float64{std, math.NaN()}},
		{"differences of means", grouped, "acc_delta", []float64{mean - a, c - a}},
	}
	for _, f := range []report.Format{report.CSV, report.JSON} {
		for _, tc := range cases {
			t.Run(string(f)+"/"+tc.name, func(t *testing.T) {
				tbl := tc.v.Table(f, base)
				j := slices.Index(tbl.Header, tc.col)
				if j < 0 || len(tbl.Rows) != len(tc.want) {
					t.Fatalf("header %v, %d rows; want column %s and %d rows", tbl.Header, len(tbl.Rows), tc.col, len(tc.want))
				}
				for i, w := range tc.want {
					got := tbl.Rows[i][j]
					if x, err := strconv.ParseFloat(got, 64); math.IsNaN(w) && got != "" || !math.IsNaN(w) && (err != nil || x != w) {
						t.Errorf("row %d: %s = %q, want %v exactly", i, tc.col, got, w)
					}
				}
			})
		}
	}
}
