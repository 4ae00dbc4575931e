package nn

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/nnpipe/nnpipe/pipeline/polltest"
)

func TestScoreGivesValuesBitsAndPredictsClasses(t *testing.T) {
	for _, s := range []Shape{{D: 2, M: 2, K: 3}, {D: 5, M: 4, K: 10}, {D: 3, M: 2, K: 1000}} {
		pr := randomProblem(7, s, 3*scoreEvery+17, 1, 8)
		o := pr.objective(t)
		pred, want := make([]int32, o.Len()), make([]int32, o.Len())
		e, err := o.Score(context.Background(), pr.wv, pred)
		if err != nil {
			t.Fatal(err)
		}
		if v := o.Value(pr.wv); math.Float64bits(e) != math.Float64bits(v) {
			t.Errorf("shape %v: Score E = %v, Value = %v; want the same bits", s, e, v)
		}
		o.Predict(want, pr.wv)
		if !slices.Equal(pred, want) {
			t.Errorf("shape %v: Score's predictions differ from Predict's", s)
		}
	}
}

// TestScoreStopsWithinScoreEveryRowsOfCancellation cancels during the third look at the
// context: Score must return the cancellation then, having computed the rows before that
// look and none after it.
func TestScoreStopsWithinScoreEveryRowsOfCancellation(t *testing.T) {
	pr := randomProblem(3, Shape{D: 2, M: 3, K: 4}, 10*scoreEvery, 1, 4)
	o := pr.objective(t)
	pred := make([]int32, o.Len())
	for i := range pred {
		pred[i] = -1
	}
	ctx := &polltest.Context{Context: context.Background(), CancelAt: 3}
	if _, err := o.Score(ctx, pr.wv, pred); !errors.Is(err, context.Canceled) {
		t.Fatalf("Score cancelled at its third look = %v, want context.Canceled", err)
	}
	done := 0
	for _, p := range pred {
		if p >= 0 {
			done++
		}
	}
	if ctx.Polls != 3 || done != 2*scoreEvery {
		t.Errorf("Score looked at its context %d times and computed %d rows, want 3 looks and %d rows", ctx.Polls, done, 2*scoreEvery)
	}
}
