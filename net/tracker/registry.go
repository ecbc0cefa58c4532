package tracker

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// Default registry bounds. See docs/TRACKER.md.
const (
	// DefaultMaxFilesPerPeer is the most files one peer may announce.
	DefaultMaxFilesPerPeer = wire.MaxFilesPerPeer
	// DefaultMaxPeers is the most peers registered at once.
	DefaultMaxPeers = 100_000
	// DefaultMaxIndexedFiles is the most (peer, file) pairs indexed at once.
	DefaultMaxIndexedFiles = 5_000_000
	// DefaultMaxIndexBytes bounds the index's estimated memory (fileCost):
	// long names cost more than short ones.
	DefaultMaxIndexBytes = 4 << 30
	// DefaultMaxPeersPerIP is the most peers registered from one IP (and
	// at most a twentieth of MaxPeers).
	DefaultMaxPeersPerIP = 1024
	// DefaultIPShare is the default per-IP quota as a fraction of a global
	// limit: one address holds at most 1/DefaultIPShare of the peers, the
	// indexed files and the index memory, so at least that many addresses
	// are needed to fill the tracker and lock everyone else out.
	DefaultIPShare = 20
	// DefaultMaxListPeers is the most peers a list answer holds.
	DefaultMaxListPeers = 1000
	// DefaultMaxSearchResults is the most results a search answer holds.
	DefaultMaxSearchResults = 200
	// DefaultMaxResultPeers is the most holders listed per search result.
	DefaultMaxResultPeers = 100
	// maxEvents is how many recent events a Snapshot carries.
	maxEvents = 64
)

// RegistryConfig sets the registry's bounds; zero fields take the defaults.
type RegistryConfig struct {
	PeerTimeout     time.Duration // silence after which a peer is dropped
	MaxFilesPerPeer int
	MaxPeers        int
	MaxIndexedFiles int
	MaxIndexBytes   int64
	MaxPeersPerIP   int
	// MaxIndexedFilesPerIP and MaxIndexBytesPerIP are one IP's quota of
	// (peer, file) pairs and of index memory, over all its registrations;
	// by default a twentieth of MaxIndexedFiles and MaxIndexBytes.
	MaxIndexedFilesPerIP int
	MaxIndexBytesPerIP   int64
	MaxListPeers         int
	MaxSearchResults     int
	MaxResultPeers       int
	Logger               *slog.Logger
}

func (c *RegistryConfig) setDefaults() {
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = wire.DefaultPeerTimeout
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxFilesPerPeer, DefaultMaxFilesPerPeer)
	def(&c.MaxPeers, DefaultMaxPeers)
	def(&c.MaxIndexedFiles, DefaultMaxIndexedFiles)
	def(&c.MaxPeersPerIP, min(DefaultMaxPeersPerIP, max(1, c.MaxPeers/DefaultIPShare)))
	def(&c.MaxIndexedFilesPerIP, max(1, c.MaxIndexedFiles/DefaultIPShare))
	if c.MaxIndexBytes <= 0 {
		c.MaxIndexBytes = DefaultMaxIndexBytes
	}
	if c.MaxIndexBytesPerIP <= 0 {
		c.MaxIndexBytesPerIP = max(1, c.MaxIndexBytes/DefaultIPShare)
	}
	def(&c.MaxListPeers, DefaultMaxListPeers)
	def(&c.MaxSearchResults, DefaultMaxSearchResults)
	def(&c.MaxResultPeers, DefaultMaxResultPeers)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// ipUse is what the registrations of one IP hold, against its quotas.
type ipUse struct {
	peers int
	files int   // (peer, file) pairs
	cost  int64 // fileCost of those files
}

type peer struct {
	addr     netip.AddrPort
	addrStr  string
	token    string
	slots    []uint32 // entries this peer holds
	cost     int64    // fileCost of its files
	lastSeen atomic.Int64
	joined   time.Time
	canHost  bool   // registered with can_host (an extension, listed back)
	name     string // the name it registered with ("" none)
	device   string // the device id of the certificate that registered it ("" none)
}

// registration is what a register request says of the peer beyond its
// address and files, and the device whose connection sent it.
type registration struct {
	canHost bool
	name    string
	device  secure.DeviceID // zero: unknown (a test's direct call)
}

// EventKind says what happened to a peer.
type EventKind string

