// Package rng provides the seeded random sources that nnpipe stages draw from.
//
// Two kinds exist, named in a stage's `rng:` parameter:
//
//   - "pcg" (the default): math/rand/v2's PCG generator behind rand.Rand's
//     Float64 and NormFloat64 (see NewPCG for how the seed becomes PCG's two
//     64-bit words).
//   - "numpy": a bit-for-bit reproduction of NumPy's legacy global generator
//     (np.random.seed(int) followed by np.random.rand, randn and normal), so
//     that the book's data set and initial weights come out exactly (see
//     NumPyLegacy).
//
// Stages get their seed either explicitly from the config or from Derive,
// which hashes the master seed with the stage id. Sources are deterministic
// functions of their kind and seed and are not safe for concurrent use; the
// package has no global state.
package rng
