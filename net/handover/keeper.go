// Package handover keeps a peer in its network when the peer hosting the
// network's tracker leaves: a Keeper follows the network by name on the
// LAN (net/discovery), and when its tracker goes silent one of the peers
// that allow hosting starts an embedded tracker under the same name; the
// others hear it and re-register. The rules (who is chosen, when, and how
// two trackers of one name are reconciled) are in docs/DISCOVERY.md.
package handover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// Timing of the hand-over.
const (
	// DefaultRankDelay is how long each candidate waits per candidate
	// ranked before it: the first starts a tracker at once, the second
	// after DefaultRankDelay if the first has not announced one by then.
	DefaultRankDelay = 3 * time.Second
	// ListInterval and ListPerPeer set how often a peer that allows
	// hosting reads the candidates from the tracker: every ListInterval
	// plus ListPerPeer per peer the network announces (a 1,000-peer network:
	// every 22 s), so the lists cost a big tracker little. Peers that do
	// not allow hosting never ask.
	ListInterval = 2 * time.Second
	ListPerPeer  = 20 * time.Millisecond
	// maxListPeers caps the peer count used for the interval.
	maxListPeers = 10000
	// listTimeout bounds one list request.
	listTimeout = time.Second
)

// ErrConfig is returned by New for an unusable Config.
var ErrConfig = errors.New("invalid hand-over configuration")

// Config configures a Keeper.
type Config struct {
	// Network is the name of the network followed (and hosted).
	Network string
	// CanHost lets this peer be chosen to host when the tracker leaves.
	CanHost bool
	// Host starts hosting the network at once (the first host).
	Host bool
	// Tracker is the tracker in use at start ("" until one is heard).
	Tracker string
	// TrackerID is the discovery instance id of the network heard at
	// Tracker, when known: Tracker is then kept only for that network.
	// Without it, Tracker is taken to belong to the first network heard
	// of the name (as when the caller just found it by discovery).
	TrackerID string
	// Join points the peer at a tracker, registering with canHost. It is
	// called from the Keeper's goroutine and must not block for long
	// (peer.Node.SetTracker fits).
	Join func(addr string, canHost bool)
	// Self returns this peer's address as the tracker recorded it ("" when
	// not registered): its place among the candidates.
	Self func() string
	// HostListen is where a hosted tracker listens; "" means ":0".
	HostListen string
	// HostListener, when set with Host, is the first hosted tracker's
	// listener (opened by the caller, so a busy port fails at once); the
	// Keeper closes it. Later hand-overs listen on HostListen.
	HostListener net.Listener
	// TrackerConfig configures a hosted tracker (its Logger defaults to
	// the Keeper's; its Credentials are the Keeper's).
	TrackerConfig tracker.Config
	// Credentials secure the connections to the network's trackers and
	// those of a hosted tracker.
	Credentials secure.Credentials
	// Secret returns the network secret the tracker in use gave this peer
	// when it registered (a private network's; nil before, or on an open
	// network). With the network key it makes the key that authenticates
	// the network's beacons; a peer that takes over hosting keeps it. nil
	// means none is ever known.
	Secret func() *secure.NetworkSecret
	// RankDelay overrides DefaultRankDelay (tests).
	RankDelay time.Duration
	// Discovery options (port, interfaces) for browsing and announcing.
	Discovery []discovery.Option
	Logger    *slog.Logger
}

// Status is a snapshot of a Keeper.
type Status struct {
	Network  string
	Tracker  string // the tracker in use, "" none
	Hosting  bool
	HostPort int // the hosted tracker's port while Hosting
	// TookOver counts the times this peer started hosting after the
	// tracker left.
	TookOver int
	// LostAt is when the followed tracker was last found gone (zero never).
	LostAt time.Time
	// Candidates is how many peers that allow hosting the tracker listed
	// last (this one included when it allows hosting).
	Candidates int
	// Instance is the discovery instance id of the network followed (its
	// tracker heard on the LAN, or hosted here); "" while none is.
	Instance string
	// Others counts the other trackers heard announcing this network's
	// name that this peer does not follow (another network of the same
	// name, or someone pretending): the faces may warn about them.
	Others int
	// Members counts the former members known (the devices a new host
	// must show to be followed, from the last list): 0 until the tracker
	// in use was listed once.
	Members int
	// Dropped counts the beacons of this network's name not believed: on
	// a private network, those whose MAC fails (forged) or that are not
	// private; on an open one, private look-alikes.
	Dropped int64
}

