package peer

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/slots"
	"github.com/enxame/enxame/net/throttle"
	"github.com/enxame/enxame/net/wire"
)

// Limits and defaults of the chunk server. The contract asks for at least
// 64 connections, 8 from one IP, before answering busy. When slots run
// short, connections waiting for a request make room (net/slots): busy
// is answered only when every slot that could be freed is serving.
const (
	MinMaxConns          = 64
	MinMaxConnsPerIP     = 8
	DefaultMaxConns      = 128
	DefaultMaxConnsPerIP = 16
	// DefaultIdleTimeout is how long a connection may wait between requests.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultReadTimeout is how long a request line may take once started.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout plus the size at DefaultMinWriteRate is the
	// deadline of each response write.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultMinWriteRate is the slowest a reader may drain a response.
	DefaultMinWriteRate = 64 << 10
	// maxErrorsPerConn closes a connection that keeps sending bad requests.
	maxErrorsPerConn = 32
	// maxBusyWriters bounds the goroutines answering busy at once; beyond,
	// over-limit connections are closed without an answer.
	maxBusyWriters = 64
	// maxManifestCacheBytes bounds the cached manifest JSON.
	maxManifestCacheBytes = 64 << 20
	// lingerTimeout bounds the drain before closing after a final ERR.
	lingerTimeout = time.Second
)

// Config configures a Server. Zero fields take the defaults above; caps
// below the contract's minimums are raised to them.
type Config struct {
	Catalog       Catalog
	MaxConns      int
	MaxConnsPerIP int
	IdleTimeout   time.Duration
	ReadTimeout   time.Duration
	WriteTimeout  time.Duration
	MinWriteRate  int64 // bytes per second
	// Upload limits the GET payload bytes of every connection together
	// (nil: no limit). The time spent waiting for it does not count
	// against the reader's write deadline.
	Upload *throttle.Limiter
	// Credentials secure every connection (TLS 1.3; on a private network,
	// the membership proof before any answer). The zero value is an open
	// network with the process's default identity.
	Credentials secure.Credentials
	Logger      *slog.Logger
}

// Stats is a snapshot of a server's counters.
type Stats struct {
	Active      int   // connections open now
	Accepted    int64 // connections accepted in total
	Busy        int64 // connections refused with busy
	Evicted     int64 // waiting connections closed to make room for new ones
	Requests    int64 // requests answered (OK or ERR)
	Errors      int64 // requests answered ERR
	BytesServed int64 // GET payload bytes sent
}

// Server is the chunk server of PROTOCOL §3.
type Server struct {
	cfg Config
	log *slog.Logger

	slots *slots.Table
	guard *secure.Guard

	busyWriters atomic.Int32
	accepted    atomic.Int64
	busy        atomic.Int64
	requests    atomic.Int64
	errs        atomic.Int64
	bytes       atomic.Int64

	manMu    sync.Mutex
	manJSON  map[string][]byte
	manBytes int
}

// NewServer returns a server for cfg.
func NewServer(cfg Config) *Server {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.MaxConns = max(cfg.MaxConns, MinMaxConns)
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	cfg.MaxConnsPerIP = max(cfg.MaxConnsPerIP, MinMaxConnsPerIP)
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MinWriteRate <= 0 {
		cfg.MinWriteRate = DefaultMinWriteRate
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Catalog == nil {
		cfg.Catalog = Catalogs(nil)
	}
	return &Server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "chunkserver"),
		slots:   slots.New(cfg.MaxConns, cfg.MaxConnsPerIP),
		guard:   cfg.Credentials.Guard(),
		manJSON: map[string][]byte{},
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Active:      s.slots.Len(),
		Accepted:    s.accepted.Load(),
		Busy:        s.busy.Load(),
		Evicted:     s.slots.Evicted(),
		Requests:    s.requests.Load(),
		Errors:      s.errs.Load(),
		BytesServed: s.bytes.Load(),
	}
}

// Serve accepts connections on ln (a plain TCP listener: Serve secures
// it) until ctx ends, then closes ln and every connection and returns nil
// once all of them are done. It returns early with the error of a failing
// listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln = s.guard.Listener(ln)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors or a transient failure: back off.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("Accept failed; retrying", "error", err, "in", backoff)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				continue
			}
			return err
		}
		backoff = 0
		s.accepted.Add(1)
		slot, ok := s.slots.Acquire(remoteIP(c), c)
		if !ok {
			s.busy.Add(1)
			if s.busyWriters.Add(1) > maxBusyWriters {
				s.busyWriters.Add(-1)
				c.Close()
				continue
			}
			wg.Go(func() {
				// Told only once secured (and, on a private network, a
				// proven member): nothing goes out in the clear.
				defer s.busyWriters.Add(-1)
				tc, _, err := s.guard.Admit(ctx, c, refuseForbidden)
				if err != nil {
					return
				}
				tc.SetWriteDeadline(time.Now().Add(lingerTimeout))
				wire.WriteErr(tc, wire.CodeBusy, "too many connections, try again later")
				lingerClose(tc)
			})
			continue
		}
		wg.Go(func() {
			defer slot.Release()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			tc, _, err := s.guard.Admit(ctx, c, refuseForbidden)
			if err != nil {
				s.log.Debug("Connection not admitted", "peer", c.RemoteAddr().String(), "error", err)
				return
			}
			s.serveConn(ctx, tc, slot)
		})
	}
}

