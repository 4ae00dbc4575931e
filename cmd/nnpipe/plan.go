package main

import (
	"context"
	"fmt"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/spf13/cobra"
)

// planFlags are `plan`'s flags: the subset of commonFlags that says which
// config and which cache, and sweep's --max-trials.
type planFlags struct {
	commonFlags
	maxTrials uint64
}

func newPlanCmd(e *env) *cobra.Command {
	var f planFlags
	c := &cobra.Command{
		Use:   "plan CONFIG",
		Short: "Show what run and sweep would do, running and writing nothing",
		Long: "Show, for each stage of CONFIG, its cache key and whether it is a cache hit or a miss; on a\n" +
			"miss, what differs from the nearest earlier cache entry of the same kind (train.hidden: 2 → 4,\n" +
			"input dataset changed, stage version 1 → 2). For a sweep, count the trials that are done,\n" +
			"failed and pending. For each train stage, give the parameter count P = M(D+1) + K(M+1), the\n" +
			"forward passes a numerical gradient step costs by its definition (2P over the N training\n" +
			"rows) and an estimate of the time per step and for all steps.\n\n" +
			"The estimate is calibrated on this machine: a few gradients of the same method are timed\n" +
			"on a small random problem with the same inputs D and classes K, and the time is scaled by\n" +
			"N·P (by N·P² for numerical: full, whose 2P passes each cost N·P). It is for one core and\n" +
			"leaves out the per-step test error and history.",
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if f.results == "" {
				return usagef("--results: must not be empty")
			}
			cacheDir, err := f.cacheDir(c)
			if err != nil {
				return err
			}
			return runPlan(c.Context(), e, &f, args[0], cacheDir)
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&f.sets, "set", nil, "override a config value: KEY=VALUE (train.hidden=4, seed=3, sweep.train.hidden=1,2,4); repeatable")
	fl.StringVar(&f.results, "results", "results", "the results `DIR`, whose .cache is the default cache")
	fl.StringVar(&f.cache, "cache", "", cacheUsage)
	fl.BoolVar(&f.json, "json", false, "print the plan as JSON on stdout")
	f.maxTrials = defaultMaxTrials
	fl.Var(decimalFlag[uint64]{&f.maxTrials}, "max-trials", "refuse a sweep grid of more than `N` trials")
	return c
}

func runPlan(ctx context.Context, e *env, f *planFlags, path, cacheDir string) error {
	file, chain, err := pipeline.LoadGrid(path, f.sets, e.registry)
	if err != nil {
		return err
	}
	if len(file.Sweep) > 0 {
		if _, err := checkGrid(path, file, f.maxTrials); err != nil {
			return err
		}
	}
	st, err := openCache(ctx, cacheDir, true)
	if err != nil {
		return fmt.Errorf("%s: %w", config.Shown(path), err)
	}
	eng := newEngine(e, &f.commonFlags, st)
	defer eng.Close()
	eng.Progress = nil
	eng.ReadOnly = true // plan writes nothing, not even a lease
	rep, err := pipeline.Plan(ctx, eng, file, chain, e.registry)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(e, rep)
	}
	return rep.WriteText(e.stdout)
}
