// Package discoverytest keeps LAN discovery on this machine in tests: the
// loopback interface and a free UDP port, so a test neither hears nor
// disturbs a real LAN, nor another test running at the same time.
package discoverytest

import (
	"net"
	"testing"

	"github.com/enxame/enxame/net/discovery"
)

// Loopback returns the name of the loopback interface and a free UDP
// port; it skips the test when no loopback interface is up.
func Loopback(t testing.TB) (iface string, port int) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 {
			return ifi.Name, port
		}
	}
	t.Skip("no loopback interface is up")
	return "", 0
}

// Options returns discovery options for Loopback's interface and port.
func Options(t testing.TB) []discovery.Option {
	t.Helper()
	iface, port := Loopback(t)
	return []discovery.Option{discovery.WithInterfaces(iface), discovery.WithPort(port)}
}
