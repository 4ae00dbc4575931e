package report

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
)

// sample returns f(x, y) on an n × n grid over [lo, hi]².
func sample(n int, lo, hi float64, f func(x, y float64) float64) field {
	g := field{xs: make([]float64, n), ys: make([]float64, n), z: make([]float64, n*n)}
	for i := range n {
		g.xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		g.ys[i] = g.xs[i]
	}
	for r, y := range g.ys {
		for c, x := range g.xs {
			g.z[r*n+c] = f(x, y)
		}
	}
	return g
}

func TestIsolines(t *testing.T) {
	t.Run("a circle is one closed loop at its radius", func(t *testing.T) {
		f := sample(41, -2, 2, func(x, y float64) float64 { return math.Hypot(x, y) })
		lines := isolines(f, 1)
		if len(lines) != 1 {
			t.Fatalf("isolines(|p|, 1) = %d lines, want 1", len(lines))
		}
		l := lines[0]
		if l[0] != l[len(l)-1] {
			t.Errorf("isolines(|p|, 1) is open: starts at %v, ends at %v", l[0], l[len(l)-1])
		}
		// Linear interpolation of |p| along a grid edge of length h = 0.1
		// errs by at most h²/(8r) ≈ 0.0013 near r = 1; 0.002 leaves room.
		const tol = 0.002
		for _, p := range l {
			if r := math.Hypot(p.x, p.y); math.Abs(r-1) > tol {
				t.Errorf("isolines(|p|, 1) has point %v at radius %v, want 1 ± %v", p, r, tol)
			}
		}
	})
	t.Run("a plane is one open line across the grid", func(t *testing.T) {
		f := sample(11, 0, 1, func(x, y float64) float64 { return x })
		lines := isolines(f, 0.35)
		if len(lines) != 1 {
			t.Fatalf("isolines(x, 0.35) = %d lines, want 1", len(lines))
		}
		l := lines[0]
		if len(l) != 11 {
			t.Errorf("isolines(x, 0.35) has %d points, want one per grid row, 11", len(l))
		}
		for _, p := range l {
			// x is linear, so interpolation is exact up to rounding.
			if math.Abs(p.x-0.35) > 1e-12 {
				t.Errorf("isolines(x, 0.35) has point %v, want x = 0.35", p)
			}
		}
		if l[0].y != 0 || l[len(l)-1].y != 1 {
			t.Errorf("isolines(x, 0.35) runs from %v to %v, want from y = 0 to y = 1", l[0], l[len(l)-1])
		}
	})
	t.Run("two bumps give two loops", func(t *testing.T) {
		f := sample(41, -3, 3, func(x, y float64) float64 {
			return math.Exp(-((x-1.5)*(x-1.5) + y*y)) + math.Exp(-((x+1.5)*(x+1.5) + y*y))
		})
		if got := len(isolines(f, 0.5)); got != 2 {
			t.Errorf("isolines(two bumps, 0.5) = %d lines, want 2", got)
		}
	})
	t.Run("a saddle is split by its centre value", func(t *testing.T) {
		// One cell whose corners bl and tr are above 0.5 and br and tl below.
		// side names the cell edge a point lies on.
		side := func(p xy) string {
			switch {
			case p.y == 0:
				return "B"
			case p.x == 1:
				return "R"
			case p.y == 1:
				return "T"
			}
			return "L"
		}
		for _, tt := range []struct {
			name  string
			z     []float64 // bl, br, tl, tr
			pairs []string
		}{
			// centre above: the below corners br and tl are cut off
			{"centre above", []float64{1, 0, 0.2, 0.9}, []string{"BR", "LT"}},
			// centre below: the above corners bl and tr are cut off
			{"centre below", []float64{0.6, 0, 0.2, 0.7}, []string{"BL", "RT"}},
		} {
			f := field{xs: []float64{0, 1}, ys: []float64{0, 1}, z: tt.z}
			lines := isolines(f, 0.5)
			var got []string
			for _, l := range lines {
				ends := []string{side(l[0]), side(l[len(l)-1])}
				slices.Sort(ends) // the direction of a line does not matter
				got = append(got, ends[0]+ends[1])
			}
			if !reflect.DeepEqual(got, tt.pairs) {
				t.Errorf("%s: isolines(saddle %v) joins edges %v, want %v", tt.name, tt.z, got, tt.pairs)
			}
		}
	})
	t.Run("cells with NaN are skipped", func(t *testing.T) {
		f := sample(5, 0, 1, func(x, y float64) float64 { return x })
		for i := range f.z {
			f.z[i] = math.NaN()
		}
		if got := isolines(f, 0.5); len(got) != 0 {
			t.Errorf("isolines(NaN field) = %v, want none", got)
		}
	})
	t.Run("a level outside the field's range gives nothing", func(t *testing.T) {
		f := sample(5, 0, 1, func(x, y float64) float64 { return x })
		if got := isolines(f, 2); len(got) != 0 {
			t.Errorf("isolines(x, 2) = %v, want none", got)
		}
	})
}

func TestIsolinesDeterministic(t *testing.T) {
	f := sample(60, -3, 3, func(x, y float64) float64 {
		return math.Sin(2*x) * math.Cos(3*y)
	})
	for _, level := range []float64{-0.5, 0, 0.5, 0.9} {
		t.Run(fmt.Sprint(level), func(t *testing.T) {
			first := isolines(f, level)
			if len(first) < 2 {
				t.Fatalf("isolines(level %v) = %d lines, want several to order", level, len(first))
			}
			for range 20 {
				if again := isolines(f, level); !reflect.DeepEqual(again, first) {
					t.Fatalf("isolines(level %v) differs between calls", level)
				}
			}
		})
	}
}
