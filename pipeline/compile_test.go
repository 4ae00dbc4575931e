package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// The wiring kinds: table makes rows, halves assigns them to two parts
// (like split), rescale keeps its table's rows (like standardize), fit and
// score read a table with its parts (like train and evaluate).
func wiringSpecs() []Spec {
	run := func(context.Context, Params, *IO) error { return nil }
	none := func() Params { return noParams{} }
	return []Spec{
		{Kind: "table", Version: 1, NewParams: none, Run: run,
			Outputs: []Output{{Slot: "rows", Type: "table", File: "rows.txt"}}},
		{Kind: "halves", Version: 1, NewParams: none, Run: run,
			Inputs:  []Input{{Slot: "rows", Type: "table"}},
			Outputs: []Output{{Slot: "parts", Type: "parts", File: "parts.txt", RowsFrom: "rows"}}},
		{Kind: "rescale", Version: 1, NewParams: none, Run: run,
			Inputs:  []Input{{Slot: "rows", Type: "table"}, {Slot: "parts", Type: "parts", SameRows: "rows"}},
			Outputs: []Output{{Slot: "rows", Type: "table", File: "rows.txt", RowsFrom: "rows"}}},
		{Kind: "fit", Version: 1, NewParams: none, Run: run,
			Inputs:  []Input{{Slot: "rows", Type: "table"}, {Slot: "parts", Type: "parts", SameRows: "rows"}},
			Outputs: []Output{{Slot: "weights", Type: "weights", File: "w.txt", From: []string{"rows", "parts"}}}},
		{Kind: "score", Version: 1, NewParams: none, Run: run,
			Inputs: []Input{{Slot: "rows", Type: "table"}, {Slot: "parts", Type: "parts", SameRows: "rows"},
				{Slot: "weights", Type: "weights", MadeFrom: []string{"rows", "parts"}}},
			Outputs: []Output{{Slot: "score", Type: "score", File: "s.txt"}}},
	}
}

