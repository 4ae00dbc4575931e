package nn

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestShape(t *testing.T) {
	tests := []struct {
		s       Shape
		wantP   int
		wantErr string
	}{
		{Shape{2, 2, 3}, 15, ""},
		{Shape{64, 16, 10}, 16*65 + 10*17, ""},
		{Shape{1, 1, 2}, 6, ""},
		{Shape{0, 2, 3}, 2 + 9, "inputs"},
		{Shape{2, 0, 3}, 0 + 3, "hidden units"},
		{Shape{2, 2, 1}, 6 + 3, "classes"},
	}
	for _, tc := range tests {
		if got := tc.s.NumParams(); got != tc.wantP {
			t.Errorf("%+v.NumParams() = %d, want %d", tc.s, got, tc.wantP)
		}
		err := tc.s.Validate()
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%+v.Validate() = %v, want an error about %q", tc.s, err, tc.wantErr)
		}
	}
	if err := (Shape{0, 0, 0}).Validate(); err == nil || strings.Count(err.Error(), "must be") != 3 {
		t.Errorf("Shape{}.Validate() = %v, want all three problems", err)
	}
}

func TestParamName(t *testing.T) {
	s := Shape{D: 2, M: 2, K: 3} // the book: w 2×3 (0–5), v 3×3 (6–14)
	tests := []struct {
		p    int
		want string
	}{
		{0, "w[0][0]"}, {2, "w[0][2]"}, {5, "w[1][2]"}, {6, "v[0][0]"}, {7, "v[0][1]"}, {14, "v[2][2]"},
	}
	for _, tc := range tests {
		if got := s.ParamName(tc.p); got != tc.want {
			t.Errorf("ParamName(%d) = %s, want %s", tc.p, got, tc.want)
		}
	}
	for _, p := range []int{-1, 15} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ParamName(%d) did not panic", p)
				}
			}()
			s.ParamName(p)
		}()
	}
}

func TestMethodString(t *testing.T) {
	for m, want := range map[Method]string{Numerical: "numerical", NumericalFull: "numerical-full", Backprop: "backprop", 9: "Method(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Method(%d).String() = %q, want %q", int(m), got, want)
		}
	}
	if Method(0) != Numerical {
		t.Error("the zero Method is not Numerical")
	}
}

