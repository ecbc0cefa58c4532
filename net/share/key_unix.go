//go:build unix

package share

import (
	"io/fs"
	"syscall"
)

// inodeOf returns the inode number of fi, or 0 when it is unknown.
func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
