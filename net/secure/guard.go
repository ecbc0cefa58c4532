package secure

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// DefaultHandshakeTimeout bounds a connection's TLS handshake and AUTH
// exchange together, on either side.
const DefaultHandshakeTimeout = 10 * time.Second

// refusalLinger bounds the wait for a refused client to stop sending.
const refusalLinger = time.Second

// Refusal writes a server's one-line refusal, with code forbidden and msg,
// in the server's own dialect: `{"ok":false,"code":"forbidden","error":msg}`
// for a tracker, `ERR forbidden msg` for a peer, '\n' included.
type Refusal func(w io.Writer, msg string) error

// Messages of a Guard's refusals, for people.
const (
	refuseNoProof = "this network is private: its passphrase is needed"
	refuseBad     = "wrong passphrase for this network"
	refuseLimited = "too many failed attempts from this address; try again later"
	refuseNoTLS   = "this server speaks TLS 1.3 only (Enxame protocol version 2)"
)

// GuardConfig configures a Guard; zero fields take defaults.
type GuardConfig struct {
	// Identity is the server's device identity (required).
	Identity *Identity
	// Key is the network's key; nil for an open network.
	Key *NetworkKey
	// HandshakeTimeout bounds the TLS handshake and AUTH exchange.
	HandshakeTimeout time.Duration
	// Limiter rate-limits failed attempts per source (private networks
	// only); nil gets a new NewLimiter(0, 0, 0). Servers of one process
	// may share one.
	Limiter *Limiter
}

// Guard is a server's side of the security layer: it wraps the listener
// (Listener) and admits each connection (Admit) before the server reads a
// request from it. It is safe for concurrent use.
type Guard struct {
	tls     *tls.Config
	key     *NetworkKey
	timeout time.Duration
	limiter *Limiter
}

// NewGuard returns a Guard for cfg.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	if cfg.Identity == nil {
		return nil, errors.New("secure: GuardConfig.Identity is required")
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(0, 0, 0)
	}
	return &Guard{
		tls:     ServerConfig(cfg.Identity),
		key:     cfg.Key,
		timeout: cfg.HandshakeTimeout,
		limiter: cfg.Limiter,
	}, nil
}

// Private reports whether the Guard asks for membership proofs.
func (g *Guard) Private() bool { return g.key != nil }

// Listener wraps ln: its connections are *tls.Conn, handshaken by Admit
// (in the connection's own goroutine, not in Accept).
func (g *Guard) Listener(ln net.Listener) net.Listener {
	return tls.NewListener(ln, g.tls)
}

// Admit secures c before the server reads anything from it. c is a
// connection from Listener, or a plain one that Admit wraps in TLS. It
// runs the TLS handshake and, on a private network, the AUTH exchange,
// all within the handshake timeout, and returns the TLS connection to
// serve and the client's device id.
//
// On failure the connection is closed, after exactly one refusal line
// (written by refuse) when the client is to be told: a first line other
// than AUTH, a wrong proof, too many failed attempts from its address, or
// a client that does not speak TLS at all (then in the clear). refuse
// must not be nil.
// Nothing else is ever written before the client has proven membership.
// The error is for logs (ErrNoProof, ErrBadProof, ErrRateLimited, ErrNotTLS, or a
// TLS or network error). ctx ending closes the connection.
func (g *Guard) Admit(ctx context.Context, c net.Conn, refuse Refusal) (*tls.Conn, DeviceID, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		tc = tls.Server(c, g.tls)
	}
	stop := context.AfterFunc(ctx, func() { tc.Close() })
	defer stop()
	tc.SetDeadline(time.Now().Add(g.timeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) && rhe.Conn != nil {
			// A client speaking in the clear (version 1, or a typo'd
			// port): tell it why, in the clear, and nothing else.
			refuseOn(rhe.Conn, refuse, refuseNoTLS)
			return nil, DeviceID{}, fmt.Errorf("%w: %s", ErrNotTLS, tc.RemoteAddr())
		}
		tc.Close()
		return nil, DeviceID{}, fmt.Errorf("TLS handshake with %s: %w", tc.RemoteAddr(), err)
	}
	dev, err := DeviceIDFromState(tc.ConnectionState())
	if err != nil { // checkConnection made sure of a certificate
		tc.Close()
		return nil, DeviceID{}, err
	}
	if g.key != nil {
		if err := g.prove(tc, refuse); err != nil {
			return nil, DeviceID{}, err
		}
	}
	if !stop() {
		tc.Close()
		return nil, DeviceID{}, ctx.Err()
	}
	tc.SetDeadline(time.Time{})
	return tc, dev, nil
}

// prove runs the server's side of the AUTH exchange. On failure it has
// refused (when the client is to be told) and closed tc.
func (g *Guard) prove(tc *tls.Conn, refuse Refusal) error {
	ip := addrIP(tc.RemoteAddr())
	if !g.limiter.take(ip) {
		refuseOn(tc, refuse, refuseLimited)
		return ErrRateLimited
	}
	err := g.exchange(tc, refuse)
	if err == nil {
		g.limiter.refund(ip)
	}
	return err
}

func (g *Guard) exchange(tc *tls.Conn, refuse Refusal) error {
	line, err := readLine(tc, MaxAuthLineBytes)
	if err != nil && !errors.Is(err, errLineTooLong) {
		tc.Close()
		return fmt.Errorf("%w: reading its first line: %v", ErrNoProof, err)
	}
	if proof, perr := parseAuthLine(line); err != nil || perr != nil || proof != nil {
		refuseOn(tc, refuse, refuseNoProof)
		return fmt.Errorf("%w: its first line is not AUTH", ErrNoProof)
	}
	ekm, err := exporter(tc)
	if err != nil {
		tc.Close()
		return fmt.Errorf("exporting keying material: %w", err)
	}
	if _, err := tc.Write(authLine(g.key.proof(serverProofLabel, ekm))); err != nil {
		tc.Close()
		return fmt.Errorf("sending the server's proof: %w", err)
	}
	line, err = readLine(tc, MaxAuthLineBytes)
	if err != nil && !errors.Is(err, errLineTooLong) {
		tc.Close() // a client that found our proof wrong leaves here
		return fmt.Errorf("%w: reading its proof: %v", ErrNoProof, err)
	}
	proof, perr := parseAuthLine(line)
	if err != nil || perr != nil || proof == nil ||
		!hmac.Equal(proof, g.key.proof(clientProofLabel, ekm)) {
		refuseOn(tc, refuse, refuseBad)
		return ErrBadProof
	}
	return nil
}

// refuseOn writes the one refusal line on c and closes it.
func refuseOn(c net.Conn, refuse Refusal, msg string) {
	c.SetWriteDeadline(time.Now().Add(refusalLinger))
	if refuse(c, msg) != nil {
		c.Close()
		return
	}
	lingerClose(c, refusalLinger)
}
