package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// run trains a copy of pr's weights and returns the final weights and the observed errors.
func trainRun(t *testing.T, train, test *Objective, wv []float64, opt Options) (final, trainE, testE []float64, err error) {
	t.Helper()
	final = slices.Clone(wv)
	err = Fit(context.Background(), train, test, final, opt, func(step int, tr, te float64, w []float64) {
		if step != len(trainE)+1 {
			t.Fatalf("observe(step %d) after %d steps", step, len(trainE))
		}
		trainE, testE = append(trainE, tr), append(testE, te)
		// The training error comes from the next gradient's forward pass: it must be the
		// same bits as Value.
		if v := train.Value(w); math.Float64bits(v) != math.Float64bits(tr) {
			t.Errorf("step %d: observed train E %.17g, Value %.17g", step, tr, v)
		}
		if test != nil {
			if v := test.Value(w); math.Float64bits(v) != math.Float64bits(te) {
				t.Errorf("step %d: observed test E %.17g, Value %.17g", step, te, v)
			}
		} else if !math.IsNaN(te) {
			t.Errorf("step %d: test E without a test set = %v, want NaN", step, te)
		}
	})
	return final, trainE, testE, err
}

func TestFitWorkersGiveIdenticalBits(t *testing.T) {
	// N·P = 1000·139 is above parallelMin: two workers split the chunks.
	s := Shape{D: 13, M: 8, K: 3}
	pr := randomProblem(600, s, 1000, 0.5, 0)
	tp := randomProblem(601, s, 300, 0.5, 0)
	for _, m := range []Method{Numerical, Backprop, NumericalFull} {
		t.Run(m.String(), func(t *testing.T) {
			steps := 5
			if m == NumericalFull {
				steps = 2
			}
			var finals [][]float64
			var hist [][]float64
			for _, workers := range []int{1, 2, 3} {
				train, test := pr.objective(t), tp.objective(t)
				opt := Options{Method: m, Epsilon: 1e-3, LearningRate: 0.5, Steps: steps, Workers: workers}
				w, tr, te, err := trainRun(t, train, test, pr.wv, opt)
				if err != nil {
					t.Fatalf("Fit(Workers=%d) = %v", workers, err)
				}
				finals = append(finals, w)
				hist = append(hist, append(tr, te...))
			}
			for i := 1; i < len(finals); i++ {
				if !slices.Equal(finals[i], finals[0]) || !slices.Equal(hist[i], hist[0]) {
					t.Errorf("Fit(Workers=%d) differs from Workers=1", i+1)
				}
			}
			// And Gradient, single-threaded, gives the same bits as Fit's first step.
			o := pr.objective(t)
			g := make([]float64, len(pr.wv))
			o.Gradient(g, pr.wv, m, 1e-3)
			w := slices.Clone(pr.wv)
			for p := range w {
				w[p] -= 0.5 * g[p]
			}
			one, _, _, err := trainRun(t, pr.objective(t), nil, pr.wv, Options{Method: m, Epsilon: 1e-3, LearningRate: 0.5, Steps: 1, Workers: 2})
			if err != nil || !slices.Equal(one, w) {
				t.Errorf("one step of Fit(Workers=2) differs from wv − α·Gradient (err %v)", err)
			}
		})
	}
}

