package plot

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// drawCurve writes a history of 24 steps (with a val_ce column and a
// steps-per-epoch of 4 when asked) and a model, runs the stage for the
// learning curve alone and returns the PNG.
func drawCurve(t *testing.T, val bool, stepsPerEpoch int) []byte {
	t.Helper()
	dir := t.TempDir()
	m := &model.Model{Format: model.Format, D: 1, M: 1, K: 2, Features: []string{"x"}, Classes: []string{"a", "b"}, Label: "label", Weights: make([]float64, 6), Steps: 24}
	if err := m.Write(filepath.Join(dir, "model.json")); err != nil {
		t.Fatal(err)
	}
	fields := []dataset.Field{{Name: "step", Type: dataset.Int64}, {Name: "train_ce", Type: dataset.Float64}, {Name: "test_ce", Type: dataset.Float64}}
	var steps []int64
	var tr, te, ve []float64
	for s := range 25 {
		steps = append(steps, int64(s))
		tr = append(tr, 1/(1+0.2*float64(s)))
		te = append(te, 1.2/(1+0.1*float64(s)))
		v := math.NaN()
		if s%4 == 0 {
			v = 0.5 + 0.002*float64((s-12)*(s-12))
		}
		ve = append(ve, v)
	}
	cols := []any{steps, tr, te}
	if val {
		fields = append(fields, dataset.Field{Name: "val_ce", Type: dataset.Float64})
		cols = append(cols, ve)
	}
	meta := map[string]string{}
	if stepsPerEpoch > 0 {
		meta[model.HistoryStepsPerEpoch] = strconv.Itoa(stepsPerEpoch)
	}
	w, err := dataset.CreateTable(filepath.Join(dir, "history.parquet"), fields, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(cols...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "plots")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	io := pipeline.NewIO("plots", map[string]string{"history": filepath.Join(dir, "history.parquet"), "model": filepath.Join(dir, "model.json"),
		"dataset": filepath.Join(dir, "none"), "split": filepath.Join(dir, "none")}, map[string]string{"plots": out})
	p := NewParams()
	p.Plots = []string{LearningCurve, Weights}
	if err := Spec().Run(context.Background(), p, io); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "weights.png")); err == nil {
		t.Error("weights.png drawn from a history without weight columns")
	}
	b, err := os.ReadFile(filepath.Join(out, "learning_curve.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheLearningCurveShowsValidationAndEpochs(t *testing.T) {
	plain, withVal, withEpochs := drawCurve(t, false, 0), drawCurve(t, true, 0), drawCurve(t, false, 4)
	if bytes.Equal(plain, withVal) {
		t.Error("the learning curve of a history with val_ce is the one without")
	}
	if bytes.Equal(plain, withEpochs) {
		t.Error("the learning curve of a history with 4 steps an epoch is the one by step")
	}
	if again := drawCurve(t, true, 4); !bytes.Equal(again, drawCurve(t, true, 4)) {
		t.Error("two drawings of the same history differ")
	}
}

// TestTheOrderOfThePlotsKeysAsTheKindsOrder checks that listing the plots
// in another order gives the canonical JSON, hence the cache key and the
// config hash, of the kind's order: the files drawn are the same. Other
// sets of plots keep keys of their own.
func TestTheOrderOfThePlotsKeysAsTheKindsOrder(t *testing.T) {
	jsonOf := func(plots ...string) string {
		p := NewParams()
		p.Plots = plots
		b, err := pipeline.ParamsJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	def, err := pipeline.ParamsJSON(NewParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a, b []string
		same bool
	}{
		{[]string{Boundary, Weights, LearningCurve}, []string{LearningCurve, Weights, Boundary}, true},
		{[]string{Weights, LearningCurve, Boundary}, []string{LearningCurve, Weights, Boundary}, true},
		{[]string{Boundary, Weights}, []string{Weights, Boundary}, true},
		{[]string{Boundary}, []string{Boundary}, true},
		{[]string{Weights, Boundary}, []string{LearningCurve, Weights, Boundary}, false},
		{[]string{}, []string{Weights}, false},
	} {
		if a, b := jsonOf(tt.a...), jsonOf(tt.b...); (a == b) != tt.same {
			t.Errorf("plots %v give %s, plots %v give %s; want them equal: %t", tt.a, a, tt.b, b, tt.same)
		}
	}
	if got := jsonOf(LearningCurve, Weights, Boundary); got != string(def) {
		t.Errorf("the default plots listed give %s, the defaults %s", got, def)
	}
	if m, err := pipeline.ParamsMap(&Params{Plots: []string{Boundary, LearningCurve}, Width: 800, Height: 600, DPI: 96, Grid: 100}); err != nil ||
		fmt.Sprint(m["plots"]) != "[learning_curve boundary]" {
		t.Errorf("ParamsMap = %v, %v; want the YAML round trip to list learning_curve, boundary", m, err)
	}
}

// TestAnEmptyListOfPlotsIsRefused: a plot stage that draws nothing would
// publish an empty folder; the stage left out says that plainly.
func TestAnEmptyListOfPlotsIsRefused(t *testing.T) {
	for _, plots := range [][]string{{}, nil} {
		p := NewParams()
		p.Plots = plots
		errs := p.Validate()
		if len(errs) != 1 || errs[0].Key != "plots" {
			t.Errorf("Validate(plots %#v) = %v, want one error at plots", plots, errs)
		}
	}
	if errs := NewParams().Validate(); len(errs) != 0 {
		t.Errorf("Validate(the defaults) = %v, want none", errs)
	}
}
