package report

import (
	"math"
	"slices"
)

// field is a scalar field sampled on a regular grid: z[r*cols+c] is the value
// at (xs[c], ys[r]).
type field struct {
	xs, ys []float64
	z      []float64
}

func (f field) at(c, r int) float64 { return f.z[r*len(f.xs)+c] }

// xy is a point in data coordinates.
type xy struct{ x, y float64 }

// isolines returns the polylines along which f crosses level, by marching
// squares: a crossing point on each grid edge whose ends lie on different
// sides (linear interpolation between them), joined cell by cell; a saddle
// cell is resolved by the mean of its corners. Cells with a NaN corner are
// skipped.
//
// The result depends only on f and level: open lines come first, ordered by
// the grid edge where they start, then closed loops (first point repeated at
// the end), ordered by their first segment. This is why the package does not
// use gonum's plotter.Contour, whose paths come out of map iteration in a
// different order on every run.
func isolines(f field, level float64) [][]xy {
	cols, rows := len(f.xs), len(f.ys)
	if cols < 2 || rows < 2 {
		return nil
	}
	cross := func(e int) xy {
		i := e / 2
		c, r := i%cols, i/cols
		c1, r1 := c+1, r
		if e%2 == 1 {
			c1, r1 = c, r+1
		}
		z0, z1 := f.at(c, r), f.at(c1, r1)
		t := (level - z0) / (z1 - z0)
		return xy{f.xs[c] + float64(t*(f.xs[c1]-f.xs[c])), f.ys[r] + float64(t*(f.ys[r1]-f.ys[r]))}
	}
	return joinSegments(cellSegments(f, level), cross)
}

// segment is a piece of an isoline inside one cell, from a crossing on grid edge a to one on
// edge b. Edge ids: the horizontal edge from grid point (c, r) to (c+1, r) is
// 2*(r*cols+c), the vertical edge from (c, r) to (c, r+1) is that plus 1.
type segment struct{ a, b int }

// cellSegments returns the segments of every cell of f whose corners are not all on one side
// of level, cell by cell, row by row: the marching-squares table.
func cellSegments(f field, level float64) []segment {
	cols, rows := len(f.xs), len(f.ys)
	hEdge := func(c, r int) int { return 2 * (r*cols + c) }
	vEdge := func(c, r int) int { return 2*(r*cols+c) + 1 }
	var segs []segment
	for r := 0; r+1 < rows; r++ {
		for c := 0; c+1 < cols; c++ {
			bl, br, tr, tl := f.at(c, r), f.at(c+1, r), f.at(c+1, r+1), f.at(c, r+1)
			if math.IsNaN(bl) || math.IsNaN(br) || math.IsNaN(tr) || math.IsNaN(tl) {
				continue
			}
			idx := 0
			for bit, v := range []float64{bl, br, tr, tl} {
				if v >= level {
					idx |= 1 << bit
				}
			}
			B, R, T, L := hEdge(c, r), vEdge(c+1, r), hEdge(c, r+1), vEdge(c, r)
			centreAbove := (bl+br+tr+tl)/4 >= level
			switch idx {
			case 1, 14:
				segs = append(segs, segment{L, B})
			case 2, 13:
				segs = append(segs, segment{B, R})
			case 3, 12:
				segs = append(segs, segment{L, R})
			case 4, 11:
				segs = append(segs, segment{R, T})
			case 6, 9:
				segs = append(segs, segment{B, T})
			case 7, 8:
				segs = append(segs, segment{L, T})
			case 5: // bl and tr above
				if centreAbove {
					segs = append(segs, segment{B, R}, segment{T, L})
				} else {
					segs = append(segs, segment{L, B}, segment{R, T})
				}
			case 10: // br and tl above
				if centreAbove {
					segs = append(segs, segment{L, B}, segment{R, T})
				} else {
					segs = append(segs, segment{B, R}, segment{T, L})
				}
			}
		}
	}
	return segs
}

// joinSegments joins segments that share an edge into polylines, cross giving the point where
// the isoline crosses an edge: open lines first, from the ends in order of edge id, then the
// closed loops in order of their first segment.
func joinSegments(segs []segment, cross func(edge int) xy) [][]xy {
	// Every crossed edge belongs to one segment (on the border) or two.
	byEdge := make(map[int][]int, 2*len(segs))
	for i, s := range segs {
		byEdge[s.a] = append(byEdge[s.a], i)
		byEdge[s.b] = append(byEdge[s.b], i)
	}
	used := make([]bool, len(segs))
	walk := func(start int, edge int) []xy {
		line := []xy{cross(edge)}
		for i := start; i >= 0 && !used[i]; {
			used[i] = true
			s := segs[i]
			next := s.b
			if s.b == edge {
				next = s.a
			}
			line = append(line, cross(next))
			edge = next
			i = -1
			for _, j := range byEdge[edge] {
				if !used[j] {
					i = j
				}
			}
		}
		return line
	}
	var lines [][]xy
	ends := make([]int, 0)
	for e, ss := range byEdge {
		if len(ss) == 1 {
			ends = append(ends, e)
		}
	}
	slices.Sort(ends)
	for _, e := range ends {
		if i := byEdge[e][0]; !used[i] {
			lines = append(lines, walk(i, e))
		}
	}
	for i, s := range segs {
		if !used[i] {
			lines = append(lines, walk(i, s.a))
		}
	}
	return lines
}
