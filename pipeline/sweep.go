package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nnpipe/nnpipe/pipeline/config"
	yaml "go.yaml.in/yaml/v3"
)

// AxisValue is one swept key's value in a trial.
type AxisValue struct {
	Key   string
	Value string // as written in the config
}

// Trial is one point of a sweep grid, compiled.
type Trial struct {
	ID     string      // the first 12 hex of the chain's hash: the same trial has the same id in every sweep
	Values []AxisValue // in axis order
	Chain  *Chain
}

// TrialIDLen is how many hex digits of the effective config's hash name a trial.
const TrialIDLen = 12

// Label returns the trial's swept values as `train.hidden=4 seed=2`, a
// value quoted when it would not read as itself (config.Shown), such as
// an empty one.
func (t *Trial) Label() string {
	parts := make([]string, len(t.Values))
	for i, v := range t.Values {
		// A value of megabytes is named by its first characters.
		shown := config.Shown(v.Value)
		if utf8.RuneCountInString(v.Value) > 64 {
			shown = config.QuoteShort(v.Value)
		}
		parts[i] = v.Key + "=" + shown
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
// trial is reported once. Two trials that compute the same thing — they
// differ only in keys the stages do not use (a `sweep.` prefix inside
// sweep:, a seed every stage sets itself, a parameter the stage reports
// Unused) or in the name — are a problem of the axes they differ in; two
// whose values decode alike are a problem of the axis that gives a value
// twice (2 and 2.0). It
// checks ctx between trials and returns ctx's error, and no trials, once
// ctx is done.
//
// The wiring of the stages is compiled once, and a stage's parameters once
// per distinct setting of the axes that reach it (its own keys, and seed
// for a stage that draws random numbers): trials share those steps.
func Expand(ctx context.Context, f *config.File, reg *Registry) ([]*Trial, error) {
	return expand(ctx, f, reg, nil)
}

// expand is Expand; onTrial, when set, is called after each trial of the
// grid with how many have been expanded.
func expand(ctx context.Context, f *config.File, reg *Registry, onTrial func(done uint64)) ([]*Trial, error) {
	if len(f.Sweep) == 0 {
		return nil, config.Errors{{File: f.Path, Msg: "no sweep grid: add a sweep: section or --set sweep.KEY=v1,v2"}}
	}
	size, ok := GridSize(f.Sweep)
	if !ok || size == 0 {
		return nil, config.Errors{{File: f.Path, Key: "sweep", Msg: "the grid is empty or too large"}}
	}
	w := newWiring(f, reg)
	base := ConfigDir(f.Path)
	errs := f.SweptOverrides()
	for _, e := range w.errs {
		errs = append(errs, e...)
	}
	if len(errs) > 0 {
		return nil, errs // the same for every trial: no trial to name
	}
	memo := newStepMemo(f, w)
	if err := memo.checkWork(f); err != nil {
		return nil, err
	}
	var trials []*Trial
	seenErr := map[string]int{}                    // message without the trial -> count
	computed := map[[sha256.Size]byte]computedBy{} // what a trial computes -> the first trial that does
	unusedReported := map[string]bool{}            // axes already reported as not used
	idx := make([]int, len(f.Sweep))
	keys := make([]string, len(f.Sweep))
	for i, a := range f.Sweep {
		keys[i] = a.Key
	}
	nodes := make([]*yaml.Node, len(f.Sweep))
	for n := uint64(0); n < size; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		values := make([]AxisValue, len(f.Sweep))
		for i, a := range f.Sweep {
			nodes[i] = a.Values[idx[i]]
			values[i] = AxisValue{Key: a.Key, Value: nodes[i].Value}
		}
		t := &Trial{Values: values}
		tf, bad, setErr := f.SetAll(keys, nodes)
		if setErr != nil {
			a := f.Sweep[bad]
			addTrialErr(&errs, seenErr, &config.Error{File: f.Path, Line: a.Line, Origin: a.Origin, Key: "sweep." + a.Key, Msg: setErr.Error()}, t.Label())
		} else {
			// The chain keeps the sweep's file, not the trial's copy: the
			// trial's values are in its steps, and a grid of many trials
			// should not hold a copy of the config each.
			chain := &Chain{File: f, Name: tf.Name, Seed: tf.Seed, BaseDir: base}
			var stepErrs config.Errors
			what := sha256.New() // what the trial computes: each stage's parameters that have an effect
			all := sha256.New()  // the trial's values as decoded: name, seed and each stage's parameters (canonical)
			all.Write([]byte(tf.Name))
			all.Write(binary.AppendUvarint([]byte{0}, tf.Seed))
			for i := range f.Stages {
				if w.specs[i] == nil {
					continue // a stage without a kind, which parsing reported
				}
				ms := memo.step(tf, i, idx)
				stepErrs = append(stepErrs, ms.errs...)
				chain.Stages = append(chain.Stages, ms.step)
				what.Write([]byte(ms.step.ID))
				what.Write([]byte{0})
				what.Write(ms.used)
				what.Write([]byte{0})
				all.Write([]byte(ms.step.ID))
				all.Write([]byte{0})
				all.Write(ms.same)
				all.Write([]byte{0})
			}
			if len(stepErrs) == 0 {
				stepErrs = checkColumns(tf, chain.Stages)
			}
			for _, e := range stepErrs {
				addTrialErr(&errs, seenErr, e, t.Label())
			}
			if len(stepErrs) == 0 {
				if err := chain.hash(); err != nil {
					return nil, err
				}
				t.Chain = chain
				t.ID = chain.Hash[:TrialIDLen]
				var sum, values [sha256.Size]byte
				what.Sum(sum[:0])
				all.Sum(values[:0])
				if first, dup := computed[sum]; dup {
					if e := sameTrials(f, gridIndex(f, first.n), idx, first.values == values, unusedReported); e != nil {
						errs = append(errs, e)
					}
				} else {
					computed[sum] = computedBy{n, values}
					trials = append(trials, t)
				}
			}
		}
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(f.Sweep[i].Values) {
				break
			}
			idx[i] = 0
		}
		if onTrial != nil {
			onTrial(n + 1)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	seenID := make(map[string]*Trial, len(trials))
	for _, t := range trials {
		if other, dup := seenID[t.ID]; dup {
			return nil, fmt.Errorf("trials %s and %s share the id %s, the first %d hex digits of their config hashes", other.Label(), t.Label(), t.ID, TrialIDLen)
		}
		seenID[t.ID] = t
	}
	return trials, nil
}

// computedBy is the first trial of a grid to compute something: its grid
// number, and the digest of its values as decoded.
type computedBy struct {
	n      uint64
	values [sha256.Size]byte
}

// sameTrials reports two trials, with value indices a and b, that compute
// the same thing: when their values decode alike (sameValues), an axis
// that gives one value twice; otherwise the axes they differ in, which
// they do not use.
func sameTrials(f *config.File, a, b []int, sameValues bool, reported map[string]bool) *config.Error {
	if sameValues {
		if e := sameValue(f, a, b, reported); e != nil || differIn(a, b) == 1 {
			return e
		}
	}
	return sameComputation(f, a, b, reported)
}

// differIn counts the axes in which value indices a and b differ.
func differIn(a, b []int) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// sameValue reports the axis in which two trials whose values decode alike
// differ, when they differ in one: two of its values are one value written
// twice (2 and 2.0, 0.1 and 0.10000000000000001, or 2 and 2). Each axis is
// reported once, by this or by sameComputation.
func sameValue(f *config.File, a, b []int, reported map[string]bool) *config.Error {
	if differIn(a, b) != 1 {
		return nil
	}
	i := 0
	for a[i] == b[i] {
		i++
	}
	axis := f.Sweep[i]
	if reported[axis.Key] {
		return nil
	}
	reported[axis.Key] = true // as sameComputation marks an axis
	line := axis.Line
	if v := axis.Values[b[i]]; v.Line > 0 {
		line = v.Line
	}
	return &config.Error{File: f.Path, Line: line, Origin: axis.Origin, Key: "sweep." + axis.Key,
		Msg: fmt.Sprintf("%s and %s are the same value; give each value once",
			shownValue(axis.Values[a[i]]), shownValue(axis.Values[b[i]]))}
}

// shownValue is a sweep value as written, quoted when it would not read as
// itself on one line.
func shownValue(n *yaml.Node) string {
	return config.Shown(n.Value)
}

// gridIndex returns the value indices of trial n of f's grid.
func gridIndex(f *config.File, n uint64) []int {
	idx := make([]int, len(f.Sweep))
	for i := len(f.Sweep) - 1; i >= 0; i-- {
		k := uint64(len(f.Sweep[i].Values))
		idx[i] = int(n % k)
		n /= k
	}
	return idx
}

// sameComputation reports two trials, with value indices a and b, that
// compute the same thing: the axes in which they differ are not used by
// them. Each set of such axes is reported once.
func sameComputation(f *config.File, a, b []int, reported map[string]bool) *config.Error {
	var differ, same []int
	for i := range f.Sweep {
		if a[i] != b[i] {
			differ = append(differ, i)
		} else if len(f.Sweep[i].Values) > 1 {
			same = append(same, i)
		}
	}
	names := make([]string, len(differ))
	explained := true // every axis in which they differ is reported as unused already
	for k, i := range differ {
		names[k] = f.Sweep[i].Key
		explained = explained && reported[names[k]]
	}
	id := strings.Join(names, "\x00")
	if reported[id] || explained {
		return nil
	}
	reported[id] = true
	value := func(i, v int) string { return f.Sweep[i].Key + "=" + f.Sweep[i].Values[v].Value }
	first := f.Sweep[differ[0]]
	e := &config.Error{File: f.Path, Line: first.Line, Origin: first.Origin}
	var context []string
	for _, i := range same {
		context = append(context, value(i, a[i]))
	}
	when := ""
	if len(context) > 0 {
		when = " when " + strings.Join(context, " ")
	}
	if len(differ) == 1 {
		i := differ[0]
		e.Key = "sweep." + f.Sweep[i].Key
		e.Msg = fmt.Sprintf("%s and %s give the same computation%s: the trials do not use this key, and their results would be labelled with values that made no difference",
			f.Sweep[i].Values[a[i]].Value, f.Sweep[i].Values[b[i]].Value, when)
		return e
	}
	var ta, tb []string
	for _, i := range differ {
		ta, tb = append(ta, value(i, a[i])), append(tb, value(i, b[i]))
	}
	e.Key = "sweep"
	e.Msg = fmt.Sprintf("the trials %s and %s give the same computation%s: the trials do not use %s as swept",
		strings.Join(ta, " "), strings.Join(tb, " "), when, strings.Join(names, " and "))
	return e
}

// stepMemo keeps each stage's compiled step per setting of the axes that
// reach the stage, so that trials differing elsewhere share it.
type stepMemo struct {
	w     *wiring
	axes  [][]int                // by stage: the axes that reach it
	steps []map[string]*memoStep // by stage: axis value indices -> step
	key   []byte
	tags  fieldCache // the parameter structs' tags, read once
	base  string     // the config's folder (ConfigDir), against which paths resolve
}

type memoStep struct {
	step *Step
	errs config.Errors
	used []byte // the canonical JSON of the parameters that have an effect (see Unused)
	// same is the canonical JSON of the parameters written the one way
	// that gives their effect (see Canonical): equal for two settings that
	// differ only in how a value is written.
	same []byte
}

func newStepMemo(f *config.File, w *wiring) *stepMemo {
	m := &stepMemo{w: w, axes: make([][]int, len(f.Stages)), steps: make([]map[string]*memoStep, len(f.Stages)), tags: fieldCache{}, base: ConfigDir(f.Path)}
	for i, st := range f.Stages {
		if w.specs[i] == nil {
			continue
		}
		_, seeded := w.specs[i].NewParams().(Seeded)
		every := true // every axis that varies reaches the stage: no two trials share it
		for a, axis := range f.Sweep {
			head, _, _ := strings.Cut(axis.Key, ".")
			if head == st.ID || (head == "seed" && seeded) {
				m.axes[i] = append(m.axes[i], a)
			} else if len(axis.Values) > 1 {
				every = false
			}
		}
		if !every {
			m.steps[i] = map[string]*memoStep{}
		}
	}
	return m
}

// MaxGridValues bounds how many parameter values expanding a grid may
// decode: each stage's values times the settings of the axes that reach it.
// Decoding takes about 0.2 µs a value, so a grid within the bound is
// expanded in seconds; one beyond it (long lists in a stage swept many
// ways) is refused before any work rather than taking minutes.
const MaxGridValues = 20_000_000

// checkWork refuses a grid whose expansion would decode more than
// MaxGridValues parameter values.
func (m *stepMemo) checkWork(f *config.File) error {
	total := uint64(0)
	for i, st := range f.Stages {
		if m.w.specs[i] == nil {
			continue
		}
		settings := uint64(1)
		for _, a := range m.axes[i] {
			settings *= uint64(len(f.Sweep[a].Values)) // at most the grid's size
		}
		values := settings * uint64(nodeCount(st.With))
		if total += values; total > MaxGridValues {
			return config.Errors{{File: f.Path, Line: st.Line, Key: "sweep", Stage: st.ID,
				Msg: fmt.Sprintf("the grid decodes this stage's %d parameter values in %d settings, more than %d values in all; sweep fewer values, or move long lists out of swept stages",
					nodeCount(st.With), settings, MaxGridValues)}}
		}
	}
	return nil
}

// nodeCount counts the nodes of n (0 for nil).
func nodeCount(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += nodeCount(k)
	}
	return c
}

// step returns stage i of the trial tf, whose axes take the values idx.
func (m *stepMemo) step(tf *config.File, i int, idx []int) *memoStep {
	m.key = m.key[:0]
	for _, a := range m.axes[i] {
		m.key = binary.AppendUvarint(m.key, uint64(idx[a]))
	}
	if ms, ok := m.steps[i][string(m.key)]; ok {
		return ms
	}
	step, errs := m.w.step(tf, i)
	ms := &memoStep{step: step, errs: errs}
	if len(errs) == 0 {
		var err error
		if step.with, step.direct, err = paramsJSON(step.Params, m.tags); err == nil {
			ms.same, ms.used, err = m.tags.sameJSON(step, m.base)
		}
		if err != nil {
			ms.errs = config.Errors{{File: tf.Path, Line: step.Line, Stage: step.ID, Msg: err.Error()}}
		}
	}
	if m.steps[i] != nil {
		m.steps[i][string(m.key)] = ms
	}
	return ms
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

// SweepIDLen is how many hex digits name a sweep's folder.
const SweepIDLen = 8

// SweepID names a sweep by its grid — each axis's key and values, in
// order — and its set of trials. Rerunning a sweep, or running it in
// shards, gives the same id, and so does a number spelled otherwise (2.0
// or 2e0 for 2, .5 for 0.5), as the trials' config hashes do; two grids
// whose trials coincide (one with an axis of a single value the config
// already has, say) do not, so neither overwrites the other's folder.
func SweepID(axes []*config.Axis, trials []*Trial) string {
	h := sha256.New()
	fmt.Fprintln(h, "nnpipe sweep 2")
	for _, a := range axes {
		fmt.Fprintf(h, "axis %q\n", a.Key)
		for _, v := range a.Values {
			fmt.Fprintf(h, "value %q\n", numberAsKeyed(v))
		}
	}
	for _, t := range SortByID(trials) {
		fmt.Fprintf(h, "trial %s\n", t.ID)
	}
	return hex.EncodeToString(h.Sum(nil))[:SweepIDLen]
}

// numberAsKeyed returns a sweep value as written, but a number in one
// spelling per value: an integer in decimal, a float in the shortest form
// that reads back as itself, and one with an integral value below 2⁵³ as
// that integer (2.0, 2e0 and 0x2 are 2; -0.0 is 0). Values that compute
// differently still give different ids, through the trial ids: this only
// keeps a respelling from naming another folder.
func numberAsKeyed(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return n.Value
	}
	switch n.ShortTag() {
	case "!!int":
		var u uint64
		if n.Decode(&u) == nil {
			return strconv.FormatUint(u, 10)
		}
		var i int64
		if n.Decode(&i) == nil {
			return strconv.FormatInt(i, 10)
		}
	case "!!float":
		var f float64
		if n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return n.Value
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return n.Value
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
// SLURM_ARRAY_TASK_ID: with auto/n, it is the shard itself (an array
// --array=0-(n-1), whose tasks can be resubmitted one by one, so
// SLURM_ARRAY_TASK_MAX must be below n); with auto, less
// SLURM_ARRAY_TASK_MIN when it is set, in steps of SLURM_ARRAY_TASK_STEP,
// of SLURM_ARRAY_TASK_COUNT shards (a range: SLURM_ARRAY_TASK_MAX, when
// set, must be its last task). An i/n given inside such a job must be the
// task's own shard — JOB_COMPLETION_INDEX, or SLURM_ARRAY_TASK_ID (of an n
// past SLURM_ARRAY_TASK_MAX) or its place in the array as auto counts it
// (of SLURM_ARRAY_TASK_COUNT) — since the same i/n in every task would run
// one shard many times and the others never. The
// variables are read through getenv; each must be such a number too.
// Errors are one line naming what was wrong.
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
	if i, n, err = checkShard(fmt.Sprintf("--shard %q", s), i, n); err != nil {
		return 0, 0, err
	}
	if err := checkTaskShard(fmt.Sprintf("--shard %q", s), i, n, getenv); err != nil {
		return 0, 0, err
	}
	return i, n, nil
}

// checkTaskShard refuses shard i of n, given by hand as flag, inside a
// Kubernetes Indexed Job or a Slurm job array whose task is another shard.
func checkTaskShard(flag string, i, n int, getenv func(string) string) error {
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		k, err := parseShardNumber(flag+": JOB_COMPLETION_INDEX", idx)
		if err != nil {
			return err
		}
		if k != i {
			return fmt.Errorf("%s: JOB_COMPLETION_INDEX is %s in this Kubernetes Indexed Job, another shard: give --shard auto/%d, or run shard %d outside the job", flag, idx, n, i)
		}
		return nil
	}
	a, err := readSlurmArray(flag, getenv)
	if err != nil || a == nil {
		return err
	}
	// The task's shard is its id, of a count past the array's last task
	// (as auto/n reads it), or its place in the array, of the array's
	// count (as auto does).
	pos, onStep := a.position()
	if (a.id == i && (a.max < 0 || a.max < n)) || (onStep && pos == i && (a.count < 0 || a.count == n)) {
		return nil
	}
	if a.id == i || (onStep && pos == i) {
		var set []string
		for _, v := range []struct {
			name string
			n    int
		}{{"SLURM_ARRAY_TASK_COUNT", a.count}, {"SLURM_ARRAY_TASK_MAX", a.max}} {
			if v.n >= 0 {
				set = append(set, v.name+" "+strconv.Itoa(v.n))
			}
		}
		return fmt.Errorf("%s: the count %d disagrees with this Slurm job array (%s): some of its tasks would be no shard, or some shards no task; give --shard auto/N with --array=0-(N-1)",
			flag, n, strings.Join(set, ", "))
	}
	return fmt.Errorf("%s: SLURM_ARRAY_TASK_ID is %d in this Slurm job array, another shard: give --shard auto/%d (the task id is the shard), or run shard %d outside the array", flag, a.id, n, i)
}

// slurmArray is what a Slurm job array's task reads of it; a field is -1
// when its variable is not set.
type slurmArray struct {
	id, count, min, max, step int
}

// readSlurmArray reads SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _MAX and _STEP
// through getenv, each a shard number (see parseShardNumber), what naming
// the shard in errors. It returns nil without SLURM_ARRAY_TASK_ID.
func readSlurmArray(what string, getenv func(string) string) (*slurmArray, error) {
	idx := getenv("SLURM_ARRAY_TASK_ID")
	if idx == "" {
		return nil, nil
	}
	a := &slurmArray{}
	for _, v := range []struct {
		name string
		to   *int
	}{{"ID", &a.id}, {"COUNT", &a.count}, {"MIN", &a.min}, {"MAX", &a.max}, {"STEP", &a.step}} {
		s := getenv("SLURM_ARRAY_TASK_" + v.name)
		if s == "" {
			*v.to = -1
			continue
		}
		n, err := parseShardNumber(what+": SLURM_ARRAY_TASK_"+v.name, s)
		if err != nil {
			return nil, err
		}
		*v.to = n
	}
	return a, nil
}

// position returns the task's place in the array counted from its first
// task in its steps, and false when the id is not on those steps.
func (a *slurmArray) position() (int, bool) {
	id, step := a.id, max(a.step, 1)
	if a.min >= 0 {
		if id < a.min {
			return 0, false
		}
		id -= a.min
	}
	if id%step != 0 {
		return 0, false
	}
	return id / step, true
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
	a, err := readSlurmArray("--shard auto", getenv)
	if err != nil {
		return 0, 0, err
	}
	if a == nil {
		return 0, 0, errors.New("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set")
	}
	what := "--shard auto: SLURM_ARRAY_TASK_ID " + strconv.Itoa(a.id)
	if hasCount {
		// With a count (auto/N), the array's indices are the shards, so
		// that a task resubmitted alone (sbatch --array=2) is still shard
		// 2 of N. An array with a task past N-1 (--array=1-N) has a task
		// that is no shard and a shard that is no task: every task is
		// refused, not only that one after the others ran.
		if a.max >= n {
			return 0, 0, fmt.Errorf("--shard auto/%d: SLURM_ARRAY_TASK_MAX %d: with --shard auto/%d the task ids are the shards, 0 to %d; submit the array as --array=0-%d", n, a.max, n, n-1, n-1)
		}
		return checkShard(what, a.id, n)
	}
	if a.count < 0 {
		return 0, 0, errors.New("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard auto/N")
	}
	// Without a count, the array is counted from its first index, in its
	// steps (--array=1-8 gives shards 0 to 7, --array=0-6:2 shards 0 to
	// 3), and must be such a range: the tasks of --array=0,2,5 would be
	// shards 0, 2 and 5 of 3.
	if a.step == 0 {
		return 0, 0, errors.New("--shard auto: SLURM_ARRAY_TASK_STEP 0: want a step of 1 or more")
	}
	if a.min >= 0 {
		if a.id < a.min {
			return 0, 0, fmt.Errorf("%s is below SLURM_ARRAY_TASK_MIN %d", what, a.min)
		}
		what += " - SLURM_ARRAY_TASK_MIN " + strconv.Itoa(a.min)
	}
	if a.step > 0 {
		what = "(" + what + ") / SLURM_ARRAY_TASK_STEP " + strconv.Itoa(a.step)
	}
	pos, ok := a.position()
	if !ok {
		return 0, 0, fmt.Errorf("%s: the id is not a multiple of SLURM_ARRAY_TASK_STEP %d: the array is not a range in steps; give --shard auto/N with indices 0 to N-1", what, a.step)
	}
	if a.min >= 0 && a.max >= 0 && a.count > 0 && a.max != a.min+max(a.step, 1)*(a.count-1) {
		return 0, 0, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_COUNT %d from SLURM_ARRAY_TASK_MIN %d to _MAX %d in steps of %d: the array is not a range in steps, and its tasks would not be shards 0 to %d; give --shard auto/N with indices 0 to N-1",
			a.count, a.min, a.max, max(a.step, 1), a.count-1)
	}
	return checkShard(what, pos, a.count)
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
