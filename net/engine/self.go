package engine

import (
	"net"
	"net/netip"
	"slices"
)

// isSelf reports whether addr is this engine's own chunk server, so that a
// download never asks itself: the address the tracker recorded for it, or
// its port on a loopback address or any address of this machine (the
// tracker may list it under either). It is the one rule for every face.
func (e *Engine) isSelf(addr string) bool {
	e.mu.Lock()
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return false
	}
	return addr == nr.node.Status().Session.Addr || nr.self(addr)
}

// IsSelf reports whether addr is this engine's own chunk server (as
// isSelf): a search result held only there has no other source.
func (e *Engine) IsSelf(addr string) bool { return e.isSelf(addr) }

// LANAddrs lists the addresses others can type to reach port here: every
// up, non-loopback interface address, IPv4 first.
func LANAddrs(port int) []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			pfx, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := pfx.Addr()
			if ip.IsLoopback() || ip.IsMulticast() {
				continue
			}
			if ip.Is6() && ip.IsLinkLocalUnicast() {
				// needs a zone nobody will type right
				continue
			}
			s := netip.AddrPortFrom(ip, uint16(port)).String()
			if ip.Is4() {
				v4 = append(v4, s)
			} else {
				v6 = append(v6, s)
			}
		}
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return append(v4, v6...)
}
