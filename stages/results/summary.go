package results

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/comparison"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/report"
)

// The columns of summary.parquet besides the parameters.
const (
	ColTrialID      = "trial_id"
	ColName         = "name"
	ColStatus       = "status"
	ColError        = "error"
	ColSeconds      = "seconds"
	ColTrainSeconds = "train_seconds"
	ColStoppedAt    = "stopped_at"
)

// MetricNames are the metric columns of summary.parquet, in order.
var MetricNames = []string{"train_cross_entropy", "test_cross_entropy", "train_accuracy", "test_accuracy"}

// IsMeasured reports whether a summary column is a measurement rather
// than a parameter: a metric, a time, or the step training stopped at.
func IsMeasured(column string) bool {
	return slices.Contains(MetricNames, column) || column == ColSeconds || column == ColTrainSeconds || column == ColStoppedAt
}

// Param is one parameter of a run, named by its config path.
type Param struct {
	Key   string
	Value any // int64, float64, bool or string
}

// Row is one row of summary.parquet.
type Row struct {
	TrialID, Name, Status, Error string
	Seconds                      float64
	Params                       []Param
	TrainCE, TestCE              float64
	TrainAcc, TestAcc            float64
	TrainSeconds                 float64
	// StoppedAt is the step the headline stage stopped at (the updates
	// training made; 0 when unknown), and StoppedEarly whether that is
	// before the steps asked for (Spec.StoppedAt).
	StoppedAt    int64
	StoppedEarly bool
	// Headline is what the printed summary shows of the stage it is about
	// (pipeline.Spec.Headline).
	Headline []pipeline.Headline
}

// NewRow returns the summary row of a run of chain: its parameters, and
// the metrics m (nil: not computed) and train time from its results: the
// compute time of the first stage whose kind has a Headline, whose values
// the printed summary shows. TrialID, Status, Error and Seconds are left
// for the caller.
func NewRow(chain *pipeline.Chain, results []*pipeline.StageResult, m *evaluate.Metrics) *Row {
	row := &Row{Name: chain.Name, TrainCE: math.NaN(), TestCE: math.NaN(), TrainAcc: math.NaN(), TestAcc: math.NaN()}
	row.Params = append(row.Params, Param{"seed", int64(chain.Seed)})
	for _, s := range chain.Stages {
		config.Walk(keyedValue(s.Params), s.ID, func(key string, _ reflect.StructField, v reflect.Value) {
			if x, ok := paramValue(v); ok {
				row.Params = append(row.Params, Param{key, x})
			}
		})
	}
	if m != nil {
		row.TrainCE, row.TestCE, row.TrainAcc, row.TestAcc = m.Train.CrossEntropy, m.Test.CrossEntropy, m.Train.Accuracy, m.Test.Accuracy
	}
	for _, s := range chain.Stages {
		if s.Spec.Headline == nil {
			continue
		}
		row.Headline = s.Spec.Headline(s.Params)
		for _, r := range results {
			if r.ID != s.ID {
				continue
			}
			row.TrainSeconds = r.ComputeSeconds
			if s.Spec.StoppedAt != nil {
				output := func(slot string) string { return r.Outputs[slot] }
				if step, early, err := s.Spec.StoppedAt(s.Params, output); err == nil {
					row.StoppedAt, row.StoppedEarly = int64(step), early
				}
			}
		}
		break
	}
	return row
}

// keyedValue is p as config.yaml writes it, when its kind's MarshalYAML gives
// the same fields in a type of their own (load's and predict's format the
// extension names left out, plot's list of figures in the kind's order):
// two runs of one config hash then have the same parameters in their
// summaries, as in their config.yaml. Other parameters are taken as they
// are: train's MarshalYAML leaves out fields its summary columns keep.
func keyedValue(p pipeline.Params) reflect.Value {
	v := reflect.ValueOf(p)
	m, ok := p.(interface{ MarshalYAML() (any, error) })
	if !ok {
		return v
	}
	y, err := m.MarshalYAML()
	if err != nil || y == nil {
		return v
	}
	yv, t := reflect.ValueOf(y), reflect.Indirect(v).Type()
	if yv.Kind() != reflect.Struct || !yv.Type().ConvertibleTo(t) {
		return v
	}
	return yv.Convert(t)
}

