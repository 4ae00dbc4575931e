package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
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
			if err := f.checkModes(c); err != nil {
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
	var shardI, shardN int
	if f.shard != "" {
		var err error
		if shardI, shardN, err = pipeline.ParseShard(f.shard, os.Getenv); err != nil {
			return usagef("%v", err)
		}
	}
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
	if err := checkCacheDir(cacheDir); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	eng := newEngine(e, &f.commonFlags, cacheDir)
	defer eng.Close() // after the sweep directory is written: gc keeps its entries until then
	eng.RecordFailures = true
	eng.Progress = nil // one sweep bar instead of a bar per trial
	if f.shard != "" {
		selected := pipeline.Shard(trials, shardI, shardN)
		outcomes := runTrials(ctx, e, f, eng, selected)
		if err := ctx.Err(); err != nil {
			return interruptedSweep(err, outcomes, len(selected))
		}
		return reportShard(e, f, eng, outcomes)
	}
	// The sweep directory is started before any trial runs, so that
	// results that cannot be written fail at once.
	rec := &sweepRecord{ID: pipeline.SweepID(file.Sweep, trials), Axes: file.Sweep}
	rd, err := startSweepDir(f, file.Name, rec.ID)
	if err != nil {
		return resultsError(path, f.out, err)
	}
	defer rd.Abort() // removes nothing once committed
	var outcomes []trialOutcome
	if !f.collect {
		outcomes = runTrials(ctx, e, f, eng, trials)
		if err := ctx.Err(); err != nil {
			return interruptedSweep(err, outcomes, len(trials))
		}
	}
	if err := rd.Finish(fillSweep(ctx, rd, rec, eng, file, trials, f.jobs)); err != nil {
		return sweepFailure(path, unaccounted(outcomes, nil), nil, len(trials), fmt.Errorf("%s: %w", path, err))
	}
	rec.Dir = rd.Final()
	for i := range rec.runDirs {
		if rec.runDirs[i] != "" {
			rec.runDirs[i] = filepath.Join(rec.Dir, rec.runDirs[i])
		}
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
	return sweepFailure(path, unaccounted(outcomes, rec), rec, len(trials), nil)
}

// checkModes refuses flags that the chosen mode would ignore: a shard
// writes only the cache, and --collect assembles every trial.
func (f *sweepFlags) checkModes(c *cobra.Command) error {
	switch {
	case f.shard == "" && c.Flags().Changed("shard"):
		return usagef("--shard: must not be empty; want i/n, auto or auto/n")
	case f.shard != "" && f.collect:
		return usagef("--collect assembles every trial and runs none: it takes no --shard")
	case f.shard != "" && f.out != "":
		return usagef("--shard runs trials into the cache and writes no sweep directory: --out is for --collect")
	}
	return nil
}

// startSweepDir starts building the sweep directory: exactly --out, or
// <results>/<name>/sweep-<id>, which a complete new version replaces.
func startSweepDir(f *sweepFlags, name, id string) (*pipeline.RunDir, error) {
	if f.out != "" {
		return pipeline.NewRunDir(f.out)
	}
	return pipeline.NewReplacingRunDir(filepath.Join(f.results, name, "sweep-"+id))
}

// checkCacheDir refuses a cache path on which no cache can be: a sweep
// would otherwise find every trial missing and `--collect` report them all
// as not finished. A cache that does not exist yet is fine.
func checkCacheDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cache: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("cache %s: not a directory", dir)
	}
	return nil
}

