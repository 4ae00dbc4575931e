package main

import (
	"github.com/spf13/cobra"
)

func newStagesCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "stages",
		Short: "List the stage kinds with their parameters, types, defaults and meaning",
		Long: "List every stage kind a config may use, in pipeline order, with its input and output\n" +
			"slots and its parameters. The list is generated from the parameter definitions the\n" +
			"config reader decodes with, so it cannot drift from what configs accept.",
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, _ []string) error {
			return e.registry.WriteDoc(e.stdout)
		},
	}
}
