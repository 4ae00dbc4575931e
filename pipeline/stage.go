package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
)

// Spec describes a stage kind.
type Spec struct {
	Kind    string   // the name used in configs, such as "train"
	Version int      // bumped whenever the outputs for equal inputs change; part of the key
	Doc     string   // one line: what the stage does
	Inputs  []Input  // the slots it reads, such as dataset and split
	Outputs []Output // the slots it writes

	// NewParams returns a fresh parameter struct (a pointer) with every
	// default filled in. Its fields carry `yaml` tags (the config keys) and
	// `doc` tags (one line of meaning, shown by `nnpipe stages`).
	NewParams func() Params

	// Run computes the outputs from the inputs. It must read only io's
	// inputs, write only io's outputs, and honour ctx. It must not modify
	// p: the trials of a sweep that set a stage alike share its parameters.
	Run func(ctx context.Context, p Params, io *IO) error

	// Precheck, when set, refuses early what Run would refuse of some of
	// the stage's inputs, so that a run does not do the work between the
	// stages that make them and this one only to fail here: the engine calls
	// Check as soon as the stages filling every slot in Slots have run,
	// with the files of those inputs (a slot not in Slots gives ""), and
	// an error it returns stops the run there as this stage's error. Check
	// must be cheap (a table's schema, not its rows), and Run must still
	// check the same itself.
	Precheck *Precheck

	// RunScoped marks a kind whose outputs record the run's config hash
	// (predictions carry it in their metadata): the hash then joins the key.
	RunScoped bool

	// Fingerprint, when set, returns what else the outputs depend on beyond
	// the parameters and inputs — for `load`, the digest of the file it
	// reads — as printable text that joins the key's preimage. base is the
	// config file's folder, against which relative paths resolve. An error
	// is the user's (a missing file): the CLI exits 2.
	//
	// The thing fingerprinted can change between the key and the run (a
	// file rewritten or replaced), so the engine hands the fingerprint the
	// key holds to Run as IO.Fingerprint, and Run must fail, writing
	// nothing, unless what it actually read has that same fingerprint:
	// otherwise the entry filed under the key would hold other content.
	//
	// An engine takes it once for each set of files the kind's PathKeys
	// name (for a kind without them, once for each set of parameters) and
	// keeps it until Close, so it must depend on those files alone.
	Fingerprint func(p Params, base string) (string, error)

	// PathKeys names the parameters that are file paths, relative to the
	// config file's folder when not absolute. The effective config written
	// into a run directory makes them absolute, so that it runs from there.
	PathKeys []string

	// DirKeys names the PathKeys that may name a directory; the others
	// must name a file. A directory where a file is wanted is a problem of
	// the config, reported at its key's line like a path that names nothing.
	DirKeys []string

	// Shape, when set, tells the shapes of the kind's outputs, by slot, from
	// its parameters and the shapes of its inputs that are known (by slot),
	// without running the stage: what `plan` needs to estimate the stages
	// that read them before this one has run. generate tells the rows,
	// columns and classes it will make; split its training rows. An output
	// left out of the map is not told.
	Shape func(p Params, in map[string]Shape) map[string]Shape

	// Cost, when set, estimates the stage's work from its parameters and
	// what is known of its inputs (see CostQuery): for `plan`, and to start
	// a sweep's longest trials first (see RunTrials). The kinds that train
	// have one.
	Cost func(p Params, q CostQuery) Cost

	// Headline, when set, marks the kind a run's printed summary is about:
	// the summary shows the values it returns (a training's hidden units,
	// gradient, steps and learning rate) and the stage's compute time as the
	// run's train time. The first stage of a run whose kind has one is used.
	Headline func(p Params) []Headline

	// StoppedAt, when set beside Headline, reads from the stage's outputs
	// (output returns a slot's file) the step its work stopped at, and
	// whether that is before the step asked for (early stopping): the
	// summary records it in its stopped_at column.
	StoppedAt func(p Params, output func(slot string) string) (step int, early bool, err error)
}

// Precheck is a check of a stage's parameters against some of its inputs
// (see Spec.Precheck).
type Precheck struct {
	Slots []string
	Check func(p Params, input func(slot string) string) error
}

// Shape is the size of a slot's data, as far as plan can tell it before
// the stage that makes it has run.
type Shape struct {
	Rows    int // the rows of a dataset; the training rows of a split
	Columns int // a dataset's feature columns
	Classes int // a dataset's classes
}