// Keeper follows one network and takes over hosting it when needed. Create
// it with New, run it with Run; Status, Changed, Search and List may be
// called from any goroutine.
type Keeper struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	status  Status
	client  *tracker.Client // the tracker in use; nil none
	hostSrv *tracker.Server // the hosted tracker; nil none
	canHost bool            // asked by SetCanHost, applied by Run
	setHost chan struct{}   // SetCanHost was called

	// bkey authenticates the network's beacons once the secret is known
	// (private networks); read by the Browser's BeaconCheck.
	bkey    atomic.Pointer[beaconKey]
	dropped atomic.Int64

	// Owned by Run's goroutine.
	browser    *discovery.Browser
	following  string // instance id of the network followed
	adopt      bool   // Config.Tracker is the first network's address
	lost       bool   // the followed tracker is gone: follow former members only
	unheard    bool   // the followed tracker answers but its beacon is not heard
	host       *hostRun
	candidates []wire.PeerInfo   // can_host peers, from the last list
	members    []formerHost      // who may host next: see refreshCandidates
	verified   map[string]bool   // instance id → proved to be a former member
	verifiedAt map[string]string // instance id → its addresses when judged
	answered   time.Time         // when the tracker in use last answered
	elect      *time.Timer       // armed while waiting for our turn to host
}

// beaconKey is the beacon key and the secret it was derived from.
type beaconKey struct {
	secret secure.NetworkSecret
	key    secure.BeaconKey
}

// formerHost is a device the tracker in use listed as able to host (or
// the tracker's own host): only a tracker showing such a device is
// followed after the tracker in use is gone.
type formerHost struct {
	device secure.DeviceID
}

// hostRun is a tracker this peer hosts.
type hostRun struct {
	id       string // its discovery instance id
	tookOver bool   // started by a hand-over, not by the user
	addr     string // where this peer joins it
	port     int
	srv      *tracker.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New checks cfg and returns a Keeper.
func New(cfg Config) (*Keeper, error) {
	if err := discovery.ValidateName(cfg.Network); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if cfg.Join == nil {
		return nil, fmt.Errorf("%w: no Join function", ErrConfig)
	}
	if cfg.Self == nil {
		cfg.Self = func() string { return "" }
	}
	if cfg.HostListen == "" {
		cfg.HostListen = ":0"
	}
	if cfg.RankDelay <= 0 {
		cfg.RankDelay = DefaultRankDelay
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	log := cfg.Logger.With("component", "handover", "network", cfg.Network)
	cfg.TrackerConfig.Credentials = cfg.Credentials
	if cfg.TrackerConfig.Logger == nil {
		cfg.TrackerConfig.Logger = cfg.Logger.With("component", "tracker")
	}
	k := &Keeper{cfg: cfg, log: log, adopt: cfg.Tracker != "",
		canHost: cfg.CanHost, setHost: make(chan struct{}, 1)}
	k.status = Status{Network: cfg.Network, Tracker: cfg.Tracker}
	if cfg.Tracker != "" {
		k.client = tracker.NewClientWith(cfg.Tracker, cfg.Credentials)
	}
	return k, nil
}

// Status returns a snapshot.
func (k *Keeper) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	st := k.status
	st.Dropped = k.dropped.Load()
	return st
}

// HostStats is the hosted tracker's view; ok is false when not hosting.
func (k *Keeper) HostStats() (st tracker.Stats, ok bool) {
	k.mu.Lock()
	srv := k.hostSrv
	k.mu.Unlock()
	if srv == nil {
		return tracker.Stats{}, false
	}
	return srv.Stats(), true
}

// SetCanHost changes whether this peer may be chosen to host, while Run
// runs: the peer registers again with the tracker in use to say so. A
// tracker this peer hosts keeps running either way.
func (k *Keeper) SetCanHost(on bool) {
	k.mu.Lock()
	k.canHost = on
	k.mu.Unlock()
	select {
	case k.setHost <- struct{}{}:
	default:
	}
}

// applyCanHost takes in SetCanHost's value (Run's goroutine).
func (k *Keeper) applyCanHost() {
	k.mu.Lock()
	on := k.canHost
	k.mu.Unlock()
	if on == k.cfg.CanHost {
		return
	}
	k.cfg.CanHost = on
	k.log.Info("Allowing this peer to host changed", "canHost", on)
	if !on {
		k.elect.Stop()
		k.candidates = k.candidates[:0]
		k.update(func(s *Status) { s.Candidates = 0 })
	}
	if cur := k.Status().Tracker; cur != "" && k.host == nil {
		k.cfg.Join(cur, on)
	}
}

func (k *Keeper) update(f func(*Status)) {
	k.mu.Lock()
	f(&k.status)
	k.mu.Unlock()
}

func (k *Keeper) currentClient() (*tracker.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.client == nil {
		return nil, errors.New("no tracker in use (the network's tracker left; a new one is being chosen)")
	}
	return k.client, nil
}

// Search asks the tracker in use (a transfer.Searcher that follows the
// hand-over).
func (k *Keeper) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	c, err := k.currentClient()
	if err != nil {
		return nil, err
	}
	return c.Search(ctx, q)
}

