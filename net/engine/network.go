package engine

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/handover"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// keeperRun is a running hand-over keeper.
type keeperRun struct {
	k      *handover.Keeper
	cancel context.CancelFunc
	done   chan struct{}
}

// setTarget points the node at addr. It is the keeper's Join, so it runs
// on the keeper's goroutine too: it takes only mu and never blocks.
func (e *Engine) setTarget(addr string, canHost bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.target = target{addr: addr, canHost: canHost}
	if e.node != nil {
		e.node.node.SetTracker(addr, canHost) // never blocks
	}
}

// selfAddr is this peer as the tracker recorded it (the keeper's Self).
func (e *Engine) selfAddr() string {
	e.mu.Lock()
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return ""
	}
	return nr.node.Status().Session.Addr
}

// networkSecret is the secret the tracker in use gave at registration (a
// private network's; the keeper's Secret).
func (e *Engine) networkSecret() *secure.NetworkSecret {
	e.mu.Lock()
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return nil
	}
	return nr.node.Status().Session.Secret
}

// startHost hosts the network (named Config.Network, or after this
// computer): it opens the tracker's listener, so a busy port fails here,
// and runs a keeper that serves and announces it.
func (e *Engine) startHost() error {
	listen := cmp.Or(e.cfg.HostListen, DefaultHostListen)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("hosting the network: listening on %s: %w", listen, err)
	}
	ta := ln.Addr().(*net.TCPAddr)
	addr := ln.Addr().String()
	if ta.IP.IsUnspecified() {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	e.setTarget(addr, false)
	name := cmp.Or(e.cfg.Network, discovery.DefaultName())
	if err := e.startKeeper(name, addr, "", ln); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// followRemembered follows Config.Network by name, Config.Tracker as the
// first guess: when that tracker is gone (its host left while this
// computer was off), the network heard under that name elsewhere on the
// LAN is joined instead.
func (e *Engine) followRemembered() {
	c := e.cfg
	if discovery.ValidateName(c.Network) != nil {
		return
	}
	e.log.Info("Following the network by name", "network", c.Network, "tracker", c.Tracker)
	e.setTarget(c.Tracker, c.CanHost)
	if err := e.startKeeper(c.Network, c.Tracker, c.NetworkID, nil); err != nil {
		e.log.Warn("Cannot follow the network", "error", err)
		e.setTarget(c.Tracker, false)
	}
}

// startKeeper follows (and, with ln, hosts) the network name, whose
// tracker is at addr (heard as instance id, when known). The node is
// already pointed at addr.
func (e *Engine) startKeeper(name, addr, id string, ln net.Listener) error {
	e.mu.Lock()
	canHost := e.cfg.CanHost
	e.mu.Unlock()
	k, err := handover.New(handover.Config{
		Network:       name,
		CanHost:       canHost,
		Host:          ln != nil,
		HostListener:  ln,
		Tracker:       addr,
		TrackerID:     id,
		Join:          e.setTarget,
		Self:          e.selfAddr,
		Secret:        e.networkSecret,
		HostListen:    cmp.Or(e.cfg.HostListen, DefaultHostListen),
		TrackerConfig: e.cfg.HostTracker,
		Credentials:   e.cred,
		Discovery:     e.disc,
		Logger:        e.log,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(e.ctx)
	kr := &keeperRun{k: k, cancel: cancel, done: make(chan struct{})}
	e.wg.Go(func() {
		defer close(kr.done)
		if err := k.Run(ctx); err != nil {
			e.log.Error("Hand-over keeper stopped", "error", err)
			if ctx.Err() == nil {
				e.fail(err)
			}
		}
	})
	e.mu.Lock()
	e.keeper = kr
	e.mu.Unlock()
	return nil
}

// stopKeeper stops following the network (and hosting it: the tracker's
// goodbye lets the others take over at once). Hold cmd (or be Start).
func (e *Engine) stopKeeper() {
	e.mu.Lock()
	kr := e.keeper
	e.keeper = nil
	e.mu.Unlock()
	if kr == nil {
		return
	}
	kr.cancel()
	<-kr.done
}

// Host starts or stops hosting a network here. Starting leaves the
// network in use for a new one named after this computer. Stopping says
// goodbye (another computer that allows it takes over): a network the
// user chose to host is left for the tracker joined before; a network
// this engine hosts because it took over is stayed in by name, following
// whoever hosts it next.
func (e *Engine) Host(on bool) error {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	kr, asked := e.keeper, e.cfg.Host
	e.mu.Unlock()
	hosting, tookOver := asked, ""
	if kr != nil {
		ks := kr.k.Status()
		hosting = hosting || ks.Hosting
		if !asked {
			tookOver = ks.Network
		}
	}
	if on == hosting {
		return nil
	}
	e.stopKeeper()
	e.mu.Lock()
	e.cfg.Host = on
	if on {
		e.cfg.Network = "" // a new network, named after this computer
	}
	joined := e.cfg.Tracker
	e.mu.Unlock()
	if on {
		if err := e.startHost(); err != nil {
			e.mu.Lock()
			e.cfg.Host = false
			e.mu.Unlock()
			e.setTarget(joined, false)
			return err
		}
		return nil
	}
	if tookOver == "" {
		e.setTarget(joined, false)
		return nil
	}
	e.mu.Lock()
	canHost := e.cfg.CanHost
	e.mu.Unlock()
	e.setTarget("", canHost)
	return e.startKeeper(tookOver, "", "", nil)
}

// Join leaves the current network (and stops hosting) for the tracker at
// addr. With the network heard there on the LAN (its name and instance
// id) the engine follows that network through hand-overs; without (nil),
// it stays with addr.
func (e *Engine) Join(addr string, heard *discovery.Network) error {
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return ErrClosed
	}
	e.stopKeeper()
	e.mu.Lock()
	e.cfg.Host = false
	e.cfg.Tracker = addr
	e.cfg.Network = ""
	old := e.client
	e.client = tracker.NewClientWith(addr, e.cred)
	canHost := e.cfg.CanHost
	e.mu.Unlock()
	old.Close()
	if heard == nil || discovery.ValidateName(heard.Name) != nil {
		e.setTarget(addr, false)
		return nil
	}
	e.setTarget(addr, canHost)
	return e.startKeeper(heard.Name, addr, heard.ID, nil)
}

// Probe asks the tracker at addr for its peers, with this engine's
// credentials, and reports whether it answered: a face checks an address
// the user typed before joining it.
func (e *Engine) Probe(ctx context.Context, addr string) error {
	return ProbeTracker(ctx, addr, e.cred.Identity, e.cred.Key)
}

// FollowHeard starts following by name the network heard on the LAN at
// the tracker joined by address (typed, remembered, or picked nearby), so
// that the engine survives its host leaving. It does nothing while hosting
// or already following a network.
func (e *Engine) FollowHeard(heard []discovery.Network) {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	e.mu.Lock()
	addr, busy, canHost := e.cfg.Tracker, e.keeper != nil || e.cfg.Host, e.cfg.CanHost
	e.mu.Unlock()
	if busy || addr == "" || e.closed() {
		return
	}
	for _, h := range heard {
		if h.Version == discovery.ProtocolVersion && slices.Contains(h.Addrs, addr) && discovery.ValidateName(h.Name) == nil {
			e.log.Info("Following the network by name", "network", h.Name, "tracker", addr)
			e.setTarget(addr, canHost)
			if err := e.startKeeper(h.Name, addr, h.ID, nil); err != nil {
				e.log.Warn("Cannot follow the network", "error", err)
			}
			return
		}
	}
}

// SetCanHost allows or forbids this peer to take over hosting, at once.
func (e *Engine) SetCanHost(on bool) {
	e.mu.Lock()
	e.cfg.CanHost = on
	kr := e.keeper
	e.mu.Unlock()
	if kr != nil {
		kr.k.SetCanHost(on)
	}
}

// asker is the tracker in use: the keeper's (which follows hand-overs) or
// the one joined by address.
type asker interface {
	Search(ctx context.Context, q string) (*wire.SearchResponse, error)
	SearchFrom(ctx context.Context, q string, offset int) (*wire.SearchResponse, error)
	List(ctx context.Context) (*wire.ListResponse, error)
}

func (e *Engine) tracker() asker {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.keeper != nil {
		return e.keeper.k
	}
	return e.client
}

// Search asks the tracker in use.
func (e *Engine) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	return e.tracker().Search(ctx, q)
}

// SearchAll asks the tracker in use for every match of q, page by page
// while answers are truncated (the "offset" extension), at most maxResults
// in all; results seen on an earlier page are not repeated. complete is
// false when matches were left out: the cap was reached, or the tracker
// does not page (it answered a page with nothing new).
func (e *Engine) SearchAll(ctx context.Context, q string, maxResults int) (resp *wire.SearchResponse, complete bool, err error) {
	t := e.tracker()
	all := &wire.SearchResponse{OK: true}
	seen := map[[2]string]bool{}
	for offset := 0; ; {
		page, err := t.SearchFrom(ctx, q, offset)
		if err != nil {
			return nil, false, err
		}
		fresh := 0
		for _, r := range page.Results {
			k := [2]string{r.ID, r.Name}
			if !seen[k] {
				seen[k] = true
				all.Results = append(all.Results, r)
				fresh++
			}
		}
		switch {
		case !page.Truncated:
			return all, true, nil
		case fresh == 0 || len(all.Results) >= maxResults || offset+len(page.Results) > wire.MaxSearchOffset:
			all.Truncated = true
			return all, false, nil
		}
		offset += len(page.Results)
	}
}

// List asks the tracker in use for its peers.
func (e *Engine) List(ctx context.Context) (*wire.ListResponse, error) {
	return e.tracker().List(ctx)
}

// searcher is the downloads' tracker: whichever is in use, so downloads
// keep working across a change of tracker.
type searcher struct{ e *Engine }

func (s searcher) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	return s.e.Search(ctx, q)
}

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
