// Package predict scores a user's table with a trained model: it is the work of `nnpipe
// predict` and the `predict` stage kind. It reads the model's feature columns by name,
// applies the preprocessing the run fitted and the network, and writes one row of
// predictions per row of the table, streaming: memory stays bounded whatever the table's
// length.
package predict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// Output formats.
const (
	Parquet = "parquet"
	CSV     = "csv"
)

// Options says what to score with which model, and where to write the predictions.
type Options struct {
	Model       *model.Model
	ModelSHA256 string // the digest of the model file's bytes, recorded in the output

	Data string // the user's CSV or Parquet file
	// Format, Delimiter and NoHeader say how to read Data, as for the load stage.
	Format    string
	Delimiter rune
	NoHeader  bool
	// NoHeaderOption is how the user asks for NoHeader, for a hint when the first line looks
	// like data; "" is the config key, "header: false" (see dataset.ScanOptions).
	NoHeaderOption string
	// DataSHA256, when set, is the digest Data must have: the bytes read are checked against
	// it, and a mismatch fails with an error matching dataset.ErrChanged (see dataset.Scan).
	DataSHA256 string
	TempDir    string // for the copy of a Parquet file a digest check makes; "" is os.TempDir()

	Out       string // the file to write; replaced whole, and only once every row is written
	OutFormat string // Parquet (the default) or CSV
	Version   string // nnpipe's, for the output's metadata
}

// Result is what scoring a table found.
type Result struct {
	Data        string        `json:"data"`
	Label       string        `json:"label"` // the label column looked for
	Out         string        `json:"out"`
	Format      string        `json:"format"`
	Rows        int64         `json:"rows"`
	ModelSHA256 string        `json:"model_sha256"`
	Source      *model.Source `json:"source"` // the run the model comes from, when its file names one
	Classes     []string      `json:"classes"`
	// Metrics are over the rows of a table that has the model's label column, nil otherwise:
	// cross-entropy over the rows of known classes, accuracy over every labelled row (a row of
	// a class the model never saw counts as wrong), and the confusion matrix of the known ones
	// (N counts them all).
	Metrics *evaluate.Part `json:"metrics"`
	// Unknown lists the label values the model never saw, with how many rows have each, in
	// order of first appearance; at most MaxUnknown of them, the rest only counted in
	// UnknownRows. Never nil: empty when there are none.
	Unknown     []Unknown `json:"unknown_labels"`
	UnknownRows int64     `json:"unknown_label_rows"`
}

// MarshalJSON writes res as its fields say, but for a cross-entropy of null when no row has a
// class the model knows: there is nothing to average, and NaN has no JSON form.
func (res *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	if res.Metrics == nil || !math.IsNaN(res.Metrics.CrossEntropy) {
		return json.Marshal((*plain)(res))
	}
	m := *res.Metrics
	m.CrossEntropy = 0
	out := struct {
		*plain
		Metrics any `json:"metrics"`
	}{(*plain)(res), nil}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["cross_entropy"] = nil
	out.Metrics = fields
	return json.Marshal(out)
}

// Unknown is a label value the model never saw.
type Unknown struct {
	Value string `json:"value"`
	Rows  int64  `json:"rows"`
}

// MaxUnknown bounds the distinct unknown label values Result lists.
const MaxUnknown = 100

// batchRows is the rows scored at a time: a batch is held as text while it is parsed and twice
// as numbers (read, scored), so its size is most of the heap. Predicting a million rows of 8
// features peaked at 92 MB with batches of 16 Ki rows and 165 MB with 64 Ki, in the same time.
const batchRows = 16 << 10

// batchRowsOf is the rows of a batch for m: batchRows, fewer when m has so many features or
// classes that a batch would hold more than model.MaxBatchValues of them. A batch's cells,
// numbers and columns grow with its features: with 16 Ki rows, predicting 40,000 rows of 1,000
// features peaked at 2.1 GB, for a 160 MB file.
func batchRowsOf(m *model.Model) int {
	return max(1, min(batchRows, model.MaxBatchValues/m.K, model.MaxBatchValues/m.D))
}

