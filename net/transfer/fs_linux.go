//go:build linux

package transfer

import (
	"errors"
	"os"
	"syscall"
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
