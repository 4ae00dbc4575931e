// Package split is the `split` stage kind: it divides a data set's rows
// into a training part and a test part, by a ratio (in data order,
// shuffled, or stratified by class), by a 0/1 or train/test column of the
// data, or as one fold of a k-fold cross-validation.
package split

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/rng"
)

// Params are the `split` stage's parameters.
type Params struct {
	TrainRatio float64 `yaml:"train_ratio" doc:"fraction of the rows that train, strictly between 0 and 1; unused with column"`
	Shuffle    bool    `yaml:"shuffle" doc:"shuffle the rows before splitting; false keeps the book's way: the first rows train"`
	Stratify   bool    `yaml:"stratify" doc:"keep each class's proportion in both parts: round(train_ratio × its rows) of each class train"`
	Column     string  `yaml:"column" doc:"a column the load stage kept: 1/true/train marks a training row, 0/false/test a test row; empty: split by train_ratio"`
	Seed       *uint64 `yaml:"seed" doc:"random seed of the shuffle; default derived from the master seed and the stage id"`
	RNG        string  `yaml:"rng" doc:"random generator of the shuffle: pcg or numpy"`
	// Folds and Fold are left out of the canonical form at 0, so that the
	// splits of configs without them keep their keys.
	Folds int `yaml:"folds,omitempty" doc:"k-fold cross-validation: the rows (shuffled and stratified as asked) fall into this many folds, >= 2; 0: split by train_ratio"`
	Fold  int `yaml:"fold,omitempty" doc:"with folds: the fold that is the test part, 0 to folds-1, the others training; sweep it for cross-validation"`
}

// NewParams returns the defaults: half the rows train, in data order.
func NewParams() *Params { return &Params{TrainRatio: 0.5, RNG: rng.PCG} }

// DefaultSeeds fills an unset seed from the master seed and the stage id.
func (p *Params) DefaultSeeds(master uint64, id string) {
	rng.DefaultSeed(&p.Seed, p.RNG, master, id, "")
}

// Validate checks ranges, and that a column split asks for no shuffle or
// stratification, which it would otherwise silently ignore.
func (p *Params) Validate() []pipeline.FieldError {
	var errs []pipeline.FieldError
	if !(p.TrainRatio > 0 && p.TrainRatio < 1) {
		errs = append(errs, pipeline.RangeError("train_ratio", p.TrainRatio, "strictly between 0 and 1"))
	}
	if _, err := rng.New(p.RNG, *p.Seed); err != nil {
		key := "rng"
		if errors.Is(err, rng.ErrSeedRange) {
			key = "seed"
		}
		errs = append(errs, pipeline.Errorf(key, "%v", err))
	}
	if p.Column != "" {
		if p.Shuffle {
			errs = append(errs, pipeline.Errorf("shuffle", "does not apply with column %q, which decides the parts (rows keep the data order)", p.Column))
		}
		if p.Stratify {
			errs = append(errs, pipeline.Errorf("stratify", "does not apply with column %q, which decides the parts", p.Column))
		}
		if p.Folds != 0 {
			errs = append(errs, pipeline.Errorf("folds", "does not apply with column %q, which decides the parts", p.Column))
		}
	}
	switch {
	case p.Folds < 0 || p.Folds == 1:
		errs = append(errs, pipeline.Errorf("folds", "must be 0 (no cross-validation) or at least 2, got %d", p.Folds))
	case p.Folds == 0 && p.Fold != 0:
		errs = append(errs, pipeline.Errorf("fold", "needs folds, the number of folds (fold %d of how many?)", p.Fold))
	case p.Folds >= 2 && (p.Fold < 0 || p.Fold >= p.Folds):
		errs = append(errs, pipeline.Errorf("fold", "must be between 0 and %d (folds - 1), got %d", p.Folds-1, p.Fold))
	}
	return errs
}