// Headline is one value a run's printed summary shows (Spec.Headline).
type Headline struct {
	Label string // "learning rate"
	Value any    // an int64, float64, bool or string
}

// Input is an input slot of a stage kind.
type Input struct {
	// Slot is the name the stage reads the input by (IO.Input) and the key
	// a config wires it with (`inputs: {dataset: data.dataset}`).
	Slot string
	// Type is the kind of data the slot carries, such as "dataset",
	// "split" or "model": only an output of the same type can fill it.
	// Empty means the slot's name.
	Type string
	// SameRows names another input slot of the kind whose rows this input
	// must describe. A training stage's split input names its dataset
	// input: the split must have been made for that dataset, or for one
	// with the same rows (Output.RowsFrom traces them), never for the rows
	// of an unrelated data stage.
	SameRows string
	// MadeFrom names other input slots of the kind whose data this input
	// must have been made from (as the producing output's From says): an
	// evaluation's model input names dataset and split, so a model is
	// evaluated with the very data and split it was trained on, not with
	// the raw features of data it saw rescaled, or with another split.
	MadeFrom []string
	// Column, when set, names the column the stage reads from this input
	// beside the features, given its parameters (split's `column`), and
	// the parameter that names it; "" when it reads none. Compiling checks
	// it against the columns the bound output carries (Output.Carries) and
	// reports one it does not carry at that parameter's line, before
	// anything runs.
	Column func(p Params) (column, key string)
}

// Output is an output slot and the file (or, ending in "/", the folder)
// that holds it.
type Output struct {
	Slot    string
	Type    string // the kind of data it carries, as Input.Type; empty means the slot's name
	File    string
	Publish bool // copied into the run directory
	// RowsFrom names the input slot whose rows this output describes or
	// keeps: a split names the dataset it divides; a dataset rescaled row
	// by row names the dataset it rescales. Empty: the output has rows of
	// its own (data generated or loaded) or none (a model).
	RowsFrom string
	// From names the input slots the output is made from, which the
	// inputs that read it can check (Input.MadeFrom): a trained model is
	// made from a dataset and a split.
	From []string
	// ShapeFrom names the input slot whose shape (Shape: rows, columns,
	// classes) the output keeps: a dataset rescaled row by row has its
	// input's. Plan passes the input's shape on through it.
	ShapeFrom string
	// Carries, when set, lists the columns the output dataset carries
	// beside its features, from the stage's parameters (load's `keep`;
	// none for generated data), and CarriesKey names the parameter that
	// lists them, for messages ("" when none does). An output with
	// ShapeFrom and no Carries carries what its input carries. Otherwise
	// what it carries is known only once it is computed, and no
	// Input.Column bound to it is checked before then.
	Carries    func(p Params) []string
	CarriesKey string
	// ReadShape, when set, reads the output's shape from its file: plan
	// reads the shapes of cached outputs so, such as a cached dataset's.
	ReadShape func(path string) (Shape, error)
	// Metrics marks the output that holds a run's metrics, in the format
	// of evaluate's metrics.json: a run directory takes them from the first
	// stage with such an output, for metrics.json, the summary's metric
	// columns and `run --json`.
	Metrics bool
	// Model marks an output that holds a trained model, in the format of stages/model's
	// model.json: a run directory's copy of it names the run (its id and config hash), so
	// that the file on its own says where it came from. The cached output does not: one
	// cached model serves every run that reuses it.
	Model bool
}

// Params is a stage's parameter struct.
type Params interface {
	// Validate reports every out-of-range or inconsistent value.
	Validate() []FieldError
}

// Seeded is implemented by parameters that draw random numbers: it fills
// every seed the config left unset from the master seed and the stage id.
type Seeded interface {
	DefaultSeeds(master uint64, stageID string)
}

// Unused is implemented by parameters some of which have no effect given
// the others, such as a shuffle's seed when nothing is shuffled. A sweep may
// not vary a parameter its trials do not use: their results would be
// labelled with values that made no difference.
type Unused interface {
	// UnusedKeys returns the keys, as paths within the stage's `with`
	// ("init.seed"), of the parameters that do not affect the outputs.
	UnusedKeys() []string
}

// Canonical is implemented by parameters that can say one thing in more
// than one way, such as a file format left to the path's extension or
// written out. A sweep whose values differ only so is refused like one that
// lists a value twice: its trials would compute the same thing.
type Canonical interface {
	// Canonical returns a copy of the parameters with each written the one
	// way that gives its effect; base is the config's folder, against which
	// relative paths are read. The path parameters (Spec.PathKeys) need
	// not be resolved: the caller resolves them afterwards.
	Canonical(base string) Params
}

