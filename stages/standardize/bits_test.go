package standardize

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

// bitsData returns rows × dims values drawn from a PCG source with integer operations and
// explicitly rounded arithmetic only, so that every build makes the same bits; feature j has
// values of about 10^j, and rows alternate the classes.
func bitsData(rows, dims int) (*dataset.Dataset, []int) {
	r := rand.New(rand.NewPCG(7, 11))
	d := &dataset.Dataset{Classes: []string{"a", "b"}, X: make([]float64, rows*dims), Labels: make([]int32, rows)}
	for j := range dims {
		d.Features = append(d.Features, "x"+string(rune('0'+j)))
	}
	train := make([]int, 0, rows)
	for i := range rows {
		for j := range dims {
			u := float64(float64(r.Uint64()>>11) * 0x1p-53)
			d.X[i*dims+j] = math.Ldexp(u, 3*j) + float64(j)
		}
		d.Labels[i] = int32(i % 2)
		if i%3 != 0 {
			train = append(train, i)
		}
	}
	return d, train
}

// TestFitGivesTheSameBitsOnEveryBuild pins the scaling of data whose deviations gonum's
// stat.PopMeanStdDev computes otherwise where Go fuses multiply-adds (GOAMD64=v3, arm64):
// one cache key must hold one result, whichever machine computed it. The digest is that of
// the bits on amd64 at GOAMD64=v1, which Fit gave before it took the sums into its own hands.
func TestFitGivesTheSameBitsOnEveryBuild(t *testing.T) {
	d, train := bitsData(1000, 4)
	sc, err := Fit(context.Background(), d, train)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range append(append([]float64{}, sc.Mean...), sc.Std...) {
		h.Write(binary.BigEndian.AppendUint64(nil, math.Float64bits(v)))
	}
	const want = "954eab026e4e0cd010ff835fd731e56f64ad0e63e42161da086711b7b15f495b"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("scaling digest %s, want %s\nmeans %v\nstds %v", got, want, sc.Mean, sc.Std)
	}
}
