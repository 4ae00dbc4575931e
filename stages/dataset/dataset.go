package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Dataset is a labelled table held in memory: N rows of D float64 features and a class label,
// and optionally extra columns that ride along without being features.
//
// The zero value has no rows and is not valid; see [Dataset.Validate].
type Dataset struct {
	Features []string  // the D feature column names, in order
	X        []float64 // N×D values, row-major: X[i*D+j] is feature j of row i
	Labels   []int32   // N class indices in [0, len(Classes))
	Classes  []string  // the K class names; index = class id
	Extra    []Column  // columns carried along for later stages (a 0/1 `train` column); usually nil
}

// Column is a column carried with a [Dataset] that is neither a feature nor the label, such as
// the 0/1 or train/test column that a split reads. Its values are kept as the text they had in
// the user's file (numbers of a Parquet file in their shortest exact decimal form).
type Column struct {
	Name   string
	Values []string // one per row
}

// ExtraColumn returns the values of the extra column with the given name and whether there is
// one.
func (d *Dataset) ExtraColumn(name string) ([]string, bool) {
	for _, c := range d.Extra {
		if c.Name == name {
			return c.Values, true
		}
	}
	return nil, false
}

// Rows returns N, the number of rows (the number of labels).
func (d *Dataset) Rows() int { return len(d.Labels) }

// Dims returns D, the number of features.
func (d *Dataset) Dims() int { return len(d.Features) }

// MaxClasses bounds the classes of a dataset. Evaluation keeps a K×K confusion matrix per
// part and the network K outputs per row, so ten thousand distinct labels (a column of ids
// taken for the label by mistake) would cost gigabytes and minutes; a thousand classes of a
// real classification problem cost a few megabytes.
const MaxClasses = 1000

// Validate reports whether d is well formed: at least one feature and one row, feature and
// class names unique, non-empty and valid UTF-8, at most [MaxClasses] classes, len(X) = N×D, every label in [0, K), every value finite, and every extra
// column named (distinct from the features and from each other) with one value per row, every
// name and value valid UTF-8. It returns the first problem found.
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
	if len(d.Classes) > MaxClasses {
		return fmt.Errorf("dataset has %d classes, more than %d", len(d.Classes), MaxClasses)
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
	if len(d.Extra) > 0 {
		names := make([]string, 0, dims+len(d.Extra))
		names = append(names, d.Features...)
		for _, c := range d.Extra {
			if len(c.Values) != n {
				return fmt.Errorf("extra column %q has %d values, want %d", c.Name, len(c.Values), n)
			}
			for i, v := range c.Values {
				if !utf8.ValidString(v) {
					return fmt.Errorf("row %d: extra column %q: %q is not valid UTF-8", i, c.Name, v)
				}
			}
			names = append(names, c.Name)
		}
		if err := uniqueNames("column", names); err != nil {
			return err
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
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s name %q is not valid UTF-8", what, s)
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
type Split struct {
	Train, Test []int
	// Of identifies the rows the split was made for (see [RowsOf]); empty when unknown.
	Of string
}

// RowsOf identifies the rows of d by their number and a digest of their labels, which
// rescaling the features keeps: a split records it, so that pairing the split with the rows of
// other data is caught when the two are read together (see [Split.CheckFor]).
func RowsOf(d *Dataset) string {
	h := sha256.New()
	var buf [4]byte
	for _, l := range d.Labels {
		binary.LittleEndian.PutUint32(buf[:], uint32(l))
		h.Write(buf[:])
	}
	return fmt.Sprintf("%d rows, labels %x", d.Rows(), h.Sum(nil)[:8])
}

// CheckFor returns an error when s was made for other rows than d's. A split that does not
// record its rows passes.
func (s Split) CheckFor(d *Dataset) error {
	if s.Of != "" && s.Of != RowsOf(d) {
		return fmt.Errorf("the split was made for other data (%s) than the dataset it is paired with (%s)", s.Of, RowsOf(d))
	}
	return nil
}
