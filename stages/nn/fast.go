package nn

import "math"

// The fast numerical gradient.
//
// For every parameter p the central difference needs E(wv ± h e_p) − E(wv), a mean over rows
// of per-row changes ΔE_n(±h). (h is the step actually taken: h₊ = fl(w_p+ε) − w_p upwards,
// h₋ = w_p − fl(w_p−ε) downwards, as the full recompute takes them.) A perturbation of v_kj
// changes only output k of each row, by h·z_nj; a perturbation of w_ji changes only hidden
// unit j, its pre-activation by h·x_ni. So every ΔE_n is a function of one scalar, built from
// the row's unperturbed quantities:
//
//	v_kj:  ΔE_n = f(h z_nj),  f(u) = log(1 + y_nk (e^u − 1)) − [k = t_n] u
//	w_ji:  ΔE_n = F(h x_ni),  F(h) = L(σ(b_nj + h) − σ(b_nj)),
//	       L(s) = log Σ_k y_nk e^(v_kj s) − v_{t_n j} s
//
// f is the cumulant generating function of a Bernoulli(y_nk) variable, L that of the output
// weights v_·j of unit j under the row's softmax distribution, and σ's Taylor coefficients are
// Bernoulli cumulants too. Their power series therefore have closed-form coefficients: the
// cumulants of the softmax (the central moments of v_·j under y_n, computed once per row and
// unit) and polynomials in σ(b_nj) and y_nk. In E(wv+he_p) − E(wv−he_p) the even powers
// cancel, so the gradient is the odd part, summed through h⁵, h⁷, h⁹ or h¹¹ (the first
// proven exact, below):
//
//	g_p = (1/(N ε)) Σ_n [F₁ (h̄x) + F₃ (h̄x)³ + F₅ (h̄x)⁵ + …],  h̄ = (h₊ + h₋)/2,
//
// an O(1) Horner step per row and parameter (F₁x is back-propagation's term; the others are
// what the central difference adds), with x = 0 contributing exactly nothing. h₊ and h₋
// differ by at most an ulp of w_p; using their mean makes the result the definition's at a
// weight moved by at most half an ulp, i.e. exact to the rounding of w_p ± ε.
//
// The series is used only where its remainder is proven below seriesTol per row. By Cauchy's
// estimate, if a function is analytic and bounded by B on the complex disc |h| ≤ t₁, its odd
// terms from h^(n+2) on sum to at most B q^(n+2)/(1−q²), q = |h|/t₁:
//   - f(u): on |u| ≤ 1, |f| ≤ boundV, so t₁ = 1 and q = h·max z ≤ h.
//   - F(h): with the weights v_·j spanning a range R, L is analytic for |s| < π/R (shifted to
//     their midpoint, every y_k e^(c_k s) keeps a positive real part) and |L| ≤ boundL on
//     |s| ≤ 0.9π/R; |σ^(r)(b)/r!| ≤ π^(1−r)/4 for all real b (from σ's poles at ±iπ(2m+1)), so
//     |σ(b+h) − σ(b)| ≤ (|h|/4) / (1 − |h|/π) stays within that disc for |h| ≤ t₁ =
//     π/(1 + R/3.6). Hence the series of unit j is exact for every row whose largest input
//     magnitude (the bias input is 1) is at most tx_j = q_max t₁ / max h.
//
// Elsewhere (large output weights, large inputs or a large ε) ΔE_n(+h₊) and ΔE_n(−h₋) are
// evaluated exactly in O(K) per row and parameter: σ(b+h) − σ(b) = σ(b) σ(−b−h) expm1(h)
// without cancellation, and log Σ_k y_k e^(c_k) as log1p(Σ_k y_k expm1(c_k)) or, for large c,
// as a log-sum-exp.

