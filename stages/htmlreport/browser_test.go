package htmlreport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
)

// The browser tests open reports in a real, headless Chromium. They run
// when NNPIPE_BROWSER_TESTS is set (CI sets it), -short is not given, and
// a browser is found: NNPIPE_CHROMIUM, else chromium-headless-shell,
// chromium or google-chrome on the PATH.
const browserHelp = "set NNPIPE_BROWSER_TESTS=1 to run them, with Chromium installed " +
	"(Debian: apt-get install chromium-headless-shell) or NNPIPE_CHROMIUM=/path/to/chrome"

func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are left out of -short: " + browserHelp + ", without -short")
	}
	if os.Getenv("NNPIPE_BROWSER_TESTS") == "" {
		t.Skip("browser tests are off: " + browserHelp)
	}
	if p := os.Getenv("NNPIPE_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("NNPIPE_CHROMIUM=%s: %v; %s", p, err, browserHelp)
		}
		return p
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "chrome-headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: " + browserHelp)
	return ""
}

// newBrowser starts a headless Chromium for the test, with no network
// activity of its own; it is stopped when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true), chromedp.WindowSize(1280, 900))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatal(err)
	}
	return ctx
}

// tab is a report open in a browser tab, with what the page did: every
// request it made, console errors and warnings, uncaught exceptions, and
// dialogs (an alert would mean a script of the data ran).
type tab struct {
	ctx      context.Context
	url      string
	mu       sync.Mutex
	requests []string
	problems []string
	dialogs  []string
}

func (b *tab) add(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, s)
}

