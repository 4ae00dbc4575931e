package main

import (
	"github.com/nnpipe/nnpipe/stages/results"
	"github.com/spf13/cobra"
)

func newShowCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show RUN_DIR",
		Short: "Print a finished run's summary, metrics with confusion matrices, and files",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return results.Show(e.stdout, args[0])
		},
	}
}
