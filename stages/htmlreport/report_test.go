package htmlreport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
	"gonum.org/v1/gonum/stat"
)

// pageJSON is the two JSON blocks of a report, decoded.
type pageJSON struct {
	Title   string
	Sources []string
	Skipped []struct{ File, Reason string }
	Columns []struct {
		Name, Role string
		Numeric    bool
		Varies     bool
		Shown      bool
	}
	Text   [][]string
	Nums   [][]*float64
	Groups struct {
		Keys    []string
		Default []int
		Metrics []string
		Sets    map[string]struct {
			Header []string
			Rows   [][]string
			X      []*float64
			Stats  [][][3]*float64
		}
		Left    int
		Command string
	}
	Runs struct {
		Lines     []string
		ClassSets [][]string
		StageSets [][][2]string
		Notes     []string
		Runs      []*struct {
			Dir       string
			Notes     []int
			Config    *struct{ Lines []int }
			Classes   int
			Confusion map[string][][]int
			Curve     *struct {
				X      string
				XS     []float64
				Series []struct {
					Name string
					Y    []*float64
				}
				Rows int
			}
			Boundary string
			Stages   json.RawMessage
		}
	}
}

var jsonBlock = regexp.MustCompile(`(?s)<script type="application/json" id="(nnpipe-data|nnpipe-runs)">(.*?)</script>`)

// decode reads the JSON blocks of the page html; it fails the test when
// there are not exactly the two, each valid JSON.
func decode(t *testing.T, html []byte) *pageJSON {
	t.Helper()
	m := jsonBlock.FindAllSubmatch(html, -1)
	if len(m) != 2 {
		t.Fatalf("the page has %d JSON blocks, want 2", len(m))
	}
	var p pageJSON
	if err := json.Unmarshal(m[0][2], &p); err != nil {
		t.Fatalf("nnpipe-data: %v", err)
	}
	if err := json.Unmarshal(m[1][2], &p.Runs); err != nil {
		t.Fatalf("nnpipe-runs: %v", err)
	}
	return &p
}

