package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// The test kinds: source writes n lines, scale multiplies them, sink (run
// scoped, like predictions) copies them.

type sourceParams struct {
	N    int     `yaml:"n"`
	Seed *uint64 `yaml:"seed"`
}

func (p *sourceParams) Validate() []FieldError { return nil }

func (p *sourceParams) DefaultSeeds(master uint64, id string) {
	if p.Seed == nil {
		s := master + 1000
		p.Seed = &s
	}
}

type scaleOpt struct {
	Depth int `yaml:"depth"`
}

type scaleParams struct {
	Factor int      `yaml:"factor"`
	Label  string   `yaml:"label"`
	Opt    scaleOpt `yaml:"opt"`
}

func (p *scaleParams) Validate() []FieldError { return nil }

type noParams struct{}

func (noParams) Validate() []FieldError { return nil }

func testSpecs(scaleVersion int) []Spec {
	return []Spec{
		{
			Kind: "source", Version: 1, Outputs: []Output{{Slot: "data", File: "data.txt"}},
			NewParams: func() Params { return &sourceParams{N: 3} },
			Run: func(_ context.Context, p Params, io *IO) error {
				sp := p.(*sourceParams)
				var b strings.Builder
				for i := range sp.N {
					fmt.Fprintln(&b, i+int(*sp.Seed))
				}
				return os.WriteFile(io.Output("data"), []byte(b.String()), 0o644)
			},
		},
		{
			Kind: "scale", Version: scaleVersion, Inputs: []Input{{Slot: "data"}},
			Outputs:   []Output{{Slot: "scaled", File: "scaled.txt"}},
			NewParams: func() Params { return &scaleParams{Factor: 2, Label: "a", Opt: scaleOpt{Depth: 1}} },
			Run: func(_ context.Context, p Params, io *IO) error {
				sp := p.(*scaleParams)
				if sp.Factor == 99 {
					return fmt.Errorf("factor 99 is unlucky")
				}
				in, err := os.ReadFile(io.Input("data"))
				if err != nil {
					return err
				}
				return os.WriteFile(io.Output("scaled"), []byte(strings.Repeat(string(in), sp.Factor)+sp.Label), 0o644)
			},
		},
		{
			Kind: "sink", Version: 1, Inputs: []Input{{Slot: "scaled"}}, RunScoped: true,
			Outputs:   []Output{{Slot: "final", File: "final.txt", Publish: true}},
			NewParams: func() Params { return noParams{} },
			Run: func(_ context.Context, _ Params, io *IO) error {
				in, err := os.ReadFile(io.Input("scaled"))
				if err != nil {
					return err
				}
				return os.WriteFile(io.Output("final"), append(in, io.ConfigHash...), 0o644)
			},
		},
	}
}

const testConfig = `name: t
seed: 1
stages:
  - {id: src, kind: source}
  - {id: mid, kind: scale}
  - {id: out, kind: sink}
`

// explainFixture is a cache and a registry to run and explain test plans with.
type explainFixture struct {
	t   *testing.T
	eng *Engine
	reg *Registry
}

func newExplainFixture(t *testing.T) *explainFixture {
	t.Helper()
	return &explainFixture{t: t, eng: &Engine{Cache: cache.Open(t.TempDir()), Version: "test", RecordFailures: true}, reg: mustRegistry(t, 1)}
}

