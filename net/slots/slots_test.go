package slots

import (
	"net/netip"
	"sync"
	"testing"
)

type closer struct{ closed bool }

func (c *closer) Close() error { c.closed = true; return nil }

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestPerIPAndTotal(t *testing.T) {
	tb := New(4, 2)
	var cs []*closer
	take := func(addr string) (*Slot, bool) {
		c := &closer{}
		cs = append(cs, c)
		return tb.Acquire(ip(addr), c)
	}
	a1, _ := take("10.0.0.1")
	a2, _ := take("10.0.0.1")
	a1.Busy()
	a2.Busy()
	if _, ok := take("10.0.0.1"); ok {
		t.Fatal("a third slot for one address while its two are busy")
	}
	a2.Wait()
	a3, ok := take("10.0.0.1")
	if !ok || !cs[1].closed || tb.Len() != 2 {
		t.Fatalf("at its own limit an address replaces its waiting connection: ok %v, closed %v, len %d", ok, cs[1].closed, tb.Len())
	}
	if a2.Busy() {
		t.Fatal("an evicted slot reports it is still held")
	}
	a2.Release() // a no-op now
	a3.Busy()
	b1, _ := take("10.0.0.2")
	b1.Busy()
	b2, _ := take("10.0.0.2")
	b2.Busy()
	if _, ok := take("10.0.0.3"); ok {
		t.Fatal("a slot beyond the total while every connection is busy")
	}
	a1.Release()
	if _, ok := take("10.0.0.3"); !ok || tb.Len() != 4 || tb.Evicted() != 1 {
		t.Fatalf("a released slot is not reused: len %d, evicted %d", tb.Len(), tb.Evicted())
	}
}

// TestVictimOrder: the waiting connection of the address holding the most
// slots goes first, the longest waiting among them; busy ones never.
func TestVictimOrder(t *testing.T) {
	tb := New(6, 6)
	slot := func(addr string) (*Slot, *closer) {
		c := &closer{}
		s, ok := tb.Acquire(ip(addr), c)
		if !ok {
			t.Fatalf("no slot for %s", addr)
		}
		return s, c
	}
	_, light := slot("10.0.0.1") // waiting longest, but its address holds one slot
	h1, heavy1 := slot("10.0.0.9")
	_, heavy2 := slot("10.0.0.9")
	h3, heavy3 := slot("10.0.0.9")
	slot("10.0.0.2")
	slot("10.0.0.3")
	h1.Busy()
	h3.Wait()
	if _, ok := tb.Acquire(ip("10.0.0.4"), &closer{}); !ok {
		t.Fatal("no room made")
	}
	if !heavy2.closed || heavy1.closed || heavy3.closed || light.closed {
		t.Fatalf("closed: light %v, heavy busy %v, heavy longest waiting %v, heavy newest %v", light.closed, heavy1.closed, heavy2.closed, heavy3.closed)
	}
}

func TestConcurrent(t *testing.T) {
	tb := New(8, 3)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				s, ok := tb.Acquire(netip.AddrFrom4([4]byte{10, 0, 0, byte(g % 5)}), &closer{})
				if !ok {
					continue
				}
				if i%2 == 0 {
					s.Busy()
				}
				s.Wait()
				s.Release()
			}
		})
	}
	wg.Wait()
	if tb.Len() != 0 || len(tb.byIP) != 0 {
		t.Fatalf("%d slots and %d addresses left", tb.Len(), len(tb.byIP))
	}
}
