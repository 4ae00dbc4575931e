package nn

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// newShuffle returns the uniform source Train shuffles with in these tests.
func newShuffle(seed uint64) Uniform { return rand.New(rand.NewPCG(seed, 0x7368)) }

// withDefaults returns opt with scikit-learn's defaults for the optimizer's and the
// schedule's own parameters where opt leaves them 0.
func withDefaults(opt Options) Options {
	if opt.Momentum == 0 {
		opt.Momentum = 0.9
	}
	if opt.Beta1 == 0 {
		opt.Beta1, opt.Beta2 = 0.9, 0.999
	}
	if opt.AdamEpsilon == 0 {
		opt.AdamEpsilon = 1e-8
	}
	if opt.PowerT == 0 {
		opt.PowerT = 0.5
	}
	if opt.DecayFactor == 0 {
		opt.DecayFactor, opt.DecayEvery = 0.5, 3
	}
	return opt
}

func TestBookTrainingKeepsItsBits(t *testing.T) {
	// The book's training with the zero options is what it was before optimizers, batches,
	// schedules and early stopping existed: the digest of every observed step's errors and
	// weights, recorded before they were added. The digests are amd64's: elsewhere the math
	// package's exp and log differ in the last bits (arm64 has its own assembly exp, and
	// compiles the Go log with fused multiply-adds), although this package's own products
	// are rounded everywhere.
	if runtime.GOARCH != "amd64" {
		t.Skip("the digests were recorded on amd64")
	}
	want := map[Method]string{
		Numerical:     "a0213c51a6d3c0426855ea5e8bbbe9415e7d31a2a2fa4528a5af5937c070b603",
		Backprop:      "f35a44fc434216fb7fe5848e276ba5245507bdc6bcc3378d788dbd051edf24d1",
		NumericalFull: "cc34381bfea4deda8841b748c37022271b25c999603378d555670c02bcd4b9dd",
	}
	bd := loadBook(t)
	for _, m := range []Method{Numerical, Backprop, NumericalFull} {
		if m == NumericalFull && testing.Short() {
			continue
		}
		train, test := bd.objectives(t)
		wv := slices.Clone(bd.want.WvInit)
		h := sha256.New()
		put := func(f float64) {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
			h.Write(b[:])
		}
		opt := Options{Method: m, Epsilon: bd.want.Config.Eps, LearningRate: bd.want.Config.Alpha, Steps: bd.want.Config.Steps}
		if err := Fit(context.Background(), train, test, wv, opt, func(step int, tr, te float64, w []float64) {
			put(float64(step))
			put(tr)
			put(te)
			for _, x := range w {
				put(x)
			}
		}); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", h.Sum(nil)); got != want[m] {
			t.Errorf("the book's training with %s has digest %s, want %s", m, got, want[m])
		}
	}
}

// refUpdate is scikit-learn's update of params by grads, transcribed from
// _stochastic_optimizers.py (t counts the updates, from 1), each product
// rounded as NumPy rounds it (float64(…) keeps Go from fusing it into an add).
func refUpdate(opt Options, lr float64, t int, params, grads, vel, ms, vs []float64) {
	switch opt.Optimizer {
	case GD:
		for i := range params {
			params[i] += float64(-lr * grads[i])
		}
	case Momentum, Nesterov:
		updates := make([]float64, len(params))
		for i := range params {
			updates[i] = float64(opt.Momentum*vel[i]) - float64(lr*grads[i])
		}
		copy(vel, updates)
		if opt.Optimizer == Nesterov {
			for i := range params {
				updates[i] = float64(opt.Momentum*vel[i]) - float64(lr*grads[i])
			}
		}
		for i := range params {
			params[i] += updates[i]
		}
	case Adam:
		for i := range params {
			ms[i] = float64(opt.Beta1*ms[i]) + float64((1-opt.Beta1)*grads[i])
			vs[i] = float64(opt.Beta2*vs[i]) + float64((1-opt.Beta2)*(grads[i]*grads[i]))
		}
		rate := lr * math.Sqrt(1-math.Pow(opt.Beta2, float64(t))) / (1 - math.Pow(opt.Beta1, float64(t)))
		for i := range params {
			params[i] += -rate * ms[i] / (math.Sqrt(vs[i]) + opt.AdamEpsilon)
		}
	}
}

