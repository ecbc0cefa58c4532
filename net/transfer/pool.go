package transfer

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/secure"
)

// A connPool keeps the connections to peers that downloads finished with,
// idle, for the next download from the same peer. A folder of a thousand
// small files is a thousand downloads from the same few holders: pooled,
// it costs a handful of TLS handshakes instead of two per file (one for the
// manifest, one for the chunks), on both ends.
//
// Only a connection with nothing in flight and nothing unread goes back to
// the pool. One that died while idle (the peer closed it, evicted it to
// make room, restarted) is caught by a look at the socket when it is taken
// (on Unix), and otherwise fails on its first request: the callers then
// drop the peer's idle connections and dial afresh at once (see
// peerDialer.redial), so a dead pooled connection never costs a backoff.
type connPool struct {
	mu     sync.Mutex
	idle   map[poolKey][]idleConn
	n      int
	prune  *time.Timer
	closed bool
	now    func() time.Time
	alive  func(net.Conn) bool // a seam for tests
	// dead counts the idle connections found dead (by a look when taken,
	// or by a failed first request).
	dead atomic.Int64
}

// poolKey is what makes a connection fit for another download: the same
// peer address, reached with the same credentials.
type poolKey struct {
	addr string
	id   *secure.Identity
	key  *secure.NetworkKey
}

type idleConn struct {
	pc    *peerConn
	since time.Time
}

const (
	// poolIdlePerPeer bounds the idle connections kept to one peer: a
	// folder runs up to 16 files at once. A peer serves at most
	// MaxConnsPerIP (16 by default, 8 at least) connections from one
	// host, and closes idle ones to make room for new ones (net/peer).
	poolIdlePerPeer = 16
	// poolIdleMax bounds the idle connections kept in all.
	poolIdleMax = 64
	// poolIdleTimeout: an idle connection is closed after this long, well
	// before a peer's idle timeout (2 minutes, net/peer) closes it.
	poolIdleTimeout = 30 * time.Second
)

func newConnPool() *connPool {
	return &connPool{idle: map[poolKey][]idleConn{}, now: time.Now, alive: alive}
}

func keyOf(addr string, cred secure.Credentials) poolKey {
	return poolKey{addr: addr, id: cred.Identity, key: cred.Key}
}

// take returns an idle connection to k that still looks alive, or nil.
// The connection is bound to nothing: the caller rebinds it.
func (p *connPool) take(k poolKey) *peerConn {
	if p == nil {
		return nil
	}
	for {
		p.mu.Lock()
		list := p.idle[k]
		if len(list) == 0 {
			p.mu.Unlock()
			return nil
		}
		ic := list[len(list)-1] // the most recently used
		p.setLocked(k, list[:len(list)-1])
		p.mu.Unlock()
		if p.now().Sub(ic.since) >= poolIdleTimeout {
			ic.pc.c.Close()
			continue
		}
		if !p.alive(ic.pc.c) {
			p.dead.Add(1)
			ic.pc.c.Close()
			continue
		}
		return ic.pc
	}
}

// put keeps pc, which has nothing in flight and nothing unread, for the
// next download from its peer; pc must not be used after. It closes pc
// instead when the pool is full or closed, or when pc's context already
// ended (and closed it).
func (p *connPool) put(k poolKey, pc *peerConn) {
	if !pc.stop() || p == nil || len(pc.wbuf) > 0 || pc.br.Buffered() > 0 {
		pc.c.Close()
		return
	}
	pc.c.SetDeadline(time.Time{})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.n >= poolIdleMax || len(p.idle[k]) >= poolIdlePerPeer {
		pc.c.Close()
		return
	}
	p.setLocked(k, append(p.idle[k], idleConn{pc: pc, since: p.now()}))
	if p.prune == nil {
		p.prune = time.AfterFunc(poolIdleTimeout, p.pruneIdle)
	}
}

// drop closes every idle connection to k: one of them was found dead,
// and the others, idle as long, are likely dead too.
func (p *connPool) drop(k poolKey) {
	if p == nil {
		return
	}
	p.dead.Add(1)
	p.mu.Lock()
	list := p.idle[k]
	p.setLocked(k, nil)
	p.mu.Unlock()
	for _, ic := range list {
		ic.pc.c.Close()
	}
}

// setLocked sets k's idle list, keeping the count.
func (p *connPool) setLocked(k poolKey, list []idleConn) {
	p.n += len(list) - len(p.idle[k])
	if len(list) == 0 {
		delete(p.idle, k)
		return
	}
	p.idle[k] = list
}

// pruneIdle closes the connections idle for poolIdleTimeout, and runs
// again while some are left.
func (p *connPool) pruneIdle() {
	var stale []*peerConn
	p.mu.Lock()
	now := p.now()
	for k, list := range p.idle {
		keep := list[:0]
		for _, ic := range list {
			if now.Sub(ic.since) >= poolIdleTimeout {
				stale = append(stale, ic.pc)
			} else {
				keep = append(keep, ic)
			}
		}
		p.setLocked(k, keep)
	}
	if p.n > 0 && !p.closed {
		p.prune.Reset(poolIdleTimeout / 2)
	} else {
		p.prune = nil
	}
	p.mu.Unlock()
	for _, pc := range stale {
		pc.c.Close()
	}
}

// close closes every idle connection; later puts close theirs.
func (p *connPool) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	all := p.idle
	p.idle, p.n = map[poolKey][]idleConn{}, 0
	if p.prune != nil {
		p.prune.Stop()
		p.prune = nil
	}
	p.mu.Unlock()
	for _, list := range all {
		for _, ic := range list {
			ic.pc.c.Close()
		}
	}
}

// idleCount is how many connections the pool holds (for tests).
func (p *connPool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// bind ties a pooled connection to ctx for its new user: closed when ctx
// ends, its reads under the download limit of ctx.
func (pd peerDialer) bind(ctx context.Context, pc *peerConn) {
	pc.timeout = pd.ioTimeout
	pc.reused = true
	pc.limit = pd.limiter(ctx)
	pc.br.Reset(pc.limit(pc.c))
	c := pc.c
	pc.stop = context.AfterFunc(ctx, func() { c.Close() })
}
