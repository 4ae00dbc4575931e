package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunsOfOneConfigHashHaveOneSummarysParameters: a config that lists
// plot's figures in another order, or writes out the format the data file's
// extension names, has the config hash, the run id and the config.yaml of
// the one that does not; its summary has the same parameters too, so that
// `compare` finds no parameter that differs between the two.
func TestRunsOfOneConfigHashHaveOneSummarysParameters(t *testing.T) {
	dir := t.TempDir()
	data, err := filepath.Abs(filepath.Join("..", "..", "data", "book_ch7.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const config = `name: same
seed: 1
stages:
  - {id: data, kind: load, with: {path: %PATH%, label: label, features: [x0, x1]%FORMAT%}}
  - {id: split, kind: split}
  - {id: train, kind: train, with: {steps: 5}}
  - {id: plots, kind: plot%PLOTS%}
`
	write := func(name, format, plots string) string {
		src := strings.NewReplacer("%PATH%", data, "%FORMAT%", format, "%PLOTS%", plots).Replace(config)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	results := filepath.Join(dir, "results")
	plain := runJSONOf(t, write("plain.yaml", "", ""), "--results", results)
	written := runJSONOf(t, write("written.yaml", ", format: csv", ", with: {plots: [boundary, weights, learning_curve]}"), "--results", results)
	if a, b := strings.Split(plain.RunID, "-")[1], strings.Split(written.RunID, "-")[1]; a != b {
		t.Fatalf("run ids %s and %s: want one config hash", plain.RunID, written.RunID)
	}
	out, errOut, code := nnpipe(t, "compare", filepath.Join(results, "same"), "--format", "csv")
	if code != 0 {
		t.Fatalf("compare: exit %d, stderr:\n%s", code, errOut)
	}
	if header, _, _ := strings.Cut(out, "\n"); header != "trial_id,status,train_cross_entropy,test_cross_entropy,train_accuracy,test_accuracy" {
		t.Errorf("compare of two runs of one config hash shows parameters that differ:\n%s", out)
	}
}
