package secure

import (
	"context"
	"net"
	"sync"
	"testing"
)

// BenchmarkConnect measures what a new connection costs once version 2
// is wired: TCP connect, the TLS 1.3 handshake and, on a private network,
// the AUTH exchange, both ends in this process (loopback).
//
//	go test -run '^$' -bench Connect ./net/secure/
func BenchmarkConnect(b *testing.B) {
	for _, private := range []bool{false, true} {
		name := "open"
		var key *NetworkKey
		if private {
			name, key = "private", testKey(b, "ocean blurb tiger rank fiscal")
		}
		b.Run(name, func(b *testing.B) {
			srvID, _ := GenerateIdentity()
			g, _ := NewGuard(GuardConfig{Identity: srvID, Key: key})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			defer wg.Wait()
			defer cancel()
			defer ln.Close()
			sln := g.Listener(ln)
			wg.Go(func() {
				for {
					c, err := sln.Accept()
					if err != nil {
						return
					}
					wg.Go(func() {
						if tc, _, err := g.Admit(ctx, c, peerRefusal); err == nil {
							tc.Read(make([]byte, 1)) // until the client closes
							tc.Close()
						}
					})
				}
			})
			cliID, _ := GenerateIdentity()
			d := &Dialer{Identity: cliID, Key: key}
			b.ReportAllocs()
			for b.Loop() {
				c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
