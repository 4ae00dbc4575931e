package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// referenceEffective is the effective config as json.Marshal writes it,
// each stage's parameters through ParamsMap: what Effective must equal
// byte for byte, so that plan hashes and trial ids do not change.
func referenceEffective(t *testing.T, p *Chain) []byte {
	t.Helper()
	b, err := json.Marshal(effectiveOf(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const sweepTestConfig = `name: t
seed: 1
stages:
  - {id: src, kind: source}
  - {id: mid, kind: scale, with: {label: "x<y"}}
  - {id: other, kind: source, with: {seed: 5}}
  - {id: out, kind: sink, inputs: {scaled: mid.scaled}}
sweep:
  mid.factor: [1, 2, 3]
  seed: [1, 2]
  src.n: [4, 5]
  mid.opt.depth: [0, 7]
`

func parseTest(t *testing.T, src string, sets ...string) *config.File {
	t.Helper()
	var overrides []*config.Override
	for _, s := range sets {
		o, err := config.ParseOverride(s)
		if err != nil {
			t.Fatal(err)
		}
		overrides = append(overrides, o)
	}
	f, err := config.Parse("test.yaml", []byte(src), overrides)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestExpandGivesEachTrialThePlanCompilingItAloneGives(t *testing.T) {
	reg := mustRegistry(t, 1)
	f := parseTest(t, sweepTestConfig, "sweep.other.n=1,2")
	trials, err := Expand(context.Background(), f, reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 3*2*2*2*2 {
		t.Fatalf("Expand = %d trials, want 48", len(trials))
	}
	for _, tr := range trials {
		g := f
		for _, v := range tr.Values {
			var a *config.Axis
			for _, x := range f.Sweep {
				if x.Key == v.Key {
					a = x
				}
			}
			var node = a.Values[0]
			for _, n := range a.Values {
				if n.Value == v.Value {
					node = n
				}
			}
			if g, err = g.Set(v.Key, node); err != nil {
				t.Fatal(err)
			}
		}
		alone, err := Compile(g, reg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tr.Chain.Effective()
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceEffective(t, alone); !bytes.Equal(got, want) || tr.Chain.Hash != alone.Hash || tr.ID != alone.Hash[:TrialIDLen] {
			t.Errorf("trial %s: Expand gives\n  %s (%s)\ncompiling it alone gives\n  %s (%s)", tr.Label(), got, tr.Chain.Hash, want, alone.Hash)
		}
		if a, b := referenceEffective(t, tr.Chain), got; !bytes.Equal(a, b) {
			t.Errorf("trial %s: Effective = %s, json.Marshal of the effective config = %s", tr.Label(), b, a)
		}
	}
}

func TestExpandStopsAtTheNextTrialOnceCancelled(t *testing.T) {
	reg := mustRegistry(t, 1)
	values := make([]string, 100)
	for i := range values {
		values[i] = fmt.Sprint(i + 1)
	}
	list := "[" + strings.Join(values, ",") + "]"
	f := parseTest(t, "name: t\nstages:\n  - {id: src, kind: source}\n  - {id: mid, kind: scale}\nsweep:\n  mid.factor: "+list+"\n  src.n: "+list+"\n")
	const cancelAt = 50
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var expanded []uint64
	trials, err := expand(ctx, f, reg, func(done uint64) {
		expanded = append(expanded, done)
		if done == cancelAt {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || trials != nil {
		t.Fatalf("expand after cancel = %d trials, %v; want none and context.Canceled", len(trials), err)
	}
	if n := len(expanded); n != cancelAt || expanded[n-1] != cancelAt {
		t.Errorf("expand went on for %d trials (last %d) after being cancelled at trial %d of 10000", n, expanded[n-1], cancelAt)
	}
}

func TestExpandReportsEachProblemOnceNamingTheFirstTrialWithIt(t *testing.T) {
	reg := mustRegistry(t, 1)
	f := parseTest(t, "name: t\nstages:\n  - {id: src, kind: source}\n  - {id: mid, kind: scale}\nsweep:\n  mid.factor: [1, two, 3, three]\n  src.n: [1, 2]\n")
	_, err := Expand(context.Background(), f, reg)
	var ce config.Errors
	if !errors.As(err, &ce) {
		t.Fatalf("Expand = %v, want config.Errors", err)
	}
	var got []string
	for _, e := range ce {
		got = append(got, e.Error())
	}
	want := []string{
		`test.yaml:6: trial mid.factor=two src.n=1: stage "mid": factor: expected an integer, got "two"`,
		`test.yaml:6: trial mid.factor=three src.n=1: stage "mid": factor: expected an integer, got "three"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Expand problems =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// drawParams is a kind whose seed matters only when it shuffles.
type drawParams struct {
	Shuffle bool    `yaml:"shuffle"`
	Seed    *uint64 `yaml:"seed"`
	Size    int     `yaml:"size"`
}

func (*drawParams) Validate() []FieldError { return nil }

func (p *drawParams) DefaultSeeds(master uint64, id string) {
	if p.Seed == nil {
		s := master*31 + uint64(len(id))
		p.Seed = &s
	}
}

func (p *drawParams) UnusedKeys() []string {
	if !p.Shuffle {
		return []string{"seed"}
	}
	return nil
}

func TestExpandRefusesAxesTheTrialsDoNotUse(t *testing.T) {
	specs := append(testSpecs(1), Spec{Kind: "draw", Version: 1, NewParams: func() Params { return &drawParams{Size: 1} },
		Run: func(context.Context, Params, *IO) error { return nil }, Outputs: []Output{{Slot: "drawn", File: "d"}}})
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	const stages = "name: t\nseed: 1\nstages:\n  - {id: src, kind: source, with: {seed: 3}}\n  - {id: mid, kind: scale}\n  - {id: d, kind: draw}\nsweep:\n"
	cases := []struct {
		name  string
		sweep string
		sets  []string
		want  string // every problem, one a line; empty: valid
	}{
		{name: "axes the stages use are fine", sweep: "  mid.factor: [1, 2]\n  src.n: [1, 2]\n  d.size: [1, 2]\n"},
		{name: "a seed axis some stage draws from is fine", sweep: "  seed: [1, 2]\n  d.shuffle: [true]\n"},
		{name: "a seed every stage sets itself or ignores is refused", sweep: "  seed: [1, 2, 3]\n  mid.factor: [1, 2]\n",
			want: `test.yaml:8: sweep.seed: 1 and 2 give the same computation when mid.factor=1: the trials do not use this key, and their results would be labelled with values that made no difference`},
		{name: "a parameter the stage ignores given the others is refused", sweep: "  d.seed: [1, 2]\n",
			want: `test.yaml:8: sweep.d.seed: 1 and 2 give the same computation: the trials do not use this key, and their results would be labelled with values that made no difference`},
		{name: "a parameter some trials ignore is refused, naming when", sweep: "  d.shuffle: [true, false]\n  d.seed: [1, 2]\n",
			want: `test.yaml:9: sweep.d.seed: 1 and 2 give the same computation when d.shuffle=false: the trials do not use this key, and their results would be labelled with values that made no difference`},
		{name: "a value given twice is refused", sweep: "  mid.factor: [2, 3, 2]\n",
			want: `test.yaml:8: sweep.mid.factor: 2 and 2 are the same value; give each value once`},
		{name: "an integer written two ways is refused", sweep: "  mid.factor: [2, 2.0]\n",
			want: `test.yaml:8: sweep.mid.factor: 2 and 2.0 are the same value; give each value once`},
		{name: "a string written two ways is refused", sweep: "  mid.factor: [1, 2]\n  mid.label: [a, \"a\"]\n",
			want: `test.yaml:9: sweep.mid.label: a and a are the same value; give each value once`},
		{name: "a value given twice on its own line is refused at that line", sweep: "  mid.factor:\n    - 2\n    - 2.0\n",
			want: `test.yaml:10: sweep.mid.factor: 2 and 2.0 are the same value; give each value once`},
		{name: "a value given twice beside an unused axis is refused once", sweep: "  mid.factor: [2, 3, 2]\n  d.seed: [1, 2]\n",
			want: "test.yaml:9: sweep.d.seed: 1 and 2 give the same computation when mid.factor=2: the trials do not use this key, and their results would be labelled with values that made no difference\n" +
				"test.yaml:8: sweep.mid.factor: 2 and 2 are the same value; give each value once"},
		{name: "a value given twice in --set names the flag", sets: []string{"sweep.mid.factor=2,2.0"},
			want: `--set sweep.mid.factor=2,2.0: sweep.mid.factor: 2 and 2.0 are the same value; give each value once`},
		{name: "sweeping the name is refused", sweep: "  name: [a, b]\n",
			want: `test.yaml:8: sweep.name: a and b give the same computation: the trials do not use this key, and their results would be labelled with values that made no difference`},
		{name: "two unused axes are refused together", sweep: "  name: [a, b]\n  d.seed: [1, 2]\n",
			want: "test.yaml:9: sweep.d.seed: 1 and 2 give the same computation when name=a: the trials do not use this key, and their results would be labelled with values that made no difference\n" +
				"test.yaml:8: sweep.name: a and b give the same computation when d.seed=1: the trials do not use this key, and their results would be labelled with values that made no difference"},
		{name: "an unused axis from --set names the flag", sets: []string{"sweep.d.seed=4,5"},
			want: `--set sweep.d.seed=4,5: sweep.d.seed: 4 and 5 give the same computation: the trials do not use this key, and their results would be labelled with values that made no difference`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := stages + c.sweep
			if c.sweep == "" {
				src = strings.TrimSuffix(stages, "sweep:\n")
			}
			_, err := Expand(context.Background(), parseTest(t, src, c.sets...), reg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("Expand =\n  %s\nwant\n  %s", got, c.want)
			}
			var ce config.Errors
			if err != nil && !errors.As(err, &ce) {
				t.Errorf("Expand error %T, want config.Errors", err)
			}
		})
	}
}

func TestParseRefusesASweepKeyWithTheSetPrefix(t *testing.T) {
	const src = "name: t\nstages:\n  - {id: mid, kind: scale}\nsweep:\n  sweep.mid.factor: [1, 2]\n  Mid.Factor: [1]\n"
	_, err := config.Parse("test.yaml", []byte(src), nil)
	want := `test.yaml:5: sweep.sweep.mid.factor: a sweep key names the parameter to vary: write "mid.factor"; the sweep. prefix belongs to --set only` + "\n" +
		`test.yaml:6: sweep.Mid.Factor: "Mid.Factor" is not a key path; expected seed, name or STAGE.PARAM such as train.hidden`
	if err == nil || err.Error() != want {
		t.Errorf("Parse = %v, want\n%s", err, want)
	}
	_, err = config.ParseOverride("sweep.sweep.mid.factor=1,2")
	if want := `--set sweep.sweep.mid.factor=1,2: a sweep key names the parameter to vary: write "mid.factor"; the sweep. prefix belongs to --set only`; err == nil || err.Error() != want {
		t.Errorf("ParseOverride(sweep.sweep.mid.factor=1,2) = %v, want %s", err, want)
	}
}

func TestSweepIDNamesTheGridAndItsTrials(t *testing.T) {
	reg := mustRegistry(t, 1)
	const base = "name: t\nstages:\n  - {id: src, kind: source, with: {n: 3}}\n  - {id: mid, kind: scale}\n"
	id := func(src string, sets ...string) string {
		t.Helper()
		f := parseTest(t, src, sets...)
		trials, err := Expand(context.Background(), f, reg)
		if err != nil {
			t.Fatal(err)
		}
		return SweepID(f.Sweep, trials)
	}
	grid := base + "sweep:\n  mid.factor: [1, 2]\n"
	first := id(grid)
	same := []struct{ name, id string }{
		{"the same sweep again", id(grid)},
		{"the same grid from --set", id(base, "sweep.mid.factor=1,2")},
		{"the same grid written as a flow list in --set", id(base, "sweep.mid.factor=[1, 2]")},
		{"the same numbers spelled otherwise", id(base + "sweep:\n  mid.factor: [1.0, 2e0]\n")},
		{"the same numbers in hexadecimal and tagged", id(base + "sweep:\n  mid.factor: [0x1, !!float 2]\n")},
		{"the same numbers spelled otherwise in --set", id(base, "sweep.mid.factor=1.0,0o2")},
	}
	for _, c := range same {
		if c.id != first {
			t.Errorf("SweepID of %s = %s, want %s", c.name, c.id, first)
		}
	}
	different := []struct{ name, id string }{
		{"an axis of one value the config already has, with the same trials", id(grid + "  src.n: [3]\n")},
		{"the values in another order", id(base + "sweep:\n  mid.factor: [2, 1]\n")},
		{"another value", id(base + "sweep:\n  mid.factor: [1, 3]\n")},
		{"other trials from the base config", id(strings.Replace(grid, "n: 3", "n: 4", 1))},
	}
	for _, c := range different {
		if c.id == first {
			t.Errorf("SweepID of %s = %s, the same as the original grid's", c.name, c.id)
		}
	}
}

func TestExpandRefusesAGridThatWouldDecodeTooManyValues(t *testing.T) {
	values := make([]string, 400)
	for i := range values {
		values[i] = fmt.Sprint(i + 1)
	}
	long := "[" + strings.TrimSuffix(strings.Repeat("1, ", 60_000), ", ") + "]"
	// 400 settings of a stage holding a 60,000-value list: 24 million values.
	src := "name: t\nstages:\n  - {id: src, kind: source}\n  - {id: mid, kind: scale, with: {label: x, opt: {depth: 1}}}\n" +
		"  - {id: big, kind: draw, with: {size: 1, list: " + long + "}}\nsweep:\n  big.size: [" + strings.Join(values, ", ") + "]\n"
	specs := append(testSpecs(1), Spec{Kind: "draw", Version: 1, NewParams: func() Params { return &drawParams{Size: 1} },
		Run: func(context.Context, Params, *IO) error { return nil }, Outputs: []Output{{Slot: "drawn", File: "d"}}})
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, err = expand(context.Background(), parseTest(t, src), reg, func(uint64) { calls++ })
	want := `test.yaml:5: stage "big": sweep: the grid decodes this stage's 60005 parameter values in 400 settings, more than 20000000 values in all; sweep fewer values, or move long lists out of swept stages`
	if err == nil || err.Error() != want || calls != 0 {
		t.Errorf("Expand = %v after %d trials, want none and\n%s", err, calls, want)
	}
	// The same list in a stage no axis reaches is decoded once: fine.
	src = strings.Replace(src, "big.size", "mid.factor", 1)
	if _, err := Expand(context.Background(), parseTest(t, src), reg); err == nil || strings.Contains(err.Error(), "decodes") {
		t.Errorf("Expand with the list in an unswept stage = %v, want only its own problems", err)
	}
}

// readParams is a kind that reads a file, whose format may be left to the
// path's extension.
type readParams struct {
	Path   string `yaml:"path"`
	Format string `yaml:"format"`
}

func (*readParams) Validate() []FieldError { return nil }

func (p *readParams) Canonical(string) Params {
	c := *p
	if c.Format == "" {
		c.Format = strings.TrimPrefix(filepath.Ext(p.Path), ".")
	}
	return &c
}

// TestExpandRefusesValuesWrittenTwoWays sweeps values that differ only in
// how they are written — one file by two paths, a format left to the
// extension and the same format written out — and values that differ.
func TestExpandRefusesValuesWrittenTwoWays(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.csv", filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a.csv"), filepath.Join(dir, "hard.csv")); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(Spec{Kind: "read", Version: 1, NewParams: func() Params { return &readParams{Path: "a.csv"} },
		PathKeys: []string{"path"}, Run: func(context.Context, Params, *IO) error { return nil }, Outputs: []Output{{Slot: "rows", File: "r"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sweep string
		want  string // the message after the file name; empty: valid
	}{
		{sweep: "in.path: [a.csv, ./a.csv]", want: `:5: sweep.in.path: a.csv and ./a.csv are the same value; give each value once`},
		{sweep: "in.path: [a.csv, link.csv]", want: `:5: sweep.in.path: a.csv and link.csv are the same value; give each value once`},
		{sweep: "in.path: [a.csv, hard.csv]", want: `:5: sweep.in.path: a.csv and hard.csv are the same value; give each value once`},
		{sweep: "in.path: [a.csv, " + filepath.Join(dir, "a.csv") + "]", want: `:5: sweep.in.path: a.csv and ` + filepath.Join(dir, "a.csv") + ` are the same value; give each value once`},
		{sweep: `in.format: ["", csv]`, want: `:5: sweep.in.format: "" and csv are the same value; give each value once`},
		{sweep: "in.path: [a.csv, b.csv]"},
		{sweep: `in.format: ["", tsv]`},
	} {
		path := filepath.Join(dir, "test.yaml")
		f, err := config.Parse(path, []byte("name: t\nstages:\n  - {id: in, kind: read}\nsweep:\n  "+c.sweep+"\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Expand(context.Background(), f, reg)
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), path)
		}
		if got != c.want {
			t.Errorf("sweep %s: Expand = %q, want %q", c.sweep, got, c.want)
		}
	}
}

func TestTrialLabelQuotesValuesThatWouldNotReadAsThemselves(t *testing.T) {
	for _, c := range []struct {
		values []AxisValue
		want   string
	}{
		{[]AxisValue{{Key: "train.hidden", Value: "4"}, {Key: "seed", Value: "2"}}, "train.hidden=4 seed=2"},
		{[]AxisValue{{Key: "data.label", Value: ""}, {Key: "seed", Value: "2"}}, `data.label="" seed=2`},
		{[]AxisValue{{Key: "data.path", Value: "a.csv "}}, `data.path="a.csv "`},
		{[]AxisValue{{Key: "data.path", Value: "a\nb.csv"}}, `data.path="a\nb.csv"`},
	} {
		if got := (&Trial{Values: c.values}).Label(); got != c.want {
			t.Errorf("Label(%v) = %s, want %s", c.values, got, c.want)
		}
	}
}
