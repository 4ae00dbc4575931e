// Package model is the trained network as stages hand it to each other
// (model.json), and the helpers that stages share to read their inputs.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Format is the version of model.json's layout that this nnpipe writes, and the newest it
// reads. Format 1 (before nnpipe recorded the label column, the preprocessing and the source
// run in the file) is no longer read: a run made with it has to be run again.
const Format = 2

// HistoryStepsPerEpoch is the key of history.parquet's metadata that holds
// the updates of an epoch, when training drew mini-batches (the history then
// has an epoch column).
const HistoryStepsPerEpoch = "nnpipe.steps_per_epoch"

// HistoryColumn is history.parquet's column of parameter p of a network of
// shape s, the weight after each step: the book's name with its brackets
// made underscores, "w[j][i]" as "w_j_i" and "v[k][j]" as "v_k_j".
func HistoryColumn(s nn.Shape, p int) string {
	return strings.Map(func(c rune) rune {
		switch c {
		case '[':
			return '_'
		case ']':
			return -1 // dropped
		}
		return c
	}, s.ParamName(p))
}

// Model is a trained two-layer network and everything needed to score the user's raw rows
// with it: the columns it reads, the preprocessing fitted before it, its classes. It is
// model.json, the train stage's output; a run directory's copy also names its run (Source).
// The file holds every field under its json name, spelt exactly so, but those marked
// omitempty (source, l2, best_step), which it holds only when they apply; Parse refuses one
// that lacks a field, or holds it null or twice.
type Model struct {
	Format int    `json:"format"`
	Nnpipe string `json:"nnpipe"` // the version of nnpipe that trained it
	// Source is the run the file belongs to; nil in the cache, where one trained model serves
	// every run that reuses it, and set in a run directory (see Stamp).
	Source *Source `json:"source,omitempty"`
	D      int     `json:"d"` // inputs
	M      int     `json:"m"` // hidden units
	K      int     `json:"k"` // classes
	// Features are the user's feature columns, in the order the network takes them.
	Features []string `json:"features"`
	// Label is the user's label column ("label" for generated data).
	Label   string   `json:"label"`
	Classes []string `json:"classes"` // class names, by class id
	// Preprocess is what the stages between the user's columns and the network did to the
	// features, in the order they did it; empty ([] in the file, never null or left out) when
	// the network reads the columns as they are.
	Preprocess []Step    `json:"preprocess"`
	Weights    []float64 `json:"wv"`       // flat parameters: w row-major M×(D+1), then v row-major K×(M+1)
	Steps      int       `json:"steps"`    // updates made (fewer than asked when early stopping stopped training)
	Gradient   string    `json:"gradient"` // how it was trained
	// L2 is the weight decay α of the objective it was trained on, E + α/(2N) Σ w²; absent
	// when 0 (the book's).
	L2 float64 `json:"l2,omitempty"`
	// BestStep is, with early stopping, the update whose weights these are: the one with the
	// lowest validation error; absent without early stopping.
	BestStep int `json:"best_step,omitempty"`
}

// Source names the run a model file comes from by its config, not by its run id, so that two
// runs of one config write the same bytes.
type Source struct {
	Name         string `json:"name"`          // the config's name
	ConfigSHA256 string `json:"config_sha256"` // the hash of the run's effective config
}

// Standardize is the one preprocessing operation: x_j ↦ (x_j − Mean[j]) / Std[j].
const Standardize = "standardize"

// Step is one fitted preprocessing operation over the features, in model order.
type Step struct {
	Op   string    `json:"op"`   // Standardize
	Mean []float64 `json:"mean"` // one per feature
	Std  []float64 `json:"std"`  // one per feature, > 0
}

// Shape returns the network's shape.
func (m *Model) Shape() nn.Shape { return nn.Shape{D: m.D, M: m.M, K: m.K} }

