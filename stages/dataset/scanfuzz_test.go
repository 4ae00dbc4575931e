package dataset

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzScanCSV scans arbitrary bytes as a CSV file with feature columns x and y and the label
// column label, in batches of 2 rows so that a short input spans batches. The scan never
// panics; an error is a *LoadError that names a line; every value is finite; and when the
// whole-file reader (readCSV, what the load stage uses) accepts the same bytes, both give the
// same features row for row and the same labels (an integer label written another way, "01",
// names the class of its value).
func FuzzScanCSV(f *testing.F) {
	for _, s := range []string{
		"x,y,label\n1,2,a\n3,4,b\n5,6,a\n",
		"label,y,x\n0,1.5,-2\n1,-0,1e300\n",
		"x,y\n1,2\n",
		"x,y,label\n\"1\",\" 2 \",\"a\nb\"\n3,4,c\n",
		"\uFEFFx,y,label\r\n1,2,a\r\n3,4,b\r\n",
		"x,y,label\n1,2\n",
		"x,y,label\nNaN,1,a\n",
		"x,y,label\n0x1p-2,1,a\n",
		"x,x,y,label\n1,2,3,a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := ScanOptions{Features: []string{"x", "y"}, Label: "label", BatchRows: 2}
		x, labels, err := scanAll(t, path, opt)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Scan(%q) error %T %v is not a *LoadError", data, err, err)
			}
			if le.Line > 0 && !strings.Contains(err.Error(), ":"+strconv.Itoa(le.Line)) {
				t.Fatalf("Scan(%q) = %q does not name line %d", data, err, le.Line)
			}
			return
		}
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("Scan(%q) gave %v", data, v)
			}
		}
		d, err := readCSV(context.Background(), path, bytes.NewReader(data), int64(len(data)), LoadOptions{Label: "label", Features: []string{"x", "y"}})
		if err != nil {
			return // the load stage asks more (two classes, a label column)
		}
		if len(d.X) != len(x) {
			t.Fatalf("Scan(%q) read %d values, readCSV %d", data, len(x), len(d.X))
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(d.X[i]) {
				t.Fatalf("Scan(%q) value %d = %v, readCSV %v", data, i, x[i], d.X[i])
			}
		}
		if len(labels) != d.Rows() {
			t.Fatalf("Scan(%q) read %d labels for readCSV's %d rows", data, len(labels), d.Rows())
		}
		// readCSV names integer classes by their value ("01" and "1" are class 1) when every
		// label is an integer, which a scan cannot know before the last row: it hands on the
		// label as written, and predict looks an integer up by its value.
		for r, l := range labels {
			got := d.Classes[d.Labels[r]]
			if v, err := strconv.ParseInt(l, 10, 64); err == nil && got == strconv.FormatInt(v, 10) {
				continue
			}
			if got != l {
				t.Fatalf("Scan(%q) row %d label %q, readCSV %q", data, r, l, got)
			}
		}
	})
}
