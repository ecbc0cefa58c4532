package peer_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

var testKey = sync.OnceValues(func() (*secure.NetworkKey, error) {
	return secure.DeriveNetworkKey("ocean blurb tiger rank fiscal")
})

// TestPrivatePeerRefusesOutsiders: a private network's chunk server
// answers an outsider, with TLS or without, exactly one "ERR forbidden"
// line and closes: never a byte of a file, a manifest or a bitfield. A
// member with the passphrase is served.
func TestPrivatePeerRefusesOutsiders(t *testing.T) {
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	cred := secure.Credentials{Key: key}
	f := newFixture(t, peer.Config{Credentials: cred})

	member, err := peer.DialWith(t.Context(), f.addr, cred)
	if err != nil {
		t.Fatalf("a member dialing: %v", err)
	}
	defer member.Close()
	buf := make([]byte, len(f.small))
	if err := member.Get(t.Context(), f.smlID, 0, int64(len(f.small)), buf); err != nil || !bytes.Equal(buf, f.small) {
		t.Fatalf("a member's GET: %q, %v", buf, err)
	}

	get := "GET " + f.smlID + " 0 1\n"
	for _, c := range []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"tls", func() (net.Conn, error) { return enxametest.DialTLS(t.Context(), f.addr) }},
		{"plain", func() (net.Conn, error) { return net.DialTimeout("tcp", f.addr, 10*time.Second) }},
	} {
		for _, req := range []string{get, "MANIFEST " + f.id + "\n", "HAVE " + f.id + "\n"} {
			t.Run(c.name+" "+req[:4], func(t *testing.T) {
				conn, err := c.dial()
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(conn, req)
				got, err := io.ReadAll(conn)
				if err != nil && !strings.Contains(err.Error(), "reset") {
					t.Fatalf("reading until closed: %v (got %q)", err, got)
				}
				line, rest, ok := bytes.Cut(got, []byte("\n"))
				if !ok || len(rest) != 0 || !bytes.HasPrefix(line, []byte("ERR forbidden ")) {
					t.Fatalf("got %q, want exactly one ERR forbidden line then EOF", got)
				}
				for _, secret := range []string{"hello", "enxame", f.id, f.smlID, "OK"} {
					if bytes.Contains(got, []byte(secret)) {
						t.Fatalf("the refusal %q leaks %q", got, secret)
					}
				}
			})
		}
	}

	t.Run("client without passphrase", func(t *testing.T) {
		c, err := peer.Dial(t.Context(), f.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Get(t.Context(), f.smlID, 0, 1, buf); !errors.Is(err, wire.ErrForbidden) {
			t.Fatalf("GET: %v, want forbidden", err)
		}
	})
	t.Run("client with another passphrase", func(t *testing.T) {
		other, err := secure.DeriveNetworkKey("another network entirely")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := peer.DialWith(t.Context(), f.addr, secure.Credentials{Key: other}); !errors.Is(err, secure.ErrNotMember) {
			t.Fatalf("dial: %v, want ErrNotMember", err)
		}
	})
}
