package transfer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/throttle"
	"github.com/enxame/enxame/net/wire"
)

// peerConn is one persistent connection to a peer on which requests are
// pipelined: several GET lines are written ahead and their answers read
// in order. It is owned by one goroutine.
type peerConn struct {
	addr    string
	c       net.Conn // a *tls.Conn
	br      *bufio.Reader
	wbuf    []byte
	timeout time.Duration // no-progress limit for each read or write
	stop    func() bool
	// limit puts the download limit above a reader of the connection.
	limit func(io.Reader) io.Reader
	// reused: the connection came from the pool, idle since its last use.
	reused bool
}

// peerDialer opens connections to peers for one download: secured with
// its credentials (TLS 1.3; on a private network, the membership proofs),
// within dialTimeout, then each read and write bounded by ioTimeout. With
// a pool, it takes an idle connection to the peer first, and release
// gives a connection back to it.
type peerDialer struct {
	cred                   secure.Credentials
	dialTimeout, ioTimeout time.Duration
	limit                  *throttle.Limiter // of every answer read; nil none
	pool                   *connPool         // nil: every connection is new
}

// dialer is the peerDialer of downloads with these options.
func (o Options) dialer() peerDialer {
	return peerDialer{cred: o.Credentials, dialTimeout: o.DialTimeout, ioTimeout: o.RequestTimeout, limit: o.Download, pool: o.pool}
}

// limiter returns the wrapper that puts the download limit, bound to ctx,
// above a reader.
func (pd peerDialer) limiter(ctx context.Context) func(io.Reader) io.Reader {
	return func(r io.Reader) io.Reader { return pd.limit.Reader(ctx, r) }
}

// dial returns a connection to addr, secured: an idle one from the pool
// if there is one, else a new one. It is closed when ctx ends.
func (pd peerDialer) dial(ctx context.Context, addr string) (*peerConn, error) {
	if pc := pd.pool.take(keyOf(addr, pd.cred)); pc != nil {
		pd.bind(ctx, pc)
		return pc, nil
	}
	return pd.dialNew(ctx, addr)
}

// dialNew connects to addr and secures the connection; it is closed when
// ctx ends.
func (pd peerDialer) dialNew(ctx context.Context, addr string) (*peerConn, error) {
	cred, dialTimeout, ioTimeout := pd.cred, pd.dialTimeout, pd.ioTimeout
	d := cred.Dialer("peer")
	d.Timeout = dialTimeout
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err // names the peer
	}
	pc := &peerConn{addr: addr, c: c, timeout: ioTimeout, limit: pd.limiter(ctx)}
	pc.br = bufio.NewReaderSize(pc.limit(c), 16<<10)
	pc.stop = context.AfterFunc(ctx, func() { c.Close() })
	return pc, nil
}

// release gives pc, with nothing in flight and nothing unread, back to the
// pool for the next download from its peer (without a pool, it closes
// it). pc must not be used after.
func (pd peerDialer) release(pc *peerConn) {
	pd.pool.put(keyOf(pc.addr, pd.cred), pc)
}

// redial is called when a request on pc failed at the connection, before
// anything was answered. If pc came from the pool, it died while idle: the
// peer's other idle connections are dropped with it, and a new connection
// is returned to retry on at once. Otherwise it returns nil, and the
// failure stands.
func (pd peerDialer) redial(ctx context.Context, pc *peerConn) *peerConn {
	if !pc.reused || ctx.Err() != nil {
		return nil
	}
	pc.close()
	pd.pool.drop(keyOf(pc.addr, pd.cred))
	fresh, err := pd.dialNew(ctx, pc.addr)
	if err != nil {
		return nil
	}
	return fresh
}

func (pc *peerConn) close() {
	pc.stop()
	pc.c.Close()
}

// queue appends a request line to the write buffer.
func (pc *peerConn) queue(req wire.PeerRequest) { pc.wbuf = req.AppendLine(pc.wbuf) }

// flush writes the queued request lines.
func (pc *peerConn) flush() error {
	if len(pc.wbuf) == 0 {
		return nil
	}
	pc.c.SetWriteDeadline(time.Now().Add(pc.timeout))
	_, err := pc.c.Write(pc.wbuf)
	pc.wbuf = pc.wbuf[:0]
	if err != nil {
		return fmt.Errorf("sending requests to %s: %w", pc.addr, err)
	}
	return nil
}

// status reads the next response's status line: the payload length of an
// OK (at most limit) or the *wire.Error of an ERR.
func (pc *peerConn) status(limit int64) (int64, error) {
	pc.c.SetReadDeadline(time.Now().Add(pc.timeout))
	n, err := wire.ReadStatus(pc.br, limit)
	if err != nil && wire.CodeOf(err) == "" {
		return 0, fmt.Errorf("reading answer from %s: %w", pc.addr, err)
	}
	pc.reused = false // it answered: alive, whatever comes next
	return n, err
}

// body reads exactly len(dst) payload bytes, feeding them to h (if not
// nil) as they arrive. Each read must make progress within the timeout.
func (pc *peerConn) body(dst []byte, h hash.Hash) error {
	got := 0
	for got < len(dst) {
		pc.c.SetReadDeadline(time.Now().Add(pc.timeout))
		n, err := pc.br.Read(dst[got:])
		if n > 0 && h != nil {
			h.Write(dst[got : got+n])
		}
		got += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading data from %s: %w", pc.addr, err)
		}
	}
	return nil
}

// discard skips n payload bytes.
func (pc *peerConn) discard(n int64) error {
	for n > 0 {
		pc.c.SetReadDeadline(time.Now().Add(pc.timeout))
		k, err := pc.br.Discard(int(min(n, 1<<20)))
		n -= int64(k)
		if err != nil {
			return fmt.Errorf("reading data from %s: %w", pc.addr, err)
		}
	}
	return nil
}

// manifest asks for id's manifest and checks it against the id.
func (pc *peerConn) manifest(id string) (*wire.Manifest, error) {
	pc.queue(wire.PeerRequest{Verb: wire.VerbManifest, ID: id})
	if err := pc.flush(); err != nil {
		return nil, err
	}
	n, err := pc.status(wire.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	data := make([]byte, n)
	if err := pc.body(data, nil); err != nil {
		return nil, err
	}
	m, err := wire.ParseManifest(data, id)
	if err != nil {
		return nil, fmt.Errorf("%w from %s: %v", ErrBadManifest, pc.addr, err)
	}
	return m, nil
}

// readHave reads the answer to a HAVE: the peer's bitfield of n chunks.
func (pc *peerConn) readHave(n int) (wire.Bitfield, error) {
	want := int64(len(wire.NewBitfield(n)))
	size, err := pc.status(want)
	if err != nil {
		return nil, err
	}
	bf := make(wire.Bitfield, size)
	if err := pc.body(bf, nil); err != nil {
		return nil, err
	}
	if size != want || !bf.ValidFor(n) {
		return nil, fmt.Errorf("peer %s sent a malformed bitfield", pc.addr)
	}
	return bf, nil
}
