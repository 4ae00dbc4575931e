package predict

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
)

// testModel is a model of the columns x and y, standardized, with 3 hidden units and the
// classes of names.
func testModel(names ...string) *model.Model {
	m := &model.Model{Format: model.Format, Nnpipe: "test", D: 2, M: 3, K: len(names), Features: []string{"x", "y"},
		Label: "kind", Classes: names, Preprocess: []model.Step{{Op: model.Standardize, Mean: []float64{0.5, -1}, Std: []float64{2, 0.25}}},
		Source: &model.Source{Name: "src", ConfigSHA256: strings.Repeat("c", 64)}}
	m.Weights = make([]float64, m.Shape().NumParams())
	for i := range m.Weights {
		m.Weights[i] = math.Sin(float64(3*i + 1))
	}
	return m
}

// writeCSV writes rows of x, y and kind (with other columns around them) to a CSV file.
func writeCSV(t *testing.T, dir string, n int, kind func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,y,kind,x,note\n")
	for i := range n {
		x, y := math.Cos(float64(i)), float64(i)/7-3
		b.WriteString(strconv.Itoa(i) + "," + strconv.FormatFloat(y, 'g', -1, 64) + "," + kind(i) + "," +
			strconv.FormatFloat(x, 'g', -1, 64) + ",n\n")
	}
	path := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expected computes what Run must write for row i of writeCSV's data: the probabilities of
// the network on the standardized row.
func expected(m *model.Model, i int) []float64 {
	x := []float64{math.Cos(float64(i)), float64(i)/7 - 3}
	m.Prepare(x)
	net, _ := nn.NewNetwork(m.Shape(), m.Weights)
	y := make([]float64, m.K)
	net.Forward(x, y, nil, nil)
	return y
}

func TestRunWritesTheRunsColumnsAndMetadata(t *testing.T) {
	dir := t.TempDir()
	m := testModel("ant", "bee", "cat")
	data := writeCSV(t, dir, 2500, func(i int) string { return []string{"ant", "bee", "cat"}[i%3] })
	out := filepath.Join(dir, "p.parquet")
	res, err := Run(context.Background(), Options{Model: m, ModelSHA256: "digest", Data: data, Out: out, Version: "v"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2500 || res.Metrics == nil || res.Metrics.N != 2500 || res.UnknownRows != 0 {
		t.Fatalf("Run = %+v, want 2500 labelled rows", res)
	}
	tbl, err := dataset.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tbl.Fields, Fields(m, true)) {
		t.Fatalf("columns %v, want %v", tbl.Fields, Fields(m, true))
	}
	var names []string
	for _, f := range tbl.Fields {
		names = append(names, f.Name)
	}
	if want := "row x y label label_name predicted predicted_name p_0 p_1 p_2 correct"; strings.Join(names, " ") != want {
		t.Errorf("columns %s, want %s", strings.Join(names, " "), want)
	}
	for key, want := range map[string]string{MetaModelSHA256: "digest", "nnpipe.version": "v", "nnpipe.classes": `["ant","bee","cat"]`,
		"nnpipe.label": "kind", MetaSourceName: "src", MetaSourceConfig: strings.Repeat("c", 64)} {
		if tbl.Meta[key] != want {
			t.Errorf("metadata %s = %q, want %q", key, tbl.Meta[key], want)
		}
	}
	col := func(name string) any { c, _ := tbl.Column(name); return c }
	rows, xs := col("row").([]int64), col("x").([]float64)
	pred, label, correct := col("predicted").([]int32), col("label").([]int32), col("correct").([]bool)
	right := 0
	for i := range 2500 {
		want := expected(m, i)
		for k := range m.K {
			if got := col("p_" + strconv.Itoa(k)).([]float64)[i]; math.Float64bits(got) != math.Float64bits(want[k]) {
				t.Fatalf("row %d p_%d = %v, want %v", i, k, got, want[k])
			}
		}
		if rows[i] != int64(i) || xs[i] != math.Cos(float64(i)) || label[i] != int32(i%3) || pred[i] != int32(nn.Argmax(want)) {
			t.Fatalf("row %d: row %d x %v label %d predicted %d", i, rows[i], xs[i], label[i], pred[i])
		}
		if correct[i] != (label[i] == pred[i]) {
			t.Fatalf("row %d: correct %v for label %d predicted %d", i, correct[i], label[i], pred[i])
		}
		if correct[i] {
			right++
		}
		if name := col("predicted_name").([]string)[i]; name != m.Classes[pred[i]] {
			t.Fatalf("row %d: predicted_name %q, want %q", i, name, m.Classes[pred[i]])
		}
	}
	if res.Metrics.Accuracy != float64(right)/2500 {
		t.Errorf("accuracy %v, want %v", res.Metrics.Accuracy, float64(right)/2500)
	}
}

// TestRunWritesTheSameNumbersAsCSV writes the predictions as CSV too: every number must parse
// back to the bits of the Parquet file's.
func TestRunWritesTheSameNumbersAsCSV(t *testing.T) {
	dir := t.TempDir()
	m := testModel("0", "1")
	data := writeCSV(t, dir, 300, func(i int) string { return strconv.Itoa(i % 2) })
	pq, csv := filepath.Join(dir, "p.parquet"), filepath.Join(dir, "p.csv")
	for _, o := range []Options{{Out: pq}, {Out: csv, OutFormat: CSV}} {
		o.Model, o.Data = m, data
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	tbl, err := dataset.ReadTable(pq)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(readFile(t, csv)), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	if want := "row,x,y,label,predicted,p_0,p_1,correct"; lines[0] != want {
		t.Fatalf("CSV header %s, want %s (unnamed classes: no label_name, no predicted_name)", lines[0], want)
	}
	if len(lines) != 301 {
		t.Fatalf("CSV has %d lines, want 301", len(lines))
	}
	for i, line := range lines[1:] {
		for j, cell := range strings.Split(line, ",") {
			var got string
			switch c := tbl.Columns[j].(type) {
			case []int64:
				got = strconv.FormatInt(c[i], 10)
			case []int32:
				got = strconv.Itoa(int(c[i]))
			case []float64:
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil || math.Float64bits(v) != math.Float64bits(c[i]) {
					t.Fatalf("CSV row %d column %s = %s, Parquet holds %v", i, header[j], cell, c[i])
				}
				continue
			case []bool:
				got = strconv.FormatBool(c[i])
			}
			if cell != got {
				t.Fatalf("CSV row %d column %s = %s, Parquet holds %s", i, header[j], cell, got)
			}
		}
	}
}

// runAndRead scores data with m into out and returns the result and the
// table written.
func runAndRead(t *testing.T, m *model.Model, data, out string) (*Result, *dataset.Table) {
	t.Helper()
	res, err := Run(context.Background(), Options{Model: m, Data: data, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := dataset.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	return res, tbl
}

// TestRunMarksLabelsTheModelNeverSaw scores labels that are not classes (and integers written
// otherwise than the class names): the unknown rows get label −1 and are incorrect, the
// others count, and the result lists the values in order of appearance.
func TestRunMarksLabelsTheModelNeverSaw(t *testing.T) {
	dir := t.TempDir()
	m := testModel("0", "1", "2")
	kinds := []string{"1", "01", "unicorn", " 2 ", "+0", "7", "unicorn"}
	data := writeCSV(t, dir, len(kinds), func(i int) string { return kinds[i] })
	res, tbl := runAndRead(t, m, data, filepath.Join(dir, "p.parquet"))
	label, _ := tbl.Column("label")
	correct, _ := tbl.Column("correct")
	if want := []int32{1, 1, -1, 2, 0, -1, -1}; !slices.Equal(label.([]int32), want) {
		t.Errorf("labels %v, want %v", label, want)
	}
	for i, l := range label.([]int32) {
		if l < 0 && correct.([]bool)[i] {
			t.Errorf("row %d of an unknown label is marked correct", i)
		}
	}
	if want := []Unknown{{"unicorn", 2}, {"7", 1}}; !slices.Equal(res.Unknown, want) || res.UnknownRows != 3 {
		t.Errorf("unknown labels %v (%d rows), want %v (3 rows)", res.Unknown, res.UnknownRows, want)
	}
	if res.Metrics.N != 7 || res.Metrics.Accuracy > 4.0/7 {
		t.Errorf("metrics over %d rows, accuracy %v; want 7 rows, the 3 unknown ones wrong", res.Metrics.N, res.Metrics.Accuracy)
	}
	if w := res.Warning(); !strings.Contains(w, `3 rows have a label the model never saw`) || !strings.Contains(w, `"unicorn" (2), "7" (1)`) {
		t.Errorf("warning %q, want the count and the values", w)
	}
}

// TestRunNamesAKnownLabelAsTheModelNamesItsClass checks label_name: a
// label the model knows, however it is written ("01" for class "1", as
// load reads it), is named as the class, as the run's own predictions
// name it; an unknown one as written.
func TestRunNamesAKnownLabelAsTheModelNamesItsClass(t *testing.T) {
	dir := t.TempDir()
	m := testModel("1", "2", "3")
	kinds := []string{"01", "2", " 3", "unicorn", "+1"}
	data := writeCSV(t, dir, len(kinds), func(i int) string { return kinds[i] })
	_, tbl := runAndRead(t, m, data, filepath.Join(dir, "p.parquet"))
	names, ok := tbl.Column("label_name")
	if !ok {
		t.Fatal("no label_name column for classes named other than their ids")
	}
	if want := []string{"1", "2", "3", "unicorn", "1"}; !slices.Equal(names.([]string), want) {
		t.Errorf("label_name %q, want %q", names, want)
	}
}

func TestRunWithoutTheLabelColumnWritesNoLabels(t *testing.T) {
	dir := t.TempDir()
	m := testModel("a", "b")
	m.Label = "species"
	data := writeCSV(t, dir, 10, func(int) string { return "z" })
	res, tbl := runAndRead(t, m, data, filepath.Join(dir, "p.parquet"))
	if !slices.Equal(tbl.Fields, Fields(m, false)) || res.Metrics != nil || res.Warning() != "" {
		t.Errorf("unlabelled data: columns %v, metrics %v, warning %q; want no label, label_name, correct, metrics", tbl.Fields, res.Metrics, res.Warning())
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"metrics":null`) {
		t.Errorf("JSON of an unlabelled result = %s, %v", b, err)
	}
}

// TestResultJSONHasNullCrossEntropyWithoutKnownRows scores rows none of whose labels the model
// knows: there is no cross-entropy to average, and the JSON says null rather than failing on
// NaN.
func TestResultJSONHasNullCrossEntropyWithoutKnownRows(t *testing.T) {
	dir := t.TempDir()
	data := writeCSV(t, dir, 4, func(int) string { return "nope" })
	res, err := Run(context.Background(), Options{Model: testModel("a", "b"), Data: data, Out: filepath.Join(dir, "p.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Metrics map[string]any `json:"metrics"`
		Rows    int            `json:"rows"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if ce, ok := back.Metrics["cross_entropy"]; !ok || ce != nil || back.Metrics["accuracy"] != 0.0 || back.Rows != 4 {
		t.Errorf("JSON %s: want cross_entropy null, accuracy 0, 4 rows", b)
	}
}

// TestRunWritesNothingOnBadData checks that a refused file leaves no output and no temporary
// file, and an older output whole: the error comes at the 3,000th row, after batches were
// written.
func TestRunWritesNothingOnBadData(t *testing.T) {
	dir := t.TempDir()
	data := writeCSV(t, dir, 5000, func(int) string { return "a" })
	b := readFile(t, data)
	b = []byte(strings.Replace(string(b), "\n3000,", "\n3000,abc", 1))
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.parquet")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{Parquet, CSV} {
		_, err := Run(context.Background(), Options{Model: testModel("a", "b"), Data: data, Out: out, OutFormat: format})
		var le *dataset.LoadError
		if !pipeline.IsInvalid(err) || !errors.As(err, &le) || le.Line != 3002 || le.Column != "y" {
			t.Fatalf("Run of a bad value = %v, want an invalid-input error at line 3002, column y", err)
		}
		if got := string(readFile(t, out)); got != "old" {
			t.Errorf("the output was overwritten: %q", got)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("the folder holds %d files after a refusal, want the data and the old output", len(entries))
		}
	}
}

func TestRunStopsWhenCancelledAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	data := writeCSV(t, dir, 20000, func(int) string { return "a" })
	out := filepath.Join(dir, "p.parquet")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Model: testModel("a", "b"), Data: data, Out: out}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files after an interrupt, want only the data", len(entries))
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunRefusesRowsTheModelCannotScore: finite values whose sums overflow inside the network
// give probabilities that are not numbers. Such a row is invalid input named by its row, not
// predictions of NaN with a made-up class, and nothing is written.
func TestRunRefusesRowsTheModelCannotScore(t *testing.T) {
	dir := t.TempDir()
	m := testModel("a", "b")
	m.Preprocess = nil
	for i := range m.Weights {
		m.Weights[i] = 1e300
	}
	rows := []string{"0.5", "1", "1e10"}
	var b strings.Builder
	b.WriteString("x,y,kind\n")
	for _, r := range rows {
		b.WriteString(r + ",-" + r + ",a\n")
	}
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.parquet")
	_, err := Run(context.Background(), Options{Model: m, Data: data, Out: out})
	var le *dataset.LoadError
	if !pipeline.IsInvalid(err) || !errors.As(err, &le) || le.Row != 3 || !strings.Contains(err.Error(), "not finite") {
		t.Fatalf("Run of rows that overflow = %v, want an invalid-input error naming row 3", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files after a refusal, want only the data", len(entries))
	}
}

// TestRunRefusesAModelWithFeaturesNamedLikeItsColumns: a model whose feature column is named
// like a column of the predictions (row, predicted, …) cannot be scored into one table.
func TestRunRefusesAModelWithFeaturesNamedLikeItsColumns(t *testing.T) {
	for _, name := range []string{"row", "predicted", "p_0", "correct"} {
		dir := t.TempDir()
		m := testModel("a", "b")
		m.Features = []string{"x", name}
		data := filepath.Join(dir, "data.csv")
		if err := os.WriteFile(data, []byte("x,"+name+",kind\n1,2,a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{Parquet, CSV} {
			out := filepath.Join(dir, "p."+format)
			_, err := Run(context.Background(), Options{Model: m, Data: data, Out: out, OutFormat: format})
			if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), strconv.Quote(name)) {
				t.Errorf("a feature named %q, %s: %v, want an invalid-input error naming it", name, format, err)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("a feature named %q: the folder holds %d files, want only the data", name, len(entries))
		}
	}
}

// TestABatchHoldsBoundedFeaturesAndClasses: a batch holds at most model.MaxBatchValues
// features and as many probabilities, however wide the model, and batchRows rows of a narrow
// one. Its cells, numbers and columns grow with its features: batches of 16 Ki rows of 1,000
// features took 2.1 GB to score a 160 MB file.
func TestABatchHoldsBoundedFeaturesAndClasses(t *testing.T) {
	for _, tt := range []struct{ d, k, want int }{
		{2, 3, batchRows},
		{64, 10, batchRows},
		{1000, 2, model.MaxBatchValues / 1000},
		{10_000, 2, model.MaxBatchValues / 10_000},
		{3, dataset.MaxClasses, model.MaxBatchValues / dataset.MaxClasses},
		{2 * model.MaxBatchValues, 2, 1},
	} {
		m := &model.Model{D: tt.d, K: tt.k}
		if got := batchRowsOf(m); got != tt.want {
			t.Errorf("%d features, %d classes: batches of %d rows, want %d", tt.d, tt.k, got, tt.want)
		}
	}
}

// TestRunRefusesARunsStandardizedPredictions: a run's predictions.parquet
// whose metadata says its feature columns are standardized would be
// standardized twice; it is refused, naming the file, and nothing is
// written. The same columns without that metadata are data like any other.
func TestRunRefusesARunsStandardizedPredictions(t *testing.T) {
	dir := t.TempDir()
	d := &dataset.Dataset{Features: []string{"x", "y"}, Classes: []string{"a", "b"}, X: []float64{0.1, 0.2, 0.3, 0.4}, Labels: []int32{0, 1}}
	for _, c := range []struct {
		meta    map[string]string
		refused bool
	}{
		{map[string]string{model.StandardizedKey: "true"}, true},
		{map[string]string{"nnpipe.version": "test"}, false},
	} {
		data := filepath.Join(dir, "predictions.parquet")
		if err := dataset.WriteFile(data, d, c.meta); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out.parquet")
		os.Remove(out)
		_, err := Run(context.Background(), Options{Model: testModel("a", "b"), Data: data, Out: out})
		if !c.refused {
			if err != nil {
				t.Errorf("Run of data with metadata %v = %v, want it scored", c.meta, err)
			}
			continue
		}
		if !pipeline.IsInvalid(err) || !strings.Contains(err.Error(), data) || !strings.Contains(err.Error(), "standardize them again") {
			t.Errorf("Run of standardized predictions = %v, want an invalid-input error naming the file", err)
		}
		if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("a refused Run wrote %s", out)
		}
	}
}

// TestResultJSONListsNoUnknownLabelsAsEmpty: with every label known, or no label column at
// all, "unknown_labels" is an empty list, as documented, not null; so are none of the other
// lists.
func TestResultJSONListsNoUnknownLabelsAsEmpty(t *testing.T) {
	for _, c := range []struct{ name, label string }{
		{"every label known", "kind"},
		{"no label column", "species"},
	} {
		label := c.label
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := testModel("a", "b")
			m.Label = label
			data := writeCSV(t, dir, 4, func(i int) string { return []string{"a", "b"}[i%2] })
			res, err := Run(context.Background(), Options{Model: m, Data: data, Out: filepath.Join(dir, "p.parquet")})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if u, ok := back["unknown_labels"].([]any); !ok || len(u) != 0 {
				t.Errorf("JSON %s: unknown_labels %v, want []", b, back["unknown_labels"])
			}
			if c, ok := back["classes"].([]any); !ok || len(c) != 2 {
				t.Errorf("JSON %s: classes %v, want the model's two", b, back["classes"])
			}
			metrics, ok := back["metrics"].(map[string]any)
			if ok != (label == "kind") {
				t.Errorf("JSON %s: metrics %v, want them only with the label column", b, back["metrics"])
			}
			if ok {
				for _, key := range []string{"confusion", "precision", "recall"} {
					if l, ok := metrics[key].([]any); !ok || len(l) != 2 {
						t.Errorf("JSON %s: metrics.%s %v, want one per class", b, key, metrics[key])
					}
				}
			}
		})
	}
}
