package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/cache/s3store"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/pipeline/logline"
	"github.com/nnpipe/nnpipe/stages/htmlreport"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/nnpipe/nnpipe/stages/results"
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
	_, chain, err := pipeline.Load(path, f.sets, e.registry)
	if err != nil {
		return err
	}
	ctx := c.Context()
	st, err := openCache(ctx, cacheDir, true)
	if err != nil {
		return err
	}
	// The run directory is started before any work, so that results that
	// cannot be written fail at once; every way out that does not commit
	// it removes it, and the folders made for it.
	rec, err := results.StartRecord(f.results, f.out, chain, time.Now(), Version)
	if err != nil {
		st.Close()
		return resultsError(path, f.out, err)
	}
	defer rec.Abort()
	rec.Report = htmlreport.ForDir(Version)
	eng := newEngine(e, f, st)
	defer eng.Close() // after the run directory is written: gc keeps its entries until then
	stages, err := eng.Run(ctx, chain)
	if err != nil {
		if ctx.Err() != nil {
			return &interruptedError{finished: finishedStages(stages), err: err}
		}
		runErr := fmt.Errorf("%s: %w", config.Shown(path), err)
		var failed *pipeline.FailedStageError
		if !errors.As(err, &failed) {
			return runErr
		}
		run, werr := rec.CommitFailed(err, failed, stages)
		if werr != nil {
			return errors.Join(runErr, fmt.Errorf("%s: write the run directory: %w", config.Shown(path), werr))
		}
		if f.json {
			if jerr := printJSON(e, run.JSON()); jerr != nil {
				return errors.Join(runErr, jerr)
			}
		} else if !f.quiet {
			fmt.Fprintf(e.stderr, "nnpipe: the run %s; its history up to then is in %s\n", run.Summary.Status, config.Shown(run.Dir))
		}
		return runErr
	}
	run, err := rec.Commit(stages)
	if err != nil {
		return fmt.Errorf("%s: write results: %w", config.Shown(path), err)
	}
	if f.json {
		return printJSON(e, run.JSON())
	}
	return printRunSummary(e, run)
}

// resultsError is the error of a run or sweep directory that cannot be
// started: exit 2 when --out was taken since the flags were checked.
func resultsError(path, out string, err error) error {
	if out != "" && (errors.Is(err, pipeline.ErrTaken) || errors.Is(err, pipeline.ErrNotDir)) {
		return results.OutTaken(config.Shown(out), out, err)
	}
	return fmt.Errorf("%s: results: %w", config.Shown(path), err)
}

// openCache opens the cache at loc (see s3store.OpenCache), checking with
// layout that a run may use the cache folder or prefix (CheckUse); a
// problem with what the user gave is invalid input.
func openCache(ctx context.Context, loc string, layout bool) (cache.Store, error) {
	st, err := s3store.OpenCache(ctx, loc, os.Getenv)
	if ue := (*s3store.UserError)(nil); errors.As(err, &ue) {
		return nil, usagef("%v", err)
	}
	var nc *cache.NotCacheError
	if err == nil && layout {
		if err = st.CheckUse(); errors.As(err, &nc) {
			err = usagef("%v (see --cache, --results and $NNPIPE_CACHE)", err) // someone's folder or prefix, or a file
		}
		if err != nil {
			st.Close()
		}
	}
	return st, err
}

func newEngine(e *env, f *commonFlags, st cache.Store) *pipeline.Engine {
	log := e.log
	if f.quiet {
		log = logline.New(e.stderr, slog.LevelError) // errors only
	}
	return &pipeline.Engine{
		Cache:     st,
		NoCache:   f.noCache,
		Log:       log,
		Version:   Version,
		Workers:   f.jobs,
		DebugKeys: os.Getenv("NNPIPE_DEBUG_CACHE") != "",
		Progress:  progressFor(e.stderr, f.quiet || f.json),
	}
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printRunSummary(e *env, r *results.Run) error {
	if err := r.Summary.Table().Write(e.stdout, "table"); err != nil {
		return err
	}
	cached := 0
	for _, s := range r.Results {
		if s.Cached {
			cached++
		}
	}
	fmt.Fprintf(e.stdout, "%s, %d cached\n", report.Plural(len(r.Results), "stage", "stages"), cached)
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
