package discovery

import (
	"cmp"
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Browser capacity limits; see docs/DISCOVERY.md.
const (
	// MaxNetworks is the most networks a Browser remembers; past it the
	// one heard from least recently is forgotten.
	MaxNetworks = 256
	// MaxNetworksPerSource is the most networks one source IP may have
	// in a Browser at once; past it that source's oldest is forgotten,
	// so one noisy host cannot push everyone else out.
	MaxNetworksPerSource = 8
	// MaxAddrsPerNetwork is the most addresses kept for one network.
	MaxAddrsPerNetwork = 8

	// queryRetry is when the browser asks a second time, in case the
	// first query or its answers were lost.
	queryRetry = time.Second
	// refreshInterval is how often the interface list is re-read (an
	// announcer re-reads it before each beacon).
	refreshInterval = 2 * time.Second
	// expireTick is how often silent networks are looked for.
	expireTick = time.Second
)

// Network is one tracker heard on the LAN.
type Network struct {
	// ID tells apart trackers announcing the same name; it changes when
	// a tracker restarts.
	ID string
	// Name is the network's name, validated (see ValidateName).
	Name string
	// Addrs are "ip:port" strings to dial, IPv4 first, then IPv6
	// (link-local ones with their zone, "[fe80::1%eth0]:7077").
	Addrs []string
	// Version is the tracker protocol version it speaks.
	Version int
	// Peers is the peer count it last announced.
	Peers int
	// LastSeen is when it was last heard.
	LastSeen time.Time
	// Private says the network has a passphrase: its beacons carry a MAC
	// that only members can check (see WithBeaconCheck).
	Private bool
}

// Browser keeps a live list of the networks nearby. Create it with
// NewBrowser, start it with Run; Networks and Changed may be called from
// any goroutine, before, during and after Run.
type Browser struct {
	logger  *slog.Logger
	opts    options
	changed chan struct{}

	mu   sync.Mutex
	nets map[string]*entry // by instance id
}

// entry is one network as the browser holds it.
type entry struct {
	id       string
	name     string
	version  int
	peers    int
	lastSeen time.Time
	private  bool
	source   netip.Addr                   // first address heard from, for the per-source cap
	addrs    map[netip.AddrPort]time.Time // each with when it was last heard
}

// NewBrowser returns a Browser; it hears nothing until Run. A nil logger
// logs nothing.
func NewBrowser(logger *slog.Logger, opts ...Option) *Browser {
	return &Browser{
		logger:  orDiscard(logger).With("component", "discovery"),
		opts:    newOptions(opts),
		changed: make(chan struct{}, 1),
		nets:    map[string]*entry{},
	}
}

// Run listens for beacons until ctx ends, then returns nil. It asks the
// announcers nearby to announce at once (so networks appear within
// milliseconds, not an AnnounceInterval), follows interfaces that come
// and go, and drops networks silent for ExpireAfter. On a host with no
// LAN it simply hears nothing. It returns an error only when no socket can
// be opened at all. Run may be called once.
func (b *Browser) Run(ctx context.Context) error {
	c, err := openConn(ctx, b.opts, b.logger)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.read(func(d datagram) { b.handle(d, b.opts.now()) }) })
	defer func() {
		c.close()
		wg.Wait()
	}()

	query, err := message{Kind: kindQuery}.encode(nil)
	if err != nil {
		return err
	}
	c.refresh()
	if ifs := c.interfaces(); len(ifs) > 0 {
		b.logger.Debug("Browsing for networks", "interfaces", ifs)
	} else {
		b.logger.Debug("No LAN interface to browse on yet")
	}
	if b.opts.ready != nil {
		b.opts.ready()
	}
	c.send(query)

	retry := time.After(queryRetry)
	expire := time.NewTicker(expireTick)
	defer expire.Stop()
	refresh := time.NewTicker(refreshInterval)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-retry:
			c.send(query)
		case <-expire.C:
			b.expire(b.opts.now())
		case <-refresh.C:
			if c.refresh() {
				b.logger.Debug("Browsing for networks", "interfaces", c.interfaces())
				c.send(query)
			}
		}
	}
}

// Changed returns a channel that receives a value after the list of
// networks changed (a network appeared, left, or changed name, peers or
// addresses; not on mere refreshes). Signals coalesce: read Networks after
// each one. One channel serves all callers: use one reader.
func (b *Browser) Changed() <-chan struct{} { return b.changed }

// Networks returns a snapshot of the networks heard, sorted by name, then id.
func (b *Browser) Networks() []Network {
	b.mu.Lock()
	nets := make([]Network, 0, len(b.nets))
	for _, e := range b.nets {
		nets = append(nets, e.snapshot())
	}
	b.mu.Unlock()
	slices.SortFunc(nets, func(x, y Network) int {
		return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.ID, y.ID))
	})
	return nets
}

func (e *entry) snapshot() Network {
	aps := make([]netip.AddrPort, 0, len(e.addrs))
	for ap := range e.addrs {
		aps = append(aps, ap)
	}
	slices.SortFunc(aps, func(x, y netip.AddrPort) int {
		return cmp.Or(cmp.Compare(addrRank(x.Addr()), addrRank(y.Addr())), x.Compare(y))
	})
	addrs := make([]string, len(aps))
	for i, ap := range aps {
		addrs[i] = ap.String()
	}
	return Network{ID: e.id, Name: e.name, Addrs: addrs, Version: e.version, Peers: e.peers, LastSeen: e.lastSeen, Private: e.private}
}

// addrRank orders addresses by how good they are to dial.
func addrRank(a netip.Addr) int {
	switch {
	case a.Is4():
		return 0
	case !a.IsLinkLocalUnicast():
		return 1
	default:
		return 2
	}
}