const (
	// seriesTol bounds the truncation error of the series per row and parameter, in gradient
	// units: 2⁻⁵⁴, below the rounding of a gradient component of size 1.
	seriesTol = 0x1p-54
	// boundL bounds |L| on |s| ≤ 0.9π/R: |log Σ y e^(cs)| ≤ |log|·|| + |arg| ≤
	// (0.45π + ln(1/cos 0.45π)) + 0.45π, plus |(midpoint − v_t) s| ≤ 0.45π: 6.0962…, up.
	boundL = 6.1
	// boundV bounds |f| on |u| ≤ 1: |log(1−y+ye^u)| ≤ ln(1/(e⁻¹ cos 1)) + 1 (modulus and
	// argument), plus |u| ≤ 1: 3.6157…, rounded up.
	boundV = 3.62
)

// The odd series may be summed through h⁵, h⁷, h⁹ or h¹¹, whichever is the first proven exact:
// 5 and 7 have hand-written coefficients, 9 and 11 generic ones (needed when weights or inputs
// are large); beyond, the exact evaluation.
const (
	numOrders = 4
	maxOrder  = 11
)

// seriesOrder returns the degree of tier i: 5, 7, 9, 11.
func seriesOrder(i int) int { return 5 + 2*i }

// fastStep is the per-step state of the fast gradient, set by prepare.
type fastStep struct {
	hp, hm []float64 // P: the steps actually taken, fl(w+ε) − w and w − fl(w−ε)
	hsq    []float64 // P: h̄², h̄ = (hp + hm)/2
	scale  []float64 // P: h̄/ε, the factor from the series' sums to the gradient
	// tx[i][j]: unit j's series through h^seriesOrder(i) is exact for rows with xmax ≤ tx[i][j].
	tx [numOrders][]float64
	// vOrder: the output weights' series through h^vOrder is exact for every row; 0: none is.
	vOrder int
	vT     []float64 // M×K: v transposed, the output weights of each hidden unit

	// The series' reach depends on ε alone: qL[i] and qV[i] are seriesQ(boundL, ε, order i)
	// and seriesQ(boundV, ε, order i), computed for qEps (a step keeps its ε; math.Pow is
	// most of prepare's time at the book's size).
	qEps   float64
	qL, qV [numOrders]float64
}

func newFastStep(s Shape) fastStep {
	p := s.NumParams()
	f := fastStep{
		hp:    make([]float64, p),
		hm:    make([]float64, p),
		hsq:   make([]float64, p),
		scale: make([]float64, p),
		vT:    make([]float64, s.M*s.K),
	}
	for i := range f.tx {
		f.tx[i] = make([]float64, s.M)
	}
	return f
}

// seriesQ returns the largest q = |h|/t₁ for which B q^(n+2)/(1−q²) ≤ seriesTol·ε: the odd
// series through the n-th power, divided by ε, is then exact to seriesTol.
func seriesQ(bound, eps float64, n int) float64 {
	// q ≤ 1/2 makes 1/(1−q²) ≤ 4/3.
	return math.Min(0.5, math.Pow(seriesTol*eps*0.75/bound, 1/float64(n+2)))
}

// prepare computes the step's perturbations and where the series may be used.
func (f *fastStep) prepare(o *Objective, wv []float64, eps float64) {
	s := o.shape
	for p, w := range wv {
		hp, hm := (w+eps)-w, w-(w-eps)
		hb := (hp + hm) / 2
		f.hp[p], f.hm[p], f.hsq[p], f.scale[p] = hp, hm, hb*hb, hb/eps
	}
	nw := s.numW()
	v := wv[nw:]
	if eps != f.qEps || f.qL[0] == 0 {
		for i := range numOrders {
			f.qL[i] = seriesQ(boundL, eps, seriesOrder(i))
			f.qV[i] = seriesQ(boundV, eps, seriesOrder(i))
		}
		f.qEps = eps
	}
	q := &f.qL
	for j := range s.M {
		lo, hi := math.Inf(1), math.Inf(-1)
		for k := range s.K {
			vk := v[k*(s.M+1)+j]
			f.vT[j*s.K+k] = vk
			lo, hi = math.Min(lo, vk), math.Max(hi, vk)
		}
		hmax := 0.0
		for p := j * (s.D + 1); p < (j+1)*(s.D+1); p++ {
			hmax = math.Max(hmax, math.Max(f.hp[p], f.hm[p]))
		}
		t1 := math.Pi / (1 + (hi-lo)/3.6)
		// NaN weights give NaN thresholds: every row is then evaluated exactly (to NaN).
		for i := range numOrders {
			f.tx[i][j] = q[i] * t1 / hmax
			if o.forceExact {
				f.tx[i][j] = -1
			}
		}
	}
	hmax := 0.0
	for p := nw; p < len(wv); p++ {
		hmax = math.Max(hmax, math.Max(f.hp[p], f.hm[p]))
	}
	f.vOrder = 0
	for i := range numOrders {
		if hmax <= f.qV[i] && !o.forceExact {
			f.vOrder = seriesOrder(i)
			break
		}
	}
}

