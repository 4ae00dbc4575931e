package dataset

import (
	"errors"
	"fmt"
	"math"
)

// Dataset is a labelled table held in memory: N rows of D float64 features and a class label.
//
// The zero value has no rows and is not valid; see [Dataset.Validate].
type Dataset struct {
	Features []string  // the D feature column names, in order
	X        []float64 // N×D values, row-major: X[i*D+j] is feature j of row i
	Labels   []int32   // N class indices in [0, len(Classes))
	Classes  []string  // the K class names; index = class id
}

// Rows returns N, the number of rows (the number of labels).
func (d *Dataset) Rows() int { return len(d.Labels) }

// Dims returns D, the number of features.
func (d *Dataset) Dims() int { return len(d.Features) }

// Validate reports whether d is well formed: at least one feature and one row, feature and
// class names unique and non-empty, len(X) = N×D, every label in [0, K), and every value
// finite. It returns the first problem found.
func (d *Dataset) Validate() error {
	if d == nil {
		return errors.New("dataset is nil")
	}
	if len(d.Features) == 0 {
		return errors.New("dataset has no features")
	}
	if err := uniqueNames("feature", d.Features); err != nil {
		return err
	}
	if len(d.Labels) == 0 {
		return errors.New("dataset has no rows")
	}
	if len(d.Classes) == 0 {
		return errors.New("dataset has no classes")
	}
	if err := uniqueNames("class", d.Classes); err != nil {
		return err
	}
	n, dims := d.Rows(), d.Dims()
	if len(d.X) != n*dims {
		return fmt.Errorf("dataset has %d values, want %d rows × %d features = %d", len(d.X), n, dims, n*dims)
	}
	k := int32(len(d.Classes))
	for i, l := range d.Labels {
		if l < 0 || l >= k {
			return fmt.Errorf("row %d: label %d is not in [0, %d)", i, l, k)
		}
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d: feature %q: %v is not a finite number", i/dims, d.Features[i%dims], v)
		}
	}
	return nil
}

// uniqueNames checks that names are non-empty and pairwise distinct.
func uniqueNames(what string, names []string) error {
	seen := make(map[string]struct{}, len(names))
	for i, s := range names {
		if s == "" {
			return fmt.Errorf("%s %d has an empty name", what, i)
		}
		if _, dup := seen[s]; dup {
			return fmt.Errorf("%s name %q appears twice", what, s)
		}
		seen[s] = struct{}{}
	}
	return nil
}

// Split assigns rows to the training and test parts, as row indices into the dataset, in the
// order the model sees them.
type Split struct{ Train, Test []int }
