package secure

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// Dialer is a client's side of the security layer: it connects, runs the
// TLS handshake and, on a private network, the AUTH exchange, and returns
// a connection ready for the first request. Its zero value is not usable:
// Identity is required. It is safe for concurrent use.
type Dialer struct {
	// Identity is this device's identity (required).
	Identity *Identity
	// Key is the network's key; nil for an open network.
	Key *NetworkKey
	// Role names the server in errors: "tracker" or "peer" ("" = "server").
	Role string
	// Device, if not zero, is the server's expected device id; any other
	// is ErrWrongDevice, before anything is sent.
	Device DeviceID
	// Timeout bounds the connect, TLS handshake and AUTH exchange together
	// (0 = DefaultHandshakeTimeout); ctx may end it sooner.
	Timeout time.Duration
}

// DialContext connects to addr ("tcp") and secures the connection
// (Handshake).
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s %s: %w", d.role(), addr, err)
	}
	return d.Handshake(ctx, c)
}

// Handshake secures an established connection c, closing it on failure.
// On a private network a server that has not proven membership never gets
// this device's proof: the exchange stops (ErrNotMember, ErrNotPrivate,
// ErrRefused or ErrBadAnswer in an *AuthError) with only "AUTH\n" sent.
// A server that has proven it knows the passphrase gets the client's
// proof; the connection is then returned with no deadline set.
func (d *Dialer) Handshake(ctx context.Context, c net.Conn) (*tls.Conn, error) {
	if d.Identity == nil {
		c.Close()
		return nil, errors.New("secure: Dialer.Identity is required")
	}
	tc := tls.Client(c, ClientConfig(d.Identity))
	stop := context.AfterFunc(ctx, func() { tc.Close() })
	defer stop()
	deadline := time.Now().Add(d.timeout())
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	tc.SetDeadline(deadline)
	if err := d.handshake(ctx, tc); err != nil {
		tc.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return nil, err
	}
	if !stop() {
		tc.Close()
		return nil, ctx.Err()
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}

func (d *Dialer) handshake(ctx context.Context, tc *tls.Conn) error {
	addr := tc.RemoteAddr().String()
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("securing the connection to %s %s: %w", d.role(), addr, err)
	}
	if !d.Device.IsZero() {
		got, err := DeviceIDFromState(tc.ConnectionState())
		if err != nil || got != d.Device {
			return d.authError(addr, ErrWrongDevice)
		}
	}
	if d.Key == nil {
		return nil
	}
	if _, err := tc.Write(authLine(nil)); err != nil {
		return fmt.Errorf("asking %s %s for its proof of membership: %w", d.role(), addr, err)
	}
	line, err := readLine(tc, maxAnswerLineBytes)
	switch {
	case errors.Is(err, errLineTooLong):
		return d.authError(addr, ErrBadAnswer)
	case err != nil:
		return fmt.Errorf("reading the proof of membership of %s %s: %w", d.role(), addr, err)
	}
	proof, err := parseAuthLine(line)
	if err != nil {
		return d.authError(addr, classifyAnswer(line))
	}
	ekm, err := exporter(tc)
	if err != nil {
		return fmt.Errorf("exporting keying material: %w", err)
	}
	if proof == nil || !hmac.Equal(proof, d.Key.proof(serverProofLabel, ekm)) {
		return d.authError(addr, ErrNotMember)
	}
	if _, err := tc.Write(authLine(d.Key.proof(clientProofLabel, ekm))); err != nil {
		return fmt.Errorf("sending the proof of membership to %s %s: %w", d.role(), addr, err)
	}
	return nil
}

func (d *Dialer) authError(addr string, err error) error {
	return &AuthError{Role: d.role(), Addr: addr, Err: err}
}

func (d *Dialer) role() string {
	if d.Role == "" {
		return "server"
	}
	return d.Role
}

func (d *Dialer) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultHandshakeTimeout
	}
	return d.Timeout
}
