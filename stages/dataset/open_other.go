//go:build !unix

package dataset

import "os"

// openNoBlock opens path read-only. Outside Unix, opening a named pipe does not block on a
// missing writer the way it does there, so no flag is needed.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
