package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// The fixed columns and metadata keys of the files written by WriteFile and WriteSplit.
const (
	labelColumn     = "label"
	labelNameColumn = "label_name"
	classesKey      = "nnpipe.classes"
	rowColumn       = "row"
	partColumn      = "part"
	splitOfKey      = "nnpipe.split_of"
	trainPart       = "train"
	testPart        = "test"
)

// WriteFile writes d as Parquet: one float64 column per feature, in order, then `label` int32
// and `label_name` string (the class name of the label), then one string column per extra
// column, in order; key-value metadata `nnpipe.classes` (the JSON array of class names) plus
// meta, which must not set that key. Equal input gives identical bytes. d must be valid (see
// [Dataset.Validate]) and no feature or extra column may be named `label` or `label_name`.
func WriteFile(path string, d *Dataset, meta map[string]string) error {
	return WriteFileContext(context.Background(), path, d, meta)
}

// WriteFileContext is [WriteFile], stopping with ctx's error, and removing the file, when ctx
// is done.
func WriteFileContext(ctx context.Context, path string, d *Dataset, meta map[string]string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	if _, ok := meta[classesKey]; ok {
		return fmt.Errorf("write dataset %s: metadata key %q is reserved", path, classesKey)
	}
	dims := d.Dims()
	fields := make([]Field, 0, dims+2+len(d.Extra))
	for _, f := range d.Features {
		if f == labelColumn || f == labelNameColumn {
			return fmt.Errorf("write dataset %s: feature name %q is reserved", path, f)
		}
		fields = append(fields, Field{Name: f, Type: Float64})
	}
	fields = append(fields, Field{Name: labelColumn, Type: Int32}, Field{Name: labelNameColumn, Type: String})
	for _, c := range d.Extra {
		if c.Name == labelColumn || c.Name == labelNameColumn {
			return fmt.Errorf("write dataset %s: extra column name %q is reserved", path, c.Name)
		}
		fields = append(fields, Field{Name: c.Name, Type: String})
	}
	classes, err := json.Marshal(d.Classes)
	if err != nil {
		return fmt.Errorf("write dataset %s: %w", path, err)
	}
	all := make(map[string]string, len(meta)+1)
	for k, v := range meta {
		all[k] = v
	}
	all[classesKey] = string(classes)
	return writeDataset(ctx, path, d, fields, all, RowGroupRows)
}

// writeDataset writes d's columns in row groups of groupRows rows, transposing X one group at
// a time so that the extra memory is one row group, not a second copy of X.
func writeDataset(ctx context.Context, path string, d *Dataset, fields []Field, meta map[string]string, groupRows int) error {
	w, err := createTable(path, fields, meta, groupRows)
	if err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	defer w.Abort()
	n, dims := d.Rows(), d.Dims()
	chunk := min(n, groupRows)
	cols := make([]any, dims+2+len(d.Extra))
	feats := make([][]float64, dims)
	for j := range feats {
		feats[j] = make([]float64, chunk)
	}
	names := make([]string, chunk)
	for lo := 0; lo < n; lo += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+chunk, n)
		m := hi - lo
		for j, col := range feats {
			col = col[:m]
			for i := range col {
				col[i] = d.X[(lo+i)*dims+j]
			}
			cols[j] = col
		}
		labels := d.Labels[lo:hi]
		for i, l := range labels {
			names[i] = d.Classes[l]
		}
		cols[dims], cols[dims+1] = labels, names[:m]
		for k, c := range d.Extra {
			cols[dims+2+k] = c.Values[lo:hi]
		}
		if err := w.Append(cols...); err != nil {
			return err
		}
	}
	return w.Close()
}

// ReadFile reads a file written by [WriteFile]. The result is valid (see [Dataset.Validate]):
// a file whose labels or values break the contract is an error, as is a `label_name` that
// disagrees with `nnpipe.classes`. Every string column other than `label_name` is an extra
// column.
func ReadFile(path string) (d *Dataset, err error) {
	defer recoverCorrupt(path, &err)
	r, size, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, err = readDataset(r, size)
	if err != nil {
		return nil, fmt.Errorf("read dataset %s: %w", path, err)
	}
	return d, nil
}

// ReadLayout reads what a file written by [WriteFile] holds but its rows, from its footer
// alone: the names of its features and extra columns, and its classes.
func ReadLayout(path string) (d *Dataset, err error) {
	defer recoverCorrupt(path, &err)
	r, _, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, _, err = datasetLayout(r.MetaData().Schema)
	if err == nil {
		err = readClasses(r, d)
	}
	if err != nil {
		return nil, fmt.Errorf("read dataset %s: %w", path, err)
	}
	return d, nil
}

