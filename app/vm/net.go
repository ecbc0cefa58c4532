package vm

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/handover"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// ShareProgress is the shared folder's index state.
type ShareProgress = share.Progress

// NetStatus is a snapshot of how the app is connected.
type NetStatus struct {
	Tracker    string // address in use ("" none)
	Network    string // the network followed by name ("" none: an address only)
	Instance   string // its discovery instance id, "" until heard
	Hosting    bool
	TookOver   int      // times this app took over hosting after the host left
	HostAddrs  []string // LAN addresses of the embedded tracker
	Registered bool
	// RegisteredWith is the tracker the session registered with.
	RegisteredWith string
	Addr           string // this peer as the tracker sees it
	LastError      string
	PeerErr        error // why the peer (index, chunk server, session) stopped
}

// Net is the engine behind the window: the peer (shared folder index,
// chunk server, tracker session), the download manager and, for a network
// known by name, a hand-over keeper (net/handover) that hosts it (the
// embedded tracker, announced on the LAN) or follows it from tracker to
// tracker, taking over hosting when allowed (Settings.CanHost). Its goroutines stop when the context given to
// StartNet ends; Wait waits for them.
type Net struct {
	log *slog.Logger
	ctx context.Context // the app's root: parent of every part's context
	// disc tunes the LAN announcement of the embedded tracker (tests).
	disc []discovery.Option

	// downloads outlives the peer runs; keys name its downloads.
	downloads *transfer.Manager

	mu       sync.Mutex
	settings Settings
	client   *tracker.Client // the configured tracker, used without a keeper
	keeper   *keeperRun      // nil: joined by address only
	peer     *peerRun
	keys     map[*transfer.Download]string
	byKey    map[string]*transfer.Download
	reqs     map[string]Pending // what each download was asked for
	nextKey  int
	wg       sync.WaitGroup

	// tmu guards where the peer registers; the keeper moves it (from its
	// own goroutine, while n.mu may be held waiting for the keeper).
	// Lock order: mu, then tmu.
	tmu  sync.Mutex
	tgt  target
	node *peer.Node // the running peer's node
}

// target is where the peer registers.
type target struct {
	addr    string
	canHost bool
}

// keeperRun is a running hand-over keeper.
type keeperRun struct {
	k      *handover.Keeper
	cancel context.CancelFunc
	done   chan struct{}
}

// StartNet starts the engine with s. It fails (and leaves nothing
// running) when a listener cannot be opened or a folder is unusable.
func StartNet(ctx context.Context, s Settings, log *slog.Logger, disc ...discovery.Option) (*Net, error) {
	n := &Net{log: log, ctx: ctx, settings: s, disc: disc, keys: map[*transfer.Download]string{}, byKey: map[string]*transfer.Download{}, reqs: map[string]Pending{}}
	n.downloads = transfer.NewManager(transfer.Options{
		Dir:     s.Downloads,
		Tracker: searcher{n},
		Logger:  log.With("component", "transfer"),
		Self:    n.isSelf,
	})
	n.tgt = target{addr: s.Tracker}
	n.client = tracker.NewClient(s.Tracker)
	if s.Host {
		if err := n.startHostLocked(); err != nil {
			n.client.Close()
			n.downloads.Close()
			return nil, err
		}
	} else if s.Network != "" {
		n.followRememberedLocked()
	}
	if err := n.restartPeerLocked(); err != nil {
		n.stopKeeperLocked()
		n.client.Close()
		n.downloads.Close()
		return nil, err
	}
	n.wg.Go(func() { n.downloadsLoop(ctx) })
	context.AfterFunc(ctx, func() {
		n.mu.Lock()
		c := n.client
		n.mu.Unlock()
		c.Close()
	})
	return n, nil
}

// Wait waits for every goroutine of the engine; call after the context
// given to StartNet ended.
func (n *Net) Wait() { n.wg.Wait() }

// setTarget points the peer at addr (the keeper's Join; any goroutine).
func (n *Net) setTarget(addr string, canHost bool) {
	n.tmu.Lock()
	defer n.tmu.Unlock()
	n.tgt = target{addr: addr, canHost: canHost}
	if n.node != nil {
		n.node.SetTracker(addr, canHost) // never blocks
	}
}

// selfAddr is this peer as the tracker recorded it (the keeper's Self).
func (n *Net) selfAddr() string {
	n.tmu.Lock()
	node := n.node
	n.tmu.Unlock()
	if node == nil {
		return ""
	}
	return node.Status().Session.Addr
}