func interruptedSweep(err error, outcomes []trialOutcome, total int) error {
	done := 0
	for _, o := range outcomes {
		if o.trial != nil && o.err == nil {
			done++
		}
	}
	return &interruptedError{err: err, finished: fmt.Sprintf("%d of %s finished and are cached; run the same command again to go on", done, plural(total, "trial", "trials"))}
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

func reportShard(e *env, f *sweepFlags, eng *pipeline.Engine, outcomes []trialOutcome) error {
	var notRun, failed []trialProblem
	cached := 0
	out := shardJSON{Shard: f.shard, Trials: []shardTrialJSON{}}
	for _, o := range outcomes {
		t := shardTrialJSON{sweepTrialRecord: sweepTrialRecord{TrialID: o.trial.ID, Values: map[string]string{}, Status: statusOK},
			Cached: o.cached, Stages: stagesJSON(o.results)}
		for _, v := range o.trial.Values {
			t.Values[v.Key] = v.Value
		}
		switch {
		case o.err == nil:
			if o.cached {
				cached++
			}
		case recordedFailure(eng, o):
			failed = append(failed, problemOf(o.trial, pipeline.StatusOf(o.err), o.err))
			t.Status, t.Error = pipeline.StatusOf(o.err), o.err.Error()
		default:
			notRun = append(notRun, problemOf(o.trial, "did not run", o.err))
			t.Status, t.Error = statusNotRun, o.err.Error()
		}
		out.Trials = append(out.Trials, t)
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if !f.quiet {
		fmt.Fprintf(e.stdout, "shard %s: %s, %d cached, %d failed, %d did not run; assemble with: nnpipe sweep --collect\n",
			f.shard, plural(len(outcomes), "trial", "trials"), cached, len(failed), len(notRun))
	}
	if len(notRun)+len(failed) == 0 {
		return nil
	}
	lines := problemLines(append(notRun, failed...))
	lines = append(lines, fmt.Sprintf("shard %s: %s", f.shard, problemCounts(len(notRun), len(failed), len(outcomes))))
	return joinLines(lines, notRun, nil)
}

// statusNotRun is the status, in `sweep --shard --json`, of a trial that
// could not run; it stays pending for --collect.
const statusNotRun = "not_run"

// shardJSON is what `sweep --shard --json` prints: the trials this shard
// ran, with their outcome.
type shardJSON struct {
	Shard  string           `json:"shard"`
	Trials []shardTrialJSON `json:"trials"`
}

type shardTrialJSON struct {
	sweepTrialRecord
	Cached bool        `json:"cached"`
	Stages []stageJSON `json:"stages"`
}

// recordedFailure reports whether o's error is the failure the cache
// records for its trial: a trial that ran and failed, which `--collect`
// lists as such. Any other error left the trial not run.
func recordedFailure(eng *pipeline.Engine, o trialOutcome) bool {
	_, status, failure, err := eng.Probe(o.trial.Plan)
	return err == nil && status == pipeline.ProbeFailed && sameFailure(failure, o.err)
}

// sameFailure reports whether err, a trial's error as the engine returns
// it, is the failure f records.
func sameFailure(f *pipeline.Failure, err error) bool {
	return f != nil && err != nil && err.Error() == fmt.Sprintf("stage %q: %s", f.Stage, f.Error)
}

// unaccounted returns the trials this process ran that the assembled
// sweep rec does not account for, as finished or as a recorded failure:
// those that could not run (the cache or the disk failed them), whose
// failure could not be recorded, or whose results vanished. With rec nil
// (the sweep could not be assembled), every trial that returned an error.
func unaccounted(outcomes []trialOutcome, rec *sweepRecord) []trialProblem {
	var out []trialProblem
	for _, o := range outcomes {
		if o.trial == nil {
			continue // not started: interrupted
		}
		if rec == nil {
			if o.err != nil {
				out = append(out, problemOf(o.trial, "did not run", o.err))
			}
			continue
		}
		p := rec.probed[o.trial.ID]
		switch {
		case p.status == pipeline.ProbeDone:
		case p.status == pipeline.ProbeFailed && sameFailure(p.failure, o.err):
		case o.err != nil:
			out = append(out, problemOf(o.trial, "did not run", o.err))
		default:
			out = append(out, problemOf(o.trial, "did not run", errors.New("it finished, but its results are no longer in the cache")))
		}
	}
	return out
}

// trialProblem is one trial's error, for the report.
type trialProblem struct {
	id, label string
	what      string // "did not run", "failed", "diverged"
	msg       string
	group     string // problems with the same group are reported as one
	invalid   bool
}

func problemOf(t *pipeline.Trial, what string, err error) trialProblem {
	return trialProblem{id: t.ID, label: t.Label(), what: what, msg: err.Error(), group: what + "\x00" + problemKey(err), invalid: pipeline.IsInvalid(err)}
}

// maxProblemLines bounds the lines of a report of trial problems; the
// rest are counted.
const maxProblemLines = 10

// keyLike matches cache keys and their 12-digit short forms.
var keyLike = regexp.MustCompile(`\b[0-9a-f]{12,64}\b`)

// problemKey is err's message less what differs between trials that hit
// the same problem: the paths of file-system errors and cache keys.
func problemKey(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Error(), pe.Op+": "+pe.Err.Error(), 1)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		msg = strings.Replace(msg, le.Error(), le.Op+": "+le.Err.Error(), 1)
	}
	return keyLike.ReplaceAllString(msg, "…")
}

