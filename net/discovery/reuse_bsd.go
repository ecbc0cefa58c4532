//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package discovery

import "syscall"

// reuseControl lets several processes on one host bind the discovery port;
// the BSDs need SO_REUSEPORT for that as well as SO_REUSEADDR.
func reuseControl(network, address string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		if serr == nil {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEPORT, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}
