package enxametest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"time"
)

// The outside world's side of protocol version 2 (shared/PROTOCOL.md §4),
// made from the contract's text with the standard library alone, sharing
// no code with net/secure: TLS 1.3, ALPN "enxame/2", a self-signed
// certificate of its own. Tests speak the framing of sections 2 and 3
// through it as an outside client, or run fake trackers and peers that
// the real clients can reach, on open networks.

// ALPN is the application protocol of protocol version 2.
const ALPN = "enxame/2"

// tlsHandshakeTimeout bounds DialTLS and ClientTLS.
const tlsHandshakeTimeout = 10 * time.Second

var outsiderCert = sync.OnceValue(func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "enxametest outsider"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
})

// ClientTLSConfig is an outside client's configuration: TLS 1.3, ALPN
// enxame/2, a self-signed certificate, the server's (self-signed) one
// accepted as it is.
func ClientTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{outsiderCert()},
		NextProtos:         []string{ALPN},
		InsecureSkipVerify: true,
	}
}

// ServerTLSConfig is a fake tracker's or peer's configuration: TLS 1.3,
// ALPN enxame/2, any client certificate required.
func ServerTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{outsiderCert()},
		NextProtos:   []string{ALPN},
		ClientAuth:   tls.RequireAnyClientCert,
	}
}

// DialTLS connects to addr and runs the TLS handshake (ClientTLS).
func DialTLS(ctx context.Context, addr string) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return clientTLS(ctx, c)
}

// ClientTLS runs an outside client's TLS handshake on c (closed on
// failure), for tests that dial in their own way (from a chosen address).
func ClientTLS(ctx context.Context, c net.Conn) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout)
	defer cancel()
	return clientTLS(ctx, c)
}

func clientTLS(ctx context.Context, c net.Conn) (*tls.Conn, error) {
	tc := tls.Client(c, ClientTLSConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// TLSListener wraps ln for a fake tracker or peer: its connections are TLS
// (handshaken on first read or write).
func TLSListener(ln net.Listener) net.Listener {
	return tls.NewListener(ln, ServerTLSConfig())
}
