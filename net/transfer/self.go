package transfer

import (
	"net"
	"net/netip"
	"strconv"
)

// SelfPort returns an Options.Self for a process whose chunk server
// listens on port: it matches that port on a loopback address or on any
// address of this machine's interfaces (as the tracker may list it), so a
// download never connects to its own server.
func SelfPort(port int) func(addr string) bool {
	local := map[netip.Addr]bool{}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				local[p.Addr().Unmap()] = true
			}
		}
	}
	ps := strconv.Itoa(port)
	return func(addr string) bool {
		host, p, err := net.SplitHostPort(addr)
		if err != nil || p != ps {
			return false
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return false
		}
		ip = ip.Unmap()
		return ip.IsLoopback() || ip.IsUnspecified() || local[ip]
	}
}
