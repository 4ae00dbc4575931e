package train

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/stages/nn"
)

func TestInitialWeightsWithNumPyAreTheBooks(t *testing.T) {
	var ref struct {
		WvInit []float64 `json:"wv_init"`
	}
	b, err := os.ReadFile("testdata/book_ch7_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	seed := uint64(1)
	wv, err := InitialWeights(nn.Shape{D: 2, M: 2, K: 3}, Init{Std: 0.01, Seed: &seed, RNG: "numpy"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wv {
		// Exact: np.random.normal(0, 0.01) is 0 + 0.01·gauss, the same operations.
		if wv[i] != ref.WvInit[i] {
			t.Errorf("InitialWeights()[%d] = %v, want the book's %v", i, wv[i], ref.WvInit[i])
		}
	}
}

func TestValidateNamesTheKeyOfEachBadValue(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Params)
		key    string
	}{
		{"no hidden units", func(p *Params) { p.Hidden = 0 }, "hidden"},
		{"too many hidden units", func(p *Params) { p.Hidden = MaxHidden + 1 }, "hidden"},
		{"unknown gradient", func(p *Params) { p.Gradient = "adam" }, "gradient"},
		{"unknown numerical method", func(p *Params) { p.Numerical = "slow" }, "numerical"},
		{"zero epsilon", func(p *Params) { p.Epsilon = 0 }, "epsilon"},
		{"negative learning rate", func(p *Params) { p.LearningRate = -1 }, "learning_rate"},
		{"no steps", func(p *Params) { p.Steps = 0 }, "steps"},
		{"record every 0", func(p *Params) { p.RecordEvery = 0 }, "record_every"},
		{"negative std", func(p *Params) { p.Init.Std = -0.1 }, "init.std"},
		{"numpy seed over 2^32", func(p *Params) { p.Init.RNG = "numpy"; s := uint64(1) << 32; p.Init.Seed = &s }, "init.seed"},
		{"unknown rng", func(p *Params) { p.Init.RNG = "mt" }, "init.rng"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewParams()
			p.DefaultSeeds(1, "train")
			c.change(p)
			errs := p.Validate()
			if len(errs) != 1 || errs[0].Key != c.key {
				t.Errorf("Validate() = %v, want one error for %q", errs, c.key)
			}
		})
	}
	p := NewParams()
	p.DefaultSeeds(1, "train")
	if errs := p.Validate(); len(errs) != 0 {
		t.Errorf("Validate() of the defaults = %v, want none", errs)
	}
}

func TestDefaultSeedsFitTheGenerator(t *testing.T) {
	for _, kind := range []string{"pcg", "numpy"} {
		p := NewParams()
		p.Init.RNG = kind
		p.DefaultSeeds(12345, "train")
		if errs := p.Validate(); len(errs) != 0 {
			t.Errorf("rng %s: a derived seed does not validate: %v", kind, errs)
		}
		q := NewParams()
		q.Init.RNG = kind
		q.DefaultSeeds(12346, "train")
		if *p.Init.Seed == *q.Init.Seed {
			t.Errorf("rng %s: master seeds 12345 and 12346 derive the same init seed", kind)
		}
	}
}

func TestColumnNamesAreTheBooksParameterNames(t *testing.T) {
	s := nn.Shape{D: 2, M: 2, K: 3}
	var names []string
	for p := range s.NumParams() {
		names = append(names, ColumnName(s, p))
	}
	want := "w_0_0 w_0_1 w_0_2 w_1_0 w_1_1 w_1_2 v_0_0 v_0_1 v_0_2 v_1_0 v_1_1 v_1_2 v_2_0 v_2_1 v_2_2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("column names = %s, want %s", got, want)
	}
}

var _ pipeline.Seeded = (*Params)(nil)
