package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// DefaultClientTimeout bounds one request when ctx has no deadline.
const DefaultClientTimeout = 60 * time.Second

// ErrConnBroken is returned by a Conn after an I/O or framing error: the
// stream is out of step and the connection must be closed.
var ErrConnBroken = errors.New("peer connection broken")

// Conn is a client connection to a peer's chunk server. One request runs at
// a time (calls are serialised); a response that is an ERR leaves the
// connection usable, any I/O or framing error breaks it.
type Conn struct {
	c  net.Conn
	br *bufio.Reader

	mu     sync.Mutex
	broken error
	line   []byte
}

// Dial connects to a peer's chunk server on an open network, with the
// process's default identity.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	return DialWith(ctx, addr, secure.Credentials{})
}

// DialWith connects to a peer's chunk server showing cred.
func DialWith(ctx context.Context, addr string, cred secure.Credentials) (*Conn, error) {
	c, err := cred.Dialer("peer").DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err // names the peer; *secure.AuthError for a membership failure
	}
	return &Conn{c: c, br: bufio.NewReaderSize(c, 64<<10)}, nil
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() string { return c.c.RemoteAddr().String() }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Manifest fetches and validates the manifest of id (its id is recomputed
// and must match).
func (c *Conn) Manifest(ctx context.Context, id string) (*wire.Manifest, error) {
	var m *wire.Manifest
	err := c.do(ctx, wire.PeerRequest{Verb: wire.VerbManifest, ID: id}, wire.MaxManifestBytes, func(n int64) error {
		data := make([]byte, n)
		if _, err := io.ReadFull(c.br, data); err != nil {
			return c.breakWith(err)
		}
		var err error
		m, err = wire.ParseManifest(data, id)
		return err
	})
	return m, err
}

// Have fetches the bitfield of id's verified chunks on the peer; nchunks is
// the chunk count from the manifest.
func (c *Conn) Have(ctx context.Context, id string, nchunks int) (wire.Bitfield, error) {
	want := int64(nchunks+7) / 8
	var bf wire.Bitfield
	err := c.do(ctx, wire.PeerRequest{Verb: wire.VerbHave, ID: id}, want, func(n int64) error {
		if n != want {
			return c.breakWith(fmt.Errorf("bitfield of %d bytes, want %d", n, want))
		}
		bf = make(wire.Bitfield, n)
		if _, err := io.ReadFull(c.br, bf); err != nil {
			return c.breakWith(err)
		}
		if !bf.ValidFor(nchunks) {
			return fmt.Errorf("bitfield has padding bits set")
		}
		return nil
	})
	return bf, err
}

// Get reads size bytes of id at off into dst[:size]. The caller verifies
// them against the manifest.
func (c *Conn) Get(ctx context.Context, id string, off, size int64, dst []byte) error {
	if size < 1 || int64(len(dst)) < size {
		return fmt.Errorf("get of %d bytes into a buffer of %d", size, len(dst))
	}
	req := wire.PeerRequest{Verb: wire.VerbGet, ID: id, Offset: off, Size: size}
	return c.do(ctx, req, size, func(n int64) error {
		if n != size {
			return c.breakWith(fmt.Errorf("peer answered %d bytes, want %d", n, size))
		}
		if _, err := io.ReadFull(c.br, dst[:size]); err != nil {
			return c.breakWith(err)
		}
		return nil
	})
}

// do sends req, reads the status line (an OK of at most limit bytes) and
// lets body read the payload. ERR answers come back as *wire.Error.
func (c *Conn) do(ctx context.Context, req wire.PeerRequest, limit int64, body func(n int64) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultClientTimeout)
	}
	c.c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c.line = req.AppendLine(c.line[:0])
	if _, err := c.c.Write(c.line); err != nil {
		return c.wrapCtx(ctx, c.breakWith(err))
	}
	n, err := wire.ReadStatus(c.br, limit)
	if err != nil {
		if wire.CodeOf(err) != "" && wire.CodeOf(err) != wire.CodeTooLarge {
			return err // an ERR answer: the stream is still in step
		}
		return c.wrapCtx(ctx, c.breakWith(err))
	}
	if err := body(n); err != nil {
		return c.wrapCtx(ctx, err)
	}
	return nil
}

// breakWith marks the connection unusable and returns err.
func (c *Conn) breakWith(err error) error {
	if c.broken == nil {
		c.broken = fmt.Errorf("%w: %v", ErrConnBroken, err)
	}
	return fmt.Errorf("talking to peer %s: %w", c.c.RemoteAddr(), err)
}

// wrapCtx reports ctx's end instead of the deadline error it caused.
func (c *Conn) wrapCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("talking to peer %s: %w", c.c.RemoteAddr(), cerr)
	}
	return err
}
