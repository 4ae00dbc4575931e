//go:build !linux

package cache

// Exchange would swap the paths a and b in one step; without renameat2 it
// returns false and changes nothing.
func Exchange(a, b string) (bool, error) { return false, nil }