// Run scores opt.Data with opt.Model and writes the predictions to opt.Out: the columns of a
// run's predictions.parquet but `split` (see Fields), with key-value metadata naming the model
// (Meta). The feature columns are read by name, in the model's order, others ignored; a column
// named like the model's label is used as the label. A problem with the data or the options
// is a pipeline.Invalid error naming the file, the line or row and the column; nothing is
// written then, nor when ctx is cancelled.
func Run(ctx context.Context, opt Options) (*Result, error) {
	m := opt.Model
	if opt.OutFormat == "" {
		opt.OutFormat = Parquet
	}
	if opt.OutFormat != Parquet && opt.OutFormat != CSV {
		return nil, pipeline.Invalid(fmt.Errorf("unknown output format %q; want parquet or csv", opt.OutFormat))
	}
	net, err := nn.NewNetwork(m.Shape(), m.Weights)
	if err != nil {
		return nil, pipeline.Invalid(err)
	}
	rows := batchRowsOf(m)
	sc, err := dataset.Scan(ctx, opt.Data, dataset.ScanOptions{Format: opt.Format, Delimiter: opt.Delimiter,
		NoHeader: opt.NoHeader, NoHeaderOption: opt.NoHeaderOption, Features: m.Features, Label: m.Label, BatchRows: rows, SHA256: opt.DataSHA256, TempDir: opt.TempDir})
	if err != nil {
		return nil, dataError(err)
	}
	defer sc.Close()
	if v, _ := sc.Metadata(model.StandardizedKey); v == "true" {
		return nil, pipeline.Invalid(fmt.Errorf("%s is a run's predictions, whose feature columns hold standardized values: scoring them would standardize them again; give the data the run loaded", config.Shown(opt.Data)))
	}
	res := &Result{Data: opt.Data, Label: m.Label, Out: opt.Out, Format: opt.OutFormat, ModelSHA256: opt.ModelSHA256, Source: m.Source, Classes: m.Classes,
		Unknown: []Unknown{}} // [] in the JSON when every label is known, not null
	s := newScorer(m, net, sc.HasLabel())
	if name, ok := dataset.ClashingField(s.fields()); ok {
		return nil, pipeline.Invalid(fmt.Errorf("the model's feature column %q has the name of a column of the predictions (row, label, label_name, predicted, predicted_name, p_0…, correct); predictions of it cannot be written", name))
	}
	w, err := create(opt, s.fields(), s.meta(opt))
	if err != nil {
		return nil, err
	}
	defer w.abort()
	if err := s.run(ctx, sc, w, res); err != nil {
		return nil, err
	}
	if err := w.commit(); err != nil {
		return nil, err
	}
	s.finish(res)
	return res, nil
}