func TestFitDiverges(t *testing.T) {
	// The log-sum-exp keeps E finite for any finite weights, so divergence needs weights
	// near the float64 maximum: a learning rate of 1e307 takes the book's weights to ~1e307
	// in one step, and the next makes a pre-activation overflow (E is NaN); 5e307 does it in
	// the first step.
	// A learning rate of 1e6 keeps E finite (the saturated network's gradient
	// vanishes) but takes it over ExplodeFactor times its start: also divergence.
	bd := loadBook(t)
	for _, tc := range []struct {
		method   Method
		alpha    float64
		wantStep int
		finite   bool // E is finite but exploded
	}{
		{Backprop, 1e307, 1, true},
		{Numerical, 5e307, 1, false},
		{NumericalFull, 5e307, 1, false},
		{Numerical, 1e6, 1, true},
	} {
		t.Run(fmt.Sprintf("%s at %g", tc.method, tc.alpha), func(t *testing.T) {
			train, test := bd.objectives(t)
			opt := Options{Method: tc.method, Epsilon: 1e-3, LearningRate: tc.alpha, Steps: 50}
			var observed []int
			wv := slices.Clone(bd.want.WvInit)
			err := Fit(context.Background(), train, test, wv, opt, func(step int, tr, te float64, _ []float64) {
				observed = append(observed, step)
				if !isFinite(tr) || !isFinite(te) {
					t.Errorf("observe(step %d) got a non-finite error %v, %v", step, tr, te)
				}
			})
			var de *DivergenceError
			if !errors.As(err, &de) {
				t.Fatalf("Fit(α=%g) = %v, want a *DivergenceError", tc.alpha, err)
			}
			if de.Step != tc.wantStep || len(observed) != de.Step-1 {
				t.Errorf("diverged at step %d after observing %v, want step %d and observe called for every step before it", de.Step, observed, tc.wantStep)
			}
			if finite := isFinite(de.TrainE) && isFinite(de.TestE); finite != tc.finite {
				t.Errorf("DivergenceError = %+v, want finite errors %v", de, tc.finite)
			}
			msg := de.Error()
			what := "cross-entropy is"
			if tc.finite {
				what = "rose to"
			}
			for _, want := range []string{fmt.Sprintf("diverged at step %d:", tc.wantStep), what, "try a smaller learning_rate"} {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, want it to contain %q", msg, want)
				}
			}
		})
	}
}