// SearchFrom asks the tracker in use for a page of a search (see
// tracker.Client.SearchFrom).
func (k *Keeper) SearchFrom(ctx context.Context, q string, offset int) (*wire.SearchResponse, error) {
	c, err := k.currentClient()
	if err != nil {
		return nil, err
	}
	return c.SearchFrom(ctx, q, offset)
}

// List asks the tracker in use for its peers.
func (k *Keeper) List(ctx context.Context) (*wire.ListResponse, error) {
	c, err := k.currentClient()
	if err != nil {
		return nil, err
	}
	return c.List(ctx)
}

// Run follows the network until ctx ends, hosting it when chosen; it then
// stops a hosted tracker (its goodbye tells the others at once) and
// returns nil. It fails only when Config.Host is set and the tracker
// cannot listen. When browsing cannot start (the discovery port is taken)
// it logs a warning and keeps the tracker in use, and a hosted one,
// without hand-overs.
func (k *Keeper) Run(ctx context.Context) error {
	defer func() {
		if k.cfg.HostListener != nil {
			k.cfg.HostListener.Close() // never used: Run failed first
		}
		k.stopHost()
		k.mu.Lock()
		if k.client != nil {
			k.client.Close()
		}
		k.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k.verified, k.verifiedAt = map[string]bool{}, map[string]string{}
	k.browser = discovery.NewBrowser(k.log, append(slices.Clone(k.cfg.Discovery), discovery.WithBeaconCheck(k.believe))...)
	var wg sync.WaitGroup
	defer wg.Wait()
	browseErr := make(chan error, 1)
	wg.Go(func() { browseErr <- k.browser.Run(ctx) })
	defer cancel() // before wg.Wait

	if k.cfg.Host {
		if err := k.startHost(ctx); err != nil {
			return err
		}
	}
	k.elect = time.NewTimer(time.Hour)
	k.elect.Stop()
	defer k.elect.Stop()
	list := time.NewTimer(ListInterval)
	defer list.Stop()
	blind := false // browsing failed
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-browseErr:
			if err == nil {
				return nil
			}
			// Without discovery the tracker in use (or hosted) stays as
			// it is; only the hand-over is lost.
			k.log.Warn("Cannot follow the network on the LAN; no hand-over if its host leaves", "error", err)
			browseErr, blind = nil, true
			k.elect.Stop()
		case <-k.browser.Changed():
			k.evaluate(ctx)
		case <-list.C:
			if !blind {
				k.refreshCandidates(ctx)
				k.evaluate(ctx)
			}
			list.Reset(k.listEvery())
		case <-k.elect.C:
			k.electionDue(ctx)
		case <-k.setHost:
			k.applyCanHost()
		}
	}
}

// named returns the networks heard with our name that speak our version.
func (k *Keeper) named() []discovery.Network {
	var out []discovery.Network
	for _, n := range k.browser.Networks() {
		if n.Name == k.cfg.Network && n.Version == discovery.ProtocolVersion && len(n.Addrs) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// netKey orders networks of one name: the lowest first address wins a
// split brain (IPv4 before IPv6, as Browser sorts addresses).
func netKey(n discovery.Network) netip.AddrPort {
	ap, err := netip.ParseAddrPort(n.Addrs[0])
	if err != nil {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), 65535)
	}
	return ap
}

