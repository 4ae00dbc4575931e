package report

import (
	"path/filepath"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/golden"
)

// checkGolden compares got with testdata/name, or rewrites the file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}