// startHostLocked hosts a network named after this computer: it opens the
// tracker's listener (a busy port fails here) and runs a keeper that
// serves and announces it.
func (n *Net) startHostLocked() error {
	listen := cmpOr(n.settings.HostListen, DefaultHostListen)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("hosting a tracker on %s: %w", listen, err)
	}
	ta := ln.Addr().(*net.TCPAddr)
	addr := ln.Addr().String()
	if ta.IP.IsUnspecified() {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	n.setTarget(addr, false)
	if err := n.startKeeperLocked(discovery.DefaultName(), addr, "", ln); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// followRememberedLocked follows by name the network remembered from the
// last run, its remembered tracker as the first guess: when that tracker
// is gone (its host left while the app was closed), the network heard
// under that name elsewhere on the LAN is joined instead.
func (n *Net) followRememberedLocked() {
	s := n.settings
	if discovery.ValidateName(s.Network) != nil {
		return
	}
	n.log.Info("Following the remembered network by name", "network", s.Network, "tracker", s.Tracker)
	n.setTarget(s.Tracker, s.CanHost)
	if err := n.startKeeperLocked(s.Network, s.Tracker, s.NetworkID, nil); err != nil {
		n.log.Warn("Cannot follow the network", "error", err)
		n.setTarget(s.Tracker, false)
	}
}

// startKeeperLocked follows (and, with ln, hosts) the network name, whose
// tracker is at addr (heard as instance id, when known). The peer is
// already pointed at addr.
func (n *Net) startKeeperLocked(name, addr, id string, ln net.Listener) error {
	k, err := handover.New(handover.Config{
		Network:      name,
		CanHost:      n.settings.CanHost,
		Host:         ln != nil,
		HostListener: ln,
		Tracker:      addr,
		TrackerID:    id,
		Join:         n.setTarget,
		Self:         n.selfAddr,
		HostListen:   cmpOr(n.settings.HostListen, DefaultHostListen),
		Discovery:    n.disc,
		Logger:       n.log,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(n.ctx)
	kr := &keeperRun{k: k, cancel: cancel, done: make(chan struct{})}
	n.wg.Go(func() {
		defer close(kr.done)
		if err := k.Run(ctx); err != nil {
			n.log.Error("Hand-over keeper stopped", "error", err)
		}
	})
	n.keeper = kr
	return nil
}

// stopKeeperLocked stops following the network (and hosting it: the
// tracker's goodbye lets the others take over at once).
func (n *Net) stopKeeperLocked() {
	if n.keeper == nil {
		return
	}
	n.keeper.cancel()
	<-n.keeper.done
	n.keeper = nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SetHosting starts or stops hosting a network here. Starting leaves the
// network in use for a new one named after this computer. Stopping says
// goodbye (another computer that allows it takes over): a network the
// user chose to host is left for the configured tracker (the network the
// app was in before); a network this app hosts because it took over is
// stayed in by name, following whoever hosts it next.
func (n *Net) SetHosting(on bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if on == n.hostingLocked() {
		return nil
	}
	name := ""
	if n.keeper != nil && !n.settings.Host {
		name = n.keeper.k.Status().Network // took over
	}
	n.stopKeeperLocked()
	n.settings.Host = on
	if on {
		if err := n.startHostLocked(); err != nil {
			n.settings.Host = false
			n.setTarget(n.settings.Tracker, false)
			return err
		}
		return nil
	}
	if name == "" {
		n.setTarget(n.settings.Tracker, false)
		return nil
	}
	n.setTarget("", n.settings.CanHost)
	return n.startKeeperLocked(name, "", "", nil)
}

// hostingLocked reports whether the app hosts (or was asked to).
func (n *Net) hostingLocked() bool {
	return n.settings.Host || (n.keeper != nil && n.keeper.k.Status().Hosting)
}

// Join leaves the current network (and stops hosting) for the tracker at
// addr. With the network heard there on the LAN (its name and instance
// id) the app follows that network through hand-overs; without (a nil
// heard), it stays with addr.
func (n *Net) Join(addr string, heard *discovery.Network) error {
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopKeeperLocked()
	n.settings.Host = false
	n.settings.Tracker = addr
	old := n.client
	n.client = tracker.NewClient(addr)
	old.Close()
	if heard == nil || discovery.ValidateName(heard.Name) != nil {
		n.setTarget(addr, false)
		return nil
	}
	n.setTarget(addr, n.settings.CanHost)
	return n.startKeeperLocked(heard.Name, addr, heard.ID, nil)
}

// followHeard starts following by name the network heard at the tracker
// address the app joined by address (typed, remembered, or picked
// nearby), so that it survives its host leaving.
func (n *Net) followHeard(heard []discovery.Network) {
	n.mu.Lock()
	defer n.mu.Unlock()
	addr := n.settings.Tracker
	if n.keeper != nil || n.settings.Host || addr == "" {
		return
	}
	for _, h := range heard {
		if h.Version == discovery.ProtocolVersion && slices.Contains(h.Addrs, addr) && discovery.ValidateName(h.Name) == nil {
			n.log.Info("Following the network by name", "network", h.Name, "tracker", addr)
			n.setTarget(addr, n.settings.CanHost)
			if err := n.startKeeperLocked(h.Name, addr, h.ID, nil); err != nil {
				n.log.Warn("Cannot follow the network", "error", err)
			}
			return
		}
	}
}

// SetCanHost allows or forbids this app to take over hosting, at once.
func (n *Net) SetCanHost(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.settings.CanHost = on
	if n.keeper != nil {
		n.keeper.k.SetCanHost(on)
	}
}

// SetShareDir shares dir instead of the current folder.
func (n *Net) SetShareDir(dir string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	prev := n.settings.ShareDir
	n.settings.ShareDir = dir
	if err := n.restartPeerLocked(); err != nil {
		n.settings.ShareDir = prev
		_ = n.restartPeerLocked()
		return err
	}
	return nil
}

// Status is a snapshot of the connection.
func (n *Net) Status() NetStatus {
	n.mu.Lock()
	kr, p := n.keeper, n.peer
	n.mu.Unlock()
	n.tmu.Lock()
	st := NetStatus{Tracker: n.tgt.addr}
	n.tmu.Unlock()
	var port int
	if kr != nil {
		ks := kr.k.Status()
		st.Tracker, st.Network, st.Hosting, st.TookOver = ks.Tracker, ks.Network, ks.Hosting, ks.TookOver
		st.Instance = ks.Instance
		port = ks.HostPort
	}
	if port != 0 {
		st.HostAddrs = LANAddrs(port)
	}
	if p != nil {
		ss, err := p.sessionStatus()
		st.Registered, st.Addr, st.LastError, st.PeerErr = ss.Registered, ss.Addr, ss.LastError, err
		st.RegisteredWith = ss.Tracker
	}
	return st
}

// keeperStatus is the hand-over keeper's state; false when the app
// follows no network by name.
func (n *Net) keeperStatus() (handover.Status, bool) {
	n.mu.Lock()
	kr := n.keeper
	n.mu.Unlock()
	if kr == nil {
		return handover.Status{}, false
	}
	return kr.k.Status(), true
}

// HostStats is the embedded tracker's view, nil when not hosting.
func (n *Net) HostStats() *tracker.Stats {
	n.mu.Lock()
	kr := n.keeper
	n.mu.Unlock()
	if kr == nil {
		return nil
	}
	st, ok := kr.k.HostStats()
	if !ok {
		return nil
	}
	return &st
}

// ShareDir is the shared folder, "" when none.
func (n *Net) ShareDir() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.settings.ShareDir
}

// ShareProgress is the shared folder's index state.
func (n *Net) ShareProgress() ShareProgress {
	n.mu.Lock()
	p := n.peer
	n.mu.Unlock()
	if p == nil {
		return ShareProgress{}
	}
	return p.shareProgress()
}

// SharedFiles lists what this peer announces.
func (n *Net) SharedFiles() []wire.FileEntry {
	n.mu.Lock()
	p := n.peer
	n.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.sharedFiles()
}

// asker is the tracker in use: the keeper's (which follows hand-overs) or
// the configured one.
type asker interface {
	Search(ctx context.Context, q string) (*wire.SearchResponse, error)
	List(ctx context.Context) (*wire.ListResponse, error)
}

func (n *Net) tracker() asker {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.keeper != nil {
		return n.keeper.k
	}
	return n.client
}

// Search asks the tracker in use.
func (n *Net) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	return n.tracker().Search(ctx, q)
}

// List asks the tracker in use for its peers.
func (n *Net) List(ctx context.Context) (*wire.ListResponse, error) {
	return n.tracker().List(ctx)
}

// Transfers snapshots every download.
func (n *Net) Transfers() []Transfer { return n.transfers() }

// Transfer is one download's key, request and progress.
type Transfer struct {
	Key string
	Req Pending // the name and id it was started with
	transfer.Progress

	download *transfer.Download // for its cells
}

// Download starts fetching the file id shared as name.
func (n *Net) Download(name, id string) (string, error) { return n.download(name, id) }

// Pause, Resume and Cancel act on the download key.
func (n *Net) Pause(key string) error  { return n.act(key, actPause) }
func (n *Net) Resume(key string) error { return n.act(key, actResume) }
func (n *Net) Cancel(key string) error { return n.act(key, actCancel) }

type action int

const (
	actPause action = iota
	actResume
	actCancel
)

// ValidateTrackerAddr checks that addr is host:port with a port in range.
func ValidateTrackerAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return &AddrError{Addr: addr}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return &AddrError{Addr: addr}
	}
	return nil
}

// AddrError is a tracker address that is not host:port.
type AddrError struct{ Addr string }

func (e *AddrError) Error() string {
	return fmt.Sprintf("%q is not a tracker address (host:port)", e.Addr)
}

// LANAddrs lists the addresses others can type to reach port here: every
// up, non-loopback interface address, IPv4 first.
func LANAddrs(port int) []string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			pfx, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := pfx.Addr()
			if ip.IsLoopback() || ip.IsMulticast() {
				continue
			}
			if ip.Is6() && ip.IsLinkLocalUnicast() {
				// needs a zone nobody will type right
				continue
			}
			s := netip.AddrPortFrom(ip, uint16(port)).String()
			if ip.Is4() {
				v4 = append(v4, s)
			} else {
				v6 = append(v6, s)
			}
		}
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return append(v4, v6...)
}
