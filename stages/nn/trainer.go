package nn

import (
	"context"
	"fmt"
	"math"
)

// trainer is one Train call's state. Everything a step needs is allocated by newTrainer.
type trainer struct {
	opt         Options
	train, test *Objective
	batch       *Objective // the rows of an update: train itself with full batches
	run         *runner
	wv, g       []float64
	observe     func(step int, trainE, testE float64, wv []float64)
	start       float64 // the training cross-entropy at the initial weights

	m, v []float64 // Momentum's and Nesterov's velocity, or Adam's first moment; Adam's second

	perm  []int // the rows in the current epoch's order
	epoch int   // updates per epoch

	es       *EarlyStopping
	best     []float64 // the best check's weights
	bestE    float64   // the best check's cross-entropy, or its accuracy negated
	bestStep int
	wait     int     // checks since the last improvement
	pred     []int32 // the validation rows' predicted classes, when accuracy is monitored
}

func newTrainer(train, test *Objective, wv []float64, opt Options, observe func(int, float64, float64, []float64)) *trainer {
	p := len(wv)
	t := &trainer{opt: opt, train: train, test: test, batch: train, wv: wv, g: make([]float64, p), observe: observe,
		es: opt.EarlyStopping, bestE: math.Inf(1), epoch: batchesPerEpoch(train.n, opt.BatchSize)}
	if t.epoch > 1 {
		t.batch = newBatch(train, opt.BatchSize)
		t.perm = make([]int, train.n)
		for i := range t.perm {
			t.perm[i] = i
		}
	}
	switch opt.Optimizer {
	case Momentum, Nesterov:
		t.m = make([]float64, p)
	case Adam:
		t.m, t.v = make([]float64, p), make([]float64, p)
	}
	if t.es != nil {
		t.best = make([]float64, p)
		if t.es.Accuracy {
			t.pred = make([]int32, t.es.Validation.n)
		}
	}
	var valid *Objective
	if t.es != nil {
		valid = t.es.Validation
	}
	t.run = newRunner(t.batch, test, opt, train, valid)
	return t
}

// fullBatches trains on every row in each update. The gradient at wv_s also yields E(wv_s),
// so the training error after step s is reported once the next gradient is computed (or at
// the end): one forward pass less.
func (t *trainer) fullBatches(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("training stopped before step 1: %w", err)
	}
	t.start = math.NaN()
	for step := 1; step <= t.opt.Steps; step++ {
		e := t.run.gradient(t.g, t.wv) // E(wv) after step−1 updates
		if step == 1 {
			t.start = e
		} else if stop, err := t.report(step-1, e); err != nil || stop {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("training stopped before step %d: %w", step, err)
		}
		t.update(step)
	}
	_, err := t.report(t.opt.Steps, t.run.value(t.train, t.wv))
	return err
}

// miniBatches trains on batches of rows. The training error over every row is computed only
// after the updates that are observed; between them, the next batch's error (at the weights
// the update left) stands guard for divergence.
func (t *trainer) miniBatches(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("training stopped before step 1: %w", err)
	}
	t.start = t.run.value(t.train, t.wv)
	for step := 1; step <= t.opt.Steps; step++ {
		t.nextBatch(step)
		e := t.run.gradient(t.g, t.wv) // the batch's E after step−1 updates
		if step > 1 && t.exploded(e) {
			return &DivergenceError{Step: step - 1, TrainE: e, TestE: math.NaN(), Start: t.start}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("training stopped before step %d: %w", step, err)
		}
		t.update(step)
		if t.observed(step) {
			if stop, err := t.report(step, t.run.value(t.train, t.wv)); err != nil || stop {
				return err
			}
		}
	}
	return nil // the last update is observed: report kept the best weights
}

// exploded reports whether a training cross-entropy counts as divergence.
func (t *trainer) exploded(e float64) bool {
	return !isFinite(e) || e > ExplodeFactor*math.Max(1, t.start)
}

// observed reports whether the training and test errors after update step are wanted:
// every ObserveEvery-th update, the first, the last and early-stopping checks.
func (t *trainer) observed(step int) bool {
	every := t.opt.ObserveEvery
	return every <= 1 || step == 1 || step%every == 0 || step == t.opt.Steps || t.checks(step)
}

// checks reports whether early stopping checks after update step: the end of an epoch, or
// the last update.
func (t *trainer) checks(step int) bool {
	return t.es != nil && (step%t.epoch == 0 || step == t.opt.Steps)
}

