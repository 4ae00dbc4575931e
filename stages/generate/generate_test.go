package generate

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/stages/dataset"
)

func params(dataset string, n int, seed uint64) *Params {
	p := NewParams()
	p.Dataset, p.N = dataset, n
	p.Seed = &seed
	return p
}

func TestGenerateDrawsEveryDatasetDeterministically(t *testing.T) {
	for _, name := range datasets {
		t.Run(name, func(t *testing.T) {
			a, err := Generate(params(name, 300, 3))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Generate(params(name, 300, 3))
			c, _ := Generate(params(name, 300, 4))
			if a.Rows() != 300 || a.Dims() != 2 {
				t.Fatalf("Generate(%s) has %d rows of %d, want 300 of 2", name, a.Rows(), a.Dims())
			}
			if err := a.Validate(); err != nil {
				t.Fatalf("Generate(%s) is not a valid dataset: %v", name, err)
			}
			same, differs := true, false
			for i := range a.X {
				same = same && a.X[i] == b.X[i]
				differs = differs || a.X[i] != c.X[i]
			}
			if !same {
				t.Errorf("Generate(%s) with the same seed drew different values", name)
			}
			if !differs {
				t.Errorf("Generate(%s) with seeds 3 and 4 drew the same values", name)
			}
			counts := make([]int, len(a.Classes))
			for _, l := range a.Labels {
				counts[l]++
			}
			for k, n := range counts {
				if n == 0 {
					t.Errorf("Generate(%s): class %d has no rows", name, k)
				}
			}
		})
	}
}

func TestGaussianMixtureFollowsItsParameters(t *testing.T) {
	// 20,000 draws: the class frequencies are within 0.02 of 0.4/0.4/0.2
	// (3 standard errors are ~0.01) and each class's means within 0.05.
	p := params("gaussian_mixture", 20000, 11)
	d, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.4, 0.4, 0.2}
	sum := make([][2]float64, 3)
	counts := make([]int, 3)
	for n, l := range d.Labels {
		counts[l]++
		sum[l][0] += d.X[2*n]
		sum[l][1] += d.X[2*n+1]
	}
	for k := range 3 {
		if f := float64(counts[k]) / 20000; math.Abs(f-want[k]) > 0.02 {
			t.Errorf("class %d frequency = %.3f, want %.1f", k, f, want[k])
		}
		for i := range 2 {
			if m := sum[k][i] / float64(counts[k]); math.Abs(m-p.Mixture.Means[k][i]) > 0.05 {
				t.Errorf("class %d mean of x%d = %.3f, want %v", k, i, m, p.Mixture.Means[k][i])
			}
		}
	}
}

func TestValidateRefusesBadParameters(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Params)
		key    string
	}{
		{"unknown dataset", func(p *Params) { p.Dataset = "mnist" }, "dataset"},
		{"one row", func(p *Params) { p.N = 1 }, "n"},
		{"negative noise", func(p *Params) { p.Noise = -1 }, "noise"},
		{"NaN noise", func(p *Params) { p.Noise = math.NaN() }, "noise"},
		{"noise whose draws would overflow", func(p *Params) { p.Dataset = "spirals"; p.Noise = 1e308 }, "noise"},
		{"noise just above the limit", func(p *Params) { p.Noise = math.Nextafter(MaxScale, math.Inf(1)) }, "noise"},
		{"std whose draws would overflow", func(p *Params) { p.Mixture.Stds[1] = []float64{1, 1e308} }, "mixture.stds[1]"},
		{"mean beyond the limit", func(p *Params) { p.Mixture.Means[2] = []float64{-1e101, 0} }, "mixture.means[2]"},
		{"unknown rng", func(p *Params) { p.RNG = "mt" }, "rng"},
		{"numpy seed too large", func(p *Params) { p.RNG = "numpy"; s := uint64(1 << 33); p.Seed = &s }, "seed"},
		{"cumulative not ending in 1", func(p *Params) { p.Mixture.Cumulative = []float64{0.4, 0.8, 0.9} }, "mixture.cumulative"},
		{"mismatched means", func(p *Params) { p.Mixture.Means = p.Mixture.Means[:2] }, "mixture"},
		{"negative std", func(p *Params) { p.Mixture.Stds[0] = []float64{-1, 1} }, "mixture.stds[0]"},
		{"more classes than a dataset may have", func(p *Params) {
			k := dataset.MaxClasses + 1
			p.Mixture.Means, p.Mixture.Stds, p.Mixture.Cumulative = make([][]float64, k), make([][]float64, k), make([]float64, k)
			for i := range k {
				p.Mixture.Means[i], p.Mixture.Stds[i], p.Mixture.Cumulative[i] = []float64{0, 0}, []float64{1, 1}, float64(i+1)/float64(k)
			}
		}, "mixture.cumulative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := params("gaussian_mixture", 10, 1)
			c.change(p)
			errs := p.Validate()
			found := false
			for _, e := range errs {
				found = found || e.Key == c.key
			}
			if !found {
				t.Errorf("Validate() = %v, want an error for key %q", errs, c.key)
			}
		})
	}
}

