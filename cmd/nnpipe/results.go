package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/report"
)

// manifestFormat is the version of manifest.json's layout.
const manifestFormat = 1

// Run statuses in manifests and summaries.
const (
	statusOK       = "ok"
	statusFailed   = "failed"
	statusDiverged = "diverged"
)

// manifest is manifest.json (design §6).
type manifest struct {
	Format       int               `json:"format"`
	Nnpipe       string            `json:"nnpipe"`
	RunID        string            `json:"run_id"`
	Name         string            `json:"name"`
	ConfigSHA256 string            `json:"config_sha256"`
	Created      string            `json:"created"`
	Status       string            `json:"status"`
	Error        string            `json:"error,omitempty"`
	Seconds      float64           `json:"seconds"`
	Stages       []manifestStage   `json:"stages"`
	Files        map[string]string `json:"files"` // run-directory file -> sha256
}

type manifestStage struct {
	ID             string            `json:"id"`
	Kind           string            `json:"kind"`
	Key            string            `json:"key"`
	Cached         bool              `json:"cached"`
	Seconds        float64           `json:"seconds"`
	ComputeSeconds float64           `json:"compute_seconds"`
	Outputs        map[string]string `json:"outputs"` // slot -> digest
}

// runRecord is a written run, for printing.
type runRecord struct {
	ID          string
	Dir         string
	Results     []*pipeline.StageResult
	MetricsJSON json.RawMessage
	Summary     *summaryRow
}

// writeRun assembles the run directory final from a plan's stage results,
// under a temporary name, and renames it into place.
//
// A run directory inside a sweep's is not flushed on its own (sync false):
// the sweep's directory is flushed once, as a whole, when it is committed.
func writeRun(final string, plan *pipeline.Plan, results []*pipeline.StageResult, runID, status string, seconds float64, sync bool) (*runRecord, error) {
	if status == "" {
		status = statusOK
	}
	rd, err := pipeline.NewRunDir(final)
	if err != nil {
		return nil, err
	}
	rd.NoSync = !sync
	rec, err := fillRun(rd, plan, results, runID, status, seconds)
	if err := rd.Finish(err); err != nil {
		return nil, err
	}
	rec.Dir = final
	return rec, nil
}

func fillRun(rd *pipeline.RunDir, plan *pipeline.Plan, results []*pipeline.StageResult, runID, status string, seconds float64) (*runRecord, error) {
	rec := &runRecord{ID: runID, Results: results}
	cfg, err := plan.EffectiveYAML()
	if err != nil {
		return nil, err
	}
	if err := rd.WriteFile("config.yaml", cfg); err != nil {
		return nil, err
	}
	for name, src := range pipeline.PublishedFiles(results) {
		if err := rd.Copy(name, src); err != nil {
			return nil, err
		}
	}
	var metrics *evaluate.Metrics
	for _, r := range results {
		if r.Kind == "evaluate" {
			path := r.Outputs["metrics"]
			if rec.MetricsJSON, err = os.ReadFile(path); err != nil {
				return nil, err
			}
			if metrics, err = evaluate.Read(path); err != nil {
				return nil, err
			}
			break
		}
	}
	row := newSummaryRow(plan, results, metrics)
	row.TrialID, row.Status, row.Seconds = runID, status, seconds
	rec.Summary = row
	if err := writeSummaries(rd, []*summaryRow{row}); err != nil {
		return nil, err
	}
	m := manifest{Format: manifestFormat, Nnpipe: Version, RunID: runID, Name: plan.Name, ConfigSHA256: plan.Hash,
		Created: time.Now().UTC().Format(time.RFC3339), Status: status, Seconds: seconds, Files: map[string]string{}}
	for _, r := range results {
		m.Stages = append(m.Stages, manifestStage{ID: r.ID, Kind: r.Kind, Key: r.Key, Cached: r.Cached,
			Seconds: r.Seconds, ComputeSeconds: r.ComputeSeconds, Outputs: r.Digests})
	}
	if err := digestTree(rd, m.Files); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := rd.WriteFile("manifest.json", append(b, '\n')); err != nil {
		return nil, err
	}
	return rec, nil
}

func digestTree(rd *pipeline.RunDir, into map[string]string) error {
	root := rd.Path("")
	return walkFiles(root, func(rel string) error {
		_, sum, err := cache.DigestFile(rd.Path(rel))
		into[rel] = sum
		return err
	})
}

// param is one parameter of a run, named by its config path.
type param struct {
	Key   string
	Value any // int64, float64, bool or string
}