func TestNewObjectiveRejectsBadData(t *testing.T) {
	s := Shape{D: 2, M: 2, K: 3}
	tests := []struct {
		name   string
		s      Shape
		x      []float64
		labels []int32
		want   string
	}{
		{"an invalid shape", Shape{2, 0, 3}, []float64{1, 2}, []int32{0}, "hidden units"},
		{"no rows", s, nil, nil, "no rows"},
		{"too few inputs", s, []float64{1, 2, 3}, []int32{0, 1}, "3 input values for 2 rows"},
		{"a NaN input", s, []float64{1, math.NaN()}, []int32{0}, "row 0 input 1 is NaN"},
		{"an infinite input", s, []float64{1, 2, math.Inf(-1), 0}, []int32{0, 1}, "row 1 input 0 is -Inf"},
		{"a label too large", s, []float64{1, 2, 3, 4}, []int32{0, 3}, "row 1 label 3"},
		{"a negative label", s, []float64{1, 2}, []int32{-1}, "row 0 label -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewObjective(tc.s, tc.x, tc.labels)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewObjective = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestObjectivePanicsOnWrongLengths(t *testing.T) {
	pr := randomProblem(800, Shape{2, 2, 3}, 4, 1, 0)
	o := pr.objective(t)
	short := make([]float64, 14)
	tests := []struct {
		name string
		f    func()
	}{
		{"Value with short weights", func() { o.Value(short) }},
		{"Gradient with a short destination", func() { o.Gradient(short, pr.wv, Backprop, 0) }},
		{"Gradient with eps 0", func() { o.Gradient(make([]float64, 15), pr.wv, Numerical, 0) }},
		{"Gradient with an unknown method", func() { o.Gradient(make([]float64, 15), pr.wv, 5, 1e-3) }},
		{"Probabilities with a short destination", func() { o.Probabilities(make([]float64, 11), pr.wv) }},
		{"Predict with a short destination", func() { o.Predict(make([]int32, 3), pr.wv) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tc.f()
		})
	}
}

func TestObjectiveCopiesItsData(t *testing.T) {
	pr := randomProblem(801, Shape{2, 2, 3}, 5, 1, 0)
	o := pr.objective(t)
	before := o.Value(pr.wv)
	pr.x[0] += 1
	pr.labels[0] = (pr.labels[0] + 1) % 3
	if after := o.Value(pr.wv); after != before {
		t.Errorf("Value changed from %v to %v after the caller's data changed", before, after)
	}
}

func TestProbabilitiesAreSafeForLargeActivations(t *testing.T) {
	// |a| ≈ 750: e^750 overflows, but the softmax with the maximum subtracted does not.
	pr := randomProblem(802, Shape{3, 4, 5}, 20, 10, 750)
	o := pr.objective(t)
	y := make([]float64, 20*5)
	o.Probabilities(y, pr.wv)
	for n := range 20 {
		sum := 0.0
		for k := range 5 {
			if !isFinite(y[n*5+k]) || y[n*5+k] < 0 {
				t.Fatalf("Probabilities[%d][%d] = %v", n, k, y[n*5+k])
			}
			sum += y[n*5+k]
		}
		// A sum of 5 rounded terms: a few ulp.
		if math.Abs(sum-1) > 1e-15 {
			t.Errorf("row %d probabilities sum to %.17g, want 1", n, sum)
		}
	}
	if e := o.Value(pr.wv); !isFinite(e) || e < 0 {
		t.Errorf("Value = %v, want a finite cross-entropy", e)
	}
}

func TestZeroAllocations(t *testing.T) {
	pr := randomProblem(803, Shape{13, 8, 3}, 1000, 1, 0)
	o := pr.objective(t)
	g := make([]float64, len(pr.wv))
	y := make([]float64, 1000*3)
	pred := make([]int32, 1000)
	heavy := randomProblem(805, Shape{13, 8, 10}, 200, 10, 0) // series through h⁹ and h¹¹
	oh := heavy.objective(t)
	gh := make([]float64, len(heavy.wv))
	small := randomProblem(804, Shape{2, 2, 3}, 10, 1, 0)
	os := small.objective(t)
	gs := make([]float64, len(small.wv))
	tests := []struct {
		name string
		f    func()
	}{
		{"Gradient(Numerical)", func() { o.Gradient(g, pr.wv, Numerical, 1e-3) }},
		{"Gradient(Numerical) evaluated exactly", func() { o.Gradient(g, pr.wv, Numerical, 0.5) }},
		{"Gradient(Numerical) through h¹¹", func() { oh.Gradient(gh, heavy.wv, Numerical, 1e-3) }},
		{"Gradient(Backprop)", func() { o.Gradient(g, pr.wv, Backprop, 0) }},
		{"Gradient(NumericalFull)", func() { os.Gradient(gs, small.wv, NumericalFull, 1e-3) }},
		{"Value", func() { o.Value(pr.wv) }},
		{"Probabilities", func() { o.Probabilities(y, pr.wv) }},
		{"Predict", func() { o.Predict(pred, pr.wv) }},
	}
	for _, tc := range tests {
		if a := testing.AllocsPerRun(5, tc.f); a != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tc.name, a)
		}
	}
	// Fit allocates when it starts (the gradient buffer, the pool of goroutines, whose
	// start allocates a varying few); its steps do not: 50 more steps, at most that noise.
	for _, workers := range []int{1, 2} {
		for _, m := range []Method{Numerical, Backprop} {
			train := func(steps int) float64 {
				return testing.AllocsPerRun(3, func() {
					wv := append(g[:0], pr.wv...)
					opt := Options{Method: m, Epsilon: 1e-3, LearningRate: 0.1, Steps: steps, Workers: workers}
					if err := Fit(context.Background(), o, o, wv, opt, func(int, float64, float64, []float64) {}); err != nil {
						t.Fatal(err)
					}
				})
			}
			if one, many := train(1), train(51); many > one+3 {
				t.Errorf("Fit(%s, Workers=%d) allocates %v times for 1 step and %v for 51, want no allocation per step", m, workers, one, many)
			}
		}
	}
}
