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

// resize makes o an objective over its first n buffered rows.
func (o *Objective) resize(n int) {
	o.n = n
	o.x, o.labels, o.xmax, o.loss = o.xBuf[:n*(o.shape.D+1)], o.labelsBuf[:n], o.xmaxBuf[:n], o.lossBuf[:n]
	o.chunkSize, o.numChunks = chunking(n)
}

// gather makes o the objective over rows of src, in that order. It panics if there are more
// rows than o's capacity.
func (o *Objective) gather(src *Objective, rows []int) {
	d1 := o.shape.D + 1
	o.resize(len(rows))
	for i, r := range rows {
		copy(o.x[i*d1:(i+1)*d1], src.x[r*d1:(r+1)*d1])
		o.setTransposed(i, src.x[r*d1:r*d1+d1-1])
		o.labels[i] = src.labels[r]
		o.xmax[i] = src.xmax[r]
	}
}
