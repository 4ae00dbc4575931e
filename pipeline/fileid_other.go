//go:build !unix

package pipeline

// fileIdentity returns path: without inodes, two paths to one file are
// known the same only by resolving their links (ResolvePath).
func fileIdentity(path string) string { return path }
