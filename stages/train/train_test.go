package train

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline"
	"github.com/nnpipe/nnpipe/pipeline/config"
	"github.com/nnpipe/nnpipe/stages/model"
	"github.com/nnpipe/nnpipe/stages/nn"
	yaml "go.yaml.in/yaml/v3"
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
		{"unknown optimizer", func(p *Params) { p.Optimizer = "sgd" }, "optimizer"},
		{"momentum above 1", func(p *Params) { p.Momentum = 1.1 }, "momentum"},
		{"negative momentum", func(p *Params) { p.Momentum = -0.1 }, "momentum"},
		{"beta1 of 1", func(p *Params) { p.Beta1 = 1 }, "beta1"},
		{"negative beta2", func(p *Params) { p.Beta2 = -0.5 }, "beta2"},
		{"zero adam epsilon", func(p *Params) { p.AdamEpsilon = 0 }, "adam_epsilon"},
		{"negative batch size", func(p *Params) { p.BatchSize = -1 }, "batch_size"},
		{"negative l2", func(p *Params) { p.L2 = -1e-4 }, "l2"},
		{"unknown schedule", func(p *Params) { p.Schedule = "cosine" }, "schedule"},
		{"negative power_t", func(p *Params) { p.PowerT = -1 }, "power_t"},
		{"zero decay factor", func(p *Params) { p.DecayFactor = 0 }, "decay_factor"},
		{"decay factor above 1", func(p *Params) { p.DecayFactor = 2 }, "decay_factor"},
		{"zero decay_every", func(p *Params) { p.DecayEvery = 0 }, "decay_every"},
		{"validation fraction of 1", func(p *Params) {
			p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 1, Patience: 1}
		}, "early_stopping.validation_fraction"},
		{"zero patience", func(p *Params) { p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.1} }, "early_stopping.patience"},
		{"negative min delta", func(p *Params) {
			p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.1, Patience: 1, MinDelta: -1}
		}, "early_stopping.min_delta"},
		{"unknown monitor", func(p *Params) {
			p.EarlyStopping = &EarlyStopping{Monitor: "loss", ValidationFraction: 0.1, Patience: 1}
		}, "early_stopping.monitor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := validated(c.change)
			if len(errs) != 1 || errs[0].Key != c.key {
				t.Errorf("Validate() = %v, want one error for %q", errs, c.key)
			}
		})
	}
	if errs := validated(func(*Params) {}); len(errs) != 0 {
		t.Errorf("Validate() of the defaults = %v, want none", errs)
	}
}

// validated returns the problems Validate finds in the default parameters
// (their seeds set) once change has changed them.
func validated(change func(p *Params)) []pipeline.FieldError {
	p := NewParams()
	p.DefaultSeeds(1, "train")
	change(p)
	return p.Validate()
}

// TestValidateSaysANumberThatIsNotFiniteIsNot: "must be > 0, got +Inf"
// is false; every number key with a range says it wants a finite one.
func TestValidateSaysANumberThatIsNotFiniteIsNot(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	es := func(p *Params) *EarlyStopping {
		p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.1, Patience: 1}
		return p.EarlyStopping
	}
	cases := []struct {
		key    string
		change func(p *Params)
		want   string
	}{
		{"epsilon", func(p *Params) { p.Epsilon = inf }, "must be a finite number > 0, got +Inf"},
		{"learning_rate", func(p *Params) { p.LearningRate = inf }, "must be a finite number > 0, got +Inf"},
		{"init.std", func(p *Params) { p.Init.Std = inf }, "must be a finite number >= 0, got +Inf"},
		{"momentum", func(p *Params) { p.Momentum = nan }, "must be a finite number between 0 and 1, got NaN"},
		{"beta1", func(p *Params) { p.Beta1 = -inf }, "must be a finite number >= 0 and below 1, got -Inf"},
		{"beta2", func(p *Params) { p.Beta2 = nan }, "must be a finite number >= 0 and below 1, got NaN"},
		{"adam_epsilon", func(p *Params) { p.AdamEpsilon = inf }, "must be a finite number > 0, got +Inf"},
		{"l2", func(p *Params) { p.L2 = inf }, "must be a finite number >= 0, got +Inf"},
		{"power_t", func(p *Params) { p.PowerT = inf }, "must be a finite number >= 0, got +Inf"},
		{"decay_factor", func(p *Params) { p.DecayFactor = nan }, "must be a finite number above 0 and at most 1, got NaN"},
		{"early_stopping.validation_fraction", func(p *Params) { es(p).ValidationFraction = inf }, "must be a finite number strictly between 0 and 1, got +Inf"},
		{"early_stopping.min_delta", func(p *Params) { es(p).MinDelta = inf }, "must be a finite number >= 0, got +Inf"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			errs := validated(c.change)
			if len(errs) != 1 || errs[0].Key != c.key || errs[0].Msg != c.want {
				t.Errorf("Validate() = %v, want %s: %s", errs, c.key, c.want)
			}
		})
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

