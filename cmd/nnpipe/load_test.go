package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/results"
)

const (
	irisConfig    = "../../configs/iris.yaml"
	bookCSVConfig = "../../configs/book-ch7-csv.yaml"
	irisData      = "../../data/iris.csv"
	digitsConfig  = "../../configs/digits.yaml"
)

var (
	loadScaleRows = flag.Int("load-scale-rows", 20_000, "rows of the data set that TestLoadScale pushes through load → … → predictions (the scale check in the README is 1000000)")
	loadScaleDir  = flag.String("load-scale-dir", "", "where TestLoadScale writes its data and configs, kept for timing the binary on them (default: a temporary folder)")
)

// cacheEntries returns the stage ids of the entries published in a cache folder.
func cacheEntries(t *testing.T, cacheDir string) []string {
	t.Helper()
	var stages []string
	for _, rel := range listTree(t, cacheDir) {
		if filepath.Base(rel) != "entry.json" {
			continue
		}
		var e struct{ Meta struct{ Stage string } }
		if err := json.Unmarshal(readFile(t, filepath.Join(cacheDir, rel)), &e); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		stages = append(stages, e.Meta.Stage)
	}
	slices.Sort(stages)
	return stages
}

// runBadData runs a config that must be refused for its data and checks the contract: exit
// status 2, one line on stderr, nothing under the results folder, and nothing published by the
// failing stage (stages before it may publish; fails names it, "" for a config error caught
// before anything runs, which publishes nothing at all). It returns stderr.
func runBadData(t *testing.T, config, fails string) string {
	t.Helper()
	results, cacheDir := t.TempDir(), t.TempDir()
	// A run that blocks on its input is caught by go test's -timeout.
	_, stderr, code := nnpipe(t, "run", config, "--results", results, "--cache", cacheDir, "--quiet")
	if code != exitInvalid {
		t.Errorf("exit status = %d, want %d; stderr:\n%s", code, exitInvalid, stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "nnpipe: ") {
		t.Errorf("stderr = %q, want one line starting with \"nnpipe: \"", stderr)
	}
	if left := listTree(t, results); len(left) > 0 {
		t.Errorf("results folder holds %v after refused data, want nothing", left)
	}
	entries := cacheEntries(t, cacheDir)
	if fails == "" || fails == "data" {
		if len(entries) > 0 {
			t.Errorf("cache holds entries of stages %v, want none", entries)
		}
	} else if slices.Contains(entries, fails) {
		t.Errorf("cache holds an entry of the failing stage %q", fails)
	}
	return stderr
}

// TestBadDataIsRefusedWithOneLineNamingTheFileAndNothingWritten runs every bad-data case of
// the loader through the CLI, with stderr compared to testdata/baddata/<case>.golden.
func TestBadDataIsRefusedWithOneLineNamingTheFileAndNothingWritten(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fails string // the failing stage; "" when the config itself is refused
	}{
		{"missing-file", "data"},
		{"directory", "data"},
		{"empty-file", "data"},
		{"header-without-rows", "data"},
		{"ragged-row", "data"},
		{"non-numeric-feature", "data"},
		{"nan", "data"},
		{"plus-inf", "data"},
		{"minus-inf", "data"},
		{"missing-label-column", "data"},
		{"line-break-in-header", "data"},
		{"missing-feature-column", "data"},
		{"empty-label", "data"},
		{"single-class", "data"},
		{"wrong-delimiter", "data"},
		{"not-parquet", "data"},
		{"parquet-unsupported-type", "data"},
		{"parquet-header-false", ""},
		{"split-leaves-a-part-empty", "split"},
		{"split-column-all-train", "split"},
		{"split-column-bad-value", "split"},
		{"split-column-not-kept", ""},
		{"split-column-is-a-feature", ""},
		{"stratified-class-too-small", "split"},
		{"non-utf8-label", "data"},
		{"non-utf8-header", "data"},
		{"non-utf8-kept", "data"},
		{"non-utf8-label-parquet", "data"},
		{"duplicate-header", "data"},
		{"parquet-footer-claims-2g-rows", "data"},
		{"feature-named-label", "data"},
		{"standardize-score-overflows", "scale"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "baddata")
			stderr := runBadData(t, filepath.Join(dir, c.name+".yaml"), c.fails)
			golden(t, filepath.Join(dir, c.name+".golden"), stderr)
		})
	}

	// Files that cannot be committed: made here, and their folder masked as $TMP.
	runtime := []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}},
		{"too-many-classes", func(t *testing.T, path string) {
			var b strings.Builder
			b.WriteString("x,label\n")
			for i := range dataset.MaxClasses + 1 {
				fmt.Fprintf(&b, "%d,id-%d\n", i, i)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"unreadable", func(t *testing.T, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads files whatever their mode")
			}
			if err := os.WriteFile(path, []byte("x,label\n1,a\n2,b\n"), 0o000); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range runtime {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			c.make(t, filepath.Join(tmp, c.name+".csv"))
			config := filepath.Join(tmp, c.name+".yaml")
			src := fmt.Sprintf("name: baddata\nstages:\n  - {id: data, kind: load, with: {path: %s.csv, label: label}}\n  - {id: split, kind: split}\n", c.name)
			if err := os.WriteFile(config, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			stderr := runBadData(t, config, "data")
			golden(t, filepath.Join("testdata", "baddata", c.name+".golden"), strings.ReplaceAll(stderr, tmp, "$TMP"))
		})
	}
}

// loadMetrics is the part of metrics.json these tests read.
type loadMetrics struct {
	Train, Test struct {
		Accuracy  float64
		N         int
		Confusion [][]int
	}
	Classes []string
}

// TestDigitsConfigRuns runs the shipped digits config, the README's real table, for 5 steps
// with each gradient (the table's peer comparison runs 1,000 steps with either): the table
// loads whole, the stratified 70/30 split keeps each digit's share, and both gradients train the
// same network.
func TestDigitsConfigRuns(t *testing.T) {
	t.Parallel()
	type part struct {
		CrossEntropy float64 `json:"cross_entropy"`
		N            int
		Confusion    [][]int
	}
	var ce []float64
	for _, gradient := range []string{"numerical", "backprop"} {
		r := runJSONOf(t, digitsConfig, "--results", t.TempDir(), "--set", "train.steps=5", "--set", "train.gradient="+gradient)
		var m struct {
			Train, Test part
			Classes     []string
		}
		decodeJSONFile(t, filepath.Join(r.RunDir, "metrics.json"), &m)
		if want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; !slices.Equal(m.Classes, want) {
			t.Errorf("%s: classes = %v, want %v", gradient, m.Classes, want)
		}
		if m.Train.N+m.Test.N != 1797 {
			t.Errorf("%s: %d training and %d test rows, want 1,797 in all", gradient, m.Train.N, m.Test.N)
		}
		for c := range m.Classes {
			train, test := sumInts(m.Train.Confusion[c]), sumInts(m.Test.Confusion[c])
			if share := float64(train) / float64(train+test); math.Abs(share-0.7)*float64(train+test) > 1 {
				t.Errorf("%s: digit %d has %d training rows of %d, want 70%% within a row (stratified)", gradient, c, train, train+test)
			}
		}
		ce = append(ce, m.Train.CrossEntropy, m.Test.CrossEntropy)
	}
	// The central difference's error is O(ε²) = 1e-6 relative in each gradient component;
	// from the small initial weights, five steps leave the cross-entropies 3e-10 apart.
	for i, what := range []string{"training", "test"} {
		if d := math.Abs(ce[i] - ce[i+2]); d > 1e-8 {
			t.Errorf("%s cross-entropy: numerical %v, backprop %v, want them within 1e-8", what, ce[i], ce[i+2])
		}
	}
}

func TestIrisConfigReachesTheAccuracyGoalWithNamedClasses(t *testing.T) {
	t.Parallel()
	r := runJSONOf(t, irisConfig, "--results", t.TempDir())
	var m loadMetrics
	decodeJSONFile(t, filepath.Join(r.RunDir, "metrics.json"), &m)
	if m.Test.Accuracy < 0.93 {
		t.Errorf("iris test accuracy = %v, want at least 0.93 (it reaches 1.0 today)", m.Test.Accuracy)
	}
	species := []string{"setosa", "versicolor", "virginica"}
	if !slices.Equal(m.Classes, species) {
		t.Errorf("metrics classes = %v, want %v", m.Classes, species)
	}
	// Stratified 70/30: 35 training and 15 test rows of each species.
	for part, want := range map[string]struct {
		m   [][]int
		per int
	}{"train": {m.Train.Confusion, 35}, "test": {m.Test.Confusion, 15}} {
		for c, row := range want.m {
			if n := sumInts(row); n != want.per {
				t.Errorf("%s rows of %s = %d, want %d (stratified)", part, species[c], n, want.per)
			}
		}
	}
	tbl, err := dataset.ReadTable(filepath.Join(r.RunDir, "predictions.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	label, _ := tbl.Column("label")
	names, ok := tbl.Column("label_name")
	if !ok {
		t.Fatalf("predictions.parquet has no label_name column; fields %v", tbl.Fields)
	}
	for i, l := range label.([]int32) {
		if got := names.([]string)[i]; got != species[l] {
			t.Fatalf("predictions row %d: label %d named %q, want %q", i, l, got, species[l])
		}
	}
	if kv := tbl.Meta["nnpipe.classes"]; kv != `["setosa","versicolor","virginica"]` {
		t.Errorf("predictions metadata nnpipe.classes = %q, want the species", kv)
	}
}

func sumInts(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// TestBookCh7CSVGivesTheSameNumbersAsTheGeneratedData runs configs/book-ch7-csv.yaml (the
// book's data loaded from data/book_ch7.csv, split by its train column) and
// configs/book-ch7.yaml (the data generated): the CSV holds the values with 17 significant
// digits, which parse back to the generated float64s exactly, so the metrics are the same bytes
// and so is the model, but for the run it names.
func TestBookCh7CSVGivesTheSameNumbersAsTheGeneratedData(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	fromCSV := runJSONOf(t, bookCSVConfig, "--results", out)
	generated := runJSONOf(t, bookConfig, "--results", out)
	if a, b := readFile(t, filepath.Join(fromCSV.RunDir, "metrics.json")), readFile(t, filepath.Join(generated.RunDir, "metrics.json")); !bytes.Equal(a, b) {
		t.Errorf("metrics.json of book-ch7-csv differs from book-ch7's:\n%s\nwant:\n%s", a, b)
	}
	// The models are the same bytes but for the run each names: its config's name and hash.
	var models [2][]byte
	for i, r := range []runJSON{fromCSV, generated} {
		m, err := model.Read(filepath.Join(r.RunDir, "model.json"))
		if err != nil {
			t.Fatal(err)
		}
		manifest, err := results.ReadManifest(r.RunDir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Source == nil || m.Source.ConfigSHA256 != manifest.ConfigSHA256 || m.Source.Name != manifest.Name {
			t.Errorf("model.json of %s names the source %+v, want the run's config %s (%s)", r.RunDir, m.Source, manifest.Name, manifest.ConfigSHA256)
		}
		m.Source = nil
		if models[i], err = m.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(models[0], models[1]) {
		t.Errorf("model.json of book-ch7-csv differs from book-ch7's beyond its source:\n%s\nwant:\n%s", models[0], models[1])
	}
	stages := map[string]string{}
	for _, s := range fromCSV.Stages {
		stages[s.ID] = s.Kind
	}
	if stages["data"] != "load" || stages["split"] != "split" {
		t.Errorf("book-ch7-csv stages = %v, want data loaded and split", stages)
	}
	// The predictions differ only in their run metadata: every column is equal.
	a, err := dataset.ReadTable(filepath.Join(fromCSV.RunDir, "predictions.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := dataset.ReadTable(filepath.Join(generated.RunDir, "predictions.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Fields, b.Fields) {
		t.Fatalf("predictions columns %v, want %v", a.Fields, b.Fields)
	}
	for i, f := range a.Fields {
		if fmt.Sprint(a.Columns[i]) != fmt.Sprint(b.Columns[i]) {
			t.Errorf("predictions column %q differs", f.Name)
		}
	}
}

// loadWorkspace copies data/iris.csv and a config that loads it into a new folder and returns
// the config's path.
func loadWorkspace(t *testing.T, config string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), readFile(t, irisData), 0o644); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "iris.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

const irisWorkspaceConfig = `name: iris
stages:
  - {id: data, kind: load, with: {path: iris.csv, label: species}}
  - {id: split, kind: split, with: {train_ratio: 0.7, shuffle: true, stratify: true}}
  - {id: scale, kind: standardize}
  - {id: train, kind: train, with: {hidden: 3, steps: 50}}
  - {id: eval, kind: evaluate}
  - {id: predictions, kind: predictions}
`

// TestLoadCacheKeyFollowsTheFileBytesNotItsTimes: touching the file reuses every stage;
// an edit that leaves the parsed data as it was reruns load only (its output is the same bytes,
// so what follows is found in the cache); an edit of a value reruns load and everything after.
func TestLoadCacheKeyFollowsTheFileBytesNotItsTimes(t *testing.T) {
	t.Parallel()
	dir, config := loadWorkspace(t, irisWorkspaceConfig)
	data := filepath.Join(dir, "iris.csv")
	results := t.TempDir()
	cached := func(r runJSON) map[string]bool {
		m := map[string]bool{}
		for _, s := range r.Stages {
			m[s.ID] = s.Cached
		}
		return m
	}
	all := func(v bool) map[string]bool {
		return map[string]bool{"data": v, "split": v, "scale": v, "train": v, "eval": v, "predictions": v}
	}
	edit := func(old, new string) {
		t.Helper()
		b := readFile(t, data)
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("iris.csv has no %q", old)
		}
		if err := os.WriteFile(data, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		change func()
		want   map[string]bool
	}{
		{"the first run computes everything", func() {}, all(false)},
		{"touching the file reuses everything", func() {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(data, later, later); err != nil {
				t.Fatal(err)
			}
		}, all(true)},
		{"an edit that parses to the same data reruns load alone", func() { edit("\n5.1,3.5,", "\n5.10,3.5,") },
			map[string]bool{"data": false, "split": true, "scale": true, "train": true, "eval": true, "predictions": true}},
		{"editing a value reruns load and everything after", func() { edit("\n5.10,3.5,", "\n5.2,3.5,") }, all(false)},
	}
	for _, s := range steps {
		s.change()
		r := runJSONOf(t, config, "--results", results)
		if got := cached(r); !maps.Equal(got, s.want) {
			t.Errorf("%s: cached = %v, want %v", s.name, got, s.want)
		}
	}
}

// TestLoadParquetGivesTheSameRunAsCSV writes iris as Parquet and checks that loading it gives
// the metrics of loading the CSV, byte for byte.
func TestLoadParquetGivesTheSameRunAsCSV(t *testing.T) {
	t.Parallel()
	dir, csvConfig := loadWorkspace(t, irisWorkspaceConfig)
	d, err := dataset.Load(filepath.Join(dir, "iris.csv"), dataset.LoadOptions{Label: "species"})
	if err != nil {
		t.Fatal(err)
	}
	// The Parquet file names its columns as the CSV does, the label too: the model records the
	// label column's name, so the datasets are equal only if the names are.
	fields := make([]dataset.Field, 0, d.Dims()+1)
	cols := make([]any, 0, d.Dims()+1)
	for j, name := range d.Features {
		fields = append(fields, dataset.Field{Name: name, Type: dataset.Float64})
		col := make([]float64, d.Rows())
		for i := range col {
			col[i] = d.X[i*d.Dims()+j]
		}
		cols = append(cols, col)
	}
	species := make([]string, d.Rows())
	for i, l := range d.Labels {
		species[i] = d.Classes[l]
	}
	fields = append(fields, dataset.Field{Name: "species", Type: dataset.String})
	w, err := dataset.CreateTable(filepath.Join(dir, "iris.parquet"), fields, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(append(cols, species)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pqConfig := filepath.Join(dir, "iris-parquet.yaml")
	src := strings.Replace(irisWorkspaceConfig, "{path: iris.csv, label: species}", "{path: iris.parquet, label: species}", 1)
	if err := os.WriteFile(pqConfig, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	results := t.TempDir()
	a := runJSONOf(t, csvConfig, "--results", results)
	b := runJSONOf(t, pqConfig, "--results", results)
	if ma, mb := readFile(t, filepath.Join(a.RunDir, "metrics.json")), readFile(t, filepath.Join(b.RunDir, "metrics.json")); !bytes.Equal(ma, mb) {
		t.Errorf("metrics from Parquet differ from CSV:\n%s\nwant:\n%s", mb, ma)
	}
	if a.Stages[0].Key == b.Stages[0].Key {
		t.Errorf("the CSV and Parquet load stages share a key")
	}
	for i := 1; i < len(a.Stages); i++ {
		if !b.Stages[i].Cached && b.Stages[i].Kind != "predictions" {
			t.Errorf("stage %q after a Parquet load of the same data: cached = false, want a cache hit (same dataset bytes)", b.Stages[i].ID)
		}
	}
}

// writeScaleData writes n rows of 8 features and a 3-class string label to dir as data.csv
// (shortest exact decimals) and data.parquet, and a config for each that runs load → shuffled
// split → standardize → 5 backprop steps with 4 hidden units → evaluate → predictions.
func writeScaleData(t *testing.T, dir string, n int) (csvConfig, pqConfig string) {
	t.Helper()
	const dims = 8
	src := rand.New(rand.NewPCG(5, 1))
	d := &dataset.Dataset{Classes: []string{"low", "mid", "high"}, X: make([]float64, n*dims), Labels: make([]int32, n)}
	for j := range dims {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	buf := make([]byte, 0, 64<<20)
	f, err := os.Create(filepath.Join(dir, "data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	buf = append(buf, strings.Join(d.Features, ",")+",label\n"...)
	for i := range n {
		s := 0.0
		for j := range dims {
			v := src.NormFloat64()
			d.X[i*dims+j] = v
			s += v
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ',')
		}
		switch {
		case s < -1:
			d.Labels[i] = 0
		case s < 1:
			d.Labels[i] = 1
		default:
			d.Labels[i] = 2
		}
		buf = append(append(buf, d.Classes[d.Labels[i]]...), '\n')
		if len(buf) > 60<<20 {
			if _, err := f.Write(buf); err != nil {
				t.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteFile(filepath.Join(dir, "data.parquet"), d, nil); err != nil {
		t.Fatal(err)
	}
	config := func(name, load string) string {
		path := filepath.Join(dir, name+".yaml")
		src := "name: " + name + `
seed: 1
stages:
  - {id: data, kind: load, with: ` + load + `}
  - {id: split, kind: split, with: {train_ratio: 0.8, shuffle: true}}
  - {id: scale, kind: standardize}
  - {id: train, kind: train, with: {hidden: 4, gradient: backprop, steps: 5, learning_rate: 0.5}}
  - {id: eval, kind: evaluate}
  - {id: predictions, kind: predictions}
`
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return config("scale-csv", "{path: data.csv, label: label}"),
		config("scale-parquet", "{path: data.parquet, label: label_name, features: [x0, x1, x2, x3, x4, x5, x6, x7]}")
}

// TestLoadScale pushes a generated data set of -load-scale-rows rows × 8 features (20,000 by
// default; the README's scale check is 1,000,000) through load, split, standardize, a short
// backprop train, evaluate and predictions, from CSV and from Parquet, and logs each stage's
// time and rows/s. For the memory figure, run the binary on the configs it leaves in
// -load-scale-dir under /usr/bin/time -v.
func TestLoadScale(t *testing.T) {
	t.Parallel()
	n := *loadScaleRows
	if testing.Short() && n > 20_000 {
		t.Skip("a large scale check")
	}
	dir := *loadScaleDir
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	csvConfig, pqConfig := writeScaleData(t, dir, n)
	t.Logf("wrote %d rows to %s in %v", n, dir, time.Since(start).Round(time.Millisecond))
	results := t.TempDir()
	for _, config := range []string{csvConfig, pqConfig} {
		r := runJSONOf(t, config, "--results", results, "--no-cache")
		var m loadMetrics
		if err := json.Unmarshal(r.Metrics, &m); err != nil {
			t.Fatal(err)
		}
		if got := m.Train.N + m.Test.N; got != n {
			t.Errorf("%s: metrics cover %d rows, want %d", filepath.Base(config), got, n)
		}
		if !slices.Equal(m.Classes, []string{"high", "low", "mid"}) {
			t.Errorf("%s: classes %v, want the sorted names", filepath.Base(config), m.Classes)
		}
		var line strings.Builder
		for _, s := range r.Stages {
			fmt.Fprintf(&line, " %s %.2fs (%.2g rows/s)", s.ID, s.Seconds, float64(n)/math.Max(s.Seconds, 1e-9))
		}
		t.Logf("%s:%s", filepath.Base(config), line.String())
		tbl, err := dataset.ReadTable(filepath.Join(r.RunDir, "predictions.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if tbl.Rows != n {
			t.Errorf("%s: predictions have %d rows, want %d", filepath.Base(config), tbl.Rows, n)
		}
	}
}

// TestASplitColumnTheDataDoesNotCarryIsRefusedAtItsLine: validate, run and
// sweep refuse a split by a column the load stage does not keep, at the
// line of split's column, naming the columns it keeps, before any work; a
// sweep names the trial whose value it is.
func TestASplitColumnTheDataDoesNotCarryIsRefusedAtItsLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("x0,x1,part,label\n")
	for i := range 20 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d\n", i%7, i%3, i%4/3, i%2)
	}
	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("d.csv", csv.String())
	const stages = `stages:
  - id: data
    kind: load
    with: {path: d.csv, label: label, features: [x0, x1], keep: [part]}
  - id: split
    kind: split
    with:
      column: %s
  - {id: train, kind: train, with: {hidden: 2, steps: 5}}
`
	good := write("good.yaml", "name: c\n"+fmt.Sprintf(stages, "part"))
	bad := write("bad.yaml", "name: c\n"+fmt.Sprintf(stages, "prt"))
	swept := write("swept.yaml", "name: c\n"+fmt.Sprintf(stages, "part")+"sweep:\n  split.column: [part, other]\n")
	results := filepath.Join(dir, "results")

	if _, stderr, code := nnpipe(t, "validate", good); code != 0 {
		t.Errorf("validate of a split by a kept column: exit %d\n%s", code, stderr)
	}
	want := `bad.yaml:9: stage "split": column: "prt" is not among the columns stage "data" carries beside its features ("part"); list it under that stage's keep`
	for _, args := range [][]string{{"validate", bad}, {"run", bad, "--results", results}} {
		_, stderr, code := nnpipe(t, args...)
		if code != exitInvalid || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line ending %q", args[0], code, stderr, want)
		}
	}
	_, stderr, code := nnpipe(t, "sweep", swept, "--results", results)
	if code != exitInvalid || !strings.Contains(stderr, `"other" is not among the columns stage "data" carries`) || !strings.Contains(stderr, "split.column=other") {
		t.Errorf("sweep over a column not kept: exit %d, stderr %q; want exit 2 naming the trial and the column", code, stderr)
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("the refused commands wrote %s: %v", results, err)
	}
}

// TestASweepWhoseAxisCompletesTheConfigValidatesAndPlans: a data path
// given by a sweep axis alone leaves the config incomplete without its
// sweep: validate and plan judge it by its trials, as sweep runs them
// (validate saying that run of the config alone would be refused, which
// it is), and a trial that is itself invalid is still refused.
func TestASweepWhoseAxisCompletesTheConfigValidatesAndPlans(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv, err := os.ReadFile("../../data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	const base = `name: iris
stages:
  - {id: data, kind: load, with: {label: species}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 3, gradient: backprop, steps: 5}}
sweep:
  data.path: [iris.csv]
  train.hidden: [%s]
`
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good, bad := write("good.yaml", fmt.Sprintf(base, "2, 3")), write("bad.yaml", fmt.Sprintf(base, "2, 0"))
	results := filepath.Join(dir, "results")

	out, stderr, code := nnpipe(t, "validate", good)
	if code != 0 || !strings.Contains(out, "ok (2 sweep trials; the config alone, without its sweep, is incomplete: run would refuse it)") {
		t.Errorf("validate: exit %d, stdout %q, stderr %q; want ok for the trials, saying run would refuse the config alone", code, out, stderr)
	}
	if out, stderr, code := nnpipe(t, "plan", good, "--results", results); code != 0 || !strings.Contains(out, "sweep: 2 trials: 0 done, 0 failed, 2 pending") {
		t.Errorf("plan: exit %d, stdout %q, stderr %q; want the sweep's 2 trials planned", code, out, stderr)
	}
	if _, stderr, code := nnpipe(t, "run", good, "--results", results); code != exitInvalid || !strings.Contains(stderr, "path: required") {
		t.Errorf("run of the config alone: exit %d, stderr %q; want it refused for its missing path", code, stderr)
	}
	for _, args := range [][]string{{"validate", bad}, {"plan", bad, "--results", results}} {
		if _, stderr, code := nnpipe(t, args...); code != exitInvalid || !strings.Contains(stderr, "train.hidden=0") {
			t.Errorf("%s of a sweep with an invalid trial: exit %d, stderr %q; want it refused, naming the trial", args[0], code, stderr)
		}
	}
	// A problem at a key no axis sets is the config's, reported as run
	// reports it, without a trial.
	unswept := write("unswept.yaml", strings.Replace(fmt.Sprintf(base, "2, 3"), "steps: 5", "steps: -5", 1))
	for _, args := range [][]string{{"validate", unswept}, {"plan", unswept, "--results", results}, {"run", unswept, "--results", results}} {
		_, stderr, code := nnpipe(t, args...)
		if code != exitInvalid || !strings.Contains(stderr, "steps") || strings.Contains(stderr, "trial") {
			t.Errorf("%s of a config wrong at a key no axis sets: exit %d, stderr %q; want it refused as the config's, naming no trial", args[0], code, stderr)
		}
		if swept := strings.Contains(stderr, "path: required"); swept != (args[0] == "run") {
			t.Errorf("%s: stderr %q names the path an axis sets: %v, want %v (only run, which ignores the sweep)", args[0], stderr, swept, args[0] == "run")
		}
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("validate, plan and the refused run wrote %s: %v", results, err)
	}
}

// TestAValueOfMegabytesIsNamedShortly: a value of 300,000 characters
// where a name or a kind is expected, in the config or given with --set,
// is refused with lines a person reads (each under 1,000 bytes), not with
// the value in full.
func TestAValueOfMegabytesIsNamedShortly(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("q", 300_000)
	const base = `name: long
stages:
  - {id: data, kind: %s, with: {dataset: %s}}
  - {id: split, kind: split, with: {shuffle: true, rng: %s}}
  - {id: train, kind: train, with: {hidden: 2, steps: 5, init: {rng: %s}}}
  - {id: plots, kind: plot, with: {plots: [%s, %s]}}
sweep:
  train.optimizer: [%s]
`
	cases := map[string][]any{
		"kind":              {long, "moons", "pcg", "pcg", "learning_curve", "weights", "gd"},
		"dataset":           {"generate", long, "pcg", "pcg", "learning_curve", "weights", "gd"},
		"split's rng":       {"generate", "moons", long, "pcg", "learning_curve", "weights", "gd"},
		"train's init rng":  {"generate", "moons", "pcg", long, "learning_curve", "weights", "gd"},
		"a plot twice":      {"generate", "moons", "pcg", "pcg", long, long, "gd"},
		"a swept optimizer": {"generate", "moons", "pcg", "pcg", "learning_curve", "weights", long},
	}
	dir := t.TempDir()
	for name, values := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		if err := os.WriteFile(path, []byte(fmt.Sprintf(base, values...)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := nnpipe(t, "validate", path)
		if code != exitInvalid {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		for _, line := range stderrLines(stderr) {
			if len(line) > 1000 {
				t.Errorf("%s: a line of %d bytes: %.120s…", name, len(line), line)
			}
		}
	}
	_, stderr, code := nnpipe(t, "validate", "testdata/ok.yaml", "--set", "data.dataset="+long[:60_000])
	if code != exitInvalid || len(stderr) > 1000 {
		t.Errorf("--set of 60,000 characters: exit %d, %d bytes of stderr; want 2 and a short line", code, len(stderr))
	}
}

// TestAFeatureNamedLikeAPredictionsColumnIsRefusedBeforeTraining loads a
// table whose feature is named row, in a chain that writes predictions:
// the run stops once the data is loaded, exit 2 with one line naming the
// column, and no training was computed (the cache holds no train entry).
func TestAFeatureNamedLikeAPredictionsColumnIsRefusedBeforeTraining(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("row,a,y\n")
	for i := range 40 {
		fmt.Fprintf(&csv, "%d,%d.5,%c\n", i, i%7, "pq"[i%2])
	}
	cfg := filepath.Join(dir, "c.yaml")
	for name, body := range map[string]string{"d.csv": csv.String(), "c.yaml": `name: c
stages:
  - {id: data, kind: load, with: {path: d.csv, label: y}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, gradient: backprop, steps: 20}}
  - {id: eval, kind: evaluate}
  - {id: predictions, kind: predictions}
`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cacheDir := filepath.Join(dir, "cache")
	out, stderr, code := nnpipe(t, "run", cfg, "--results", filepath.Join(dir, "results"), "--cache", cacheDir, "--quiet")
	want := `stage "predictions": the feature column "row" has the name of a column of predictions.parquet`
	if code != exitInvalid || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line saying %s", code, out, stderr, want)
	}
	err := filepath.WalkDir(cacheDir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.Name() != "entry.json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), `"kind": "train"`) {
			t.Errorf("the training was computed before the refusal: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestARelativePathLeavesTheFolderALinkLeadsTo runs a config reached
// through a symbolic link to its folder, whose data path starts with "..":
// it names the file beside the folder the link leads to, as the system
// reads "link/../data/d.csv", not the one beside the link, which holds
// other rows.
func TestARelativePathLeavesTheFolderALinkLeadsTo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	book := readFile(t, "../../data/book_ch7.csv")
	lines := strings.SplitAfter(string(book), "\n")
	for path, body := range map[string]string{
		"real/data/d.csv":     string(book),                  // 200 rows
		"else/sub/data/d.csv": strings.Join(lines[:151], ""), // 150 rows
		"real/configs/c.yaml": `name: c
stages:
  - {id: data, kind: load, with: {path: ../data/d.csv, label: label}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, gradient: backprop, steps: 5}}
  - {id: eval, kind: evaluate}
`} {
		path = filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "real", "configs"), filepath.Join(dir, "else", "sub", "link")); err != nil {
		t.Fatal(err)
	}
	r := runJSONOf(t, filepath.Join(dir, "else", "sub", "link", "c.yaml"), "--results", filepath.Join(dir, "results"))
	var m struct{ Train, Test struct{ N int } }
	if err := json.Unmarshal(r.Metrics, &m); err != nil {
		t.Fatal(err)
	}
	if rows := m.Train.N + m.Test.N; rows != 200 {
		t.Errorf("the run read %d rows; want the 200 of real/data/d.csv", rows)
	}
	want := "path: " + filepath.Join(dir, "real", "data", "d.csv")
	if cfg := string(readFile(t, filepath.Join(r.RunDir, "config.yaml"))); !strings.Contains(cfg, want) {
		t.Errorf("config.yaml does not hold %q:\n%s", want, cfg)
	}
}

// TestPlotsThatDrawNothingAreRefusedBeforeTraining asks for the boundary
// alone of three-feature data: the run stops once the data is loaded, exit
// 2 naming plots, and trains nothing; with weights beside it, the run draws
// the weights and skips the boundary.
func TestPlotsThatDrawNothingAreRefusedBeforeTraining(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		plots string
		code  int
	}{{"[boundary]", exitInvalid}, {"[weights, boundary]", 0}} {
		dir := t.TempDir()
		var csv strings.Builder
		csv.WriteString("a,b,c,y\n")
		for i := range 40 {
			fmt.Fprintf(&csv, "%d,%d,%d.5,%c\n", i%5, i%3, i%7, "pq"[i%2])
		}
		cfg := filepath.Join(dir, "c.yaml")
		for name, body := range map[string]string{"d.csv": csv.String(), "c.yaml": `name: c
stages:
  - {id: data, kind: load, with: {path: d.csv, label: y}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {hidden: 2, gradient: backprop, steps: 5}}
  - {id: plots, kind: plot, with: {plots: ` + c.plots + `}}
`} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, stderr, code := nnpipe(t, "run", cfg, "--results", filepath.Join(dir, "results"), "--cache", filepath.Join(dir, "cache"), "--quiet")
		if code != c.code {
			t.Fatalf("plots %s: exit %d, stderr %q; want %d", c.plots, code, stderr, c.code)
		}
		if code == 0 {
			continue
		}
		want := `stage "plots": plots: [boundary] draws nothing: the boundary needs 2-D inputs, and the data has 3 features`
		if out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
			t.Errorf("plots %s: stdout %q, stderr %q; want one line saying %s", c.plots, out, stderr, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "results")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("plots %s: the refused run made a results folder: %v", c.plots, err)
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "cache", "v1", "*", "*", "model.json"))
		if len(matches) > 0 {
			t.Errorf("plots %s: the training was computed before the refusal: %v", c.plots, matches)
		}
	}
}
