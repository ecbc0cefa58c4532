//go:build unix

package transfer

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// alive reports whether an idle connection can still carry a request: its
// socket is open and holds nothing unread. Closed by the peer, it reads
// end of file; anything waiting (a close_notify, stray bytes) means it is
// not idle in the protocol's sense either. A look, not a read: MSG_PEEK
// and MSG_DONTWAIT leave the socket as it was.
func alive(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, err := unix.Recvfrom(int(fd), buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		ok = errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK)
		return true // never wait for readiness
	})
	return err == nil && ok
}
