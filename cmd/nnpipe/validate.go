package main

import (
	"errors"
	"fmt"

	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/spf13/cobra"
)

func newValidateCmd(e *env) *cobra.Command {
	var sets []string
	c := &cobra.Command{
		Use:   "validate CONFIG...",
		Short: "Check configs without running anything; list every problem",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var all config.Errors
			for _, path := range args {
				_, _, err := loadPlan(path, sets, e.registry)
				var errs config.Errors
				switch {
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
	return c
}
