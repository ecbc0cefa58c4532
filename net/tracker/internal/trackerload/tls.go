package main

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/enxame/enxame/net/secure"
)

// Enxame's tracker speaks protocol version 2: TLS 1.3 on every
// connection (an open network here, with a device identity made for this
// process). The HTTP baseline (connect-http) stays in the clear.
var trackerDialer = secure.Credentials{}.Dialer("tracker")

func dialTracker(addr string) (net.Conn, error) {
	return trackerDialer.DialContext(context.Background(), "tcp", addr)
}

// askTLS sends line on a new secured connection and reads the answer
// into buf: a full TLS handshake per request, as a client that connects
// for each heartbeat costs.
func askTLS(addr netip.AddrPort, line, buf []byte) (int, error) {
	c, err := dialTracker(addr.String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(line); err != nil {
		return 0, err
	}
	ans, err := bufio.NewReader(c).ReadSlice('\n')
	return copy(buf, ans), err
}