// listen records what the page does; it runs in the tab's event loop.
func (b *tab) listen(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.add(&b.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.add(&b.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.add(&b.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			b.add(&b.problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		b.add(&b.dialogs, ev.Message)
		go chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
	}
}

// open loads the report at path in a new tab of the browser and waits
// until the page says it is interactive.
func open(t *testing.T, browserCtx context.Context, path string) *tab {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	tb := &tab{url: (&url.URL{Scheme: "file", Path: abs}).String()}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancel)
	tb.ctx = ctx
	// Navigate returns after the load event, when the page's scripts have
	// run: the page must say it is ready by then.
	if err := chromedp.Do(ctx, chromedp.Navigate(tb.url)); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if !eval[bool](t, tb, `document.body.dataset.ready === 'true'`) {
		tb.check(t)
		t.Fatalf("%s: the page did not become ready", path)
	}
	return tb
}

// check fails the test for any request other than the page's own (or a
// data: or blob: URL, content the page holds), any console error or
// warning, exception or dialog.
func (b *tab) check(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requests {
		if u != b.url && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			t.Errorf("the page requested %s", u)
		}
	}
	for _, p := range b.problems {
		t.Errorf("the page reported: %s", p)
	}
	for _, d := range b.dialogs {
		t.Errorf("the page opened a dialog: %q", d)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// do runs chromedp actions in the tab.
func (b *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// rowTexts returns column j of the table's rows, in their order; only
// the rows shown with visible.
func rowTexts(t *testing.T, b *tab, j int, visible bool) []string {
	t.Helper()
	sel := "#runs-table tbody tr"
	if visible {
		sel += ":not([hidden])"
	}
	return eval[[]string](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(tr => tr.cells[%d].textContent)`, sel, j))
}

// interactive logs when the page became interactive, by the Performance
// API: from the start of the navigation to the page's mark.
func interactive(t *testing.T, b *tab, what string) {
	t.Helper()
	ms := eval[float64](t, b, `performance.getEntriesByName('nnpipe-interactive')[0].startTime`)
	t.Logf("%s: interactive %.0f ms after the navigation started", what, ms)
	t.Log(eval[any](t, b, `performance.getEntriesByType('mark').map(m => m.name + ' ' + m.startTime.toFixed(0)).join(', ')`))
	t.Log(eval[any](t, b, `(n => ['responseEnd', 'domInteractive', 'domContentLoadedEventEnd', 'loadEventEnd'].map(k => k + ' ' + n[k].toFixed(0)).join(', '))(performance.getEntriesByType('navigation')[0])`))
}

// download clicks the CSV export and returns the file the browser saved.
func download(t *testing.T, b *tab) []byte {
	t.Helper()
	dir := t.TempDir()
	events := chromedp.BrowserEvents(b.ctx, browser.DownloadProgress)
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Click(chromedp.ID("csv")))
	for ev, err := range events {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			return readFile(t, filepath.Join(dir, ev.GUID))
		case browser.DownloadProgressStateCanceled:
			t.Fatal("the download was canceled")
		}
	}
	t.Fatal("no download")
	return nil
}

// csvOf is the CSV the page exports of rows (indices in p.Text) with the
// columns shown by default and the train key, as encoding/csv writes it.
func csvOf(t *testing.T, p *pageJSON, rows []int) []byte {
	t.Helper()
	var cols []int
	for j, c := range p.Columns {
		if c.Shown {
			cols = append(cols, j)
		}
	}
	cols = append(cols, p.col(htmlreport.KeyColumn))
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var head []string
	for _, j := range cols {
		head = append(head, p.Columns[j].Name)
	}
	w.Write(head)
	for _, i := range rows {
		var rec []string
		for _, j := range cols {
			rec = append(rec, p.Text[i][j])
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// TestBrowserBookRun opens the report.html of the book's run: one row,
// opened at once; its learning curve ends on metrics.json's numbers; the
// confusion matrices carry the class names; the stages and the config
// are the run's.
func TestBrowserBookRun(t *testing.T) {
	bctx := newBrowser(t)
	book, _ := testdata(t)
	b := open(t, bctx, filepath.Join(book, results.ReportFile))
	defer b.check(t)
	interactive(t, b, "the book's run")
	if n := eval[int](t, b, `document.querySelectorAll('#runs-table tbody tr').length`); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
	if eval[bool](t, b, `document.getElementById('run').hidden`) {
		t.Fatal("the drill-down of the only run is not open")
	}
	var m struct {
		Train, Test struct {
			CrossEntropy float64 `json:"cross_entropy"`
			Confusion    [][]int
		}
		Classes []string
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(book, results.MetricsFile)), &m); err != nil {
		t.Fatal(err)
	}
	// The chart's own data: the last point of each series.
	last := eval[map[string][]float64](t, b, `Object.fromEntries(window.nnpipe.chart('run-curve').getOption().series.map(s => [s.name, s.data[s.data.length - 1]]))`)
	for name, want := range map[string]float64{"train_ce": m.Train.CrossEntropy, "test_ce": m.Test.CrossEntropy} {
		got := last[name]
		// history.parquet records E as training computes it, metrics.json as
		// evaluate does: the same number up to rounding.
		if len(got) != 2 || got[0] != 1000 || math.Abs(got[1]-want) > 1e-9 || report.FormatFloat(got[1]) != report.FormatFloat(want) {
			t.Errorf("the learning curve's %s ends at %v, metrics.json says %v", name, got, want)
		}
	}
	// Hovering the curve at step 500 shows the step and both values.
	at := eval[[]float64](t, b, `(() => {
		document.getElementById('run-curve').scrollIntoView();
		const c = window.nnpipe.chart('run-curve'), p = c.convertToPixel({seriesIndex: 0}, c.getOption().series[0].data[500]);
		const box = document.getElementById('run-curve').getBoundingClientRect();
		return [box.left + p[0], box.top + p[1]];
	})()`)
	b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1]))
	tip := eval[string](t, b, `Array.from(document.querySelectorAll('#run-curve div')).map(d => d.innerText).filter(s => s.startsWith('step')).join('|')`)
	at500 := eval[[]float64](t, b, `window.nnpipe.chart('run-curve').getOption().series.map(s => s.data[500][1])`)
	if !strings.HasPrefix(tip, "step 500\n") || len(at500) != 2 || !strings.Contains(tip, fmt.Sprintf("train_ce: %v", at500[0])) || !strings.Contains(tip, fmt.Sprintf("test_ce: %v", at500[1])) {
		t.Errorf("hovering step 500 of the curve shows %q, want the step and the values %v", tip, at500)
	}
	heads := eval[[]string](t, b, `Array.from(document.querySelectorAll('#run-confusion table:first-child thead th')).slice(1).map(th => th.textContent)`)
	if !slices.Equal(heads, m.Classes) {
		t.Errorf("the confusion matrix's columns are %q, want the classes %q", heads, m.Classes)
	}
	// The confusion matrices' cells are metrics.json's counts, train then test.
	cells := eval[[][][]string](t, b, `Array.from(document.querySelectorAll('#run-confusion table')).map(t => Array.from(t.tBodies[0].rows).map(tr => Array.from(tr.cells).slice(1).map(td => td.textContent)))`)
	for i, want := range [][][]int{m.Train.Confusion, m.Test.Confusion} {
		if i >= len(cells) || fmt.Sprint(cells[i]) != fmt.Sprint(want) {
			t.Errorf("confusion matrix %d shows %v, metrics.json says %v", i, cells, want)
		}
	}
	// The weight paths: one line per w and v column of history.parquet,
	// each ending on the history's last row.
	hist, err := dataset.ReadTable(filepath.Join(book, htmlreport.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	wantLast := map[string][]float64{}
	for j, f := range hist.Fields {
		if strings.HasPrefix(f.Name, "w_") || strings.HasPrefix(f.Name, "v_") {
			col := hist.Columns[j].([]float64)
			wantLast[f.Name] = []float64{1000, col[len(col)-1]}
		}
	}
	gotLast := eval[map[string][]float64](t, b, `Object.fromEntries(window.nnpipe.chart('run-weights').getOption().series.map(s => [s.name, s.data[s.data.length - 1]]))`)
	if len(wantLast) != 15 || fmt.Sprint(gotLast) != fmt.Sprint(wantLast) { // 2 hidden units × 3 + 3 classes × 3 weights
		t.Errorf("the weight paths end at %v, history.parquet at %v", gotLast, wantLast)
	}
	manifest, err := results.ReadManifest(book)
	if err != nil {
		t.Fatal(err)
	}
	stages := eval[[][]string](t, b, `Array.from(document.querySelectorAll('#run-stages tbody tr')).map(tr => Array.from(tr.cells).map(td => td.textContent))`)
	if len(stages) != len(manifest.Stages) {
		t.Fatalf("%d stages shown, the manifest has %d", len(stages), len(manifest.Stages))
	}
	for i, s := range manifest.Stages {
		hit := map[bool]string{true: "hit", false: "computed"}[s.Cached]
		want := []string{s.ID, s.Kind, hit, strconv.FormatFloat(s.Seconds, 'g', 3, 64), strconv.FormatFloat(s.ComputeSeconds, 'g', 3, 64)}
		if !slices.Equal(stages[i], want) {
			t.Errorf("stage %d shown as %q, the manifest says %q", i, stages[i], want)
		}
	}
	if cfg := eval[string](t, b, `document.getElementById('run-config').textContent`); cfg != string(readFile(t, filepath.Join(book, results.ConfigFile))) {
		t.Errorf("the config shown is not config.yaml:\n%s", cfg)
	}
	if !eval[bool](t, b, `document.getElementById('run-boundary').naturalWidth > 0`) {
		t.Error("boundary.png is not shown")
	}
}

// TestBrowserSweep opens a sweep directory's report.html: a row per
// trial; the groups table is compare --group-by's; a row opens its trial.
func TestBrowserSweep(t *testing.T) {
	bctx := newBrowser(t)
	_, sweep := testdata(t)
	b := open(t, bctx, filepath.Join(sweep, results.ReportFile))
	defer b.check(t)
	interactive(t, b, "a sweep of 6 trials")
	p := decode(t, readFile(t, filepath.Join(sweep, results.ReportFile)))
	if ids := rowTexts(t, b, p.col("trial_id"), false); !slices.Equal(ids, column(p, "trial_id")) {
		t.Errorf("rows %v, want the trials %v", ids, column(p, "trial_id"))
	}
	want, err := results.Compare([]string{sweep}, results.CompareOptions{GroupBy: []string{"train.hidden"}, Format: report.Text})
	if err != nil {
		t.Fatal(err)
	}
	got := eval[[][]string](t, b, `Array.from(document.querySelectorAll('#groups-table tbody tr')).map(tr => Array.from(tr.cells).map(td => td.textContent))`)
	if !slices.EqualFunc(got, want.Rows, slices.Equal) {
		t.Errorf("the groups table is %v; compare --group-by train.hidden prints %v", got, want.Rows)
	}
	// The group charts draw those groups' numbers: test accuracy and
	// cross-entropy, mean and std, against train.hidden.
	set := p.Groups.Sets["0"]
	for _, c := range []struct{ chart, metric string }{{"group-acc", "test_accuracy"}, {"group-ce", "test_cross_entropy"}} {
		m := slices.Index(p.Groups.Metrics, c.metric)
		var want [][]float64
		for g := range set.Rows {
			want = append(want, []float64{*set.X[g], *set.Stats[g][m][0], *set.Stats[g][m][1]})
		}
		got := eval[[][][]float64](t, b, fmt.Sprintf(`window.nnpipe.chart(%q).getOption().series.filter(s => s.type === 'line').map(s => s.data.map(d => d.slice(0, 3)))`, c.chart))
		if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) || len(want) != 2 {
			t.Errorf("%s draws %v, want the groups' [hidden, mean, std] %v", c.chart, got, want)
		}
	}
	// Hovering a line highlights its row: the mouse on the middle of the
	// first segment of row 4's line.
	at := eval[[]float64](t, b, `(() => {
		const pc = window.nnpipe.parallel, el = pc.getModel().getSeries()[0].getData().getItemGraphicEl(4);
		const p = el.shape.points, box = document.getElementById('pc').getBoundingClientRect();
		document.getElementById('pc').scrollIntoView();
		const top = document.getElementById('pc').getBoundingClientRect();
		return [top.left + (p[0][0] + p[1][0]) / 2, top.top + (p[0][1] + p[1][1]) / 2];
	})()`)
	b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1]))
	if hovered := eval[[]int](t, b, `Array.from(document.querySelectorAll('#runs-table tbody tr.hover')).map(tr => +tr.dataset.row)`); !slices.Equal(hovered, []int{4}) {
		t.Errorf("hovering row 4's line highlights rows %v", hovered)
	}
	// Hovering a row highlights its line.
	b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
	b.do(t, chromedp.ScrollIntoView(chromedp.CSS(`#runs-table tbody tr:nth-child(2)`)))
	box := eval[[]float64](t, b, `(r => [r.left + 5, r.top + r.height / 2])(document.querySelector('#runs-table tbody tr:nth-child(2)').getBoundingClientRect())`)
	b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1]))
	emphasized := eval[[]int](t, b, `(() => {
		const data = window.nnpipe.parallel.getModel().getSeries()[0].getData(), out = [];
		for (let k = 0; k < data.count(); k++) if ((data.getItemGraphicEl(k).currentStates || []).includes('emphasis')) out.push(k);
		return out;
	})()`)
	if !slices.Equal(emphasized, []int{1}) {
		t.Errorf("hovering row 1 highlights the lines %v", emphasized)
	}

	b.do(t, chromedp.Click(chromedp.CSS(`#runs-table tbody tr:nth-child(3) td:first-child button`)))
	if id := eval[string](t, b, `document.getElementById('run-id').textContent`); id != p.Text[2][p.col("trial_id")] {
		t.Errorf("a click on the third row opened %q", id)
	}
	if n := eval[int](t, b, `window.nnpipe.chart('run-curve').getOption().series.length`); n != 2 {
		t.Errorf("the trial's learning curve has %d series, want 2", n)
	}
}

// TestBrowserRunsOfOtherConfigs: the book's run beside a sweep of another
// config, whose trials have no predictions stage and so no
// predictions.batch_rows: every row has its metrics, so every row gets a
// line in the parallel coordinates, and brushing the parameter only the
// book's run has keeps that run.
func TestBrowserRunsOfOtherConfigs(t *testing.T) {
	bctx := newBrowser(t)
	book, sweep := testdata(t)
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{book, sweep}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	p := decode(t, readFile(t, out))
	only := p.col("predictions.batch_rows")
	var have []string
	for _, row := range p.Text {
		if row[only] != "" {
			have = append(have, row[p.col("trial_id")])
		}
	}
	if len(p.Text) != 7 || len(have) != 1 || !p.Columns[only].Numeric || !p.Columns[only].Varies {
		t.Fatalf("the fixture: %d rows, %v with predictions.batch_rows (%+v)", len(p.Text), have, p.Columns[only])
	}
	b := open(t, bctx, out)
	defer b.check(t)
	if hidden := eval[bool](t, b, `document.getElementById('pc').hidden`); hidden {
		t.Fatalf("no parallel coordinates: %s", eval[string](t, b, `document.getElementById('pc-hint').textContent`))
	}
	if n := eval[int](t, b, `window.nnpipe.parallel.getOption().series[0].data.length`); n != 7 {
		t.Errorf("the parallel coordinates draw %d lines, want one per row: 7", n)
	}
	eval[any](t, b, `window.nnpipe.parallel.dispatchAction({type: 'axisAreaSelect', parallelAxisId: window.nnpipe.axisId('predictions.batch_rows'), intervals: [[0, 1e9]]})`)
	if got := rowTexts(t, b, p.col("trial_id"), true); !slices.Equal(got, have) {
		t.Errorf("brushing predictions.batch_rows keeps %v, want %v", got, have)
	}
}

func column(p *pageJSON, name string) []string {
	var out []string
	for _, row := range p.Text {
		out = append(out, row[p.col(name)])
	}
	return out
}

// TestBrowserAThousandRuns: 1,000 runs; a click on a metric's header sorts
// on its numbers (their text would sort otherwise); the text and status
// filters and a brush on an axis hide rows; the CSV export is the rows
// shown.
func TestBrowserAThousandRuns(t *testing.T) {
	bctx := newBrowser(t)
	root := t.TempDir()
	synthRuns(t, root, 1000)
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{root}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	p := decode(t, readFile(t, out))
	b := open(t, bctx, out)
	defer b.check(t)
	interactive(t, b, "1,000 runs")
	id, ce, status := p.col("trial_id"), p.col("test_cross_entropy"), p.col("status")
	if n := len(rowTexts(t, b, id, false)); n != 1000 {
		t.Fatalf("%d rows, want 1000", n)
	}

	// Sort on test_cross_entropy: by number, blanks last, ties in order.
	order := make([]int, 1000)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool {
		x, y := p.Nums[order[a]][ce], p.Nums[order[c]][ce]
		return x != nil && (y == nil || *x < *y)
	})
	var want []string
	for _, i := range order {
		want = append(want, p.Text[i][id])
	}
	byText := slices.Clone(column(p, "test_cross_entropy"))
	if slices.IsSorted(byText) {
		t.Fatal("the fixture's cross-entropies sort the same as text: the test would not tell")
	}
	b.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#runs-table thead th:nth-child(%d) button`, ce+1))))
	if got := rowTexts(t, b, id, false); !slices.Equal(got, want) {
		t.Errorf("after a click on test_cross_entropy, the rows are not in its numeric order")
	}
	shownCE := rowTexts(t, b, ce, false)
	if slices.IsSorted(shownCE[:len(shownCE)-12]) {
		t.Error("the sorted column's text is in text order too: the sort was not told apart")
	}

	// The text filter.
	b.do(t, chromedp.SendKeys(chromedp.ID("filter"), "backprop"))
	if n := len(rowTexts(t, b, id, true)); n != 500 {
		t.Errorf("filtered on backprop: %d rows shown, want 500", n)
	}
	eval[any](t, b, `(f => { f.value = ''; f.dispatchEvent(new Event('input')); })(document.getElementById('filter'))`)

	// The status filter, and the export of what it shows: the errors,
	// quoted, and the train keys.
	b.do(t, chromedp.SetValue(chromedp.ID("status"), "diverged"))
	eval[any](t, b, `document.getElementById('status').dispatchEvent(new Event('change'))`)
	var diverged []int
	for _, i := range order {
		if p.Text[i][status] == "diverged" {
			diverged = append(diverged, i)
		}
	}
	if got := rowTexts(t, b, id, true); len(got) != len(diverged) || len(got) == 0 {
		t.Errorf("status diverged: %d rows shown, want %d", len(got), len(diverged))
	}
	if got, want := download(t, b), csvOf(t, p, diverged); !bytes.Equal(got, want) {
		t.Errorf("the CSV of the diverged rows:\n%s\nwant\n%s", got, want)
	}
	b.do(t, chromedp.SetValue(chromedp.ID("status"), ""))
	eval[any](t, b, `document.getElementById('status').dispatchEvent(new Event('change'))`)

	// Brushing the test_accuracy axis, through the action a drag dispatches.
	acc := p.col("test_accuracy")
	eval[any](t, b, `window.nnpipe.parallel.dispatchAction({type: 'axisAreaSelect', parallelAxisId: window.nnpipe.axisId('test_accuracy'), intervals: [[0.6005, 0.7995]]})`)
	var inRange []int
	for _, i := range order {
		if x := p.Nums[i][acc]; x != nil && *x > 0.6005 && *x < 0.7995 {
			inRange = append(inRange, i)
		}
	}
	if got := rowTexts(t, b, id, true); len(got) != len(inRange) || len(inRange) == 0 || len(inRange) == 1000 {
		t.Errorf("brushed test_accuracy 0.6005–0.7995: %d rows shown, want %d", len(got), len(inRange))
	}
	if got, want := download(t, b), csvOf(t, p, inRange); !bytes.Equal(got, want) {
		t.Errorf("the CSV of the brushed rows differs from the rows shown")
	}
	// The best of each metric among the rows shown is marked: the highest
	// accuracy, the lowest cross-entropy.
	for _, m := range []struct {
		col     int
		highest bool
	}{{acc, true}, {ce, false}} {
		var best []string
		var bestX float64
		for _, i := range inRange {
			x := p.Nums[i][m.col]
			switch {
			case x == nil:
			case best == nil || (m.highest && *x > bestX) || (!m.highest && *x < bestX):
				best, bestX = []string{p.Text[i][id]}, *x
			case *x == bestX:
				best = append(best, p.Text[i][id])
			}
		}
		got := eval[[]string](t, b, fmt.Sprintf(`Array.from(document.querySelectorAll('#runs-table tbody tr:not([hidden])')).filter(tr => tr.cells[%d].classList.contains('best')).map(tr => tr.cells[%d].textContent)`, m.col, id))
		if !slices.Equal(got, best) || len(best) == 0 {
			t.Errorf("%s: rows %v marked best among the brushed rows, want %v", p.Columns[m.col].Name, got, best)
		}
	}
	b.do(t, chromedp.Click(chromedp.ID("clear-brush")))
	if n := len(rowTexts(t, b, id, true)); n != 1000 {
		t.Errorf("after clearing the axis ranges: %d rows shown, want 1000", n)
	}
}

// TestBrowserHostileText: a report whose names, parameters, class names
// and config hold markup and scripts runs none of them, and shows them as
// text.
func TestBrowserHostileText(t *testing.T) {
	bctx := newBrowser(t)
	root := t.TempDir()
	writeHostile(t, root)
	// A damaged summary in a folder named like markup: listed as skipped.
	damaged := filepath.Join(root, hostileStrings[1], results.SummaryFile)
	if err := os.MkdirAll(filepath.Dir(damaged), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, []byte("PAR1 not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{root}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	b := open(t, bctx, out)
	defer b.check(t) // no dialog, no request (an <img src=x> would make one)
	p := decode(t, readFile(t, out))
	if got, want := rowTexts(t, b, p.col("trial_id"), false), column(p, "trial_id"); !slices.Equal(got, want) || !strings.HasPrefix(got[0], hostileStrings[0]) {
		t.Errorf("the ids shown are %q, want %q", got, want)
	}
	if eval[bool](t, b, `document.getElementById('skipped').hidden`) {
		t.Error("the skipped summaries are not shown")
	}
	if got := eval[[]string](t, b, `Array.from(document.querySelectorAll('#skipped-list li')).map(li => li.textContent)`); len(got) != 1 || !strings.Contains(got[0], damaged) || len(got[0]) <= len(damaged)+2 {
		t.Errorf("skipped shown as %q, want %s with the reason", got, damaged)
	}
	eval[any](t, b, `window.nnpipe.open(0)`)
	heads := eval[[]string](t, b, `Array.from(document.querySelectorAll('#run-confusion table:first-child thead th')).slice(1).map(th => th.textContent)`)
	if !slices.Equal(heads, []string{hostileStrings[1], hostileStrings[4], "plain"}) {
		t.Errorf("the class names shown are %q", heads)
	}
	if cfg := eval[string](t, b, `document.getElementById('run-config').textContent`); !strings.Contains(cfg, hostileStrings[5]) {
		t.Errorf("the config shown is %q", cfg)
	}
	if n := eval[int](t, b, `document.querySelectorAll('img:not(#run-boundary), svg, script:not([type]) ~ script:not([type]) ~ script').length`); n != 0 {
		t.Errorf("the page has %d elements the data made", n)
	}
	if n := eval[int](t, b, `document.scripts.length`); n != 4 {
		t.Errorf("the page has %d scripts, want its 4", n)
	}
}

// earlyStoppingConfig trains with mini-batches and early stopping: its
// history records val_ce at the end of each epoch only, NaN at the other
// steps.
const earlyStoppingConfig = `name: early
seed: 1
stages:
  - {id: data, kind: generate, with: {dataset: moons, n: 80, noise: 0.2}}
  - {id: split, kind: split, with: {shuffle: true, stratify: true}}
  - id: train
    kind: train
    with: {hidden: 3, gradient: backprop, optimizer: adam, learning_rate: 0.05, batch_size: 8, steps: 200,
           early_stopping: {validation_fraction: 0.25, patience: 50}}
  - {id: eval, kind: evaluate}
`

// TestBrowserAValidationCurveIsDrawn opens the report of a run with early
// stopping: the learning curve's val_ce series, recorded at the checks
// only, must be drawn as one line through its points, as the learning
// curve's figure draws it. It used to break at every step without a check,
// and so drew nothing: the legend named val_ce and the chart showed no
// line of it.
func TestBrowserAValidationCurveIsDrawn(t *testing.T) {
	bctx := newBrowser(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "early.yaml")
	if err := os.WriteFile(path, []byte(earlyStoppingConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pipeline.Compile(f, stages.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	eng := &pipeline.Engine{Cache: cache.Open(filepath.Join(dir, "cache")), Version: "test", Workers: 1}
	defer eng.Close()
	res, err := eng.Run(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "results", "early", "20250101T000000-"+chain.Hash[:8])
	info := results.Info{ID: filepath.Base(run), Seconds: 0.25, Version: "test", Report: htmlreport.ForDir("test")}
	if _, err := results.WriteRun(run, chain, res, info, false); err != nil {
		t.Fatal(err)
	}
	b := open(t, bctx, filepath.Join(run, results.ReportFile))
	defer b.check(t)
	type series struct {
		Points, Values int
		Connected      bool
	}
	got := eval[series](t, b, `(() => {
		const s = window.nnpipe.chart('run-curve').getOption().series.find(s => s.name === 'val_ce');
		return s ? {points: s.data.length, values: s.data.filter(d => d[1] !== null).length, connected: s.connectNulls === true} : {};
	})()`)
	if got.Values < 2 || got.Values >= got.Points {
		t.Fatalf("val_ce has %d values among %d points; want a value at each check and none between", got.Values, got.Points)
	}
	if !got.Connected {
		t.Errorf("val_ce's %d values among %d points are not connected across the steps without a check: the chart draws no line of them", got.Values, got.Points)
	}
}

// TestBrowserGroupsOfValuesNamedLikeObjectMembers: a parameter value is a
// user's text (a label column named constructor, toString or __proto__);
// grouped by it after another key, each value names a line of the group
// charts, and every line is drawn. Such a name used to find the member of
// every JavaScript object instead of its line: the charts threw a
// TypeError and drew nothing.
func TestBrowserGroupsOfValuesNamedLikeObjectMembers(t *testing.T) {
	bctx := newBrowser(t)
	labels := []string{"constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"}
	var seeds []int64
	var ids, status, label, errs []string
	var metric []float64
	for i, l := range labels {
		for s := range 2 {
			ids = append(ids, fmt.Sprintf("t%d-%d", i, s))
			status, errs, label, seeds = append(status, results.StatusOK), append(errs, ""), append(label, l), append(seeds, int64(s+1))
			metric = append(metric, 0.5+0.1*float64(s)+0.01*float64(i))
		}
	}
	fields := []dataset.Field{{Name: "trial_id", Type: dataset.String}, {Name: "status", Type: dataset.String},
		{Name: "seed", Type: dataset.Int64}, {Name: "data.label", Type: dataset.String}}
	cols := []any{ids, status, seeds, label}
	for _, m := range results.MetricNames {
		fields = append(fields, dataset.Field{Name: m, Type: dataset.Float64})
		cols = append(cols, metric)
	}
	fields = append(fields, dataset.Field{Name: "error", Type: dataset.String})
	cols = append(cols, errs)
	dir := t.TempDir()
	writeTable(t, filepath.Join(dir, results.SummaryFile), fields, cols)
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{dir}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	b := open(t, bctx, out)
	defer b.check(t) // an exception fails the test
	// Group by seed, then data.label: the labels name the lines.
	eval[any](t, b, `document.querySelectorAll('#group-keys input').forEach(box => { if (!box.checked) box.click(); })`)
	for _, c := range []string{"group-acc", "group-ce"} {
		got := eval[[]string](t, b, fmt.Sprintf(`window.nnpipe.chart(%q).getOption().series.filter(s => s.type === 'line' && s.data.length === 2).map(s => s.name)`, c))
		if sort.Strings(got); !slices.Equal(got, slices.Sorted(slices.Values(labels))) {
			t.Errorf("%s draws the lines %q, want one of two points for each of %q", c, got, labels)
		}
	}
}

// writeTable writes a Parquet table of fields and cols to path.
func writeTable(t *testing.T, path string, fields []dataset.Field, cols []any) {
	t.Helper()
	w, err := dataset.CreateTable(path, fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(cols...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserTheGroupByCommandIsQuotedForTheShell: a grouping the page did
// not compute is given as the compare command that prints it, for the
// user to paste into a shell. A summary from elsewhere may name a column
// $(touch pwned) or it's; the --group-by argument is quoted, so the shell
// reads the keys as they are and runs nothing. It used to be printed as
// it is.
func TestBrowserTheGroupByCommandIsQuotedForTheShell(t *testing.T) {
	bctx := newBrowser(t)
	names := []string{"a.one", "a.two", "a.three", "a.four", "x$(touch pwned)`touch pwned`", "it's \"q\" ;touch pwned"}
	fields := []dataset.Field{{Name: "trial_id", Type: dataset.String}}
	cols := []any{[]string{"r1", "r2"}}
	for k, name := range names {
		fields = append(fields, dataset.Field{Name: name, Type: dataset.Int64})
		cols = append(cols, []int64{1, int64(k + 2)})
	}
	dir := filepath.Join(t.TempDir(), "results")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTable(t, filepath.Join(dir, results.SummaryFile), fields, cols)
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{dir}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	b := open(t, bctx, out)
	defer b.check(t)
	// Five keys: more than a grouping computed has, but the default of all six.
	eval[any](t, b, `document.querySelectorAll('#group-keys input').forEach((box, k) => { if (box.checked !== (k > 0)) box.click(); })`)
	note := eval[string](t, b, `document.getElementById('group-note').textContent`)
	_, command, ok := strings.Cut(note, "Its table: nnpipe compare ")
	if !ok {
		t.Fatalf("the page gives no compare command: %q", note)
	}
	// The shell given the command's arguments prints them: the last is
	// the keys, as they are, and nothing else ran.
	sh := exec.Command("sh", "-c", `printf '%s\n' `+command)
	sh.Dir = t.TempDir()
	printed, err := sh.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", command, err)
	}
	args := strings.Split(strings.TrimSuffix(string(printed), "\n"), "\n")
	if want := strings.Join(names[1:], ","); len(args) != 3 || args[1] != "--group-by" || args[2] != want {
		t.Errorf("the shell reads the command %q as %q, want [%s --group-by %s]", command, args, dir, want)
	}
	if _, err := os.Stat(filepath.Join(sh.Dir, "pwned")); err == nil {
		t.Errorf("pasting the command %q into a shell ran what a column name holds", command)
	}
}

// TestBrowserTheStatusFilterSelectsEachStatus: a summary without a status
// column (one kept by hand, say) beside a sweep's gives rows without a
// status; each option of the status filter shows exactly its rows, those
// without a status under "(no status)". That option used to be blank and
// to show every row.
func TestBrowserTheStatusFilterSelectsEachStatus(t *testing.T) {
	bctx := newBrowser(t)
	root := t.TempDir()
	with, without := filepath.Join(root, "with"), filepath.Join(root, "without")
	for _, dir := range []string{with, without} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	acc := dataset.Field{Name: "test_accuracy", Type: dataset.Float64}
	writeTable(t, filepath.Join(with, results.SummaryFile),
		[]dataset.Field{{Name: "trial_id", Type: dataset.String}, {Name: "status", Type: dataset.String}, acc},
		[]any{[]string{"a", "b", "c"}, []string{"ok", "diverged", "ok"}, []float64{0.9, math.NaN(), 0.8}})
	writeTable(t, filepath.Join(without, results.SummaryFile),
		[]dataset.Field{{Name: "trial_id", Type: dataset.String}, acc},
		[]any{[]string{"d", "e"}, []float64{0.7, 0.6}})
	out := filepath.Join(t.TempDir(), "report.html")
	if _, err := htmlreport.WriteFile(context.Background(), []string{with, without}, out, htmlreport.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	b := open(t, bctx, out)
	defer b.check(t)
	got := eval[[]string](t, b, `Array.from(document.getElementById('status').options).map((o, i) => {
		const st = document.getElementById('status');
		st.selectedIndex = i;
		st.dispatchEvent(new Event('change'));
		return o.text + ': ' + Array.from(document.querySelectorAll('#runs-table tbody tr:not([hidden])')).map(tr => tr.cells[0].textContent).join(' ');
	})`)
	want := []string{"all: a b c d e", "(no status): d e", "diverged: b", "ok: a c"}
	if !slices.Equal(got, want) {
		t.Errorf("the status filter shows %q, want %q", got, want)
	}
}
