package nn

// newBatch returns an objective of o's shape and weight decay over at most capacity rows,
// which gather fills with rows of o. Until then it holds capacity rows of zeros (so that a
// runner sizes its pool for a full batch).
func newBatch(o *Objective, capacity int) *Objective {
	s := o.shape
	// chunking(n) makes at most min(⌈n/minChunkRows⌉, maxChunks) chunks, which grows with n.
	chunks := min((capacity+minChunkRows-1)/minChunkRows, maxChunks)
	b := &Objective{
		shape:     s,
		l2:        o.l2,
		xBuf:      make([]float64, capacity*(s.D+1)),
		labelsBuf: make([]int32, capacity),
		xmaxBuf:   make([]float64, capacity),
		lossBuf:   make([]float64, capacity),
		acc:       make([]float64, chunks*s.NumParams()),
		fast:      newFastStep(s),
		sc:        newScratch(s),
	}
	b.newTransposed(capacity)
	b.resize(capacity)
	return b
}

// resize makes b an objective over its first n buffered rows.
func (b *Objective) resize(n int) {
	b.n = n
	b.x, b.labels, b.xmax, b.loss = b.xBuf[:n*(b.shape.D+1)], b.labelsBuf[:n], b.xmaxBuf[:n], b.lossBuf[:n]
	b.chunkSize, b.numChunks = chunking(n)
}

// gather makes b the objective over rows of src, in that order. It panics if there are more
// rows than b's capacity.
func (b *Objective) gather(src *Objective, rows []int) {
	d1 := b.shape.D + 1
	b.resize(len(rows))
	for i, r := range rows {
		copy(b.x[i*d1:(i+1)*d1], src.x[r*d1:(r+1)*d1])
		b.setTransposed(i, src.x[r*d1:r*d1+d1-1])
		b.labels[i] = src.labels[r]
		b.xmax[i] = src.xmax[r]
	}
}
