package tracker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/slots"
	"github.com/enxame/enxame/net/wire"
)

// Default server limits. See docs/TRACKER.md for why.
const (
	// DefaultMaxConns is the most connections open at once.
	DefaultMaxConns = 4096
	// DefaultMaxConnsPerIP is the most connections open at once from one IP.
	DefaultMaxConnsPerIP = 256
	// DefaultMaxLineBytes is the longest request line read.
	DefaultMaxLineBytes = wire.MaxTrackerLineBytes
	// DefaultLineBudgetBytes bounds the memory held by lines longer than a
	// connection's read buffer, across all connections.
	DefaultLineBudgetBytes = 256 << 20
	// DefaultLineTimeout is the time a client has to finish a request line
	// once its first byte arrived.
	DefaultLineTimeout = 30 * time.Second
	// DefaultIdleTimeout is the minimum time an idle connection is kept;
	// it is raised to three heartbeat intervals when those are longer.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds writing one batch of answers.
	DefaultWriteTimeout = 30 * time.Second

	connBufBytes   = 4 << 10
	lingerTimeout  = 2 * time.Second
	lingerMaxBytes = 8 << 20
	// maxRefusers bounds the goroutines answering connections refused for
	// want of a slot (each secures its connection first); beyond, such
	// connections are closed without an answer.
	maxRefusers = 64
)