// Event kinds.
const (
	EventJoined  EventKind = "joined"
	EventUpdated EventKind = "updated"
	EventLeft    EventKind = "left"
	EventExpired EventKind = "expired"
)

// Event is one change in the registry, for the desktop app's activity view.
type Event struct {
	Time  time.Time
	Kind  EventKind
	Addr  string
	Files int
}

// Snapshot is a value copy of the registry's state, cheap to take.
type Snapshot struct {
	Peers   int // registered peers
	Files   int // (peer, file) pairs indexed
	Entries int // distinct (id, name) pairs
	Joins   uint64
	Leaves  uint64
	Expired uint64
	Events  []Event // most recent last, at most 64
}

// Registry is the set of registered peers and the search index over their
// files. It is safe for concurrent use: searches, lists and heartbeats share
// a read lock (a heartbeat only stores an atomic time stamp); register,
// update, unregister and expiry take the write lock.
type Registry struct {
	cfg   RegistryConfig
	log   *slog.Logger
	epoch time.Time

	mu       sync.RWMutex
	byAddr   map[netip.AddrPort]*peer
	byToken  map[string]*peer
	perIP    map[netip.Addr]*ipUse
	cost     int64 // sum of the peers' costs
	ix       *index
	events   [maxEvents]Event
	nEvents  uint64
	joins    uint64
	leaves   uint64
	expiries uint64

	rotate atomic.Uint32 // spreads search holders across answers
}

// NewRegistry returns an empty registry.
func NewRegistry(cfg RegistryConfig) *Registry {
	cfg.setDefaults()
	return &Registry{
		cfg:     cfg,
		log:     cfg.Logger,
		epoch:   time.Now(),
		byAddr:  make(map[netip.AddrPort]*peer),
		byToken: make(map[string]*peer),
		perIP:   make(map[netip.Addr]*ipUse),
		ix:      newIndex(),
	}
}

// Config returns the registry's configuration with defaults filled in.
func (r *Registry) Config() RegistryConfig { return r.cfg }

func (r *Registry) stamp(now time.Time) int64 { return int64(now.Sub(r.epoch)) }

func newToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return short)
	return hex.EncodeToString(b[:])
}

// Register records a peer at addr sharing files and returns its token and
// the address recorded. A peer already registered at addr is replaced and
// its token invalidated.
func (r *Registry) Register(addr netip.AddrPort, files []wire.FileEntry, now time.Time) (token, recorded string, err error) {
	return r.register(addr, files, registration{}, now)
}

// RegisterCanHost is Register for a peer that may take over hosting the
// network's tracker (the can_host extension); List reports it.
func (r *Registry) RegisterCanHost(addr netip.AddrPort, files []wire.FileEntry, now time.Time) (token, recorded string, err error) {
	return r.register(addr, files, registration{canHost: true}, now)
}

func (r *Registry) register(addr netip.AddrPort, files []wire.FileEntry, reg registration, now time.Time) (token, recorded string, err error) {
	if len(files) > r.cfg.MaxFilesPerPeer {
		return "", "", errTooManyFiles
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap().WithZone(""), addr.Port())
	keys := prepareFiles(files)
	p := &peer{addr: addr, addrStr: addr.String(), token: newToken(), joined: now, cost: keysCost(keys),
		canHost: reg.canHost, name: reg.name}
	if !reg.device.IsZero() {
		p.device = reg.device.String()
	}
	p.lastSeen.Store(r.stamp(now))

	r.mu.Lock()
	old := r.byAddr[addr]
	var oldFiles int
	var oldCost int64
	if old != nil {
		oldFiles, oldCost = len(old.slots), old.cost
	}
	switch {
	case old == nil && len(r.byAddr) >= r.cfg.MaxPeers:
		err = errFull
	case old == nil && r.usageLocked(addr.Addr()).peers >= r.cfg.MaxPeersPerIP:
		err = errTooManyPeersIP
	default:
		err = r.checkRoomLocked(addr.Addr(), len(keys)-oldFiles, p.cost-oldCost)
	}
	if err != nil {
		r.mu.Unlock()
		return "", "", err
	}
	if old != nil {
		r.dropLocked(old)
	}
	r.addFilesLocked(p, keys)
	r.byAddr[addr] = p
	r.byToken[p.token] = p
	u := r.useLocked(addr.Addr())
	u.peers++
	u.files += len(keys)
	u.cost += p.cost
	r.cost += p.cost
	r.joins++
	r.eventLocked(now, EventJoined, p)
	peers, total := len(r.byAddr), r.ix.holders
	r.mu.Unlock()

	r.log.Info("Peer joined", "peer", p.addrStr, "files", len(keys), "replaced", old != nil, "peers", peers, "indexedFiles", total)
	return p.token, p.addrStr, nil
}

