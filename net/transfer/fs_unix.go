//go:build unix && !nounixfs

package transfer

import (
	"errors"
	"math"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive, non-blocking advisory lock on f, so two
// downloaders never resume the same part file at once. It is released
// when f is closed (or the process dies).
func lockFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	}); err != nil {
		return err
	}
	if errors.Is(lerr, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return lerr
}

// dataFrom returns the offset of the first data at or after off in f
// (SEEK_DATA): past the end when the rest is a hole, off itself when the
// file system cannot tell.
func dataFrom(f *os.File, off int64) int64 {
	rc, err := f.SyscallConn()
	if err != nil {
		return off
	}
	next := off
	rc.Control(func(fd uintptr) {
		d, err := unix.Seek(int(fd), off, unix.SEEK_DATA)
		switch {
		case err == nil:
			next = d
		case errors.Is(err, unix.ENXIO):
			next = math.MaxInt64
		}
	})
	return next
}
