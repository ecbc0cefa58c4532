//go:build !linux || nounixfs

package transfer

import (
	"io"
	"os"
)

// preallocate sizes f; without fallocate the file is sparse until written.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }

// directAlign: chunk buffers need no particular alignment here.
const directAlign = 1

// newChunkWriter returns the writer for a part file opened as f.
func newChunkWriter(fold *folder, name string, f *os.File, wrap func(io.WriterAt) io.WriterAt) (io.WriterAt, io.Closer) {
	return wrap(f), nopCloser{}
}
