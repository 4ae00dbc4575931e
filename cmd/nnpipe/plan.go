package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/generate"
	"github.com/nnpipe/nnpipe/stages/nn"
	"github.com/nnpipe/nnpipe/stages/split"
	"github.com/nnpipe/nnpipe/stages/train"
	"github.com/spf13/cobra"
)

// planFlags are `plan`'s flags: the subset of commonFlags that says which
// config and which cache, and sweep's --max-trials.
type planFlags struct {
	commonFlags
	maxTrials uint64
}

func newPlanCmd(e *env) *cobra.Command {
	var f planFlags
	c := &cobra.Command{
		Use:   "plan CONFIG",
		Short: "Show what run and sweep would do, running and writing nothing",
		Long: "Show, for each stage of CONFIG, its cache key and whether it is a cache hit or a miss; on a\n" +
			"miss, what differs from the nearest earlier cache entry of the same kind (train.hidden: 2 → 4,\n" +
			"input dataset changed, stage version 1 → 2). For a sweep, count the trials that are done,\n" +
			"failed and pending. For each train stage, give the parameter count P = M(D+1) + K(M+1), the\n" +
			"forward passes a numerical gradient step costs by its definition (2P over the N training\n" +
			"rows) and an estimate of the time per step and for all steps.\n\n" +
			"The estimate is calibrated on this machine: a few gradients of the same method are timed\n" +
			"on a small random problem with the same inputs D and classes K, and the time is scaled by\n" +
			"N·P (by N·P² for numerical: full, whose 2P passes each cost N·P). It is for one core and\n" +
			"leaves out the per-step test error and history.",
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if f.results == "" {
				return usagef("--results: must not be empty")
			}
			cacheDir, err := f.cacheDir(c)
			if err != nil {
				return err
			}
			return runPlan(c.Context(), e, &f, args[0], cacheDir)
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&f.sets, "set", nil, "override a config value: KEY=VALUE (train.hidden=4, seed=3, sweep.train.hidden=1,2,4); repeatable")
	fl.StringVar(&f.results, "results", "results", "the results `DIR`, whose .cache is the default cache")
	fl.StringVar(&f.cache, "cache", "", "the cache `DIR` (default <results>/.cache, or $NNPIPE_CACHE)")
	fl.BoolVar(&f.json, "json", false, "print the plan as JSON on stdout")
	fl.Uint64Var(&f.maxTrials, "max-trials", defaultMaxTrials, "refuse a sweep grid of more than `N` trials")
	return c
}

// planReport is everything plan prints; --json prints it as it is.
type planReport struct {
	Config string           `json:"config"`
	Name   string           `json:"name"`
	Cache  string           `json:"cache"`
	Stages []planStageJSON  `json:"stages"`
	Train  []*planTrainCost `json:"train"`
	Sweep  *planSweep       `json:"sweep,omitempty"`
	// Unreadable counts cache entries whose entry.json could not be read:
	// they are not compared with, and will be recomputed when needed.
	Unreadable int `json:"unreadable_entries"`
}