// fastChunk adds the fast gradient's per-row terms of the rows of chunk c (before the
// factor scale/N) into the chunk's partial sums, and stores the rows' cross-entropy. It
// works a block of rows at a time: the block's forward pass, then for each hidden unit and
// each output the rows' series coefficients, then their terms, summed row after row.
func (o *Objective) fastChunk(sc *scratch, wv []float64, c int) {
	s := o.shape
	np := s.NumParams()
	acc := o.acc[c*np : (c+1)*np]
	clear(acc)
	lo, hi := o.chunk(c)
	for r0 := lo; r0 < hi; r0 += blockRows {
		n := min(blockRows, hi-r0)
		o.forward(sc, wv, r0, n, true)
		copy(o.loss[r0:r0+n], sc.blk.loss[:n])
		o.fastHidden(sc, wv, acc, r0, n)
		o.fastOutputs(sc, acc[s.numW():], r0, n)
	}
}

// fastHidden adds the terms of the perturbations of every w_ji for the block's n rows from
// r0. Per unit, each row takes the first series order proven exact for it: h⁵ and h⁷ by the
// hand-written coefficients (h⁵ computed for all the block's rows at once, h⁷ for those that
// need it), h⁹ and h¹¹ by the recurrences; or the exact evaluation where none is or a
// coefficient overflows.
func (o *Objective) fastHidden(sc *scratch, wv, acc []float64, r0, n int) {
	s := o.shape
	d1, m, nk := s.D+1, s.M, s.K
	const cs = blockRows // the stride of the by-column arrays
	f := &o.fast
	bk := &sc.blk
	x := o.x[r0*d1 : (r0+n)*d1]
	labels, xmax := o.labels[r0:r0+n], o.xmax[r0:r0+n]
	coef, nc, vt, rows7 := bk.coef, bk.nc[:n], bk.vt[:n], bk.rows7[:n]
	for j := range m {
		vj := f.vT[j*nk : (j+1)*nk]
		// Each row's tier: nc 3 through h⁵, 4 through h⁷, 0 for the others, for now.
		t5, t7 := f.tx[0][j], f.tx[1][j]
		n5, n7, rest := 0, 0, 0
		for r, t := range labels {
			vt[r] = vj[t]
			switch xr := xmax[r]; {
			case xr <= t5:
				nc[r] = 3
				n5++
			case xr <= t7:
				nc[r] = 4
				rows7[n7] = r
				n7++
			default:
				nc[r] = 0
				rest++
			}
		}
		if n5 > 0 {
			hiddenSeries5Rows(coef, cs, bk.zT[j*cs:], bk.ezT[j*cs:], bk.vt, bk.yT, cs, vj, bk.yr, n)
		}
		if n7 > 0 {
			for i, r := range rows7[:n7] {
				bk.z7[i], bk.ez7[i], bk.vt7[i] = bk.zT[j*cs+r], bk.ezT[j*cs+r], vt[r]
			}
			for k := range nk {
				y7, yT := bk.y7[k*cs:k*cs+n7], bk.yT[k*cs:k*cs+n]
				for i, r := range rows7[:n7] {
					y7[i] = yT[r]
				}
			}
			hiddenSeries7Rows(bk.coef7, cs, bk.z7, bk.ez7, bk.vt7, bk.y7, cs, vj, bk.yr, n7)
			c7 := bk.coef7
			for i, r := range rows7[:n7] {
				f1, f3, f5, f7 := c7[i], c7[cs+i], c7[2*cs+i], c7[3*cs+i]
				coef[r], coef[cs+r], coef[2*cs+r], coef[3*cs+r] = f1, f3, f5, f7
			}
		}
		// A coefficient that is not finite (it overflowed) sends the row to the exact
		// evaluation; so do rows beyond h⁷ where h⁹ and h¹¹ are not proven exact either.
		// Usually every row is through h⁵ or h⁷ and the first three coefficients of all of
		// them sum to a finite value (one vector check): then only the h⁷ rows' fourth
		// needs a look.
		exact := false
		if n5+n7 == n && !anyNonFinite3(coef, cs, n) {
			for _, r := range rows7[:n7] {
				if !finite4(coef, cs, r) {
					nc[r], exact = 0, true
					n7--
				}
			}
		} else {
			for r, ncr := range nc {
				switch ncr {
				case 3:
					if !finite3(coef, cs, r) {
						nc[r], exact = 0, true
						n5--
					}
				case 4:
					if !finite4(coef, cs, r) {
						nc[r], exact = 0, true
						n7--
					}
				default:
					nc[r] = o.highSeries(sc, coef[r:], cs, j, r, xmax[r], vj, vt[r])
					exact = exact || nc[r] == 0
				}
			}
		}
		sc.tiers[0] += n5
		sc.tiers[1] += n7

		// The rows' terms in row order; a row evaluated exactly adds its own in its turn.
		accRow := acc[j*d1 : (j+1)*d1]
		hs := f.hsq[j*d1 : (j+1)*d1]
		start := 0
		for r := 0; exact && r < n; r++ {
			if nc[r] != 0 {
				continue
			}
			if r > start {
				seriesAcc(accRow, hs, x[start*d1:], d1, coef[start:], cs, nc[start:r], true)
			}
			sc.loadRow(s, r)
			o.exactHidden(sc, wv, accRow, r0+r, j)
			start = r + 1
		}
		if n > start {
			seriesAcc(accRow, hs, x[start*d1:], d1, coef[start:], cs, nc[start:], true)
		}
	}
}