// copyBufs hold the buffers file bytes go through on their way into TLS
// records (of at most 16 KiB each).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// refuseForbidden is a peer's refusal of a connection that has not proven
// membership (secure.Refusal).
func refuseForbidden(w io.Writer, msg string) error {
	return wire.WriteErr(w, wire.CodeForbidden, msg)
}

// remoteIP returns the address c comes from (IPv4-mapped addresses
// unmapped), the unit of the per-IP slots.
func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap()
}

// lingerClose half-closes c, drains what the client still sends for a
// moment and closes it, so a final ERR line is not lost to a reset.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		c.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
	c.Close()
}

// serveConn answers requests on c, in order, until the client leaves, a
// deadline passes or a response cannot be framed any more.
func (s *Server) serveConn(ctx context.Context, c net.Conn, slot *slots.Slot) {
	log := s.log.With("peer", c.RemoteAddr().String())
	defer func() {
		if r := recover(); r != nil {
			log.Error("Panic serving connection", "panic", r, "stack", string(debug.Stack()))
		}
		c.Close()
	}()
	log.Debug("Connection opened")
	h := &connHandler{s: s, c: c, slot: slot, log: log, br: bufio.NewReaderSize(c, 4096), bw: bufio.NewWriterSize(c, 32<<10)}
	h.run(ctx)
	log.Debug("Connection closed")
}

// connHandler is the state of one connection; it is used by one goroutine.
type connHandler struct {
	s      *Server
	c      net.Conn
	slot   *slots.Slot
	log    *slog.Logger
	br     *bufio.Reader
	bw     *bufio.Writer
	errors int
}

func (h *connHandler) run(ctx context.Context) {
	s := h.s
	for {
		// Answers to pipelined requests go out together; flush before
		// waiting for the client.
		if h.br.Buffered() == 0 {
			// Waiting for the client (and then for the rest of its
			// line): this connection may be closed to make room. It
			// waits from before the small answers still buffered go out
			// (a GET's bytes went out while it was busy), so that a
			// client that has read them has waited since then.
			h.slot.Wait()
			if h.bw.Buffered() > 0 && !h.flush(0) {
				return
			}
		}
		h.c.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		if _, err := h.br.Peek(1); err != nil {
			return
		}
		h.c.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
		line, err := wire.ReadLine(h.br, wire.MaxPeerLineBytes)
		if errors.Is(err, wire.ErrLineTooLong) {
			h.fail(wire.Errorf(wire.CodeBadRequest, "request line over %d bytes", wire.MaxPeerLineBytes))
			if h.flush(0) {
				lingerClose(h.c)
			}
			return
		}
		if err != nil || !h.slot.Busy() {
			return
		}
		req, err := wire.ParsePeerRequest(line)
		if err != nil {
			h.fail(err)
			if h.errors >= maxErrorsPerConn {
				h.flush(0)
				return
			}
			continue
		}
		if !h.handle(ctx, req) {
			return
		}
	}
}

// fail writes an ERR answer into the buffer.
func (h *connHandler) fail(err error) {
	h.s.requests.Add(1)
	h.s.errs.Add(1)
	h.errors++
	code := wire.CodeOf(err)
	msg := err.Error()
	var we *wire.Error
	if errors.As(err, &we) {
		msg = we.Msg
	}
	if code == "" {
		code = wire.CodeNotFound
	}
	h.log.Debug("Request failed", "code", code, "error", msg)
	wire.WriteErr(h.bw, code, msg)
}

// flush writes out the buffered answers; payload is how many more bytes the
// deadline must allow for.
func (h *connHandler) flush(payload int64) bool {
	h.c.SetWriteDeadline(time.Now().Add(h.s.writeBudget(int64(h.bw.Buffered()) + payload)))
	if err := h.bw.Flush(); err != nil {
		h.log.Debug("Write failed", "error", err)
		return false
	}
	return true
}

func (s *Server) writeBudget(n int64) time.Duration {
	return s.cfg.WriteTimeout + time.Duration(n/s.cfg.MinWriteRate)*time.Second
}

// send copies a GET's payload from r to the connection through buf, paced
// by the upload limit when there is one: each step is paid for before it
// goes out, and its write deadline starts after the wait.
func (h *connHandler) send(ctx context.Context, r io.Reader, buf []byte) (int64, error) {
	lim := h.s.cfg.Upload
	if lim.Rate() == 0 {
		return io.CopyBuffer(h.c, r, buf)
	}
	var sent int64
	for {
		k, rerr := io.ReadFull(r, buf[:min(len(buf), lim.Step())])
		if k > 0 {
			if err := lim.Wait(ctx, k); err != nil {
				return sent, err
			}
			h.c.SetWriteDeadline(time.Now().Add(h.s.writeBudget(int64(k))))
			w, err := h.c.Write(buf[:k])
			sent += int64(w)
			if err != nil {
				return sent, err
			}
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return sent, nil
		case rerr != nil:
			return sent, rerr
		}
	}
}

