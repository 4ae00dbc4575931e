package rng

import (
	"errors"
	"math"
	"testing"
)

func TestNewReturnsTheNamedSource(t *testing.T) {
	tests := []struct {
		name string
		kind string
		seed uint64
		want Source
	}{
		{"pcg is NewPCG", PCG, 42, NewPCG(42)},
		{"numpy is NewNumPyLegacy", NumPy, 1, NewNumPyLegacy(1)},
		{"numpy accepts the largest 32-bit seed", NumPy, math.MaxUint32, NewNumPyLegacy(math.MaxUint32)},
		{"pcg accepts seeds beyond 32 bits", PCG, 1 << 40, NewPCG(1 << 40)},
		{"pcg accepts the largest signed 64-bit seed", PCG, math.MaxInt64, NewPCG(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.kind, tt.seed)
			if err != nil {
				t.Fatalf("New(%q, %d) error: %v", tt.kind, tt.seed, err)
			}
			for i := range 5 {
				g, w := got.Float64(), tt.want.Float64()
				if g != w {
					t.Fatalf("New(%q, %d).Float64() #%d = %v, want %v", tt.kind, tt.seed, i, g, w)
				}
				g, w = got.NormFloat64(), tt.want.NormFloat64()
				if g != w {
					t.Fatalf("New(%q, %d).NormFloat64() #%d = %v, want %v", tt.kind, tt.seed, i, g, w)
				}
			}
		})
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		kind string
		seed uint64
		want error
	}{
		{"an unknown kind is an error", "mt", 1, ErrUnknownKind},
		{"an empty kind is an error", "", 1, ErrUnknownKind},
		{"kinds are case-sensitive", "NumPy", 1, ErrUnknownKind},
		{"a numpy seed of 2^32 is out of range", NumPy, 1 << 32, ErrSeedRange},
		{"the largest numpy seed is out of range", NumPy, math.MaxUint64, ErrSeedRange},
		{"a pcg seed of 2^63 is out of range", PCG, 1 << 63, ErrSeedRange},
		{"the largest uint64 pcg seed is out of range", PCG, math.MaxUint64, ErrSeedRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := New(tt.kind, tt.seed)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New(%q, %d) = %v, %v, want error %v", tt.kind, tt.seed, src, err, tt.want)
			}
			if src != nil {
				t.Errorf("New(%q, %d) returned a source with its error", tt.kind, tt.seed)
			}
			t.Logf("New(%q, %d): %v", tt.kind, tt.seed, err)
		})
	}
}
