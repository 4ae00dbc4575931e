package rng

import (
	"math"
	"testing"
)

var sink float64

func BenchmarkFloat64(b *testing.B) {
	for _, kind := range Kinds() {
		b.Run(kind, func(b *testing.B) {
			src, err := New(kind, 1)
			if err != nil {
				b.Fatal(err)
			}
			var s float64
			for b.Loop() {
				s += src.Float64()
			}
			sink = s
		})
	}
}

func BenchmarkNormFloat64(b *testing.B) {
	for _, kind := range Kinds() {
		b.Run(kind, func(b *testing.B) {
			src, err := New(kind, 1)
			if err != nil {
				b.Fatal(err)
			}
			var s float64
			for b.Loop() {
				s += src.NormFloat64()
			}
			sink = s
		})
	}
}

// BenchmarkLog compares the correctly rounded logarithm of the polar method
// with math.Log.
func BenchmarkLog(b *testing.B) {
	x := 0.6405787458828258
	b.Run("logCR", func(b *testing.B) {
		var s float64
		for b.Loop() {
			s += logCR(x)
		}
		sink = s
	})
	b.Run("math.Log", func(b *testing.B) {
		var s float64
		for b.Loop() {
			s += math.Log(x)
		}
		sink = s
	})
}