func TestDivergenceErrorMessage(t *testing.T) {
	tests := []struct {
		err  DivergenceError
		want string
	}{
		{DivergenceError{Step: 17, TrainE: math.Inf(1), TestE: math.Inf(1)}, "diverged at step 17: train cross-entropy is +Inf; try a smaller learning_rate"},
		{DivergenceError{Step: 3, TrainE: math.NaN(), TestE: math.NaN()}, "diverged at step 3: train cross-entropy is NaN; try a smaller learning_rate"},
		{DivergenceError{Step: 5, TrainE: 0.5, TestE: math.Inf(1)}, "diverged at step 5: test cross-entropy is +Inf; try a smaller learning_rate"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestFitStopsWhenContextIsDone(t *testing.T) {
	bd := loadBook(t)
	train, test := bd.objectives(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var observed []int
	wv := slices.Clone(bd.want.WvInit)
	err := Fit(ctx, train, test, wv, Options{Epsilon: 1e-3, LearningRate: 0.5, Steps: 10}, func(step int, _, _ float64, _ []float64) {
		observed = append(observed, step)
		if step == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit(cancelled at step 3) = %v, want context.Canceled", err)
	}
	if !slices.Equal(observed, []int{1, 2, 3}) {
		t.Errorf("observed steps %v, want [1 2 3]", observed)
	}
	// wv holds the state after 3 updates: checkpoints 0, 1 are after 1, 2 updates; rerun.
	want := slices.Clone(bd.want.WvInit)
	if err := Fit(context.Background(), train, nil, want, Options{Epsilon: 1e-3, LearningRate: 0.5, Steps: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wv, want) {
		t.Errorf("weights after cancellation = %v, want the state after 3 updates %v", wv, want)
	}
}

func TestFitWithADoneContextDoesNothing(t *testing.T) {
	bd := loadBook(t)
	train, _ := bd.objectives(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wv := slices.Clone(bd.want.WvInit)
	err := Fit(ctx, train, nil, wv, Options{Epsilon: 1e-3, LearningRate: 0.5, Steps: 10}, func(int, float64, float64, []float64) {
		t.Error("observe called")
	})
	if !errors.Is(err, context.Canceled) || !slices.Equal(wv, bd.want.WvInit) {
		t.Errorf("Fit(done context) = %v and changed the weights: %v", err, !slices.Equal(wv, bd.want.WvInit))
	}
}

func TestFitRejectsBadOptions(t *testing.T) {
	bd := loadBook(t)
	train, _ := bd.objectives(t)
	other, err := NewObjective(Shape{D: 2, M: 3, K: 3}, bd.testX, bd.testLabel)
	if err != nil {
		t.Fatal(err)
	}
	good := Options{Epsilon: 1e-3, LearningRate: 0.5, Steps: 1}
	tests := []struct {
		name string
		opt  Options
		wv   []float64
		test *Objective
		want string
	}{
		{"a zero epsilon", Options{Epsilon: 0, LearningRate: 0.5, Steps: 1}, nil, nil, "epsilon"},
		{"a NaN epsilon", Options{Method: NumericalFull, Epsilon: math.NaN(), LearningRate: 0.5, Steps: 1}, nil, nil, "epsilon"},
		{"a negative learning rate", Options{Epsilon: 1e-3, LearningRate: -1, Steps: 1}, nil, nil, "learning rate"},
		{"an infinite learning rate", Options{Method: Backprop, LearningRate: math.Inf(1), Steps: 1}, nil, nil, "learning rate"},
		{"zero steps", Options{Epsilon: 1e-3, LearningRate: 0.5}, nil, nil, "steps"},
		{"negative workers", Options{Epsilon: 1e-3, LearningRate: 0.5, Steps: 1, Workers: -1}, nil, nil, "workers"},
		{"an unknown method", Options{Method: 7, LearningRate: 0.5, Steps: 1}, nil, nil, "method"},
		{"weights of the wrong length", good, make([]float64, 14), nil, "initial weights"},
		{"a test set of another shape", good, nil, other, "test set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wv := tc.wv
			if wv == nil {
				wv = slices.Clone(bd.want.WvInit)
			}
			err := Fit(context.Background(), train, tc.test, wv, tc.opt, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Fit = %v, want an error about %s", err, tc.want)
			}
		})
	}
	t.Run("backprop ignores epsilon", func(t *testing.T) {
		wv := slices.Clone(bd.want.WvInit)
		if err := Fit(context.Background(), train, nil, wv, Options{Method: Backprop, LearningRate: 0.5, Steps: 2}, nil); err != nil {
			t.Errorf("Fit(Backprop, ε=0) = %v, want nil", err)
		}
	})
}

func TestBookWithBackprop(t *testing.T) {
	// The book's configuration trained with the analytic gradient reaches the
	// reference accuracies (train 0.91, test 0.88). Its weights differ from the numerical
	// run's by the accumulated ε² terms (~1e-4 after 1000 steps), not enough to move a
	// prediction here.
	bd := loadBook(t)
	train, test := bd.objectives(t)
	wv := slices.Clone(bd.want.WvInit)
	opt := Options{Method: Backprop, LearningRate: bd.want.Config.Alpha, Steps: bd.want.Config.Steps}
	if err := Fit(context.Background(), train, test, wv, opt, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		o      *Objective
		labels []int32
		want   float64
	}{{"train", train, bd.trainLabel, bd.want.Final.TrainAcc}, {"test", test, bd.testLabel, bd.want.Final.TestAcc}} {
		pred := make([]int32, c.o.Len())
		c.o.Predict(pred, wv)
		correct := 0
		for n := range pred {
			if pred[n] == c.labels[n] {
				correct++
			}
		}
		// A count over 100 rows: exact.
		if acc := float64(correct) / float64(len(pred)); acc != c.want {
			t.Errorf("%s accuracy with backprop = %v, want %v", c.name, acc, c.want)
		}
	}
	d := 0.0
	for p := range wv {
		d = math.Max(d, math.Abs(wv[p]-bd.want.Final.Wv[p]))
	}
	t.Logf("largest difference from the numerical run's final weights: %.3g", d)
}
