package results_test

import (
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/evaluate"
	"github.com/nnpipe/nnpipe/stages/results"
)

// TestWritePartMarksUndefinedRatios: a class with no rows has no recall,
// and one nothing was predicted as has no precision; the table shows "—"
// for them rather than metrics.json's 0, which reads as a class the model
// always gets wrong. A recall or precision of 0 over some rows stays 0.
func TestWritePartMarksUndefinedRatios(t *testing.T) {
	p := evaluate.Part{
		N: 4,
		// class a: 2 rows, both right; class b: 2 rows, both predicted a;
		// class c: no rows, never predicted.
		Confusion: [][]int{{2, 0, 0}, {2, 0, 0}, {0, 0, 0}},
	}
	p.SetPrecisionRecall()
	var b strings.Builder
	if err := results.WritePart(&b, "labelled", []string{"a", "b", "c"}, p); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	cells := map[string][]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == '│' || r == '|' || r == ' ' })
		if len(f) > 0 {
			cells[f[0]] = f[1:]
		}
	}
	for _, tt := range []struct {
		row  string
		want []string
	}{
		{"a", []string{"2", "0", "0", "1.0000"}},
		{"b", []string{"2", "0", "0", "0.0000"}}, // rows, none right: recall 0
		{"c", []string{"0", "0", "0", "—"}},      // no rows: no recall
		{"precision", []string{"0.5000", "—", "—"}},
	} {
		if got := cells[tt.row]; strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("row %s = %q, want %q", tt.row, got, tt.want)
		}
	}
}