// handle applies one datagram heard at now.
func (b *Browser) handle(d datagram, now time.Time) {
	b.mu.Lock()
	changed := b.handleLocked(d, now)
	b.mu.Unlock()
	if changed {
		b.signal()
	}
}

func (b *Browser) handleLocked(d datagram, now time.Time) bool {
	m := d.msg
	switch m.Kind {
	case kindBye:
		e, ok := b.nets[m.ID]
		if !ok || !e.heardFrom(d.src) {
			return false // only the tracker's own host may say goodbye
		}
		if !b.believe(e.name, m) {
			return false
		}
		delete(b.nets, m.ID)
		b.logger.Debug("Network left", "network", e.name, "instance", e.id)
		return true
	case kindAnnounce:
	default:
		return false
	}
	if !b.believe(m.Name, m) {
		return false
	}
	ap := netip.AddrPortFrom(d.src, uint16(m.Port))
	e, ok := b.nets[m.ID]
	if !ok {
		b.makeRoomLocked(d.src)
		e = &entry{id: m.ID, source: d.src, addrs: map[netip.AddrPort]time.Time{}}
		b.nets[m.ID] = e
		b.logger.Debug("Network found", "network", m.Name, "instance", m.ID, "addr", ap)
	}
	changed := !ok || e.name != m.Name || e.version != m.Version || e.peers != m.Peers || e.private != m.Private
	e.name, e.version, e.peers, e.lastSeen, e.private = m.Name, m.Version, m.Peers, now, m.Private
	if _, known := e.addrs[ap]; !known {
		changed = true
		if len(e.addrs) >= MaxAddrsPerNetwork {
			delete(e.addrs, oldest(e.addrs))
		}
	}
	e.addrs[ap] = now
	return changed
}

// believe applies the BeaconCheck, if any, to an announce or bye of the
// network name.
func (b *Browser) believe(name string, m message) bool {
	if b.opts.check == nil {
		return true
	}
	ok := b.opts.check(name, m.Private, m.signed, m.MAC)
	if !ok {
		b.logger.Debug("Beacon not believed", "network", name, "instance", m.ID, "kind", m.Kind, "private", m.Private)
	}
	return ok
}

// heardFrom reports whether the network was announced from ip.
func (e *entry) heardFrom(ip netip.Addr) bool {
	for ap := range e.addrs {
		if ap.Addr() == ip {
			return true
		}
	}
	return false
}

// makeRoomLocked forgets a network if a new one from src would break a cap.
func (b *Browser) makeRoomLocked(src netip.Addr) {
	var oldestAll, oldestSrc *entry
	fromSrc := 0
	for _, e := range b.nets {
		if oldestAll == nil || e.lastSeen.Before(oldestAll.lastSeen) {
			oldestAll = e
		}
		if e.source == src {
			fromSrc++
			if oldestSrc == nil || e.lastSeen.Before(oldestSrc.lastSeen) {
				oldestSrc = e
			}
		}
	}
	switch {
	case fromSrc >= MaxNetworksPerSource:
		delete(b.nets, oldestSrc.id)
	case len(b.nets) >= MaxNetworks:
		delete(b.nets, oldestAll.id)
	}
}

func oldest(m map[netip.AddrPort]time.Time) netip.AddrPort {
	var k netip.AddrPort
	var t time.Time
	for ap, seen := range m {
		if t.IsZero() || seen.Before(t) {
			k, t = ap, seen
		}
	}
	return k
}

// expire drops networks, and addresses of networks, silent for
// ExpireAfter at now.
func (b *Browser) expire(now time.Time) {
	changed := false
	b.mu.Lock()
	for id, e := range b.nets {
		if now.Sub(e.lastSeen) > ExpireAfter {
			delete(b.nets, id)
			b.logger.Debug("Network went silent", "network", e.name, "instance", id)
			changed = true
			continue
		}
		for ap, seen := range e.addrs {
			if now.Sub(seen) > ExpireAfter {
				delete(e.addrs, ap)
				changed = true
			}
		}
	}
	b.mu.Unlock()
	if changed {
		b.signal()
	}
}

func (b *Browser) signal() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// FindSettle is how long Find keeps listening after the first network
// named as asked, to catch others of the same name.
const FindSettle = 300 * time.Millisecond

// Find browses for up to wait and returns the networks named name (every
// network when name is "") that speak ProtocolVersion. It returns early,
// FindSettle after the first match, when name is given. None found is not
// an error: it returns an empty list. WithSettle makes it return early
// when name is "" too. It fails only when browsing cannot
// start at all, or with ctx's error when ctx ends first.
func Find(ctx context.Context, name string, wait time.Duration, logger *slog.Logger, opts ...Option) ([]Network, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	b := NewBrowser(logger, opts...)
	settleAfter := b.opts.settle
	if name != "" && (settleAfter <= 0 || settleAfter > FindSettle) {
		settleAfter = FindSettle
	}
	errc := make(chan error, 1)
	go func() { errc <- b.Run(ctx) }()

	matches := func() []Network {
		var out []Network
		for _, n := range b.Networks() {
			if (name == "" || n.Name == name) && n.Version == ProtocolVersion {
				out = append(out, n)
			}
		}
		return out
	}
	var settle <-chan time.Time
	for {
		select {
		case err := <-errc:
			if err != nil {
				return nil, err
			}
			if err := parent.Err(); err != nil {
				return nil, err
			}
			return matches(), nil
		case <-b.Changed():
			if settleAfter > 0 && settle == nil && len(matches()) > 0 {
				settle = time.After(settleAfter)
			}
		case <-settle:
			cancel()
			<-errc
			return matches(), nil
		}
	}
}