// readClasses reads the classes of d from the key-value metadata of r.
func readClasses(r *file.Reader, d *Dataset) error {
	js := r.MetaData().KeyValueMetadata().FindValue(classesKey)
	if js == nil {
		return fmt.Errorf("no %q metadata", classesKey)
	}
	if err := json.Unmarshal([]byte(*js), &d.Classes); err != nil {
		return fmt.Errorf("metadata %q: %w", classesKey, err)
	}
	return nil
}

// readDataset reads a file WriteFile wrote, of size bytes, checking its layout, that every
// label_name is its label's class, and the dataset itself (Validate).
func readDataset(r *file.Reader, size int64) (*Dataset, error) {
	sc := r.MetaData().Schema
	d, cols, err := datasetLayout(sc)
	if err != nil {
		return nil, err
	}
	if err := readClasses(r, d); err != nil {
		return nil, err
	}
	n, dims := r.NumRows(), len(d.Features)
	if err := checkValues(n, sc.NumColumns(), size); err != nil {
		return nil, err
	}
	est := presize(n, sc.NumColumns(), size)
	d.X = make([]float64, 0, est*dims)
	d.Labels = make([]int32, 0, est)
	for k := range d.Extra {
		d.Extra[k].Values = make([]string, 0, est)
	}
	scratch := make([]float64, scratchLen(n))
	names := make([]parquet.ByteArray, scratchLen(n))
	var sr stringReader
	err = forEachChunk(context.Background(), r, nil, func(row0, rows int64, i int, cr file.ColumnChunkReader) error {
		defs := defScratch(cr)
		switch {
		case cols.extra[i] >= 0:
			return sr.read(cr.(*file.ByteArrayColumnChunkReader), defs, &d.Extra[cols.extra[i]].Values, row0, rows)
		case i == cols.label:
			return readInto(cr.(*file.Int32ColumnChunkReader), defs, &d.Labels, row0, rows)
		case i == cols.name:
			if cols.name < cols.label {
				return nil // labels not read yet; WriteFile puts them first
			}
			return readBatches(cr.(*file.ByteArrayColumnChunkReader), defs, rows,
				func(int64) []parquet.ByteArray { return names },
				func(done int64, vals []parquet.ByteArray) error { return checkLabelNames(d, row0+done, vals) })
		default:
			j := cols.feature[i]
			return readBatches(cr.(*file.Float64ColumnChunkReader), defs, rows,
				func(int64) []float64 { return scratch },
				func(done int64, vals []float64) error {
					at := int(row0+done) * dims
					d.X = growTo(d.X, at+len(vals)*dims)
					x := d.X[at+j:]
					for k, v := range vals {
						x[k*dims] = v
					}
					return nil
				})
		}
	})
	if err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// datasetColumns says where each column of a dataset file goes.
type datasetColumns struct {
	label, name    int   // the label and label_name columns
	feature, extra []int // by column: its feature or extra column index, or -1
}

// datasetLayout reads the layout of a dataset file from its schema: a new dataset with its
// features and extra columns named, and where each column goes.
func datasetLayout(sc *schema.Schema) (*Dataset, datasetColumns, error) {
	d := &Dataset{}
	cols := datasetColumns{label: -1, name: -1, feature: make([]int, sc.NumColumns()), extra: make([]int, sc.NumColumns())}
	for i := range sc.NumColumns() {
		col := sc.Column(i)
		typ, ok := tableType(sc, col)
		cols.feature[i], cols.extra[i] = -1, -1
		switch {
		case !ok:
			return nil, cols, fmt.Errorf("column %q: unsupported type %s", col.Path(), describeType(sc, col))
		case col.Name() == labelColumn && typ == Int32:
			cols.label = i
		case col.Name() == labelNameColumn && typ == String:
			cols.name = i
		case typ == Float64:
			cols.feature[i] = len(d.Features)
			d.Features = append(d.Features, col.Name())
		case typ == String:
			cols.extra[i] = len(d.Extra)
			d.Extra = append(d.Extra, Column{Name: col.Name()})
		default:
			return nil, cols, fmt.Errorf("column %q has type %v, want float64 (or int32 %q, string %q or extra string columns)", col.Name(), typ, labelColumn, labelNameColumn)
		}
	}
	if cols.label < 0 {
		return nil, cols, fmt.Errorf("no int32 column %q", labelColumn)
	}
	if cols.name < 0 {
		return nil, cols, fmt.Errorf("no string column %q", labelNameColumn)
	}
	return d, cols, nil
}

// checkLabelNames checks that the label_name values vals, from row row0 on, are the names
// of the classes of the labels already read.
func checkLabelNames(d *Dataset, row0 int64, vals []parquet.ByteArray) error {
	for k, v := range vals {
		row := row0 + int64(k)
		if row >= int64(len(d.Labels)) {
			return fmt.Errorf("row %d: label_name without a label", row+1)
		}
		l := d.Labels[row]
		if l < 0 || int(l) >= len(d.Classes) || string(v) != d.Classes[l] {
			return fmt.Errorf("row %d: label %d does not match label_name %q", row+1, l, v)
		}
	}
	return nil
}

// WriteSplit writes s as Parquet with columns `row` int64 and `part` string ("train" or
// "test"): the training rows in order, then the test rows in order; s.Of, when set, as the
// key-value metadata `nnpipe.split_of`. Either part may be empty;
// row indices must not be negative.
func WriteSplit(path string, s Split) error {
	n := len(s.Train) + len(s.Test)
	for _, part := range [][]int{s.Train, s.Test} {
		for _, r := range part {
			if r < 0 {
				return fmt.Errorf("write split %s: negative row %d", path, r)
			}
		}
	}
	var meta map[string]string
	if s.Of != "" {
		meta = map[string]string{splitOfKey: s.Of}
	}
	w, err := CreateTable(path, []Field{{rowColumn, Int64}, {partColumn, String}}, meta)
	if err != nil {
		return fmt.Errorf("write split: %w", err)
	}
	defer w.Abort()
	chunk := min(n, RowGroupRows)
	rows := make([]int64, 0, chunk)
	parts := make([]string, 0, chunk)
	for p, part := range [][]int{s.Train, s.Test} {
		name := [...]string{trainPart, testPart}[p]
		for lo := 0; lo < len(part); lo += RowGroupRows {
			rows, parts = rows[:0], parts[:0]
			for _, r := range part[lo:min(lo+RowGroupRows, len(part))] {
				rows = append(rows, int64(r))
				parts = append(parts, name)
			}
			if err := w.Append(rows, parts); err != nil {
				return err
			}
		}
	}
	return w.Close()
}

// ReadSplit reads a file written by [WriteSplit]. Rows keep their order within each part;
// train and test rows may appear in any order in the file.
func ReadSplit(path string) (s Split, err error) {
	defer recoverCorrupt(path, &err)
	r, size, err := openParquet(path)
	if err != nil {
		return Split{}, err
	}
	defer r.Close()
	s, err = readSplit(r, size)
	if err != nil {
		return Split{}, fmt.Errorf("read split %s: %w", path, err)
	}
	return s, nil
}

func readSplit(r *file.Reader, size int64) (Split, error) {
	sc := r.MetaData().Schema
	if sc.NumColumns() != 2 {
		return Split{}, fmt.Errorf("%d columns, want %q and %q", sc.NumColumns(), rowColumn, partColumn)
	}
	for i, want := range []Field{{rowColumn, Int64}, {partColumn, String}} {
		col := sc.Column(i)
		if typ, ok := tableType(sc, col); !ok || col.Name() != want.Name || typ != want.Type {
			return Split{}, fmt.Errorf("column %d is %q %s, want %q %v", i, col.Name(), describeType(sc, col), want.Name, want.Type)
		}
	}
	n := r.NumRows()
	if err := checkValues(n, 2, size); err != nil {
		return Split{}, err
	}
	est := presize(n, 2, size)
	rows := make([]int64, 0, est)
	isTest := make([]bool, 0, est)
	parts := make([]parquet.ByteArray, scratchLen(n))
	ntest := 0
	err := forEachChunk(context.Background(), r, nil, func(row0, m int64, i int, cr file.ColumnChunkReader) error {
		defs := defScratch(cr)
		if i == 0 {
			return readInto(cr.(*file.Int64ColumnChunkReader), defs, &rows, row0, m)
		}
		return readBatches(cr.(*file.ByteArrayColumnChunkReader), defs, m,
			func(int64) []parquet.ByteArray { return parts },
			func(done int64, vals []parquet.ByteArray) error {
				isTest = growTo(isTest, int(row0+done)+len(vals))
				for k, v := range vals {
					switch string(v) {
					case trainPart:
					case testPart:
						isTest[row0+done+int64(k)] = true
						ntest++
					default:
						return fmt.Errorf("row %d: part %q is neither %q nor %q", row0+done+int64(k)+1, v, trainPart, testPart)
					}
				}
				return nil
			})
	})
	if err != nil {
		return Split{}, err
	}
	s := Split{Train: make([]int, 0, int(n)-ntest), Test: make([]int, 0, ntest)}
	if of := r.MetaData().KeyValueMetadata().FindValue(splitOfKey); of != nil {
		s.Of = *of
	}
	for i, r := range rows {
		if r < 0 || r > math.MaxInt32 {
			return Split{}, fmt.Errorf("row %d: row index %d is out of range", i+1, r)
		}
		if isTest[i] {
			s.Test = append(s.Test, int(r))
		} else {
			s.Train = append(s.Train, int(r))
		}
	}
	return s, nil
}
