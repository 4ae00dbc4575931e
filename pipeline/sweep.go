package pipeline

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// AxisValue is one swept key's value in a trial.
type AxisValue struct {
	Key   string
	Value string // as written in the config
}

// Trial is one point of a sweep grid, compiled.
type Trial struct {
	ID     string      // the first 12 hex of the plan's hash: the same trial has the same id in every sweep
	Values []AxisValue // in axis order
	Plan   *Plan
}

// TrialIDLen is how many hex digits of the effective config's hash name a trial.
const TrialIDLen = 12

// Label returns the trial's swept values as `train.hidden=4 seed=2`.
func (t *Trial) Label() string {
	parts := make([]string, len(t.Values))
	for i, v := range t.Values {
		parts[i] = v.Key + "=" + v.Value
	}
	return strings.Join(parts, " ")
}

// GridSize returns the number of trials of the axes' cartesian product, and
// false if it does not fit in 64 bits. It expands nothing.
func GridSize(axes []*config.Axis) (uint64, bool) {
	size := uint64(1)
	for _, a := range axes {
		hi, lo := bits.Mul64(size, uint64(len(a.Values)))
		if hi != 0 {
			return 0, false
		}
		size = lo
	}
	return size, true
}

// Expand compiles every trial of f's sweep grid against reg, in grid order
// (the last axis varying fastest). It reports every problem of every trial,
// each naming its trial, before anything runs; a problem shared by every
// trial is reported once. Trials whose effective configs are equal are
// merged.
func Expand(f *config.File, reg *Registry) ([]*Trial, error) {
	if len(f.Sweep) == 0 {
		return nil, config.Errors{{File: f.Path, Msg: "no sweep grid: add a sweep: section or --set sweep.KEY=v1,v2"}}
	}
	size, ok := GridSize(f.Sweep)
	if !ok || size == 0 {
		return nil, config.Errors{{File: f.Path, Key: "sweep", Msg: "the grid is empty or too large"}}
	}
	var trials []*Trial
	var errs config.Errors
	seenErr := map[string]int{} // message without the trial -> count
	seenID := map[string]bool{}
	idx := make([]int, len(f.Sweep))
	for n := uint64(0); n < size; n++ {
		values := make([]AxisValue, len(f.Sweep))
		tf := f
		var setErr error
		for i, a := range f.Sweep {
			node := a.Values[idx[i]]
			values[i] = AxisValue{Key: a.Key, Value: node.Value}
			next, err := tf.Set(a.Key, node)
			if err != nil {
				setErr = err
				break
			}
			tf = next
		}
		t := &Trial{Values: values}
		if setErr != nil {
			addTrialErr(&errs, seenErr, &config.Error{File: f.Path, Line: axisLine(f, values), Key: "sweep", Msg: setErr.Error()}, t.Label())
		} else if plan, err := Compile(tf, reg); err != nil {
			var ce config.Errors
			if !errors.As(err, &ce) {
				return nil, err
			}
			for _, e := range ce {
				addTrialErr(&errs, seenErr, e, t.Label())
			}
		} else {
			t.Plan = plan
			t.ID = plan.Hash[:TrialIDLen]
			if !seenID[t.ID] {
				seenID[t.ID] = true
				trials = append(trials, t)
			}
		}
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(f.Sweep[i].Values) {
				break
			}
			idx[i] = 0
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return trials, nil
}

func axisLine(f *config.File, values []AxisValue) int {
	for _, a := range f.Sweep {
		if len(values) > 0 && a.Key == values[len(values)-1].Key {
			return a.Line
		}
	}
	return 0
}

// addTrialErr records e for the trial labelled label, once per distinct
// problem: the first trial with it is named.
func addTrialErr(errs *config.Errors, seen map[string]int, e *config.Error, label string) {
	msg := e.Error()
	seen[msg]++
	if seen[msg] > 1 {
		return
	}
	c := *e
	c.Trial = label
	*errs = append(*errs, &c)
}

// SortByID sorts trials by id: the order shards divide them in, which does
// not depend on how the grid was written.
func SortByID(trials []*Trial) []*Trial {
	out := append([]*Trial(nil), trials...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Shard returns the trials of shard i of n: those whose index in the list
// sorted by id is ≡ i (mod n).
func Shard(trials []*Trial, i, n int) []*Trial {
	var out []*Trial
	for k, t := range SortByID(trials) {
		if k%n == i {
			out = append(out, t)
		}
	}
	return out
}

// ParseShard parses `i/n`, `auto` or `auto/n`, where i and n are decimal
// numbers (digits only: no sign, space or anything after them) with
// 0 <= i < n. For auto, it reads the Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX (the count must then be given as auto/n) or Slurm's
// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (auto/n overrides the
// count), less SLURM_ARRAY_TASK_MIN when it is set, through getenv; each
// must be such a number too. Errors are one line naming what was wrong.
func ParseShard(s string, getenv func(string) string) (i, n int, err error) {
	spec, count, hasCount := strings.Cut(s, "/")
	if spec == "auto" {
		return parseAutoShard(count, hasCount, getenv)
	}
	if !hasCount {
		return 0, 0, fmt.Errorf("--shard %q: expected i/n, auto or auto/n", s)
	}
	if i, err = parseShardNumber("--shard "+strconv.Quote(s)+": index", spec); err != nil {
		return 0, 0, err
	}
	if n, err = parseShardNumber("--shard "+strconv.Quote(s)+": count", count); err != nil {
		return 0, 0, err
	}
	return checkShard(fmt.Sprintf("--shard %q", s), i, n)
}

func parseAutoShard(count string, hasCount bool, getenv func(string) string) (int, int, error) {
	n := 0
	if hasCount {
		var err error
		if n, err = parseShardNumber("--shard "+strconv.Quote("auto/"+count)+": count", count); err != nil {
			return 0, 0, err
		}
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		if !hasCount {
			return 0, 0, errors.New("--shard auto: JOB_COMPLETION_INDEX is set (Kubernetes); give the completion count as --shard auto/N")
		}
		i, err := parseShardNumber("--shard auto: JOB_COMPLETION_INDEX", idx)
		if err != nil {
			return 0, 0, err
		}
		return checkShard("--shard auto: JOB_COMPLETION_INDEX "+idx, i, n)
	}
	idx := getenv("SLURM_ARRAY_TASK_ID")
	if idx == "" {
		return 0, 0, errors.New("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set")
	}
	id, err := parseShardNumber("--shard auto: SLURM_ARRAY_TASK_ID", idx)
	if err != nil {
		return 0, 0, err
	}
	if !hasCount {
		c := getenv("SLURM_ARRAY_TASK_COUNT")
		if c == "" {
			return 0, 0, errors.New("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard auto/N")
		}
		if n, err = parseShardNumber("--shard auto: SLURM_ARRAY_TASK_COUNT", c); err != nil {
			return 0, 0, err
		}
	}
	// Arrays may start at any index (--array=1-8): count from the first.
	what := "--shard auto: SLURM_ARRAY_TASK_ID " + idx
	if lo := getenv("SLURM_ARRAY_TASK_MIN"); lo != "" {
		first, err := parseShardNumber("--shard auto: SLURM_ARRAY_TASK_MIN", lo)
		if err != nil {
			return 0, 0, err
		}
		if id < first {
			return 0, 0, fmt.Errorf("%s is below SLURM_ARRAY_TASK_MIN %s", what, lo)
		}
		id -= first
		what += " - SLURM_ARRAY_TASK_MIN " + lo
	}
	return checkShard(what, id, n)
}

// maxShardNumber bounds shard indexes and counts; far more shards than
// any grid has trials, and small enough for every int.
const maxShardNumber = 1<<31 - 1

// parseShardNumber parses a shard index or count strictly: ASCII digits
// only, at most maxShardNumber. what names it in the error.
func parseShardNumber(what, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%s is empty, want a number", what)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%s %q is not a number (digits only)", what, s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > maxShardNumber {
		return 0, fmt.Errorf("%s %q is too large (at most %d)", what, s, maxShardNumber)
	}
	return int(v), nil
}

func checkShard(what string, i, n int) (int, int, error) {
	if n < 1 || i >= n {
		return 0, 0, fmt.Errorf("%s: shard %d of %d, need 0 <= i < n", what, i, n)
	}
	return i, n, nil
}
