package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/spf13/cobra"
)

// defaultMaxTrials bounds a sweep grid unless --max-trials says otherwise.
const defaultMaxTrials = 100_000

type sweepFlags struct {
	commonFlags
	shard     string
	collect   bool
	maxTrials uint64
}

func newSweepCmd(e *env) *cobra.Command {
	var f sweepFlags
	c := &cobra.Command{
		Use:   "sweep CONFIG",
		Short: "Run every trial of the config's sweep grid, in parallel, and tabulate them",
		Long: "Expand the sweep: grid of CONFIG (and any --set sweep.KEY=v1,v2) into trials, run them on\n" +
			"--jobs workers, and write results/<name>/sweep-<id>/ with one run directory per trial,\n" +
			"summary.parquet and summary.md. Finished trials are cache hits on a rerun.\n\n" +
			"On a cluster, start one process per shard with --shard i/n (or --shard auto inside a\n" +
			"Kubernetes Indexed Job or a Slurm job array) on a shared --cache, then assemble the\n" +
			"tables with --collect.",
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cacheDir, err := f.prepare(c)
			if err != nil {
				return err
			}
			return runSweep(c.Context(), e, &f, args[0], cacheDir)
		},
	}
	f.register(c)
	c.Flags().StringVar(&f.shard, "shard", "", "run only shard `i/n` of the trials (sorted by id), or auto / auto/n on Kubernetes or Slurm")
	c.Flags().BoolVar(&f.collect, "collect", false, "run nothing: assemble the sweep's tables from the trials finished so far")
	c.Flags().Uint64Var(&f.maxTrials, "max-trials", defaultMaxTrials, "refuse a grid of more than `N` trials")
	return c
}

// trialOutcome is what happened to one trial in this process.
type trialOutcome struct {
	trial   *pipeline.Trial
	results []*pipeline.StageResult
	err     error
	cached  bool
}

func runSweep(ctx context.Context, e *env, f *sweepFlags, path, cacheDir string) error {
	overrides, err := parseOverrides(f.sets)
	if err != nil {
		return err
	}
	file, err := config.Load(path, overrides)
	if err != nil {
		return err
	}
	if size, ok := pipeline.GridSize(file.Sweep); !ok || size > f.maxTrials {
		if !ok {
			return usagef("%s: the sweep grid has more than 2^64 trials; --max-trials is %d", path, f.maxTrials)
		}
		return usagef("%s: the sweep grid has %d trials, more than --max-trials %d", path, size, f.maxTrials)
	}
	trials, err := pipeline.Expand(ctx, file, e.registry)
	if err != nil {
		return err
	}
	selected := trials
	if f.shard != "" {
		i, n, err := pipeline.ParseShard(f.shard, os.Getenv)
		if err != nil {
			return usagef("%v", err)
		}
		selected = pipeline.Shard(trials, i, n)
	}
	eng := newEngine(e, &f.commonFlags, cacheDir)
	defer eng.Close() // after the sweep directory is written: gc keeps its entries until then
	eng.RecordFailures = true
	eng.Progress = nil // one sweep bar instead of a bar per trial
	var outcomes []trialOutcome
	if !f.collect {
		outcomes = runTrials(ctx, e, f, eng, selected)
		if err := ctx.Err(); err != nil {
			done := 0
			for _, o := range outcomes {
				if o.trial != nil && o.err == nil {
					done++
				}
			}
			return &interruptedError{err: err, finished: fmt.Sprintf("%d of %s finished and are cached; run the same command again to go on", done, plural(len(selected), "trial", "trials"))}
		}
		if f.shard != "" {
			return reportShard(e, f, outcomes)
		}
	}
	rec, err := collectSweep(ctx, e, f, eng, file, trials)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Report what this process did: a trial it ran has its own stage
	// results (cached or computed); the others come from the cache.
	ran := map[string][]*pipeline.StageResult{}
	for _, o := range outcomes {
		if o.trial != nil && o.err == nil {
			ran[o.trial.ID] = o.results
		}
	}
	for i, t := range rec.trials {
		if r, ok := ran[t.ID]; ok {
			rec.results[i] = r
		}
	}
	if f.json {
		if err := printSweepJSON(e, rec); err != nil {
			return err
		}
	} else if err := printSweepSummary(e, rec); err != nil {
		return err
	}
	if rec.failed > 0 {
		return fmt.Errorf("%s: %s of %d failed", path, plural(rec.failed, "trial", "trials"), len(rec.rows))
	}
	return nil
}

