package dataset

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchSizes are the row counts of the benchmarks: the cost per row should not grow with N.
var benchSizes = []int{10_000, 100_000}

const benchDims = 8

// benchDataset returns n rows of 8 normal features and 3 classes, generated (never committed).
func benchDataset(n int) *Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &Dataset{X: make([]float64, n*benchDims), Labels: make([]int32, n), Classes: []string{"setosa", "versicolor", "virginica"}}
	for j := range benchDims {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for i := range d.Labels {
		d.Labels[i] = int32(rng.IntN(3))
	}
	return d
}

// reportRows reports rows/s and the file size.
func reportRows(b *testing.B, n int, path string) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/float64(n), "B/row")
	}
}

func BenchmarkWriteFile(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			d := benchDataset(n)
			path := filepath.Join(b.TempDir(), "d.parquet")
			for b.Loop() {
				if err := WriteFile(path, d, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}

func BenchmarkReadFile(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "d.parquet")
			if err := WriteFile(path, benchDataset(n), nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := ReadFile(path); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}

// BenchmarkTableWriter writes a predictions-like table (the columns of predictions.parquet: row, split, 8 features,
// label, label_name, predicted, p_0..p_2, correct) in batches of 4096 rows, as the
// predictions stage computes them.
func BenchmarkTableWriter(b *testing.B) {
	const batch = 4096
	fields := []Field{{"row", Int64}, {"split", String}}
	for j := range benchDims {
		fields = append(fields, Field{"x" + strconv.Itoa(j), Float64})
	}
	fields = append(fields, Field{"label", Int32}, Field{"label_name", String}, Field{"predicted", Int32},
		Field{"p_0", Float64}, Field{"p_1", Float64}, Field{"p_2", Float64}, Field{"correct", Bool})
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			d := benchDataset(n)
			rng := rand.New(rand.NewPCG(3, 4))
			cols := make([]any, len(fields))
			rows := make([]int64, n)
			split := make([]string, n)
			feats := make([][]float64, benchDims)
			for j := range feats {
				feats[j] = make([]float64, n)
			}
			names := make([]string, n)
			pred := make([]int32, n)
			probs := [3][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
			correct := make([]bool, n)
			for i := range n {
				rows[i] = int64(i)
				split[i] = [2]string{"train", "test"}[i*2/n]
				for j := range feats {
					feats[j][i] = d.X[i*benchDims+j]
				}
				names[i] = d.Classes[d.Labels[i]]
				pred[i] = int32(rng.IntN(3))
				p0, p1 := rng.Float64()/2, rng.Float64()/2
				probs[0][i], probs[1][i], probs[2][i] = p0, p1, 1-p0-p1
				correct[i] = pred[i] == d.Labels[i]
			}
			path := filepath.Join(b.TempDir(), "predictions.parquet")
			for b.Loop() {
				w, err := CreateTable(path, fields, map[string]string{"run_id": "bench"})
				if err != nil {
					b.Fatal(err)
				}
				for lo := 0; lo < n; lo += batch {
					hi := min(lo+batch, n)
					cols[0], cols[1] = rows[lo:hi], split[lo:hi]
					for j := range feats {
						cols[2+j] = feats[j][lo:hi]
					}
					k := 2 + benchDims
					cols[k], cols[k+1], cols[k+2] = d.Labels[lo:hi], names[lo:hi], pred[lo:hi]
					cols[k+3], cols[k+4], cols[k+5], cols[k+6] = probs[0][lo:hi], probs[1][lo:hi], probs[2][lo:hi], correct[lo:hi]
					if err := w.Append(cols...); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}

func BenchmarkReadTable(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "d.parquet")
			if err := WriteFile(path, benchDataset(n), nil); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := ReadTable(path); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}

// writeBenchCSV writes d as CSV with the label names in the last column, each value in its
// shortest exact form (about 19 characters).
func writeBenchCSV(b *testing.B, path string, d *Dataset) {
	b.Helper()
	buf := []byte(strings.Join(d.Features, ",") + ",label\n")
	for i := range d.Rows() {
		for j := range d.Dims() {
			buf = strconv.AppendFloat(buf, d.X[i*d.Dims()+j], 'g', -1, 64)
			buf = append(buf, ',')
		}
		buf = append(buf, d.Classes[d.Labels[i]]...)
		buf = append(buf, '\n')
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkLoadCSV(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "d.csv")
			writeBenchCSV(b, path, benchDataset(n))
			for b.Loop() {
				if _, err := Load(path, LoadOptions{Label: "label"}); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}

func BenchmarkLoadParquet(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "d.parquet")
			if err := WriteFile(path, benchDataset(n), nil); err != nil {
				b.Fatal(err)
			}
			opt := LoadOptions{Label: "label_name", Features: benchDataset(1).Features}
			for b.Loop() {
				if _, err := Load(path, opt); err != nil {
					b.Fatal(err)
				}
			}
			reportRows(b, n, path)
		})
	}
}
