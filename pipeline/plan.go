package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// PlanReport is what running a chain, and the trials of its sweep, would
// do, worked out without running or writing anything: the `plan`
// command's report, which `plan --json` prints as it is.
type PlanReport struct {
	Config string      `json:"config"`
	Name   string      `json:"name"`
	Cache  string      `json:"cache"`
	Stages []PlanStage `json:"stages"`
	// Train holds the cost estimate of every stage whose kind has a cost
	// model (Spec.Cost: the kinds that train), in chain order; never null.
	Train []fmt.Stringer `json:"train"`
	Sweep *PlanSweep     `json:"sweep,omitempty"`
	// Unreadable counts cache entries whose entry.json could not be read:
	// they are not compared with, and will be recomputed when needed.
	Unreadable int `json:"unreadable_entries"`
}

// PlanStage is what running a chain would do with one stage.
type PlanStage struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`    // "" until the stages in After have run
	Status string `json:"status"` // hit or miss
	// Reason is the line plan prints after the status.
	Reason         string       `json:"reason"`
	After          []string     `json:"after,omitempty"`
	Damaged        string       `json:"damaged,omitempty"`
	Failure        *Failure     `json:"failure,omitempty"`
	ComputeSeconds *float64     `json:"compute_seconds,omitempty"` // a hit: how long it took
	Nearest        *PlanNearest `json:"nearest,omitempty"`
}

// PlanNearest is the earlier cache entry a missing stage is closest to.
type PlanNearest struct {
	Key     string       `json:"key"`
	Stage   string       `json:"stage"`
	Created time.Time    `json:"created"`
	Seconds float64      `json:"seconds"`
	Changes []PlanChange `json:"changes"`
}

// PlanChange is a Change with its text.
type PlanChange struct {
	Change
	Text string `json:"text"`
}

// PlanSweep is what a sweep would do.
type PlanSweep struct {
	GridSize uint64 `json:"grid_size"`
	Trials   int    `json:"trials"` // the grid's trials, each computing something else
	Done     int    `json:"done"`
	Failed   int    `json:"failed"`
	Pending  int    `json:"pending"`
	// TrainSeconds is the estimated training time of the trials to run
	// (failed and pending), one after another on one core; trials whose
	// cost is unknown are counted in UnknownCost.
	TrainSeconds float64          `json:"train_seconds"`
	UnknownCost  int              `json:"unknown_cost"`
	FailedTrials []PlanSweepTrial `json:"failed_trials"`
}

// PlanSweepTrial is a failed trial of a sweep.
type PlanSweepTrial struct {
	TrialID string `json:"trial_id"`
	Label   string `json:"label"`
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	Error   string `json:"error"`
}

// CostQuery is what plan knows when it asks a kind's Spec.Cost about a
// stage.
type CostQuery struct {
	Stage  string                // the stage's id
	Inputs map[string]InputShape // what is known of the shape of each bound input, by slot
	// Cached reports that the stage's entry is cached; CachedSeconds is
	// then how long it took.
	Cached        bool
	CachedSeconds float64
	// Untimed asks for Cost.Work alone: the kind must not time anything
	// (as an estimate calibrated on this machine would), and may leave
	// Seconds zero.
	Untimed bool
}

// InputShape is what plan knows of the shape of an output another stage
// reads.
type InputShape struct {
	Shape
	Known bool
	// From says where a known shape comes from: "config", or "cached"
	// and the output's type ("cached dataset").
	From string
	// Stage and Kind name the stage whose output tells the shape, or, for
	// an unknown one, the first that cannot tell it; outputs that keep
	// their input's shape (Output.ShapeFrom) are looked through.
	Stage, Kind string
	// Err is why reading the cached output failed, if it did.
	Err error
}

// Cost is a stage's estimated cost, from its kind's Spec.Cost.
type Cost struct {
	Seconds float64 // the estimated compute time on one core; valid when Known
	// Work is the stage's work in the kind's own units, told from its
	// parameters and input shapes alone, never timed: for one kind, twice
	// the Work should take about twice the time. Valid when Known.
	Work  float64
	Known bool
	// Skip reports that the stage fails before its work starts (a split
	// that leaves no training rows): it costs nothing.
	Skip bool
	// Detail is what plan shows of the estimate: plan --json writes it as
	// it is, and plan prints its String.
	Detail fmt.Stringer
}

// Plan works out what running chain, compiled from file, would do with
// eng's cache and, when file has a sweep grid, what its trials (expanded
// against reg) would: the `plan` command's report. chain is nil when only
// the trials compile (LoadGrid); the first trial's stages are shown then.
// With eng ReadOnly it writes nothing. Errors that concern the cache name
// file.
func Plan(ctx context.Context, eng *Engine, file *config.File, chain *Chain, reg *Registry) (*PlanReport, error) {
	history, err := ReadHistory(eng.Cache)
	if err != nil {
		return nil, err
	}
	var trials []*Trial
	if len(file.Sweep) > 0 {
		if trials, err = Expand(ctx, file, reg); err != nil {
			return nil, err
		}
		if chain == nil {
			// Only the trials are complete (LoadGrid): the stages are
			// shown as the first trial has them.
			chain = trials[0].Chain
		}
	}
	rep := &PlanReport{Config: file.Path, Name: chain.Name, Cache: eng.Cache.Dir(), Unreadable: history.Unreadable}
	planner := NewPlanner(eng)
	if err := planner.Chain(rep, chain, history); err != nil {
		return nil, fmt.Errorf("%s: %w", file.Path, err)
	}
	if len(file.Sweep) == 0 {
		return rep, nil
	}
	if rep.Sweep, err = planner.Sweep(ctx, trials); err != nil {
		return nil, fmt.Errorf("%s: %w", file.Path, err)
	}
	rep.Sweep.GridSize, _ = GridSize(file.Sweep)
	return rep, nil
}

// Planner works out PlanReports. It reads the cache's entries, and the
// cached outputs whose shapes the cost estimates need, keeping those
// shapes for the trials of a sweep; it writes nothing when its engine is
// ReadOnly.
type Planner struct {
	eng     *Engine
	shapes  map[string]InputShape // by output digest
	untimed bool                  // ask kinds for CostQuery.Untimed estimates
}

// NewPlanner returns a Planner that looks things up with eng.
func NewPlanner(eng *Engine) *Planner {
	return &Planner{eng: eng, shapes: map[string]InputShape{}}
}

// Chain fills rep's Stages and Train for chain: for each stage, hit or
// miss and why, compared with the entries of h (see Engine.Explain); for
// each stage with a cost model, its estimate.
func (pl *Planner) Chain(rep *PlanReport, chain *Chain, h *History) error {
	stages, err := pl.eng.Explain(chain, h)
	if err != nil {
		return err
	}
	rep.Train = []fmt.Stringer{}
	cached := map[string]*StageResult{}
	for _, sp := range stages {
		rep.Stages = append(rep.Stages, planStageOf(sp))
		if sp.Cached {
			cached[sp.ID] = sp.Result
		}
	}
	for _, step := range chain.Stages {
		if step.Spec.Cost != nil {
			rep.Train = append(rep.Train, pl.cost(chain, step, cached).Detail)
		}
	}
	return nil
}

// Sweep probes every trial in the cache and says how many are done,
// failed and pending, and how long the training of the trials to run
// would take. It checks ctx between trials.
func (pl *Planner) Sweep(ctx context.Context, trials []*Trial) (*PlanSweep, error) {
	s := &PlanSweep{Trials: len(trials), FailedTrials: []PlanSweepTrial{}}
	for _, t := range trials {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		results, status, failure, err := pl.eng.Probe(t.Chain)
		if err != nil {
			return nil, fmt.Errorf("trial %s: %w", t.ID, err)
		}
		switch status {
		case ProbeDone:
			s.Done++
			continue
		case ProbeFailed:
			s.Failed++
			s.FailedTrials = append(s.FailedTrials, PlanSweepTrial{TrialID: t.ID, Label: t.Label(), Stage: failure.Stage, Status: failure.Status, Error: failure.Error})
		default:
			s.Pending++
		}
		cached := map[string]*StageResult{}
		for _, r := range results {
			cached[r.ID] = r
		}
		known := true
		for _, step := range t.Chain.Stages {
			if step.Spec.Cost == nil || cached[step.ID] != nil {
				continue
			}
			switch c := pl.cost(t.Chain, step, cached); {
			case c.Skip:
			case !c.Known:
				known = false
			default:
				s.TrainSeconds += c.Seconds
			}
		}
		if !known {
			s.UnknownCost++
		}
	}
	return s, nil
}

// cost asks step's kind for its estimate, given the results of the stages
// of chain that are cached.
func (pl *Planner) cost(chain *Chain, step *Step, cached map[string]*StageResult) Cost {
	q := CostQuery{Stage: step.ID, Inputs: map[string]InputShape{}, Untimed: pl.untimed}
	for _, b := range step.Inputs {
		q.Inputs[b.Slot] = pl.outputShape(chain, b.From, b.FromSlot, cached)
	}
	if r := cached[step.ID]; r != nil {
		q.Cached, q.CachedSeconds = true, r.ComputeSeconds
	}
	return step.Spec.Cost(step.Params, q)
}

// outputShape tells the shape of output slot of stage id of chain: read
// from the cached output (Output.ReadShape), passed on from an input
// (Output.ShapeFrom), or told by the kind from its parameters (Spec.Shape).
func (pl *Planner) outputShape(chain *Chain, id, slot string, cached map[string]*StageResult) InputShape {
	var step *Step
	for _, s := range chain.Stages {
		if s.ID == id {
			step = s
		}
	}
	if step == nil {
		return InputShape{Stage: id}
	}
	o, _ := step.Spec.Output(slot)
	unknown := InputShape{Stage: id, Kind: step.Kind}
	if r := cached[id]; r != nil {
		if o.ReadShape == nil {
			return unknown
		}
		digest := r.Digests[slot]
		if s, ok := pl.shapes[digest]; ok {
			return s
		}
		shape, err := o.ReadShape(r.Outputs[slot])
		if err != nil {
			unknown.Err = err
			return unknown
		}
		s := InputShape{Shape: shape, Known: true, From: "cached " + o.Type, Stage: id, Kind: step.Kind}
		pl.shapes[digest] = s
		return s
	}
	if o.ShapeFrom != "" {
		for _, b := range step.Inputs {
			if b.Slot == o.ShapeFrom {
				return pl.outputShape(chain, b.From, b.FromSlot, cached)
			}
		}
	}
	if step.Spec.Shape != nil {
		in := map[string]Shape{}
		for _, b := range step.Inputs {
			if s := pl.outputShape(chain, b.From, b.FromSlot, cached); s.Known {
				in[b.Slot] = s.Shape
			}
		}
		if shape, ok := step.Spec.Shape(step.Params, in)[slot]; ok {
			return InputShape{Shape: shape, Known: true, From: "config", Stage: id, Kind: step.Kind}
		}
	}
	return unknown
}

// maxFailedListed bounds the failed trials plan prints.
const maxFailedListed = 10

// WriteText writes the report as plan prints it: the stages with their
// keys and why each is a hit or a miss, the cost of each stage with a cost
// model, and for a sweep the trials done, failed and pending and the time
// the rest would take.
func (rep *PlanReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "plan for %s (%s), cache %s\n", rep.Config, rep.Name, rep.Cache)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hits := 0
	for _, s := range rep.Stages {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.ID, s.Kind, ShortKey(s.Key), s.Reason)
		if s.Status == "hit" {
			hits++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s to run, %d cached\n", countOf(len(rep.Stages)-hits, "stage", "stages"), hits)
	if rep.Unreadable > 0 {
		verb := "were"
		if rep.Unreadable == 1 {
			verb = "was"
		}
		fmt.Fprintf(w, "(%s in the cache could not be read and %s not compared with)\n", countOf(rep.Unreadable, "entry", "entries"), verb)
	}
	for _, c := range rep.Train {
		fmt.Fprintln(w)
		fmt.Fprint(w, c.String())
	}
	if s := rep.Sweep; s != nil {
		s.writeText(w)
	}
	return nil
}

func (s *PlanSweep) writeText(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "sweep: %s", countOf(s.Trials, "trial", "trials"))
	fmt.Fprintf(w, ": %d done, %d failed, %d pending\n", s.Done, s.Failed, s.Pending)
	for i, t := range s.FailedTrials {
		if i == maxFailedListed {
			fmt.Fprintf(w, "  … and %d more failed\n", len(s.FailedTrials)-i)
			break
		}
		fmt.Fprintf(w, "  %s %s (%s): stage %q: %s\n", t.Status, t.TrialID, t.Label, t.Stage, t.Error)
	}
	switch toRun := s.Failed + s.Pending; {
	case toRun == 0:
	case s.UnknownCost >= toRun:
		// A total of none of them would read as an estimate of nothing.
		fmt.Fprintf(w, "  estimated training time of the %s to run: unknown\n",
			countOf(toRun, "trial", "trials"))
	default:
		fmt.Fprintf(w, "  estimated training time of the %s to run: %s one after another on one core",
			countOf(toRun, "trial", "trials"), FormatSeconds(s.TrainSeconds))
		if s.UnknownCost > 0 {
			fmt.Fprintf(w, ", plus %d of unknown cost", s.UnknownCost)
		}
		fmt.Fprintln(w)
	}
}

// planStageOf describes one stage for printing.
func planStageOf(sp *StagePlan) PlanStage {
	out := PlanStage{ID: sp.ID, Kind: sp.Kind, Key: sp.Key, Status: "miss", After: sp.After, Damaged: sp.Damaged, Failure: sp.Failure}
	if sp.Cached {
		out.Status = "hit"
		s := sp.Result.ComputeSeconds
		out.ComputeSeconds = &s
	}
	if n := sp.Nearest; n != nil {
		out.Nearest = &PlanNearest{Key: n.Key, Stage: n.Stage, Created: n.Created, Seconds: n.Seconds, Changes: []PlanChange{}}
		for _, c := range n.Changes {
			out.Nearest.Changes = append(out.Nearest.Changes, PlanChange{Change: c, Text: c.String()})
		}
	}
	out.Reason = planReason(sp)
	return out
}

// planReason is the status and why: `hit (took 30.5 ms)`,
// `miss: train.hidden: 2 → 4`, `miss (after data runs): …`.
func planReason(sp *StagePlan) string {
	if sp.Cached {
		return "hit (took " + FormatSeconds(sp.Result.ComputeSeconds) + ")"
	}
	var b strings.Builder
	b.WriteString("miss")
	if len(sp.After) > 0 {
		verb := "runs"
		if len(sp.After) > 1 {
			verb = "run"
		}
		fmt.Fprintf(&b, " (after %s %s)", joinAnd(sp.After), verb)
	}
	b.WriteString(": ")
	switch n := sp.Nearest; {
	case sp.Damaged != "":
		fmt.Fprintf(&b, "the cached entry is damaged (%s) and will be recomputed", sp.Damaged)
	case n == nil:
		fmt.Fprintf(&b, "no earlier entry of kind %q", sp.Kind)
	case len(n.Changes) == 0 && len(sp.After) > 0:
		fmt.Fprintf(&b, "same parameters as %s", ShortKey(n.Key))
	case len(n.Changes) == 0:
		fmt.Fprintf(&b, "differs from %s only in what entries do not record", ShortKey(n.Key))
	default:
		texts := make([]string, len(n.Changes))
		for i, c := range n.Changes {
			texts[i] = c.String()
		}
		b.WriteString(strings.Join(texts, "; "))
	}
	if sp.Failure != nil {
		fmt.Fprintf(&b, "; it %s before: %s", sp.Failure.Status, sp.Failure.Error)
	}
	return b.String()
}

func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ShortKey is the first 12 hex digits of a cache key, as plan prints it;
// "-" for none.
func ShortKey(k string) string {
	if len(k) > 12 {
		return k[:12]
	}
	if k == "" {
		return "-"
	}
	return k
}
