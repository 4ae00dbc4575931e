// Package nn is the network math of nnpipe: the book's two-layer classifier, its mean
// cross-entropy, three ways of computing the gradient of that error, and full-batch gradient
// descent.
//
// The network has D inputs, M sigmoid hidden units and K softmax outputs; a bias is a dummy
// input fixed at 1 in the last column of each layer. The flat parameter vector is
//
//	wv = [w row-major M×(D+1), v row-major K×(M+1)],  P = M(D+1) + K(M+1)
//
// and, for a sample x with class t (x_D = 1, z_M = 1),
//
//	b_j = Σ_i w_ji x_i,   z_j = σ(b_j) = 1/(1+e^(−b_j)),
//	a_k = Σ_j v_kj z_j,   y_k = e^(a_k) / Σ_l e^(a_l),
//	E   = −(1/N) Σ_n log y_{n,t_n}.
//
// The logarithm of the softmax is evaluated as a_t − logsumexp(a) with the maximum subtracted,
// so pre-activations of any finite size (|a| ≈ 700 and beyond) neither overflow nor lose the
// error.
//
// The gradient is, by default, the book's central difference
//
//	g_p = (E(wv + ε e_p) − E(wv − ε e_p)) / 2ε   for every p,
//
// computed fast (Numerical) or by the plain full recompute (NumericalFull); Backprop is the
// analytic gradient of the same E. An objective may add a weight decay (SetL2), scikit-learn's
//
//	E + α/(2N) Σ w²   (the weights w_ji, v_kj; not the biases),
//
// which every gradient method then includes. Fit applies wv ← wv − α g, the book's
// full-batch gradient descent, or, by its Options, scikit-learn's MLP training: mini-batches
// in a seeded order, momentum, Nesterov or Adam updates, a decaying rate, and early stopping
// on held-out rows.
//
// NumericalFull is the readable definition: for every p it evaluates E at wv ± ε e_p over all
// rows, exactly as the formula above reads, at a cost of 2P forward passes. It is the oracle
// the tests hold the other two to (Numerical to rounding, Backprop to O(ε²)); read it first.
//
// Numerical gets the same numbers at about the cost of back-propagation (fast.go). A
// perturbation of one weight changes a single hidden unit's pre-activation or a single
// output's, so each row's change of E is a function of one scalar whose odd Taylor
// coefficients are known in closed form: the cumulants of the softmax over the output weights
// and the derivatives of the sigmoid. It sums that odd series through h⁵ … h¹¹ at the first
// order whose remainder a Cauchy bound proves below 2⁻⁵⁴ per row, and evaluates the change
// exactly in O(K) where no order qualifies. Everything in that derivation is specific to a
// sigmoid hidden layer and a softmax cross-entropy. A change of activation or of loss
// therefore requires one of two things of the fast gradient: re-derive the series
// coefficients (for the new activation's derivatives and the new loss's cumulants, in the
// hand-written orders and the general recurrences), the analyticity radii and bounds that the
// Cauchy remainder uses, and the exact fallback, then check the result against NumericalFull
// over the test grid; or route Numerical to NumericalFull for the new network, which is
// always correct and only slower.
//
// The package knows nothing about pipelines: it imports the standard library and gonum only.
// Like gonum, results are written into a destination, and a destination or parameter vector of
// the wrong length panics; anything a user can get wrong (shapes, labels, options) is an error
// at construction.
package nn