// Config is a tracker server's configuration; zero fields take defaults.
type Config struct {
	// HeartbeatInterval is the interval told to peers (heartbeat_s).
	HeartbeatInterval time.Duration
	// PeerTimeout is the silence after which a peer is dropped (timeout_s).
	PeerTimeout time.Duration

	MaxConns        int
	MaxConnsPerIP   int
	MaxLineBytes    int
	LineBudgetBytes int64
	LineTimeout     time.Duration
	IdleTimeout     time.Duration
	WriteTimeout    time.Duration

	// Registry bounds (PeerTimeout and Logger are taken from above).
	Registry RegistryConfig

	// Credentials secure every connection (TLS 1.3; on a private network,
	// the membership proof before any answer). The zero value is an open
	// network with the process's default identity.
	Credentials secure.Credentials
	// Secret is the network secret a private network's tracker gives its
	// members in the register answer (the beacon key's second half; see
	// docs/SECURITY.md). Zero draws a new one; a peer that takes over
	// hosting passes the one it was given, so beacons keep their key.
	// Unused on an open network.
	Secret secure.NetworkSecret

	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = wire.DefaultHeartbeatInterval
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = wire.DefaultPeerTimeout
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxLineBytes <= 0 || c.MaxLineBytes > wire.MaxTrackerLineBytes {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.LineBudgetBytes <= 0 {
		c.LineBudgetBytes = DefaultLineBudgetBytes
	}
	if c.LineTimeout <= 0 {
		c.LineTimeout = DefaultLineTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = max(DefaultIdleTimeout, 3*c.HeartbeatInterval)
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Registry.PeerTimeout = c.PeerTimeout
	if c.Registry.Logger == nil {
		c.Registry.Logger = c.Logger
	}
}

// Server serves the tracker protocol over TCP.
type Server struct {
	cfg Config
	reg *Registry
	log *slog.Logger

	addr      atomic.Pointer[net.Addr]
	lineBytes atomic.Int64 // bytes held by long lines, all connections

	slots *slots.Table // per-IP caps; waiting connections make room
	guard *secure.Guard

	refusers atomic.Int32 // goroutines answering refused connections

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool // Serve is shutting down

	connsTotal atomic.Uint64
	requests   atomic.Uint64

	// testHook, when set by a test, runs before each parsed request.
	testHook func(wire.Request)
}

// NewServer returns a server with an empty registry.
func NewServer(cfg Config) *Server {
	cfg.setDefaults()
	if !cfg.Credentials.Private() {
		cfg.Secret = secure.NetworkSecret{}
	} else if cfg.Secret == (secure.NetworkSecret{}) {
		cfg.Secret = secure.NewNetworkSecret()
	}
	return &Server{
		cfg:   cfg,
		reg:   NewRegistry(cfg.Registry),
		log:   cfg.Logger,
		conns: make(map[net.Conn]struct{}),
		slots: slots.New(cfg.MaxConns, cfg.MaxConnsPerIP),
		guard: cfg.Credentials.Guard(),
	}
}

// Secret returns the network secret handed to members; ok is false on an
// open network, which has none.
func (s *Server) Secret() (secret secure.NetworkSecret, ok bool) {
	return s.cfg.Secret, s.cfg.Credentials.Private()
}

// secretText is the register answer's secret field: "" on an open network.
func (s *Server) secretText() string {
	if !s.cfg.Credentials.Private() {
		return ""
	}
	return s.cfg.Secret.Encode()
}

// Config returns the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Registry returns the server's registry.
func (s *Server) Registry() *Registry { return s.reg }

// Addr returns the listener's address once Serve has started, else nil.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Stats is a snapshot of the server for the desktop app.
type Stats struct {
	Snapshot
	Addr       string
	Conns      int    // open connections
	ConnsTotal uint64 // connections accepted since start
	Evicted    int64  // waiting connections closed to make room for new ones
	Requests   uint64 // requests answered since start
}

// Stats returns a cheap snapshot of the server and its registry.
func (s *Server) Stats() Stats {
	st := Stats{Snapshot: s.reg.Snapshot(), ConnsTotal: s.connsTotal.Load(), Requests: s.requests.Load(), Evicted: s.slots.Evicted()}
	if a := s.Addr(); a != nil {
		st.Addr = a.String()
	}
	s.mu.Lock()
	st.Conns = len(s.conns)
	s.mu.Unlock()
	return st
}

// Serve accepts connections on ln (a plain TCP listener: Serve secures
// it) until ctx ends, then closes ln and every connection, waits for their
// goroutines and returns nil. It also runs the expiry loop. It returns an
// error only when accepting fails for good.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	a := ln.Addr()
	s.addr.Store(&a)
	ln = s.guard.Listener(ln)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		s.mu.Lock()
		s.closed = true // admit refuses from now on
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()

	var wg sync.WaitGroup
	wg.Go(func() { s.expireLoop(ctx) })
	defer wg.Wait()

	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: back off, keep serving.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("Accepting connection failed", "error", err, "retryIn", delay)
				select {
				case <-time.After(delay):
					continue
				case <-ctx.Done():
					return nil
				}
			}
			cancel()
			return err
		}
		delay = 0
		s.connsTotal.Add(1)
		ip := addrIP(c.RemoteAddr())
		slot, err := s.admit(c, ip)
		if err != nil {
			s.log.Debug("Connection refused", "remote", c.RemoteAddr().String(), "error", err)
			if errors.Is(err, errShuttingDown) || s.refusers.Add(1) > maxRefusers {
				s.refusers.Add(-1)
				c.Close()
				continue
			}
			wg.Go(func() {
				defer s.refusers.Add(-1)
				s.refuseConn(ctx, c, err)
			})
			continue
		}
		wg.Go(func() {
			defer s.release(c, slot)
			tc, dev, err := s.guard.Admit(ctx, c, refuseForbidden)
			if err != nil {
				s.log.Debug("Connection not admitted", "remote", c.RemoteAddr().String(), "error", err)
				return
			}
			s.serveConn(tc, ip, dev, slot)
		})
	}
}

// refuseForbidden is the tracker's refusal of a connection that has not
// proven membership (secure.Refusal).
func refuseForbidden(w io.Writer, msg string) error {
	_, err := w.Write(appendError(nil, wire.Errorf(wire.CodeForbidden, "%s", msg)))
	return err
}

// refuseConn answers a connection refused for want of a slot, once it is
// secured (and, on a private network, has proven membership): nothing
// goes out in the clear or to an outsider.
func (s *Server) refuseConn(ctx context.Context, c net.Conn, why error) {
	tc, _, err := s.guard.Admit(ctx, c, refuseForbidden)
	if err != nil {
		return
	}
	tc.SetWriteDeadline(time.Now().Add(time.Second))
	tc.Write(appendError(nil, why))
	tc.Close()
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func addrIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap().WithZone("")
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// admit gives c a connection slot, closing a waiting connection to make
// room when slots are short (net/slots), or refuses it.
func (s *Server) admit(c net.Conn, ip netip.Addr) (*slots.Slot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errShuttingDown
	}
	slot, ok := s.slots.Acquire(ip, c)
	if !ok {
		return nil, errTooManyConns
	}
	s.conns[c] = struct{}{}
	return slot, nil
}