// runTrials runs trials on f.jobs workers. Each trial's numerical gradient
// gets the CPUs left over, so the machine is used but not oversubscribed;
// results do not depend on either number.
func runTrials(ctx context.Context, e *env, f *sweepFlags, eng *pipeline.Engine, trials []*pipeline.Trial) []trialOutcome {
	jobs := min(f.jobs, max(1, len(trials)))
	eng.Workers = max(1, f.jobs/jobs)
	prog := newSweepProgress(e.stderr, f.quiet || f.json, len(trials))
	defer prog.finish()
	outcomes := make([]trialOutcome, len(trials))
	forEach(len(trials), jobs, func(i int) {
		if ctx.Err() != nil {
			return // interrupted: leave the rest
		}
		prog.started()
		t := trials[i]
		results, err := eng.Run(ctx, t.Plan)
		o := trialOutcome{trial: t, results: results, err: err, cached: err == nil}
		for _, r := range results {
			o.cached = o.cached && r.Cached
		}
		outcomes[i] = o
		prog.finished(o)
	})
	return outcomes
}

// forEach calls fn(i) for i in [0, n) on up to jobs goroutines.
func forEach(n, jobs int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func reportShard(e *env, f *sweepFlags, outcomes []trialOutcome) error {
	failed, cached := 0, 0
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			failed++
			fmt.Fprintf(e.stderr, "nnpipe: trial %s (%s): %v\n", o.trial.ID, o.trial.Label(), o.err)
		case o.cached:
			cached++
		}
	}
	if !f.quiet {
		fmt.Fprintf(e.stdout, "shard %s: %s, %d cached, %d failed; assemble with: nnpipe sweep --collect\n", f.shard, plural(len(outcomes), "trial", "trials"), cached, failed)
	}
	if failed > 0 {
		return fmt.Errorf("shard %s: %s failed", f.shard, plural(failed, "trial", "trials"))
	}
	return nil
}

// sweepRecord is an assembled sweep.
type sweepRecord struct {
	ID      string
	Dir     string
	Axes    []*config.Axis
	rows    []*summaryRow
	trials  []*pipeline.Trial // same order as rows
	runDirs []string
	results [][]*pipeline.StageResult
	pending int
	failed  int
}

// sweepManifest is sweep.json.
type sweepManifest struct {
	Format  int                `json:"format"`
	Nnpipe  string             `json:"nnpipe"`
	SweepID string             `json:"sweep_id"`
	Name    string             `json:"name"`
	Created string             `json:"created"`
	Axes    []sweepAxis        `json:"axes"`
	Trials  []sweepTrialRecord `json:"trials"`
	Pending int                `json:"pending"`
}

type sweepAxis struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

type sweepTrialRecord struct {
	TrialID string            `json:"trial_id"`
	Values  map[string]string `json:"values"`
	Status  string            `json:"status"`
	Error   string            `json:"error,omitempty"`
}

// collectSweep assembles the sweep directory from what the cache holds for
// each trial: finished trials get a run directory, failed ones a record,
// pending ones are counted. It runs nothing.
func collectSweep(ctx context.Context, e *env, f *sweepFlags, eng *pipeline.Engine, file *config.File, trials []*pipeline.Trial) (*sweepRecord, error) {
	rec := &sweepRecord{ID: pipeline.SweepID(file.Sweep, trials), Axes: file.Sweep}
	final := f.out
	if final == "" {
		final = filepath.Join(f.results, file.Name, "sweep-"+rec.ID)
	}
	var rd *pipeline.RunDir
	var err error
	if f.out != "" {
		rd, err = pipeline.NewRunDir(final)
	} else {
		rd, err = pipeline.NewReplacingRunDir(final)
	}
	if err != nil {
		return nil, err
	}
	if err := rd.Finish(fillSweep(ctx, rd, rec, eng, file, trials, f.jobs)); err != nil {
		return nil, err
	}
	rec.Dir = final
	for i := range rec.runDirs {
		if rec.runDirs[i] != "" {
			rec.runDirs[i] = filepath.Join(final, rec.runDirs[i])
		}
	}
	return rec, nil
}