// UnusedKeys names the parameters that do not affect the split: with
// column, everything but the column; without shuffling, the seed and the
// generator; with folds, the ratio; without, the fold.
func (p *Params) UnusedKeys() []string {
	var keys []string
	switch {
	case p.Column != "":
		return []string{"train_ratio", "shuffle", "stratify", "seed", "rng", "folds", "fold"}
	case !p.Shuffle:
		keys = append(keys, "seed", "rng")
	}
	if p.Folds >= 2 {
		keys = append(keys, "train_ratio")
	} else {
		keys = append(keys, "fold")
	}
	return keys
}

// Spec returns the stage kind.
func Spec() pipeline.Spec {
	return pipeline.Spec{
		// Version 2: the split records the rows it was made for. Version 3: a split column's
		// numbers are decimals, as load reads them (version 2 took 0x1p0 for a training row).
		Kind: "split", Version: 3,
		Doc: "divides the rows into a training part and a test part (by ratio, stratified, by a 0/1 column, or one fold of k)",
		Inputs: []pipeline.Input{{Slot: "dataset", Type: "dataset", Column: func(p pipeline.Params) (string, string) {
			return p.(*Params).Column, "column"
		}}},
		Outputs:   []pipeline.Output{{Slot: "split", Type: "split", File: "split.parquet", RowsFrom: "dataset", ReadShape: model.SplitShape}},
		NewParams: func() pipeline.Params { return NewParams() },
		// The training rows, round(train_ratio × rows): per class when
		// stratified, so it may be off by a row or two per class then.
		Shape: func(p pipeline.Params, in map[string]pipeline.Shape) map[string]pipeline.Shape {
			d, ok := in["dataset"]
			if !ok {
				return nil
			}
			return map[string]pipeline.Shape{"split": {Rows: int(math.Round(p.(*Params).TrainRatio * float64(d.Rows)))}}
		},
		Run: func(ctx context.Context, p pipeline.Params, io *pipeline.IO) error {
			d, err := dataset.ReadFile(io.Input("dataset"))
			if err != nil {
				return fmt.Errorf("read dataset: %w", err)
			}
			s, err := Split(ctx, d, p.(*Params))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				return pipeline.Invalid(err)
			}
			if missing := untrained(d, s.Train); len(missing) > 0 {
				io.Log.Warn(untrainedWarning(d, missing, p.(*Params)), "stage", io.StageID)
			}
			s.Of = dataset.RowsOf(d)
			return dataset.WriteSplit(io.Output("split"), s)
		},
	}
}

// Split assigns the rows of d to the two parts. With p.Column, the values
// of that extra column decide (see [ByColumn]). With p.Folds, fold p.Fold
// of the (shuffled) rows is the test part (see kFold). Otherwise
// round(ratio·n) rows train, or when stratified round(ratio·n_c) rows of
// each class c, in data order unless shuffled; within each part rows keep
// the (shuffled) order. A part left empty, or when stratified a class too
// small to have rows in both parts, is an error that names it. It stops
// with ctx's error when ctx is done.
func Split(ctx context.Context, d *dataset.Dataset, p *Params) (dataset.Split, error) {
	if p.Column != "" {
		values, ok := d.ExtraColumn(p.Column)
		if !ok {
			return dataset.Split{}, missingColumn(d, p.Column)
		}
		return ByColumn(ctx, p.Column, values)
	}
	labels, classes := d.Labels, d.Classes
	n := len(labels)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if p.Shuffle {
		src, err := rng.New(p.RNG, *p.Seed)
		if err != nil {
			return dataset.Split{}, err
		}
		if err := shuffle(ctx, order, src); err != nil {
			return dataset.Split{}, err
		}
	}
	if p.Folds >= 2 {
		return kFold(ctx, d, order, p)
	}
	var s dataset.Split
	if !p.Stratify {
		nTrain := int(math.Round(p.TrainRatio * float64(n)))
		if nTrain == 0 || nTrain == n {
			return s, fmt.Errorf("train_ratio %v of %s leaves the %s part empty", p.TrainRatio, plural(n, "row"), emptyPart(nTrain))
		}
		s.Train = append([]int(nil), order[:nTrain]...)
		s.Test = append([]int(nil), order[nTrain:]...)
		return s, nil
	}
	counts := make([]int, len(classes))
	for _, l := range labels {
		counts[l]++
	}
	take := make([]int, len(classes))
	for c, m := range counts {
		k := int(math.Round(p.TrainRatio * float64(m)))
		if m > 0 && (k == 0 || k == m) {
			return s, fmt.Errorf("stratify: class %q has %s, too few to put some in both parts with train_ratio %v (round(%v × %d) = %d train)",
				classes[c], plural(m, "row"), p.TrainRatio, p.TrainRatio, m, k)
		}
		take[c] = k
	}
	// Keep the shuffled (or data) order within each part.
	seen := make([]int, len(classes))
	for i, r := range order {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return dataset.Split{}, err
			}
		}
		c := labels[r]
		if seen[c] < take[c] {
			s.Train = append(s.Train, r)
		} else {
			s.Test = append(s.Test, r)
		}
		seen[c]++
	}
	return s, nil
}

