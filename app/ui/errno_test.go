package ui

import (
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestDescribeSystemErrors: the errors the system returns, in the form
// each OS returns them (Windows' Winsock and Win32 numbers included,
// tested here on any OS), wrapped as the net and os packages wrap them.
func TestDescribeSystemErrors(t *testing.T) {
	cases := []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.EADDRINUSE, "already in use"},
		{10048, "already in use"},
		{syscall.ECONNREFUSED, "refused"},
		{10061, "refused"},
		{syscall.EHOSTUNREACH, "cannot be reached"},
		{syscall.ENETUNREACH, "cannot be reached"},
		{10065, "cannot be reached"},
		{10051, "cannot be reached"},
		{syscall.ENOSPC, "disk is full"},
		{112, "disk is full"},
		{39, "disk is full"},
	}
	for _, c := range cases {
		wrapped := []error{
			&net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", c.errno)},
			&fs.PathError{Op: "write", Path: "f", Err: c.errno},
		}
		for _, err := range wrapped {
			if p := Describe(err); !strings.Contains(p.What, c.want) {
				t.Errorf("Describe(%v) (errno %d) = %q, want it to say %q", err, int(c.errno), p.What, c.want)
			}
		}
	}
}
