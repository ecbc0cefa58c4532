//go:build !unix

package share

import "io/fs"

// inodeOf returns 0: inode numbers are not available on this platform, so
// the cache key is path, size and modification time only.
func inodeOf(fs.FileInfo) uint64 { return 0 }
