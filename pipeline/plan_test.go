package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
	"github.com/nnpipe/nnpipe/pipeline/config"
)

// queryDetail is the Cost.Detail of the test kind "cost": the query it got.
type queryDetail struct{ q CostQuery }

func (d queryDetail) String() string { return fmt.Sprintf("%+v", d.q.Inputs["data"]) }

// shapeSpecs are kinds that tell plan about shapes: "made" writes n lines
// and tells its rows from n; "opaque" writes lines too but tells nothing;
// "kept" keeps its input's shape; "cost" has a cost model that reports the
// query it gets. made's and kept's outputs read their rows back.
func shapeSpecs(reads *int) []Spec {
	readRows := func(path string) (Shape, error) {
		*reads++
		b, err := os.ReadFile(path)
		return Shape{Rows: strings.Count(string(b), "\n"), Columns: 1, Classes: 2}, err
	}
	write := func(_ context.Context, p Params, io *IO) error {
		n := p.(*sourceParams).N
		return os.WriteFile(io.Output("data"), []byte(strings.Repeat("x\n", n)), 0o644)
	}
	copyIn := func(_ context.Context, _ Params, io *IO) error {
		b, err := os.ReadFile(io.Input("data"))
		if err != nil {
			return err
		}
		return os.WriteFile(io.Output("data"), b, 0o644)
	}
	return []Spec{
		{Kind: "made", Version: 1, Outputs: []Output{{Slot: "data", File: "d.txt", ReadShape: readRows}},
			NewParams: func() Params { return &sourceParams{N: 3} }, Run: write,
			Shape: func(p Params, _ map[string]Shape) map[string]Shape {
				return map[string]Shape{"data": {Rows: p.(*sourceParams).N, Columns: 1, Classes: 2}}
			}},
		{Kind: "opaque", Version: 1, Outputs: []Output{{Slot: "data", File: "d.txt", ReadShape: readRows}},
			NewParams: func() Params { return &sourceParams{N: 4} }, Run: write},
		{Kind: "kept", Version: 1, Inputs: []Input{{Slot: "data"}},
			Outputs:   []Output{{Slot: "data", File: "d.txt", ShapeFrom: "data", ReadShape: readRows}},
			NewParams: func() Params { return noParams{} }, Run: copyIn},
		{Kind: "cost", Version: 1, Inputs: []Input{{Slot: "data"}}, Outputs: []Output{{Slot: "out", File: "o.txt"}},
			NewParams: func() Params { return noParams{} },
			Run: func(_ context.Context, _ Params, io *IO) error {
				return os.WriteFile(io.Output("out"), nil, 0o644)
			},
			Cost: func(_ Params, q CostQuery) Cost { return Cost{Known: q.Inputs["data"].Known, Detail: queryDetail{q}} }},
	}
}

func TestPlannerTellsShapesFromTheConfigTheCacheAndThroughStagesThatKeepThem(t *testing.T) {
	reads := 0
	reg, err := NewRegistry(shapeSpecs(&reads)...)
	if err != nil {
		t.Fatal(err)
	}
	chainOf := func(first string) *Chain {
		src := "name: t\nstages:\n  - {id: a, kind: " + first + ", with: {n: 5}}\n  - {id: b, kind: kept}\n  - {id: c, kind: cost}\n"
		f, err := config.Parse("t.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := Compile(f, reg)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng.Close()
	queryOf := func(ch *Chain) CostQuery {
		t.Helper()
		rep := &PlanReport{}
		if err := NewPlanner(eng).Chain(rep, ch, nil); err != nil {
			t.Fatal(err)
		}
		if len(rep.Train) != 1 {
			t.Fatalf("plan made %d estimates, want 1", len(rep.Train))
		}
		return rep.Train[0].(queryDetail).q
	}

	// Nothing cached: made tells its shape, kept passes it on.
	in := queryOf(chainOf("made")).Inputs["data"]
	if !in.Known || in.Rows != 5 || in.From != "config" || in.Stage != "a" {
		t.Errorf("the shape through kept of made's output, not cached = %+v; want 5 rows from the config of stage a", in)
	}
	// An opaque kind tells nothing: unknown, naming it (not kept).
	in = queryOf(chainOf("opaque")).Inputs["data"]
	if in.Known || in.Stage != "a" || in.Kind != "opaque" || in.Err != nil {
		t.Errorf("the shape through kept of opaque's output, not cached = %+v; want unknown, naming stage a (opaque)", in)
	}
	// Cached: read from the output, once per output however often asked.
	if _, err := eng.Run(context.Background(), chainOf("opaque")); err != nil {
		t.Fatal(err)
	}
	reads = 0
	ch := chainOf("opaque")
	planner := NewPlanner(eng)
	for range 3 {
		rep := &PlanReport{}
		if err := planner.Chain(rep, ch, nil); err != nil {
			t.Fatal(err)
		}
		q := rep.Train[0].(queryDetail).q
		if in := q.Inputs["data"]; !in.Known || in.Rows != 5 || in.From != "cached data" || in.Stage != "b" || !q.Cached {
			t.Errorf("the shape of kept's cached output = %+v (stage cached %v); want 5 rows from the cached data of stage b", in, q.Cached)
		}
	}
	if reads != 1 {
		t.Errorf("the cached output was read %d times, want once", reads)
	}
}

func TestPlannerNamesACachedOutputItCannotRead(t *testing.T) {
	reads := 0
	specs := shapeSpecs(&reads)
	specs[1].Outputs[0].ReadShape = func(string) (Shape, error) { return Shape{}, fmt.Errorf("garbled") }
	reg, err := NewRegistry(specs...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse("t.yaml", []byte("name: t\nstages:\n  - {id: a, kind: opaque}\n  - {id: c, kind: cost}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := Compile(f, reg)
	if err != nil {
		t.Fatal(err)
	}
	eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
	defer eng.Close()
	if _, err := eng.Run(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	rep := &PlanReport{}
	if err := NewPlanner(eng).Chain(rep, ch, nil); err != nil {
		t.Fatal(err)
	}
	in := rep.Train[0].(queryDetail).q.Inputs["data"]
	if in.Known || in.Err == nil || in.Stage != "a" {
		t.Errorf("the shape of an output that does not read = %+v, want unknown with the error, naming stage a", in)
	}
}

// TestPlanSweepTextSaysWhenNoEstimateIsKnown checks the sweep line of
// plan's text: a total over the trials whose cost is known, with the count
// of the others, and "unknown" when no trial's cost is known rather than a
// total of nothing that reads as an estimate.
func TestPlanSweepTextSaysWhenNoEstimateIsKnown(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    PlanSweep
		want string
	}{
		{"every cost known", PlanSweep{Trials: 4, Pending: 4, TrainSeconds: 2.5},
			"  estimated training time of the 4 trials to run: 2.50 s one after another on one core\n"},
		{"some costs unknown", PlanSweep{Trials: 4, Done: 1, Pending: 3, TrainSeconds: 2.5, UnknownCost: 1},
			"  estimated training time of the 3 trials to run: 2.50 s one after another on one core, plus 1 of unknown cost\n"},
		{"no cost known", PlanSweep{Trials: 4, Failed: 1, Pending: 3, UnknownCost: 4},
			"  estimated training time of the 4 trials to run: unknown\n"},
		{"nothing to run", PlanSweep{Trials: 2, Done: 2}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tc.s.writeText(&b)
			_, line, _ := strings.Cut(b.String(), "pending\n")
			if line != tc.want {
				t.Errorf("the estimate's line = %q, want %q", line, tc.want)
			}
		})
	}
}