// handle answers one valid request; false means close the connection.
func (h *connHandler) handle(ctx context.Context, req wire.PeerRequest) bool {
	it, ok := h.s.cfg.Catalog.Lookup(req.ID)
	if !ok || it.Manifest == nil {
		h.fail(wire.Errorf(wire.CodeNotFound, "%s is not shared here", req.ID[:16]))
		return true
	}
	switch req.Verb {
	case wire.VerbManifest:
		return h.manifest(req.ID, it.Manifest)
	case wire.VerbHave:
		return h.have(it)
	default:
		return h.get(ctx, req, it)
	}
}

func (h *connHandler) manifest(id string, m *wire.Manifest) bool {
	js := h.s.manifestJSON(id, m)
	h.s.requests.Add(1)
	wire.WriteOK(h.bw, int64(len(js)))
	if len(js) > h.bw.Available() {
		if !h.flush(int64(len(js))) {
			return false
		}
	}
	_, err := h.bw.Write(js)
	return err == nil
}

// manifestJSON returns the cached JSON of m.
func (s *Server) manifestJSON(id string, m *wire.Manifest) []byte {
	s.manMu.Lock()
	js, ok := s.manJSON[id]
	s.manMu.Unlock()
	if ok {
		return js
	}
	js, _ = m.MarshalJSON()
	s.manMu.Lock()
	if s.manBytes+len(js) > maxManifestCacheBytes {
		clear(s.manJSON)
		s.manBytes = 0
	}
	if _, ok := s.manJSON[id]; !ok {
		s.manJSON[id] = js
		s.manBytes += len(js)
	}
	s.manMu.Unlock()
	return js
}

func (h *connHandler) have(it Item) bool {
	n := it.Manifest.NumChunks()
	var bf wire.Bitfield
	if it.Have == nil {
		bf = wire.NewBitfield(n)
		for i := range bf {
			bf[i] = 0xff
		}
		if r := n % 8; r != 0 {
			bf[len(bf)-1] = 0xff << (8 - r)
		}
	} else {
		bf = it.Have()
		if !bf.ValidFor(n) {
			h.log.Error("Catalog returned a bitfield of the wrong shape", "chunks", n, "bytes", len(bf))
			h.fail(wire.Errorf(wire.CodeNotFound, "chunk map unavailable"))
			return true
		}
	}
	h.s.requests.Add(1)
	wire.WriteOK(h.bw, int64(len(bf)))
	_, err := h.bw.Write(bf)
	return err == nil
}

func (h *connHandler) get(ctx context.Context, req wire.PeerRequest, it Item) bool {
	m := it.Manifest
	if req.Offset >= m.Size || req.Size > m.Size-req.Offset {
		h.fail(wire.Errorf(wire.CodeRange, "range %d+%d is outside the file of %d bytes", req.Offset, req.Size, m.Size))
		return true
	}
	if it.Have != nil {
		bf := it.Have()
		first := int(req.Offset / m.ChunkSize)
		last := int((req.Offset + req.Size - 1) / m.ChunkSize)
		for i := first; i <= last; i++ {
			if !bf.Has(i) {
				h.fail(wire.Errorf(wire.CodeMissing, "chunk %d is not held here yet", i))
				return true
			}
		}
	}
	f, err := it.Open()
	if err != nil {
		if !errors.Is(err, ErrChanged) {
			h.log.Warn("Cannot open shared file", "id", req.ID, "error", err)
		}
		h.fail(wire.Errorf(wire.CodeNotFound, "%s is not available (changed on disk or unreadable); it is being indexed again", req.ID[:16]))
		return true
	}
	defer f.Close()
	if _, err := f.Seek(req.Offset, io.SeekStart); err != nil {
		h.log.Warn("Cannot seek shared file", "id", req.ID, "error", err)
		h.fail(wire.Errorf(wire.CodeNotFound, "%s is not readable", req.ID[:16]))
		return true
	}
	h.s.requests.Add(1)
	wire.WriteOK(h.bw, req.Size)
	if !h.flush(req.Size) {
		return false
	}
	// Through TLS: read into a pooled buffer, sealed into records.
	buf := copyBufs.Get().(*[]byte)
	n, err := h.send(ctx, io.LimitReader(f, req.Size), *buf)
	copyBufs.Put(buf)
	h.s.bytes.Add(n)
	if err != nil || n != req.Size {
		// The promised size cannot be delivered: the stream is out of
		// frame, so the connection must end.
		if err == nil {
			h.log.Warn("Shared file shorter than indexed; closing connection", "id", req.ID, "sent", n, "promised", req.Size)
			if it.Stale != nil {
				it.Stale()
			}
		} else {
			h.log.Debug("Sending failed", "error", err)
		}
		return false
	}
	h.log.Debug("Served", "id", req.ID, "offset", req.Offset, "size", req.Size)
	return true
}