func TestCompileChecksTheTypesAndRowsOfEveryInput(t *testing.T) {
	reg, err := NewRegistry(wiringSpecs()...)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		stages string
		want   []string // every problem, as config.Error.Error()
	}{
		{
			name:   "a chain where each input comes from the nearest earlier output is fine",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: f, kind: fit}\n  - {id: s, kind: score}\n",
		},
		{
			name:   "a rescaled table with the parts of the table it rescales is fine",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit}\n",
		},
		{
			name:   "parts made of a rescaled table go with the original table",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: r, kind: rescale}\n  - {id: h2, kind: halves}\n  - {id: f, kind: fit, inputs: {rows: a.rows}}\n",
		},
		{
			name:   "a second table with parts of its own is fine",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: b, kind: table}\n  - {id: hb, kind: halves}\n  - {id: f, kind: fit}\n",
		},
		{
			name:   "explicit wiring to the first table and its parts, after a second table, is fine",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: b, kind: table}\n  - {id: f, kind: fit, inputs: {rows: a.rows}}\n",
		},
		{
			name:   "a second table paired with the parts of the first is refused at each stage that pairs them",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: b, kind: table}\n  - {id: f, kind: fit}\n  - {id: s, kind: score}\n",
			want: []string{
				`w.yaml:7: stage "f": inputs.parts: h.parts describes the rows of a.rows, but the rows input is b.rows; wire both to the same data (inputs: {rows: STAGE.SLOT, parts: STAGE.SLOT})`,
				`w.yaml:8: stage "s": inputs.parts: h.parts describes the rows of a.rows, but the rows input is b.rows; wire both to the same data (inputs: {rows: STAGE.SLOT, parts: STAGE.SLOT})`,
			},
		},
		{
			name:   "a rescaled second table paired with the parts of the first is refused, naming whose rows it has",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: b, kind: table}\n  - {id: hb, kind: halves}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit, inputs: {parts: h.parts}}\n",
			want: []string{
				`w.yaml:9: stage "f": inputs.parts: h.parts describes the rows of a.rows, but the rows input is r.rows (the rows of b.rows); wire both to the same data (inputs: {rows: STAGE.SLOT, parts: STAGE.SLOT})`,
			},
		},
		{
			name:   "rescaling a table with the parts of another is refused where it happens",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: b, kind: table}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit}\n",
			want: []string{
				`w.yaml:7: stage "r": inputs.parts: h.parts describes the rows of a.rows, but the rows input is b.rows; wire both to the same data (inputs: {rows: STAGE.SLOT, parts: STAGE.SLOT})`,
				`w.yaml:8: stage "f": inputs.parts: h.parts describes the rows of a.rows, but the rows input is r.rows (the rows of b.rows); wire both to the same data (inputs: {rows: STAGE.SLOT, parts: STAGE.SLOT})`,
			},
		},
		{
			name:   "weights scored on the rescaled table they were fitted on are fine",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit}\n  - {id: s, kind: score}\n",
		},
		{
			name:   "weights fitted on the rescaled table, scored on the raw one, are refused",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit}\n  - {id: s, kind: score, inputs: {rows: a.rows}}\n",
			want: []string{
				`w.yaml:8: stage "s": inputs.weights: f.weights was made from rows r.rows, but the rows input is a.rows; wire both to the same data (inputs: {rows: STAGE.SLOT, weights: STAGE.SLOT})`,
			},
		},
		{
			name:   "weights scored on another table with its own parts are refused for both",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: f, kind: fit}\n  - {id: b, kind: table}\n  - {id: hb, kind: halves}\n  - {id: s, kind: score}\n",
			want: []string{
				`w.yaml:9: stage "s": inputs.weights: f.weights was made from rows a.rows, but the rows input is b.rows; wire both to the same data (inputs: {rows: STAGE.SLOT, weights: STAGE.SLOT})`,
				`w.yaml:9: stage "s": inputs.weights: f.weights was made from parts h.parts, but the parts input is hb.parts; wire both to the same data (inputs: {parts: STAGE.SLOT, weights: STAGE.SLOT})`,
			},
		},
		{
			name:   "weights fitted with other parts of the same table are refused",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: f, kind: fit}\n  - {id: h2, kind: halves}\n  - {id: s, kind: score}\n",
			want: []string{
				`w.yaml:8: stage "s": inputs.weights: f.weights was made from parts h.parts, but the parts input is h2.parts; wire both to the same data (inputs: {parts: STAGE.SLOT, weights: STAGE.SLOT})`,
			},
		},
		{
			name:   "an input wired to an output of another type is refused at its line",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - id: f\n    kind: fit\n    inputs:\n      rows: h.parts\n",
			want:   []string{`w.yaml:9: stage "f": inputs.rows: h.parts is of type parts, but the slot takes type table`},
		},
		{
			name:   "a model wired into a table slot is refused, and the rest of the stage still checked",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: f, kind: fit}\n  - {id: s, kind: score, inputs: {rows: f.weights, weights: f}}\n",
			want:   []string{`w.yaml:7: stage "s": inputs.rows: f.weights is of type weights, but the slot takes type table`},
		},
		{
			name:   "an explicit reference to no output is refused",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves, inputs: {rows: a.nothing}}\n",
			want:   []string{`w.yaml:5: stage "h": inputs.rows: "a.nothing" is not an output of an earlier stage`},
		},
		{
			name:   "parts whose table input is not an output are refused once, not again where they are read",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves, inputs: {rows: x.rows}}\n  - {id: b, kind: table}\n  - {id: r, kind: rescale}\n  - {id: f, kind: fit}\n",
			want:   []string{`w.yaml:5: stage "h": inputs.rows: "x.rows" is not an output of an earlier stage`},
		},
		{
			name:   "a stage of an unknown kind is refused once, not again where its outputs would be read",
			stages: "  - {id: a, kind: tabel}\n  - {id: h, kind: halves}\n  - {id: f, kind: fit, inputs: {rows: a.rows}}\n",
			want:   []string{`w.yaml:4: stage "a": kind: unknown stage kind "tabel" (did you mean "table"?)`},
		},
		{
			name:   "a rescaled table whose table input is not an output is refused once, not again where it is read",
			stages: "  - {id: a, kind: table}\n  - {id: h, kind: halves}\n  - {id: r, kind: rescale, inputs: {rows: x.rows}}\n  - {id: f, kind: fit}\n",
			want:   []string{`w.yaml:6: stage "r": inputs.rows: "x.rows" is not an output of an earlier stage`},
		},
		{
			name:   "a slot the kind does not have is refused",
			stages: "  - {id: a, kind: table, inputs: {rows: a.rows}}\n  - {id: h, kind: halves, inputs: {table: a.rows}}\n",
			want: []string{
				`w.yaml:4: stage "a": inputs.rows: kind "table" has no input slots`,
				`w.yaml:5: stage "h": inputs.table: kind "halves" has no input slot "table" (slots: rows)`,
			},
		},
		{
			name:   "an input nothing provides is refused once",
			stages: "  - {id: h, kind: halves}\n",
			want:   []string{`w.yaml:4: stage "h": input slot "rows" is not provided by any earlier stage`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := config.Parse("w.yaml", []byte("name: w\nseed: 1\nstages:\n"+c.stages), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(f, reg)
			var got []string
			var ce config.Errors
			if errors.As(err, &ce) {
				for _, e := range ce {
					got = append(got, e.Error())
				}
			} else if err != nil {
				t.Fatalf("Compile = %v, want config.Errors", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Compile problems =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestNewRegistryRefusesSlotsThatDoNotFitTogether(t *testing.T) {
	base := func() Spec {
		return Spec{Kind: "k", Version: 1, NewParams: func() Params { return noParams{} }, Run: func(context.Context, Params, *IO) error { return nil },
			Inputs: []Input{{Slot: "rows"}, {Slot: "parts", SameRows: "rows"}}, Outputs: []Output{{Slot: "out", File: "o", RowsFrom: "rows"}}}
	}
	cases := []struct {
		name   string
		change func(s *Spec)
	}{
		{"an input slot declared twice", func(s *Spec) { s.Inputs = append(s.Inputs, Input{Slot: "rows"}) }},
		{"an output slot declared twice", func(s *Spec) { s.Outputs = append(s.Outputs, Output{Slot: "out", File: "p"}) }},
		{"an empty input slot", func(s *Spec) { s.Inputs = append(s.Inputs, Input{Type: "x"}) }},
		{"SameRows naming no input", func(s *Spec) { s.Inputs[1].SameRows = "nothing" }},
		{"SameRows naming its own slot", func(s *Spec) { s.Inputs[1].SameRows = "parts" }},
		{"RowsFrom naming no input", func(s *Spec) { s.Outputs[0].RowsFrom = "out" }},
		{"MadeFrom naming its own slot", func(s *Spec) { s.Inputs[1].MadeFrom = []string{"parts"} }},
		{"MadeFrom naming no input", func(s *Spec) { s.Inputs[1].MadeFrom = []string{"rows", "nothing"} }},
		{"From naming no input", func(s *Spec) { s.Outputs[0].From = []string{"out"} }},
	}
	if _, err := NewRegistry(base()); err != nil {
		t.Fatalf("NewRegistry(valid spec) = %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.change(&s)
			if _, err := NewRegistry(s); err == nil {
				t.Errorf("NewRegistry accepted a spec with %s", c.name)
			}
		})
	}
}

func TestNewRegistryFillsInSlotTypesWithoutChangingTheCallersSpec(t *testing.T) {
	s := Spec{Kind: "k", Version: 1, NewParams: func() Params { return noParams{} }, Run: func(context.Context, Params, *IO) error { return nil },
		Inputs: []Input{{Slot: "rows"}}, Outputs: []Output{{Slot: "out", File: "o"}, {Slot: "w", Type: "weights", File: "w"}}}
	reg, err := NewRegistry(s)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := reg.Lookup("k")
	if got.Inputs[0].Type != "rows" || got.Outputs[0].Type != "out" || got.Outputs[1].Type != "weights" {
		t.Errorf("registered slots = %+v, %+v; want the empty types filled in with the slot names", got.Inputs, got.Outputs)
	}
	if s.Inputs[0].Type != "" || s.Outputs[0].Type != "" {
		t.Errorf("NewRegistry changed the caller's spec: %+v, %+v", s.Inputs, s.Outputs)
	}
}