// highSeries writes the coefficients F₁ … F₉ or F₁ … F₁₁ of block row r for unit j into
// coef[q·cs], for a row whose largest input xr is beyond the reach of the series through
// h⁷, and returns their number; or 0 if neither order is proven exact, or a coefficient is
// not finite (large weights or inputs, or output weights beyond ~1e44).
func (o *Objective) highSeries(sc *scratch, coef []float64, cs, j, r int, xr float64, vj []float64, vt float64) int32 {
	f := &o.fast
	tier := 2
	switch {
	case xr <= f.tx[2][j]:
	case xr <= f.tx[3][j]:
		tier = 3
	default:
		return 0
	}
	s := o.shape
	bk := &sc.blk
	order := seriesOrder(tier)
	var fc [ncoef]float64
	const bs = blockRows // the stride of the block's columns
	for k := range s.K {
		bk.yr[k] = bk.yT[k*bs+r]
	}
	hiddenSeriesN(order, bk.zT[j*bs+r], bk.ezT[j*bs+r], bk.yr, vj, vt, &fc)
	if !finiteSum(fc[:order/2+1]) {
		return 0
	}
	for q, c := range fc[:order/2+1] {
		coef[q*cs] = c
	}
	sc.tiers[tier]++
	return int32(order/2 + 1)
}

