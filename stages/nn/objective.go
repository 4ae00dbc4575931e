package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Objective is the mean cross-entropy E of a network of a given Shape over one data set. It
// keeps a copy of the data and the scratch space its methods need, so that Value,
// Probabilities, Predict and Gradient allocate nothing. An Objective is not safe for
// concurrent use.
//
// Every method panics if a parameter vector does not have Shape().NumParams() elements or a
// destination does not have the documented length.
type Objective struct {
	shape  Shape
	n      int
	x      []float64 // N×(D+1), row-major: each row's D inputs and the bias input 1
	labels []int32   // N, in [0, K)
	xmax   []float64 // N: max(1, max_i |x_ni|), the largest input magnitude incl. the bias
	// xT is x transposed, D+1 rows of len(xT)/(D+1) (N, or a batch's capacity): input i
	// of row r at i·len(xT)/(D+1) + r, the last row the bias input 1; the forward pass reads
	// it as the block's inputs by columns. It is kept only when D ≤ M (see forwardCols), nil
	// otherwise.
	xT []float64

	// Rows are processed in fixed chunks, whatever the number of goroutines, and per-chunk
	// partial sums are added in chunk order: results do not depend on the goroutines.
	chunkSize, numChunks int
	acc                  []float64 // numChunks×P per-chunk partial gradient sums
	loss                 []float64 // N: per-row cross-entropy of the last evaluation

	fast       fastStep // per-step state of the fast numerical gradient
	forceExact bool     // tests: evaluate every perturbation exactly, no series
	sc         *scratch // the single-goroutine scratch

	l2 float64 // the weight decay α of the penalty α/(2N) Σ w² (see SetL2)

	// A batch (see newBatch) keeps its buffers at their capacity and reslices them.
	xBuf      []float64
	labelsBuf []int32
	xmaxBuf   []float64
	lossBuf   []float64
}

// scratch is the per-goroutine working memory: a block of rows (block.go), the layers
// transposed for it, and one row's quantities for the exact evaluations of the fast gradient.
type scratch struct {
	pert []float64 // P: the perturbed parameter vector of the full-recompute gradient
	wT   []float64 // (D+1)×M: w transposed, wT[i·M+j] = w_ji (see setWeights)
	blk  block

	// One row, copied from the block by loadRow.
	z     []float64      // M+1: hidden activations, z[M] = 1
	b     []float64      // M: hidden pre-activations
	ez    []float64      // M: 1 − z_j, computed without cancellation
	a     []float64      // K: output pre-activations
	y     []float64      // K: softmax outputs
	c     []float64      // K: exponents of an exact perturbation
	lse   float64        // log Σ_k e^(a_k) of the current row
	exact int            // rows × units (or outputs) evaluated exactly instead of by series
	tiers [numOrders]int // rows × units summed through each series order (for the tests)
}

func newScratch(s Shape) *scratch {
	return &scratch{
		pert: make([]float64, s.NumParams()),
		wT:   make([]float64, (s.D+1)*s.M),
		blk:  newBlock(s),
		z:    make([]float64, s.M+1),
		b:    make([]float64, s.M),
		ez:   make([]float64, s.M),
		a:    make([]float64, s.K),
		y:    make([]float64, s.K),
		c:    make([]float64, s.K),
	}
}

// Rows per chunk: at least minChunkRows, and at most maxChunks chunks.
const (
	minChunkRows = 128
	maxChunks    = 64
)

// NewObjective returns the objective of a network of shape s over the data x (row-major
// N×D, N = len(labels)) with class indices labels in [0, K). It copies x and labels. It returns
// an error if the shape is invalid, there are no rows, len(x) is not N·D, an input is NaN or
// infinite, or a label is out of range.
func NewObjective(s Shape, x []float64, labels []int32) (*Objective, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("network shape: %w", err)
	}
	n := len(labels)
	if n == 0 {
		return nil, errors.New("data: no rows")
	}
	if len(x) != n*s.D {
		return nil, fmt.Errorf("data: %d input values for %d rows of %d inputs, want %d", len(x), n, s.D, n*s.D)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("data: row %d input %d is %v", i/s.D, i%s.D, v)
		}
	}
	for i, t := range labels {
		if t < 0 || int(t) >= s.K {
			return nil, fmt.Errorf("data: row %d label %d is not a class index in [0, %d)", i, t, s.K)
		}
	}
	chunkSize, numChunks := chunking(n)
	o := &Objective{
		shape:     s,
		n:         n,
		x:         make([]float64, n*(s.D+1)),
		labels:    append([]int32(nil), labels...),
		xmax:      make([]float64, n),
		chunkSize: chunkSize,
		numChunks: numChunks,
		acc:       make([]float64, numChunks*s.NumParams()),
		loss:      make([]float64, n),
		fast:      newFastStep(s),
		sc:        newScratch(s),
	}
	o.newTransposed(n)
	for r := range n {
		row := x[r*s.D : (r+1)*s.D]
		copy(o.x[r*(s.D+1):], row)
		o.x[r*(s.D+1)+s.D] = 1
		o.setTransposed(r, row)
		m := 1.0
		for _, v := range row {
			m = math.Max(m, math.Abs(v))
		}
		o.xmax[r] = m
	}
	return o, nil
}