// summaryRow is one row of summary.parquet (design §6).
type summaryRow struct {
	TrialID, Name, Status, Error string
	Seconds                      float64
	Params                       []param
	TrainCE, TestCE              float64
	TrainAcc, TestAcc            float64
	TrainSeconds                 float64
	StoppedAt                    int64 // the updates training made (model.json's steps); 0 without a model
	// For the printed table: the first train stage's id.
	trainID string
}

var metricNames = []string{"train_cross_entropy", "test_cross_entropy", "train_accuracy", "test_accuracy"}

func newSummaryRow(plan *pipeline.Plan, results []*pipeline.StageResult, m *evaluate.Metrics) *summaryRow {
	row := &summaryRow{Name: plan.Name, TrainCE: math.NaN(), TestCE: math.NaN(), TrainAcc: math.NaN(), TestAcc: math.NaN()}
	row.Params = append(row.Params, param{"seed", int64(plan.Seed)})
	for _, s := range plan.Stages {
		flatten(s.ID, reflect.ValueOf(s.Params), &row.Params)
	}
	if m != nil {
		row.TrainCE, row.TestCE, row.TrainAcc, row.TestAcc = m.Train.CrossEntropy, m.Test.CrossEntropy, m.Train.Accuracy, m.Test.Accuracy
	}
	for _, r := range results {
		if r.Kind == "train" {
			row.TrainSeconds, row.trainID = r.ComputeSeconds, r.ID
			if m, err := model.Read(r.Outputs["model"]); err == nil {
				row.StoppedAt = int64(m.Steps)
			}
			break
		}
	}
	return row
}

// flatten lists the scalar parameters under prefix by their config keys;
// lists become their JSON text.
func flatten(prefix string, v reflect.Value, out *[]param) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			flatten(prefix+"."+name, v.Field(i), out)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		*out = append(*out, param{prefix, v.Int()})
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		*out = append(*out, param{prefix, int64(v.Uint())})
	case reflect.Float32, reflect.Float64:
		*out = append(*out, param{prefix, v.Float()})
	case reflect.Bool:
		*out = append(*out, param{prefix, v.Bool()})
	case reflect.String:
		*out = append(*out, param{prefix, v.String()})
	default:
		b, _ := json.Marshal(v.Interface())
		*out = append(*out, param{prefix, string(b)})
	}
}

