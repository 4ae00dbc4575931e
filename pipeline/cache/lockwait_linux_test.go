package cache

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// waitingForLock reports whether some process waits to take the flock of
// the file at path: /proc/locks lists each blocked request with "->"
// before it, naming the file by device and inode.
func waitingForLock(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false
	}
	inode := fmt.Sprintf(":%d ", st.Ino)
	for _, line := range strings.Split(string(locks), "\n") {
		if strings.Contains(line, "-> FLOCK") && strings.Contains(line, inode) {
			return true
		}
	}
	return false
}
