package nn

import (
	"errors"
	"fmt"
)

// Shape is a network's size: D inputs, M hidden units and K classes.
type Shape struct{ D, M, K int }

// NumParams returns P = M(D+1) + K(M+1), the length of a parameter vector wv.
func (s Shape) NumParams() int { return s.M*(s.D+1) + s.K*(s.M+1) }

// numW returns M(D+1), the number of hidden-layer weights; wv[numW():] is v.
func (s Shape) numW() int { return s.M * (s.D + 1) }

// isBias reports whether flat parameter p is a bias: the last column of its layer.
func (s Shape) isBias(p int) bool {
	nw := s.numW()
	if p < nw {
		return p%(s.D+1) == s.D
	}
	return (p-nw)%(s.M+1) == s.M
}

// Validate reports whether the shape describes a network: D >= 1, M >= 1 and K >= 2.
func (s Shape) Validate() error {
	var errs []error
	if s.D < 1 {
		errs = append(errs, fmt.Errorf("inputs: must be >= 1, got %d", s.D))
	}
	if s.M < 1 {
		errs = append(errs, fmt.Errorf("hidden units: must be >= 1, got %d", s.M))
	}
	if s.K < 2 {
		errs = append(errs, fmt.Errorf("classes: must be >= 2, got %d", s.K))
	}
	return errors.Join(errs...)
}

// ParamName returns the book's name of the flat parameter index p: "w[j][i]" for the weight
// from input i to hidden unit j (i = D is the bias), "v[k][j]" for the weight from hidden unit
// j to output k (j = M is the bias). It panics if p is not in [0, NumParams()).
func (s Shape) ParamName(p int) string {
	if p < 0 || p >= s.NumParams() {
		panic(fmt.Sprintf("nn: parameter index %d out of range [0, %d)", p, s.NumParams()))
	}
	nw := s.numW()
	if p < nw {
		return fmt.Sprintf("w[%d][%d]", p/(s.D+1), p%(s.D+1))
	}
	p -= nw
	return fmt.Sprintf("v[%d][%d]", p/(s.M+1), p%(s.M+1))
}