func (p *pageJSON) col(name string) int {
	for j, c := range p.Columns {
		if c.Name == name {
			return j
		}
	}
	return -1
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func build(t *testing.T, paths ...string) *htmlreport.Report {
	t.Helper()
	var sources []htmlreport.Source
	for _, p := range paths {
		files, err := results.Find(p)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, htmlreport.Source{Name: p, Files: files})
	}
	rep, err := htmlreport.Build(context.Background(), sources, htmlreport.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestADirectorysReportIsTheOneReportWritesInIt: the report.html of a run
// or sweep directory is, byte for byte, the page WriteFile (what `nnpipe
// report` calls) writes of "." in that directory.
func TestADirectorysReportIsTheOneReportWritesInIt(t *testing.T) {
	book, sweep := testdata(t)
	for _, c := range []struct{ name, dir string }{
		{"the book's run", book},
		{"a sweep", sweep},
	} {
		t.Run(c.name, func(t *testing.T) {
			written := readFile(t, filepath.Join(c.dir, results.ReportFile))
			out := filepath.Join(t.TempDir(), "report.html")
			t.Chdir(c.dir)
			if _, err := htmlreport.WriteFile(context.Background(), []string{"."}, out, htmlreport.Options{Version: "test"}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, out); !bytes.Equal(got, written) {
				t.Errorf("the report of . in %s differs from its report.html (titles %q and %q)", c.dir, decode(t, got).Title, decode(t, written).Title)
			}
		})
	}
}

// TestARunsReportDependsOnItsFilesAlone: the report.html run wrote is the
// one the run directory's files give, wherever the directory is; it names
// no temporary folder and no time.
func TestARunsReportDependsOnItsFilesAlone(t *testing.T) {
	book, _ := testdata(t)
	written := readFile(t, filepath.Join(book, results.ReportFile))
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.CopyFS(moved, os.DirFS(book)); err != nil {
		t.Fatal(err)
	}
	there, err := htmlreport.ForDir("test")(moved, filepath.Base(book), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, there) {
		t.Error("the report of the same files in another folder differs")
	}
	if bytes.Contains(written, []byte(os.TempDir())) || bytes.Contains(written, []byte(pipeline.TempPrefix)) {
		t.Error("the report names a temporary folder")
	}
	if err := results.CheckRun(book); err != nil {
		t.Errorf("the run directory with its report: %v", err)
	}
	p := decode(t, written)
	rd := p.Runs.Runs[0]
	if len(p.Text) != 1 || rd == nil || rd.Dir != "." || rd.Curve == nil || !strings.HasPrefix(rd.Boundary, "data:image/png;base64,") {
		t.Fatalf("the book run's page: %d rows, drill-down %+v", len(p.Text), rd)
	}
	if rd.Curve.Rows != 1001 || len(rd.Curve.XS) != 1001 || len(rd.Notes) != 0 {
		t.Errorf("the book's history of 1001 rows is drawn on %d points of %d, notes %v: want every row", len(rd.Curve.XS), rd.Curve.Rows, rd.Notes)
	}
}

// TestTheTableHasEveryTrialWithItsTrainKey: one row per trial, the
// parameters that vary shown, the train stage's key from each manifest.
func TestTheTableHasEveryTrialWithItsTrainKey(t *testing.T) {
	_, sweep := testdata(t)
	p := decode(t, build(t, sweep).HTML())
	m, err := results.ReadSweepManifest(sweep)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Text) != len(m.Trials) {
		t.Fatalf("%d rows for %d trials", len(p.Text), len(m.Trials))
	}
	id, key := p.col("trial_id"), p.col(htmlreport.KeyColumn)
	for i, tr := range m.Trials {
		man, err := results.ReadManifest(filepath.Join(sweep, results.TrialsDir, tr.TrialID))
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		for _, s := range man.Stages {
			if s.Kind == "train" {
				want = s.Key
			}
		}
		if p.Text[i][id] != tr.TrialID || p.Text[i][key] != want || want == "" {
			t.Errorf("row %d: trial %q key %q; want %q with key %q", i, p.Text[i][id], p.Text[i][key], tr.TrialID, want)
		}
	}
	var shown []string
	for _, c := range p.Columns {
		if c.Role == "param" && c.Shown {
			shown = append(shown, c.Name)
		}
	}
	if !slices.Equal(shown, []string{"train.hidden", "train.init.seed"}) {
		t.Errorf("parameters shown %v, want the swept ones", shown)
	}
}

// TestGroupsHaveCompareGroupBysCells: every grouping the page holds is
// the table `compare --group-by` prints, cell for cell.
func TestGroupsHaveCompareGroupBysCells(t *testing.T) {
	_, sweep := testdata(t)
	p := decode(t, build(t, sweep).HTML())
	if !slices.Equal(p.Groups.Keys, []string{"train.hidden", "train.init.seed"}) || !slices.Equal(p.Groups.Default, []int{0}) {
		t.Fatalf("group keys %v, default %v", p.Groups.Keys, p.Groups.Default)
	}
	if len(p.Groups.Sets) != 4 || p.Groups.Left != 0 {
		t.Errorf("%d groupings and %d left; want all 4 subsets", len(p.Groups.Sets), p.Groups.Left)
	}
	for id, set := range p.Groups.Sets {
		var keys []string
		if id != "" {
			for _, k := range strings.Split(id, ",") {
				keys = append(keys, p.Groups.Keys[k[0]-'0'])
			}
		}
		if len(keys) == 0 {
			continue // compare has no grouping by nothing
		}
		want, err := results.Compare([]string{sweep}, results.CompareOptions{GroupBy: keys, Format: report.Text})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(set.Header, want.Header) || !slices.EqualFunc(set.Rows, want.Rows, slices.Equal) {
			t.Errorf("grouping by %v:\n%v\n%v\ncompare --group-by:\n%v\n%v", keys, set.Header, set.Rows, want.Header, want.Rows)
		}
		checkGroupStats(t, p, sweep, keys, set.Stats)
	}
}

// checkGroupStats checks the numbers the group charts draw: each group's
// mean and std of each metric are those of compare --group-by --format
// json, and the mean and sample std of the group's rows' values.
func checkGroupStats(t *testing.T, p *pageJSON, sweep string, keys []string, stats [][][3]*float64) {
	t.Helper()
	js, err := results.Compare([]string{sweep}, results.CompareOptions{GroupBy: keys, Format: report.JSON})
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != len(js.Rows) || len(js.Rows) == 0 {
		t.Fatalf("grouping by %v: %d groups charted, compare gives %d", keys, len(stats), len(js.Rows))
	}
	for g, row := range js.Rows {
		var members []int
		for r := range p.Text {
			if !slices.ContainsFunc(keys, func(k string) bool { return p.Text[r][p.col(k)] != row[slices.Index(js.Header, k)] }) {
				members = append(members, r)
			}
		}
		for m, name := range p.Groups.Metrics {
			var xs []float64
			for _, r := range members {
				if x := p.Nums[r][p.col(name)]; x != nil {
					xs = append(xs, *x)
				}
			}
			mean, std := stat.MeanStdDev(xs, nil) // NaN std for one value
			got := stats[g][m]
			if got[0] == nil || (got[1] == nil) != math.IsNaN(std) || len(xs) == 0 {
				t.Errorf("grouping by %v, group %d, %s: %v over %d values", keys, g, name, got, len(xs))
				continue
			}
			gotStd := math.NaN()
			if got[1] != nil {
				gotStd = *got[1]
			}
			// Both are sums of the same few float64s, maybe in another
			// order: equal to within a few ulps.
			if math.Abs(*got[0]-mean) > 1e-12*math.Abs(mean) || math.Abs(gotStd-std) > 1e-9*std {
				t.Errorf("grouping by %v, group %d, %s: mean ± std %v ± %v, its rows give %v ± %v", keys, g, name, *got[0], gotStd, mean, std)
			}
			// compare's json carries every float in full: the very numbers.
			if c := row[slices.Index(js.Header, name)]; strconv.FormatFloat(*got[0], 'g', -1, 64) != c {
				t.Errorf("grouping by %v, group %d, %s: mean %v, compare --format json %s", keys, g, name, *got[0], c)
			}
			if c := row[slices.Index(js.Header, name+"_std")]; (got[1] == nil && c != "") || (got[1] != nil && strconv.FormatFloat(gotStd, 'g', -1, 64) != c) {
				t.Errorf("grouping by %v, group %d, %s: std %v, compare --format json %q", keys, g, name, gotStd, c)
			}
		}
	}
}

// TestUnreadableSummariesAreSkippedAndNamed: a damaged summary.parquet
// and a Parquet file that is no summary are listed with why, the rest is
// shown; with nothing else, it is invalid input.
func TestUnreadableSummariesAreSkippedAndNamed(t *testing.T) {
	book, _ := testdata(t)
	root := t.TempDir()
	damaged := filepath.Join(root, "damaged", results.SummaryFile)
	foreign := filepath.Join(root, "foreign", results.SummaryFile)
	for _, d := range []string{damaged, foreign} {
		if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := readFile(t, filepath.Join(book, results.SummaryFile))
	if err := os.WriteFile(damaged, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := dataset.CreateTable(foreign, []dataset.Field{{Name: "x", Type: dataset.Float64}}, nil)
	if err == nil {
		err = w.Append([]float64{1, 2})
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	p := decode(t, build(t, book, root).HTML())
	if len(p.Text) != 1 || len(p.Skipped) != 2 {
		t.Fatalf("%d rows, skipped %+v; want the book's row and two skipped", len(p.Text), p.Skipped)
	}
	if p.Skipped[0].File != damaged || p.Skipped[1].File != foreign || !strings.Contains(p.Skipped[1].Reason, "no trial_id column") || p.Skipped[0].Reason == "" {
		t.Errorf("skipped %+v", p.Skipped)
	}
	files, err := results.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	_, err = htmlreport.Build(context.Background(), []htmlreport.Source{{Name: root, Files: files}}, htmlreport.Options{})
	if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "no run to report") {
		t.Errorf("a report of nothing readable: %v, want invalid input", err)
	}
}

// TestATrialIDThatIsNoFolderNameReadsNothing: a summary whose trial id
// climbs out of trials/ gets no drill-down; the page holds nothing of
// the folder it names.
func TestATrialIDThatIsNoFolderNameReadsNothing(t *testing.T) {
	root := t.TempDir()
	sweep := filepath.Join(root, "evil", "sweep-x")
	for _, d := range []string{filepath.Join(sweep, results.TrialsDir, "fine"), filepath.Join(root, "evil", "secret")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{filepath.Join(root, "evil", "secret"), filepath.Join(sweep, results.TrialsDir, "fine")} {
		if err := os.WriteFile(filepath.Join(dir, results.ConfigFile), []byte("name: SECRET-"+filepath.Base(dir)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows := []*results.Row{{TrialID: "../../secret", Status: "ok"}, {TrialID: "fine", Status: "ok"}, {TrialID: "..", Status: "ok"}}
	if err := results.WriteSummary(filepath.Join(sweep, results.SummaryFile), rows, "test"); err != nil {
		t.Fatal(err)
	}
	html := build(t, sweep).HTML()
	p := decode(t, html)
	if len(p.Runs.Runs) != 3 || p.Runs.Runs[0] != nil || p.Runs.Runs[1] == nil || p.Runs.Runs[2] != nil {
		t.Fatalf("drill-downs %+v: want only the trial in trials/", p.Runs.Runs)
	}
	if bytes.Contains(html, []byte("SECRET-secret")) || !bytes.Contains(html, []byte("SECRET-fine")) {
		t.Error("the page holds the config of a folder outside trials/, or not the trial's")
	}
}

// TestHostileTextStaysInTheData: names, values, class names and configs
// holding markup end up in the JSON blocks, escaped, and come back out
// unchanged; nothing of them is markup of the page.
func TestHostileTextStaysInTheData(t *testing.T) {
	root := t.TempDir()
	writeHostile(t, root)
	html := build(t, root).HTML()
	blocks := jsonBlock.FindAllSubmatch(html, -1)
	for _, b := range blocks {
		if bytes.ContainsAny(b[2], "<>") || bytes.Contains(bytes.ToLower(b[2]), []byte("</script")) {
			t.Errorf("the JSON block %s holds < or >", b[1])
		}
	}
	outside := jsonBlock.ReplaceAll(html, nil)
	for _, s := range hostileStrings {
		if bytes.Contains(outside, []byte(s)) {
			t.Errorf("%q is in the page outside the JSON blocks", s)
		}
	}
	p := decode(t, html)
	all := strings.Join(p.Runs.Lines, "\n")
	for _, row := range p.Text {
		all += "\n" + strings.Join(row, "\n")
	}
	for _, c := range p.Runs.ClassSets {
		all += "\n" + strings.Join(c, "\n")
	}
	for _, s := range hostileStrings {
		if !strings.Contains(all, s) {
			t.Errorf("%q did not come back out of the data unchanged", s)
		}
	}
}

// hostileStrings are what writeHostile puts in runs' names, parameters,
// class names and configs.
var hostileStrings = []string{
	`</script><script>alert("id")</script>`, `<img src=x onerror=alert("class")>`, `<!-- x`,
	`</SCRIPT ><script>alert("param")</script>`, `a&b "c" 'd'`, "<svg onload=alert(`config`)>",
}

// writeHostile writes two run directories under root whose summaries,
// metrics and configs hold hostileStrings.
func writeHostile(t *testing.T, root string) {
	t.Helper()
	book, _ := testdata(t)
	for i := range 2 {
		dir := filepath.Join(root, "hostile", []string{"one", "two"}[i])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		row := &results.Row{TrialID: hostileStrings[0] + []string{"", "2"}[i], Name: hostileStrings[2], Status: "ok", Seconds: 1,
			Params:  []results.Param{{Key: "train.gradient", Value: hostileStrings[3] + []string{"", "2"}[i]}, {Key: "seed", Value: int64(i)}},
			TrainCE: 0.5, TestCE: 0.6 + float64(i)/10, TrainAcc: 0.9, TestAcc: 0.8 - float64(i)/10}
		if err := results.WriteSummary(filepath.Join(dir, results.SummaryFile), []*results.Row{row}, "test"); err != nil {
			t.Fatal(err)
		}
		metrics := map[string]any{"classes": []string{hostileStrings[1], hostileStrings[4], "plain"},
			"train": map[string]any{"confusion": [][]int{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}},
			"test":  map[string]any{"confusion": [][]int{{9, 0, 0}, {0, 9, 0}, {0, 0, 9}}}}
		b, _ := json.Marshal(metrics)
		config := "name: x\n# " + hostileStrings[5] + " " + hostileStrings[0] + "\n"
		for name, content := range map[string][]byte{results.MetricsFile: b, results.ConfigFile: []byte(config),
			results.ManifestFile: []byte(`{"stages": [{"id": "<b>stage</b>", "kind": "train", "key": "k", "seconds": 1}]}`)} {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := linkOrCopy(filepath.Join(book, htmlreport.HistoryFile), filepath.Join(dir, htmlreport.HistoryFile)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteFileRefusesBadInputWritingNothing: a path with no runs, an
// output that is a folder or in a folder that does not exist: invalid
// input, and nothing written, not even a temporary file.
func TestWriteFileRefusesBadInputWritingNothing(t *testing.T) {
	book, _ := testdata(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, out, want string
	}{
		{"no runs in the folder", empty, filepath.Join(dir, "r.html"), "no finished run or sweep"},
		{"no such path", filepath.Join(dir, "nope"), filepath.Join(dir, "r.html"), "no such run"},
		{"the output is a folder", book, empty, "is a folder"},
		{"the output's folder does not exist", book, filepath.Join(dir, "nope", "r.html"), "does not exist"},
		{"no output", book, "", "must not be empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := htmlreport.WriteFile(context.Background(), []string{c.path}, c.out, htmlreport.Options{})
			if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("WriteFile = %v, want one line of invalid input saying %q", err, c.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("the folder holds %d entries after the refusal, want only empty/", len(entries))
			}
		})
	}
	out := filepath.Join(dir, "r.html")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := htmlreport.WriteFile(context.Background(), []string{book}, out, htmlreport.Options{})
	if err != nil || rep.Rows != 1 {
		t.Fatalf("WriteFile over an old report = %v, %v", rep, err)
	}
	if b := readFile(t, out); !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Error("the old report was not replaced")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want empty/ and r.html: no temporary file left", len(entries))
	}
}

// TestAThousandRunsFitTheSizeBudget: 1,000 runs like the book's make a
// page of at most 3 MB, each run's drill-down with its learning curve.
func TestAThousandRunsFitTheSizeBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,000 run directories")
	}
	root := t.TempDir()
	synthRuns(t, root, 1000)
	html := build(t, root).HTML()
	if len(html) > 3_000_000 {
		t.Errorf("the report of 1,000 runs is %d bytes, more than 3 MB", len(html))
	}
	p := decode(t, html)
	if len(p.Text) != 1000 {
		t.Fatalf("%d rows, want 1000", len(p.Text))
	}
	for i, rd := range p.Runs.Runs {
		if rd == nil || rd.Curve == nil || len(rd.Curve.XS) < 16 || rd.Config == nil && rd.Dir == "" {
			t.Fatalf("run %d: drill-down %+v, want a learning curve of at least 16 points", i, rd)
		}
	}
	t.Logf("1,000 runs: %d bytes, learning curves of %d points", len(html), len(p.Runs.Runs[0].Curve.XS))
}

// TestDamagedRunFilesAreNotedAndTheRestShown: a run directory whose
// drill-down files are damaged, missing or no files still gets its row and
// the parts that can be read; each part left out is named with why.
func TestDamagedRunFilesAreNotedAndTheRestShown(t *testing.T) {
	book, _ := testdata(t)
	tests := []struct {
		name   string
		damage func(dir string) error
		note   string // how the drill-down's note on it starts
		gone   string // the part of the drill-down left out
	}{
		{"a truncated history", func(dir string) error {
			return truncate(filepath.Join(dir, htmlreport.HistoryFile))
		}, htmlreport.HistoryFile + ": ", "curve"},
		{"metrics that are no JSON", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, results.MetricsFile), []byte("{"), 0o644)
		}, results.MetricsFile + ": ", "confusion"},
		{"a confusion matrix of the wrong shape", func(dir string) error {
			m := `{"train": {"confusion": [[1, 2], [3, 4]]}, "test": {"confusion": [[1]]}, "classes": ["a", "b", "c"]}`
			return os.WriteFile(filepath.Join(dir, results.MetricsFile), []byte(m), 0o644)
		}, results.MetricsFile + ": the train confusion matrix is not 3×3", "confusion"},
		{"no manifest", func(dir string) error {
			return os.Remove(filepath.Join(dir, results.ManifestFile))
		}, results.ManifestFile + ": none", "stages"},
		{"a config that is a folder", func(dir string) error {
			return replaceByFolder(filepath.Join(dir, results.ConfigFile))
		}, results.ConfigFile + ": ", "config"},
		{"a boundary.png that is a folder", func(dir string) error {
			return replaceByFolder(filepath.Join(dir, filepath.FromSlash(htmlreport.BoundaryFile)))
		}, htmlreport.BoundaryFile + ": ", "boundary"},
		// A results folder from elsewhere can link its files to the reader's: not followed,
		// so the page, which may be shared, carries none of them.
		{"a config that links to a file outside", func(dir string) error {
			return linkOutside(filepath.Join(dir, results.ConfigFile))
		}, results.ConfigFile + ": ", "config"},
		{"metrics that link to a file outside", func(dir string) error {
			return linkOutside(filepath.Join(dir, results.MetricsFile))
		}, results.MetricsFile + ": ", "confusion"},
		{"a plots folder that links to a folder outside", func(dir string) error {
			plots := filepath.Join(dir, filepath.Dir(filepath.FromSlash(htmlreport.BoundaryFile)))
			outside := filepath.Join(filepath.Dir(dir), "elsewhere")
			if err := os.Rename(plots, outside); err != nil {
				return err
			}
			return os.Symlink(outside, plots)
		}, htmlreport.BoundaryFile + ": ", "boundary"},
		// A named pipe with no writer would block the report for good if opened.
		{"a config that is a named pipe", func(dir string) error {
			path := filepath.Join(dir, results.ConfigFile)
			if err := os.Remove(path); err != nil {
				return err
			}
			return syscall.Mkfifo(path, 0o644)
		}, results.ConfigFile + ": ", "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(book))
			if err := os.CopyFS(dir, os.DirFS(book)); err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(dir); err != nil {
				t.Fatal(err)
			}
			page := build(t, dir).HTML()
			if strings.Contains(string(page), "SECRET-TOKEN") {
				t.Errorf("the page holds the content of a file outside the run directory")
			}
			p := decode(t, page)
			if len(p.Text) != 1 || p.Runs.Runs[0] == nil {
				t.Fatalf("%d rows, want the run's", len(p.Text))
			}
			rd := p.Runs.Runs[0]
			var notes []string
			for _, k := range rd.Notes {
				notes = append(notes, p.Runs.Notes[k])
			}
			if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, tt.note) }) {
				t.Errorf("notes %q, want one starting %q", notes, tt.note)
			}
			parts := map[string]bool{
				"curve":     rd.Curve != nil,
				"confusion": len(rd.Confusion) > 0,
				"stages":    rd.Stages != nil,
				"config":    rd.Config != nil,
				"boundary":  strings.HasPrefix(rd.Boundary, "data:image/png;base64,"),
			}
			for part, shown := range parts {
				if shown == (part == tt.gone) {
					t.Errorf("%s shown: %v", part, shown)
				}
			}
		})
	}
}