type planStageJSON struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`    // "" until the stages in After have run
	Status string `json:"status"` // hit or miss
	// Reason is the line plan prints after the status.
	Reason         string            `json:"reason"`
	After          []string          `json:"after,omitempty"`
	Damaged        string            `json:"damaged,omitempty"`
	Failure        *pipeline.Failure `json:"failure,omitempty"`
	ComputeSeconds *float64          `json:"compute_seconds,omitempty"` // a hit: how long it took
	Nearest        *planNearestJSON  `json:"nearest,omitempty"`
}

type planNearestJSON struct {
	Key     string           `json:"key"`
	Stage   string           `json:"stage"`
	Created time.Time        `json:"created"`
	Seconds float64          `json:"seconds"`
	Changes []planChangeJSON `json:"changes"`
}

type planChangeJSON struct {
	pipeline.Change
	Text string `json:"text"`
}

// planTrainCost is the size and cost of one train stage. Unknown numbers
// are null in JSON; Unknown then says why.
type planTrainCost struct {
	Stage  string `json:"stage"`
	Method string `json:"method"` // numerical, numerical-full or backprop
	Hidden int    `json:"hidden"` // M
	Steps  int    `json:"steps"`
	// Inputs (D) and Classes (K) come from the cached dataset, or from the
	// config when the stage that makes it can tell (ShapeFrom says which).
	Inputs    *int   `json:"inputs"`
	Classes   *int   `json:"classes"`
	TrainRows *int   `json:"train_rows"` // N
	ShapeFrom string `json:"shape_from,omitempty"`
	Params    *int   `json:"params"` // P = M(D+1) + K(M+1)
	// ForwardPassesPerStep is 2P for the numerical methods (by the
	// definition), 1 for backprop (plus one backward pass).
	ForwardPassesPerStep *int     `json:"forward_passes_per_step"`
	SecondsPerStep       *float64 `json:"seconds_per_step"` // estimated, one core
	Seconds              *float64 `json:"seconds"`          // estimated, all steps
	Cached               bool     `json:"cached"`
	CachedSeconds        *float64 `json:"cached_seconds,omitempty"` // how long the cached entry took
	Unknown              string   `json:"unknown,omitempty"`
}

// planSweep is what a sweep would do.
type planSweep struct {
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
	FailedTrials []planSweepTrial `json:"failed_trials"`
}

type planSweepTrial struct {
	TrialID string `json:"trial_id"`
	Label   string `json:"label"`
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	Error   string `json:"error"`
}

func runPlan(ctx context.Context, e *env, f *planFlags, path, cacheDir string) error {
	file, plan, err := loadChain(path, f.sets, e.registry)
	if err != nil {
		return err
	}
	var gridSize uint64
	if len(file.Sweep) > 0 {
		size, ok := pipeline.GridSize(file.Sweep)
		if !ok {
			return usagef("%s: the sweep grid has more than 2^64 trials; --max-trials is %d", path, f.maxTrials)
		}
		if size > f.maxTrials {
			return usagef("%s: the sweep grid has %d trials, more than --max-trials %d", path, size, f.maxTrials)
		}
		gridSize = size
	}
	if err := cache.CheckLayout(cacheDir); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	eng := newEngine(e, &f.commonFlags, cacheDir)
	eng.Progress = nil
	eng.ReadOnly = true // plan writes nothing, not even a lease
	history, err := pipeline.ReadHistory(eng.Cache)
	if err != nil {
		return err
	}
	stages, err := eng.Explain(plan, history)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	est := newPlanEstimator()
	rep := &planReport{Config: path, Name: plan.Name, Cache: cacheDir, Train: []*planTrainCost{}, Unreadable: history.Unreadable}
	cached := map[string]*pipeline.StageResult{}
	for _, sp := range stages {
		rep.Stages = append(rep.Stages, planStageOf(sp))
		if sp.Cached {
			cached[sp.ID] = sp.Result
		}
	}
	for i, step := range plan.Stages {
		if step.Kind != "train" {
			continue
		}
		cost := est.trainCost(plan, step, cached)
		if sp := stages[i]; sp.Cached {
			cost.Cached = true
			s := sp.Result.ComputeSeconds
			cost.CachedSeconds = &s
		}
		rep.Train = append(rep.Train, cost)
	}
	if len(file.Sweep) > 0 {
		trials, err := pipeline.Expand(ctx, file, e.registry)
		if err != nil {
			return err
		}
		rep.Sweep, err = planSweepOf(ctx, eng, est, trials)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rep.Sweep.GridSize = gridSize
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printPlan(e.stdout, rep)
}

// planStageOf describes one stage for printing.
func planStageOf(sp *pipeline.StagePlan) planStageJSON {
	out := planStageJSON{ID: sp.ID, Kind: sp.Kind, Key: sp.Key, Status: "miss", After: sp.After, Damaged: sp.Damaged, Failure: sp.Failure}
	if sp.Cached {
		out.Status = "hit"
		s := sp.Result.ComputeSeconds
		out.ComputeSeconds = &s
	}
	if n := sp.Nearest; n != nil {
		out.Nearest = &planNearestJSON{Key: n.Key, Stage: n.Stage, Created: n.Created, Seconds: n.Seconds, Changes: []planChangeJSON{}}
		for _, c := range n.Changes {
			out.Nearest.Changes = append(out.Nearest.Changes, planChangeJSON{Change: c, Text: c.String()})
		}
	}
	out.Reason = planReason(sp)
	return out
}

// planReason is the status and why: `hit (took 30.5 ms)`,
// `miss: train.hidden: 2 → 4`, `miss (after data runs): …`.
func planReason(sp *pipeline.StagePlan) string {
	if sp.Cached {
		return "hit (took " + pipeline.FormatSeconds(sp.Result.ComputeSeconds) + ")"
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
		fmt.Fprintf(&b, "same parameters as %s", shortKey(n.Key))
	case len(n.Changes) == 0:
		fmt.Fprintf(&b, "differs from %s only in what entries do not record", shortKey(n.Key))
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

func shortKey(k string) string {
	if len(k) > 12 {
		return k[:12]
	}
	if k == "" {
		return "-"
	}
	return k
}

// planSweepOf probes every trial's plan in the cache.
func planSweepOf(ctx context.Context, eng *pipeline.Engine, est *planEstimator, trials []*pipeline.Trial) (*planSweep, error) {
	s := &planSweep{Trials: len(trials), FailedTrials: []planSweepTrial{}}
	for _, t := range trials {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		results, status, failure, err := eng.Probe(t.Chain)
		if err != nil {
			return nil, fmt.Errorf("trial %s: %w", t.ID, err)
		}
		switch status {
		case pipeline.ProbeDone:
			s.Done++
			continue
		case pipeline.ProbeFailed:
			s.Failed++
			s.FailedTrials = append(s.FailedTrials, planSweepTrial{TrialID: t.ID, Label: t.Label(), Stage: failure.Stage, Status: failure.Status, Error: failure.Error})
		default:
			s.Pending++
		}
		cached := map[string]*pipeline.StageResult{}
		for _, r := range results {
			cached[r.ID] = r
		}
		known := true
		for _, step := range t.Chain.Stages {
			if step.Kind != "train" || cached[step.ID] != nil {
				continue
			}
			c := est.trainCost(t.Chain, step, cached)
			if c.TrainRows != nil && *c.TrainRows < 1 {
				continue // its split fails before training starts
			}
			if c.Seconds == nil {
				known = false
				continue
			}
			s.TrainSeconds += *c.Seconds
		}
		if !known {
			s.UnknownCost++
		}
	}
	return s, nil
}

// maxFailedListed bounds the failed trials plan prints.
const maxFailedListed = 10

func printPlan(w io.Writer, rep *planReport) error {
	fmt.Fprintf(w, "plan for %s (%s), cache %s\n", rep.Config, rep.Name, rep.Cache)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hits := 0
	for _, s := range rep.Stages {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.ID, s.Kind, shortKey(s.Key), s.Reason)
		if s.Status == "hit" {
			hits++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s to run, %d cached\n", plural(len(rep.Stages)-hits, "stage", "stages"), hits)
	if rep.Unreadable > 0 {
		verb := "were"
		if rep.Unreadable == 1 {
			verb = "was"
		}
		fmt.Fprintf(w, "(%s in the cache could not be read and %s not compared with)\n", plural(rep.Unreadable, "entry", "entries"), verb)
	}
	for _, c := range rep.Train {
		fmt.Fprintln(w)
		printTrainCost(w, c)
	}
	if s := rep.Sweep; s != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "sweep: %s", plural(s.Trials, "trial", "trials"))
		fmt.Fprintf(w, ": %d done, %d failed, %d pending\n", s.Done, s.Failed, s.Pending)
		for i, t := range s.FailedTrials {
			if i == maxFailedListed {
				fmt.Fprintf(w, "  … and %d more failed\n", len(s.FailedTrials)-i)
				break
			}
			fmt.Fprintf(w, "  %s %s (%s): stage %q: %s\n", t.Status, t.TrialID, t.Label, t.Stage, t.Error)
		}
		if toRun := s.Failed + s.Pending; toRun > 0 {
			fmt.Fprintf(w, "  estimated training time of the %s to run: %s one after another on one core",
				plural(toRun, "trial", "trials"), pipeline.FormatSeconds(s.TrainSeconds))
			if s.UnknownCost > 0 {
				fmt.Fprintf(w, ", plus %d of unknown cost", s.UnknownCost)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

func printTrainCost(w io.Writer, c *planTrainCost) {
	fmt.Fprintf(w, "%s: ", c.Stage)
	if c.Params == nil {
		fmt.Fprintf(w, "P = M(D+1) + K(M+1) with M = %d is unknown: %s\n", c.Hidden, c.Unknown)
		return
	}
	d, k, m := *c.Inputs, *c.Classes, c.Hidden
	fmt.Fprintf(w, "P = M(D+1) + K(M+1) = %d·%d + %d·%d = %d parameters (M = %d; D = %d, K = %d from the %s)\n",
		m, d+1, k, m+1, *c.Params, m, d, k, c.ShapeFrom)
	rows := "N unknown training rows"
	if c.TrainRows != nil {
		rows = fmt.Sprintf("N = %d training rows", *c.TrainRows)
	}
	if c.Method == nn.Backprop.String() {
		fmt.Fprintf(w, "  backprop gradient: 1 forward and 1 backward pass over %s per step\n", rows)
	} else {
		fmt.Fprintf(w, "  %s gradient: 2P = %d forward passes over %s per step", c.Method, *c.ForwardPassesPerStep, rows)
		if c.TrainRows != nil {
			fmt.Fprintf(w, " (%d row passes)", *c.ForwardPassesPerStep*(*c.TrainRows))
		}
		fmt.Fprintln(w)
	}
	switch {
	case c.SecondsPerStep != nil:
		fmt.Fprintf(w, "  estimated %s per step, %s for %d steps (one core)", pipeline.FormatSeconds(*c.SecondsPerStep), pipeline.FormatSeconds(*c.Seconds), c.Steps)
		if c.Cached {
			fmt.Fprintf(w, "; cached: it took %s", pipeline.FormatSeconds(*c.CachedSeconds))
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "  time unknown: %s\n", c.Unknown)
	}
}

// planEstimator works out the size and cost of train stages. It remembers
// the datasets it read and the calibrations it timed, for the trials of a
// sweep.
type planEstimator struct {
	shapes map[string]planShape // dataset digest -> D, K, rows
	splits map[string]int       // split digest -> training rows
	est    *nn.Estimator
}

type planShape struct{ d, k, rows int }

func newPlanEstimator() *planEstimator {
	return &planEstimator{shapes: map[string]planShape{}, splits: map[string]int{}, est: nn.NewEstimator()}
}

func intPtr(v int) *int { return &v }

// trainCost sizes a train step of plan, given the results of the stages
// that are cached.
func (est *planEstimator) trainCost(plan *pipeline.Chain, step *pipeline.Step, cached map[string]*pipeline.StageResult) *planTrainCost {
	p, ok := step.Params.(*train.Params)
	if !ok {
		return &planTrainCost{Stage: step.ID, Unknown: fmt.Sprintf("stage %q has no train parameters", step.ID)}
	}
	method := nn.Numerical
	switch {
	case p.Gradient == "backprop":
		method = nn.Backprop
	case p.Numerical == "full":
		method = nn.NumericalFull
	}
	c := &planTrainCost{Stage: step.ID, Method: method.String(), Hidden: p.Hidden, Steps: p.Steps}
	shape, from, why := est.datasetShape(plan, step, cached)
	if why != "" {
		c.Unknown = why
		return c
	}
	c.Inputs, c.Classes, c.ShapeFrom = intPtr(shape.d), intPtr(shape.k), from
	s := nn.Shape{D: shape.d, M: p.Hidden, K: shape.k}
	np := s.NumParams()
	c.Params = intPtr(np)
	if method == nn.Backprop {
		c.ForwardPassesPerStep = intPtr(1)
	} else {
		c.ForwardPassesPerStep = intPtr(2 * np)
	}
	n, why := est.trainRows(plan, step, cached, shape.rows)
	if why != "" {
		c.Unknown = why
		return c
	}
	c.TrainRows = intPtr(n)
	if n < 1 {
		c.Unknown = "the split leaves no training rows"
		return c
	}
	perStep := est.est.StepSeconds(method, s, n)
	total := perStep * float64(p.Steps)
	c.SecondsPerStep, c.Seconds = &perStep, &total
	return c
}

// planBinding returns the step's binding of slot.
func planBinding(step *pipeline.Step, slot string) (pipeline.Binding, bool) {
	for _, b := range step.Inputs {
		if b.Slot == slot {
			return b, true
		}
	}
	return pipeline.Binding{}, false
}

func planStepByID(plan *pipeline.Chain, id string) *pipeline.Step {
	for _, s := range plan.Stages {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// datasetShape returns D, K and the number of rows of the dataset step
// reads: from the cached file when its producer is cached, otherwise from
// the producer's parameters where they tell (generate, and standardize
// passing its input through). why says what is unknown.
func (est *planEstimator) datasetShape(plan *pipeline.Chain, step *pipeline.Step, cached map[string]*pipeline.StageResult) (shape planShape, from, why string) {
	b, ok := planBinding(step, "dataset")
	if !ok {
		return shape, "", "the stage reads no dataset"
	}
	if r := cached[b.From]; r != nil {
		digest := r.Digests[b.FromSlot]
		if s, ok := est.shapes[digest]; ok {
			return s, "cached dataset", ""
		}
		d, err := dataset.ReadFile(r.Outputs[b.FromSlot])
		if err != nil {
			return shape, "", fmt.Sprintf("read the cached dataset of stage %q: %v", b.From, err)
		}
		s := planShape{d: d.Dims(), k: len(d.Classes), rows: d.Rows()}
		est.shapes[digest] = s
		return s, "cached dataset", ""
	}
	src := planStepByID(plan, b.From)
	switch params := src.Params.(type) {
	case *generate.Params:
		k := 2
		switch params.Dataset {
		case "gaussian_mixture":
			k = len(params.Mixture.Cumulative)
		case "spirals":
			k = params.Classes
		}
		return planShape{d: 2, k: k, rows: params.N}, "config", ""
	}
	if src.Kind == "standardize" { // same shape as its input
		return est.datasetShape(plan, src, cached)
	}
	return shape, "", fmt.Sprintf("the dataset of stage %q (%s) is not cached yet, and its shape cannot be told from the config", src.ID, src.Kind)
}

// trainRows returns N, the training rows of step: from the cached split,
// or round(train_ratio · rows) from the split's parameters (per class when
// stratified, so it may then be off by a row or two per class).
func (est *planEstimator) trainRows(plan *pipeline.Chain, step *pipeline.Step, cached map[string]*pipeline.StageResult, rows int) (int, string) {
	b, ok := planBinding(step, "split")
	if !ok {
		return rows, ""
	}
	if r := cached[b.From]; r != nil {
		digest := r.Digests[b.FromSlot]
		if n, ok := est.splits[digest]; ok {
			return n, ""
		}
		s, err := dataset.ReadSplit(r.Outputs[b.FromSlot])
		if err != nil {
			return 0, fmt.Sprintf("read the cached split of stage %q: %v", b.From, err)
		}
		est.splits[digest] = len(s.Train)
		return len(s.Train), ""
	}
	if params, ok := planStepByID(plan, b.From).Params.(*split.Params); ok {
		return int(math.Round(params.TrainRatio * float64(rows))), ""
	}
	return 0, fmt.Sprintf("the training rows of stage %q are not cached yet", b.From)
}