// Heartbeat marks the token's peer as alive.
func (r *Registry) Heartbeat(token string, now time.Time) error {
	return r.heartbeat([]byte(token), now)
}

// heartbeat is Heartbeat without allocating the token.
func (r *Registry) heartbeat(token []byte, now time.Time) error {
	r.mu.RLock()
	p := r.byToken[string(token)]
	if p != nil {
		p.lastSeen.Store(r.stamp(now))
	}
	r.mu.RUnlock()
	if p == nil {
		return errUnknownPeer
	}
	return nil
}

// Update replaces the token's peer's file list.
func (r *Registry) Update(token string, files []wire.FileEntry, now time.Time) error {
	if len(files) > r.cfg.MaxFilesPerPeer {
		return errTooManyFiles
	}
	keys := prepareFiles(files)
	cost := keysCost(keys)
	r.mu.Lock()
	p := r.byToken[token]
	if p == nil {
		r.mu.Unlock()
		return errUnknownPeer
	}
	p.lastSeen.Store(r.stamp(now))
	if err := r.checkRoomLocked(p.addr.Addr(), len(keys)-len(p.slots), cost-p.cost); err != nil {
		r.mu.Unlock()
		return err
	}
	u := r.useLocked(p.addr.Addr())
	u.files += len(keys) - len(p.slots)
	u.cost += cost - p.cost
	r.updateFilesLocked(p, keys)
	r.cost += cost - p.cost
	p.cost = cost
	r.eventLocked(now, EventUpdated, p)
	peers, total := len(r.byAddr), r.ix.holders
	r.mu.Unlock()

	r.log.Info("Peer updated", "peer", p.addrStr, "files", len(keys), "peers", peers, "indexedFiles", total)
	return nil
}

// Unregister removes the token's peer.
func (r *Registry) Unregister(token string, now time.Time) error {
	r.mu.Lock()
	p := r.byToken[token]
	if p == nil {
		r.mu.Unlock()
		return errUnknownPeer
	}
	r.dropLocked(p)
	r.leaves++
	r.eventLocked(now, EventLeft, p)
	peers, total := len(r.byAddr), r.ix.holders
	r.mu.Unlock()

	r.log.Info("Peer left", "peer", p.addrStr, "files", len(p.slots), "peers", peers, "indexedFiles", total)
	return nil
}

// Expire drops every peer silent for longer than the peer timeout and
// returns how many it dropped.
func (r *Registry) Expire(now time.Time) int {
	cutoff := r.stamp(now) - int64(r.cfg.PeerTimeout)
	r.mu.RLock()
	stale := false
	for _, p := range r.byAddr {
		if p.lastSeen.Load() < cutoff {
			stale = true
			break
		}
	}
	r.mu.RUnlock()
	if !stale {
		return 0
	}

	var gone []*peer
	r.mu.Lock()
	for _, p := range r.byAddr {
		if p.lastSeen.Load() < cutoff {
			gone = append(gone, p)
			r.dropLocked(p)
			r.expiries++
			r.eventLocked(now, EventExpired, p)
		}
	}
	peers, total := len(r.byAddr), r.ix.holders
	r.mu.Unlock()

	for _, p := range gone {
		r.log.Info("Peer expired", "peer", p.addrStr, "files", len(p.slots),
			"silentFor", time.Duration(r.stamp(now)-p.lastSeen.Load()).Round(time.Millisecond),
			"peers", peers, "indexedFiles", total)
	}
	return len(gone)
}

// checkRoomLocked says whether the index, and ip's quota, can take files
// more files of the given extra cost (either may be negative).
func (r *Registry) checkRoomLocked(ip netip.Addr, files int, cost int64) error {
	u := r.usageLocked(ip)
	switch {
	case files > 0 && u.files+files > r.cfg.MaxIndexedFilesPerIP,
		cost > 0 && u.cost+cost > r.cfg.MaxIndexBytesPerIP:
		return errIPQuota
	case files > 0 && r.ix.holders+files > r.cfg.MaxIndexedFiles,
		cost > 0 && r.cost+cost > r.cfg.MaxIndexBytes:
		return errFull
	}
	return nil
}

