package pipeline

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/golden"
)

// TestWriteDocListsEachKindWithItsSlotsAndParameters checks the layout of
// `nnpipe stages` on the test kinds against a golden file.
func TestWriteDocListsEachKindWithItsSlotsAndParameters(t *testing.T) {
	specs := testSpecs(1)
	specs[2].NewParams = func() Params { return &noParams{} }
	specs[0].Doc, specs[1].Doc, specs[2].Doc = "writes n numbers", "repeats its input factor times", "keeps what it reads"
	specs[2].Inputs = []Input{{Slot: "scaled", Type: "data", SameRows: "extra"}, {Slot: "extra", Type: "data", MadeFrom: []string{"scaled"}}}
	specs[2].Outputs = []Output{{Slot: "final", File: "final.txt", Publish: true, RowsFrom: "scaled", From: []string{"scaled", "extra"}}}
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := reg.WriteDoc(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "stages-doc.golden"), b.Bytes())
}