// Marshal returns m as model.json's bytes: indented JSON and a newline. Every float64 is
// written in the shortest form that reads back to the same bits. A model without
// preprocessing has "preprocess": [], never null, which Parse refuses.
func (m *Model) Marshal() ([]byte, error) {
	if m.Preprocess == nil {
		c := *m
		c.Preprocess = []Step{}
		m = &c
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return append(b, '\n'), nil
}

// Write stores m as JSON at path.
func (m *Model) Write(path string) error {
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Read loads and checks a model.json (see Parse).
func Read(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Parse decodes and checks model.json's bytes. It refuses what is not JSON (saying where), a
// JSON value other than an object, a format newer than Format (saying which nnpipe wrote it)
// and format 1; a key that is not one of Model's fields (see checkFields: keys match in their
// letter case only), appears twice, or is null, a field missing (all must be there but source,
// l2 and best_step), a value of the wrong type; and a model that could not score a row: an
// invalid shape, sizes that disagree with it, a weight that is not finite, feature or class
// names empty or repeated, no label column, or a preprocessing step that is unknown, of the
// wrong size, not finite, or divides by a deviation that is not > 0. Every error is one line.
func Parse(b []byte) (*Model, error) {
	if err := checkSyntax(b); err != nil {
		return nil, fmt.Errorf("not a model file: %w", err)
	}
	if err := notObject(b); err != nil {
		return nil, fmt.Errorf("not a model file: the JSON is %w", err)
	}
	fields, _, err := objectFields(b)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var format int
	if err := json.Unmarshal(fields["format"], &format); err != nil || fields["format"] == nil || string(fields["format"]) == "null" {
		return nil, errors.New("not a model file: no format number")
	}
	switch {
	case format > Format:
		by := ""
		var v string
		if json.Unmarshal(fields["nnpipe"], &v) == nil && v != "" {
			by = fmt.Sprintf(", written by nnpipe %s,", shortText(v))
		}
		return nil, fmt.Errorf("model format %d%s is newer than this nnpipe reads (format %d): use a newer nnpipe", format, by, Format)
	case format < Format:
		return nil, fmt.Errorf("model format %d predates model files that record their preprocessing and label column (format %d): run the config again to train a model this nnpipe can use", format, Format)
	}
	if err := checkFields(b, reflect.TypeFor[Model](), ""); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model: %w", typeError(err))
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return &m, nil
}

// Validate reports the first reason m cannot score rows (see Parse).
func (m *Model) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("format %d, want %d", m.Format, Format)
	}
	s := m.Shape()
	if err := s.Validate(); err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(m.Features) != m.D || len(m.Classes) != m.K {
		return fmt.Errorf("%d features and %d classes do not agree with the shape's %d inputs and %d classes", len(m.Features), len(m.Classes), m.D, m.K)
	}
	if m.M > len(m.Weights) || len(m.Weights) != s.NumParams() { // the first test keeps the product from overflowing
		return fmt.Errorf("%d weights, want %d for %d inputs, %d hidden units and %d classes", len(m.Weights), s.NumParams(), m.D, m.M, m.K)
	}
	for p, w := range m.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("weight %s is %v", s.ParamName(p), w)
		}
	}
	if !(m.L2 >= 0) || math.IsInf(m.L2, 0) || m.BestStep < 0 || m.BestStep > m.Steps {
		return fmt.Errorf("l2 %v or best step %d of %d out of range", m.L2, m.BestStep, m.Steps)
	}
	if err := distinctNames("feature", m.Features); err != nil {
		return err
	}
	if err := distinctNames("class", m.Classes); err != nil {
		return err
	}
	if m.Label == "" {
		return errors.New("no label column")
	}
	if slices.Contains(m.Features, m.Label) {
		return fmt.Errorf("the label column %q is also a feature", shortText(m.Label))
	}
	for i, st := range m.Preprocess {
		if err := st.check(m.D); err != nil {
			return fmt.Errorf("preprocess step %d: %w", i+1, err)
		}
	}
	return nil
}

// check reports why st cannot apply to rows of d features.
func (st *Step) check(d int) error {
	if st.Op != Standardize {
		return fmt.Errorf("unknown operation %q; this nnpipe knows %q", shortText(st.Op), Standardize)
	}
	if len(st.Mean) != d || len(st.Std) != d {
		return fmt.Errorf("%d means and %d deviations for %d features", len(st.Mean), len(st.Std), d)
	}
	for j := range d {
		if math.IsNaN(st.Mean[j]) || math.IsInf(st.Mean[j], 0) {
			return fmt.Errorf("mean %d is %v", j+1, st.Mean[j])
		}
		if !(st.Std[j] > 0) || math.IsInf(st.Std[j], 0) {
			return fmt.Errorf("deviation %d is %v, want a finite number > 0", j+1, st.Std[j])
		}
	}
	return nil
}

