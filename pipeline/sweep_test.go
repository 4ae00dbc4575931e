package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// referenceEffective is the effective config as json.Marshal writes it,
// each stage's parameters through ParamsMap: what Effective must equal
// byte for byte, so that plan hashes and trial ids do not change.
func referenceEffective(t *testing.T, p *Plan) []byte {
	t.Helper()
	ec, err := p.effective()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ec)
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
		got, err := tr.Plan.Effective()
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceEffective(t, alone); !bytes.Equal(got, want) || tr.Plan.Hash != alone.Hash || tr.ID != alone.Hash[:TrialIDLen] {
			t.Errorf("trial %s: Expand gives\n  %s (%s)\ncompiling it alone gives\n  %s (%s)", tr.Label(), got, tr.Plan.Hash, want, alone.Hash)
		}
		if a, b := referenceEffective(t, tr.Plan), got; !bytes.Equal(a, b) {
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