var _ pipeline.Seeded = (*Params)(nil)

// bookJSON is the canonical JSON of the book's train parameters as it was
// before the parameters after the book's existed (configs/book-ch7.yaml):
// what the book's cache key hashes.
const bookJSON = `{"epsilon":0.001,"gradient":"numerical","hidden":2,"init":{"rng":"numpy","seed":1,"std":0.01},"learning_rate":0.5,"numerical":"fast","record_every":1,"steps":1000}`

func bookParams() *Params {
	p := NewParams()
	seed := uint64(1)
	p.Init.RNG, p.Init.Seed = "numpy", &seed
	return p
}

func TestTheBooksParametersKeepTheirCanonicalJSON(t *testing.T) {
	got, err := pipeline.ParamsJSON(bookParams())
	if err != nil || string(got) != bookJSON {
		t.Fatalf("ParamsJSON(the book's train) = %s, %v\nwant %s", got, err, bookJSON)
	}
	// Writing a new parameter at the value that trains as the book does changes nothing.
	same := []func(p *Params){
		func(p *Params) { p.Optimizer = "gd" }, func(p *Params) { p.Momentum = 0.9 }, func(p *Params) { p.Beta1 = 0.9 },
		func(p *Params) { p.Beta2 = 0.999 }, func(p *Params) { p.AdamEpsilon = 1e-8 }, func(p *Params) { p.BatchSize = 0 },
		func(p *Params) { p.L2 = 0 }, func(p *Params) { p.Schedule = "constant" }, func(p *Params) { p.PowerT = 0.5 },
		func(p *Params) { p.DecayFactor = 0.5 }, func(p *Params) { p.DecayEvery = 100 },
	}
	for i, change := range same {
		p := bookParams()
		change(p)
		if got, _ := pipeline.ParamsJSON(p); string(got) != bookJSON {
			t.Errorf("change %d at the book's value: ParamsJSON = %s, want the book's", i, got)
		}
	}
	// Any other value is in the key, once.
	differ := []struct {
		change func(p *Params)
		want   string
	}{
		{func(p *Params) { p.Optimizer = "adam" }, `"optimizer":"adam"`},
		{func(p *Params) { p.Momentum = 0.5 }, `"momentum":0.5`},
		{func(p *Params) { p.Beta1 = 0.8 }, `"beta1":0.8`},
		{func(p *Params) { p.Beta2 = 0.99 }, `"beta2":0.99`},
		{func(p *Params) { p.AdamEpsilon = 1e-7 }, `"adam_epsilon":1e-7`},
		{func(p *Params) { p.BatchSize = 32 }, `"batch_size":32`},
		{func(p *Params) { p.L2 = 1e-4 }, `"l2":0.0001`},
		{func(p *Params) { p.Schedule = "step" }, `"schedule":"step"`},
		{func(p *Params) { p.PowerT = 0.25 }, `"power_t":0.25`},
		{func(p *Params) { p.DecayFactor = 0.1 }, `"decay_factor":0.1`},
		{func(p *Params) { p.DecayEvery = 7 }, `"decay_every":7`},
		{func(p *Params) {
			p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.1, Patience: 10}
		},
			`"early_stopping":{"min_delta":0,"monitor":"cross_entropy","patience":10,"validation_fraction":0.1}`},
	}
	for _, d := range differ {
		p := bookParams()
		d.change(p)
		got, err := pipeline.ParamsJSON(p)
		if err != nil || strings.Count(string(got), d.want) != 1 || string(got) == bookJSON {
			t.Errorf("ParamsJSON = %s, %v; want it to hold %s", got, err, d.want)
		}
		m, err := pipeline.ParamsMap(p)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(m)
		if string(ref) != string(got) {
			t.Errorf("ParamsJSON = %s, the YAML round trip %s", got, ref)
		}
	}
}

func TestTheYAMLFormListsEveryParameter(t *testing.T) {
	// paramsYAML has Params' keys in Params' order: nothing is lost from the key.
	pt, yt := reflect.TypeFor[Params](), reflect.TypeFor[paramsYAML]()
	if pt.NumField() != yt.NumField() {
		t.Fatalf("Params has %d fields, paramsYAML %d", pt.NumField(), yt.NumField())
	}
	for i := range pt.NumField() {
		pk, _, _ := strings.Cut(pt.Field(i).Tag.Get("yaml"), ",")
		yk, _, _ := strings.Cut(yt.Field(i).Tag.Get("yaml"), ",")
		if pk != yk {
			t.Errorf("field %d: Params has key %q, paramsYAML %q", i, pk, yk)
		}
	}
	// A config written from the YAML form decodes back to the same parameters.
	p := bookParams()
	p.Optimizer, p.Momentum, p.BatchSize, p.L2, p.Schedule, p.DecayEvery = "nesterov", 0.7, 8, 0.01, "step", 3
	p.EarlyStopping = &EarlyStopping{Monitor: "cross_entropy", ValidationFraction: 0.2, Patience: 4, MinDelta: 0.001}
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	q := NewParams()
	if _, errs := config.Decode(n.Content[0], q); len(errs) != 0 {
		t.Fatalf("decode %s: %v", b, errs)
	}
	if !reflect.DeepEqual(p, q) {
		t.Errorf("decoded %+v, want %+v", q, p)
	}
}