// linkOutside replaces the file at path by a symbolic link to a file outside the run
// directory that holds a secret.
func linkOutside(path string) error {
	secret := filepath.Join(filepath.Dir(filepath.Dir(path)), "secret.txt")
	if err := os.WriteFile(secret, []byte("SECRET-TOKEN\n"), 0o600); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return os.Symlink(secret, path)
}

// truncate cuts the file at path to half its length.
func truncate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.Truncate(path, st.Size()/2)
}

// replaceByFolder puts an empty folder where the file at path was.
func replaceByFolder(path string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return os.Mkdir(path, 0o755)
}

var (
	scriptElement = regexp.MustCompile(`(?is)<script\b[^>]*>.*?</script\s*>`)
	reference     = regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster|data)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
)

// TestThePageReferencesNothingOutside: outside its inline scripts the
// page's markup points only at its own anchors, has no <link>, <iframe>
// or <object>, and its Content-Security-Policy forbids any fetch, so a
// browser has nothing to request (the browser tests watch the network
// too).
func TestThePageReferencesNothingOutside(t *testing.T) {
	book, sweep := testdata(t)
	for _, path := range []string{filepath.Join(book, results.ReportFile), filepath.Join(sweep, results.ReportFile)} {
		page := readFile(t, path)
		markup := scriptElement.ReplaceAll(page, nil)
		for _, m := range reference.FindAllSubmatch(markup, -1) {
			if v := strings.Trim(string(m[2]), `"'`); !strings.HasPrefix(v, "#") {
				t.Errorf("%s: %s", path, m[0])
			}
		}
		for _, tag := range []string{"<link", "<iframe", "<object", "<embed", "<base", "@import", "url("} {
			if bytes.Contains(bytes.ToLower(markup), []byte(tag)) {
				t.Errorf("%s: the markup holds %s", path, tag)
			}
		}
		if !bytes.Contains(page, []byte(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; `)) {
			t.Errorf("%s: no Content-Security-Policy that forbids fetching", path)
		}
	}
}

// TestAHistoryTooLargeToDrawIsNoted: a small history.parquet can hold far more values than
// it takes bytes (constant columns compress to nothing); decoding them would take gigabytes.
// Over the page's bound of values it is named in the drill-down and not drawn.
func TestAHistoryTooLargeToDrawIsNoted(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 17 million history rows")
	}
	book, _ := testdata(t)
	dir := filepath.Join(t.TempDir(), filepath.Base(book))
	if err := os.CopyFS(dir, os.DirFS(book)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, htmlreport.HistoryFile)
	w, err := dataset.CreateTable(path, []dataset.Field{{Name: "step", Type: dataset.Int64}, {Name: "train_ce", Type: dataset.Float64}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const rows, chunk = 1<<24 + 1<<20, 1 << 20
	steps, ce := make([]int64, chunk), make([]float64, chunk)
	for done := 0; done < rows; done += chunk {
		if err := w.Append(steps, ce); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := decode(t, build(t, dir).HTML())
	rd := p.Runs.Runs[0]
	var notes []string
	for _, k := range rd.Notes {
		notes = append(notes, p.Runs.Notes[k])
	}
	if rd.Curve != nil || !slices.ContainsFunc(notes, func(n string) bool {
		return strings.HasPrefix(n, htmlreport.HistoryFile+": ") && strings.Contains(n, "values to draw")
	}) {
		t.Errorf("a history of %d rows: curve drawn %v, notes %q; want it named and not drawn", rows, rd.Curve != nil, notes)
	}
}

// TestWriteFileReplacesOnlyAFile: -o naming a named pipe, or a link to
// one, is refused as invalid input and left as it was; a page written over
// a private file gets the umask's mode, not a fixed 0644.
func TestWriteFileReplacesOnlyAFile(t *testing.T) {
	book, _ := testdata(t)
	dir := t.TempDir()
	pipe, link := filepath.Join(dir, "pipe.html"), filepath.Join(dir, "link.html")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(pipe, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{pipe, link} {
		_, err := htmlreport.WriteFile(context.Background(), []string{book}, out, htmlreport.Options{Version: "test"})
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "a named pipe") {
			t.Errorf("-o %s: %v, want it refused as a named pipe", filepath.Base(out), err)
		}
	}
	if fi, err := os.Lstat(pipe); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe after the report: %v, %v", fi, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link after the report: %v, %v", fi, err)
	}

	private := filepath.Join(dir, "private.html")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o077)
	_, err := htmlreport.WriteFile(context.Background(), []string{book}, private, htmlreport.Options{Version: "test"})
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(private); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the page's mode under umask 077: %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

// TestWriteFileRefusesToReplaceASummaryItReads: -o naming a summary.parquet
// the report reads — given itself, found in a folder given, or reached
// through a symbolic link — is refused as invalid input, and the summary is
// left whole.
func TestWriteFileRefusesToReplaceASummaryItReads(t *testing.T) {
	book, _ := testdata(t)
	dir := t.TempDir()
	loose := filepath.Join(dir, "kept") // a summary kept on its own: no run directory
	summary := filepath.Join(loose, results.SummaryFile)
	want := readFile(t, filepath.Join(book, results.SummaryFile))
	if err := os.Mkdir(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(summary, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, out string }{
		{"the summary given", summary, summary},
		{"the summary in a folder given", dir, summary},
		{"a link to the summary", loose, link},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(summary, want, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := htmlreport.WriteFile(context.Background(), []string{book, c.path}, c.out, htmlreport.Options{Version: "test"})
			if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), "the report reads") || strings.Contains(err.Error(), "\n") {
				t.Errorf("WriteFile = %v, want one line of invalid input saying the report reads it", err)
			}
			if got := readFile(t, summary); !bytes.Equal(got, want) {
				t.Errorf("the summary was replaced by %d bytes", len(got))
			}
		})
	}
}

// TestPathsThatAreNoTextAreShownEscaped: folders whose names are not UTF-8
// or hold a line break are named in the page — title, sources, source
// column, run directories, skipped summaries — as messages name them
// (quoted, their bytes escaped), the page stays UTF-8, and the compare
// command it prints names the folders themselves.
func TestPathsThatAreNoTextAreShownEscaped(t *testing.T) {
	book, _ := testdata(t)
	root := t.TempDir()
	names := []string{"caf\xe9", "new\nline"}
	var paths []string
	for _, name := range names {
		dir := filepath.Join(root, name, "run")
		if err := os.MkdirAll(filepath.Join(dir, "plots"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{results.SummaryFile, results.ConfigFile, results.ManifestFile, results.MetricsFile, htmlreport.HistoryFile} {
			if err := linkOrCopy(filepath.Join(book, f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		paths = append(paths, filepath.Join(root, name))
	}
	damaged := filepath.Join(root, names[0], "damaged", results.SummaryFile)
	if err := os.MkdirAll(filepath.Dir(damaged), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, []byte("PAR1 not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	html := build(t, paths...).HTML()
	if !utf8.Valid(html) {
		i := bytes.IndexFunc(html, func(r rune) bool { return r == utf8.RuneError })
		t.Errorf("the page is not UTF-8: %q", html[max(0, i-40):min(len(html), i+40)])
	}
	p := decode(t, html)
	shown := []string{strconv.Quote(paths[0]), strconv.Quote(paths[1])}
	if !slices.Equal(p.Sources, shown) {
		t.Errorf("sources %q, want %q", p.Sources, shown)
	}
	if want := strings.Join(shown, ", "); p.Title != want || !bytes.Contains(html, []byte("<title>"+template.HTMLEscapeString(want)+"</title>")) {
		t.Errorf("title %q, want %q in the data and the <title>", p.Title, want)
	}
	if got := column(p, "source"); !slices.Equal(got, shown) {
		t.Errorf("the source column is %q, want %q", got, shown)
	}
	for i, r := range p.Runs.Runs {
		if want := strconv.Quote(filepath.Join(paths[i], "run")); r == nil || r.Dir != want {
			t.Errorf("run %d's directory is shown as %+v, want %q", i, r, want)
		}
	}
	if len(p.Skipped) != 1 || p.Skipped[0].File != strconv.Quote(damaged) || strings.ContainsRune(p.Skipped[0].Reason, utf8.RuneError) {
		t.Errorf("skipped %+v, want %q named escaped, in its reason too", p.Skipped, damaged)
	}
	args, ok := strings.CutPrefix(p.Groups.Command, "nnpipe compare ")
	if !ok || strings.ContainsAny(args, "\n\uFFFD") {
		t.Fatalf("the command is %q", p.Groups.Command)
	}
	if _, err := exec.LookPath("bash"); err == nil {
		out, err := exec.Command("bash", "-c", `printf '%s\0' `+args).Output()
		if got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); err != nil || !slices.Equal(got, paths) {
			t.Errorf("bash reads the command's paths as %q (%v), want %q", got, err, paths)
		}
	}
}
