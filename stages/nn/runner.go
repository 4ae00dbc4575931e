package nn

import (
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// parallelMin is the smallest N·P for which Fit spreads a gradient over several
// goroutines; below it, waking them costs more than it saves.
const parallelMin = 1 << 16

// fullBlock is the number of parameters a goroutine takes at a time in the full-recompute
// gradient.
const fullBlock = 4

// jobKind is a unit of work the runner hands out by index.
type jobKind int

const (
	jobFast     jobKind = iota // chunk i of the fast numerical gradient
	jobBackprop                // chunk i of back-propagation
	jobFull                    // parameter block i of the full-recompute gradient
	jobLoss                    // chunk i of the per-row cross-entropy
)

// runner computes Fit's gradients and values. With more than one worker it keeps a pool of
// goroutines for its lifetime; work is cut into the objective's fixed chunks (or parameter
// blocks) and every sum runs in a fixed order, so the results are the same bits whatever the
// number of workers. Dispatching a job allocates nothing.
type runner struct {
	train, test *Objective
	method      Method
	eps         float64
	scr         []*scratch // one per worker; scr[0] is the training objective's own

	start    []chan struct{} // one per extra worker
	wg       sync.WaitGroup
	next     atomic.Int64
	panicked atomic.Pointer[workerPanic] // the first panic of an extra worker's job

	// The current job, set before the workers start and read-only while they run.
	kind  jobKind
	obj   *Objective
	wv    []float64
	dst   []float64
	total int
}

// newRunner returns a runner of train's gradients and of the values of train, test and
// valued. It starts no more workers than the largest job has units (chunks of rows, or
// parameter blocks), since the extra ones would only wait and hold memory.
func newRunner(train, test *Objective, opt Options, valued ...*Objective) *runner {
	r := &runner{train: train, test: test, method: opt.Method, eps: opt.Epsilon}
	workers := min(max(opt.Workers, 1), r.maxUnits(valued))
	if train.n*train.shape.NumParams() < parallelMin {
		workers = 1
	}
	r.scr = []*scratch{train.sc}
	for i := 1; i < workers; i++ {
		r.scr = append(r.scr, newScratch(train.shape))
		ch := make(chan struct{})
		r.start = append(r.start, ch)
		go func() {
			for range ch {
				r.workCarryingPanics(i)
				r.wg.Done()
			}
		}()
	}
	return r
}

// maxUnits returns the most units a job of r can have: the chunks of train, test or one
// of valued, or the parameter blocks of the full-recompute gradient.
func (r *runner) maxUnits(valued []*Objective) int {
	units := 1
	for _, o := range append([]*Objective{r.train, r.test}, valued...) {
		if o != nil {
			units = max(units, o.numChunks)
		}
	}
	if r.method == NumericalFull {
		units = max(units, (r.train.shape.NumParams()+fullBlock-1)/fullBlock)
	}
	return units
}

// close stops the pool.
func (r *runner) close() {
	for _, ch := range r.start {
		close(ch)
	}
}

// run does job kind on o for indices [0, total), spread over the workers.
func (r *runner) run(kind jobKind, o *Objective, wv, dst []float64, total int) {
	r.kind, r.obj, r.wv, r.dst, r.total = kind, o, wv, dst, total
	r.next.Store(0)
	r.wg.Add(len(r.start))
	for _, ch := range r.start {
		ch <- struct{}{}
	}
	r.work(0)
	r.wg.Wait()
	if p := r.panicked.Load(); p != nil {
		panic(p)
	}
}

// workCarryingPanics is work for an extra worker: a panic there would end the
// process, so it is kept for run to raise again in the goroutine that waits.
func (r *runner) workCarryingPanics(worker int) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked.CompareAndSwap(nil, &workerPanic{value: v, stack: debug.Stack()})
		}
	}()
	r.work(worker)
}

// workerPanic is a panic in a training worker's goroutine, raised again in
// the goroutine that runs the training, where a recover can catch it (the
// engine's does, failing the stage). PanicStack gives the worker's stack.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) Error() string      { return fmt.Sprintf("a training worker panicked: %v", p.value) }
func (p *workerPanic) PanicStack() []byte { return p.stack }

// work takes indices of the current job until none is left.
func (r *runner) work(worker int) {
	sc, o := r.scr[worker], r.obj
	for {
		i := int(r.next.Add(1) - 1)
		if i >= r.total {
			return
		}
		switch r.kind {
		case jobFast:
			o.fastChunk(sc, r.wv, i)
		case jobBackprop:
			o.backpropChunk(sc, r.wv, i)
		case jobFull:
			lo := i * fullBlock
			o.numericalFull(sc, r.dst, r.wv, r.eps, lo, min(lo+fullBlock, len(r.wv)))
		case jobLoss:
			lo, hi := o.chunk(i)
			o.lossRows(sc, r.wv, lo, hi)
		}
	}
}

// gradient writes the training gradient at wv into dst and returns E(wv), the same bits as
// train.Gradient and train.Value.
func (r *runner) gradient(dst, wv []float64) float64 {
	o := r.train
	switch r.method {
	case Numerical:
		o.fast.prepare(o, wv, r.eps)
		r.run(jobFast, o, wv, nil, o.numChunks)
		o.reduce(dst, o.fast.scale)
		o.addDecay(dst, wv, Numerical)
	case Backprop:
		r.run(jobBackprop, o, wv, nil, o.numChunks)
		o.reduce(dst, nil)
		o.addDecay(dst, wv, Backprop)
	case NumericalFull:
		r.run(jobFull, o, wv, dst, (len(wv)+fullBlock-1)/fullBlock)
		r.run(jobLoss, o, wv, nil, o.numChunks)
	}
	return o.meanLoss()
}

// value returns o.Value(wv), or NaN if o is nil.
func (r *runner) value(o *Objective, wv []float64) float64 {
	if o == nil {
		return math.NaN()
	}
	r.run(jobLoss, o, wv, nil, o.numChunks)
	return o.meanLoss()
}