// run scores the batches sc reads and writes them to w, reading the next batch while it scores
// one (see read).
func (s *scorer) run(ctx context.Context, sc *dataset.Scanner, w *writer, res *Result) error {
	readCtx, cancel := context.WithCancel(ctx)
	batches := read(readCtx, sc)
	defer func() {
		cancel()
		for range batches { // the reader stops at its next look at readCtx
		}
	}()
	for b := range batches {
		switch {
		case errors.Is(b.err, io.EOF):
			return nil
		case b.err != nil:
			return dataError(b.err)
		}
		cols, bad := s.score(b)
		if bad != nil {
			return pipeline.Invalid(&dataset.LoadError{File: res.Data, Row: int(b.row0) + bad.row + 1, Err: bad})
		}
		if err := w.append(cols); err != nil {
			return err
		}
		res.Rows += int64(b.n)
		b.done()
	}
	// The reader stopped before the end: ctx is done.
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// dataError marks a problem with the user's data as invalid input, unless the file changed
// while it was read: running again can succeed then.
func dataError(err error) error {
	var le *dataset.LoadError
	if errors.As(err, &le) && !errors.Is(err, dataset.ErrChanged) {
		return pipeline.Invalid(err)
	}
	return err
}

// batch is a copy of the scanner's rows, handed from the reading goroutine to the scoring one.
type batch struct {
	row0   int64
	n      int
	x      []float64
	labels []string
	err    error // io.EOF after the last batch
	done   func()
}

// read scans in a goroutine of its own, so that parsing the next rows and scoring and writing
// the last ones take both cores; two batches take turns. The channel is closed after a batch
// with an error (io.EOF at the end), or when ctx is done.
func read(ctx context.Context, sc *dataset.Scanner) <-chan *batch {
	const buffers = 2
	free := make(chan *batch, buffers)
	for range buffers {
		b := &batch{}
		b.done = func() { free <- b }
		free <- b
	}
	out := make(chan *batch)
	go func() {
		defer close(out)
		for {
			var b *batch
			select {
			case b = <-free:
			case <-ctx.Done():
				return
			}
			got, err := sc.Next(ctx)
			if err != nil {
				b.err = err
			} else {
				b.row0, b.n = got.Row0, got.N
				b.x = append(b.x[:0], got.X...)
				b.labels = append(b.labels[:0], got.Labels...)
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// scorer turns batches of rows into the columns of the predictions, and keeps the metrics.
type scorer struct {
	m        *model.Model
	net      *nn.Network
	labelled bool
	named    bool
	ids      map[string]int32 // class id by name

	// column buffers, reused batch after batch
	row            []int64
	feat           [][]float64
	label, pred    []int32
	labelName      []string
	predName       []string
	probs          [][]float64
	correct        []bool
	y, loss        []float64
	confusion      [][]int
	known, right   int64
	labelledRows   int64
	ce             nn.CompensatedSum // the known rows' cross-entropies, summed as nn sums them
	unknown        map[string]int64
	unknownOrder   []string
	unknownOthers  int64
	unknownRowsAll int64
}

func newScorer(m *model.Model, net *nn.Network, labelled bool) *scorer {
	s := &scorer{m: m, net: net, labelled: labelled, named: model.NamedClasses(m.Classes), ids: map[string]int32{},
		feat: make([][]float64, m.D), probs: make([][]float64, m.K), unknown: map[string]int64{}}
	for k, c := range m.Classes {
		s.ids[c] = int32(k)
	}
	s.confusion = make([][]int, m.K)
	for k := range s.confusion {
		s.confusion[k] = make([]int, m.K)
	}
	return s
}

// Fields returns the columns of the predictions of m (model.PredictionFields without a
// split): `row` (the 0-based data row of the file), the features as read (before any
// preprocessing), the label columns and `correct` when the table has the label column.
func Fields(m *model.Model, labelled bool) []dataset.Field {
	return model.PredictionFields(m.Features, m.Classes, false, labelled)
}

func (s *scorer) fields() []dataset.Field { return Fields(s.m, s.labelled) }

// Metadata keys of the predictions' file.
const (
	MetaModelSHA256  = "nnpipe.model_sha256"
	MetaSourceName   = "nnpipe.source_name"
	MetaSourceConfig = "nnpipe.source_config_sha256"
)

// meta is the output's key-value metadata: the model's digest and source run, nnpipe's
// version, the class names and the label column.
func (s *scorer) meta(opt Options) map[string]string {
	classes, _ := json.Marshal(s.m.Classes)
	meta := map[string]string{
		MetaModelSHA256:  opt.ModelSHA256,
		"nnpipe.version": opt.Version,
		"nnpipe.classes": string(classes),
		"nnpipe.label":   s.m.Label,
	}
	if src := s.m.Source; src != nil {
		meta[MetaSourceName], meta[MetaSourceConfig] = src.Name, src.ConfigSHA256
	}
	return meta
}

// rowError is a row of a batch that the model cannot score: its outputs are not finite
// numbers (sums that overflow for values far outside what the model was trained on).
type rowError struct{ row int }

func (e *rowError) Error() string {
	return "the network's outputs for this row are not finite numbers (its values are too large for the model)"
}

// score computes the columns of one batch, or returns the first row whose probabilities are
// not finite.
func (s *scorer) score(b *batch) ([]any, *rowError) {
	m, n := s.m, b.n
	d, k := m.D, m.K
	s.row = resize(s.row, n)
	for i := range s.row {
		s.row[i] = b.row0 + int64(i)
	}
	for j := range s.feat {
		col := resize(s.feat[j], n)
		for i := range col {
			col[i] = b.x[i*d+j]
		}
		s.feat[j] = col
	}
	m.Prepare(b.x)
	s.y = resize(s.y, n*k)
	var ids []int32
	if s.labelled {
		s.label, s.loss = resize(s.label, n), resize(s.loss, n)
		ids = s.label
		for i, v := range b.labels {
			ids[i] = s.classOf(v)
		}
		s.net.Forward(b.x, s.y, ids, s.loss)
	} else {
		s.net.Forward(b.x, s.y, nil, nil)
	}
	s.pred = resize(s.pred, n)
	for j := range s.probs {
		s.probs[j] = resize(s.probs[j], n)
	}
	for i := range n {
		y := s.y[i*k : (i+1)*k]
		s.pred[i] = int32(nn.Argmax(y))
		for c, p := range y {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return nil, &rowError{row: i}
			}
			s.probs[c][i] = p
		}
	}
	cols := []any{s.row}
	for _, f := range s.feat {
		cols = append(cols, f)
	}
	if s.labelled {
		s.correct = resize(s.correct, n)
		for i, t := range ids {
			s.correct[i] = t == s.pred[i]
			s.count(t, s.pred[i], s.loss[i])
		}
		cols = append(cols, s.label)
		if s.named {
			// A label the model knows is named as the model names its class
			// ("01" is class "1", as load reads it); an unknown one as written.
			s.labelName = append(s.labelName[:0], b.labels...)
			for i, t := range ids {
				if t >= 0 {
					s.labelName[i] = m.Classes[t]
				}
			}
			cols = append(cols, s.labelName)
		}
	}
	cols = append(cols, s.pred)
	if s.named {
		s.predName = resize(s.predName, n)
		for i, p := range s.pred {
			s.predName[i] = m.Classes[p]
		}
		cols = append(cols, s.predName)
	}
	for _, p := range s.probs {
		cols = append(cols, p)
	}
	if s.labelled {
		cols = append(cols, s.correct)
	}
	return cols, nil
}

// classOf returns the class id of a label value, or −1 for a value the model never saw: the
// class of that name, or, for an integer written otherwise ("01", "+1"), of its canonical
// form, as the load stage names integer classes.
func (s *scorer) classOf(v string) int32 {
	if id, ok := s.ids[v]; ok {
		return id
	}
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		if id, ok := s.ids[strconv.FormatInt(i, 10)]; ok {
			return id
		}
	}
	s.unknownRowsAll++
	if _, ok := s.unknown[v]; ok || len(s.unknownOrder) < MaxUnknown {
		if !ok {
			s.unknownOrder = append(s.unknownOrder, v)
		}
		s.unknown[v]++
	} else {
		s.unknownOthers++
	}
	return -1
}

// count adds a labelled row, of class t (−1 unknown), predicted p, with cross-entropy ce.
func (s *scorer) count(t, p int32, ce float64) {
	s.labelledRows++
	if t < 0 {
		return
	}
	s.known++
	s.confusion[t][p]++
	if t == p {
		s.right++
	}
	s.ce.Add(ce)
}

// finish puts the metrics and the unknown labels into res.
func (s *scorer) finish(res *Result) {
	for _, v := range s.unknownOrder {
		res.Unknown = append(res.Unknown, Unknown{Value: v, Rows: s.unknown[v]})
	}
	res.UnknownRows = s.unknownRowsAll
	if !s.labelled {
		return
	}
	p := &evaluate.Part{N: int(s.labelledRows), Confusion: s.confusion}
	p.CrossEntropy = math.NaN()
	if s.known > 0 {
		p.CrossEntropy = s.ce.Value() / float64(s.known)
	}
	if s.labelledRows > 0 {
		p.Accuracy = float64(s.right) / float64(s.labelledRows)
	}
	p.SetPrecisionRecall()
	res.Metrics = p
}

// resize returns s with length n, reusing its array when it is large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// writer is the output file, written under a temporary name and renamed into place by commit
// (pipeline.OutFile), so that a failure or an interrupt leaves nothing and an old file whole.
type writer struct {
	out *pipeline.OutFile
	pq  *dataset.TableWriter
	csv *csvWriter
}

// create starts the output of opt with the given columns and metadata.
func create(opt Options, fields []dataset.Field, meta map[string]string) (*writer, error) {
	out, err := pipeline.CreateOut(opt.Out)
	if err != nil {
		return nil, err
	}
	w := &writer{out: out}
	if opt.OutFormat == CSV {
		w.csv = newCSVWriter(out.File, fields)
		return w, nil
	}
	if w.pq, err = dataset.CreateTable(out.Name(), fields, meta); err != nil {
		out.Abort()
		return nil, fmt.Errorf("write predictions: %w", err)
	}
	return w, nil
}

func (w *writer) append(cols []any) error {
	var err error
	if w.pq != nil {
		err = w.pq.Append(cols...)
	} else {
		err = w.csv.append(cols)
	}
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}

// commit finishes the file and renames it into place.
func (w *writer) commit() error {
	var err error
	if w.pq != nil {
		err = w.pq.Close()
	} else {
		err = w.csv.flush()
	}
	if err != nil {
		w.out.Abort()
		return fmt.Errorf("write predictions: %w", err)
	}
	return w.out.Commit()
}

// abort removes the temporary file, unless commit renamed it.
func (w *writer) abort() {
	if w.pq != nil {
		w.pq.Abort()
	}
	w.out.Abort()
}