func compareNets(a, b discovery.Network) int {
	ka, kb := netKey(a), netKey(b)
	if ka.Addr().Is4() != kb.Addr().Is4() {
		if ka.Addr().Is4() {
			return -1
		}
		return 1
	}
	return cmp.Or(ka.Compare(kb), cmp.Compare(a.ID, b.ID))
}

// evaluate applies the rules to what the browser hears now (see the
// package comment and docs/DISCOVERY.md): a tracker that still answers is
// never left, whatever is heard; once it is gone, only a former member
// is followed, proving it is (its device, and on a private network the
// membership proof).
func (k *Keeper) evaluate(ctx context.Context) {
	k.learnSecret()
	nets := k.named()
	defer k.countOthers()
	if k.host != nil {
		k.evaluateHosting(ctx, nets)
		return
	}
	if k.following != "" {
		if i := slices.IndexFunc(nets, func(n discovery.Network) bool { return n.ID == k.following }); i >= 0 {
			k.elect.Stop()
			k.unheard = false
			k.follow(nets[i])
			return
		}
		// Its beacon is gone (a goodbye, or silence): gone only if the
		// tracker does not answer either, for a goodbye can be forged.
		if k.answers(ctx) {
			if !k.unheard { // said once, not at every list
				k.unheard = true
				k.log.Info("The network's beacon is gone but its tracker answers; staying", "tracker", k.Status().Tracker)
			}
			return
		}
		k.unheard = false
		k.lose()
	}
	if !k.lost {
		// Not following yet: the network the caller named (its instance
		// id, or the one heard at its tracker's address), else the first.
		if len(nets) > 0 && !k.keepUnheard(ctx, nets) {
			k.follow(k.pick(nets))
		}
		return
	}
	slices.SortFunc(nets, compareNets)
	for _, n := range nets {
		if k.formerMember(ctx, n) {
			k.elect.Stop()
			k.lost = false
			k.follow(n)
			return
		}
	}
}

// countOthers updates Status.Others from what is heard now.
func (k *Keeper) countOthers() {
	others := 0
	for _, n := range k.named() {
		if n.ID != k.following {
			others++
		}
	}
	k.update(func(s *Status) { s.Others = others })
}

// pick chooses among the networks of our name heard while not following
// any: the one Config.TrackerID names, else one heard at Config.Tracker,
// else the one with the lowest address.
func (k *Keeper) pick(nets []discovery.Network) discovery.Network {
	if i := slices.IndexFunc(nets, func(n discovery.Network) bool { return n.ID == k.cfg.TrackerID }); k.cfg.TrackerID != "" && i >= 0 {
		return nets[i]
	}
	if cur := k.Status().Tracker; cur != "" {
		if i := slices.IndexFunc(nets, func(n discovery.Network) bool { return slices.Contains(n.Addrs, cur) }); i >= 0 {
			return nets[i]
		}
	}
	return slices.MinFunc(nets, compareNets)
}

// keepUnheard reports whether the tracker the caller started with should
// be kept although it is not among nets: it answers, and none of nets is
// the network the caller named. A beacon of our name from elsewhere does
// not move a peer off a tracker that works.
func (k *Keeper) keepUnheard(ctx context.Context, nets []discovery.Network) bool {
	cur := k.Status().Tracker
	if cur == "" {
		return false
	}
	for _, n := range nets {
		if n.ID == k.cfg.TrackerID || slices.Contains(n.Addrs, cur) {
			return false
		}
	}
	return k.answers(ctx)
}

// lose records that the followed tracker is gone and, when this peer may
// host, arms its turn.
func (k *Keeper) lose() {
	k.setFollowing("")
	k.lost = true
	now := time.Now()
	k.log.Warn("The network's tracker is gone")
	k.setClient("")
	k.update(func(s *Status) { s.Tracker = ""; s.LostAt = now })
	if !k.cfg.CanHost {
		return
	}
	rank := k.rank()
	delay := time.Duration(rank) * k.cfg.RankDelay
	k.log.Info("Candidate to host the network", "rank", rank, "candidates", len(k.candidates), "wait", delay)
	k.elect.Reset(delay)
}