// newTransposed allocates xT for rows rows, its bias row set, when the shape keeps it.
func (o *Objective) newTransposed(rows int) {
	if s := o.shape; s.D <= s.M {
		o.xT = ones((s.D+1)*rows, s.D*rows)
	}
}

// setTransposed stores the D inputs of row r in xT, if it is kept.
func (o *Objective) setTransposed(r int, row []float64) {
	if o.xT == nil {
		return
	}
	ld := len(o.xT) / (o.shape.D + 1)
	for i, v := range row {
		o.xT[i*ld+r] = v
	}
}

// chunking returns the rows per chunk and the number of chunks of n rows.
func chunking(n int) (chunkSize, numChunks int) {
	numChunks = min((n+minChunkRows-1)/minChunkRows, maxChunks)
	chunkSize = (n + numChunks - 1) / numChunks
	numChunks = (n + chunkSize - 1) / chunkSize
	return chunkSize, numChunks
}

// Shape returns the network's shape.
func (o *Objective) Shape() Shape { return o.shape }

// Len returns N, the number of rows.
func (o *Objective) Len() int { return o.n }

// Label returns the class of row i. It panics if i is not in [0, N).
func (o *Objective) Label(i int) int32 { return o.labels[:o.n][i] }

// checkParams panics unless wv has P elements.
func (o *Objective) checkParams(wv []float64) {
	if p := o.shape.NumParams(); len(wv) != p {
		panic(fmt.Sprintf("nn: parameter vector has %d elements, want %d", len(wv), p))
	}
}

// chunk returns the rows [lo, hi) of chunk c.
func (o *Objective) chunk(c int) (lo, hi int) {
	lo = c * o.chunkSize
	return lo, min(lo+o.chunkSize, o.n)
}

// SetL2 sets the weight decay α of the objective that Gradient differentiates,
//
//	E(wv) + α/(2N) Σ w²,
//
// the sum over the weights w_ji (i < D) and v_kj (j < M), not the biases: scikit-learn's
// alpha, scaled by the rows of the objective (those of a batch when it is one). α = 0, the
// default, leaves E alone. It returns an error, changing nothing, if α is negative or not
// finite.
func (o *Objective) SetL2(alpha float64) error {
	if !(alpha >= 0 && alpha <= math.MaxFloat64) {
		return fmt.Errorf("l2: must be a finite number >= 0, got %v", alpha)
	}
	o.l2 = alpha
	return nil
}

// L2 returns the weight decay α set by SetL2.
func (o *Objective) L2() float64 { return o.l2 }

// Penalty returns the weight decay's term α/(2N) Σ w² at wv (0 when α is 0).
func (o *Objective) Penalty(wv []float64) float64 {
	o.checkParams(wv)
	return o.penalty(wv)
}

func (o *Objective) penalty(wv []float64) float64 {
	if o.l2 == 0 {
		return 0
	}
	s := o.shape
	sum := 0.0
	for p, w := range wv {
		if !s.isBias(p) {
			sum += float64(w * w)
		}
	}
	return o.l2 / (2 * float64(o.n)) * sum
}

// Value returns E(wv), the mean cross-entropy −(1/N) Σ_n log y_{n,t_n}, without the weight
// decay's term (see Penalty).
func (o *Objective) Value(wv []float64) float64 {
	o.checkParams(wv)
	return o.value(o.sc, wv)
}

// value is Value without the check. Every path that computes E (value, the gradients, the
// parallel runner) adds the same per-row terms in row order with the same compensated sum, so
// they agree bit for bit.
func (o *Objective) value(sc *scratch, wv []float64) float64 {
	var sum CompensatedSum
	for r0 := 0; r0 < o.n; r0 += blockRows {
		n := min(blockRows, o.n-r0)
		o.forward(sc, wv, r0, n, false)
		sum.AddAll(sc.blk.loss[:n])
	}
	return sum.Value() / float64(o.n)
}

// CompensatedSum is a compensated (Kahan–Babuška–Neumaier) sum: the rounding error of adding
// N terms stays at a few ulp of the result instead of growing with N. It matters for the
// central difference, which divides the difference of two such sums by 2ε, and it is how
// every mean cross-entropy of nnpipe is summed, so that they agree bit for bit. The zero value
// is an empty sum.
type CompensatedSum struct{ s, c float64 }

