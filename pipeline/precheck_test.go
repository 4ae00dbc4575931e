package pipeline

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/cache"
)

// precheckChain compiles src (writes rows), mid (reads rows, writes
// other) and use (reads both, with a Precheck on rows that returns
// check's error), recording in events what ran, in order.
func precheckChain(t *testing.T, events *[]string, check error) *Chain {
	t.Helper()
	none := func() Params { return noParams{} }
	write := func(name, slot string) func(context.Context, Params, *IO) error {
		return func(_ context.Context, _ Params, io *IO) error {
			*events = append(*events, "run "+name)
			return os.WriteFile(io.Output(slot), []byte(name), 0o644)
		}
	}
	return compileWith(t, "name: t\nstages:\n  - {id: a, kind: src}\n  - {id: b, kind: mid}\n  - {id: c, kind: use}\n",
		Spec{Kind: "src", Version: 1, NewParams: none, Outputs: []Output{{Slot: "rows", Type: "rows", File: "rows.txt"}}, Run: write("a", "rows")},
		Spec{Kind: "mid", Version: 1, NewParams: none, Inputs: []Input{{Slot: "rows", Type: "rows"}},
			Outputs: []Output{{Slot: "other", Type: "other", File: "other.txt"}}, Run: write("b", "other")},
		Spec{Kind: "use", Version: 1, NewParams: none, Inputs: []Input{{Slot: "rows", Type: "rows"}, {Slot: "other", Type: "other"}},
			Outputs: []Output{{Slot: "out", Type: "out", File: "out.txt"}}, Run: write("c", "out"),
			Precheck: &Precheck{Slots: []string{"rows"}, Check: func(_ Params, input func(string) string) error {
				b, err := os.ReadFile(input("rows"))
				*events = append(*events, "check c: "+string(b)+", other "+input("other"))
				if err != nil {
					return err
				}
				return check
			}}},
	)
}

// TestAPrecheckRunsOnceItsInputsAreMadeAndStopsTheRunThere: a stage's
// Precheck runs right after the stage making the input it names, before
// the stages in between; its error stops the run there as that stage's,
// and the stage in between never runs. A run whose check passes runs every
// stage, checking once.
func TestAPrecheckRunsOnceItsInputsAreMadeAndStopsTheRunThere(t *testing.T) {
	for _, c := range []struct {
		name  string
		check error
		want  []string
	}{
		{"passes", nil, []string{"run a", "check c: a, other ", "run b", "run c"}},
		{"fails", Invalid(errors.New("a feature named row")), []string{"run a", "check c: a, other "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var events []string
			eng := &Engine{Cache: cache.Open(t.TempDir()), Version: "test"}
			defer eng.Close()
			r, err := eng.Run(context.Background(), precheckChain(t, &events, c.check))
			if !slices.Equal(events, c.want) {
				t.Errorf("events %q; want %q", events, c.want)
			}
			if c.check == nil {
				if err != nil || len(r) != 3 {
					t.Errorf("Run: %d stages, %v; want 3 and nil", len(r), err)
				}
				return
			}
			if !IsInvalid(err) || !strings.HasPrefix(err.Error(), `stage "c": a feature named row`) {
				t.Errorf("Run: %v; want stage c's invalid-input error", err)
			}
			if len(r) != 1 || r[0].ID != "a" {
				t.Errorf("Run returned %d stages; want only a", len(r))
			}
		})
	}
}
