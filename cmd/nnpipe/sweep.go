package main

import (
	"context"
	"fmt"
	"os"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
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
	f.maxTrials = defaultMaxTrials
	c.Flags().Var(decimalFlag[uint64]{&f.maxTrials}, "max-trials", "refuse a grid of more than `N` trials")
	return c
}

func runSweep(ctx context.Context, e *env, f *sweepFlags, path, cacheDir string) error {
	var shardI, shardN int
	if f.shard != "" {
		var err error
		if shardI, shardN, err = pipeline.ParseShard(f.shard, os.Getenv); err != nil {
			return usagef("%v", err)
		}
	}
	overrides, err := pipeline.ParseOverrides(f.sets)
	if err != nil {
		return err
	}
	file, err := config.Load(path, overrides)
	if err != nil {
		return err
	}
	if _, err := checkGrid(path, file, f.maxTrials); err != nil {
		return err
	}
	trials, err := pipeline.Expand(ctx, file, e.registry)
	if err != nil {
		return err
	}
	st, err := openCache(ctx, cacheDir, true)
	if err != nil {
		return fmt.Errorf("%s: %w", config.Shown(path), err)
	}
	eng := newEngine(e, &f.commonFlags, st)
	defer eng.Close() // after the sweep directory is written: gc keeps its entries until then
	eng.RecordFailures = true
	eng.Progress = nil // one sweep bar instead of a bar per trial
	if f.shard != "" {
		selected := pipeline.Shard(trials, shardI, shardN)
		outcomes := runTrials(ctx, e, f, eng, selected, nil)
		if err := ctx.Err(); err != nil {
			return interruptedSweep(err, outcomes, len(selected))
		}
		// The shard as resolved, so that a log of --shard auto says which.
		return reportShard(e, f, eng, fmt.Sprintf("%d/%d", shardI, shardN), pipeline.SweepID(file.Sweep, trials), outcomes)
	}
	return runSweepDir(ctx, e, f, path, eng, file, trials)
}

// runSweepDir runs the trials (none with --collect) and collects the
// sweep directory.
func runSweepDir(ctx context.Context, e *env, f *sweepFlags, path string, eng *pipeline.Engine, file *config.File, trials []*pipeline.Trial) error {
	// The sweep directory is started before any trial runs, so that
	// results that cannot be written fail at once.
	sw := &results.Sweep{ID: pipeline.SweepID(file.Sweep, trials), Name: file.Name, Axes: file.Sweep, Report: htmlreport.ForDir(Version)}
	rd, err := results.StartSweep(f.results, f.out, file.Name, sw.ID)
	if err != nil {
		return resultsError(path, f.out, err)
	}
	defer rd.Abort() // removes nothing once committed
	var outcomes []pipeline.TrialOutcome
	col := results.NewSweepCollector(rd, eng, sw, trials, Version)
	if !f.collect {
		// Each trial's directory is written as it finishes, beside the trials still running.
		outcomes = runTrials(ctx, e, f, eng, trials, col.Collect)
		if err := ctx.Err(); err != nil {
			return interruptedSweep(err, outcomes, len(trials))
		}
		// Every trial refused the same input: the sweep's input is bad, and,
		// as with a run, nothing is written (rd.Abort removes the directory).
		if err := pipeline.SharedRefusal(outcomes); err != nil {
			return fmt.Errorf("%s: %w", config.Shown(path), err)
		}
	}
	if err := rd.Finish(col.Finish(ctx, f.jobs)); err != nil {
		return results.SweepFailure(path, results.Unaccounted(outcomes, nil), nil, len(trials), fmt.Errorf("%s: %w", config.Shown(path), err))
	}
	sw.Dir = rd.Final()
	sw.Rebase()
	sw.Ran(outcomes) // report what this process did
	if f.json {
		out, err := sw.JSON()
		if err == nil {
			err = printJSON(e, out)
		}
		if err != nil {
			return err
		}
	} else if err := sw.WriteText(e.stdout); err != nil {
		return err
	}
	return results.SweepFailure(path, results.Unaccounted(outcomes, sw), sw, len(trials), nil)
}

// checkModes refuses flags that the chosen mode would ignore: a shard
// writes only the cache, and --collect assembles every trial and computes
// none.
func (f *sweepFlags) checkModes(c *cobra.Command) error {
	switch {
	case f.shard == "" && c.Flags().Changed("shard"):
		return usagef("--shard: must not be empty; want i/n, auto or auto/n")
	case f.shard != "" && f.collect:
		return usagef("--collect assembles every trial and runs none: it takes no --shard")
	case f.shard != "" && f.out != "":
		return usagef("--shard runs trials into the cache and writes no sweep directory: --out is for --collect")
	case f.collect && f.noCache:
		return usagef("--collect computes nothing: it takes no --no-cache")
	}
	return nil
}

func interruptedSweep(err error, outcomes []pipeline.TrialOutcome, total int) error {
	done := 0
	for _, o := range outcomes {
		if o.Trial != nil && o.Err == nil {
			done++
		}
	}
	return &interruptedError{err: err, finished: fmt.Sprintf("%d of %s finished and are cached; run the same command again to go on", done, report.Plural(total, "trial", "trials"))}
}

// runTrials runs trials on f.jobs workers, showing their progress, and
// hands each trial that finished to collect, unless nil or ctx is done.
func runTrials(ctx context.Context, e *env, f *sweepFlags, eng *pipeline.Engine, trials []*pipeline.Trial, collect func(*pipeline.Trial)) []pipeline.TrialOutcome {
	prog := newSweepProgress(e.stderr, f.quiet || f.json, len(trials))
	defer prog.finish()
	if collect == nil {
		return pipeline.RunTrials(ctx, eng, trials, f.jobs, prog)
	}
	return pipeline.RunTrials(ctx, eng, trials, f.jobs, collecting{prog, func(t *pipeline.Trial) {
		if ctx.Err() == nil {
			collect(t)
		}
	}})
}

// collecting hands each trial that finished to collect before the progress
// counts it.
type collecting struct {
	*sweepProgress
	collect func(*pipeline.Trial)
}

func (c collecting) Finished(o pipeline.TrialOutcome) {
	if o.Trial != nil {
		c.collect(o.Trial)
	}
	c.sweepProgress.Finished(o)
}

// reportShard prints what the shard (as resolved: "1/4", not "auto/4") of
// the sweep sweepID did, and returns the problems of its trials.
func reportShard(e *env, f *sweepFlags, eng *pipeline.Engine, shard, sweepID string, outcomes []pipeline.TrialOutcome) error {
	r := results.NewShardReport(eng, shard, sweepID, outcomes)
	if f.json {
		if err := printJSON(e, r.JSON); err != nil {
			return err
		}
	} else if !f.quiet {
		fmt.Fprintln(e.stdout, r.Line())
	}
	return r.Problems()
}
