package pipeline

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// WriteDoc writes every kind of r, in order, as `nnpipe stages` prints
// them: the kind, its version and doc line, its input and output slots
// (type, file, and what ties them to each other), and its parameters with
// their types, defaults and meaning, from the parameter struct that
// configs are decoded into, so that the list cannot drift from what
// configs accept.
func (r *Registry) WriteDoc(w io.Writer) error {
	for i, spec := range r.specs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (v%d): %s\n", spec.Kind, spec.Version, spec.Doc)
		fmt.Fprintf(w, "  inputs: %s; outputs: %s\n", spec.inputsDoc(), spec.outputsDoc())
		fields := config.Describe(spec.NewParams())
		if len(fields) == 0 {
			fmt.Fprintln(w, "  no parameters")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  key\ttype\tdefault\tmeaning")
		for _, f := range fields {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Key, f.Type, f.Default, f.Doc)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// inputsDoc lists the input slots: "dataset, split (same rows as
// dataset)", or "-".
func (s *Spec) inputsDoc() string {
	ins := make([]string, len(s.Inputs))
	for j, in := range s.Inputs {
		ins[j] = slotText(in.Slot, in.Type)
		if in.SameRows != "" {
			ins[j] += " (same rows as " + in.SameRows + ")"
		}
		if len(in.MadeFrom) > 0 {
			ins[j] += " (made from the " + strings.Join(in.MadeFrom, " and ") + ")"
		}
	}
	if len(ins) == 0 {
		return "-"
	}
	return strings.Join(ins, ", ")
}

// outputsDoc lists the output slots with their files: "split
// (split.parquet, rows of dataset)".
func (s *Spec) outputsDoc() string {
	outs := make([]string, len(s.Outputs))
	for j, o := range s.Outputs {
		outs[j] = slotText(o.Slot, o.Type) + " (" + o.File
		if o.RowsFrom != "" {
			outs[j] += ", rows of " + o.RowsFrom
		}
		if len(o.From) > 0 {
			outs[j] += ", made from " + strings.Join(o.From, " and ")
		}
		outs[j] += ")"
	}
	return strings.Join(outs, ", ")
}

// slotText names a slot and, when it differs, the type of data it carries.
func slotText(slot, typ string) string {
	if typ == slot {
		return slot
	}
	return slot + ": " + typ
}