func (s *Server) release(c net.Conn, slot *slots.Slot) {
	c.Close()
	slot.Release()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) expireLoop(ctx context.Context) {
	period := min(max(s.cfg.PeerTimeout/4, 50*time.Millisecond), 5*time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.reg.Expire(now)
		}
	}
}

// conn is one client connection's state.
type conn struct {
	s    *Server
	c    net.Conn
	slot *slots.Slot
	br   *bufio.Reader
	bw   *bufio.Writer
	view View // who is asking, device included
	out  []byte
	held int64 // line budget bytes held
}

// Connection buffers are pooled: a client that opens a connection per
// request would otherwise cost two fresh buffers each time.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, connBufBytes) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, connBufBytes) }}
)

func (s *Server) serveConn(c net.Conn, ip netip.Addr, dev secure.DeviceID, slot *slots.Slot) {
	br := readerPool.Get().(*bufio.Reader)
	bw := writerPool.Get().(*bufio.Writer)
	br.Reset(c)
	bw.Reset(c)
	defer func() {
		br.Reset(nil)
		bw.Reset(nil)
		readerPool.Put(br)
		writerPool.Put(bw)
	}()
	cn := &conn{
		s:    s,
		c:    c,
		slot: slot,
		br:   br,
		bw:   bw,
		view: ViewFor(ip, addrIP(c.LocalAddr())),
	}
	cn.view.Device = dev
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("Connection handler panicked", "remote", c.RemoteAddr().String(), "panic", v, "stack", string(debug.Stack()))
			cn.out = appendError(cn.out[:0], errInternal)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			cn.bw.Write(cn.out)
			cn.bw.Flush()
		}
		cn.releaseBudget()
	}()
	cn.serve()
}

func (cn *conn) serve() {
	cfg := &cn.s.cfg
	for {
		if cn.br.Buffered() == 0 {
			// Waiting for the client (and then for the rest of its
			// line): this connection may be closed to make room. It
			// waits from before its answers go out, so that a client
			// that has read them has waited since then, not since
			// whenever this goroutine gets to run again; one that does
			// not read them may be closed mid-answer, as it should.
			cn.slot.Wait()
			// About to block on the network: send what is pending first.
			if cn.bw.Buffered() > 0 {
				cn.c.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
				if cn.bw.Flush() != nil {
					return
				}
			}
			cn.c.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
			if _, err := cn.br.Peek(1); err != nil {
				return
			}
		}
		if buf, _ := cn.br.Peek(cn.br.Buffered()); bytes.IndexByte(buf, '\n') < 0 {
			// A line has started but is not all here: it has LineTimeout.
			cn.c.SetReadDeadline(time.Now().Add(cfg.LineTimeout))
		}
		line, err := cn.readLine()
		if err != nil {
			if errors.Is(err, errLineTooLong) || errors.Is(err, errLineBudget) {
				cn.refuse(err)
			}
			return
		}
		if !cn.slot.Busy() {
			return // closed to make room meanwhile
		}
		cn.out = cn.s.handle(cn.out[:0], line, cn.view)
		cn.releaseBudget()
		cn.s.requests.Add(1)
		if len(cn.out) > cn.bw.Available() {
			cn.c.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
		}
		if _, err := cn.bw.Write(cn.out); err != nil {
			return
		}
		if cap(cn.out) > 64<<10 {
			cn.out = nil // do not keep a large answer's buffer per connection
		}
	}
}

// readLine reads one line of at most MaxLineBytes (terminator included).
// Bytes beyond the read buffer are accumulated against the server-wide line
// budget. An over-long line yields errLineTooLong with its tail unread.
func (cn *conn) readLine() ([]byte, error) {
	line, err := wire.ReadLineBudget(cn.br, cn.s.cfg.MaxLineBytes, cn.reserve)
	switch {
	case errors.Is(err, wire.ErrLineTooLong):
		return nil, errLineTooLong
	case errors.Is(err, wire.ErrLineBudget):
		return nil, errLineBudget
	}
	return line, err
}

