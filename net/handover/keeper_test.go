package handover

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/discovery/discoverytest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/tracker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testWait bounds every wait of these tests.
const testWait = 20 * time.Second

// loopback keeps discovery on the loopback interface and a free port.
func loopback(t *testing.T) []discovery.Option {
	t.Helper()
	return discoverytest.Options(t)
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// member is a peer node with its keeper, running until stop;
// stopKeeper stops the keeper alone (a peer that can no longer host but
// stays registered).
type member struct {
	node       *peer.Node
	keeper     *Keeper
	stop       func()
	stopKeeper func()
}

func startMember(t *testing.T, cfg Config) *member {
	t.Helper()
	node, err := peer.NewNode(peer.NodeConfig{Listen: "127.0.0.1:0", CanHost: cfg.CanHost, Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Join = node.SetTracker
	cfg.Self = func() string { return node.Status().Session.Addr }
	cfg.HostListen = "127.0.0.1:0"
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	kctx, kcancel := context.WithCancel(ctx)
	nodeErr, keeperErr := make(chan error, 1), make(chan error, 1)
	go func() { nodeErr <- node.Run(ctx) }()
	go func() { keeperErr <- k.Run(kctx) }()
	m := &member{node: node, keeper: k}
	check := func(errc chan error) {
		if errc == nil {
			return
		}
		if err := <-errc; err != nil {
			t.Errorf("member: %v", err)
		}
	}
	m.stopKeeper = func() {
		kcancel()
		check(keeperErr)
		keeperErr = nil
	}
	m.stop = func() {
		cancel()
		check(keeperErr)
		check(nodeErr)
		keeperErr, nodeErr = nil, nil
	}
	t.Cleanup(m.stop)
	return m
}

// until waits, at most testWait, for cond, re-checking on a short tick.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(testWait)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within %s", what, testWait)
		}
	}
}

// registeredWith reports whether the tracker at addr lists n peers.
func registeredWith(addr string, n int) bool {
	c := tracker.NewClient(addr)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := c.List(ctx)
	return err == nil && len(resp.Peers) == n
}

// TestHandOver: a host and three candidates on loopback; the host leaves,
// the candidate with the lowest address hosts under the same name, the
// others follow it, and the new tracker lists all three.
func TestHandOver(t *testing.T) {
	disc := loopback(t)
	log := testLogger(t)
	cfg := Config{Network: "Lab 3", Discovery: disc, Logger: log, RankDelay: 500 * time.Millisecond}
	hostCfg := cfg
	hostCfg.Host = true
	host := startMember(t, hostCfg)
	var ms []*member
	for range 3 {
		c := cfg
		c.CanHost = true
		ms = append(ms, startMember(t, c))
	}
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostAddr := host.keeper.Status().Tracker
	until(t, "all four registered with the host", func() bool { return registeredWith(hostAddr, 4) })
	for _, m := range ms {
		until(t, "candidate lists read", func() bool { return m.node.Status().Session.Registered })
	}
	// Every keeper reads the candidates from the tracker (ListInterval).
	until(t, "candidates known", func() bool {
		for _, m := range ms {
			if st := m.keeper.Status(); st.Tracker != hostAddr || st.Candidates != 3 {
				return false
			}
		}
		return true
	})

	// The lowest address among candidates is the one to take over.
	slices.SortFunc(ms, func(a, b *member) int {
		return netip.MustParseAddrPort(a.node.Status().Session.Addr).Compare(netip.MustParseAddrPort(b.node.Status().Session.Addr))
	})
	left := time.Now()
	host.stop()
	until(t, "a candidate hosts", func() bool { return ms[0].keeper.Status().Hosting })
	newAddr := ms[0].keeper.Status().Tracker
	until(t, "the others follow the new tracker", func() bool {
		return ms[1].node.Tracker() == newAddr && ms[2].node.Tracker() == newAddr && registeredWith(newAddr, 3)
	})
	took := time.Since(left)
	t.Logf("hand-over: host left → new tracker with all 3 peers in %v", took.Round(time.Millisecond))
	for _, m := range ms[1:] {
		if m.keeper.Status().Hosting {
			t.Errorf("%s hosts too", m.node.Status().Session.Addr)
		}
	}
	if st := ms[0].keeper.Status(); st.TookOver != 1 || st.LostAt.IsZero() {
		t.Errorf("status %+v", st)
	}
	nets, err := discovery.Find(t.Context(), "Lab 3", 2*time.Second, nil, disc...)
	if err != nil || len(nets) != 1 || nets[0].Addrs[0] != newAddr {
		t.Fatalf("heard %+v, %v; want one Lab 3 at %s", nets, err, newAddr)
	}
}

