// Package slots shares a server's connection slots out fairly: at most so
// many connections at once, and from one IP address, and when they run
// short the connections that have waited longest for a request make room
// for new ones (PROTOCOL §4, "Room for everyone"). The tracker and the
// chunk server both use it.
package slots

import (
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Table hands out connection slots. When a connection finds none free,
// the table frees one by closing a connection that is waiting for its
// client (idle between requests, or receiving a request line that has not
// finished): first from the address that holds the most slots, and among
// those the one waiting longest. A connection busy with a request (a
// complete request line being answered) is never closed to make room. So
// a few hosts holding hundreds of idle sockets cannot lock anyone out: a
// newcomer from another address takes the slot of one of theirs at once.
// It is safe for concurrent use.
type Table struct {
	max, perIP int

	mu   sync.Mutex
	all  map[*Slot]struct{}
	byIP map[netip.Addr]int

	evicted atomic.Int64
}

// Slot is one connection's place in a Table.
type Slot struct {
	t     *Table
	ip    netip.Addr
	c     io.Closer
	since time.Time // when it started waiting; zero while busy (guarded by t.mu)
	gone  bool      // released or evicted (guarded by t.mu)
}

// New returns a table of max slots, at most perIP of them for one address.
func New(max, perIP int) *Table {
	return &Table{max: max, perIP: perIP, all: map[*Slot]struct{}{}, byIP: map[netip.Addr]int{}}
}

// Acquire takes a slot for a connection from ip, closing c when the slot
// is later taken back to make room. The new slot starts waiting (for the
// client's first request). It returns false when every slot it could
// free is busy: the caller refuses the connection.
func (t *Table) Acquire(ip netip.Addr, c io.Closer) (*Slot, bool) {
	t.mu.Lock()
	var victim *Slot
	switch {
	case t.byIP[ip] >= t.perIP:
		// This address is at its own limit: only one of its own may go.
		victim = t.victimLocked(func(s *Slot) bool { return s.ip == ip })
	case len(t.all) >= t.max:
		victim = t.victimLocked(nil)
	}
	if (t.byIP[ip] >= t.perIP || len(t.all) >= t.max) && victim == nil {
		t.mu.Unlock()
		return nil, false
	}
	if victim != nil {
		t.dropLocked(victim)
	}
	s := &Slot{t: t, ip: ip, c: c, since: time.Now()}
	t.all[s] = struct{}{}
	t.byIP[ip]++
	t.mu.Unlock()
	if victim != nil {
		t.evicted.Add(1)
		victim.c.Close() // its handler sees the close and releases (a no-op now)
	}
	return s, true
}

// victimLocked returns the waiting slot (among those ok accepts, all when
// ok is nil) of the address holding the most slots that has waited
// longest, or nil when none waits.
func (t *Table) victimLocked(ok func(*Slot) bool) *Slot {
	var best *Slot
	for s := range t.all {
		if s.since.IsZero() || ok != nil && !ok(s) {
			continue
		}
		if best == nil {
			best = s
			continue
		}
		if n, m := t.byIP[s.ip], t.byIP[best.ip]; n > m || n == m && s.since.Before(best.since) {
			best = s
		}
	}
	return best
}

func (t *Table) dropLocked(s *Slot) {
	s.gone = true
	delete(t.all, s)
	if t.byIP[s.ip]--; t.byIP[s.ip] <= 0 {
		delete(t.byIP, s.ip)
	}
}

// Len returns the slots taken.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.all)
}

// Evicted returns how many connections were closed to make room.
func (t *Table) Evicted() int64 { return t.evicted.Load() }

// Wait marks the connection as waiting for its client: between requests,
// or while a request line is still arriving. It may now be closed to make
// room.
func (s *Slot) Wait() {
	s.t.mu.Lock()
	if !s.gone {
		s.since = time.Now()
	}
	s.t.mu.Unlock()
}

// Busy marks the connection as answering a complete request: it is not
// closed to make room until it waits again. It returns false when the
// slot was already taken back (the connection is closed).
func (s *Slot) Busy() bool {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	s.since = time.Time{}
	return !s.gone
}

// Release gives the slot back; the caller closes the connection. It may
// be called more than once, and after the slot was taken back.
func (s *Slot) Release() {
	s.t.mu.Lock()
	if !s.gone {
		s.t.dropLocked(s)
	}
	s.t.mu.Unlock()
}
