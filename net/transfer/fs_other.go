//go:build !unix || nounixfs

package transfer

import "os"

// lockFile is a no-op where flock is not available: a part file is then
// only protected by its unique name.
func lockFile(f *os.File) error { return nil }

// dataFrom: no SEEK_DATA here; every chunk is read.
func dataFrom(f *os.File, off int64) int64 { return off }
