package rng

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nnpipe/nnpipe/pipeline/config"
)

// Source is a seeded stream of random numbers. Two sources of the same kind
// and seed return the same sequence. A Source is not safe for concurrent use.
type Source interface {
	// Float64 returns a uniform number in [0, 1).
	Float64() float64
	// NormFloat64 returns a standard normal number (mean 0, deviation 1).
	NormFloat64() float64
}

// Kind names a generator, as written in a stage's `rng:` parameter.
const (
	// PCG is the default kind: math/rand/v2's PCG (see NewPCG).
	PCG = "pcg"
	// NumPy is NumPy's legacy global generator (see NumPyLegacy).
	NumPy = "numpy"
)

// Kinds lists the valid generator kinds, the default first.
func Kinds() []string { return []string{PCG, NumPy} }

// MaxNumPySeed is the largest seed a NumPy source accepts: np.random.seed
// takes integers in [0, 2^32-1].
const MaxNumPySeed = 1<<32 - 1

var (
	// ErrUnknownKind is wrapped by New's error for a kind other than PCG or NumPy.
	ErrUnknownKind = errors.New("unknown rng kind")
	// ErrSeedRange is wrapped by New's error for a NumPy seed above
	// MaxNumPySeed, or a PCG seed above config.MaxSeed.
	ErrSeedRange = errors.New("seed out of range")
)

// New returns a Source of the named kind seeded with seed. The NumPy kind
// needs seed <= MaxNumPySeed (2^32-1), and the PCG kind seed <=
// config.MaxSeed (2^63-1), the largest a summary's seed column holds; a
// larger seed returns an error wrapping ErrSeedRange. An unknown kind
// returns an error wrapping ErrUnknownKind that lists the valid kinds.
func New(kind string, seed uint64) (Source, error) {
	switch kind {
	case PCG:
		if seed > config.MaxSeed {
			return nil, fmt.Errorf("pcg rng: %w: %d, must be < 2^63 (at most %d), the largest a summary's seed column holds", ErrSeedRange, seed, uint64(config.MaxSeed))
		}
		return NewPCG(seed), nil
	case NumPy:
		if seed > MaxNumPySeed {
			return nil, fmt.Errorf("numpy rng: %w: %d, must be < 2^32 (at most %d)", ErrSeedRange, seed, uint64(MaxNumPySeed))
		}
		return NewNumPyLegacy(uint32(seed)), nil
	default:
		if len(kind) > 64 { // named by its length: a message stays a line
			return nil, fmt.Errorf("%w of %d bytes: valid kinds are %s", ErrUnknownKind, len(kind), strings.Join(Kinds(), ", "))
		}
		return nil, fmt.Errorf("%w %q: valid kinds are %s", ErrUnknownKind, kind, strings.Join(Kinds(), ", "))
	}
}