// paramValue is a parameter's value in a summary column: an int64,
// float64, bool or string, or the JSON text of a list; a pointer left nil
// (an optional value not set) has none.
func paramValue(v reflect.Value) (any, bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return v.Float(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.String:
		return v.String(), true
	}
	b, _ := json.Marshal(v.Interface())
	return string(b), true
}

// Fields returns the columns of summary.parquet for rows: the fixed ones,
// every parameter any row has (in first-seen order), the metrics.
func Fields(rows []*Row) []dataset.Field {
	fields := []dataset.Field{
		{Name: ColTrialID, Type: dataset.String}, {Name: ColName, Type: dataset.String},
		{Name: ColStatus, Type: dataset.String}, {Name: ColError, Type: dataset.String},
		{Name: ColSeconds, Type: dataset.Float64},
	}
	seen := map[string]bool{}
	for _, r := range rows {
		for _, p := range r.Params {
			if !seen[p.Key] {
				seen[p.Key] = true
				fields = append(fields, dataset.Field{Name: p.Key, Type: typeOf(p.Value)})
			}
		}
	}
	for _, m := range MetricNames {
		fields = append(fields, dataset.Field{Name: m, Type: dataset.Float64})
	}
	return append(fields, dataset.Field{Name: ColTrainSeconds, Type: dataset.Float64}, dataset.Field{Name: ColStoppedAt, Type: dataset.Int64})
}

func typeOf(v any) dataset.Type {
	switch v.(type) {
	case int64:
		return dataset.Int64
	case float64:
		return dataset.Float64
	case bool:
		return dataset.Bool
	}
	return dataset.String
}

// Summary returns rows as summary.parquet holds them: the columns of Fields,
// each a []int64, []float64, []bool or []string. A row without a
// parameter has 0, NaN, false or "" in its column.
func Summary(rows []*Row) *dataset.Table {
	fields := Fields(rows)
	t := &dataset.Table{Fields: fields, Columns: make([]any, len(fields)), Rows: len(rows)}
	for i, f := range fields {
		switch f.Type {
		case dataset.Int64:
			t.Columns[i] = make([]int64, 0, len(rows))
		case dataset.Float64:
			t.Columns[i] = make([]float64, 0, len(rows))
		case dataset.Bool:
			t.Columns[i] = make([]bool, 0, len(rows))
		default:
			t.Columns[i] = make([]string, 0, len(rows))
		}
	}
	for _, r := range rows {
		values := map[string]any{ColTrialID: r.TrialID, ColName: r.Name, ColStatus: r.Status, ColError: r.Error,
			ColSeconds: r.Seconds, "train_cross_entropy": r.TrainCE, "test_cross_entropy": r.TestCE,
			"train_accuracy": r.TrainAcc, "test_accuracy": r.TestAcc, ColTrainSeconds: r.TrainSeconds, ColStoppedAt: r.StoppedAt}
		for _, p := range r.Params {
			values[p.Key] = p.Value
		}
		for i, f := range fields {
			t.Columns[i] = appendValue(t.Columns[i], values[f.Name])
		}
	}
	return t
}

// appendValue appends v to the column col, or the column's blank.
func appendValue(col, v any) any {
	switch c := col.(type) {
	case []int64:
		x, _ := v.(int64)
		return append(c, x)
	case []float64:
		x, ok := v.(float64)
		if !ok {
			x = math.NaN()
		}
		return append(c, x)
	case []bool:
		x, _ := v.(bool)
		return append(c, x)
	case []string:
		x, _ := v.(string)
		return append(c, x)
	}
	return col
}