func TestOptimizersFollowScikitLearn(t *testing.T) {
	// Each update Train makes, from the weights it observed before, is scikit-learn's update
	// of the gradient at those weights, bit for bit (full batches: the gradient is
	// Gradient's over every row).
	pr := randomProblem(900, Shape{3, 4, 3}, 40, 0.5, 0)
	for _, o := range []Optimizer{GD, Momentum, Nesterov, Adam} {
		for _, sched := range []Schedule{Constant, InvScaling, StepDecay} {
			t.Run(o.String()+"/"+sched.String(), func(t *testing.T) {
				opt := withDefaults(Options{Method: Backprop, LearningRate: 0.05, Steps: 8, Optimizer: o, Schedule: sched})
				train := pr.objective(t)
				if err := train.SetL2(0.01); err != nil {
					t.Fatal(err)
				}
				var got [][]float64
				wv := slices.Clone(pr.wv)
				if err := Fit(context.Background(), train, nil, wv, opt, func(_ int, _, _ float64, w []float64) {
					got = append(got, slices.Clone(w))
				}); err != nil {
					t.Fatal(err)
				}
				p := len(pr.wv)
				params, g := slices.Clone(pr.wv), make([]float64, p)
				vel, ms, vs := make([]float64, p), make([]float64, p), make([]float64, p)
				for step := 1; step <= opt.Steps; step++ {
					train.Gradient(g, params, Backprop, 0)
					lr := opt.LearningRate
					switch sched {
					case InvScaling: // one epoch per update: t = 40 rows per earlier update
						lr = opt.LearningRate / math.Pow(float64(40*(step-1)+1), opt.PowerT)
					case StepDecay:
						lr = opt.LearningRate * math.Pow(opt.DecayFactor, float64((step-1)/opt.DecayEvery))
					}
					refUpdate(opt, lr, step, params, g, vel, ms, vs)
					if !slices.Equal(got[step-1], params) {
						t.Fatalf("after update %d Train has %v, scikit-learn's rule %v", step, got[step-1], params)
					}
				}
			})
		}
	}
}

func TestScheduleRates(t *testing.T) {
	tests := []struct {
		opt        Options
		rows       int
		steps      []int
		wantFactor []float64 // α_s / α
	}{
		{Options{Schedule: Constant}, 10, []int{1, 2, 100}, []float64{1, 1, 1}},
		// Batches of 4 of 10 rows: 3 updates an epoch; t moves by 10 rows at each epoch's end.
		{Options{Schedule: InvScaling, PowerT: 0.5, BatchSize: 4}, 10, []int{1, 3, 4, 6, 7}, []float64{1, 1, 1 / math.Sqrt(11), 1 / math.Sqrt(11), 1 / math.Sqrt(21)}},
		{Options{Schedule: InvScaling, PowerT: 0}, 10, []int{1, 5}, []float64{1, 1}},
		{Options{Schedule: StepDecay, DecayFactor: 0.5, DecayEvery: 2}, 10, []int{1, 2, 3, 4, 5}, []float64{1, 1, 0.5, 0.5, 0.25}},
	}
	for _, tc := range tests {
		tc.opt.LearningRate = 0.8
		tr := &trainer{opt: tc.opt, train: &Objective{n: tc.rows}, epoch: batchesPerEpoch(tc.rows, tc.opt.BatchSize)}
		for i, s := range tc.steps {
			if got, want := tr.rate(s), 0.8*tc.wantFactor[i]; math.Abs(got-want) > 1e-15 {
				t.Errorf("%s: rate(step %d) = %v, want %v", tc.opt.Schedule, s, got, want)
			}
		}
	}
}

func TestEpochCountsUpdatesOfBatches(t *testing.T) {
	tests := []struct{ step, rows, batch, want int }{
		{1, 10, 0, 1}, {7, 10, 0, 7}, {7, 10, 10, 7},
		{1, 10, 4, 1}, {3, 10, 4, 1}, {4, 10, 4, 2}, {7, 10, 4, 3},
		{5, 10, 1, 1}, {11, 10, 1, 2},
	}
	for _, tc := range tests {
		if got := Epoch(tc.step, tc.rows, tc.batch); got != tc.want {
			t.Errorf("Epoch(%d, %d rows, batch %d) = %d, want %d", tc.step, tc.rows, tc.batch, got, tc.want)
		}
	}
}