func (cn *conn) reserve(n int64) bool {
	if cn.s.lineBytes.Add(n) > cn.s.cfg.LineBudgetBytes {
		cn.s.lineBytes.Add(-n)
		return false
	}
	cn.held += n
	return true
}

func (cn *conn) releaseBudget() {
	if cn.held > 0 {
		cn.s.lineBytes.Add(-cn.held)
		cn.held = 0
	}
}

// refuse answers err, then closes the connection after discarding (never
// parsing) what the client is still sending, so that it reads the answer
// instead of a reset.
func (cn *conn) refuse(err error) {
	cn.releaseBudget()
	cn.c.SetWriteDeadline(time.Now().Add(cn.s.cfg.WriteTimeout))
	cn.bw.Write(appendError(cn.out[:0], err))
	if cn.bw.Flush() != nil {
		return
	}
	if cw, ok := cn.c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite() // a TLS close_notify, or a TCP FIN
	}
	cn.c.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.CopyN(io.Discard, cn.c, lingerMaxBytes)
}

var okLine = []byte(`{"ok":true}` + "\n")

var (
	heartbeatPrefix = []byte(`{"op":"heartbeat","token":"`)
	heartbeatSuffix = []byte(`"}`)
)

// fastHeartbeat recognises the one heartbeat form every client of ours
// sends, `{"op":"heartbeat","token":"<hex>"}`, and returns its token without
// allocating. Any other spelling goes through wire.ParseRequest, which
// gives the same answer for this form (FuzzFastHeartbeat checks it).
func fastHeartbeat(line []byte) ([]byte, bool) {
	tok, ok := bytes.CutPrefix(line, heartbeatPrefix)
	if !ok {
		return nil, false
	}
	tok, ok = bytes.CutSuffix(tok, heartbeatSuffix)
	if !ok || len(tok) == 0 || len(tok) > wire.MaxTokenBytes {
		return nil, false
	}
	for _, c := range tok {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, false
		}
	}
	return tok, true
}

// handle answers one request line, appending the answer line to out.
func (s *Server) handle(out, line []byte, v View) []byte {
	if tok, ok := fastHeartbeat(line); ok && s.testHook == nil {
		if err := s.reg.heartbeat(tok, time.Now()); err != nil {
			return appendError(out, err)
		}
		return append(out, okLine...)
	}
	req, err := wire.ParseRequest(line)
	if err != nil {
		return appendError(out, err)
	}
	if s.testHook != nil {
		s.testHook(req)
	}
	now := time.Now()
	switch req.Op {
	case wire.OpHeartbeat:
		err = s.reg.Heartbeat(req.Token, now)
	case wire.OpUpdate:
		err = s.reg.Update(req.Token, req.Files, now)
	case wire.OpUnregister:
		err = s.reg.Unregister(req.Token, now)
	case wire.OpRegister:
		var tok, addr string
		tok, addr, err = s.reg.register(netip.AddrPortFrom(v.Remote, uint16(req.Port)), req.Files,
			registration{canHost: req.CanHost, name: req.Name, device: v.Device}, now)
		if err == nil {
			return appendJSON(out, wire.RegisterResponse{
				OK:         true,
				Token:      tok,
				Addr:       addr,
				HeartbeatS: s.cfg.HeartbeatInterval.Seconds(),
				TimeoutS:   s.cfg.PeerTimeout.Seconds(),
				Secret:     s.secretText(),
			})
		}
	case wire.OpList:
		return appendJSON(out, s.reg.List(v, now))
	case wire.OpSearch:
		return appendJSON(out, s.reg.SearchPage(req.Q, req.Offset, v))
	default:
		err = wire.Errorf(wire.CodeUnknownOp, "unknown op")
	}
	if err != nil {
		return appendError(out, err)
	}
	return append(out, okLine...)
}

func appendJSON(out []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return appendError(out, errInternal)
	}
	return append(append(out, b...), '\n')
}

func appendError(out []byte, err error) []byte {
	var we *wire.Error
	if !errors.As(err, &we) {
		we = errInternal
	}
	b, _ := json.Marshal(wire.ErrorResponse{OK: false, Code: we.Code, Error: we.Msg})
	return append(append(out, b...), '\n')
}
