// Package pipeline compiles an experiment config into a chain of stages and
// runs it, caching every stage's outputs.
//
// A stage kind is described by a Spec: its kind name, version, input and
// output slots, a parameter struct with defaults, and a Run function that
// reads only the input files it is handed and writes only the output files
// it is asked for. The package never imports the stage kinds themselves:
// cmd/nnpipe builds a Registry from stages.Builtin and hands it in.
//
// Slots are typed (Input.Type, Output.Type): an input is filled only by an
// output of its type, by the nearest earlier stage or as the config wires
// it. Compile also traces what each output is made of — whose rows it has
// (Output.RowsFrom) and which inputs it was made from (Output.From) — and
// refuses inputs that must go together but do not: a split with the rows of
// other data than the dataset beside it (Input.SameRows), a model read with
// other data than it was trained on (Input.MadeFrom). The kinds declare all
// of it; nothing here names a kind.
//
// Each stage's cache key is the SHA-256 of a printable preimage (Preimage):
// the key format version, the kind and its version, the canonical JSON of
// the fully defaulted parameters (seeds included) and the digests of the
// input artifacts. Equal keys mean equal computations, so a rerun only
// recomputes what changed.
package pipeline