// TestHandOverNextInLine: the first candidate cannot host (its keeper is
// gone, its registration stays), then the host leaves: the second
// candidate waits its turn (RankDelay) and hosts, and a peer that does not
// allow hosting follows it.
func TestHandOverNextInLine(t *testing.T) {
	disc := loopback(t)
	const delay = 400 * time.Millisecond
	cfg := Config{Network: "Line", Discovery: disc, Logger: testLogger(t), RankDelay: delay}
	hostCfg := cfg
	hostCfg.Host = true
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostAddr := host.keeper.Status().Tracker
	cand := cfg
	cand.CanHost = true
	ms := []*member{startMember(t, cand), startMember(t, cand)}
	follower := startMember(t, cfg)
	until(t, "all registered, candidates known", func() bool {
		return registeredWith(hostAddr, 4) && ms[0].keeper.Status().Candidates == 2 && ms[1].keeper.Status().Candidates == 2 &&
			follower.keeper.Status().Tracker == hostAddr
	})
	slices.SortFunc(ms, func(a, b *member) int {
		return netip.MustParseAddrPort(a.node.Status().Session.Addr).Compare(netip.MustParseAddrPort(b.node.Status().Session.Addr))
	})
	ms[0].stopKeeper()
	left := time.Now()
	host.stop()
	until(t, "the second candidate hosts", func() bool { return ms[1].keeper.Status().Hosting })
	if took := time.Since(left); took < delay {
		t.Errorf("second candidate hosted after %v, before its turn (%v)", took, delay)
	}
	newAddr := ms[1].keeper.Status().Tracker
	until(t, "the follower follows", func() bool { return follower.node.Tracker() == newAddr && registeredWith(newAddr, 2) })
	if st := follower.keeper.Status(); st.Hosting || st.TookOver != 0 {
		t.Errorf("follower status %+v", st)
	}
}

// TestSplitBrain: two peers host one name; the one with the higher
// address leaves hosting and joins the other.
func TestSplitBrain(t *testing.T) {
	disc := loopback(t)
	cfg := Config{Network: "Twice", Discovery: disc, Logger: testLogger(t), Host: true, CanHost: true}
	// Both host at once, each on a listener the test opened, so the test
	// knows both addresses (both 127.0.0.1: the port decides).
	listen := func() (net.Listener, int) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln, ln.Addr().(*net.TCPAddr).Port
	}
	lnA, portA := listen()
	lnB, portB := listen()
	cfgA, cfgB := cfg, cfg
	cfgA.HostListener, cfgB.HostListener = lnA, lnB
	a, b := startMember(t, cfgA), startMember(t, cfgB)
	settled := func(win, lose *member) bool {
		ws, ls := win.keeper.Status(), lose.keeper.Status()
		return ws.Hosting && !ls.Hosting && lose.node.Tracker() == ws.Tracker && registeredWith(ws.Tracker, 2)
	}
	until(t, "one host, followed by the other", func() bool { return settled(a, b) || settled(b, a) })
	win, winPort := a, portA
	if settled(b, a) {
		win, winPort = b, portB
	}
	// The higher address yields: the one left hosting is the lower.
	if lower := min(portA, portB); winPort != lower || win.keeper.Status().HostPort != lower {
		t.Fatalf("the host left is on port %d (status %d), want the lower of %d and %d", winPort, win.keeper.Status().HostPort, portA, portB)
	}
}

