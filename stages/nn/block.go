package nn

import "math"

// The forward pass and the gradients work on blocks of rows: the block's pre-activations,
// activations and outputs are computed layer by layer with the kernels of kernels.go, by
// columns (a unit's or a class's values of the block's rows side by side), and the
// gradients' sums over the rows are products of those blocks. Every sum over rows, inputs,
// units or classes still adds its terms one at a time in the order of the per-row
// definition (rows ascending within a chunk, inputs i = 0 … D with the bias last, …), and
// every product is rounded before it is added: a block computes the same bits as the row by
// row evaluation it replaces, only with the loops exchanged (block_test.go keeps that
// evaluation and holds the pass to it).

// blockRows is the number of rows of a block: large enough that a kernel call is amortized
// over many rows, small enough that a block's activations stay in the first-level cache. It
// is a multiple of 4, the rows a kernel may compute at once.
const blockRows = 64

// ncoef is the number of odd series coefficients of the highest order, F₁ … F₁₁.
const ncoef = maxOrder/2 + 1

// block is a scratch's working memory for one block of rows.
type block struct {
	// The forward pass, by columns of blockRows rows: unit j's or output k's values of the
	// block's rows are contiguous.
	xT   []float64 // (D+1)×blockRows: the inputs, the last row the bias input 1
	bT   []float64 // M×blockRows: hidden pre-activations b_j
	zT   []float64 // (M+1)×blockRows: hidden activations z_j, the last row the bias 1
	ezT  []float64 // M×blockRows: 1 − z_j, computed without cancellation
	aT   []float64 // K×blockRows: output pre-activations
	yT   []float64 // K×blockRows: softmax outputs (or e^(a_k − max a), see forward)
	inv  []float64 // blockRows: 1/sum
	max  []float64 // blockRows: max_k a_k
	sum  []float64 // blockRows: Σ_k e^(a_k − max a)
	lse  []float64 // blockRows: log Σ_k e^(a_k)
	loss []float64 // blockRows: the rows' cross-entropy
	im   []int     // blockRows: the first k with a_k = max a

	// Row by row (blockRows×M, ×(M+1), ×K): b the hidden layer's product where it is
	// computed by rows; z, 1 − z and y for the products that read them so (see toRows);
	// back-propagation's hidden deltas dh.
	b, z, ez, y, dh []float64

	// The fast gradient's series of one hidden unit or output.
	vt   []float64 // blockRows: the unit's output weight v_tj of each row's class t
	yr   []float64 // K: one row's y
	coef []float64 // ncoef×blockRows: coefficient q of row r at q·blockRows + r
	nc   []int32   // blockRows: the rows' numbers of coefficients, 0 for none

	// The rows whose series goes through h⁷, gathered: their inputs as above, their
	// coefficients F₁ … F₇.
	rows7                   []int
	z7, ez7, vt7, y7, coef7 []float64
}

func newBlock(s Shape) block {
	n := blockRows
	return block{
		xT: ones((s.D+1)*n, s.D*n), bT: make([]float64, s.M*n),
		zT: ones((s.M+1)*n, s.M*n), ezT: make([]float64, s.M*n), aT: make([]float64, s.K*n),
		yT: make([]float64, s.K*n), inv: make([]float64, n),
		max: make([]float64, n), sum: make([]float64, n), lse: make([]float64, n),
		loss: make([]float64, n), im: make([]int, n),
		b: make([]float64, n*s.M), z: make([]float64, n*(s.M+1)), ez: make([]float64, n*s.M),
		y: make([]float64, n*s.K), dh: make([]float64, n*s.M),
		vt: make([]float64, n), yr: make([]float64, s.K), coef: make([]float64, ncoef*n),
		nc:    make([]int32, n),
		rows7: make([]int, n), z7: make([]float64, n), ez7: make([]float64, n), vt7: make([]float64, n),
		y7: make([]float64, s.K*n), coef7: make([]float64, 4*n),
	}
}

// ones returns a slice of n elements, those from i on 1.
func ones(n, i int) []float64 {
	x := make([]float64, n)
	for j := i; j < n; j++ {
		x[j] = 1
	}
	return x
}

// setWeights stores the hidden layer of wv transposed, for the product by rows.
func (sc *scratch) setWeights(s Shape, wv []float64) {
	d1 := s.D + 1
	for j := range s.M {
		for i, wji := range wv[j*d1 : (j+1)*d1] {
			sc.wT[i*s.M+j] = wji
		}
	}
}

// toRows copies the first cols columns of src, n rows each (by columns, stride blockRows),
// into dst row by row: dst[r·ld + j] = src[j·blockRows + r].
func toRows(dst []float64, ld int, src []float64, cols, n int) {
	for j := range cols {
		for r, v := range src[j*blockRows : j*blockRows+n] {
			dst[r*ld+j] = v
		}
	}
}

