package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/report"
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
	// PendingTrials are those trials, in grid order.
	PendingTrials []*pipeline.Trial
	Failed        int
	// Probed is what the cache holds of every trial, by id.
	Probed map[string]Probed
	// Report, when set, writes the sweep directory's report.html.
	Report ReportFunc
}

// Probed is what the cache holds of a trial (see pipeline.Engine.Probe).
type Probed struct {
	Status  pipeline.ProbeStatus
	Failure *pipeline.Failure
}

// collected is one trial as a SweepCollector found it.
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
// directory, a failed one the record of its failure (WriteFailedRun), and
// pending ones are counted; then summary.parquet, summary.md and the plot
// of the trials that finished or failed, and sweep.json. It probes the
// trials and writes their directories on jobs workers, and returns ctx's
// error once ctx is done. It is NewSweepCollector(…).Finish(ctx, jobs).
func CollectSweep(ctx context.Context, rd *pipeline.RunDir, eng *pipeline.Engine, sw *Sweep, trials []*pipeline.Trial, jobs int, version string) error {
	return NewSweepCollector(rd, eng, sw, trials, version).Finish(ctx, jobs)
}

// A SweepCollector assembles a sweep directory as CollectSweep does, but a
// trial's directory may be written as soon as the trial has run (Collect),
// while others still run: its files are then written beside the other
// trials' computation instead of after all of them. Finish collects the
// trials not collected yet and writes the sweep's tables; the directory is
// the same whichever trials were collected early.
type SweepCollector struct {
	rd      *pipeline.RunDir
	eng     *pipeline.Engine
	sw      *Sweep
	trials  []*pipeline.Trial
	index   map[*pipeline.Trial]int
	version string
	out     []collected // out[i] is trial i's once collected (its t is set)
}

// NewSweepCollector returns a collector of trials into rd, probing eng's
// cache.
func NewSweepCollector(rd *pipeline.RunDir, eng *pipeline.Engine, sw *Sweep, trials []*pipeline.Trial, version string) *SweepCollector {
	c := &SweepCollector{rd: rd, eng: eng, sw: sw, trials: trials, version: version,
		index: make(map[*pipeline.Trial]int, len(trials)), out: make([]collected, len(trials))}
	for i, t := range trials {
		c.index[t] = i
	}
	// Another process may have put a folder in the sweep's place since
	// Finish looked (a collection of trials this one found pending, a
	// user's files): the one Commit displaces is vetted again.
	rd.CheckReplaced = func(old string) error {
		if err := checkSweepPlace(old, rd.Final()); err != nil {
			return err
		}
		return c.nothingLostFrom(old)
	}
	return c
}

// Collect probes trial t, one of the collector's, and writes its directory
// now. It may be called concurrently for distinct trials, each at most
// once, and not after Finish has started; a trial that is not the
// collector's is ignored.
func (c *SweepCollector) Collect(t *pipeline.Trial) {
	if i, ok := c.index[t]; ok {
		c.out[i] = collectTrial(c.rd, c.eng, t, c.version)
	}
}

