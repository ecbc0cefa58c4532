package tracker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// DefaultRequestTimeout bounds one request when the context has no
// deadline of its own.
const DefaultRequestTimeout = 30 * time.Second

// Client talks to one tracker over one persistent connection, dialled
// lazily and secured (TLS 1.3; on a private network, the membership
// proofs). Requests are serialized; a request that finds its (reused)
// connection broken is retried once on a fresh one. It is safe for
// concurrent use.
type Client struct {
	addr   string
	dialer *secure.Dialer

	// closing ends when Close is called: it interrupts the request in
	// flight and those waiting for their turn.
	closing context.Context
	close   context.CancelFunc

	device atomic.Pointer[secure.DeviceID] // the tracker's, from the last connection

	sem    chan struct{} // holds the connection; one request at a time
	conn   net.Conn
	br     *bufio.Reader
	closed bool
}

// NewClient returns a client of the tracker at addr ("host:port") on an
// open network, with the process's default identity.
func NewClient(addr string) *Client {
	return NewClientWith(addr, secure.Credentials{})
}

// NewClientWith returns a client of the tracker at addr that shows cred.
func NewClientWith(addr string, cred secure.Credentials) *Client {
	closing, close := context.WithCancel(context.Background())
	return &Client{addr: addr, dialer: cred.Dialer("tracker"), sem: make(chan struct{}, 1), closing: closing, close: close}
}

// Device returns the device id of the tracker's certificate, as last
// connected to; zero before the first connection.
func (c *Client) Device() secure.DeviceID {
	if d := c.device.Load(); d != nil {
		return *d
	}
	return secure.DeviceID{}
}

// Addr returns the tracker address the client talks to.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection, interrupting a request in flight. Requests
// after Close fail with ErrClientClosed.
func (c *Client) Close() error {
	c.close()
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	c.closed = true
	c.dropConnLocked()
	return nil
}

type registerRequest struct {
	Op      string           `json:"op"`
	Port    int              `json:"port"`
	Files   []wire.FileEntry `json:"files"`
	CanHost bool             `json:"can_host,omitempty"`
	Name    string           `json:"name,omitempty"`
}

// Registration is what a register request announces.
type Registration struct {
	Port  int              // the port this peer serves on
	Files []wire.FileEntry // its files
	// CanHost: this peer may take over hosting the network's tracker if
	// it leaves (the can_host extension).
	CanHost bool
	// Name is the device's name for people ("" sends none); the tracker
	// shows it with the device id of this client's certificate.
	Name string
}

type tokenRequest struct {
	Op    string `json:"op"`
	Token string `json:"token"`
}

type updateRequest struct {
	Op    string           `json:"op"`
	Token string           `json:"token"`
	Files []wire.FileEntry `json:"files"`
}

type searchRequest struct {
	Op     string `json:"op"`
	Q      string `json:"q"`
	Offset int    `json:"offset,omitempty"`
}

type opRequest struct {
	Op string `json:"op"`
}

func nonNil(files []wire.FileEntry) []wire.FileEntry {
	if files == nil {
		return []wire.FileEntry{}
	}
	return files
}

// Register registers this peer, serving on port, with its files.
func (c *Client) Register(ctx context.Context, port int, files []wire.FileEntry) (*wire.RegisterResponse, error) {
	return c.RegisterWith(ctx, Registration{Port: port, Files: files})
}

// RegisterCanHost is Register with "can_host": true: this peer may take
// over hosting the network's tracker if it leaves.
func (c *Client) RegisterCanHost(ctx context.Context, port int, files []wire.FileEntry) (*wire.RegisterResponse, error) {
	return c.RegisterWith(ctx, Registration{Port: port, Files: files, CanHost: true})
}

// RegisterWith registers this peer as r says.
func (c *Client) RegisterWith(ctx context.Context, r Registration) (*wire.RegisterResponse, error) {
	if r.Name != "" {
		if err := wire.ValidateDeviceName(r.Name); err != nil {
			return nil, fmt.Errorf("registering with tracker %s: %w", c.addr, err)
		}
	}
	req := registerRequest{Op: wire.OpRegister, Port: r.Port, Files: nonNil(r.Files), CanHost: r.CanHost, Name: r.Name}
	var resp wire.RegisterResponse
	if err := c.do(ctx, req, &resp); err != nil {
		return nil, err
	}
	if err := checkRegisterAnswer(&resp); err != nil {
		return nil, fmt.Errorf("registering with tracker %s: %w", c.addr, err)
	}
	return &resp, nil
}

// Heartbeat tells the tracker the token's peer is alive.
func (c *Client) Heartbeat(ctx context.Context, token string) error {
	return c.do(ctx, tokenRequest{Op: wire.OpHeartbeat, Token: token}, nil)
}

