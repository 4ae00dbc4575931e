package predict

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nnpipe/nnpipe/stages/dataset"
	"github.com/nnpipe/nnpipe/stages/model"
)

// benchData writes n rows of 8 normal features and a text label of 3 classes as CSV (the
// shortest exact decimals, as the README's million-row data) and Parquet into dir, and returns
// a standardized model of 4 hidden units for them.
func benchData(b *testing.B, dir string, n int) (csvPath, pqPath string, m *model.Model) {
	b.Helper()
	const dims = 8
	src := rand.New(rand.NewPCG(5, 1))
	classes := []string{"low", "mid", "high"}
	d := &dataset.Dataset{Classes: classes, X: make([]float64, n*dims), Labels: make([]int32, n)}
	m = &model.Model{Format: model.Format, D: dims, M: 4, K: 3, Label: "label", Classes: classes,
		Preprocess: []model.Step{{Op: model.Standardize, Mean: make([]float64, dims), Std: make([]float64, dims)}}}
	for j := range dims {
		name := "x" + strconv.Itoa(j)
		d.Features, m.Features = append(d.Features, name), append(m.Features, name)
		m.Preprocess[0].Mean[j], m.Preprocess[0].Std[j] = 0.01*float64(j), 1+0.1*float64(j)
	}
	m.Weights = make([]float64, m.Shape().NumParams())
	for i := range m.Weights {
		m.Weights[i] = src.NormFloat64()
	}
	buf := []byte("x0,x1,x2,x3,x4,x5,x6,x7,label\n")
	for i := range n {
		for j := range dims {
			v := src.NormFloat64()
			d.X[i*dims+j] = v
			buf = append(strconv.AppendFloat(buf, v, 'g', -1, 64), ',')
		}
		d.Labels[i] = int32(i % 3)
		buf = append(append(buf, classes[i%3]...), '\n')
	}
	csvPath, pqPath = filepath.Join(dir, "data.csv"), filepath.Join(dir, "data.parquet")
	if err := os.WriteFile(csvPath, buf, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := dataset.WriteFile(pqPath, d, nil); err != nil {
		b.Fatal(err)
	}
	return csvPath, pqPath, m
}

// BenchmarkPredict scores n rows × 8 features from CSV and from Parquet into Parquet, end to
// end (reading, preprocessing, the network, writing), and reports rows/s of wall time.
func BenchmarkPredict(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		dir := b.TempDir()
		csvPath, pqPath, m := benchData(b, dir, n)
		for _, in := range []struct{ name, path string }{{"csv", csvPath}, {"parquet", pqPath}} {
			b.Run(in.name+"/rows="+strconv.Itoa(n), func(b *testing.B) {
				opt := Options{Model: m, Data: in.path, Out: filepath.Join(dir, "p.parquet")}
				start := time.Now()
				for b.Loop() {
					if _, err := Run(context.Background(), opt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}