// fastOutputs adds the terms of the perturbations of every v_kj for the block's n rows from
// r0: the series through h^vOrder for all of them, or the exact evaluation when no order is
// proven exact.
func (o *Objective) fastOutputs(sc *scratch, accV []float64, r0, n int) {
	s := o.shape
	m1, nk := s.M+1, s.K
	const cs = blockRows
	f := &o.fast
	bk := &sc.blk
	labels := o.labels[r0 : r0+n]
	if f.vOrder == 0 {
		for r, t := range labels {
			sc.loadRow(s, r)
			o.exactOutputs(sc, accV, r0+r, int(t))
		}
		return
	}
	// The perturbed output's input z_j, row by row as seriesAcc reads it.
	z := bk.z[:n*m1]
	toRows(z, m1, bk.zT, m1, n)
	nw := s.numW()
	ncv := 4 // c₁, c₃, c₅, c₇ (c₇ = 0 through h⁵)
	if f.vOrder > 7 {
		ncv = f.vOrder/2 + 1
	}
	coef, nc := bk.coef, bk.nc[:n]
	for r := range nc {
		nc[r] = int32(ncv)
	}
	for k := range nk {
		yT := bk.yT[k*cs : k*cs+n]
		if f.vOrder <= 7 {
			outputSeries7Rows(coef, cs, yT, labels, k, f.vOrder == 7)
		} else {
			for r, t := range labels {
				var fc [ncoef]float64
				outputSeriesN(f.vOrder, yT[r], int(t) == k, &fc)
				nc[r] = int32(ncv) // again: the output before may have left it 0
				if !finiteSum(fc[:ncv]) {
					nc[r] = 0 // y is NaN: the row adds nothing
				}
				for q, c := range fc[:ncv] {
					coef[q*cs+r] = c
				}
			}
		}
		seriesAcc(accV[k*m1:(k+1)*m1], f.hsq[nw+k*m1:nw+(k+1)*m1], z, m1, coef, cs, nc, true)
	}
}

// finiteSum reports whether the sum of c is finite (none of its terms is infinite or NaN,
// and they do not overflow together).
func finiteSum(c []float64) bool {
	sum := 0.0
	for _, ci := range c {
		sum += ci
	}
	return sum-sum == 0
}

// finite3 reports whether the first three coefficients of block row r, c_r + c_{cs+r} +
// c_{2cs+r} added in that order, sum to a finite value (anyNonFinite3's vector kernel adds
// them in the same order).
func finite3(coef []float64, cs, r int) bool {
	v := coef[r] + coef[cs+r] + coef[2*cs+r]
	return v-v == 0
}

// finite4 is finite3 with the fourth coefficient, c_{3cs+r}, added last.
func finite4(coef []float64, cs, r int) bool {
	v := coef[r] + coef[cs+r] + coef[2*cs+r] + coef[3*cs+r]
	return v-v == 0
}

// hiddenSeriesN writes the odd Taylor coefficients F₁, F₃, …, F_n (n odd, ≤ maxOrder) of
// F(h) = L(σ(b+h) − σ(b)) into fc: hiddenSeries7's, by recurrences for any order.
func hiddenSeriesN(n int, z, ez float64, y, vj []float64, vt float64, fc *[maxOrder/2 + 1]float64) {
	// σ(b+h) = Σ s_r h^r solves S' = S(1−S): (r+1) s_{r+1} = (1−2σ) s_r − Σ_{i=1}^{r−1} s_i s_{r−i}.
	var sr [maxOrder + 1]float64
	sr[1] = z * ez
	g := ez - z
	for r := 1; r < n; r++ {
		acc := float64(g * sr[r])
		for i := 1; i < r; i++ {
			acc -= float64(sr[i] * sr[r-i])
		}
		sr[r+1] = acc / float64(r+1)
	}
	// Central moments of V = vj under y, divided by r!: the coefficients of E[e^((V−μ)s)].
	vj = vj[:len(y)]
	mu := 0.0
	for k, yk := range y {
		mu += float64(yk * vj[k])
	}
	var mt [maxOrder + 1]float64
	for k, yk := range y {
		c := vj[k] - mu
		p := yk * c
		for r := 2; r <= n; r++ {
			p = float64(p * c)
			mt[r] += p
		}
	}
	fact := 1.0
	for r := 2; r <= n; r++ {
		fact *= float64(r)
		mt[r] /= fact
	}
	// l_r = κ_r/r!, the coefficients of log E[e^((V−μ)s)]: r l_r = r m̃_r − Σ k l_k m̃_(r−k);
	// then L's own linear term E[V] − v_t.
	var l [maxOrder + 1]float64
	for r := 2; r <= n; r++ {
		acc := float64(float64(r) * mt[r])
		for k := 2; k <= r-2; k++ {
			acc -= float64(float64(k) * l[k] * mt[r-k])
		}
		l[r] = acc / float64(r)
	}
	l[1] = mu - vt
	// F = Σ_m l_m (Σ_r s_r h^r)^m, truncated at h^n.
	var pw, next, fs [maxOrder + 1]float64
	pw = sr
	for r := 1; r <= n; r++ {
		fs[r] = float64(l[1] * sr[r])
	}
	for m := 2; m <= n; m++ {
		for r := m; r <= n; r++ {
			acc := 0.0
			for i := m - 1; i <= r-1; i++ {
				acc += float64(pw[i] * sr[r-i])
			}
			next[r] = acc
		}
		for r := m; r <= n; r++ {
			pw[r] = next[r]
			fs[r] += float64(l[m] * next[r])
		}
		pw[m-1] = 0
	}
	for i := range n/2 + 1 {
		fc[i] = fs[2*i+1]
	}
}