// kFold makes fold p.Fold of p.Folds the test part and the other folds the
// training part. The rows, in the given order, fall into consecutive folds
// of ⌊n/k⌋ or ⌊n/k⌋+1 rows (the first n mod k folds one more), as
// scikit-learn's KFold; stratified, each class's rows do, in order, the
// extra rows of one class going to the folds after the previous class's,
// so that the folds' sizes differ by at most one. Both parts keep the
// order. A fold left empty (more folds than rows, or than a class's rows
// when stratified) is an error naming the folds.
func kFold(ctx context.Context, d *dataset.Dataset, order []int, p *Params) (dataset.Split, error) {
	k := p.Folds
	fold := make([]int, len(d.Labels)) // by row
	if !p.Stratify {
		if n := len(order); k > n {
			return dataset.Split{}, fmt.Errorf("folds: %d is more than the %s: a fold would be empty", k, plural(n, "row"))
		}
		deal(order, k, 0, fold)
	} else {
		byClass := make([][]int, len(d.Classes))
		for _, r := range order {
			byClass[d.Labels[r]] = append(byClass[d.Labels[r]], r)
		}
		offset := 0
		for c, rows := range byClass {
			if len(rows) > 0 && len(rows) < k {
				return dataset.Split{}, fmt.Errorf("folds: %d is more than class %q's %s: stratified, every fold needs a row of each class",
					k, d.Classes[c], plural(len(rows), "row"))
			}
			offset = deal(rows, k, offset, fold)
		}
	}
	var s dataset.Split
	for i, r := range order {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return dataset.Split{}, err
			}
		}
		if fold[r] == p.Fold {
			s.Test = append(s.Test, r)
		} else {
			s.Train = append(s.Train, r)
		}
	}
	return s, nil
}

// deal assigns rows, in order, to k folds of consecutive rows, fold[r]
// being row r's: ⌊n/k⌋ rows each, and one more for the n mod k folds from
// offset on (cyclically). It returns the offset after them.
func deal(rows []int, k, offset int, fold []int) int {
	n := len(rows)
	size, extra := n/k, n%k
	i := 0
	for f := range k {
		m := size
		if (f-offset+k)%k < extra {
			m++
		}
		for _, r := range rows[i : i+m] {
			fold[r] = f
		}
		i += m
	}
	return (offset + extra) % k
}

// ByColumn splits rows by the values of the named column: "1", "true" or
// "train" (in any letter case, around spaces) puts a row in the training
// part, "0", "false" or "test" in the test part, and any other number equal
// to 1 or 0 ("1.0") counts as that number. Rows keep the data order. Any
// other value, or a part left empty, is an error naming the column (and the
// row, counted from 0 as the predictions' row column and load's messages
// count it). It stops with ctx's error when ctx is done.
func ByColumn(ctx context.Context, name string, values []string) (dataset.Split, error) {
	var s dataset.Split
	// A split column comes in long runs: parse a value only when it changes.
	last, lastTrain := "", false
	for i, v := range values {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return dataset.Split{}, err
			}
		}
		if i == 0 || v != last {
			train, ok := partOf(v)
			if !ok {
				return dataset.Split{}, fmt.Errorf("column %q: row %d: %s is not 1/true/train or 0/false/test", name, i, strconv.Quote(v))
			}
			last, lastTrain = v, train
		}
		if lastTrain {
			s.Train = append(s.Train, i)
		} else {
			s.Test = append(s.Test, i)
		}
	}
	switch {
	case len(s.Train) == 0:
		return dataset.Split{}, fmt.Errorf("column %q puts all %s in the test part; the training part is empty", name, plural(len(values), "row"))
	case len(s.Test) == 0:
		return dataset.Split{}, fmt.Errorf("column %q puts all %s in the training part; the test part is empty", name, plural(len(values), "row"))
	}
	return s, nil
}

