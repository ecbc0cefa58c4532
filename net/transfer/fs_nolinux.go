//go:build !linux

package transfer

import "os"

// preallocate sizes f; without fallocate the file is sparse until written.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }
