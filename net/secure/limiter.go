package secure

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Defaults of a Guard's Limiter.
const (
	// DefaultFailureBurst is how many failed attempts a source may make at
	// once (and how many handshakes it may have in progress).
	DefaultFailureBurst = 16
	// DefaultFailureInterval gives a source one more allowed failure: 12 a
	// minute once the burst is spent.
	DefaultFailureInterval = 5 * time.Second
	// DefaultMaxSources bounds the sources a Limiter remembers.
	DefaultMaxSources = 4096
)

// Limiter rate-limits failed membership attempts per source: an IPv4
// address, or an IPv6 /64 (one host usually owns a whole /64, and would
// otherwise have 2^64 fresh budgets). Each source has a token bucket of
// Burst tokens refilled one per Interval. An attempt takes a token before
// the exchange starts and gets it back if the attempt succeeds, so that
// members never pay and concurrent attempts cannot overdraw the bucket.
//
// Memory is bounded: when MaxSources sources are remembered, the ones whose
// bucket is full again are forgotten (they carry no information); if none
// is, new sources share one overflow bucket until room is made. An attacker
// with thousands of addresses therefore gets one shared budget, not
// thousands, at the price of members from new addresses waiting on that
// budget during such an attack. A Limiter is safe for concurrent use.
type Limiter struct {
	burst      float64
	interval   time.Duration
	maxSources int
	now        func() time.Time // tests replace it

	mu       sync.Mutex
	buckets  map[netip.Prefix]*bucket
	overflow bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter; zero or negative arguments take the
// defaults above.
func NewLimiter(burst int, interval time.Duration, maxSources int) *Limiter {
	if burst <= 0 {
		burst = DefaultFailureBurst
	}
	if interval <= 0 {
		interval = DefaultFailureInterval
	}
	if maxSources <= 0 {
		maxSources = DefaultMaxSources
	}
	return &Limiter{
		burst:      float64(burst),
		interval:   interval,
		maxSources: maxSources,
		now:        time.Now,
		buckets:    make(map[netip.Prefix]*bucket),
		overflow:   bucket{tokens: float64(burst)},
	}
}

// source is the key of ip's bucket.
func source(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p
	}
	p, _ := ip.Prefix(ip.BitLen()) // an IPv4 /32; the zero prefix if invalid
	return p
}

// take reserves a token for an attempt from ip; false means the source
// is out of tokens and must be refused.
func (l *Limiter) take(ip netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(source(ip), true)
	b.refill(l.now(), l.burst, l.interval)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives back the token of an attempt that succeeded.
func (l *Limiter) refund(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.bucketLocked(source(ip), false); b != nil {
		b.refill(l.now(), l.burst, l.interval)
		b.tokens = min(b.tokens+1, l.burst)
	}
}

// bucketLocked finds (or, with create, makes) the bucket of src.
func (l *Limiter) bucketLocked(src netip.Prefix, create bool) *bucket {
	if b, ok := l.buckets[src]; ok {
		return b
	}
	if !create {
		if len(l.buckets) >= l.maxSources {
			return &l.overflow // the take may have been charged there
		}
		return nil
	}
	if len(l.buckets) >= l.maxSources {
		l.sweepLocked()
	}
	if len(l.buckets) >= l.maxSources {
		return &l.overflow
	}
	b := &bucket{tokens: l.burst, last: l.now()}
	l.buckets[src] = b
	return b
}

// sweepLocked forgets the sources whose bucket has refilled.
func (l *Limiter) sweepLocked() {
	now := l.now()
	for src, b := range l.buckets {
		if b.refill(now, l.burst, l.interval); b.tokens >= l.burst {
			delete(l.buckets, src)
		}
	}
}

func (b *bucket) refill(now time.Time, burst float64, interval time.Duration) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+float64(d)/float64(interval))
	}
	b.last = now
}

// Sources returns how many sources the limiter remembers.
func (l *Limiter) Sources() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// addrIP is the IP of an address (invalid for non-IP addresses, such as
// net.Pipe's, which then share one bucket).
func addrIP(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case nil:
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
