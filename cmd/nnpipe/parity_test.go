package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// sklearnResults is testdata/parity/sklearn.json, which parity.py wrote:
// scikit-learn 1.2.1's MLPClassifier on the same rows and splits.
type sklearnResults struct {
	Settings map[string]float64 `json:"settings"`
	Seeds    []int              `json:"seeds"`
	Results  map[string]struct {
		TestAccuracy []float64 `json:"test_accuracy"`
		Mean         float64   `json:"mean"`
	} `json:"results"`
}

// TestParityWithScikitLearn sweeps testdata/parity's two configs (Adam,
// batches of 32 and 200, l2 1e-4, early stopping on the validation accuracy,
// 5 seeds) and checks each setting's mean test accuracy against
// scikit-learn's on the same rows: within 0.02. Both sides draw their initial
// weights, validation rows and batch orders from their own generators, so
// the seeds match in number, not in draws; the tolerance covers that, at a
// setting where both pick well-trained weights (the per-seed spread is
// 0.005-0.025 on both sides).
func TestParityWithScikitLearn(t *testing.T) {
	if testing.Short() {
		t.Skip("20 trainings")
	}
	dir := filepath.Join("testdata", "parity")
	var sk sklearnResults
	decodeJSONFile(t, filepath.Join(dir, "sklearn.json"), &sk)
	for _, c := range []struct {
		config, dataset string
		batches         map[string]string // nnpipe's batch_size -> scikit-learn's
	}{
		{"parity-iris.yaml", "iris", map[string]string{"32": "32", "0": "200"}},
		{"parity-mixture.yaml", "mixture", map[string]string{"32": "32", "200": "200"}},
	} {
		s, code, stderr := sweepJSONOf(t, filepath.Join(dir, c.config), "--results", t.TempDir())
		if code != 0 {
			t.Fatalf("sweep %s: exit %d\n%s", c.config, code, stderr)
		}
		accs := map[string][]float64{}
		for _, tr := range s.Trials {
			var m struct{ Test struct{ Accuracy float64 } }
			if err := json.Unmarshal(tr.Metrics, &m); err != nil {
				t.Fatal(err)
			}
			b := tr.Values["train.batch_size"]
			accs[b] = append(accs[b], m.Test.Accuracy)
		}
		for ours, theirs := range c.batches {
			want, ok := sk.Results[fmt.Sprintf("%s/batch=%s", c.dataset, theirs)]
			if !ok || len(accs[ours]) != len(sk.Seeds) {
				t.Fatalf("%s batch %s: %d trials, scikit-learn result found %v", c.dataset, ours, len(accs[ours]), ok)
			}
			mean := 0.0
			for _, a := range accs[ours] {
				mean += a
			}
			mean /= float64(len(accs[ours]))
			t.Logf("%s batch %s: nnpipe %.4f %v, scikit-learn %.4f %v", c.dataset, theirs, mean, accs[ours], want.Mean, want.TestAccuracy)
			if math.Abs(mean-want.Mean) > 0.02 {
				t.Errorf("%s, batch %s: mean test accuracy %.4f, scikit-learn's %.4f: more than 0.02 apart", c.dataset, theirs, mean, want.Mean)
			}
		}
	}
}