// outputSeriesN writes the odd Taylor coefficients of f(u) = log(1 + y(e^u − 1)) − [target] u
// through u^n into fc: the log of the series 1 + Σ (y/r!) u^r, by the same recurrence.
func outputSeriesN(n int, y float64, target bool, fc *[maxOrder/2 + 1]float64) {
	var p, l [maxOrder + 1]float64
	fact := 1.0
	for r := 1; r <= n; r++ {
		fact *= float64(r)
		p[r] = y / fact
	}
	for r := 1; r <= n; r++ {
		acc := float64(float64(r) * p[r])
		for k := 1; k < r; k++ {
			acc -= float64(float64(k) * l[k] * p[r-k])
		}
		l[r] = acc / float64(r)
	}
	l[1] = y // exactly
	if target {
		l[1]--
	}
	for i := range n/2 + 1 {
		fc[i] = l[2*i+1]
	}
}

// hiddenSeries7 returns the odd Taylor coefficients F₁, F₃, F₅, F₇ of one row's error change
// F(h) = L(σ(b+h) − σ(b)) for a hidden unit with activation z = σ(b), ez = 1 − z, output
// weights vj (one per class), the row's softmax outputs y and the output weight vt = vj[t] of
// its class t.
//
// Every product that is added is rounded first (float64(…)), as the assembly kernels compute
// it: a build that fuses multiply-adds (arm64, GOAMD64=v3) gets the same bits.
func hiddenSeries7(z, ez float64, y, vj []float64, vt float64) (f1, f3, f5, f7 float64) {
	// σ(b+h) − σ(b) = Σ d_r h^r, d_r = σ^(r)(b)/r!, the Bernoulli(z) cumulants κ_{r+1}/r!.
	sg := z * ez
	g := ez - z
	s2 := sg * sg
	d1 := sg
	d2 := sg * g / 2
	d3 := sg * (1 - float64(6*sg)) / 6
	d4 := sg * g * (1 - float64(12*sg)) / 24
	d5 := sg * (1 - float64(30*sg) + float64(120*s2)) / 120
	d6 := sg * g * (1 - float64(60*sg) + float64(360*s2)) / 720
	d7 := sg * (1 - float64(126*sg) + float64(1680*s2) - float64(5040*s2*sg)) / 5040

	// Cumulants of V = vj[k] under the softmax distribution y: from the central moments.
	vj = vj[:len(y)]
	mu := 0.0
	for k, yk := range y {
		mu += float64(yk * vj[k])
	}
	var m2, m3, m4, m5, m6, m7 float64
	for k, yk := range y {
		c := vj[k] - mu
		c2 := c * c
		c3 := c2 * c
		c4 := c2 * c2
		m2 += float64(yk * c2)
		m3 += float64(yk * c3)
		m4 += float64(yk * c4)
		m5 += float64(yk * c4 * c)
		m6 += float64(yk * c4 * c2)
		m7 += float64(yk * c4 * c3)
	}
	// L(s) = Σ l_r s^r: l_1 = E[V] − v_t, l_r = κ_r/r!.
	l1 := mu - vt
	l2 := float64(m2 / 2) // not fused with l2·2 = l2 + l2 below
	l3 := m3 / 6
	l4 := (m4 - float64(3*m2*m2)) / 24
	l5 := (m5 - float64(10*m3*m2)) / 120
	l6 := (m6 - float64(15*m4*m2) - float64(10*m3*m3) + float64(30*m2*m2*m2)) / 720
	l7 := (m7 - float64(21*m5*m2) - float64(35*m4*m3) + float64(210*m3*m2*m2)) / 5040

	// Compose: the odd coefficients of L(Σ d_r h^r).
	d1s := d1 * d1
	d1c := d1s * d1
	f1 = l1 * d1
	f3 = float64(l1*d3) + float64(l2*2*d1*d2) + float64(l3*d1c)
	f5 = float64(l1*d5) + float64(l2*2*(float64(d1*d4)+float64(d2*d3))) + float64(l3*3*(float64(d1s*d3)+float64(d1*d2*d2))) +
		float64(l4*4*d1c*d2) + float64(l5*d1c*d1s)
	f7 = float64(l1*d7) +
		float64(l2*2*(float64(d1*d6)+float64(d2*d5)+float64(d3*d4))) +
		float64(l3*(float64(3*d1s*d5)+float64(6*d1*d2*d4)+float64(3*d1*d3*d3)+float64(3*d2*d2*d3))) +
		float64(l4*(float64(4*d1c*d4)+float64(12*d1s*d2*d3)+float64(4*d1*d2*d2*d2))) +
		float64(l5*(float64(5*d1c*d1*d3)+float64(10*d1c*d2*d2))) +
		float64(l6*6*d1c*d1s*d2) +
		float64(l7*d1c*d1c*d1)
	return f1, f3, f5, f7
}