func TestNewInvalid(t *testing.T) {
	for _, cfg := range []Config{
		{Network: "", Join: func(string, bool) {}},
		{Network: "bad\nname", Join: func(string, bool) {}},
		{Network: "ok"},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

// TestHostListenerStatsAndCanHost: the first host serves on the listener
// it was given and shows its tracker's stats; SetCanHost re-registers a
// follower with or without can_host, live.
func TestHostListenerStatsAndCanHost(t *testing.T) {
	disc := loopback(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Network: "Given", Discovery: disc, Logger: testLogger(t)}
	hostCfg := cfg
	hostCfg.Host, hostCfg.HostListener = true, ln
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	if got, want := host.keeper.Status().HostPort, ln.Addr().(*net.TCPAddr).Port; got != want {
		t.Fatalf("hosting on port %d, want the given listener's %d", got, want)
	}
	follower := startMember(t, cfg)
	if _, ok := follower.keeper.HostStats(); ok {
		t.Error("a follower has host stats")
	}
	hostAddr := host.keeper.Status().Tracker
	canHost := func(want bool) func() bool {
		return func() bool {
			c := tracker.NewClient(hostAddr)
			defer c.Close()
			resp, err := c.List(t.Context())
			if err != nil {
				return false
			}
			for _, p := range resp.Peers {
				if p.Addr == follower.node.Status().Session.Addr {
					return p.CanHost == want
				}
			}
			return false
		}
	}
	until(t, "the follower registered without can_host", canHost(false))
	follower.keeper.SetCanHost(true)
	until(t, "the follower registered again with can_host", canHost(true))
	follower.keeper.SetCanHost(false)
	until(t, "and without again", canHost(false))
	until(t, "the host's stats list both peers", func() bool {
		st, ok := host.keeper.HostStats()
		return ok && st.Peers == 2
	})
	host.stopKeeper()
	if _, ok := host.keeper.HostStats(); ok {
		t.Error("host stats after the host stopped")
	}
}

// TestTrackerID: a Tracker the caller knew under another instance id (a
// network that left before this Keeper heard it) is not adopted for the
// first network heard: the Keeper joins that network's address at once.
// (Without TrackerID the address is adopted: the CLI found it just now.)
func TestTrackerID(t *testing.T) {
	disc := loopback(t)
	cfg := Config{Network: "Moved", Discovery: disc, Logger: testLogger(t)}
	hostCfg := cfg
	hostCfg.Host = true
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostAddr := host.keeper.Status().Tracker
	until(t, "the host registered with itself", func() bool { return registeredWith(hostAddr, 1) })

	// The first "Following" line names the tracker chosen for the first
	// network heard.
	follows := make(chan string, 8)
	c := cfg
	c.Logger = slog.New(slog.NewTextHandler(lineFunc(func(line string) {
		if strings.Contains(line, "Following the network's tracker") {
			select {
			case follows <- line:
			default:
			}
		}
	}), nil))
	c.Tracker, c.TrackerID = "127.0.0.1:9", "0123456789abcdef" // gone
	c.Join = func(string, bool) {}
	k, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case line := <-follows:
		if !strings.Contains(line, "tracker="+hostAddr) {
			t.Errorf("first followed %q, want the heard network's %s", line, hostAddr)
		}
	case <-time.After(testWait):
		t.Fatal("the heard network was never followed")
	}
}

// lineFunc is an io.Writer calling f with each log line.
type lineFunc func(string)

func (f lineFunc) Write(p []byte) (int, error) {
	f(string(p))
	return len(p), nil
}

// TestBrowsingFailsHostingGoesOn: with the discovery port taken, a host
// keeps serving its tracker (no hand-over, a warning).
func TestBrowsingFailsHostingGoesOn(t *testing.T) {
	pc, err := net.ListenPacket("udp4", ":0") // not shared: browsing cannot bind it
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	if pc6, err := net.ListenPacket("udp6", net.JoinHostPort("::", strconv.Itoa(port))); err == nil {
		defer pc6.Close()
	}
	warned := make(chan struct{})
	var once sync.Once
	log := slog.New(slog.NewTextHandler(lineFunc(func(line string) {
		if strings.Contains(line, "Cannot follow the network on the LAN") {
			once.Do(func() { close(warned) })
		}
	}), nil))
	disc := append(loopback(t), discovery.WithPort(port))
	host := startMember(t, Config{Network: "Blind", Discovery: disc, Logger: log, Host: true})
	select {
	case <-warned:
	case <-time.After(testWait):
		t.Fatal("browsing did not fail on a taken port")
	}
	until(t, "the host hosts and its peer registers", func() bool {
		st := host.keeper.Status()
		return st.Hosting && registeredWith(st.Tracker, 1)
	})
	if _, err := host.keeper.List(t.Context()); err != nil {
		t.Errorf("list through the keeper: %v", err)
	}
}
