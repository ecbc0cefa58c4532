//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package discovery

import "syscall"

// reuseControl is a no-op here: a second process on the same host may fail
// to bind the discovery port, and then runs without discovery.
func reuseControl(network, address string, rc syscall.RawConn) error { return nil }
