//go:build linux

package main

import (
	"net/netip"
	"syscall"
)

// askOnce sends line on a new connection and reads the answer into buf,
// with plain blocking system calls: like wrk, the load generator should
// spend as little CPU per connection as it can, so that the tracker gets
// the machine's cores.
func askOnce(addr netip.AddrPort, line, buf []byte) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	tv := syscall.Timeval{Sec: 10}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	sa := &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	err = syscall.Connect(fd, sa)
	for i := 0; i < 1000 && (err == syscall.EINTR || err == syscall.EALREADY); i++ {
		// Interrupted by the Go runtime's preemption signal: the handshake
		// goes on; connecting again reports how it ended.
		err = syscall.Connect(fd, sa)
	}
	if err != nil && err != syscall.EISCONN {
		return 0, err
	}
	for {
		_, err := syscall.Write(fd, line)
		if err == syscall.EINTR {
			continue // the Go runtime's preemption signal
		}
		if err != nil {
			return 0, err
		}
		break
	}
	k := 0
	for k == 0 || buf[k-1] != '\n' {
		n, err := syscall.Read(fd, buf[k:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return k, err
		}
		if n == 0 || k+n == len(buf) {
			return k + n, nil
		}
		k += n
	}
	return k, nil
}
