// Package pipeline compiles an experiment config into a plan of stages and
// runs it, caching every stage's outputs.
//
// A stage kind is described by a Spec: its kind name, version, input and
// output slots, a parameter struct with defaults, and a Run function that
// reads only the input files it is handed and writes only the output files
// it is asked for. The package never imports the stage kinds themselves:
// cmd/nnpipe builds a Registry from stages.Builtin and hands it in.
//
// Each stage's cache key is the SHA-256 of a printable preimage (Preimage):
// the key format version, the kind and its version, the canonical JSON of
// the fully defaulted parameters (seeds included) and the digests of the
// input artifacts. Equal keys mean equal computations, so a rerun only
// recomputes what changed.
package pipeline
