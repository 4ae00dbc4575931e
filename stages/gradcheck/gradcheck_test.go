package gradcheck

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// inputs writes 40 rows of two classes, a split and a model with weight
// decay l2, and returns the stage's IO.
func inputs(t *testing.T, l2 float64) *pipeline.IO {
	t.Helper()
	return inputsWith(t, l2, 0)
}

// inputsWith is inputs, with the first feature big (every row's) instead
// when big is not 0, and the hidden units' weights on it 0.
func inputsWith(t *testing.T, l2, big float64) *pipeline.IO {
	t.Helper()
	dir := t.TempDir()
	d := &dataset.Dataset{Features: []string{"x0", "x1"}, Classes: []string{"a", "b"}, X: make([]float64, 80), Labels: make([]int32, 40)}
	var s dataset.Split
	for i := range 40 {
		d.X[2*i], d.X[2*i+1] = math.Sin(float64(i)), math.Cos(float64(2*i))
		if big != 0 {
			d.X[2*i] = big
		}
		d.Labels[i] = int32(i % 2)
		if i%4 == 0 {
			s.Test = append(s.Test, i)
		} else {
			s.Train = append(s.Train, i)
		}
	}
	s.Of = dataset.RowsOf(d)
	m := &model.Model{Format: model.Format, D: 2, M: 3, K: 2, Features: d.Features, Classes: d.Classes, Label: "label", Steps: 1, Gradient: "backprop", L2: l2}
	for i := range m.Shape().NumParams() {
		m.Weights = append(m.Weights, 2*math.Sin(float64(7*i)))
		if big != 0 && i < m.M*(m.D+1) && i%(m.D+1) == 0 {
			m.Weights[i] = 0
		}
	}
	in := map[string]string{"dataset": filepath.Join(dir, "d.parquet"), "split": filepath.Join(dir, "s.parquet"), "model": filepath.Join(dir, "m.json")}
	if err := dataset.WriteFile(in["dataset"], d, nil); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteSplit(in["split"], s); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(in["model"]); err != nil {
		t.Fatal(err)
	}
	return pipeline.NewIO("check", in, map[string]string{"report": filepath.Join(dir, "gradcheck.json")})
}

func TestGradcheckChecksTheObjectiveTheModelWasTrainedOn(t *testing.T) {
	for _, l2 := range []float64{0, 1e-4, 50} {
		io := inputs(t, l2)
		r, err := check(NewParams(), io)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "ok" || r.L2 != l2 || r.TrainingRows != 30 {
			t.Errorf("l2 %v: report %+v, want ok with l2 %v on 30 rows", l2, r, l2)
		}
	}
}

func TestGradcheckReportWithoutWeightDecayHasNoL2(t *testing.T) {
	io := inputs(t, 0)
	if err := Spec().Run(t.Context(), NewParams(), io); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(io.Output("report"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`"l2"`)) {
		t.Errorf("gradcheck.json of a model without weight decay mentions l2:\n%s", b)
	}
}

func TestGradcheckRefusesANegativeWeightDecay(t *testing.T) {
	io := inputs(t, -1)
	if _, err := check(NewParams(), io); err == nil || !strings.Contains(err.Error(), "l2") {
		t.Errorf("check of a model with l2 -1 = %v, want an error naming l2", err)
	}
}

// TestGradcheckOfGradientsThatAreNotFinite runs the stage where the
// back-propagated gradient overflows (a feature of 1e308 on every training
// row, its weights 0 so that the hidden units are not saturated, the sum of
// its rows' terms past the largest float64): it must write a
// report that is JSON, with the differences null and a message naming the
// parameter, rather than fail on encoding a NaN or an infinity.
func TestGradcheckOfGradientsThatAreNotFinite(t *testing.T) {
	io := inputsWith(t, 0, 1e308)
	if err := Spec().Run(t.Context(), NewParams(), io); err != nil {
		t.Fatalf("Run = %v, want a report", err)
	}
	b, err := os.ReadFile(io.Output("report"))
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("gradcheck.json is not JSON: %v\n%s", err, b)
	}
	if r["status"] != "mismatch" || r["max_rel"] != nil || r["max_abs"] != nil {
		t.Errorf("report %s, want status mismatch and null differences", b)
	}
	if msg, _ := r["message"].(string); !strings.Contains(msg, "not both finite") || !strings.Contains(msg, r["worst_rel"].(string)) {
		t.Errorf("message %q, want it to say the gradient is not finite at %v", msg, r["worst_rel"])
	}
}
