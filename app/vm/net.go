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
	Hosting    bool
	HostAddrs  []string // LAN addresses of the embedded tracker
	Registered bool
	Addr       string // this peer as the tracker sees it
	LastError  string
	PeerErr    error // why the peer (index, chunk server, session) stopped
}

// Net is the engine behind the window: an optional embedded tracker, the
// peer (shared folder index, chunk server, tracker session) and the
// download manager. Its goroutines stop when the context given to
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
	client   *tracker.Client
	host     *hostRun
	peer     *peerRun
	keys     map[*transfer.Download]string
	byKey    map[string]*transfer.Download
	reqs     map[string]Pending // what each download was asked for
	nextKey  int
	wg       sync.WaitGroup
}

// hostRun is a running embedded tracker.
type hostRun struct {
	srv    *tracker.Server
	port   int
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
	if s.Host {
		if err := n.startHost(); err != nil {
			return nil, err
		}
	}
	n.client = tracker.NewClient(n.trackerAddrLocked())
	if err := n.restartPeerLocked(); err != nil {
		n.stopHost()
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

// trackerAddrLocked is the tracker to join: the embedded one on loopback
// when hosting, else the configured one.
func (n *Net) trackerAddrLocked() string {
	if n.host != nil {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.host.port))
	}
	return n.settings.Tracker
}

func (n *Net) startHost() error {
	listen := n.settings.HostListen
	if listen == "" {
		listen = DefaultHostListen
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("hosting a tracker on %s: %w", listen, err)
	}
	srv := tracker.NewServer(tracker.Config{Logger: n.log.With("component", "tracker")})
	ctx, cancel := context.WithCancel(n.ctx)
	h := &hostRun{srv: srv, port: ln.Addr().(*net.TCPAddr).Port, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ctx, ln); err != nil {
			n.log.Error("Embedded tracker stopped", "error", err)
		}
	})
	// Computers on the LAN see the network without typing its address.
	wg.Go(func() {
		a := discovery.Announcement{Port: h.port, Peers: func() int { return srv.Stats().Peers }}
		if err := discovery.Announce(ctx, a, n.log, n.disc...); err != nil {
			n.log.Warn("Not announcing the network on the LAN", "error", err)
		}
	})
	n.wg.Go(func() {
		defer close(h.done)
		wg.Wait()
	})
	n.host = h
	return nil
}

func (n *Net) stopHost() {
	if n.host == nil {
		return
	}
	n.host.cancel()
	<-n.host.done
	n.host = nil
}

// SetHosting starts or stops the embedded tracker and rejoins: hosting
// joins the embedded tracker, stopping rejoins the configured one.
func (n *Net) SetHosting(on bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if on == (n.host != nil) {
		return nil
	}
	if on {
		if err := n.startHost(); err != nil {
			return err
		}
	} else {
		n.stopHost()
	}
	n.settings.Host = on
	return n.rejoinLocked()
}

// Join leaves the current tracker (and stops hosting) for addr.
func (n *Net) Join(addr string) error {
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopHost()
	n.settings.Host = false
	n.settings.Tracker = addr
	return n.rejoinLocked()
}

// rejoinLocked points the client and the peer's session at the tracker now
// in use.
func (n *Net) rejoinLocked() error {
	old := n.client
	n.client = tracker.NewClient(n.trackerAddrLocked())
	old.Close()
	return n.restartPeerLocked()
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
	st := NetStatus{Tracker: n.trackerAddrLocked(), Hosting: n.host != nil}
	var port int
	if n.host != nil {
		port = n.host.port
	}
	p := n.peer
	n.mu.Unlock()
	if port != 0 {
		st.HostAddrs = LANAddrs(port)
	}
	if p != nil {
		ss, err := p.sessionStatus()
		st.Registered, st.Addr, st.LastError, st.PeerErr = ss.Registered, ss.Addr, ss.LastError, err
	}
	return st
}

// HostStats is the embedded tracker's view, nil when not hosting.
func (n *Net) HostStats() *tracker.Stats {
	n.mu.Lock()
	h := n.host
	n.mu.Unlock()
	if h == nil {
		return nil
	}
	st := h.srv.Stats()
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

func (n *Net) tracker() *tracker.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
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
