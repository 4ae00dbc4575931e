package nn

import (
	"fmt"
	"math"
)

// Network is a trained network that scores rows as they come, a batch at a time, in memory
// bounded by a block of rows (each block is copied beside its bias input): the forward pass
// of [Objective] for data that streams (a file of any length scored in bounded memory). Its outputs are bit for bit those of Objective.Probabilities and
// Objective's per-row cross-entropy for the same rows and weights.
//
// A Network is not safe for concurrent use: each goroutine takes its own (see Clone).
type Network struct {
	shape Shape
	wv    []float64
	sc    *scratch
	x     []float64 // blockRows×(D+1): a block of rows with the bias input 1 last
}

// NewNetwork returns the network of shape s with the flat parameters wv, which it keeps (the
// caller must not change them). It returns an error for an invalid shape, a parameter vector
// of the wrong length, or a parameter that is NaN or infinite.
func NewNetwork(s Shape, wv []float64) (*Network, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("network shape: %w", err)
	}
	if len(wv) != s.NumParams() {
		return nil, fmt.Errorf("network: %d parameters, want %d for shape %+v", len(wv), s.NumParams(), s)
	}
	for p, w := range wv {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("network: parameter %s is %v", s.ParamName(p), w)
		}
	}
	return newNetwork(s, wv), nil
}

// newNetwork returns a network of the weights wv with scratch space of its own.
func newNetwork(s Shape, wv []float64) *Network {
	return &Network{shape: s, wv: wv, sc: newScratch(s), x: make([]float64, blockRows*(s.D+1))}
}

// Shape returns the network's shape.
func (n *Network) Shape() Shape { return n.shape }

// Clone returns a network with the same weights and scratch space of its own, for another
// goroutine.
func (n *Network) Clone() *Network { return newNetwork(n.shape, n.wv) }

// Forward writes the softmax outputs y_k of the rows x (row-major, rows×D) into y (rows×K).
// When loss is not nil, it also writes each row's cross-entropy −log y_t into loss (one per
// row) for the class t = labels[r], computed as Objective computes it (log-sum-exp minus the
// class's pre-activation); a label outside [0, K) — a row whose class the model never saw —
// gets NaN. It panics if len(x) is not a multiple of D or a destination has the wrong length.
func (n *Network) Forward(x, y []float64, labels []int32, loss []float64) {
	s := n.shape
	if len(x)%s.D != 0 {
		panic(fmt.Sprintf("nn: %d input values are not rows of %d", len(x), s.D))
	}
	rows := len(x) / s.D
	if len(y) != rows*s.K {
		panic(fmt.Sprintf("nn: probability destination has %d elements, want %d", len(y), rows*s.K))
	}
	if loss != nil && (len(loss) != rows || len(labels) != rows) {
		panic(fmt.Sprintf("nn: %d losses and %d labels for %d rows", len(loss), len(labels), rows))
	}
	d1 := s.D + 1
	for r0 := 0; r0 < rows; r0 += blockRows {
		m := min(blockRows, rows-r0)
		for r := range m {
			copy(n.x[r*d1:r*d1+s.D], x[(r0+r)*s.D:(r0+r+1)*s.D])
			n.x[r*d1+s.D] = 1
		}
		var lab []int32
		if loss != nil {
			lab = labels[r0 : r0+m]
		}
		forwardCols(s, n.sc, n.wv, n.x[:m*d1], nil, 0, lab, m, true)
		toRows(y[r0*s.K:], s.K, n.sc.blk.yT, s.K, m)
		if loss != nil {
			copy(loss[r0:r0+m], n.sc.blk.loss[:m])
		}
	}
}
