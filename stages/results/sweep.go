package results

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/report"
	"gonum.org/v1/gonum/stat"
)

// Sweep is a sweep directory as CollectSweep assembled it.
type Sweep struct {
	ID   string
	Name string
	Dir  string // where it is once committed
	Axes []*config.Axis
	// Rows are the finished and failed trials, in grid order, with their
	// Trials, RunDirs (relative to the sweep directory until Rebase) and
	// Results (the cached stages).
	Rows    []*Row
	Trials  []*pipeline.Trial
	RunDirs []string
	Results [][]*pipeline.StageResult
	Pending int // trials neither finished nor failed
	Failed  int
	// Probed is what the cache holds of every trial, by id.
	Probed map[string]Probed
}

// Probed is what the cache holds of a trial (see pipeline.Engine.Probe).
type Probed struct {
	Status  pipeline.ProbeStatus
	Failure *pipeline.Failure
}

// FailureError is the error of a failed trial, as the engine returns it
// and sweep.json records it.
func FailureError(f *pipeline.Failure) string {
	return fmt.Sprintf("stage %q: %s", f.Stage, f.Error)
}

// collected is one trial as CollectSweep found it.
type collected struct {
	t       *pipeline.Trial
	probed  Probed
	row     *Row
	record  TrialRecord
	runDir  string
	results []*pipeline.StageResult
	err     error
}

// CollectSweep assembles the sweep directory rd of sw's trials from what
// eng's cache holds of each, running nothing: a finished trial gets a run
// directory, a failed one the record of its failure (FillFailedRun), and
// pending ones are counted; then summary.parquet, summary.md and the plot
// of the trials that finished or failed, and sweep.json. It probes the
// trials and writes their directories on jobs workers, and returns ctx's
// error once ctx is done.
func CollectSweep(ctx context.Context, rd *pipeline.RunDir, eng *pipeline.Engine, sw *Sweep, trials []*pipeline.Trial, jobs int, version string) error {
	m := SweepManifest{Format: Format, Nnpipe: version, SweepID: sw.ID, Name: sw.Name, Created: time.Now().UTC().Format(time.RFC3339),
		Axes: []SweepAxis{}, Trials: []TrialRecord{}}
	for _, a := range sw.Axes {
		ax := SweepAxis{Key: a.Key}
		for _, v := range a.Values {
			ax.Values = append(ax.Values, v.Value)
		}
		m.Axes = append(m.Axes, ax)
	}
	out := make([]collected, len(trials))
	pipeline.ForEach(ctx, len(trials), jobs, func(i int) {
		out[i] = collectTrial(rd, eng, trials[i], version)
	})
	if err := ctx.Err(); err != nil {
		return err // interrupted: some trials were not probed
	}
	sw.Probed = map[string]Probed{}
	for _, c := range out {
		if c.err != nil {
			return c.err
		}
		sw.Probed[c.t.ID] = c.probed
		switch c.probed.Status {
		case pipeline.ProbePending:
			sw.Pending++
			continue
		case pipeline.ProbeFailed:
			sw.Failed++
		}
		sw.Rows = append(sw.Rows, c.row)
		sw.Trials = append(sw.Trials, c.t)
		sw.RunDirs = append(sw.RunDirs, c.runDir)
		sw.Results = append(sw.Results, c.results)
		m.Trials = append(m.Trials, c.record)
	}
	m.Pending = sw.Pending
	if err := sw.writeTables(rd, version); err != nil {
		return err
	}
	b, err := marshalFile(m)
	if err != nil {
		return err
	}
	return rd.WriteFile(SweepFile, b)
}

// collectTrial probes t in eng's cache and writes its directory into rd.
func collectTrial(rd *pipeline.RunDir, eng *pipeline.Engine, t *pipeline.Trial, version string) collected {
	c := collected{t: t, record: NewTrialRecord(t, "", "")}
	results, status, failure, err := eng.Probe(t.Chain)
	c.probed, c.results = Probed{Status: status, Failure: failure}, results
	if err != nil {
		c.err = fmt.Errorf("trial %s: %w", t.ID, err)
		return c
	}
	switch status {
	case pipeline.ProbeFailed:
		c.row = NewRow(t.Chain, results, nil)
		c.row.TrialID, c.row.Status, c.row.Error = t.ID, failure.Status, FailureError(failure)
		c.record.Status, c.record.Error = c.row.Status, c.row.Error
		c.runDir = TrialsDir + "/" + t.ID
		dir := rd.Path(c.runDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			c.err = err
			return c
		}
		info := Info{ID: t.ID, Status: c.row.Status, Error: c.row.Error, Version: version}
		c.err = FillFailedRun(dir, t.Chain, info, KeptByFailure(eng, t.Chain, failure.Key, failure.Stage))
	case pipeline.ProbeDone:
		c.runDir = TrialsDir + "/" + t.ID
		seconds := 0.0
		for _, r := range results {
			seconds += r.ComputeSeconds
		}
		run, err := WriteRun(rd.Path(c.runDir), t.Chain, results, Info{ID: t.ID, Status: StatusOK, Seconds: seconds, Version: version}, false)
		if err != nil {
			c.err = fmt.Errorf("trial %s: %w", t.ID, err)
			return c
		}
		c.row = run.Summary
		c.record.Status = StatusOK
	}
	return c
}