// problemLines reports problems one line per distinct problem, naming
// the first trial that had it and how many others did, at most
// maxProblemLines lines.
func problemLines(problems []trialProblem) []string {
	type group struct {
		first trialProblem
		n     int
	}
	groups := map[string]*group{}
	var order []string
	for _, p := range problems {
		g, ok := groups[p.group]
		if !ok {
			g = &group{first: p}
			groups[p.group] = g
			order = append(order, p.group)
		}
		g.n++
	}
	var lines []string
	for i, k := range order {
		if i == maxProblemLines {
			rest := 0
			for _, k := range order[i:] {
				rest += groups[k].n
			}
			lines = append(lines, fmt.Sprintf("and %d more problems of %s", len(order)-i, plural(rest, "trial", "trials")))
			break
		}
		g := groups[k]
		who := fmt.Sprintf("trial %s (%s)", g.first.id, g.first.label)
		if g.n > 1 {
			who += fmt.Sprintf(" and %s", plural(g.n-1, "other trial", "other trials"))
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", who, g.first.what, oneLine(g.first.msg)))
	}
	return lines
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// problemCounts says how many of total trials did not run and failed.
func problemCounts(notRun, failed, total int) string {
	var parts []string
	if notRun > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s did not run", notRun, plural(total, "trial", "trials")))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%s of %d failed", plural(failed, "trial", "trials"), total))
	}
	return strings.Join(parts, "; ")
}

// joinLines is the error of a sweep or shard with problems: one line
// each. It is invalid input (exit 2) when every trial that did not run was
// refused for the user's input and nothing else went wrong; otherwise
// exit 1.
func joinLines(lines []string, notRun []trialProblem, cause error) error {
	err := errors.New(strings.Join(lines, "\n"))
	invalid := len(notRun) > 0 && (cause == nil || pipeline.IsInvalid(cause))
	for _, p := range notRun {
		invalid = invalid && p.invalid
	}
	if invalid {
		return pipeline.Invalid(err)
	}
	return err
}

// sweepFailure is the error of a sweep: every trial of this process that
// did not run, every failed trial of the assembled sweep rec (nil if it
// could not be assembled, for the reason cause), one line per distinct
// problem, and a count; nil when there is nothing to report.
func sweepFailure(path string, notRun []trialProblem, rec *sweepRecord, total int, cause error) error {
	var failed []trialProblem
	if rec != nil {
		for i, row := range rec.rows {
			if row.Status != statusOK {
				t := rec.trials[i]
				failed = append(failed, trialProblem{id: t.ID, label: t.Label(), what: row.Status, msg: row.Error,
					group: row.Status + "\x00" + keyLike.ReplaceAllString(row.Error, "…")})
			}
		}
	}
	if len(notRun) == 0 && cause != nil {
		return cause
	}
	if len(notRun)+len(failed) == 0 {
		return nil
	}
	lines := problemLines(append(notRun, failed...))
	if cause != nil {
		lines = append(lines, cause.Error())
	} else {
		lines = append(lines, fmt.Sprintf("%s: %s", path, problemCounts(len(notRun), len(failed), total)))
	}
	return joinLines(lines, notRun, cause)
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
	probed  map[string]probed // by trial id
}

// probed is what the cache holds of a trial.
type probed struct {
	status  pipeline.ProbeStatus
	failure *pipeline.Failure
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

// fillSweep assembles the sweep directory from what the cache holds for
// each trial: finished trials get a run directory, failed ones a record,
// pending ones are counted. It runs nothing.
func fillSweep(ctx context.Context, rd *pipeline.RunDir, rec *sweepRecord, eng *pipeline.Engine, file *config.File, trials []*pipeline.Trial, jobs int) error {
	m := sweepManifest{Format: 1, Nnpipe: Version, SweepID: rec.ID, Name: file.Name, Created: time.Now().UTC().Format(time.RFC3339),
		Axes: []sweepAxis{}, Trials: []sweepTrialRecord{}}
	rec.probed = map[string]probed{}
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
		failure *pipeline.Failure
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
		c.status, c.failure, c.results = status, failure, results
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
		rec.probed[c.t.ID] = probed{status: c.status, failure: c.failure}
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

// isRepetitionKey reports whether a swept key repeats one setting rather
// than changing it — a seed (`seed`, `train.init.seed`) or a cross-validation
// fold (`split.fold`) — so that results are averaged over it (mean ± std)
// rather than grouped by it.
func isRepetitionKey(key string) bool {
	return key == "seed" || strings.HasSuffix(key, ".seed") || strings.HasSuffix(key, ".fold")
}

// sweepGroup is the trials sharing the values of the axes that are not
// repetitions.
type sweepGroup struct {
	values []string
	rows   []*summaryRow
}

func (rec *sweepRecord) groups() ([]string, []*sweepGroup) {
	var keys []string
	for _, a := range rec.Axes {
		if !isRepetitionKey(a.Key) {
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

// groupTable is the sweep's table: per setting of the axes that are not
// repetitions, the mean ± std over seeds and folds of each metric; the best setting (highest mean test
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
// the first swept parameter that is not a repetition, mean ± std over the
// rest (seeds, folds, and any other axis). A sweep of repetitions alone has
// nothing to plot against and draws nothing.
func (rec *sweepRecord) plot(path string) error {
	key := ""
	for _, a := range rec.Axes {
		if !isRepetitionKey(a.Key) {
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