// evaluateHosting applies the rules while this peer hosts: its own
// tracker answers, so it stays, except in one case. Two candidates may
// both start hosting after a hand-over (neither heard the other in time);
// the one that took over yields to another that has the lower address
// and proves it is a former member. A network the user chose to host here
// never yields to anything heard.
func (k *Keeper) evaluateHosting(ctx context.Context, nets []discovery.Network) {
	i := slices.IndexFunc(nets, func(n discovery.Network) bool { return n.ID == k.host.id })
	if i < 0 {
		return // our own beacon not heard yet: nothing to compare
	}
	own := nets[i]
	for _, n := range nets {
		if n.ID == own.ID || compareNets(n, own) >= 0 {
			continue
		}
		if !k.host.tookOver || !k.formerMember(ctx, n) {
			if _, seen := k.verified[n.ID]; !seen {
				k.log.Warn("Another tracker announces this network's name; staying", "other", n.Addrs[0], "own", own.Addrs[0])
				k.verified[n.ID] = false
			}
			continue
		}
		k.log.Warn("Two former members host this network; leaving to the one with the lower address", "other", n.Addrs[0], "own", own.Addrs[0])
		k.stopHost()
		k.follow(n)
		return
	}
}

// electionDue runs when our turn to host came: host unless a former
// member has started hosting meanwhile (strangers announcing the name do
// not count).
func (k *Keeper) electionDue(ctx context.Context) {
	if k.host != nil {
		return
	}
	k.evaluate(ctx)
	if !k.lost || k.host != nil {
		return
	}
	if err := k.startHost(ctx); err != nil {
		k.log.Warn("Cannot host the network", "error", err)
		// Let the next candidate try; try again after everyone's turn.
		k.elect.Reset(time.Duration(len(k.candidates)+1) * k.cfg.RankDelay)
		return
	}
	k.host.tookOver = true
	k.update(func(s *Status) { s.TookOver++ })
}

// answerEvery bounds how often answers asks the tracker: within it, the
// last answer stands.
const answerEvery = time.Second

// answers reports whether the tracker in use answers a list request now.
func (k *Keeper) answers(ctx context.Context) bool {
	if time.Since(k.answered) < answerEvery {
		return true
	}
	c, err := k.currentClient()
	if err != nil {
		return false
	}
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	if _, err := c.List(lctx); err != nil {
		k.log.Debug("The tracker does not answer", "tracker", c.Addr(), "error", err)
		return false
	}
	k.answered = time.Now()
	return true
}

// formerMember reports whether network n is hosted by a former member:
// its tracker answers (on a private network, after the membership proof)
// with the certificate of a device the tracker in use listed (see
// refreshCandidates). The device is what counts, not the address: TLS
// proves the tracker holds that device's key. A yes is kept per
// instance; a no until the network is heard at other addresses.
func (k *Keeper) formerMember(ctx context.Context, n discovery.Network) bool {
	seen := strings.Join(n.Addrs, " ")
	if v, ok := k.verified[n.ID]; ok && (v || k.verifiedAt[n.ID] == seen) {
		return v
	}
	ok := false
	for _, a := range n.Addrs {
		c := tracker.NewClientWith(a, k.cfg.Credentials)
		lctx, cancel := context.WithTimeout(ctx, listTimeout)
		_, err := c.List(lctx)
		cancel()
		dev := c.Device()
		c.Close()
		if err != nil {
			k.log.Debug("Cannot ask a tracker of the network's name", "tracker", a, "error", err)
			continue
		}
		ok = slices.ContainsFunc(k.members, func(m formerHost) bool { return m.device == dev })
		break // it answered: its device decides
	}
	if len(k.verified) >= maxVerified {
		clear(k.verified)
		clear(k.verifiedAt)
	}
	k.verified[n.ID], k.verifiedAt[n.ID] = ok, seen
	if !ok {
		k.log.Warn("Not following a tracker that was not a member of the network", "tracker", n.Addrs[0], "instance", n.ID)
	}
	return ok
}

// maxVerified bounds the verdicts kept (a flood of beacons of our name).
const maxVerified = 64