// writeTables writes the summaries and the plot of the sweep's rows, if
// any trial finished or failed.
func (sw *Sweep) writeTables(rd *pipeline.RunDir, version string) error {
	if len(sw.Rows) == 0 {
		return nil
	}
	if err := WriteSummary(rd.Path(SummaryFile), sw.Rows, version); err != nil {
		return err
	}
	md := strings.Builder{}
	if err := sw.Table().Write(&md, report.Markdown); err != nil {
		return err
	}
	if err := rd.WriteFile(SummaryMD, []byte(md.String())); err != nil {
		return err
	}
	if err := sw.plot(rd.Path(SweepPlot)); err != nil {
		return fmt.Errorf("plot the sweep: %w", err)
	}
	return nil
}

// Rebase makes the run directories absolute, once the sweep directory is
// committed at sw.Dir.
func (sw *Sweep) Rebase() {
	for i := range sw.RunDirs {
		if sw.RunDirs[i] != "" {
			sw.RunDirs[i] = filepath.Join(sw.Dir, sw.RunDirs[i])
		}
	}
}

// IsSeedKey reports whether a swept key is a seed, over which results are
// averaged rather than grouped.
func IsSeedKey(key string) bool { return key == "seed" || strings.HasSuffix(key, ".seed") }

// sweepGroup is the trials sharing the values of the non-seed axes.
type sweepGroup struct {
	values []string
	rows   []*Row
}

func (sw *Sweep) groups() ([]string, []*sweepGroup) {
	var keys []string
	for _, a := range sw.Axes {
		if !IsSeedKey(a.Key) {
			keys = append(keys, a.Key)
		}
	}
	index := map[string]*sweepGroup{}
	var out []*sweepGroup
	for i, row := range sw.Rows {
		vals := make([]string, len(keys))
		for k, key := range keys {
			for _, v := range sw.Trials[i].Values {
				if v.Key == key {
					vals[k] = v.Value
				}
			}
		}
		id := strings.Join(vals, "\x00")
		g, ok := index[id]
		if !ok {
			g = &sweepGroup{values: vals}
			index[id] = g
			out = append(out, g)
		}
		g.rows = append(g.rows, row)
	}
	return keys, out
}

// meanStd returns the mean and sample standard deviation of the metric
// over the group's successful trials, and their count.
func (g *sweepGroup) meanStd(metric func(*Row) float64) (float64, float64, int) {
	var xs []float64
	for _, r := range g.rows {
		if r.Status == StatusOK {
			xs = append(xs, metric(r))
		}
	}
	return meanStd(xs)
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

// Table is the sweep's table, summary.md and what sweep prints: per
// setting of the non-seed axes, the mean ± std over seeds of each metric;
// the best setting (highest mean test accuracy, then lowest test
// cross-entropy) is marked with *.
func (sw *Sweep) Table() report.Table {
	keys, groups := sw.groups()
	header := append(append([]string{}, keys...), "trials", "test acc", "test CE", "train acc", "train CE")
	best, bestAcc, bestCE := -1, math.Inf(-1), math.Inf(1)
	for i, g := range groups {
		acc, _, n := g.meanStd(func(r *Row) float64 { return r.TestAcc })
		ce, _, _ := g.meanStd(func(r *Row) float64 { return r.TestCE })
		if n > 0 && (acc > bestAcc || (acc == bestAcc && ce < bestCE)) {
			best, bestAcc, bestCE = i, acc, ce
		}
	}
	t := report.Table{Header: header}
	for i, g := range groups {
		row := append([]string{}, g.values...)
		ok, total := 0, len(g.rows)
		for _, r := range g.rows {
			if r.Status == StatusOK {
				ok++
			}
		}
		count := strconv.Itoa(total)
		if ok < total {
			count = fmt.Sprintf("%d (%d failed)", total, total-ok)
		}
		row = append(row, count)
		for _, metric := range []func(*Row) float64{
			func(r *Row) float64 { return r.TestAcc }, func(r *Row) float64 { return r.TestCE },
			func(r *Row) float64 { return r.TrainAcc }, func(r *Row) float64 { return r.TrainCE },
		} {
			m, s, _ := g.meanStd(metric)
			row = append(row, report.FormatMeanStd(m, s))
		}
		if i == best {
			if len(row) > 0 && len(keys) > 0 {
				row[0] += " *"
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.Numeric = make([]bool, len(header))
	for i := range header {
		t.Numeric[i] = true
	}
	return t
}

// plot draws plots/sweep.png: test accuracy and test cross-entropy against
// the first swept parameter that is not a seed, mean ± std over the rest
// (seeds, and any other axis). A sweep of seeds alone has nothing to plot
// against and draws nothing.
func (sw *Sweep) plot(path string) error {
	key := ""
	for _, a := range sw.Axes {
		if !IsSeedKey(a.Key) {
			key = a.Key
			break
		}
	}
	if key == "" {
		return nil
	}
	type acc struct{ accs, ces []float64 }
	byValue := map[string]*acc{}
	var order []string
	for i, row := range sw.Rows {
		v := ""
		for _, tv := range sw.Trials[i].Values {
			if tv.Key == key {
				v = tv.Value
			}
		}
		a, ok := byValue[v]
		if !ok {
			a = &acc{}
			byValue[v] = a
			order = append(order, v)
		}
		if row.Status == StatusOK {
			a.accs = append(a.accs, row.TestAcc)
			a.ces = append(a.ces, row.TestCE)
		}
	}
	var pts []report.SweepPoint
	for i, v := range order {
		a := byValue[v]
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			x = float64(i) // a non-numeric value (a gradient method): plot in grid order
		}
		p := report.SweepPoint{X: x, Label: v, N: len(a.accs)}
		p.AccMean, p.AccStd, _ = meanStd(a.accs)
		p.CEMean, p.CEStd, _ = meanStd(a.ces)
		pts = append(pts, p)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return report.Sweep(path, key, pts, report.Size{})
}