func fillSweep(ctx context.Context, rd *pipeline.RunDir, rec *sweepRecord, eng *pipeline.Engine, file *config.File, trials []*pipeline.Trial, jobs int) error {
	m := sweepManifest{Format: 1, Nnpipe: Version, SweepID: rec.ID, Name: file.Name, Created: time.Now().UTC().Format(time.RFC3339)}
	for _, a := range file.Sweep {
		ax := sweepAxis{Key: a.Key}
		for _, v := range a.Values {
			ax.Values = append(ax.Values, v.Value)
		}
		m.Axes = append(m.Axes, ax)
	}
	// Probe and write every trial's directory on the workers, then
	// gather the outcomes in trial order.
	type collected struct {
		t       *pipeline.Trial
		status  pipeline.ProbeStatus
		row     *summaryRow
		tr      sweepTrialRecord
		runDir  string
		results []*pipeline.StageResult
		err     error
	}
	out := make([]collected, len(trials))
	forEach(len(trials), jobs, func(i int) {
		if err := ctx.Err(); err != nil {
			out[i].err = err // interrupted: probe no further
			return
		}
		t := trials[i]
		c := collected{t: t, tr: sweepTrialRecord{TrialID: t.ID, Values: map[string]string{}}}
		defer func() { out[i] = c }()
		for _, v := range t.Values {
			c.tr.Values[v.Key] = v.Value
		}
		results, status, failure, err := eng.Probe(t.Plan)
		c.status, c.results = status, results
		if err != nil {
			c.err = fmt.Errorf("trial %s: %w", t.ID, err)
			return
		}
		switch status {
		case pipeline.ProbeFailed:
			c.row = newSummaryRow(t.Plan, results, nil)
			c.row.TrialID, c.row.Status, c.row.Error = t.ID, failure.Status, fmt.Sprintf("stage %q: %s", failure.Stage, failure.Error)
			c.tr.Status, c.tr.Error = c.row.Status, c.row.Error
			c.runDir = "trials/" + t.ID
			c.err = writeFailedTrial(rd.Path(c.runDir), t, c.row, keptFiles(eng, failure.Key, t.Plan, failure.Stage))
		case pipeline.ProbeDone:
			c.runDir = "trials/" + t.ID
			seconds := 0.0
			for _, r := range results {
				seconds += r.ComputeSeconds
			}
			run, err := writeRun(rd.Path(c.runDir), t.Plan, results, t.ID, statusOK, seconds, false)
			if err != nil {
				c.err = fmt.Errorf("trial %s: %w", t.ID, err)
				return
			}
			c.row = run.Summary
			c.tr.Status = statusOK
		}
	})
	for _, c := range out {
		if c.err != nil {
			return c.err
		}
		switch c.status {
		case pipeline.ProbePending:
			rec.pending++
			continue
		case pipeline.ProbeFailed:
			rec.failed++
		}
		rec.rows = append(rec.rows, c.row)
		rec.trials = append(rec.trials, c.t)
		rec.runDirs = append(rec.runDirs, c.runDir)
		rec.results = append(rec.results, c.results)
		m.Trials = append(m.Trials, c.tr)
	}
	m.Pending = rec.pending
	if len(rec.rows) > 0 {
		if err := writeSummaries(rd, rec.rows); err != nil {
			return err
		}
		md := strings.Builder{}
		if err := rec.groupTable().Write(&md, report.Markdown); err != nil {
			return err
		}
		if err := rd.WriteFile("summary.md", []byte(md.String())); err != nil {
			return err
		}
		if err := rec.plot(rd.Path("plots/sweep.png")); err != nil {
			return fmt.Errorf("plot the sweep: %w", err)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return rd.WriteFile("sweep.json", append(b, '\n'))
}

// writeFailedTrial leaves a failed trial's config and manifest, and what
// its failing stage kept (a diverged training's history), so the failure
// can be read and reproduced.
func writeFailedTrial(dir string, t *pipeline.Trial, row *summaryRow, kept []keptFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fillFailedRun(dir, t.Plan, t.ID, row, kept)
}

// isSeedKey reports whether a swept key is a seed, over which results are
// averaged rather than grouped.
func isSeedKey(key string) bool { return key == "seed" || strings.HasSuffix(key, ".seed") }

// sweepGroup is the trials sharing the values of the non-seed axes.
type sweepGroup struct {
	values []string
	rows   []*summaryRow
}

func (rec *sweepRecord) groups() ([]string, []*sweepGroup) {
	var keys []string
	for _, a := range rec.Axes {
		if !isSeedKey(a.Key) {
			keys = append(keys, a.Key)
		}
	}
	index := map[string]*sweepGroup{}
	var out []*sweepGroup
	for i, row := range rec.rows {
		vals := make([]string, len(keys))
		for k, key := range keys {
			for _, v := range rec.trials[i].Values {
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
func (g *sweepGroup) meanStd(metric func(*summaryRow) float64) (float64, float64, int) {
	var xs []float64
	for _, r := range g.rows {
		if r.Status == statusOK {
			xs = append(xs, metric(r))
		}
	}
	return meanStd(xs)
}

// groupTable is the sweep's table: per setting of the non-seed axes, the
// mean ± std over seeds of each metric; the best setting (highest mean test
// accuracy, then lowest test cross-entropy) is marked with *.
func (rec *sweepRecord) groupTable() report.Table {
	keys, groups := rec.groups()
	header := append(append([]string{}, keys...), "trials", "test acc", "test CE", "train acc", "train CE")
	best, bestAcc, bestCE := -1, math.Inf(-1), math.Inf(1)
	for i, g := range groups {
		acc, _, n := g.meanStd(func(r *summaryRow) float64 { return r.TestAcc })
		ce, _, _ := g.meanStd(func(r *summaryRow) float64 { return r.TestCE })
		if n > 0 && (acc > bestAcc || (acc == bestAcc && ce < bestCE)) {
			best, bestAcc, bestCE = i, acc, ce
		}
	}
	t := report.Table{Header: header}
	for i, g := range groups {
		row := append([]string{}, g.values...)
		ok, total := 0, len(g.rows)
		for _, r := range g.rows {
			if r.Status == statusOK {
				ok++
			}
		}
		count := strconv.Itoa(total)
		if ok < total {
			count = fmt.Sprintf("%d (%d failed)", total, total-ok)
		}
		row = append(row, count)
		for _, metric := range []func(*summaryRow) float64{
			func(r *summaryRow) float64 { return r.TestAcc }, func(r *summaryRow) float64 { return r.TestCE },
			func(r *summaryRow) float64 { return r.TrainAcc }, func(r *summaryRow) float64 { return r.TrainCE },
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

func printSweepSummary(e *env, rec *sweepRecord) error {
	if len(rec.rows) > 0 {
		if err := rec.groupTable().Write(e.stdout, report.Text); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d ok, %d failed, %d not finished", plural(len(rec.rows)+rec.pending, "trial", "trials"),
		len(rec.rows)-rec.failed, rec.failed, rec.pending)
	fmt.Fprintf(e.stdout, "; * marks the best mean test accuracy\nsweep directory: %s\n", rec.Dir)
	return nil
}

type sweepJSON struct {
	SweepDir string           `json:"sweep_dir"`
	SweepID  string           `json:"sweep_id"`
	Pending  int              `json:"pending"`
	Trials   []sweepTrialJSON `json:"trials"`
}

type sweepTrialJSON struct {
	sweepTrialRecord
	RunDir  string          `json:"run_dir"`
	Metrics json.RawMessage `json:"metrics"`
	Stages  []stageJSON     `json:"stages"`
}

func printSweepJSON(e *env, rec *sweepRecord) error {
	out := sweepJSON{SweepDir: rec.Dir, SweepID: rec.ID, Pending: rec.pending, Trials: []sweepTrialJSON{}}
	for i, row := range rec.rows {
		t := sweepTrialJSON{sweepTrialRecord: sweepTrialRecord{TrialID: row.TrialID, Values: map[string]string{}, Status: row.Status, Error: row.Error},
			RunDir: rec.runDirs[i], Stages: stagesJSON(rec.results[i]), Metrics: json.RawMessage("null")}
		for _, v := range rec.trials[i].Values {
			t.Values[v.Key] = v.Value
		}
		if row.Status == statusOK {
			if b, err := os.ReadFile(filepath.Join(rec.runDirs[i], "metrics.json")); err == nil {
				t.Metrics = b
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		out.Trials = append(out.Trials, t)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// plot draws plots/sweep.png: test accuracy and test cross-entropy against
// the first swept parameter that is not a seed, mean ± std over the rest
// (seeds, and any other axis). A sweep of seeds alone has nothing to plot
// against and draws nothing.
func (rec *sweepRecord) plot(path string) error {
	key := ""
	for _, a := range rec.Axes {
		if !isSeedKey(a.Key) {
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
	for i, row := range rec.rows {
		v := ""
		for _, tv := range rec.trials[i].Values {
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
		if row.Status == statusOK {
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
