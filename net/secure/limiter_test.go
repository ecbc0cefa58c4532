package secure

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// fakeClock is a Limiter clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newTestLimiter(burst, max int) (*Limiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(burst, time.Second, max)
	l.now = clk.now
	return l, clk
}

func TestLimiterBurstAndRefill(t *testing.T) {
	l, clk := newTestLimiter(3, 0)
	ip := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if !l.take(ip) {
			t.Fatalf("attempt %d refused within the burst", i)
		}
	}
	if l.take(ip) {
		t.Fatal("attempt past the burst allowed")
	}
	if !l.take(netip.MustParseAddr("192.0.2.2")) {
		t.Fatal("another address refused: buckets are per source")
	}
	clk.add(999 * time.Millisecond)
	if l.take(ip) {
		t.Fatal("allowed before a token refilled")
	}
	clk.add(time.Millisecond)
	if !l.take(ip) {
		t.Fatal("refused after one interval")
	}
	clk.add(time.Hour)
	for i := range 3 {
		if !l.take(ip) {
			t.Fatalf("attempt %d after a long pause refused: the bucket should be full", i)
		}
	}
	if l.take(ip) {
		t.Fatal("the bucket holds more than its burst")
	}
}

// TestLimiterRefund: members never pay, however many times they connect.
func TestLimiterRefund(t *testing.T) {
	l, _ := newTestLimiter(2, 0)
	ip := netip.MustParseAddr("198.51.100.7")
	for i := range 100 {
		if !l.take(ip) {
			t.Fatalf("successful attempt %d refused", i)
		}
		l.refund(ip)
	}
	l.take(ip)
	l.take(ip)
	if l.take(ip) {
		t.Fatal("refunds overfilled the bucket")
	}
}

func TestLimiterSources(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"fe80::1%eth0", "fe80::1%eth1", true},
	} {
		a, b := source(netip.MustParseAddr(tc.a)), source(netip.MustParseAddr(tc.b))
		if (a == b) != tc.same {
			t.Errorf("source(%s) = %v, source(%s) = %v; same = %v, want %v", tc.a, a, tc.b, b, a == b, tc.same)
		}
	}
}

// TestLimiterBounded: a flood of sources never grows the map past its
// bound; past it, new sources share the overflow bucket, and sources
// whose bucket refilled are forgotten to make room.
func TestLimiterBounded(t *testing.T) {
	l, clk := newTestLimiter(2, 100)
	for i := range 20000 {
		l.take(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
		if n := l.Sources(); n > 100 {
			t.Fatalf("%d sources remembered, bound is 100", n)
		}
	}
	// The overflow bucket is spent: a new source is refused.
	if l.take(netip.MustParseAddr("203.0.113.9")) {
		t.Fatal("a new source got a fresh budget past the bound")
	}
	// Once the remembered buckets refill, they are forgotten and new
	// sources get their own bucket again.
	clk.add(10 * time.Second)
	if !l.take(netip.MustParseAddr("203.0.113.9")) {
		t.Fatal("a new source refused after the flood ended")
	}
	if n := l.Sources(); n != 1 {
		t.Fatalf("%d sources remembered after the sweep, want 1", n)
	}
}

func TestAddrIP(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 1}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1}, "192.0.2.1"},
		{&net.UDPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, "2001:db8::1"},
		{pipeAddr{}, "invalid IP"},
		{nil, "invalid IP"},
	} {
		if got := addrIP(tc.addr).String(); got != tc.want {
			t.Errorf("addrIP(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