// forward runs the forward pass of the n ≤ blockRows rows from row lo at the weights wv (see
// forwardCols).
func (o *Objective) forward(sc *scratch, wv []float64, lo, n int, probs bool) {
	d1 := o.shape.D + 1
	var xT []float64
	if o.xT != nil {
		xT = o.xT[lo:]
	}
	forwardCols(o.shape, sc, wv, o.x[lo*d1:(lo+n)*d1], xT, len(o.xT)/d1, o.labels[lo:lo+n], n, probs)
}

// forwardCols is the forward pass of the n ≤ blockRows rows x (row-major, n×(D+1), the bias
// input 1 last) with the classes labels at the weights wv. xT, when not nil, holds the same
// rows transposed, input i of row r at xT[i·ldT + r] (the bias row too), which saves
// transposing them when D ≤ M. It fills sc's block by columns (xT,
// bT, zT, ezT, aT, yT) and max, im, sum, lse and loss; a row whose label is outside [0, K)
// gets a NaN loss, and with labels nil the loss is left as it was. With probs, y is the
// softmax; without, y_k is e^(a_k − max a), unnormalized, and only the loss is meant to be
// used. It may use b as scratch.
//
// Per row, it computes what the definition reads, with the same operations:
//
//	b_j = (((0 + w_j0 x_0) + w_j1 x_1) + …) + w_jD·1,  z_j = 1/(1 + e^(−b_j)),
//	a_k = Σ_j v_kj z_j the same way (j = 0 … M, z_M = 1),
//	log Σ e^a = max a + log Σ_k e^(a_k − max a)  (the maximum's own term exactly 1),
//	y_k = e^(a_k − max a) · (1/Σ),  loss = log Σ e^a − a_t,
//
// but each layer is one product over all the block's rows at once and the element-wise
// steps run along contiguous columns.
func forwardCols(s Shape, sc *scratch, wv, x, xT []float64, ldT int, labels []int32, n int, probs bool) {
	m, k, d, d1 := s.M, s.K, s.D, s.D+1
	const cs = blockRows
	bk := &sc.blk
	// b_j = Σ_i w_ji x_i (i = 0 … D), for all rows: by columns from the inputs transposed
	// when there are no more inputs than units, else by rows and b transposed; whichever is
	// transposed is the smaller.
	switch {
	case d <= m && xT != nil:
		gemm(bk.bT, cs, n, m, wv, d1, 1, xT, ldT, d1, false)
	case d <= m:
		for i := range d {
			xi := bk.xT[i*cs : i*cs+n]
			for r := range xi {
				xi[r] = x[r*d1+i]
			}
		}
		gemm(bk.bT, cs, n, m, wv, d1, 1, bk.xT, cs, d1, false)
	default:
		b := bk.b[:n*m]
		sc.setWeights(s, wv)
		gemm(b, m, m, n, x, d1, 1, sc.wT, m, d1, false)
		for j := range m {
			bj := bk.bT[j*cs : j*cs+n]
			for r := range bj {
				bj[r] = b[r*m+j]
			}
		}
	}
	// a_k = Σ_j v_kj z_j (j = 0 … M), for all rows, below.
	for j := range m {
		sigmoidInto(bk.zT[j*cs:j*cs+n], bk.ezT[j*cs:j*cs+n], bk.bT[j*cs:j*cs+n])
	}
	gemm(bk.aT, cs, n, k, wv[s.numW():], m+1, 1, bk.zT, cs, m+1, false)

	// The first largest a_k of each row, as Argmax finds it.
	mx, im := bk.max[:n], bk.im[:n]
	argmaxCols(mx, im, bk.aT, cs, k)
	for q := range k {
		expDiffInto(bk.yT[q*cs:q*cs+n], bk.aT[q*cs:q*cs+n], mx)
	}
	for r, q := range im {
		bk.yT[q*cs+r] = 1 // e⁰, exactly (and not NaN when max a is infinite)
	}
	sum := bk.sum[:n]
	sumCols(sum, bk.yT, cs, k)
	if probs {
		inv := bk.inv[:n]
		for r, t := range sum {
			inv[r] = 1 / t
		}
		for q := range k {
			yq := bk.yT[q*cs : q*cs+n]
			for r := range yq {
				yq[r] *= inv[r]
			}
		}
	}
	lse, loss := bk.lse[:n], bk.loss[:n]
	logInto(lse, sum)
	for r := range lse {
		lse[r] = mx[r] + lse[r]
		if labels == nil {
			continue
		}
		if t := labels[r]; t >= 0 && int(t) < k {
			loss[r] = lse[r] - bk.aT[int(t)*cs+r]
		} else {
			loss[r] = math.NaN()
		}
	}
}

// loadRow copies row r of the block, as forward left it, into the scratch's one-row fields,
// for the exact evaluations.
func (sc *scratch) loadRow(s Shape, r int) {
	const cs = blockRows
	bk := &sc.blk
	for j := range s.M {
		sc.b[j], sc.z[j], sc.ez[j] = bk.bT[j*cs+r], bk.zT[j*cs+r], bk.ezT[j*cs+r]
	}
	sc.z[s.M] = 1
	for k := range s.K {
		sc.a[k], sc.y[k] = bk.aT[k*cs+r], bk.yT[k*cs+r]
	}
	sc.lse = bk.lse[r]
}
