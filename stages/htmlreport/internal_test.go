package htmlreport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/results"
)

// TestTheEmbeddedEChartsIsTheRecordedFile checks the vendored library
// against its record: the SHA-256 of the file npm published, its version,
// and its license files beside it.
func TestTheEmbeddedEChartsIsTheRecordedFile(t *testing.T) {
	record := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(echartsRecord), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("echarts/VERSION: line %q is not key: value", line)
		}
		record[k] = v
	}
	sum := sha256.Sum256([]byte(echartsJS))
	if got := hex.EncodeToString(sum[:]); got != record["sha256"] {
		t.Errorf("the embedded echarts.min.js has SHA-256 %s, echarts/VERSION records %s", got, record["sha256"])
	}
	if echartsHash() != scriptHash(echartsJS) {
		t.Errorf("the Content-Security-Policy hash from the record differs from the file's")
	}
	if v := echartsVersion(); v == "" || v != record["version"] || !strings.Contains(echartsJS, `version="`+v+`"`) {
		t.Errorf("echartsVersion() = %q; the record says %q; the file must say it too", v, record["version"])
	}
	for _, f := range []string{"echarts/LICENSE", "echarts/NOTICE", "echarts/LICENSE-d3"} {
		if b, err := os.ReadFile(f); err != nil || len(b) == 0 {
			t.Errorf("%s: %v, want the license file beside the library", f, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil || !strings.Contains(string(readme), record["sha256"]) || !strings.Contains(string(readme), "ECharts "+record["version"]) {
		t.Errorf("README.md must name ECharts %s and its SHA-256 %s", record["version"], record["sha256"])
	}
}

// TestTheScriptsCannotEndTheirElement checks that no inlined script holds
// what would end its <script> element early, or open a comment that would
// swallow the end.
func TestTheScriptsCannotEndTheirElement(t *testing.T) {
	for name, s := range map[string]string{"echarts.min.js": echartsJS, "report.js": reportJS} {
		lower := strings.ToLower(s)
		if strings.Contains(lower, "</script") || strings.Contains(lower, "<!--") || strings.Contains(lower, "<script") {
			t.Errorf("%s holds </script, <script or <!--: it cannot be inlined as it is", name)
		}
		if strings.Contains(s, "sourceMappingURL") {
			t.Errorf("%s names a source map, which developer tools would fetch", name)
		}
	}
}

func TestSpreadKeepsTheFirstAndLastRowsInOrder(t *testing.T) {
	for _, c := range []struct{ rows, n int }{{1, 1}, {1, 8}, {2, 2}, {10, 3}, {1001, 33}, {1001, 1001}, {1001, 5000}, {7, 6}} {
		idx := spread(c.rows, c.n)
		if want := min(c.rows, c.n); len(idx) != want {
			t.Errorf("spread(%d, %d) has %d indices, want %d", c.rows, c.n, len(idx), want)
			continue
		}
		if idx[0] != 0 || idx[len(idx)-1] != c.rows-1 {
			t.Errorf("spread(%d, %d) = %v: want the first and last rows", c.rows, c.n, idx)
		}
		for k := 1; k < len(idx); k++ {
			if idx[k] <= idx[k-1] {
				t.Errorf("spread(%d, %d) = %v: not increasing", c.rows, c.n, idx)
				break
			}
		}
	}
}

func TestPointsShareTheBudget(t *testing.T) {
	for _, c := range []struct {
		rows, budget, l, w int
		pl, pw             int
	}{
		{1001, 1_000_000, 2, 15, 1001, 1001}, // everything fits
		{1001, 8000, 2, 15, 1001, 312},       // the curve whole, the rest to the weights
		{1001, 100, 2, 15, 33, 0},            // too few for the weights: all to the curve
		{1001, 20, 2, 15, 0, 0},              // too few for anything
		{5, 20, 2, 15, 5, 0},                 // a short history is drawn whole
		{1001, 8000, 2, 0, 1001, 0},          // no weights
		{1001, 900, 2, 0, 300, 0},            // no weights: the whole budget to the curve
		{1001, 900, 0, 15, 0, 56},            // no curve: the whole budget to the weights
	} {
		pl, pw := points(c.rows, c.budget, c.l, c.w)
		if pl != c.pl || pw != c.pw {
			t.Errorf("points(%d, %d, %d, %d) = %d, %d; want %d, %d", c.rows, c.budget, c.l, c.w, pl, pw, c.pl, c.pw)
		}
		if cost := pl*(1+c.l) + pw*(1+c.w); cost > max(c.budget, c.rows*(1+c.l)+c.rows*(1+c.w)) && pl > minPoints {
			t.Errorf("points(%d, %d, %d, %d) spends %d numbers", c.rows, c.budget, c.l, c.w, cost)
		}
	}
}

func TestIsWeight(t *testing.T) {
	for name, want := range map[string]bool{"w_0_0": true, "v_12_3": true, "w_1": false, "w_1_2_3": false, "x_0_0": false,
		"train_ce": false, "w__0": false, "w_0_": false, "validation_error": false, "v_a_1": false} {
		if isWeight(name) != want {
			t.Errorf("isWeight(%q) = %v, want %v", name, !want, want)
		}
	}
}

// TestHistoryChartsTakeTheColumnsGenerically: the step is the x axis, the
// other float columns that are not weights are the learning curve (a
// column nnpipe does not know too), integer columns go to the tooltip, the
// weights to their own chart; the last value of each is exact.
func TestHistoryChartsTakeTheColumnsGenerically(t *testing.T) {
	const rows = 101
	step, epoch := make([]int64, rows), make([]int64, rows)
	train, valid, w, v := make([]float64, rows), make([]float64, rows), make([]float64, rows), make([]float64, rows)
	for i := range rows {
		step[i], epoch[i] = int64(i*10), int64(i/10)
		train[i], valid[i] = 1/float64(i+3), math.Pi/float64(i+1)
		w[i], v[i] = float64(i)/7, -float64(i)/3
	}
	valid[rows-1] = math.NaN() // a diverged last step
	tbl := &dataset.Table{Rows: rows, Fields: []dataset.Field{{Name: "train_ce", Type: dataset.Float64}, {Name: "step", Type: dataset.Int64},
		{Name: "validation_error", Type: dataset.Float64}, {Name: "epoch", Type: dataset.Int64}, {Name: "w_0_0", Type: dataset.Float64},
		{Name: "v_1_2", Type: dataset.Float64}, {Name: "note", Type: dataset.String}},
		Columns: []any{train, step, valid, epoch, w, v, make([]string, rows)}}
	// The table as it is, and read back from a history.parquet, whose
	// reader decodes only the columns drawn and gives them in the file's
	// order.
	path := filepath.Join(t.TempDir(), HistoryFile)
	tw, err := dataset.CreateTable(path, tbl.Fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Append(tbl.Columns...); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, from := range []struct {
		name   string
		charts func(budget int) (curve, weights *chartData, notes []string)
	}{
		{"a table", func(budget int) (*chartData, *chartData, []string) { return historyCharts(tbl, budget) }},
		{"a file", func(budget int) (*chartData, *chartData, []string) {
			curve, weights, notes, err := readHistory(path, budget)
			if err != nil {
				t.Fatal(err)
			}
			return curve, weights, notes
		}},
	} {
		t.Run(from.name, func(t *testing.T) {
			curve, weights, notes := from.charts(1_000_000)
			if curve == nil || weights == nil || len(notes) != 0 {
				t.Fatalf("historyCharts = %+v, %+v, %v; want both charts", curve, weights, notes)
			}
			names := func(ls []lineData) (out []string) {
				for _, l := range ls {
					out = append(out, l.Name)
				}
				return out
			}
			if curve.X != "step" || !slices.Equal(names(curve.Series), []string{"train_ce", "validation_error"}) || !slices.Equal(names(curve.Tips), []string{"epoch"}) {
				t.Errorf("curve: x %s, series %v, tips %v", curve.X, names(curve.Series), names(curve.Tips))
			}
			if !slices.Equal(names(weights.Series), []string{"w_0_0", "v_1_2"}) {
				t.Errorf("weights: %v", names(weights.Series))
			}
			var xs []int64
			var ys, vs []*float64
			if json.Unmarshal(curve.XS, &xs) != nil || json.Unmarshal(curve.Series[0].Y, &ys) != nil || json.Unmarshal(curve.Series[1].Y, &vs) != nil {
				t.Fatal("the charts are not JSON arrays of numbers")
			}
			if len(xs) != rows || xs[rows-1] != 1000 || *ys[rows-1] != train[rows-1] || vs[rows-1] != nil {
				t.Errorf("last point: step %d, train_ce %v (want %v exactly), validation_error %v (want null for NaN)", xs[len(xs)-1], *ys[len(ys)-1], train[rows-1], vs[len(vs)-1])
			}
			if got := *ys[0]; got == train[0] || math.Abs(got-train[0]) > 1e-6*train[0] {
				t.Errorf("an inner point is %v for %v: want 6 significant digits", got, train[0])
			}
			// 40 numbers: the weights would get fewer than minPoints, so the curve
			// (step, 2 series, 1 tip) gets them all, 10 points.
			small, none, notes := from.charts(40)
			if small == nil || strings.Count(string(small.XS), ",") != 9 || none != nil || len(notes) != 1 {
				t.Errorf("with a budget of 40 numbers: %s, %v, %v; want 10 points and a note for the weights", small.XS, none, notes)
			}
		})
	}
}

func TestMarshalHTMLEscapesWhatCouldEndTheScript(t *testing.T) {
	hostile := "</script><script>alert(1)</script><!-- & \u2028"
	b, err := marshalHTML(map[string]any{"s": hostile, "raw": json.RawMessage(`[1,2]`)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(string(b), "<>&\u2028") {
		t.Errorf("marshalHTML = %s: holds <, >, & or U+2028", b)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["s"] != hostile {
		t.Errorf("reads back as %v, %v; want the same string", back["s"], err)
	}
}

func TestSubsetsAreEveryCombinationInOrder(t *testing.T) {
	var got []string
	for size := range 4 {
		subsets(3, size, func(idx []int) bool { got = append(got, subsetID(idx)); return true })
	}
	want := []string{"", "0", "1", "2", "0,1", "0,2", "1,2", "0,1,2"}
	if !slices.Equal(got, want) {
		t.Errorf("subsets = %q, want %q", got, want)
	}
	got = nil
	subsets(4, 2, func(idx []int) bool { got = append(got, subsetID(idx)); return len(got) < 3 })
	if want := []string{"0,1", "0,2", "0,3"}; !slices.Equal(got, want) {
		t.Errorf("subsets stopped after the third = %q, want %q", got, want)
	}
	for n, want := range map[int]int64{0: 1, 3: 8, 39: 1 + 39 + 741 + 9139 + 82251, 1 << 20: 1 << 53} {
		if s := smallSubsets(n); s != want {
			t.Errorf("smallSubsets(%d) = %d, want %d", n, s, want)
		}
	}
	for n, want := range map[int]int64{
		maxGroupSizes:     0,
		maxGroupSizes + 2: maxGroupSizes + 2 + 1,                 // C(n, n-1) + C(n, n)
		39:                1<<39 - (1 + 39 + 741 + 9139 + 82251), // 2^39 less the subsets of at most 4
		60:                1 << 53,                               // as far as the page's script counts
	} {
		if u := uncounted(n); u != want {
			t.Errorf("uncounted(%d) = %d, want %d", n, u, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"results/book-ch7": "results/book-ch7", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "$(rm)": "'$(rm)'",
		"café\u2028": "'café\u2028'", "caf\xe9": `$'caf\xe9'`, "it's\n": `$'it\'s\x0a'`, "a\\b\x01\u0085": `$'a\\b\x01\xc2\x85'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestACommandArgumentIsNeverAFlag: a path that starts with '-' is given
// to the printed compare command as ./-…, which compare reads as a path.
func TestACommandArgumentIsNeverAFlag(t *testing.T) {
	for in, want := range map[string]string{"-runs": "./-runs", "--sort": "./--sort", "-a b": "'./-a b'", "a-b": "a-b", "/-x": "/-x"} {
		if got := commandArg(in); got != want {
			t.Errorf("commandArg(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestChartJSONLenIsItsLength checks that jsonLen, which sizes the page
// before its charts are written, is the length appendJSON writes.
func TestChartJSONLenIsItsLength(t *testing.T) {
	for _, c := range []*chartData{
		{X: "row", XS: []byte("[]")},
		{X: "step", XS: []byte("[0,1]"), Rows: 2,
			Series: []lineData{{Name: "loss", Y: []byte("[1,0.5]")}, {Name: "test_loss", Y: []byte("[1.5,null]")}},
			Tips:   []lineData{{Name: "n", Y: []byte("[3,4]")}}},
		{X: `<b>"é"&`, XS: []byte("[7]"), Rows: 1234567890,
			Series: []lineData{{Name: "\u2028</script>", Y: []byte("[1e-300]")}}},
		{X: "w", XS: []byte("[0]"), Rows: -1, Tips: []lineData{{Name: "", Y: []byte("[]")}, {Name: "x", Y: nil}}},
	} {
		if got, want := c.jsonLen(), len(c.appendJSON(nil)); got != want {
			t.Errorf("jsonLen() = %d, appendJSON writes %d bytes: %s", got, want, c.appendJSON(nil))
		}
	}
}

// TestTitleNameNamesTheFolderADotIs: a path given as "." is titled by its
// folder's own name, the same whether the shell reached the folder through
// a link to it or not (the page a run directory holds is titled so).
func TestTitleNameNamesTheFolderADotIs(t *testing.T) {
	root := t.TempDir()
	real := root + "/realdir"
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, root+"/link"); err != nil {
		t.Fatal(err)
	}
	if got := titleName("results/run1"); got != "results/run1" {
		t.Errorf("titleName(results/run1) = %q, want it as given", got)
	}
	for _, dir := range []string{real, root + "/link"} {
		t.Chdir(dir)
		t.Setenv("PWD", dir) // as a shell that went through the link sets it
		if got := titleName("."); got != "realdir" {
			t.Errorf("titleName(.) in %s = %q, want realdir", dir, got)
		}
	}
}

// TestGroupingsOfManyVaryingColumnsStopOnceThePageIsFull: runs of configs
// whose stages have other ids share no parameter column, so a few runs
// vary in hundreds of columns; the subsets of up to maxGroupSizes of 400
// keys number about 10^9. Once maxGroupings are computed the rest are only
// counted: every subset of at most maxGroupSizes keys is computed or
// counted as left, and the page is written at once. It used to visit every
// subset, so that `report` of eight such runs took minutes, deaf to
// Ctrl-C (go test's -timeout catches that here).
func TestGroupingsOfManyVaryingColumnsStopOnceThePageIsFull(t *testing.T) {
	const rows = 3
	for _, keys := range []int{40, 400} {
		fields := []dataset.Field{{Name: results.ColTrialID, Type: dataset.String}}
		cols := []any{[]string{"a", "b", "c"}}
		for k := range keys {
			fields = append(fields, dataset.Field{Name: fmt.Sprintf("train%d.hidden", k), Type: dataset.Int64})
			cols = append(cols, []int64{1, int64(k + 2), int64(2*k + 3)})
		}
		tbl := &dataset.Table{Fields: fields, Columns: cols, Rows: rows}
		c := comparison.New(results.Schema(), []comparison.Source{{Name: "results", Tables: []*dataset.Table{tbl}}})
		p := &page{}
		p.table(c, make([]*run, rows))
		p.groups(c, []string{"results"})
		g := p.data.Groups
		if len(g.Keys) != keys || len(g.Sets) != maxGroupings {
			t.Fatalf("%d keys and %d groupings computed, want %d and %d", len(g.Keys), len(g.Sets), keys, maxGroupings)
		}
		small := int64(0)
		for size, c := 0, int64(1); size <= maxGroupSizes; size++ { // C(keys, size)
			small += c
			c = c * int64(keys-size) / int64(size+1)
		}
		computed := int64(0)
		for id := range g.Sets {
			if strings.Count(id, ",") < maxGroupSizes { // "" too: the empty subset
				computed++
			}
		}
		if want := min(small-computed+uncounted(keys), 1<<53); g.Left != want {
			t.Errorf("%d keys: %d groupings left, want every subset not computed: %d", keys, g.Left, want)
		}
	}
}