// Update replaces the token's peer's file list.
func (c *Client) Update(ctx context.Context, token string, files []wire.FileEntry) error {
	return c.do(ctx, updateRequest{Op: wire.OpUpdate, Token: token, Files: nonNil(files)}, nil)
}

// Unregister removes the token's peer.
func (c *Client) Unregister(ctx context.Context, token string) error {
	return c.do(ctx, tokenRequest{Op: wire.OpUnregister, Token: token}, nil)
}

// List returns the registered peers, every address checked.
func (c *Client) List(ctx context.Context) (*wire.ListResponse, error) {
	var resp wire.ListResponse
	if err := c.do(ctx, opRequest{Op: wire.OpList}, &resp); err != nil {
		return nil, err
	}
	if err := checkListAnswer(&resp); err != nil {
		return nil, fmt.Errorf("listing peers on tracker %s: %w", c.addr, err)
	}
	return &resp, nil
}

// Search returns the files whose name contains q (any case) or whose id is
// q, every id, name, size and address checked.
func (c *Client) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	return c.SearchFrom(ctx, q, 0)
}

// SearchFrom is Search without the first offset matches (the "offset"
// extension: the next page of a truncated answer). A tracker without the
// extension answers the first page again.
func (c *Client) SearchFrom(ctx context.Context, q string, offset int) (*wire.SearchResponse, error) {
	if offset < 0 || offset > wire.MaxSearchOffset {
		return nil, fmt.Errorf("search offset %d is not in 0-%d", offset, wire.MaxSearchOffset)
	}
	var resp wire.SearchResponse
	if err := c.do(ctx, searchRequest{Op: wire.OpSearch, Q: q, Offset: offset}, &resp); err != nil {
		return nil, err
	}
	if err := checkSearchAnswer(&resp); err != nil {
		return nil, fmt.Errorf("searching tracker %s: %w", c.addr, err)
	}
	return &resp, nil
}

// errBroken marks a failure of the connection itself (as opposed to an
// answer), after which the request may be retried on a new connection.
type brokenError struct{ err error }

func (e *brokenError) Error() string { return e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

// do sends req and decodes the answer into resp (nil: only "ok" matters).
// A tracker error answer is returned as *wire.Error.
func (c *Client) do(ctx context.Context, req, resp any) error {
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding tracker request: %w", err)
	}
	line = append(line, '\n')
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.closing, cancel)
	defer stop()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		if c.closing.Err() != nil {
			return ErrClientClosed
		}
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.closed || c.closing.Err() != nil {
		return ErrClientClosed
	}
	for attempt := 0; ; attempt++ {
		fresh := c.conn == nil
		if fresh {
			if err := c.dialLocked(ctx); err != nil {
				return err
			}
		}
		err := c.roundTripLocked(ctx, line, resp)
		var broken *brokenError
		if !errors.As(err, &broken) {
			if errors.Is(err, wire.ErrForbidden) {
				c.dropConnLocked() // the tracker has closed it
			}
			return err
		}
		c.dropConnLocked()
		if c.closing.Err() != nil {
			return ErrClientClosed
		}
		if ctx.Err() != nil {
			return fmt.Errorf("asking tracker %s: %w", c.addr, ctx.Err())
		}
		if fresh || attempt > 0 {
			return fmt.Errorf("asking tracker %s: %w", c.addr, broken.err)
		}
	}
}

func (c *Client) dialLocked(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, DefaultRequestTimeout)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return err // names the tracker; *secure.AuthError for a membership failure
	}
	if d, err := secure.DeviceIDFromState(conn.ConnectionState()); err == nil {
		c.device.Store(&d)
	}
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, 16<<10)
	return nil
}

func (c *Client) dropConnLocked() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

func (c *Client) roundTripLocked(ctx context.Context, line []byte, resp any) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultRequestTimeout)
	}
	conn := c.conn
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(line); err != nil {
		return &brokenError{err}
	}
	answer, err := wire.ReadLine(c.br, wire.MaxTrackerResponseBytes)
	if err != nil {
		return &brokenError{err}
	}
	return decodeAnswer(answer, resp)
}

// decodeAnswer decodes one answer line: a failure becomes a *wire.Error
// (its code and message made safe to show), a success is decoded into
// resp; the callers check what it holds (answers.go).
func decodeAnswer(answer []byte, resp any) error {
	var env wire.Envelope
	if err := json.Unmarshal(answer, &env); err != nil {
		return &brokenError{fmt.Errorf("decoding tracker answer: %w", err)}
	}
	if !env.OK {
		return checkFailure(env.Code, env.Error)
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(answer, resp); err != nil {
		return &brokenError{fmt.Errorf("decoding tracker answer: %w", err)}
	}
	return nil
}