func TestMiniBatchesCoverEveryRowOnceAnEpoch(t *testing.T) {
	// 23 rows in batches of 5: epochs of 5 updates, the last of 3 rows. The first update is
	// plain gradient descent on the gradient of the first batch, gathered in the order of
	// the permutation Fisher–Yates makes from the same source.
	pr := randomProblem(901, Shape{2, 3, 3}, 23, 0.5, 0)
	train := pr.objective(t)
	opt := Options{Method: Backprop, LearningRate: 0.3, Steps: 12, BatchSize: 5, Shuffle: newShuffle(1)}
	tr := newTrainer(train, nil, slices.Clone(pr.wv), opt, nil)
	defer tr.run.close()
	// Each epoch shuffles the previous epoch's order further, from the same source.
	perm := make([]int, 23)
	for i := range perm {
		perm[i] = i
	}
	u := newShuffle(1)
	var orders [][]int
	for range 2 {
		for i := len(perm) - 1; i > 0; i-- {
			j := int(u.Float64() * float64(i+1))
			perm[i], perm[j] = perm[j], perm[i]
		}
		orders = append(orders, slices.Clone(perm))
	}
	if slices.Equal(orders[0], orders[1]) {
		t.Fatal("the two epochs' orders are equal: the test cannot tell a reshuffle")
	}
	for epoch := range 2 {
		seen := make([]int, 23)
		var sizes, order []int
		for k := range 5 {
			tr.nextBatch(epoch*5 + k + 1)
			sizes = append(sizes, tr.batch.Len())
			for i := range tr.batch.Len() {
				// Find the row by its inputs (rows of D+1 = 3, the bias input last): every row
				// differs.
				for r := range 23 {
					if slices.Equal(tr.batch.x[i*3:i*3+3], train.x[r*3:r*3+3]) && tr.batch.labels[i] == train.labels[r] {
						seen[r]++
						order = append(order, r)
					}
				}
			}
		}
		if !slices.Equal(sizes, []int{5, 5, 5, 5, 3}) {
			t.Errorf("epoch %d: batch sizes %v, want [5 5 5 5 3]", epoch+1, sizes)
		}
		for r, c := range seen {
			if c != 1 {
				t.Errorf("epoch %d: row %d used %d times, want once", epoch+1, r, c)
			}
		}
		if !slices.Equal(order, orders[epoch]) {
			t.Errorf("epoch %d: rows in the order %v, want %v", epoch+1, order, orders[epoch])
		}
	}
	perm = orders[0]
	var x []float64
	var labels []int32
	for _, r := range perm[:5] {
		x = append(x, pr.x[r*2:r*2+2]...)
		labels = append(labels, pr.labels[r])
	}
	first, err := NewObjective(pr.shape, x, labels)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float64, len(pr.wv))
	first.Gradient(g, pr.wv, Backprop, 0)
	want := slices.Clone(pr.wv)
	for p := range want {
		want[p] -= float64(0.3 * g[p])
	}
	opt.Steps, opt.Shuffle = 1, newShuffle(1)
	wv := slices.Clone(pr.wv)
	if err := Fit(context.Background(), pr.objective(t), nil, wv, opt, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wv, want) {
		t.Errorf("the first mini-batch update = %v, want wv − α·(gradient of the first batch) %v", wv, want)
	}
}

// trainAll trains a copy of wv and returns the final weights and every observation.
func trainAll(t *testing.T, train, test *Objective, wv []float64, opt Options) ([]float64, []float64, error) {
	t.Helper()
	w := slices.Clone(wv)
	var obs []float64
	err := Fit(context.Background(), train, test, w, opt, func(step int, tr, te float64, _ []float64) {
		obs = append(obs, float64(step), tr, te)
	})
	return w, obs, err
}

func TestMiniBatchTrainingIsTheSameBitsForAnyWorkers(t *testing.T) {
	// A batch of 500 rows of P = 139 is above parallelMin: two and three workers split it.
	s := Shape{D: 13, M: 8, K: 3}
	pr := randomProblem(902, s, 1200, 0.5, 0)
	tp := randomProblem(903, s, 300, 0.5, 0)
	vp := randomProblem(904, s, 200, 0.5, 0)
	for _, m := range []Method{Numerical, Backprop} {
		var first []float64
		var firstObs []float64
		for _, workers := range []int{1, 2, 3} {
			train, test := pr.objective(t), tp.objective(t)
			if err := train.SetL2(1e-3); err != nil {
				t.Fatal(err)
			}
			es := &EarlyStopping{Validation: vp.objective(t), Patience: 2}
			opt := withDefaults(Options{Method: m, Epsilon: 1e-3, LearningRate: 0.01, Steps: 7, Workers: workers, Optimizer: Adam,
				BatchSize: 500, Shuffle: newShuffle(2), EarlyStopping: es, Schedule: InvScaling})
			w, obs, err := trainAll(t, train, test, pr.wv, opt)
			if err != nil {
				t.Fatal(err)
			}
			if workers == 1 {
				first, firstObs = w, obs
			} else if !slices.Equal(w, first) || !slices.Equal(obs, firstObs) {
				t.Errorf("%s: Workers=%d differs from Workers=1", m, workers)
			}
		}
	}
}