// believe is the Browser's BeaconCheck: on an open network, any beacon of
// our name but a private one (another network); on a private one, only
// private beacons, and once the secret is known only those whose MAC
// checks. Before the secret is known the membership proof made on
// connecting is what tells a real tracker from a fake.
func (k *Keeper) believe(name string, private bool, signed, mac []byte) bool {
	if name != k.cfg.Network {
		return true
	}
	ok := false
	switch bk := k.bkey.Load(); {
	case !k.cfg.Credentials.Private():
		ok = !private
	case !private:
	default:
		ok = bk == nil || bk.key.Verify(signed, mac)
	}
	if !ok {
		k.dropped.Add(1)
	}
	return ok
}

// learnSecret takes in the network secret: the hosted tracker's while
// hosting, else the one the tracker in use gave (Config.Secret).
func (k *Keeper) learnSecret() {
	if !k.cfg.Credentials.Private() {
		return
	}
	var s *secure.NetworkSecret
	if k.host != nil {
		if v, ok := k.host.srv.Secret(); ok {
			s = &v
		}
	} else if k.cfg.Secret != nil {
		s = k.cfg.Secret()
	}
	if s == nil {
		return
	}
	if cur := k.bkey.Load(); cur != nil && cur.secret == *s {
		return
	}
	k.bkey.Store(&beaconKey{secret: *s, key: secure.DeriveBeaconKey(k.cfg.Credentials.Key, *s)})
	k.log.Debug("Beacons of the network are now checked with its key")
}