// FieldError is a problem with one parameter; Key is its path within the
// stage's `with` ("init.std").
type FieldError struct {
	Key string
	Msg string
}

// Errorf builds a FieldError.
func Errorf(key, format string, args ...any) FieldError {
	return FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// RangeError builds the FieldError of a number outside its range; rule
// says what the value must be ("> 0", "between 0 and 1"). A value that is
// not a finite number (.inf, .nan) is said not to be one: "must be > 0,
// got +Inf" would be false.
func RangeError(key string, v float64, rule string) FieldError {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return Errorf(key, "must be a finite number %s, got %v", rule, v)
	}
	return Errorf(key, "must be %s, got %v", rule, v)
}

// InvalidInputError marks a stage failure caused by the user's input (a
// malformed data file, a split that leaves a part empty): the CLI exits 2.
type InvalidInputError struct{ Err error }

// Error is the wrapped error's message, unchanged.
func (e *InvalidInputError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so that errors.Is and errors.As see through e.
func (e *InvalidInputError) Unwrap() error { return e.Err }

// Invalid wraps err as an InvalidInputError.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &InvalidInputError{Err: err}
}

// IsInvalid reports whether err was caused by invalid user input.
func IsInvalid(err error) bool {
	var e *InvalidInputError
	return errors.As(err, &e)
}

// Progress receives a long stage's progress. Implementations must be cheap.
type Progress interface {
	// Start announces total units of work.
	Start(total int64, what string)
	// Set reports done units so far and a short detail, such as the error.
	Set(done int64, detail string)
	// Finish ends the display.
	Finish()
}

// NoProgress discards progress.
type NoProgress struct{}

// Start does nothing.
func (NoProgress) Start(int64, string) {}

// Set does nothing.
func (NoProgress) Set(int64, string) {}

// Finish does nothing.
func (NoProgress) Finish() {}

// IO is what a running stage may touch: its input files, its output paths,
// and the run's facts it is allowed to depend on.
type IO struct {
	StageID    string
	BaseDir    string // the config file's folder: relative paths in parameters resolve against it
	ConfigHash string // set only for RunScoped kinds
	Version    string // nnpipe's version
	Workers    int    // goroutines the stage may use
	Log        *slog.Logger
	Progress   Progress

	// Fingerprint is what Spec.Fingerprint returned for the key of this
	// computation ("" for a kind without one, or outside the engine): Run
	// checks what it reads against it (see Spec.Fingerprint).
	Fingerprint string

	inputs  map[string]string
	outputs map[string]string
}

// NewIO builds an IO; the engine does this, and tests of stage kinds too.
// inputs maps slots to files; outputs maps slots to where to write them.
func NewIO(stageID string, inputs, outputs map[string]string) *IO {
	return &IO{StageID: stageID, inputs: inputs, outputs: outputs, Workers: 1,
		Log: slog.New(slog.DiscardHandler), Progress: NoProgress{}}
}

// Input returns the path of the input slot. It panics if the kind did not
// declare the slot, which is a programming error.
func (io *IO) Input(slot string) string {
	p, ok := io.inputs[slot]
	if !ok {
		panic(fmt.Sprintf("stage %q: undeclared input slot %q", io.StageID, slot))
	}
	return p
}

// Output returns the path to write the output slot to (a folder for a
// folder slot, already made). It panics if the slot is undeclared.
func (io *IO) Output(slot string) string {
	p, ok := io.outputs[slot]
	if !ok {
		panic(fmt.Sprintf("stage %q: undeclared output slot %q", io.StageID, slot))
	}
	return p
}

func outputPath(dir string, o Output) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(o.File, "/")))
}

// Registry is the set of stage kinds a config may use.
type Registry struct {
	specs  []*Spec
	byKind map[string]*Spec
}