// usageLocked returns what ip holds now (zero for an unknown IP).
func (r *Registry) usageLocked(ip netip.Addr) ipUse {
	if u := r.perIP[ip]; u != nil {
		return *u
	}
	return ipUse{}
}

// useLocked returns ip's usage record for changing it, creating it
// (dropLocked deletes it again once the IP has no registration).
func (r *Registry) useLocked(ip netip.Addr) *ipUse {
	u := r.perIP[ip]
	if u == nil {
		u = &ipUse{}
		r.perIP[ip] = u
	}
	return u
}

func keysCost(keys []fileKey) int64 {
	var c int64
	for i := range keys {
		c += fileCost(keys[i].name)
	}
	return c
}

// dropLocked removes p from the maps and the index. p.slots is kept so the
// caller can still report how many files p had.
func (r *Registry) dropLocked(p *peer) {
	delete(r.byAddr, p.addr)
	delete(r.byToken, p.token)
	u := r.useLocked(p.addr.Addr())
	u.peers--
	u.files -= len(p.slots)
	u.cost -= p.cost
	if u.peers <= 0 {
		delete(r.perIP, p.addr.Addr())
	}
	r.cost -= p.cost
	for _, s := range p.slots {
		r.ix.removeHolder(p, s)
	}
}

// updateFilesLocked makes p hold exactly keys, touching only what changed:
// files kept keep their entries (a re-announce does not churn the index).
func (r *Registry) updateFilesLocked(p *peer, keys []fileKey) {
	want := make(map[nameKey]int, len(keys))
	for i := range keys {
		want[nameKey{keys[i].id, keys[i].name}] = i
	}
	kept := make([]bool, len(keys))
	slots := p.slots[:0]
	for _, s := range p.slots {
		e := r.ix.at(s)
		if i, ok := want[nameKey{e.id, e.name}]; ok {
			r.ix.setComplete(p, s, keys[i].complete)
			kept[i] = true
			slots = append(slots, s)
		} else {
			r.ix.removeHolder(p, s)
		}
	}
	for i := range keys {
		if !kept[i] {
			slots = append(slots, r.ix.addHolder(p, &keys[i]))
		}
	}
	p.slots = slots
}

func (r *Registry) addFilesLocked(p *peer, keys []fileKey) {
	if cap(p.slots) < len(keys) {
		p.slots = make([]uint32, 0, len(keys))
	}
	for i := range keys {
		p.slots = append(p.slots, r.ix.addHolder(p, &keys[i]))
	}
}

func (r *Registry) eventLocked(now time.Time, kind EventKind, p *peer) {
	r.events[r.nEvents%maxEvents] = Event{Time: now, Kind: kind, Addr: p.addrStr, Files: len(p.slots)}
	r.nEvents++
}

// Snapshot returns the registry's counts and recent events.
func (r *Registry) Snapshot() Snapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := Snapshot{
		Peers:   len(r.byAddr),
		Files:   r.ix.holders,
		Entries: r.ix.live,
		Joins:   r.joins,
		Leaves:  r.leaves,
		Expired: r.expiries,
	}
	n := min(r.nEvents, maxEvents)
	s.Events = make([]Event, 0, n)
	for i := r.nEvents - n; i < r.nEvents; i++ {
		s.Events = append(s.Events, r.events[i%maxEvents])
	}
	return s
}

// View says who is asking, so that answers only hold addresses the asker
// can reach: a peer registered from loopback is handed to an asker that is
// not on loopback under Self, the tracker's own address as that asker sees
// it.
type View struct {
	Remote   netip.Addr // the asker's IP
	Loopback bool       // Remote is a loopback address
	Self     netip.Addr // the tracker's address as the asker sees it
	// Device is the asker's device id (its TLS certificate's); a register
	// binds the name it carries to it.
	Device secure.DeviceID
}

// ViewFor returns the view of an asker at remote talking to the tracker's
// local address.
func ViewFor(remote, local netip.Addr) View {
	remote = remote.Unmap().WithZone("")
	return View{Remote: remote, Loopback: remote.IsLoopback(), Self: local.Unmap().WithZone("")}
}