func mustRegistry(t *testing.T, scaleVersion int) *Registry {
	t.Helper()
	reg, err := NewRegistry(testSpecs(scaleVersion)...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// plan compiles src with the --set overrides sets.
func (fx *explainFixture) plan(src string, sets ...string) *Chain {
	fx.t.Helper()
	var overrides []*config.Override
	for _, s := range sets {
		o, err := config.ParseOverride(s)
		if err != nil {
			fx.t.Fatal(err)
		}
		overrides = append(overrides, o)
	}
	f, err := config.Parse("test.yaml", []byte(src), overrides)
	if err != nil {
		fx.t.Fatal(err)
	}
	p, err := Compile(f, fx.reg)
	if err != nil {
		fx.t.Fatal(err)
	}
	return p
}

func (fx *explainFixture) run(src string, sets ...string) []*StageResult {
	fx.t.Helper()
	r, err := fx.eng.Run(context.Background(), fx.plan(src, sets...))
	if err != nil {
		fx.t.Fatal(err)
	}
	return r
}

func (fx *explainFixture) explain(src string, sets ...string) []*StagePlan {
	fx.t.Helper()
	h, err := ReadHistory(fx.eng.Cache)
	if err != nil {
		fx.t.Fatal(err)
	}
	sp, err := fx.eng.Explain(fx.plan(src, sets...), h)
	if err != nil {
		fx.t.Fatal(err)
	}
	return sp
}

// summary renders a stage plan compactly: `mid miss [mid.factor: 2 → 3]`,
// `out after=mid [...]`, `src hit`.
func summary(sp *StagePlan) string {
	var b strings.Builder
	b.WriteString(sp.ID)
	switch {
	case sp.Cached:
		b.WriteString(" hit")
	case sp.Key == "":
		b.WriteString(" after=" + strings.Join(sp.After, ","))
	default:
		b.WriteString(" miss")
	}
	if sp.Damaged != "" {
		b.WriteString(" damaged")
	}
	if sp.Failure != nil {
		b.WriteString(" failed")
	}
	if sp.Nearest == nil {
		if !sp.Cached {
			b.WriteString(" none")
		}
		return b.String()
	}
	var cs []string
	for _, c := range sp.Nearest.Changes {
		cs = append(cs, c.String())
	}
	b.WriteString(" [" + strings.Join(cs, "; ") + "]")
	return b.String()
}

func summaries(sps []*StagePlan) []string {
	var out []string
	for _, sp := range sps {
		out = append(out, summary(sp))
	}
	return out
}

func checkSummaries(t *testing.T, got []*StagePlan, want ...string) {
	t.Helper()
	if g := summaries(got); !slices.Equal(g, want) {
		t.Errorf("Explain() =\n  %s\nwant\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestExplainOnAnEmptyCacheMissesEveryStageWithNothingToCompare(t *testing.T) {
	fx := newExplainFixture(t)
	got := fx.explain(testConfig)
	checkSummaries(t, got, "src miss none", "mid after=src none", "out after=src none")
	if got[0].Key == "" || got[1].Key != "" {
		t.Errorf("Explain() keys = %q, %q; want the first stage's key and none downstream", got[0].Key, got[1].Key)
	}
}

func TestExplainAfterARunIsAllHitsWithTheRunsKeys(t *testing.T) {
	fx := newExplainFixture(t)
	results := fx.run(testConfig)
	got := fx.explain(testConfig)
	checkSummaries(t, got, "src hit", "mid hit", "out hit")
	for i, sp := range got {
		if sp.Key != results[i].Key {
			t.Errorf("Explain() stage %s key = %.12s, want the run's %.12s", sp.ID, sp.Key, results[i].Key)
		}
		if sp.Result == nil || sp.Result.Digests[sp.Result.Spec.Outputs[0].Slot] != results[i].Digests[results[i].Spec.Outputs[0].Slot] {
			t.Errorf("Explain() stage %s: result digests differ from the run's", sp.ID)
		}
	}
}

func TestExplainNamesWhatChangedAgainstTheNearestEntry(t *testing.T) {
	cases := []struct {
		name  string
		runs  [][]string // --set lists of earlier runs, in order
		plan  []string
		want  []string
		specV int // the scale kind's version when planning; 0 means 1
	}{
		{
			name: "a changed parameter misses that stage and waits downstream",
			runs: [][]string{nil}, plan: []string{"mid.factor=3"},
			want: []string{"src hit", "mid miss [mid.factor: 2 → 3]", "out after=mid [run config changed (HASH → HASH)]"},
		},
		{
			name: "a changed upstream parameter leaves downstream stages comparing parameters only",
			runs: [][]string{nil}, plan: []string{"src.n=4", "mid.factor=5"},
			want: []string{"src miss [src.n: 3 → 4]", "mid after=src [mid.factor: 2 → 5]", "out after=src [run config changed (HASH → HASH)]"},
		},
		{
			name: "nested parameters are named by their full path",
			runs: [][]string{nil}, plan: []string{"mid.opt.depth=7"},
			want: []string{"src hit", "mid miss [mid.opt.depth: 1 → 7]", "out after=mid [run config changed (HASH → HASH)]"},
		},
		{
			name: "strings are shown bare",
			runs: [][]string{nil}, plan: []string{"mid.label=zz"},
			want: []string{"src hit", "mid miss [mid.label: a → zz]", "out after=mid [run config changed (HASH → HASH)]"},
		},
		{
			name: "the nearest entry is the one with the fewest differences",
			runs: [][]string{{"mid.factor=5", "mid.label=b"}, {"mid.factor=2", "mid.label=a"}},
			plan: []string{"mid.factor=5", "mid.label=c"},
			want: []string{"src hit", "mid miss [mid.label: b → c]", "out after=mid [run config changed (HASH → HASH)]"},
		},
		{
			name: "seeds beyond 2^53 compare exactly",
			runs: [][]string{{"src.seed=1152921504606846976"}}, plan: []string{"src.seed=1152921504606846977"},
			want: []string{"src miss [src.seed: 1152921504606846976 → 1152921504606846977]", "mid after=src []", "out after=src [run config changed (HASH → HASH)]"},
		},
		{
			name: "a new stage version is named",
			runs: [][]string{nil}, specV: 2,
			want: []string{"src hit", "mid miss [stage version 1 → 2]", "out after=mid []"},
		},
		{
			name: "only the config of a run-scoped stage changed",
			runs: [][]string{nil}, plan: []string{"name=other"},
			want: []string{"src hit", "mid hit", "out miss [run config changed (HASH → HASH)]"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newExplainFixture(t)
			for _, sets := range c.runs {
				fx.run(testConfig, sets...)
			}
			if c.specV != 0 {
				fx.reg = mustRegistry(t, c.specV)
			}
			got := summaries(fx.explain(testConfig, c.plan...))
			for i := range got {
				got[i] = maskHashes(got[i])
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Explain(--set %v) =\n  %s\nwant\n  %s", c.plan, strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// maskHashes replaces the 8-hex config hashes of "run config changed".
func maskHashes(s string) string {
	for {
		i := strings.Index(s, "run config changed (")
		if i < 0 || strings.Contains(s[i:], "(HASH → HASH)") {
			return s
		}
		start := i + len("run config changed (")
		end := strings.Index(s[start:], ")")
		s = s[:start] + "HASH → HASH" + s[start+end:]
	}
}

func TestExplainComparesInputsWhenTheyAreKnown(t *testing.T) {
	fx := newExplainFixture(t)
	fx.run(testConfig, "src.n=5")                                      // mid computed on 5 lines
	fx.run("name: t\nseed: 1\nstages:\n  - {id: src, kind: source}\n") // src on 3 lines, cached alone
	got := summaries(fx.explain(testConfig))
	want := []string{"src hit", "mid miss [input data changed]", "out after=mid [run config changed (HASH → HASH)]"}
	for i := range got {
		got[i] = maskHashes(got[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("Explain() =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestExplainReportsDamagedEntriesAndFailures(t *testing.T) {
	fx := newExplainFixture(t)
	results := fx.run(testConfig)
	mid := results[1]
	if err := os.WriteFile(filepath.Join(fx.eng.Cache.(*cache.Cache).Path(mid.Key), "scaled.txt"), []byte("flipped"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := fx.explain(testConfig)
	if got[1].Cached || got[1].Damaged == "" || got[1].Key != mid.Key {
		t.Errorf("Explain() of a damaged entry: cached %v, damaged %q, want a miss with a reason", got[1].Cached, got[1].Damaged)
	}
	if got[1].Nearest != nil && got[1].Nearest.Key == mid.Key {
		t.Errorf("Explain() compared the damaged entry with itself")
	}

	if _, err := fx.eng.Run(context.Background(), fx.plan(testConfig, "mid.factor=99")); err == nil {
		t.Fatal("the factor-99 run succeeded; the test needs it to fail")
	}
	got = fx.explain(testConfig, "mid.factor=99")
	if got[1].Failure == nil || !strings.Contains(got[1].Failure.Error, "unlucky") {
		t.Errorf("Explain() after a failed run: failure = %+v, want the record", got[1].Failure)
	}
}

func TestExplainNeverWrites(t *testing.T) {
	fx := newExplainFixture(t)
	fx.run(testConfig)
	snap := func() []string {
		var out []string
		filepath.WalkDir(fx.eng.Cache.Dir(), func(path string, d fs.DirEntry, err error) error {
			if err == nil {
				info, _ := d.Info()
				out = append(out, fmt.Sprint(path, info.Size(), info.ModTime()))
			}
			return nil
		})
		return out
	}
	before := snap()
	fx.explain(testConfig, "mid.factor=4")
	fx.explain(testConfig)
	if after := snap(); !slices.Equal(before, after) {
		t.Errorf("Explain() changed the cache tree:\nbefore %v\nafter  %v", before, after)
	}
}

func TestReadHistorySkipsUnreadableEntries(t *testing.T) {
	fx := newExplainFixture(t)
	results := fx.run(testConfig)
	if err := os.WriteFile(filepath.Join(fx.eng.Cache.(*cache.Cache).Path(results[0].Key), cache.EntryFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHistory(fx.eng.Cache)
	if err != nil {
		t.Fatal(err)
	}
	if h.Unreadable != 1 || h.Len("source") != 0 || h.Len("scale") != 1 {
		t.Errorf("ReadHistory() = %d unreadable, %d source, %d scale; want 1, 0, 1", h.Unreadable, h.Len("source"), h.Len("scale"))
	}
}

func TestChangeString(t *testing.T) {
	cases := []struct {
		in   Change
		want string
	}{
		{Change{Kind: ChangeParam, Key: "train.hidden", Old: "2", New: "4"}, "train.hidden: 2 → 4"},
		{Change{Kind: ChangeParam, Key: "train.gradient", Old: `"numerical"`, New: `"backprop"`}, "train.gradient: numerical → backprop"},
		{Change{Kind: ChangeParam, Key: "x.s", Old: `""`, New: `"a b"`}, `x.s: "" → "a b"`},
		{Change{Kind: ChangeParam, Key: "x.new", New: "1"}, "x.new: (unset) → 1"},
		{Change{Kind: ChangeParam, Key: "data.mixture.cumulative", Old: "[0.4,0.8,1]", New: "[0.5,1]"}, "data.mixture.cumulative: [0.4,0.8,1] → [0.5,1]"},
		{Change{Kind: ChangeInput, Key: "dataset", Old: "aa", New: "bb"}, "input dataset changed"},
		{Change{Kind: ChangeInput, Key: "dataset", New: "bb"}, "input dataset added"},
		{Change{Kind: ChangeVersion, Old: "1", New: "2"}, "stage version 1 → 2"},
		{Change{Kind: ChangeConfig, Old: "0123456789abcdef", New: "fedcba9876543210"}, "run config changed (01234567 → fedcba98)"},
	}
	for _, c := range cases {
		if got := c.in.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.in, got, c.want)
		}
	}
}
