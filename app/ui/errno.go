package ui

import (
	"errors"
	"syscall"
)

// The system errors Describe words, as every OS reports them. On Windows
// syscall's E* constants are invented numbers that no call returns: a
// port in use is the Winsock error WSAEADDRINUSE, a full disk
// ERROR_DISK_FULL. Both forms are listed here, on every OS (a Windows
// number never comes from a Unix call, nor the reverse), so the one table
// is what runs, and is tested, everywhere. The numbers are the
// golang.org/x/sys/windows constants named beside them. A port in use is
// vm.IsAddrInUse's (the view-model needs it too).
var (
	errnoConnRefused = []syscall.Errno{syscall.ECONNREFUSED, 10061 /* WSAECONNREFUSED */}
	errnoUnreachable = []syscall.Errno{syscall.EHOSTUNREACH, syscall.ENETUNREACH,
		10065 /* WSAEHOSTUNREACH */, 10051 /* WSAENETUNREACH */}
	errnoDiskFull = []syscall.Errno{syscall.ENOSPC, 112 /* ERROR_DISK_FULL */, 39 /* ERROR_HANDLE_DISK_FULL */}
)

// isErrno reports whether err wraps one of errnos.
func isErrno(err error, errnos []syscall.Errno) bool {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return false
	}
	for _, n := range errnos {
		if e == n {
			return true
		}
	}
	return false
}