// TestTheLargestParametersDrawFiniteValues draws every data set with its
// scales at the limit Validate allows, with both generators and enough
// rows to reach the normal draws' tails: every value, and its square, is
// finite.
func TestTheLargestParametersDrawFiniteValues(t *testing.T) {
	for _, name := range datasets {
		for _, kind := range []string{"pcg", "numpy"} {
			p := params(name, 200_000, 5)
			p.RNG, p.Noise = kind, MaxScale
			p.Mixture.Means = [][]float64{{-MaxScale, MaxScale}, {MaxScale, -MaxScale}, {MaxScale, MaxScale}}
			p.Mixture.Stds = [][]float64{{MaxScale, MaxScale}, {MaxScale, 0}, {0, MaxScale}}
			if errs := p.Validate(); len(errs) > 0 {
				t.Fatalf("Validate(%s %s at the limits) = %v, want no error", name, kind, errs)
			}
			d, err := Generate(p)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range d.X {
				if math.IsInf(x*x, 0) || math.IsNaN(x) {
					t.Fatalf("Generate(%s %s at the limits): value %d is %v, want its square finite", name, kind, i, x)
				}
			}
		}
	}
}

func TestMixtureAndXorAreTheSameBitsOnEveryCPU(t *testing.T) {
	// Their draws need only uniform numbers, square roots, the correctly rounded logarithm
	// and rounded products, so the values are the same bits wherever Go fuses multiply-adds
	// (arm64, GOAMD64=v3) too: digests of the values' bits, recorded on amd64. (moons,
	// circles and spirals also call math.Sin and math.Cos, whose last bits differ on arm64.)
	want := map[string]string{
		"gaussian_mixture numpy": "7c227bdda9847e30",
		"gaussian_mixture pcg":   "e65a8652e6ca68a0",
		"xor numpy":              "aeaa29ed6d17e5b6",
		"xor pcg":                "ab5a33be9283c9c4",
	}
	for key, digest := range want {
		name, rng, _ := strings.Cut(key, " ")
		p := params(name, 300, 3)
		p.RNG = rng
		d, err := Generate(p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for _, x := range d.X {
			h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)))
		}
		if got := fmt.Sprintf("%x", h.Sum(nil)[:8]); got != digest {
			t.Errorf("%s: the values' digest is %s, want %s", key, got, digest)
		}
	}
}

// TestALongDatasetNameIsNamedShortly: a dataset value of 900,000
// characters is refused in a message a person reads, not one of 900 KB.
func TestALongDatasetNameIsNamedShortly(t *testing.T) {
	p := NewParams()
	p.Dataset = strings.Repeat("x", 900_000)
	errs := p.Validate()
	if len(errs) != 1 || errs[0].Key != "dataset" || len(errs[0].Msg) > 300 {
		t.Errorf("Validate of a 900,000-character dataset = %d errors, the first of %d bytes; want one at dataset, under 300", len(errs), len(fmt.Sprint(errs)))
	}
}