// hiddenSeries5 is hiddenSeries7 through F₅, for rows where that is exact.
func hiddenSeries5(z, ez float64, y, vj []float64, vt float64) (f1, f3, f5 float64) {
	sg := z * ez
	g := ez - z
	d1 := sg
	d2 := sg * g / 2
	d3 := sg * (1 - float64(6*sg)) / 6
	d4 := sg * g * (1 - float64(12*sg)) / 24
	d5 := sg * (1 - float64(30*sg) + float64(120*sg*sg)) / 120

	vj = vj[:len(y)]
	mu := 0.0
	for k, yk := range y {
		mu += float64(yk * vj[k])
	}
	var m2, m3, m4, m5 float64
	for k, yk := range y {
		c := vj[k] - mu
		c2 := c * c
		c3 := c2 * c
		m2 += float64(yk * c2)
		m3 += float64(yk * c3)
		m4 += float64(yk * c2 * c2)
		m5 += float64(yk * c2 * c3)
	}
	l1 := mu - vt
	l2 := float64(m2 / 2) // not fused with l2·2 = l2 + l2 below
	l3 := m3 / 6
	l4 := (m4 - float64(3*m2*m2)) / 24
	l5 := (m5 - float64(10*m3*m2)) / 120

	d1s := d1 * d1
	d1c := d1s * d1
	f1 = l1 * d1
	f3 = float64(l1*d3) + float64(l2*2*d1*d2) + float64(l3*d1c)
	f5 = float64(l1*d5) + float64(l2*2*(float64(d1*d4)+float64(d2*d3))) + float64(l3*3*(float64(d1s*d3)+float64(d1*d2*d2))) +
		float64(l4*4*d1c*d2) + float64(l5*d1c*d1s)
	return f1, f3, f5
}

// exactHidden adds unit j's exact per-row terms (ΔE(+h₊x) − ΔE(−h₋x)) / 2h̄ for every input of
// row r into accRow.
func (o *Objective) exactHidden(sc *scratch, wv, accRow []float64, r, j int) {
	s := o.shape
	d := s.D
	f := &o.fast
	v := wv[s.numW():]
	stride := s.M + 1
	vt := v[int(o.labels[r])*stride+j]
	x := o.x[r*(d+1) : r*(d+1)+d]
	sc.exact++
	for i := range d + 1 {
		xi := 1.0
		if i < d {
			xi = x[i]
		}
		p := j*(d+1) + i
		hb := float64((f.hp[p] + f.hm[p]) / 2)
		if xi == 0 || hb == 0 {
			continue // the perturbed input is 0 (or no step): the row is unchanged
		}
		plus := o.exactHiddenDelta(sc, v, vt, stride, j, float64(f.hp[p]*xi))
		minus := o.exactHiddenDelta(sc, v, vt, stride, j, float64(-f.hm[p]*xi))
		accRow[i] += (plus - minus) / (2 * hb)
	}
}