// report checks the errors after update step for divergence, makes the early-stopping check
// and calls observe, for the updates observed. stop reports that training is over: patience
// ran out (wv then holds the best weights).
func (t *trainer) report(step int, trainE float64) (stop bool, err error) {
	if !t.observed(step) {
		if t.exploded(trainE) {
			return false, &DivergenceError{Step: step, TrainE: trainE, TestE: math.NaN(), Start: t.start}
		}
		return false, nil
	}
	testE := t.run.value(t.test, t.wv)
	if t.exploded(trainE) || (t.test != nil && !isFinite(testE)) {
		return false, &DivergenceError{Step: step, TrainE: trainE, TestE: testE, Start: t.start}
	}
	if t.checks(step) {
		valE := t.run.value(t.es.Validation, t.wv)
		if !isFinite(valE) {
			return false, &DivergenceError{Step: step, TrainE: trainE, TestE: testE, ValidationE: valE, Start: t.start}
		}
		// Lower is better: the cross-entropy, or the accuracy negated.
		score, acc := valE, math.NaN()
		if t.es.Accuracy {
			acc = t.accuracy()
			score = -acc
		}
		best := score < t.bestE
		if score < t.bestE-t.es.MinDelta {
			t.wait = 0
		} else {
			t.wait++
		}
		if best {
			t.bestE, t.bestStep = score, step
			copy(t.best, t.wv)
		}
		stop = t.wait >= t.es.Patience
		if t.es.Checked != nil {
			t.es.Checked(Check{Step: step, Epoch: (step-1)/t.epoch + 1, ValidationE: valE, ValidationAccuracy: acc, Best: best, Stop: stop})
		}
	}
	if t.observe != nil {
		t.observe(step, trainE, testE, t.wv)
	}
	if stop || step == t.opt.Steps {
		t.keepBest()
	}
	return stop, nil
}

// accuracy returns the fraction of the validation rows whose predicted class is theirs.
func (t *trainer) accuracy() float64 {
	v := t.es.Validation
	v.Predict(t.pred, t.wv)
	right := 0
	for i, c := range t.pred {
		if c == v.labels[i] {
			right++
		}
	}
	return float64(right) / float64(v.n)
}

// keepBest puts the best check's weights into wv, with early stopping.
func (t *trainer) keepBest() {
	if t.es != nil && t.bestStep > 0 {
		copy(t.wv, t.best)
	}
}

// nextBatch gathers the rows of update step: at the start of an epoch the permutation is
// shuffled further (Fisher–Yates, from Shuffle's uniform draws).
func (t *trainer) nextBatch(step int) {
	k := (step - 1) % t.epoch
	if k == 0 {
		for i := len(t.perm) - 1; i > 0; i-- {
			j := int(t.opt.Shuffle.Float64() * float64(i+1))
			t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
		}
	}
	lo := k * t.opt.BatchSize
	t.batch.gather(t.train, t.perm[lo:min(lo+t.opt.BatchSize, len(t.perm))])
}

// rate returns the learning rate α_s of update step.
func (t *trainer) rate(step int) float64 {
	o := &t.opt
	switch o.Schedule {
	case InvScaling:
		seen := float64(float64(t.train.n) * float64((step-1)/t.epoch))
		return o.LearningRate / math.Pow(seen+1, o.PowerT)
	case StepDecay:
		return o.LearningRate * math.Pow(o.DecayFactor, float64((step-1)/o.DecayEvery))
	}
	return o.LearningRate
}

// update applies update step to wv from the gradient in g.
//
// Every product is rounded before it is added (float64(…)), as NumPy and the
// book do: Go may otherwise fuse a·b + c into one rounding where the CPU has
// fused multiply-add (arm64, GOAMD64=v3), and the weights would then differ
// from scikit-learn's in the last bits.
func (t *trainer) update(step int) {
	wv, g, lr := t.wv, t.g, t.rate(step)
	wv = wv[:len(g)]
	switch t.opt.Optimizer {
	case GD:
		for p, gp := range g {
			wv[p] -= float64(lr * gp)
		}
	case Momentum:
		mu, u := t.opt.Momentum, t.m[:len(g)]
		for p, gp := range g {
			up := float64(mu*u[p]) - float64(lr*gp)
			u[p] = up
			wv[p] += up
		}
	case Nesterov:
		mu, u := t.opt.Momentum, t.m[:len(g)]
		for p, gp := range g {
			up := float64(mu*u[p]) - float64(lr*gp)
			u[p] = up
			wv[p] += float64(mu*up) - float64(lr*gp)
		}
	case Adam:
		b1, b2 := t.opt.Beta1, t.opt.Beta2
		s := float64(step)
		a := lr * math.Sqrt(1-math.Pow(b2, s)) / (1 - math.Pow(b1, s))
		m, v := t.m[:len(g)], t.v[:len(g)]
		for p, gp := range g {
			m[p] = float64(b1*m[p]) + float64((1-b1)*gp)
			v[p] = float64(b2*v[p]) + float64((1-b2)*(gp*gp))
			wv[p] += -a * m[p] / (math.Sqrt(v[p]) + t.opt.AdamEpsilon)
		}
	}
}
