package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nnpipe/nnpipe/pipeline/config"
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
			for i, spec := range e.registry.Specs() {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprintf(e.stdout, "%s (v%d): %s\n", spec.Kind, spec.Version, spec.Doc)
				outs := make([]string, len(spec.Outputs))
				for j, o := range spec.Outputs {
					outs[j] = slotText(o.Slot, o.Type) + " (" + o.File
					if o.RowsFrom != "" {
						outs[j] += ", rows of " + o.RowsFrom
					}
					if len(o.From) > 0 {
						outs[j] += ", made from " + strings.Join(o.From, " and ")
					}
					outs[j] += ")"
				}
				ins := make([]string, len(spec.Inputs))
				for j, in := range spec.Inputs {
					ins[j] = slotText(in.Slot, in.Type)
					if in.SameRows != "" {
						ins[j] += " (same rows as " + in.SameRows + ")"
					}
					if len(in.MadeFrom) > 0 {
						ins[j] += " (made from the " + strings.Join(in.MadeFrom, " and ") + ")"
					}
				}
				in := strings.Join(ins, ", ")
				if in == "" {
					in = "-"
				}
				fmt.Fprintf(e.stdout, "  inputs: %s; outputs: %s\n", in, strings.Join(outs, ", "))
				fields := config.Describe(spec.NewParams())
				if len(fields) == 0 {
					fmt.Fprintln(e.stdout, "  no parameters")
					continue
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "  key\ttype\tdefault\tmeaning")
				for _, f := range fields {
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Key, f.Type, f.Default, f.Doc)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// slotText names a slot and, when it differs, the type of data it carries.
func slotText(slot, typ string) string {
	if typ == slot {
		return slot
	}
	return slot + ": " + typ
}
