// Package report renders nnpipe's results for people: tables (a terminal box
// table, Markdown, CSV and JSON) and the PNG figures of a run or a sweep (the
// learning curve, the weights by step, the decision regions of a 2-D problem
// and the sweep plot).
//
// It takes plain Go values and writes text or files; it knows nothing of
// stages, Arrow or the pipeline. It is the only package of the project that
// imports tablewriter and gonum.org/v1/plot.
//
// Every PNG is a pure function of its arguments: the same inputs give the same
// bytes, so plots are cached like any other output. The pixel size of an image
// is exactly the requested Size.
package report
