package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/report"
	"github.com/spf13/cobra"
)

func newValidateCmd(e *env) *cobra.Command {
	var sets []string
	var maxTrials uint64
	c := &cobra.Command{
		Use:   "validate CONFIG...",
		Short: "Check configs, and every trial of their sweeps, without running anything; list every problem",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var all config.Errors
			for _, path := range args {
				trials, baseOnly, err := validateOne(c.Context(), e, path, sets, maxTrials)
				var errs config.Errors
				switch {
				case err == nil && baseOnly:
					fmt.Fprintf(e.stdout, "%s: ok (%s; the config alone, without its sweep, is incomplete: run would refuse it)\n", path, report.Plural(trials, "sweep trial", "sweep trials"))
				case err == nil && trials > 0:
					fmt.Fprintf(e.stdout, "%s: ok (%s)\n", path, report.Plural(trials, "sweep trial", "sweep trials"))
				case err == nil:
					fmt.Fprintf(e.stdout, "%s: ok\n", path)
				case errors.As(err, &errs):
					all = append(all, errs...)
				default:
					return err
				}
			}
			return all.Err()
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override a config value: KEY=VALUE; repeatable")
	maxTrials = defaultMaxTrials
	c.Flags().Var(decimalFlag[uint64]{&maxTrials}, "max-trials", "refuse a sweep grid of more than `N` trials")
	return c
}

// validateOne checks a config and, when it has a sweep grid, the grid's
// size and every trial, as `sweep` would before running. It returns the
// number of trials, and whether the config alone, without its sweep, does
// not compile (pipeline.LoadGrid).
func validateOne(ctx context.Context, e *env, path string, sets []string, maxTrials uint64) (int, bool, error) {
	f, chain, err := pipeline.LoadGrid(path, sets, e.registry)
	if err != nil || len(f.Sweep) == 0 {
		return 0, false, err
	}
	baseOnly := chain == nil
	if size, ok := pipeline.GridSize(f.Sweep); !ok || size > maxTrials {
		msg := fmt.Sprintf("the sweep grid has %d trials, more than --max-trials %d", size, maxTrials)
		if !ok {
			msg = fmt.Sprintf("the sweep grid has more than 2^64 trials; --max-trials is %d", maxTrials)
		}
		return 0, false, config.Errors{{File: path, Key: "sweep", Msg: msg}}
	}
	trials, err := pipeline.Expand(ctx, f, e.registry)
	return len(trials), baseOnly, err
}