// NewRegistry builds a registry from specs, in the order given. It returns
// an error for a duplicate kind, an incomplete spec, or slots that do not
// fit together: a slot declared twice, or a SameRows, MadeFrom, RowsFrom,
// ShapeFrom or From that does not name another input slot of the kind.
// Empty slot types are filled in with the slot's name.
func NewRegistry(specs ...Spec) (*Registry, error) {
	r := &Registry{byKind: map[string]*Spec{}}
	for i := range specs {
		s := specs[i]
		switch {
		case s.Kind == "" || s.NewParams == nil || s.Run == nil || s.Version < 1:
			return nil, fmt.Errorf("registry: spec %d (%q) is incomplete", i, s.Kind)
		case r.byKind[s.Kind] != nil:
			return nil, fmt.Errorf("registry: kind %q registered twice", s.Kind)
		}
		if err := normalizeSlots(&s); err != nil {
			return nil, fmt.Errorf("registry: kind %q: %w", s.Kind, err)
		}
		r.specs = append(r.specs, &s)
		r.byKind[s.Kind] = &s
	}
	return r, nil
}

// normalizeSlots checks s's slot declarations and fills in their types, on
// copies of the slices so that the caller's spec is left alone.
func normalizeSlots(s *Spec) error {
	s.Inputs = append([]Input(nil), s.Inputs...) // the slices inside stay shared: nothing writes them
	s.Outputs = append([]Output(nil), s.Outputs...)
	inputs := map[string]bool{}
	for i := range s.Inputs {
		in := &s.Inputs[i]
		if in.Slot == "" || inputs[in.Slot] {
			return fmt.Errorf("input slot %q is empty or declared twice", in.Slot)
		}
		inputs[in.Slot] = true
		if in.Type == "" {
			in.Type = in.Slot
		}
	}
	for _, in := range s.Inputs {
		if in.SameRows != "" && (in.SameRows == in.Slot || !inputs[in.SameRows]) {
			return fmt.Errorf("input slot %q: SameRows %q is not another input slot", in.Slot, in.SameRows)
		}
		for _, m := range in.MadeFrom {
			if m == in.Slot || !inputs[m] {
				return fmt.Errorf("input slot %q: MadeFrom %q is not another input slot", in.Slot, m)
			}
		}
	}
	outputs := map[string]bool{}
	for i := range s.Outputs {
		o := &s.Outputs[i]
		if o.Slot == "" || outputs[o.Slot] {
			return fmt.Errorf("output slot %q is empty or declared twice", o.Slot)
		}
		outputs[o.Slot] = true
		if o.Type == "" {
			o.Type = o.Slot
		}
		if o.RowsFrom != "" && !inputs[o.RowsFrom] {
			return fmt.Errorf("output slot %q: RowsFrom %q is not an input slot", o.Slot, o.RowsFrom)
		}
		if o.ShapeFrom != "" && !inputs[o.ShapeFrom] {
			return fmt.Errorf("output slot %q: ShapeFrom %q is not an input slot", o.Slot, o.ShapeFrom)
		}
		for _, from := range o.From {
			if !inputs[from] {
				return fmt.Errorf("output slot %q: From %q is not an input slot", o.Slot, from)
			}
		}
	}
	return nil
}

// Input returns the input slot named slot.
func (s *Spec) Input(slot string) (Input, bool) {
	for _, in := range s.Inputs {
		if in.Slot == slot {
			return in, true
		}
	}
	return Input{}, false
}

// Output returns the output slot named slot.
func (s *Spec) Output(slot string) (Output, bool) {
	for _, o := range s.Outputs {
		if o.Slot == slot {
			return o, true
		}
	}
	return Output{}, false
}

// Lookup returns the spec of a kind.
func (r *Registry) Lookup(kind string) (*Spec, bool) {
	s, ok := r.byKind[kind]
	return s, ok
}

// Specs returns every spec in registration order.
func (r *Registry) Specs() []*Spec { return r.specs }

// Kinds returns every kind name in registration order.
func (r *Registry) Kinds() []string {
	out := make([]string, len(r.specs))
	for i, s := range r.specs {
		out[i] = s.Kind
	}
	return out
}

// Status values of a failed computation.
const (
	StatusFailed   = "failed"
	StatusDiverged = "diverged"
)

// DivergedError marks a stage failure in which training diverged: a sweep
// records the trial as `diverged` rather than `failed`.
type DivergedError struct{ Err error }

// Error is the wrapped error's message, unchanged.
func (e *DivergedError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so that errors.Is and errors.As see through e.
func (e *DivergedError) Unwrap() error { return e.Err }

// Diverged wraps err as a DivergedError.
func Diverged(err error) error { return &DivergedError{Err: err} }

// StatusOf returns the status a failure with err is recorded as.
func StatusOf(err error) string {
	var d *DivergedError
	if errors.As(err, &d) {
		return StatusDiverged
	}
	return StatusFailed
}