// WriteSummary writes rows to path as summary.parquet, recording nnpipe's
// version in its metadata.
func WriteSummary(path string, rows []*Row, version string) error {
	t := Summary(rows)
	w, err := dataset.CreateTable(path, t.Fields, map[string]string{"nnpipe.version": version})
	if err != nil {
		return err
	}
	if err := w.Append(t.Columns...); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// ReadSummary reads a summary.parquet, refusing a Parquet file that is not
// one (it has no trial_id column).
func ReadSummary(path string) (*dataset.Table, error) {
	t, err := dataset.ReadTable(path)
	if err != nil {
		return nil, shownPathError(err, path)
	}
	if _, ok := t.Column(ColTrialID); !ok {
		return nil, fmt.Errorf("%s: not a run or sweep summary (no %s column)", config.Shown(path), ColTrialID)
	}
	return t, nil
}

// shownPathError returns err with path named in its message as messages
// name a path (config.Shown): quoted when it holds a line break or what a
// terminal would obey, such as an escape sequence. err stays in the chain.
func shownPathError(err error, path string) error {
	if shown := config.Shown(path); shown != path {
		return &pathShownError{err: err, msg: strings.ReplaceAll(err.Error(), path, shown)}
	}
	return err
}

// pathShownError is an error whose message names its file as
// shownPathError says, unwrapping to the error it names it in.
type pathShownError struct {
	err error
	msg string
}

func (e *pathShownError) Error() string { return e.msg }
func (e *pathShownError) Unwrap() error { return e.err }

// ReadComparable reads a summary with ReadSummary for a comparison
// (compare, report), refusing one with a column named like a column the
// comparison adds (comparison.Schema.Adds: source, n, ...), whose values
// could not be told from the comparison's. nnpipe writes no such column.
func ReadComparable(path string) (*dataset.Table, error) {
	t, err := ReadSummary(path)
	if err != nil {
		return nil, err
	}
	s := Schema()
	for _, f := range t.Fields {
		if s.Adds(f.Name) {
			return nil, fmt.Errorf("%s: column %q is named like a column compare adds (%s)", config.Shown(path), f.Name, comparison.AddedColumns)
		}
		// A metric of text would be tabulated as a 0 and averaged.
		switch {
		case slices.Contains(MetricNames, f.Name) && f.Type != dataset.Float64:
			return nil, fmt.Errorf("%s: column %q holds %s values, not the numbers of a metric", config.Shown(path), f.Name, f.Type)
		case (f.Name == ColStatus || f.Name == ColError) && f.Type != dataset.String:
			return nil, fmt.Errorf("%s: column %q holds %s values, not text", config.Shown(path), f.Name, f.Type)
		}
	}
	return t, nil
}

// FormatValue formats v, a value of the summary column named column (an
// int64, int32, float64, bool or string), as every table of summaries
// prints it: a measurement (IsMeasured) as report.FormatFloat prints it
// ("-" for NaN), a parameter exactly, in the shortest form that reads back
// the same (0.5, 0.001, 1e-05).
func FormatValue(column string, v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		if IsMeasured(column) {
			return report.FormatFloat(x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// Value returns row i of a column as dataset.ReadTable returns it.
func Value(col any, i int) any {
	switch c := col.(type) {
	case []int64:
		return c[i]
	case []int32:
		return c[i]
	case []float64:
		return c[i]
	case []bool:
		return c[i]
	case []string:
		return c[i]
	}
	return nil
}

// Table returns the printed summary of one run: the run id, the headline
// values of the stage it is about (the training's hidden units, gradient,
// steps and learning rate), the metrics and the training's time.
func (r *Row) Table() report.Table {
	t := report.Table{Header: []string{"run"}, Rows: [][]string{{r.TrialID}}, Numeric: []bool{false}}
	for _, h := range r.Headline {
		t.Header = append(t.Header, h.Label)
		t.Rows[0] = append(t.Rows[0], FormatValue("", h.Value))
		_, isInt := h.Value.(int64)
		_, isFloat := h.Value.(float64)
		t.Numeric = append(t.Numeric, isInt || isFloat)
	}
	if r.StoppedEarly {
		t.Header = append(t.Header, "stopped at")
		t.Rows[0] = append(t.Rows[0], strconv.FormatInt(r.StoppedAt, 10))
		t.Numeric = append(t.Numeric, true)
	}
	trainTime := formatSeconds(r.TrainSeconds)
	if r.Headline == nil {
		trainTime = report.FormatFloat(math.NaN()) // nothing trained: no time, not 0 µs
	}
	t.Header = append(t.Header, "train CE", "test CE", "train acc", "test acc", "train time")
	t.Rows[0] = append(t.Rows[0], report.FormatFloat(r.TrainCE), report.FormatFloat(r.TestCE),
		report.FormatFloat(r.TrainAcc), report.FormatFloat(r.TestAcc), trainTime)
	t.Numeric = append(t.Numeric, true, true, true, true, true)
	return t
}

// Markdown returns summary.md of rows: each row's table.
func Markdown(rows []*Row) ([]byte, error) {
	var md strings.Builder
	for i, r := range rows {
		if i > 0 {
			md.WriteString("\n")
		}
		if err := r.Table().Write(&md, report.Markdown); err != nil {
			return nil, err
		}
	}
	return []byte(md.String()), nil
}

func formatSeconds(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.1f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}
