package discovery

import "syscall"

// reuseControl lets several processes on one host (a tracker and a desktop
// app, say) bind the discovery port; each gets every multicast datagram.
func reuseControl(network, address string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
