package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/spf13/cobra"
)

func newRunCmd(e *env) *cobra.Command {
	var f commonFlags
	c := &cobra.Command{
		Use:   "run CONFIG",
		Short: "Run the chain of stages once and print the summary",
		Long: "Run the chain of stages of CONFIG once, reusing every cached stage output,\n" +
			"write the run directory under <results>/<name>/<run-id>/ and print its summary.",
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cacheDir, err := f.prepare(c)
			if err != nil {
				return err
			}
			return runOnce(c, e, &f, args[0], cacheDir)
		},
	}
	f.register(c)
	return c
}

func runOnce(c *cobra.Command, e *env, f *commonFlags, path, cacheDir string) error {
	_, plan, err := loadPlan(path, f.sets, e.registry)
	if err != nil {
		return err
	}
	ctx := c.Context()
	start := time.Now()
	base := newRunID(start, plan.Hash)
	final := f.out
	if final == "" {
		final = filepath.Join(f.results, plan.Name, base)
	}
	if err := pipeline.CheckWritable(filepath.Dir(final)); err != nil {
		return fmt.Errorf("%s: results: %w", path, err)
	}
	// The run directory is started before any work, so that results that
	// cannot be written fail at once; every way out that does not commit
	// it removes it, and the folders made for it.
	attempt := 1
	rd, err := pipeline.NewRunDir(final)
	for f.out == "" && errors.Is(err, pipeline.ErrTaken) && attempt < maxRunIDAttempts {
		attempt++ // a run of the same config in the same second
		rd, err = pipeline.NewRunDir(filepath.Join(filepath.Dir(final), runIDFor(base, attempt)))
	}
	if err != nil {
		return resultsError(path, f.out, err)
	}
	committed := false
	defer func() {
		if !committed {
			rd.Abort()
		}
	}()
	eng := newEngine(e, f, cacheDir)
	defer eng.Close() // after the run directory is written: gc keeps its entries until then
	results, err := eng.Run(ctx, plan)
	if err != nil {
		if ctx.Err() != nil {
			return &interruptedError{finished: finishedStages(results), err: err}
		}
		runErr := fmt.Errorf("%s: %w", path, err)
		var failed *pipeline.FailedStageError
		if !errors.As(err, &failed) {
			return runErr
		}
		werr := commitRun(rd, f.out != "", base, attempt, func(runID string) error {
			return fillDivergedRun(rd, plan, runID, time.Since(start).Seconds(), err, failed)
		})
		if werr != nil {
			return errors.Join(runErr, fmt.Errorf("%s: write the run directory: %w", path, werr))
		}
		committed = true
		if !f.quiet {
			fmt.Fprintf(e.stderr, "nnpipe: the run diverged; its history up to then is in %s\n", rd.Final())
		}
		return runErr
	}
	var run *runRecord
	err = commitRun(rd, f.out != "", base, attempt, func(runID string) error {
		var err error
		run, err = fillRun(rd, plan, results, runID, statusOK, time.Since(start).Seconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: write results: %w", path, err)
	}
	committed = true
	run.Dir = rd.Final()
	if f.json {
		return printRunJSON(e, run)
	}
	return printRunSummary(e, run)
}

// resultsError is the error of a run or sweep directory that cannot be
// started: exit 2 when --out was taken since the flags were checked.
func resultsError(path, out string, err error) error {
	if out != "" && (errors.Is(err, pipeline.ErrTaken) || errors.Is(err, pipeline.ErrNotDir)) {
		return outTaken(out, out, err)
	}
	return fmt.Errorf("%s: results: %w", path, err)
}

// commitRun fills rd, started for try first of the run id base (see
// runIDFor), and commits it. Runs of the same config started in the same
// second share a run id: unless the folder was given exactly (--out), the
// second to commit is rewritten under the next suffix, -2, -3, ….
func commitRun(rd *pipeline.RunDir, exact bool, base string, first int, fill func(runID string) error) error {
	for attempt := first; ; attempt++ {
		runID := runIDFor(base, attempt)
		if attempt > first {
			if err := rd.Reset(filepath.Join(filepath.Dir(rd.Final()), runID)); err != nil {
				return err
			}
		}
		err := fill(runID)
		if err == nil {
			err = rd.Commit()
		}
		if err == nil || exact || !errors.Is(err, pipeline.ErrTaken) || attempt >= maxRunIDAttempts {
			return err
		}
	}
}

// runIDFor is the run id of the attempt-th run of a config in one second.
func runIDFor(base string, attempt int) string {
	if attempt == 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, attempt)
}

func newEngine(e *env, f *commonFlags, cacheDir string) *pipeline.Engine {
	log := e.log
	if f.quiet {
		log = quietLogger(e.stderr)
	}
	return &pipeline.Engine{
		Cache:     cache.Open(cacheDir),
		NoCache:   f.noCache,
		Log:       log,
		Version:   Version,
		Workers:   f.jobs,
		DebugKeys: os.Getenv("NNPIPE_DEBUG_CACHE") != "",
		Progress:  progressFor(e.stderr, f.quiet || f.json),
	}
}

// newRunID is <UTC yyyymmddThhmmss>-<8 hex of the config hash>.
func newRunID(t time.Time, hash string) string {
	return t.UTC().Format("20060102T150405") + "-" + hash[:8]
}

// maxRunIDAttempts bounds the run-id suffixes tried.
const maxRunIDAttempts = 1000

// runJSON is what `run --json` prints (design §6).
type runJSON struct {
	RunDir  string          `json:"run_dir"`
	RunID   string          `json:"run_id"`
	Metrics json.RawMessage `json:"metrics"`
	Stages  []stageJSON     `json:"stages"`
}

type stageJSON struct {
	ID      string  `json:"id"`
	Kind    string  `json:"kind"`
	Key     string  `json:"key"`
	Cached  bool    `json:"cached"`
	Seconds float64 `json:"seconds"`
}

func printRunJSON(e *env, r *runRecord) error {
	out := runJSON{RunDir: r.Dir, RunID: r.ID, Metrics: r.MetricsJSON, Stages: stagesJSON(r.Results)}
	if out.Metrics == nil {
		out.Metrics = json.RawMessage("null")
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func stagesJSON(results []*pipeline.StageResult) []stageJSON {
	out := make([]stageJSON, len(results))
	for i, r := range results {
		out[i] = stageJSON{ID: r.ID, Kind: r.Kind, Key: r.Key, Cached: r.Cached, Seconds: r.Seconds}
	}
	return out
}

func printRunSummary(e *env, r *runRecord) error {
	if err := r.Summary.table().Write(e.stdout, "table"); err != nil {
		return err
	}
	cached := 0
	for _, s := range r.Results {
		if s.Cached {
			cached++
		}
	}
	fmt.Fprintf(e.stdout, "%s, %d cached\n", plural(len(r.Results), "stage", "stages"), cached)
	fmt.Fprintf(e.stdout, "run directory: %s\n", r.Dir)
	return nil
}

// finishedStages says which stages had finished (and so are cached) when a
// run stopped early.
func finishedStages(results []*pipeline.StageResult) string {
	if len(results) == 0 {
		return "no stage had finished; nothing was written"
	}
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.ID
	}
	return fmt.Sprintf("stages %s finished and are cached; nothing was written to the results", strings.Join(ids, ", "))
}

// fillDivergedRun fills the directory of a run whose training diverged:
// its config, a manifest and summary with status diverged and the error,
// and the history up to the divergence, so it can be looked at. The run
// still fails (exit 1).
func fillDivergedRun(rd *pipeline.RunDir, plan *pipeline.Chain, runID string, seconds float64, err error, failed *pipeline.FailedStageError) error {
	row := newSummaryRow(plan, nil, nil)
	row.TrialID, row.Status, row.Error, row.Seconds = runID, pipeline.StatusOf(err), err.Error(), seconds
	if err := fillFailedRun(rd.Path(""), plan, runID, row, keptFilesIn(failed.Dir, failed.Spec)); err != nil {
		return err
	}
	return writeSummaries(rd, []*summaryRow{row})
}