// distinctNames checks that names are non-empty, valid UTF-8 and pairwise distinct.
func distinctNames(what string, names []string) error {
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		switch {
		case n == "":
			return fmt.Errorf("%s %d has an empty name", what, i+1)
		case !utf8.ValidString(n):
			return fmt.Errorf("%s %d: the name %q is not UTF-8", what, i+1, shortText(n))
		case seen[n]:
			return fmt.Errorf("%s name %q appears twice", what, shortText(n))
		}
		seen[n] = true
	}
	return nil
}

// shortText cuts s to a length an error message can carry.
func shortText(s string) string { return cutText(s, 64) }

// cutText cuts s to at most most bytes, at a rune's start, marking the cut with "…".
func cutText(s string, most int) string {
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Prepare applies m's preprocessing, step by step, to the rows x (row-major, rows×D) in
// place: the very operations the stages applied to the training data, so that the network
// sees the same bits. len(x) must be a multiple of D.
func (m *Model) Prepare(x []float64) {
	for _, st := range m.Preprocess {
		d := len(st.Mean)
		for i := 0; i < len(x); i += d {
			row := x[i : i+d]
			for j, v := range row {
				row[j] = (v - st.Mean[j]) / st.Std[j] // gonum's stat.StdScore, which standardize uses
			}
		}
	}
}

// Stamp copies the model file src to dst, recording in it the run it belongs to. digest is
// the hex SHA-256 src must have, which its cache entry records: a file that no longer has it
// (edited or replaced in the cache after its lookup verified it) is an error wrapping
// pipeline.ErrChangedInCache, and dst is not written.
func Stamp(dst, src, digest string, s Source) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read model: %w", err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != digest {
		return fmt.Errorf("%s: %w", src, pipeline.ErrChangedInCache)
	}
	m, err := Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	m.Source = &s
	return m.Write(dst)
}

// Part is the rows of one side of a split, gathered into the layout the
// network math takes.
type Part struct {
	Rows   []int     // row indices into the dataset
	X      []float64 // len(Rows)×D, row-major
	Labels []int32
}

// N returns the number of rows.
func (p Part) N() int { return len(p.Rows) }

// Gather copies the given rows of d.
func Gather(d *dataset.Dataset, rows []int) Part {
	dim := d.Dims()
	p := Part{Rows: rows, X: make([]float64, len(rows)*dim), Labels: make([]int32, len(rows))}
	for i, r := range rows {
		copy(p.X[i*dim:(i+1)*dim], d.X[r*dim:(r+1)*dim])
		p.Labels[i] = d.Labels[r]
	}
	return p
}

// ReadSplit reads a dataset and its split and gathers both parts. The
// returned dataset keeps its names and classes but not its values (X is
// nil): they are in the parts.
func ReadSplit(datasetPath, splitPath string) (*dataset.Dataset, Part, Part, error) {
	d, err := dataset.ReadFile(datasetPath)
	if err != nil {
		return nil, Part{}, Part{}, fmt.Errorf("read dataset: %w", err)
	}
	s, err := dataset.ReadSplit(splitPath)
	if err != nil {
		return nil, Part{}, Part{}, fmt.Errorf("read split: %w", err)
	}
	if err := s.CheckFor(d); err != nil {
		return nil, Part{}, Part{}, err
	}
	for _, rows := range [][]int{s.Train, s.Test} {
		for _, r := range rows {
			if r < 0 || r >= d.Rows() {
				return nil, Part{}, Part{}, fmt.Errorf("split names row %d of a dataset of %d rows", r, d.Rows())
			}
		}
	}
	train, test := Gather(d, s.Train), Gather(d, s.Test)
	d.X = nil // the parts hold the values now; keep one copy of a large data set, not two
	return d, train, test, nil
}

// Check reports whether a model fits a dataset.
func (m *Model) Check(d *dataset.Dataset) error {
	if d.Dims() != m.D || len(d.Classes) != m.K {
		return fmt.Errorf("model has %d inputs and %d classes, data has %d and %d", m.D, m.K, d.Dims(), len(d.Classes))
	}
	return nil
}

// ReadAll reads what evaluating a model takes: the dataset with both parts
// of its split gathered (see ReadSplit), and a model that fits the dataset.
func ReadAll(datasetPath, splitPath, modelPath string) (*dataset.Dataset, Part, Part, *Model, error) {
	d, train, test, err := ReadSplit(datasetPath, splitPath)
	if err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	m, err := Read(modelPath)
	if err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	if err := m.Check(d); err != nil {
		return nil, Part{}, Part{}, nil, err
	}
	return d, train, test, m, nil
}
