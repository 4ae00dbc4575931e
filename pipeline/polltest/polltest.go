// Package polltest is for tests of cancellable work: a context whose
// cancellation arrives at a known point of a computation, counted in the
// looks the computation takes at it. Only tests import it.
package polltest

import "context"

// Context is a context whose Err reports cancellation from its CancelAt-th
// call on, and counts the calls in Polls.
type Context struct {
	context.Context
	Polls, CancelAt int
}

// Err counts the call and returns context.Canceled from the CancelAt-th on.
func (c *Context) Err() error {
	c.Polls++
	if c.Polls >= c.CancelAt {
		return context.Canceled
	}
	return nil
}
