//go:build linux && !nounixfs

package transfer

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// preallocate reserves size bytes for f, so a full disk shows up before
// the first chunk is fetched rather than halfway through.
func preallocate(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Fallocate(int(fd), 0, 0, size)
			if ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if errors.Is(ferr, syscall.EOPNOTSUPP) || errors.Is(ferr, syscall.ENOSYS) {
		return f.Truncate(size)
	}
	return ferr
}

// directAlign is the alignment O_DIRECT needs of offsets, lengths and
// buffers (the largest logical block size in common use).
const directAlign = 4096

// directWriter writes whole aligned chunks with O_DIRECT, so verified data
// goes to the disk without a copy into the page cache and the final fsync
// has little left to flush; anything unaligned (the last chunk) goes
// through the ordinary file. If the file system refuses O_DIRECT it falls
// back to the ordinary file for good.
type directWriter struct {
	direct   io.WriterAt
	buffered io.WriterAt
	disabled atomic.Bool
}

// newChunkWriter returns the writer for the part file open as f (named
// name in fold), writing through wrap of each handle. The O_DIRECT handle
// is a second open of f's own file, checked to be that file
// (folder.reopen).
func newChunkWriter(fold *folder, name string, f *os.File, wrap func(io.WriterAt) io.WriterAt) (io.WriterAt, io.Closer) {
	df, err := fold.reopen(name, f, os.O_WRONLY|syscall.O_DIRECT)
	if err != nil {
		return wrap(f), nopCloser{}
	}
	return &directWriter{direct: wrap(df), buffered: wrap(f)}, df
}

func (w *directWriter) WriteAt(p []byte, off int64) (int, error) {
	if len(p) > 0 && !w.disabled.Load() && off%directAlign == 0 && len(p)%directAlign == 0 &&
		uintptr(unsafe.Pointer(&p[0]))%directAlign == 0 {
		n, err := w.direct.WriteAt(p, off)
		if !errors.Is(err, syscall.EINVAL) {
			return n, err
		}
		w.disabled.Store(true)
	}
	return w.buffered.WriteAt(p, off)
}