// Add adds x to the sum.
func (k *CompensatedSum) Add(x float64) { k.s, k.c = neumaier(k.s, k.c, x) }

// AddAll adds the elements of xs in order: the same bits as calling Add with each, with the
// running sum in registers rather than in k between two additions.
func (k *CompensatedSum) AddAll(xs []float64) {
	s, c := k.s, k.c
	for _, x := range xs {
		s, c = neumaier(s, c, x)
	}
	k.s, k.c = s, c
}

// neumaier adds x to the sum s with compensation c, and returns the new pair.
func neumaier(s, c, x float64) (float64, float64) {
	t := s + x
	if math.Abs(s) >= math.Abs(x) {
		c += (s - t) + x
	} else {
		c += (x - t) + s
	}
	return t, c
}

// Value returns the sum.
func (k *CompensatedSum) Value() float64 { return k.s + k.c }

// lossRows stores the cross-entropy of rows [lo, hi) in o.loss.
func (o *Objective) lossRows(sc *scratch, wv []float64, lo, hi int) {
	for r0 := lo; r0 < hi; r0 += blockRows {
		n := min(blockRows, hi-r0)
		o.forward(sc, wv, r0, n, false)
		copy(o.loss[r0:r0+n], sc.blk.loss[:n])
	}
}

// meanLoss returns the mean of o.loss, added as value adds it.
func (o *Objective) meanLoss() float64 {
	var sum CompensatedSum
	sum.AddAll(o.loss)
	return sum.Value() / float64(o.n)
}

// Probabilities writes the softmax outputs y_nk into dst, row-major N×K. It panics if dst
// does not have N·K elements.
func (o *Objective) Probabilities(dst, wv []float64) {
	o.checkParams(wv)
	s := o.shape
	if len(dst) != o.n*s.K {
		panic(fmt.Sprintf("nn: probability destination has %d elements, want %d", len(dst), o.n*s.K))
	}
	sc := o.sc
	for r0 := 0; r0 < o.n; r0 += blockRows {
		n := min(blockRows, o.n-r0)
		o.forward(sc, wv, r0, n, true)
		toRows(dst[r0*s.K:], s.K, sc.blk.yT, s.K, n)
	}
}

// Predict writes the predicted class of every row, the index of its largest softmax output
// (the first one on a tie, as NumPy's argmax), into dst. It panics if dst does not have N
// elements.
func (o *Objective) Predict(dst []int32, wv []float64) {
	o.checkParams(wv)
	if len(dst) != o.n {
		panic(fmt.Sprintf("nn: prediction destination has %d elements, want %d", len(dst), o.n))
	}
	s := o.shape
	sc := o.sc
	for r0 := 0; r0 < o.n; r0 += blockRows {
		n := min(blockRows, o.n-r0)
		o.forward(sc, wv, r0, n, true)
		toRows(sc.blk.y, s.K, sc.blk.yT, s.K, n)
		for r := range n {
			dst[r0+r] = int32(Argmax(sc.blk.y[r*s.K : (r+1)*s.K]))
		}
	}
}

// scoreEvery is how many rows Score computes between two looks at its context: about a
// millisecond of work for a thousand classes.
const scoreEvery = 256

// Score returns E(wv), the same bits as Value, and writes every row's predicted class into
// pred, as Predict does, in one forward pass. It stops with ctx's error, within scoreEvery rows
// of ctx being done; pred is then partly written. It panics if pred does not have N elements.
func (o *Objective) Score(ctx context.Context, wv []float64, pred []int32) (float64, error) {
	o.checkParams(wv)
	if len(pred) != o.n {
		panic(fmt.Sprintf("nn: prediction destination has %d elements, want %d", len(pred), o.n))
	}
	s := o.shape
	sc := o.sc
	var sum CompensatedSum
	for r0 := 0; r0 < o.n; r0 += blockRows {
		if r0%scoreEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		n := min(blockRows, o.n-r0)
		o.forward(sc, wv, r0, n, true)
		toRows(sc.blk.y, s.K, sc.blk.yT, s.K, n)
		for r, l := range sc.blk.loss[:n] {
			sum.Add(l)
			pred[r0+r] = int32(Argmax(sc.blk.y[r*s.K : (r+1)*s.K]))
		}
	}
	return sum.Value() / float64(o.n), nil
}

// Argmax returns the index of the first largest element of a (0 if all are
// NaN), as NumPy's argmax picks the predicted class.
func Argmax(a []float64) int {
	im := 0
	for k, ak := range a {
		if ak > a[im] {
			im = k
		}
	}
	return im
}