func TestObserveEverySelectsUpdates(t *testing.T) {
	pr := randomProblem(905, Shape{2, 3, 3}, 30, 0.5, 0)
	tp := randomProblem(906, Shape{2, 3, 3}, 10, 0.5, 0)
	vp := randomProblem(907, Shape{2, 3, 3}, 10, 0.5, 0)
	tests := []struct {
		name string
		opt  Options
		want []int
	}{
		{"full batches, every 3rd", Options{ObserveEvery: 3}, []int{1, 3, 6, 9, 10}},
		{"mini-batches, every 4th", Options{ObserveEvery: 4, BatchSize: 7}, []int{1, 4, 8, 10}},
		{"every one", Options{BatchSize: 7}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		// Epochs of 5 updates (batches of 7 of 30 rows): checks after 5 and 10.
		{"early-stopping checks too", Options{ObserveEvery: 4, BatchSize: 7, EarlyStopping: &EarlyStopping{Patience: 5}}, []int{1, 4, 5, 8, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Method, opt.LearningRate, opt.Steps, opt.Shuffle = Backprop, 0.5, 10, newShuffle(3)
			if opt.EarlyStopping != nil {
				opt.EarlyStopping.Validation = vp.objective(t)
			}
			train, test := pr.objective(t), tp.objective(t)
			var steps []int
			err := Fit(context.Background(), train, test, slices.Clone(pr.wv), opt, func(step int, tr, te float64, w []float64) {
				steps = append(steps, step)
				if v := train.Value(w); math.Float64bits(v) != math.Float64bits(tr) {
					t.Errorf("step %d: observed train E %.17g, Value %.17g", step, tr, v)
				}
				if v := test.Value(w); math.Float64bits(v) != math.Float64bits(te) {
					t.Errorf("step %d: observed test E %.17g, Value %.17g", step, te, v)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(steps, tc.want) {
				t.Errorf("observed steps %v, want %v", steps, tc.want)
			}
		})
	}
}

// fitChecked trains pr's problem from its weights with opt, whose
// EarlyStopping's Checked it sets, and returns the weights kept, every check
// and the weights observed at each step.
func fitChecked(t *testing.T, pr problem, opt Options) (wv []float64, checks []Check, weights map[int][]float64) {
	t.Helper()
	weights = map[int][]float64{}
	opt.EarlyStopping.Checked = func(c Check) { checks = append(checks, c) }
	wv = slices.Clone(pr.wv)
	if err := Fit(context.Background(), pr.objective(t), nil, wv, opt, func(step int, _, _ float64, w []float64) {
		weights[step] = slices.Clone(w)
	}); err != nil {
		t.Fatal(err)
	}
	return wv, checks, weights
}

func TestEarlyStoppingKeepsTheBestWeights(t *testing.T) {
	// Random labels: the network learns the training rows' noise, and the validation
	// rows' error, after falling at first, rises.
	s := Shape{D: 4, M: 16, K: 2}
	pr := randomProblem(908, s, 60, 0.5, 0)
	vp := randomProblem(909, s, 60, 0.5, 0)
	es := &EarlyStopping{Validation: vp.objective(t), Patience: 3}
	opt := withDefaults(Options{Method: Backprop, LearningRate: 0.05, Steps: 2000, Optimizer: Adam, BatchSize: 20, Shuffle: newShuffle(4), EarlyStopping: es})
	wv, checks, weights := fitChecked(t, pr, opt)
	last := checks[len(checks)-1]
	if !last.Stop || last.Step >= opt.Steps {
		t.Fatalf("training ran to step %d without stopping (last check %+v)", last.Step, last)
	}
	best := Check{ValidationE: math.Inf(1)}
	wait := 0
	for i, c := range checks {
		if c.Step != 3*(i+1) || c.Epoch != i+1 {
			t.Errorf("check %d at step %d, epoch %d; want every epoch's end, step %d", i, c.Step, c.Epoch, 3*(i+1))
		}
		if c.Best != (c.ValidationE < best.ValidationE) {
			t.Errorf("check %+v: Best is %v after a best of %v", c, c.Best, best.ValidationE)
		}
		if c.Best {
			best = c
			wait = 0
		} else {
			wait++
		}
		if c.Stop != (wait == es.Patience) {
			t.Errorf("check %+v: Stop %v after %d checks without improvement (patience %d)", c, c.Stop, wait, es.Patience)
		}
	}
	if !slices.Equal(wv, weights[best.Step]) {
		t.Errorf("Train left weights other than those of the best check, step %d", best.Step)
	}
	if v := vp.objective(t).Value(wv); v != best.ValidationE {
		t.Errorf("validation E of the weights kept = %v, want the best check's %v", v, best.ValidationE)
	}
}

func TestEarlyStoppingOnAccuracyIsScikitLearns(t *testing.T) {
	// Monitoring the accuracy: a check improves when it beats the best accuracy (by more
	// than MinDelta = 0), the best is the first check with the highest accuracy, and
	// training keeps its weights.
	s := Shape{D: 4, M: 16, K: 2}
	pr := randomProblem(921, s, 60, 0.5, 0)
	vp := randomProblem(922, s, 40, 0.5, 0)
	es := &EarlyStopping{Validation: vp.objective(t), Patience: 4, Accuracy: true}
	opt := withDefaults(Options{Method: Backprop, LearningRate: 0.05, Steps: 3000, Optimizer: Adam, BatchSize: 20, Shuffle: newShuffle(11), EarlyStopping: es})
	wv, checks, weights := fitChecked(t, pr, opt)
	bestAcc, bestStep, wait := -1.0, 0, 0
	val := vp.objective(t)
	for _, c := range checks {
		pred := make([]int32, val.Len())
		val.Predict(pred, weights[c.Step])
		right := 0
		for i := range pred {
			if pred[i] == vp.labels[i] {
				right++
			}
		}
		if acc := float64(right) / float64(len(pred)); c.ValidationAccuracy != acc {
			t.Fatalf("check at step %d: accuracy %v, want %v", c.Step, c.ValidationAccuracy, acc)
		}
		if c.Best != (c.ValidationAccuracy > bestAcc) {
			t.Errorf("check %+v: Best %v after a best accuracy of %v", c, c.Best, bestAcc)
		}
		if c.Best {
			bestAcc, bestStep, wait = c.ValidationAccuracy, c.Step, 0
		} else {
			wait++
		}
		if c.Stop != (wait == es.Patience) {
			t.Errorf("check %+v: Stop %v after %d checks without a better accuracy", c, c.Stop, wait)
		}
	}
	if last := checks[len(checks)-1]; !last.Stop {
		t.Fatalf("training did not stop in %d steps", opt.Steps)
	}
	if !slices.Equal(wv, weights[bestStep]) {
		t.Errorf("the weights kept are not the first best check's (step %d)", bestStep)
	}
}

func TestEarlyStoppingCountsOnlyImprovementsOfMinDelta(t *testing.T) {
	// With a MinDelta no change can reach, only the first check (from +Inf) improves:
	// training stops at the 1+Patience-th check, full batches checking every update, and
	// keeps the weights of the best, whichever it was.
	pr := randomProblem(910, Shape{2, 3, 3}, 30, 0.5, 0)
	vp := randomProblem(911, Shape{2, 3, 3}, 30, 0.5, 0)
	var checks []Check
	es := &EarlyStopping{Validation: vp.objective(t), Patience: 4, MinDelta: 100, Checked: func(c Check) { checks = append(checks, c) }}
	opt := Options{Method: Backprop, LearningRate: 0.5, Steps: 50, EarlyStopping: es}
	var observed []int
	wv := slices.Clone(pr.wv)
	if err := Fit(context.Background(), pr.objective(t), nil, wv, opt, func(step int, _, _ float64, _ []float64) {
		observed = append(observed, step)
	}); err != nil {
		t.Fatal(err)
	}
	if len(checks) != 5 || !checks[4].Stop || checks[3].Stop || !slices.Equal(observed, []int{1, 2, 3, 4, 5}) {
		t.Errorf("checks %+v, observed %v; want 5 checks, the last stopping, and no update after it", checks, observed)
	}
}

func TestEarlyStoppingToTheLastStepKeepsTheBest(t *testing.T) {
	// Patience that never runs out: training makes every step, and still ends at the best
	// check's weights; the last update is checked even in the middle of an epoch.
	pr := randomProblem(912, Shape{4, 16, 2}, 60, 0.5, 0)
	vp := randomProblem(913, Shape{4, 16, 2}, 60, 0.5, 0)
	es := &EarlyStopping{Validation: vp.objective(t), Patience: 1000}
	opt := withDefaults(Options{Method: Backprop, LearningRate: 0.05, Steps: 100, Optimizer: Adam, BatchSize: 25, Shuffle: newShuffle(5), EarlyStopping: es})
	wv, checks, weights := fitChecked(t, pr, opt)
	if last := checks[len(checks)-1]; last.Step != 100 || last.Stop {
		t.Errorf("last check %+v, want step 100 without stopping", last)
	}
	bestStep, bestE := 0, math.Inf(1)
	for _, c := range checks {
		if c.ValidationE < bestE {
			bestStep, bestE = c.Step, c.ValidationE
		}
	}
	if bestStep == 100 {
		t.Fatal("the last check is the best: the test needs the validation error to rise")
	}
	if !slices.Equal(wv, weights[bestStep]) {
		t.Errorf("weights after training are not those of the best check (step %d)", bestStep)
	}
}

func TestNumericalAndBackpropTrainTheSameObjective(t *testing.T) {
	// Every optimizer × batch × weight decay × schedule: training with the numerical gradient
	// follows back-propagation's trajectory, since both are gradients of the same objective
	// (ε = 2⁻²³: the central difference's ε² term is then ~1e-14), and at the final weights the
	// two gradients of the last batch's objective, weight decay included, agree within 1e-6
	// relative (GradCheck's measure).
	s := Shape{D: 3, M: 4, K: 3}
	pr := randomProblem(914, s, 50, 0.7, 0)
	const eps = 0x1p-23
	for _, o := range []Optimizer{GD, Momentum, Nesterov, Adam} {
		for _, batch := range []int{0, 1, 16} {
			for _, l2 := range []float64{0, 0.3} {
				for _, sched := range []Schedule{Constant, InvScaling, StepDecay} {
					name := fmt.Sprintf("%s/batch=%d/l2=%g/%s", o, batch, l2, sched)
					final := map[Method][]float64{}
					methods := []Method{Backprop, Numerical}
					if batch == 16 && !testing.Short() {
						methods = append(methods, NumericalFull)
					}
					var lastBatch *Objective
					for _, m := range methods {
						train := pr.objective(t)
						if err := train.SetL2(l2); err != nil {
							t.Fatal(err)
						}
						opt := withDefaults(Options{Method: m, Epsilon: eps, LearningRate: 0.05, Steps: 9, Optimizer: o,
							BatchSize: batch, Shuffle: newShuffle(6), Schedule: sched})
						tr := newTrainer(train, nil, slices.Clone(pr.wv), opt, nil)
						var err error
						if tr.batch == train {
							err = tr.fullBatches(context.Background())
						} else {
							err = tr.miniBatches(context.Background())
						}
						tr.run.close()
						if err != nil {
							t.Fatalf("%s %s: %v", name, m, err)
						}
						final[m], lastBatch = tr.wv, tr.batch
					}
					big := 0.0
					for _, w := range final[Backprop] {
						big = math.Max(big, math.Abs(w))
					}
					for _, m := range methods[1:] {
						for p := range final[m] {
							if d := math.Abs(final[m][p] - final[Backprop][p]); !(d <= 1e-6*big) {
								t.Errorf("%s: %s ends with %s = %.17g, back-propagation %.17g", name, m, s.ParamName(p), final[m][p], final[Backprop][p])
							}
						}
					}
					if r := GradCheck(lastBatch, final[Backprop], eps); !(r.MaxRel <= 1e-6) {
						t.Errorf("%s: GradCheck of the last batch's objective = %+v", name, r)
					}
				}
			}
		}
	}
}

func TestTrainingStepsAllocateNothing(t *testing.T) {
	// Every optimizer × batch × weight decay × schedule × early stopping: one more update
	// (the batch, the gradient, the update, the errors and the check) allocates nothing.
	s := Shape{D: 5, M: 6, K: 3}
	pr := randomProblem(915, s, 300, 0.5, 0)
	tp := randomProblem(916, s, 50, 0.5, 0)
	vp := randomProblem(917, s, 50, 0.5, 0)
	for _, o := range []Optimizer{GD, Momentum, Nesterov, Adam} {
		for _, batch := range []int{0, 32} {
			for _, l2 := range []float64{0, 1e-4} {
				for _, sched := range []Schedule{Constant, InvScaling, StepDecay} {
					for _, stop := range []bool{false, true} {
						for _, m := range []Method{Numerical, Backprop} {
							train := pr.objective(t)
							if err := train.SetL2(l2); err != nil {
								t.Fatal(err)
							}
							opt := withDefaults(Options{Method: m, Epsilon: 1e-3, LearningRate: 0.01, Steps: 1 << 30, Optimizer: o,
								BatchSize: batch, Shuffle: newShuffle(7), Schedule: sched})
							if stop {
								opt.EarlyStopping = &EarlyStopping{Validation: vp.objective(t), Patience: 1 << 30, Checked: func(Check) {},
									Accuracy: batch > 0}
							}
							observe := func(int, float64, float64, []float64) {}
							tr := newTrainer(train, tp.objective(t), slices.Clone(pr.wv), opt, observe)
							step := 0
							oneStep := func() {
								step++
								if tr.batch != train {
									tr.nextBatch(step)
								}
								tr.run.gradient(tr.g, tr.wv)
								tr.update(step)
								if _, err := tr.report(step, tr.run.value(train, tr.wv)); err != nil {
									t.Fatal(err)
								}
							}
							if a := testing.AllocsPerRun(20, oneStep); a != 0 {
								t.Errorf("%s %s batch=%d l2=%g %s early stopping %v: a step allocates %v times, want 0", m, o, batch, l2, sched, stop, a)
							}
							tr.run.close()
						}
					}
				}
			}
		}
	}
	// And Train itself: 50 more steps allocate no more than the pool's start-up noise.
	for _, workers := range []int{1, 2} {
		train := func(steps int) float64 {
			return testing.AllocsPerRun(3, func() {
				es := &EarlyStopping{Validation: vp.objective(t), Patience: 1 << 30}
				opt := withDefaults(Options{Method: Backprop, LearningRate: 0.01, Steps: steps, Workers: workers, Optimizer: Adam,
					BatchSize: 16, Shuffle: newShuffle(8), Schedule: StepDecay, EarlyStopping: es})
				if err := Fit(context.Background(), pr.objective(t), tp.objective(t), slices.Clone(pr.wv), opt, nil); err != nil {
					t.Fatal(err)
				}
			})
		}
		// The objectives and weights made in the closure are the same for both counts.
		if one, many := train(1), train(51); many > one+3 {
			t.Errorf("Fit(Workers=%d, mini-batches, Adam, early stopping) allocates %v times for 1 step and %v for 51", workers, one, many)
		}
	}
}

func TestMiniBatchDivergenceNamesTheStep(t *testing.T) {
	bd := loadBook(t)
	train, test := bd.objectives(t)
	opt := Options{Method: Backprop, LearningRate: 1e6, Steps: 50, BatchSize: 10, Shuffle: newShuffle(9), ObserveEvery: 100}
	var observed []int
	err := Fit(context.Background(), train, test, slices.Clone(bd.want.WvInit), opt, func(step int, _, _ float64, _ []float64) {
		observed = append(observed, step)
	})
	var de *DivergenceError
	if !errors.As(err, &de) {
		t.Fatalf("Fit(α=1e6, batches of 10) = %v, want a *DivergenceError", err)
	}
	// Step 1 is observed (its full errors exploded there, or the next batch's did).
	if de.Step < 1 || de.Step > 2 || !strings.Contains(de.Error(), fmt.Sprintf("diverged at step %d:", de.Step)) {
		t.Errorf("diverged at step %d (%v), observed %v; want step 1 or 2", de.Step, de, observed)
	}
}

func TestMiniBatchTrainingStopsWhenContextIsDone(t *testing.T) {
	pr := randomProblem(918, Shape{2, 3, 3}, 40, 0.5, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var observed []int
	opt := Options{Method: Backprop, LearningRate: 0.1, Steps: 100, BatchSize: 8, Shuffle: newShuffle(10)}
	wv := slices.Clone(pr.wv)
	err := Fit(ctx, pr.objective(t), nil, wv, opt, func(step int, _, _ float64, _ []float64) {
		observed = append(observed, step)
		if step == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || !slices.Equal(observed, []int{1, 2, 3}) {
		t.Fatalf("Fit(cancelled at step 3) = %v after observing %v, want context.Canceled after [1 2 3]", err, observed)
	}
	want := slices.Clone(pr.wv)
	opt.Steps, opt.Shuffle = 3, newShuffle(10)
	if err := Fit(context.Background(), pr.objective(t), nil, want, opt, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wv, want) {
		t.Error("weights after cancellation are not the state after 3 updates")
	}
}

func TestTrainRejectsBadTrainingOptions(t *testing.T) {
	pr := randomProblem(919, Shape{2, 3, 3}, 20, 0.5, 0)
	other := randomProblem(920, Shape{2, 4, 3}, 5, 0.5, 0)
	base := Options{Method: Backprop, LearningRate: 0.1, Steps: 2}
	tests := []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"an unknown optimizer", func(o *Options) { o.Optimizer = 9 }, "optimizer"},
		{"momentum above 1", func(o *Options) { o.Optimizer, o.Momentum = Nesterov, 1.5 }, "momentum"},
		{"a negative momentum", func(o *Options) { o.Optimizer, o.Momentum = Momentum, -0.1 }, "momentum"},
		{"beta1 of 1", func(o *Options) { *o = withDefaults(*o); o.Optimizer, o.Beta1 = Adam, 1 }, "beta1"},
		{"a NaN beta2", func(o *Options) { *o = withDefaults(*o); o.Optimizer, o.Beta2 = Adam, math.NaN() }, "beta2"},
		{"a zero adam epsilon", func(o *Options) { *o = withDefaults(*o); o.Optimizer, o.AdamEpsilon = Adam, -1 }, "adam epsilon"},
		{"an unknown schedule", func(o *Options) { o.Schedule = 5 }, "schedule"},
		{"a negative power", func(o *Options) { o.Schedule, o.PowerT = InvScaling, -1 }, "power t"},
		{"a decay factor of 0", func(o *Options) { o.Schedule, o.DecayEvery = StepDecay, 1 }, "decay factor"},
		{"a decay period of 0", func(o *Options) { o.Schedule, o.DecayFactor = StepDecay, 0.5 }, "decay every"},
		{"a negative batch", func(o *Options) { o.BatchSize = -1 }, "batch size"},
		{"a batch larger than the rows", func(o *Options) { o.BatchSize, o.Shuffle = 21, newShuffle(1) }, "more than the 20 training rows"},
		{"batches without a source", func(o *Options) { o.BatchSize = 5 }, "Shuffle"},
		{"a negative observe every", func(o *Options) { o.ObserveEvery = -2 }, "observe every"},
		{"early stopping without rows", func(o *Options) { o.EarlyStopping = &EarlyStopping{Patience: 1} }, "validation rows"},
		{"early stopping without patience", func(o *Options) { o.EarlyStopping = &EarlyStopping{Validation: pr.objective(t)} }, "patience"},
		{"a negative min delta", func(o *Options) {
			o.EarlyStopping = &EarlyStopping{Validation: pr.objective(t), Patience: 1, MinDelta: -1}
		}, "min delta"},
		{"validation rows of another shape", func(o *Options) { o.EarlyStopping = &EarlyStopping{Validation: other.objective(t), Patience: 1} }, "validation set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := base
			tc.change(&opt)
			wv := slices.Clone(pr.wv)
			err := Fit(context.Background(), pr.objective(t), nil, wv, opt, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Train = %v, want an error about %s", err, tc.want)
			}
			if !slices.Equal(wv, pr.wv) {
				t.Error("Train changed the weights although it refused the options")
			}
		})
	}
	t.Run("a batch of every row is the book's full batch", func(t *testing.T) {
		a, _, errA := trainAll(t, pr.objective(t), nil, pr.wv, base)
		opt := base
		opt.BatchSize = 20
		b, _, errB := trainAll(t, pr.objective(t), nil, pr.wv, opt)
		if errA != nil || errB != nil || !slices.Equal(a, b) {
			t.Errorf("BatchSize = the rows differs from 0 (errors %v, %v)", errA, errB)
		}
	})
}

func TestDivergenceErrorNamesTheValidationRows(t *testing.T) {
	e := &DivergenceError{Step: 4, TrainE: 0.5, TestE: 0.6, ValidationE: math.Inf(1)}
	if got, want := e.Error(), "diverged at step 4: validation cross-entropy is +Inf; try a smaller learning_rate"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
