package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// Derive returns the seed of a stage from the master seed, the stage id and
// an optional sub-name (such as "init" for a second stream of the same
// stage; "" for none). It is the first 8 bytes, big-endian, of SHA-256 over
// the printable preimage
//
//	"nnpipe seed v1\x00" + decimal(master) + "\x00" + id + "\x00" + sub
//
// The result is a stable function of its arguments across versions,
// platforms and runs (the "v1" names the format; a change of format bumps
// it). Stage ids cannot contain NUL, so distinct (id, sub) pairs give
// distinct preimages.
//
// A NumPy source takes the derived seed modulo 2^32 (uint32(Derive(...)))
// because np.random.seed accepts only 32 bits; New rejects larger seeds, so
// the reduction is the caller's, and is done only for derived seeds: an
// explicit config seed of 2^32 or more stays an error.
func Derive(master uint64, id, sub string) uint64 {
	b := make([]byte, 0, 64+len(id)+len(sub))
	b = append(b, "nnpipe seed v1\x00"...)
	b = strconv.AppendUint(b, master, 10)
	b = append(b, 0)
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, sub...)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// DeriveFor is Derive reduced to the seed range of the named kind: modulo
// 2^32 for numpy, and to 63 bits otherwise, so that every seed is also a
// valid signed 64-bit integer in summary tables.
func DeriveFor(kind string, master uint64, id, sub string) uint64 {
	s := Derive(master, id, sub)
	if kind == NumPy {
		return s % (MaxNumPySeed + 1)
	}
	return s & config.MaxSeed
}

// DefaultSeed sets *seed, when it is nil, to DeriveFor(kind, master, id, sub):
// how every stage fills the seeds its config left unset.
func DefaultSeed(seed **uint64, kind string, master uint64, id, sub string) {
	if *seed == nil {
		s := DeriveFor(kind, master, id, sub)
		*seed = &s
	}
}