func TestUnusedKeysFollowTheOptimizerAndSchedule(t *testing.T) {
	cases := []struct {
		optimizer, schedule, gradient string
		unused                        string
	}{
		{"gd", "constant", "numerical", "momentum beta1 beta2 adam_epsilon power_t decay_factor decay_every"},
		{"momentum", "constant", "numerical", "beta1 beta2 adam_epsilon power_t decay_factor decay_every"},
		{"nesterov", "invscaling", "numerical", "beta1 beta2 adam_epsilon decay_factor decay_every"},
		{"adam", "step", "backprop", "epsilon numerical momentum power_t"},
	}
	for _, c := range cases {
		p := NewParams()
		p.Optimizer, p.Schedule, p.Gradient = c.optimizer, c.schedule, c.gradient
		if got := strings.Join(p.UnusedKeys(), " "); got != c.unused {
			t.Errorf("UnusedKeys(%s, %s, %s) = %s, want %s", c.optimizer, c.schedule, c.gradient, got, c.unused)
		}
	}
}

func TestUnusedKeysNameTheInitialDrawOnlyWhenNothingUsesIt(t *testing.T) {
	cases := []struct {
		name   string
		change func(p *Params)
		want   []string // the init keys among the unused ones
	}{
		{"weights drawn with a deviation use both", func(p *Params) {}, nil},
		{"all-zero weights use neither", func(p *Params) { p.Init.Std = 0 }, []string{"init.rng", "init.seed"}},
		{"mini-batches still shuffle with the seed", func(p *Params) { p.Init.Std, p.BatchSize = 0, 10 }, []string{"init.rng"}},
		{"early stopping still holds rows out with the seed", func(p *Params) {
			p.Init.Std, p.EarlyStopping = 0, &EarlyStopping{ValidationFraction: 0.1}
		}, []string{"init.rng"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewParams()
			c.change(p)
			var got []string
			for _, k := range p.UnusedKeys() {
				if strings.HasPrefix(k, "init.") {
					got = append(got, k)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("UnusedKeys() names %v of init, want %v", got, c.want)
			}
		})
	}
}

func TestHoldOutIsStratifiedAndSeeded(t *testing.T) {
	// 30 rows of class a, 20 of b, 10 of c: a fifth held out is 6, 4 and 2.
	part := model.Part{}
	for i := range 60 {
		c := int32(0)
		if i >= 30 {
			c = 1
		}
		if i >= 50 {
			c = 2
		}
		part.Rows = append(part.Rows, 100+i)
		part.X = append(part.X, float64(i), -float64(i))
		part.Labels = append(part.Labels, c)
	}
	classes := []string{"a", "b", "c"}
	fit, val, err := holdOut(part, classes, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := func(p model.Part) []int {
		n := make([]int, 3)
		for _, l := range p.Labels {
			n[l]++
		}
		return n
	}
	if got := count(val); !slices.Equal(got, []int{6, 4, 2}) {
		t.Errorf("held out per class %v, want [6 4 2]", got)
	}
	if got := count(fit); !slices.Equal(got, []int{24, 16, 8}) {
		t.Errorf("left to train per class %v, want [24 16 8]", got)
	}
	all := append(slices.Clone(fit.Rows), val.Rows...)
	slices.Sort(all)
	if !slices.Equal(all, part.Rows) || !slices.IsSorted(fit.Rows) || !slices.IsSorted(val.Rows) {
		t.Errorf("the parts' rows %v and %v are not a division of the part in its order", fit.Rows, val.Rows)
	}
	for i, r := range val.Rows {
		if x := val.X[2*i]; x != float64(r-100) || val.X[2*i+1] != -x {
			t.Errorf("held-out row %d has inputs %v, want those of row %d", r, val.X[2*i:2*i+2], r)
		}
	}
	_, again, _ := holdOut(part, classes, 0.2, 7)
	_, other, _ := holdOut(part, classes, 0.2, 8)
	if !slices.Equal(again.Rows, val.Rows) || slices.Equal(other.Rows, val.Rows) {
		t.Errorf("seed 7 twice gave %v and %v; seed 8 gave %v: want the same, then other rows", val.Rows, again.Rows, other.Rows)
	}
	for _, bad := range []struct {
		fraction float64
		want     string
	}{
		{0.04, `class "c"'s 10 training rows leaves the validation part without that class`},
		{0.97, `class "c"'s 10 training rows leaves the rows left to train on without that class`},
	} {
		if _, _, err := holdOut(part, classes, bad.fraction, 7); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("holdOut(%v) = %v, want an error saying %s", bad.fraction, err, bad.want)
		}
	}
}