// partOf reads one value of a split column; train is true for a training row.
func partOf(v string) (train, ok bool) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "1", "true", "train":
		return true, true
	case "0", "false", "test":
		return false, true
	}
	if f, err := dataset.ParseNumber(v); err == nil && (f == 0 || f == 1) {
		return f == 1, true
	}
	return false, false
}

// missingColumn explains why d has no extra column of that name.
func missingColumn(d *dataset.Dataset, name string) error {
	if slices.Contains(d.Features, name) {
		return fmt.Errorf("column %q is a feature, so the model would learn from the split; list it under the load stage's keep, which carries it without making it a feature", name)
	}
	if len(d.Extra) == 0 {
		return fmt.Errorf("column %q is not in the dataset, which carries no extra columns; list it under the load stage's keep", name)
	}
	names := make([]string, len(d.Extra))
	for i, c := range d.Extra {
		names[i] = c.Name
	}
	return fmt.Errorf("column %q is not in the dataset, which carries %s; list it under the load stage's keep", name, strings.Join(names, ", "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func emptyPart(nTrain int) string {
	if nTrain == 0 {
		return "training"
	}
	return "test"
}

// shuffle is a Fisher–Yates shuffle driven by src's uniform draws, so both
// generator kinds can shuffle. It stops with ctx's error when ctx is done.
func shuffle(ctx context.Context, a []int, src rng.Source) error {
	for i := len(a) - 1; i > 0; i-- {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		j := int(src.Float64() * float64(i+1))
		a[i], a[j] = a[j], a[i]
	}
	return nil
}

// checkEvery is how many rows a loop handles between two looks at its
// context.
const checkEvery = 1 << 16

// untrained returns the classes that have rows in d but none among the
// training rows: a model trained on the split can never predict them.
func untrained(d *dataset.Dataset, train []int) []int {
	inData := make([]bool, len(d.Classes))
	for _, l := range d.Labels {
		inData[l] = true
	}
	inTrain := make([]bool, len(d.Classes))
	for _, r := range train {
		inTrain[d.Labels[r]] = true
	}
	var missing []int
	for c := range d.Classes {
		if inData[c] && !inTrain[c] {
			missing = append(missing, c)
		}
	}
	return missing
}

// untrainedWarning says which classes the training part lacks and what
// would most likely mend it: rows sorted by class and split in data order
// put whole classes in the test part.
func untrainedWarning(d *dataset.Dataset, missing []int, p *Params) string {
	names := make([]string, 0, 3)
	for _, c := range missing[:min(3, len(missing))] {
		names = append(names, config.QuoteShort(d.Classes[c]))
	}
	what := strings.Join(names, ", ")
	if more := len(missing) - len(names); more > 0 {
		what += fmt.Sprintf(" and %d more", more)
	}
	msg := fmt.Sprintf("the training part has no rows of class %s, which the data holds: the model cannot learn to predict it", what)
	if len(missing) > 1 {
		msg = fmt.Sprintf("the training part has no rows of classes %s, which the data holds: the model cannot learn to predict them", what)
	}
	switch {
	case p.Column != "":
		return msg + fmt.Sprintf(" (column %q puts all of them in the test part)", p.Column)
	case !p.Shuffle:
		return msg + " (in data order, rows sorted by class put whole classes in the test part: shuffle: true or stratify: true mixes them)"
	default:
		return msg + " (stratify: true puts some of each class in both parts)"
	}
}