// rank is this peer's place among the candidates: those the tracker
// listed with can_host, ordered by address. Not listed (yet): last.
func (k *Keeper) rank() int {
	self, err := netip.ParseAddrPort(k.cfg.Self())
	if err != nil {
		return len(k.candidates)
	}
	addrs := []netip.AddrPort{self}
	for _, p := range k.candidates {
		if ap, err := netip.ParseAddrPort(p.Addr); err == nil && ap != self {
			addrs = append(addrs, ap)
		}
	}
	slices.SortFunc(addrs, func(a, b netip.AddrPort) int {
		if a.Addr().Is4() != b.Addr().Is4() {
			if a.Addr().Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	return slices.Index(addrs, self)
}

// listEvery is the wait before the next candidate list.
func (k *Keeper) listEvery() time.Duration {
	peers := 0
	for _, n := range k.named() {
		if n.ID == k.following {
			peers = min(n.Peers, maxListPeers)
		}
	}
	return ListInterval + time.Duration(peers)*ListPerPeer
}

// refreshCandidates reads the peers from the tracker in use: those listed
// with can_host are the candidates to host (ranked when it is gone); they
// and the tracker's own host are the members a peer may follow next.
// Every peer reads them, those that never host too, so that all of them
// can tell a former member from a stranger.
func (k *Keeper) refreshCandidates(ctx context.Context) {
	if k.following == "" || k.host != nil {
		return
	}
	c, err := k.currentClient()
	if err != nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	resp, err := c.List(lctx)
	if err != nil {
		k.log.Debug("Listing candidates failed", "error", err)
		return
	}
	k.answered = time.Now()
	k.candidates = k.candidates[:0]
	k.members = k.members[:0]
	for _, p := range resp.Peers {
		if !p.CanHost {
			continue
		}
		k.candidates = append(k.candidates, p)
		if dev, err := secure.ParseDeviceID(p.Device); err == nil {
			k.members = append(k.members, formerHost{device: dev})
		}
	}
	if dev := c.Device(); !dev.IsZero() {
		k.members = append(k.members, formerHost{device: dev})
	}
	if !k.cfg.CanHost {
		k.candidates = k.candidates[:0]
	}
	k.update(func(s *Status) { s.Candidates, s.Members = len(k.candidates), len(k.members) })
}

// follow makes n the network in use, joining it unless already there. It
// is called again as n's addresses change, and moves to a better one
// (IPv4 before IPv6, link-local last: a tracker records peers without
// their zone, so link-local addresses are useless to the other peers).
func (k *Keeper) follow(n discovery.Network) {
	same := k.following == n.ID
	cur := k.Status().Tracker
	// The address the caller started with belongs to the first network
	// heard (the CLI found it by discovery), even before it is heard there.
	adopt := k.adopt && !same && (k.cfg.TrackerID == "" || k.cfg.TrackerID == n.ID)
	ours := cur != "" && (slices.Contains(n.Addrs, cur) || adopt)
	k.adopt = false
	if !same {
		k.setFollowing(n.ID)
		k.candidates = k.candidates[:0] // this tracker's list replaces them
	}
	best := n.Addrs[0]
	if ours && addrRank(cur) <= addrRank(best) {
		if !same {
			k.log.Info("Following the network's tracker", "tracker", cur, "instance", n.ID)
			k.refreshCandidates(context.Background())
		}
		return
	}
	k.log.Info("Following the network's tracker", "tracker", best, "instance", n.ID)
	k.setClient(best)
	k.cfg.Join(best, k.cfg.CanHost)
	k.update(func(s *Status) { s.Tracker = best })
	if !same {
		k.refreshCandidates(context.Background()) // know the members at once
	}
}

// addrRank orders tracker addresses by how good they are to use.
func addrRank(s string) int {
	ap, err := netip.ParseAddrPort(s)
	switch {
	case err != nil:
		return 3
	case ap.Addr().Unmap().Is4():
		return 0
	case !ap.Addr().IsLinkLocalUnicast():
		return 1
	default:
		return 2
	}
}

// setFollowing records the network followed.
func (k *Keeper) setFollowing(id string) {
	k.following = id
	k.update(func(s *Status) { s.Instance = id })
}

// setClient makes addr the tracker Search and List ask; the same address
// keeps its client, so that questions in flight are not cut short.
func (k *Keeper) setClient(addr string) {
	k.mu.Lock()
	if k.client != nil && k.client.Addr() == addr {
		k.mu.Unlock()
		return
	}
	old := k.client
	k.client = nil
	if addr != "" {
		k.client = tracker.NewClientWith(addr, k.cfg.Credentials)
	}
	k.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// startHost starts a tracker under the network's name, announces it, and
// joins it.
func (k *Keeper) startHost(ctx context.Context) error {
	ln := k.cfg.HostListener
	k.cfg.HostListener = nil
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", k.cfg.HostListen); err != nil {
			return fmt.Errorf("hosting the network on %s: %w", k.cfg.HostListen, err)
		}
	}
	port := ln.Addr().(*net.TCPAddr).Port
	addr := ln.Addr().String()
	if ip := ln.Addr().(*net.TCPAddr).IP; ip.IsUnspecified() {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	tc := k.cfg.TrackerConfig
	if bk := k.bkey.Load(); bk != nil {
		tc.Secret = bk.secret // the network's beacons keep their key
	}
	h := &hostRun{id: discovery.NewInstanceID(), addr: addr, port: port, srv: tracker.NewServer(tc)}
	hctx, cancel := context.WithCancel(ctx)
	h.cancel = cancel
	h.wg.Go(func() {
		if err := h.srv.Serve(hctx, ln); err != nil {
			k.log.Error("Hosted tracker stopped", "error", err)
		}
	})
	h.wg.Go(func() {
		a := discovery.Announcement{Name: k.cfg.Network, Port: port, Peers: func() int { return h.srv.Stats().Peers }}
		if secret, ok := h.srv.Secret(); ok {
			a.MAC = secure.DeriveBeaconKey(k.cfg.Credentials.Key, secret).MAC
		}
		opts := append(slices.Clone(k.cfg.Discovery), discovery.WithInstanceID(h.id))
		if err := discovery.Announce(hctx, a, k.log, opts...); err != nil {
			k.log.Warn("Not announcing the network on the LAN", "error", err)
		}
	})
	k.host = h
	k.lost = false
	k.learnSecret()
	k.setFollowing(h.id)
	k.mu.Lock()
	k.hostSrv = h.srv
	k.mu.Unlock()
	k.log.Info("Hosting the network", "port", port, "instance", h.id)
	k.setClient(addr)
	k.cfg.Join(addr, false) // a host is no candidate while it hosts
	k.update(func(s *Status) { s.Tracker, s.Hosting, s.HostPort = addr, true, port })
	return nil
}

// stopHost stops the hosted tracker (its goodbye tells browsers at once).
func (k *Keeper) stopHost() {
	h := k.host
	if h == nil {
		return
	}
	h.cancel()
	h.wg.Wait()
	k.host = nil
	k.mu.Lock()
	k.hostSrv = nil
	k.mu.Unlock()
	k.setFollowing("")
	k.update(func(s *Status) { s.Hosting, s.HostPort = false, 0 })
}