// expMax is the largest x whose e^x is finite, to the margin of a unit in
// the last place: above it exp gives +Inf.
const expMax = 709.78

// exactHiddenDelta returns the row's ΔE when unit j's pre-activation changes by h.
func (o *Objective) exactHiddenDelta(sc *scratch, v []float64, vt float64, stride, j int, h float64) float64 {
	bj, zj := sc.b[j], sc.z[j]
	var dz float64 // σ(b+h) − σ(b)
	switch {
	case bj+h > expMax:
		// e^(b+h) overflows (a large epsilon): σ(b+h) is 1 to the last
		// bit, and the difference is 1 − σ(b) = σ(−b).
		dz = 1 / (1 + exp(bj))
	case h > expMax:
		// e^h overflows and e^(b+h) does not (b < 0): no cancellation is
		// left to avoid.
		dz = 1/(1+exp(-(bj+h))) - zj
	default:
		dz = zj / (1 + exp(bj+h)) * math.Expm1(h) // σ(b) σ(−b−h) (e^h − 1)
	}
	if dz == 0 {
		return 0
	}
	for k := range sc.c {
		sc.c[k] = (v[k*stride+j] - vt) * dz
	}
	return logMeanExp(sc)
}

// exactOutputs adds the exact per-row terms of every output weight of row r, whose class is t,
// into accV.
func (o *Objective) exactOutputs(sc *scratch, accV []float64, r, t int) {
	s := o.shape
	f := &o.fast
	nw := s.numW()
	sc.exact++
	for k := range s.K {
		for j, zj := range sc.z {
			p := k*(s.M+1) + j
			hb := float64((f.hp[nw+p] + f.hm[nw+p]) / 2)
			if zj == 0 || hb == 0 {
				continue
			}
			plus := outputDelta(sc, k, t, float64(f.hp[nw+p]*zj))
			minus := outputDelta(sc, k, t, float64(-f.hm[nw+p]*zj))
			accV[p] += (plus - minus) / (2 * hb)
		}
	}
}

// outputDelta returns the row's ΔE when output k's pre-activation changes by u.
func outputDelta(sc *scratch, k, t int, u float64) float64 {
	if math.Abs(u) <= 0.5 {
		d := math.Log1p(sc.y[k] * math.Expm1(u))
		if k == t {
			d -= u
		}
		return d
	}
	for l := range sc.c {
		sc.c[l] = 0
		if l == k {
			sc.c[l] = u
		}
		if k == t {
			sc.c[l] -= u
		}
	}
	return logMeanExp(sc)
}

// logMeanExp returns log Σ_k y_k e^(c_k) for the current row (sc.y, sc.a, sc.lse) and
// exponents sc.c, without cancellation for small c and without overflow for large c.
func logMeanExp(sc *scratch) float64 {
	cmax := 0.0
	for _, ck := range sc.c {
		cmax = math.Max(cmax, math.Abs(ck))
	}
	if cmax <= 0.5 {
		sum := 0.0
		for k, ck := range sc.c {
			sum += float64(sc.y[k] * math.Expm1(ck))
		}
		return math.Log1p(sum)
	}
	// log y_k = a_k − lse, so the terms are e^(a_k − lse + c_k).
	m := math.Inf(-1)
	for k, ck := range sc.c {
		m = math.Max(m, sc.a[k]-sc.lse+ck)
	}
	sum := 0.0
	for k, ck := range sc.c {
		sum += exp(sc.a[k] - sc.lse + ck - m)
	}
	return m + math.Log(sum)
}