// Finish collects, on jobs workers, the trials Collect did not, then
// writes the sweep's summaries, plot and sweep.json; it returns ctx's error
// once ctx is done.
func (c *SweepCollector) Finish(ctx context.Context, jobs int) error {
	sw := c.sw
	m := SweepManifest{Format: Format, Nnpipe: c.version, SweepID: sw.ID, Name: sw.Name, Created: time.Now().UTC().Format(time.RFC3339),
		Axes: []SweepAxis{}, Trials: []TrialRecord{}, PendingTrials: []TrialRecord{}}
	for _, a := range sw.Axes {
		ax := SweepAxis{Key: a.Key}
		for _, v := range a.Values {
			ax.Values = append(ax.Values, v.Value)
		}
		m.Axes = append(m.Axes, ax)
	}
	var todo []int
	for i, o := range c.out {
		if o.t == nil {
			todo = append(todo, i)
		}
	}
	pipeline.ForEach(ctx, len(todo), jobs, func(k int) {
		i := todo[k]
		c.out[i] = collectTrial(c.rd, c.eng, c.trials[i], c.version)
	})
	if err := ctx.Err(); err != nil {
		return err // interrupted: some trials were not probed
	}
	sw.Probed = map[string]Probed{}
	for _, c := range c.out {
		if c.err != nil {
			return c.err
		}
		sw.Probed[c.t.ID] = c.probed
		switch c.probed.Status {
		case pipeline.ProbePending:
			sw.Pending++
			sw.PendingTrials = append(sw.PendingTrials, c.t)
			m.PendingTrials = append(m.PendingTrials, NewTrialRecord(c.t, StatusPending, ""))
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
	if err := c.checkNothingLost(); err != nil {
		return err
	}
	// The trials' directories are the bulk of the sweep's bytes: the disk
	// takes them while the tables and the report are computed.
	c.rd.StartFlush()
	if err := sw.writeTables(c.rd, c.version); err != nil {
		return err
	}
	b, err := marshalFile(m)
	if err != nil {
		return err
	}
	return c.rd.WriteFile(SweepFile, b)
}

// ErrWouldLose is a sweep directory that replacing would lose finished
// trials: trials it holds as finished or failed that the cache holds
// nothing of for the config as it is now (its data changed since, or gc
// removed them).
var ErrWouldLose = errors.New("not replacing it")

// checkNothingLost refuses to replace an existing sweep directory that
// holds a trial as finished or failed which this collection finds pending:
// the trial's identity is its config, not its data, so after the data
// changed a collection (or a rerun whose trials cannot run) would
// otherwise replace the finished sweep with one of pending trials. What
// the directory holds is read from its sweep.json and from its trials/
// folders with a manifest, so that a sweep.json torn, removed or edited
// by hand does not let the trials go.
func (c *SweepCollector) checkNothingLost() error {
	return c.nothingLostFrom(c.rd.Final())
}

// nothingLostFrom is checkNothingLost for the sweep directory at dir, the
// one in the sweep's place or the one Commit displaced from it.
func (c *SweepCollector) nothingLostFrom(dir string) error {
	final := c.rd.Final()
	held := map[string]bool{}
	if old, err := ReadSweepManifest(dir); err == nil {
		for _, r := range old.Trials {
			held[r.TrialID] = true
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, TrialsDir))
	for _, e := range entries {
		if IsRunOrSweep(filepath.Join(dir, TrialsDir, e.Name())) {
			held[e.Name()] = true
		}
	}
	lost := 0
	for id := range held {
		if p, ok := c.sw.Probed[id]; ok && p.Status == pipeline.ProbePending {
			lost++
		}
	}
	if lost == 0 {
		return nil
	}
	return fmt.Errorf("%s holds %s that the cache has no result for as the config is now "+
		"(its data changed, gc removed them, or another sweep finished them after this one looked): %w; "+
		"run the sweep to compute them again, collect into another folder with --out, or remove the folder",
		final, report.Plural(lost, "finished trial", "finished trials"), ErrWouldLose)
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
	if status != pipeline.ProbePending {
		// A sweep directory removed under the sweep is not made again by
		// its trials' directories.
		if err := rd.Check(); err != nil {
			c.err = fmt.Errorf("trial %s: %w", t.ID, err)
			return c
		}
	}
	switch status {
	case pipeline.ProbeFailed:
		c.row = NewRow(t.Chain, results, nil)
		c.row.TrialID, c.row.Status, c.row.Error = t.ID, failure.Status, failure.Message()
		c.record.Status, c.record.Error = c.row.Status, c.row.Error
		c.runDir = TrialsDir + "/" + t.ID
		info := Info{ID: t.ID, Status: c.row.Status, Error: c.row.Error, Version: version}
		fs := FailedStage{ID: failure.Stage, Kind: failure.Kind, Key: failure.Key}
		if err := WriteFailedRun(rd.Path(c.runDir), t.Chain, results, info, fs, KeptByFailure(eng, t.Chain, failure.Key, failure.Stage), false); err != nil {
			c.err = fmt.Errorf("trial %s: %w", t.ID, err)
		}
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
	t, err := sw.Table()
	if err != nil {
		return err
	}
	md := strings.Builder{}
	if err := t.Write(&md, report.Markdown); err != nil {
		return err
	}
	if err := rd.WriteFile(SummaryMD, []byte(md.String())); err != nil {
		return err
	}
	// The plot and the report read only the rows and the files written
	// above: the plot is drawn beside the report, on a core the report's
	// serial parts leave idle.
	plotted := make(chan error, 1)
	go func() { plotted <- sw.plot(rd.Path(SweepPlot)) }()
	err = writeReport(rd, sw.Report, nil)
	if perr := <-plotted; perr != nil {
		return fmt.Errorf("plot the sweep: %w", perr)
	}
	return err
}

// maxPendingNamed is how many pending trials PendingLine names.
const maxPendingNamed = 3

// PendingLine returns the line naming the sweep's pending trials — the
// first few by id and values, and how many more sweep.json lists — or ""
// when none is pending.
func (sw *Sweep) PendingLine() string {
	if len(sw.PendingTrials) == 0 {
		return ""
	}
	var named []string
	for _, t := range sw.PendingTrials[:min(len(sw.PendingTrials), maxPendingNamed)] {
		named = append(named, t.ID+" ("+t.Label()+")")
	}
	more := ""
	if rest := len(sw.PendingTrials) - len(named); rest > 0 {
		more = fmt.Sprintf(" and %d more", rest)
	}
	return fmt.Sprintf("not finished: %s%s, listed in %s's pending_trials", strings.Join(named, ", "), more, SweepFile)
}

// FailedProblems lists the trials of the sweep that failed.
func (sw *Sweep) FailedProblems() []pipeline.TrialProblem {
	var out []pipeline.TrialProblem
	for i, row := range sw.Rows {
		if row.Status != StatusOK {
			out = append(out, pipeline.RecordedFailure(sw.Trials[i], row.Status, row.Error))
		}
	}
	return out
}

// Unaccounted returns the trials of outcomes, run by this process, that
// the collected sweep sw does not account for as finished or as a
// recorded failure: those that could not run (the cache or the disk failed
// them), whose failure could not be recorded, or whose results vanished.
// With sw nil (the sweep could not be collected), every trial that
// returned an error.
func Unaccounted(outcomes []pipeline.TrialOutcome, sw *Sweep) []pipeline.TrialProblem {
	var out []pipeline.TrialProblem
	for _, o := range outcomes {
		if o.Trial == nil {
			continue // not started: interrupted
		}
		if sw == nil {
			if o.Err != nil {
				out = append(out, pipeline.NotRun(o.Trial, o.Err))
			}
			continue
		}
		p := sw.Probed[o.Trial.ID]
		switch {
		case p.Status == pipeline.ProbeDone:
		case p.Status == pipeline.ProbeFailed && o.Err != nil && p.Failure.Message() == o.Err.Error():
		case o.Err != nil:
			out = append(out, pipeline.NotRun(o.Trial, o.Err))
		default:
			out = append(out, pipeline.NotRun(o.Trial, errors.New("it finished, but its results are no longer in the cache")))
		}
	}
	return out
}

// Ran puts, for the trials of outcomes that this process ran and that
// finished, the results of their stages as this process saw them (cache
// hits or computed) in place of those read from the cache.
func (sw *Sweep) Ran(outcomes []pipeline.TrialOutcome) {
	ran := map[string][]*pipeline.StageResult{}
	for _, o := range outcomes {
		if o.Trial != nil && o.Err == nil {
			ran[o.Trial.ID] = o.Results
		}
	}
	for i, t := range sw.Trials {
		if r, ok := ran[t.ID]; ok {
			sw.Results[i] = r
		}
	}
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

// IsRepetitionKey reports whether a swept key repeats one setting rather
// than changing it — a seed (`seed`, `train.init.seed`) or a
// cross-validation fold (`split.fold`) — so that results are averaged over
// it (mean ± std) rather than grouped by it.
func IsRepetitionKey(key string) bool {
	return key == "seed" || strings.HasSuffix(key, ".seed") || strings.HasSuffix(key, ".fold")
}

// groupKeys are the swept keys that are not repetitions: a sweep's table
// has a row per setting of them, averaged over the seeds and folds.
func (sw *Sweep) groupKeys() []string {
	var keys []string
	for _, a := range sw.Axes {
		if !IsRepetitionKey(a.Key) {
			keys = append(keys, a.Key)
		}
	}
	return keys
}

// groups groups the sweep's rows as `compare --group-by keys` does.
func (sw *Sweep) groups(keys []string) ([]comparison.Group, error) {
	c := comparison.New(Schema(), []comparison.Source{{Tables: []*dataset.Table{Summary(sw.Rows)}}})
	return c.Groups(keys)
}

// The metrics of a sweep's table, in its order, by their index in
// MetricNames, with the table's headings.
var sweepMetrics = []struct {
	index   int
	heading string
}{{3, "test acc"}, {1, "test CE"}, {2, "train acc"}, {0, "train CE"}}

// Table is the sweep's table, summary.md and what sweep prints: per
// setting of the swept keys that are not seeds, the number of trials (and
// of failed ones), and the mean ± std over the ok trials of each metric,
// the numbers of `compare --group-by` those keys; the best setting (highest
// mean test accuracy, then lowest test cross-entropy) is marked with *.
func (sw *Sweep) Table() (report.Table, error) {
	keys := sw.groupKeys()
	groups, err := sw.groups(keys)
	if err != nil {
		return report.Table{}, err
	}
	t := report.Table{Header: append([]string{}, keys...)}
	for _, m := range sweepMetrics {
		t.Header = append(t.Header, m.heading)
	}
	t.Header = slices.Insert(t.Header, len(keys), "trials")
	best, bestAcc, bestCE := -1, math.Inf(-1), math.Inf(1)
	for i, g := range groups {
		acc, ce := g.Metrics[3], g.Metrics[1]
		if acc.N > 0 && (acc.F > bestAcc || (acc.F == bestAcc && ce.F < bestCE)) {
			best, bestAcc, bestCE = i, acc.F, ce.F
		}
	}
	for i, g := range groups {
		var row []string
		for _, k := range g.Keys {
			row = append(row, k.Text)
		}
		count := strconv.Itoa(g.N)
		if g.Failed > 0 {
			count = fmt.Sprintf("%d (%d failed)", g.N, g.Failed)
		}
		row = append(row, count)
		for _, m := range sweepMetrics {
			x := g.Metrics[m.index]
			row = append(row, report.FormatMeanStd(x.F, x.Std))
		}
		if i == best && len(keys) > 0 {
			row[0] += " *"
		}
		t.Rows = append(t.Rows, row)
	}
	t.Numeric = make([]bool, len(t.Header))
	for i := range t.Numeric {
		t.Numeric[i] = true
	}
	return t, nil
}

// plot draws plots/sweep.png: test accuracy and test cross-entropy against
// the first swept key that is not a repetition, mean ± std over the rest
// (seeds, folds, and any other axis), as Table groups them. A sweep of
// repetitions alone has nothing to plot against and draws nothing.
func (sw *Sweep) plot(path string) error {
	keys := sw.groupKeys()
	if len(keys) == 0 {
		return nil
	}
	groups, err := sw.groups(keys[:1])
	if err != nil {
		return err
	}
	// The settings are placed by their values when every one is a finite
	// number, else in grid order: a value that is no number (a gradient
	// method), or text that reads as one that is not finite (a column named
	// "nan"), has no place on a numeric axis.
	var pts []report.SweepPoint
	numeric := true
	for _, g := range groups {
		label := g.Keys[0].Text
		x, err := strconv.ParseFloat(label, 64)
		numeric = numeric && err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
		acc, ce := g.Metrics[3], g.Metrics[1]
		pts = append(pts, report.SweepPoint{X: x, Label: label, N: acc.N, AccMean: acc.F, AccStd: acc.Std, CEMean: ce.F, CEStd: ce.Std})
	}
	if !numeric {
		for i := range pts {
			pts[i].X = float64(i)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return report.Sweep(path, keys[0], pts, report.Size{})
}

// SweepFailure is the error of a sweep: every trial of this process that
// did not run, every failed trial of the collected sweep sw (nil if it
// could not be collected, for the reason cause), one line per distinct
// problem, and a count naming the config path; nil when there is nothing
// to report.
func SweepFailure(path string, notRun []pipeline.TrialProblem, sw *Sweep, total int, cause error) error {
	var failed []pipeline.TrialProblem
	if sw != nil {
		failed = sw.FailedProblems()
	}
	if len(notRun) == 0 && cause != nil {
		return cause
	}
	last := fmt.Sprintf("%s: %s", path, pipeline.ProblemCounts(len(notRun), len(failed), total))
	if cause != nil {
		last = cause.Error()
	}
	return pipeline.ReportProblems(notRun, failed, last, cause)
}

// WriteText writes what `sweep` prints of the collected sweep: its table
// (when a trial finished), the counts of trials by outcome, the sweep
// directory and the trials not finished.
func (sw *Sweep) WriteText(w io.Writer) error {
	if len(sw.Rows) > 0 {
		t, err := sw.Table()
		if err != nil {
			return err
		}
		if err := t.Write(w, report.Text); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "%s: %d ok, %d failed, %d not finished", report.Plural(len(sw.Rows)+sw.Pending, "trial", "trials"),
		len(sw.Rows)-sw.Failed, sw.Failed, sw.Pending)
	fmt.Fprintf(w, "; * marks the best mean test accuracy\nsweep directory: %s\n", sw.Dir)
	if line := sw.PendingLine(); line != "" {
		fmt.Fprintln(w, line)
	}
	return nil
}