func (v View) addr(p *peer) string {
	if v.Loopback || !p.addr.Addr().IsLoopback() || !v.Self.IsValid() {
		return p.addrStr
	}
	return netip.AddrPortFrom(v.Self, p.addr.Port()).String()
}

// List returns up to MaxListPeers registered peers.
func (r *Registry) List(v View, now time.Time) wire.ListResponse {
	resp := wire.ListResponse{OK: true}
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := min(len(r.byAddr), r.cfg.MaxListPeers)
	resp.Peers = make([]wire.PeerInfo, 0, n)
	resp.Truncated = len(r.byAddr) > n
	stamp := r.stamp(now)
	for _, p := range r.byAddr {
		if len(resp.Peers) == n {
			break
		}
		resp.Peers = append(resp.Peers, wire.PeerInfo{
			Addr:      v.addr(p),
			Files:     len(p.slots),
			LastSeenS: max(0, stamp-p.lastSeen.Load()) / int64(time.Second),
			CanHost:   p.canHost,
			Name:      p.name,
			Device:    p.device,
		})
	}
	return resp
}

// Search answers q: names that contain every word of q, in any order,
// ignoring case and accents (see fold), or an exact content id; the empty
// query matches every name. Results are ranked exact id, exact name (whole
// name or last path element), then other matches; at most
// MaxSearchResults results with at most MaxResultPeers holders each,
// complete holders first.
func (r *Registry) Search(q string, v View) wire.SearchResponse {
	return r.SearchPage(q, 0, v)
}

// SearchPage is Search without the first offset matches: the next page of
// an answer that was truncated (the "offset" extension). Pages follow
// the index's order, which stays put while nothing registers or leaves;
// a client reading pages dedupes what moved between them.
func (r *Registry) SearchPage(q string, offset int, v View) wire.SearchResponse {
	resp := wire.SearchResponse{OK: true, Results: []wire.SearchResult{}}
	if len(q) > wire.MaxNameBytes {
		// Longer than any name and than an id: nothing can match, and a
		// megabyte-long query must not cost a megabyte of index lookups.
		return resp
	}
	fq := fold(q)
	return r.searchWords(fq, queryWords(fq), offset, v)
}

// searchWords answers the folded query fq, whose names must hold every one
// of words.
func (r *Registry) searchWords(fq string, words []string, offset int, v View) wire.SearchResponse {
	resp := wire.SearchResponse{OK: true, Results: []wire.SearchResult{}}
	limit := r.cfg.MaxSearchResults
	rot := int(r.rotate.Add(1))
	r.mu.RLock()
	defer r.mu.RUnlock()
	complete := r.ix.search(fq, words, func(slot uint32) bool {
		if offset > 0 {
			offset--
			return true
		}
		if len(resp.Results) == limit {
			resp.Truncated = true
			return false
		}
		e := r.ix.at(slot)
		resp.Results = append(resp.Results, wire.SearchResult{
			ID:   hex.EncodeToString(e.id[:]),
			Name: e.name,
			Size: e.size,
		})
		res := &resp.Results[len(resp.Results)-1]
		res.Peers, res.PeersTruncated = r.holdersLocked(e, v, rot)
		res.Hosts = int(e.hosts)
		return true
	})
	if !complete {
		resp.Truncated = true
	}
	return resp
}

// holdersLocked lists up to MaxResultPeers holders of e, complete ones
// first, starting at a rotating offset so that popular files spread their
// downloaders over all holders.
func (r *Registry) holdersLocked(e *entry, v View, rot int) ([]wire.ResultPeer, bool) {
	n := len(e.holders)
	limit := min(n, r.cfg.MaxResultPeers)
	out := make([]wire.ResultPeer, 0, limit)
	start := 0
	if n > limit {
		start = rot % n
	}
	for pass := 0; pass < 2 && len(out) < limit; pass++ {
		want := pass == 0
		for i := 0; i < n && len(out) < limit; i++ {
			h := e.holders[(start+i)%n]
			if h.complete == want {
				out = append(out, wire.ResultPeer{Addr: v.addr(h.p), Complete: h.complete, Name: h.p.name, Device: h.p.device})
			}
		}
	}
	return out, n > limit
}