// summaryFields returns the columns of rows: the fixed ones, every
// parameter any row has (in first-seen order), the metrics.
func summaryFields(rows []*summaryRow) []dataset.Field {
	fields := []dataset.Field{
		{Name: "trial_id", Type: dataset.String}, {Name: "name", Type: dataset.String},
		{Name: "status", Type: dataset.String}, {Name: "error", Type: dataset.String},
		{Name: "seconds", Type: dataset.Float64},
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
	for _, m := range metricNames {
		fields = append(fields, dataset.Field{Name: m, Type: dataset.Float64})
	}
	fields = append(fields, dataset.Field{Name: "train_seconds", Type: dataset.Float64}, dataset.Field{Name: "stopped_at", Type: dataset.Int64})
	return fields
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

// writeSummaries writes summary.parquet and summary.md for rows.
func writeSummaries(rd *pipeline.RunDir, rows []*summaryRow) error {
	fields := summaryFields(rows)
	cols := make([]any, len(fields))
	for i, f := range fields {
		switch f.Type {
		case dataset.Int64:
			cols[i] = make([]int64, 0, len(rows))
		case dataset.Float64:
			cols[i] = make([]float64, 0, len(rows))
		case dataset.Bool:
			cols[i] = make([]bool, 0, len(rows))
		default:
			cols[i] = make([]string, 0, len(rows))
		}
	}
	for _, r := range rows {
		values := map[string]any{"trial_id": r.TrialID, "name": r.Name, "status": r.Status, "error": r.Error,
			"seconds": r.Seconds, "train_cross_entropy": r.TrainCE, "test_cross_entropy": r.TestCE,
			"train_accuracy": r.TrainAcc, "test_accuracy": r.TestAcc, "train_seconds": r.TrainSeconds, "stopped_at": r.StoppedAt}
		for _, p := range r.Params {
			values[p.Key] = p.Value
		}
		for i, f := range fields {
			v, ok := values[f.Name]
			switch c := cols[i].(type) {
			case []int64:
				x, _ := v.(int64)
				cols[i] = append(c, x)
			case []float64:
				x, isFloat := v.(float64)
				if !ok || !isFloat {
					x = math.NaN()
				}
				cols[i] = append(c, x)
			case []bool:
				x, _ := v.(bool)
				cols[i] = append(c, x)
			case []string:
				x, _ := v.(string)
				cols[i] = append(c, x)
			}
		}
	}
	w, err := dataset.CreateTable(rd.Path("summary.parquet"), fields, map[string]string{"nnpipe.version": Version})
	if err != nil {
		return err
	}
	if err := w.Append(cols...); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	var md strings.Builder
	for i, r := range rows {
		if i > 0 {
			md.WriteString("\n")
		}
		if err := r.table().Write(&md, report.Markdown); err != nil {
			return err
		}
	}
	return rd.WriteFile("summary.md", []byte(md.String()))
}

// table is the printed summary of one run (issue 2's columns).
func (r *summaryRow) table() report.Table {
	get := func(key string) string {
		for _, p := range r.Params {
			if p.Key == key {
				switch v := p.Value.(type) {
				case float64:
					return report.FormatFloat(v)
				default:
					return fmt.Sprint(v)
				}
			}
		}
		return "-"
	}
	t := r.trainID
	steps := get(t + ".steps")
	if r.StoppedAt > 0 && strconv.FormatInt(r.StoppedAt, 10) != steps {
		steps = fmt.Sprintf("%d of %s", r.StoppedAt, steps) // early stopping
	}
	gradient := get(t + ".gradient")
	if gradient == "numerical" {
		gradient += " (" + get(t+".numerical") + ")"
	}
	return report.Table{
		Header: []string{"run", "hidden", "gradient", "steps", "learning rate", "train CE", "test CE", "train acc", "test acc", "train time"},
		Rows: [][]string{{r.TrialID, get(t + ".hidden"), gradient, steps, get(t + ".learning_rate"),
			report.FormatFloat(r.TrainCE), report.FormatFloat(r.TestCE), report.FormatFloat(r.TrainAcc), report.FormatFloat(r.TestAcc),
			formatSeconds(r.TrainSeconds)}},
		Numeric: []bool{false, true, false, true, true, true, true, true, true, true},
	}
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

// walkFiles calls fn with the slash-separated path of every regular file
// under root, in sorted order.
func walkFiles(root string, fn func(rel string) error) error {
	var names []string
	err := walkDir(root, "", &names)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

func walkDir(root, rel string, names *[]string) error {
	entries, err := os.ReadDir(root + "/" + rel)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := e.Name()
		if rel != "" {
			p = rel + "/" + p
		}
		if e.IsDir() {
			if err := walkDir(root, p, names); err != nil {
				return err
			}
			continue
		}
		*names = append(*names, p)
	}
	return nil
}

// keptFile is an output a failed stage kept: its run-directory name and
// where it is.
type keptFile struct{ name, path string }

// keptFiles lists the published outputs that the failed stage stageID
// (cache key key) kept, such as a diverged training's history.parquet.
func keptFiles(eng *pipeline.Engine, key string, plan *pipeline.Plan, stageID string) []keptFile {
	dir, ok := eng.Cache.FailedDir(key)
	if !ok {
		return nil
	}
	for _, s := range plan.Stages {
		if s.ID == stageID {
			return keptFilesIn(dir, s.Spec)
		}
	}
	return nil
}

// keptFilesIn lists the published outputs of spec found in dir.
func keptFilesIn(dir string, spec *pipeline.Spec) []keptFile {
	var out []keptFile
	for _, o := range spec.Outputs {
		name := strings.TrimSuffix(o.File, "/")
		path := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Stat(path); err == nil && o.Publish {
			out = append(out, keptFile{name: name, path: path})
		}
	}
	return out
}

// fillFailedRun writes a failed run's directory: the effective config, a
// manifest with the status and error, a summary row, and the kept files.
func fillFailedRun(dir string, plan *pipeline.Plan, runID string, row *summaryRow, kept []keptFile) error {
	cfg, err := plan.EffectiveYAML()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), cfg, 0o644); err != nil {
		return err
	}
	m := manifest{Format: manifestFormat, Nnpipe: Version, RunID: runID, Name: plan.Name, ConfigSHA256: plan.Hash,
		Created: time.Now().UTC().Format(time.RFC3339), Status: row.Status, Error: row.Error, Files: map[string]string{}}
	for _, k := range kept {
		if err := pipeline.CopyFile(filepath.Join(dir, k.name), k.path); err != nil {
			return err
		}
		_, sum, err := cache.DigestFile(k.path)
		if err != nil {
			return err
		}
		m.Files[k.name] = sum
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}
