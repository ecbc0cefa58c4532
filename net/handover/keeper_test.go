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
	"golang.org/x/net/ipv4"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/discovery/discoverytest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/secure"
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
	node, err := peer.NewNode(peer.NodeConfig{Listen: "127.0.0.1:0", CanHost: cfg.CanHost, Logger: cfg.Logger,
		Tracker: cfg.Tracker, Credentials: cfg.Credentials})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Join = node.SetTracker
	cfg.Secret = func() *secure.NetworkSecret { return node.Status().Session.Secret }
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
			follower.keeper.Status().Tracker == hostAddr && follower.keeper.Status().Members >= 2
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

// listenPair opens two loopback listeners, the one with the lower port
// first.
func listenPair(t *testing.T) (low, high net.Listener) {
	t.Helper()
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	a, b := listen(), listen()
	if a.Addr().(*net.TCPAddr).Port > b.Addr().(*net.TCPAddr).Port {
		a, b = b, a
	}
	return a, b
}

// TestTwoNetworksOfOneName: two people host networks of the same name;
// each hears the other, and neither leaves its own (a host never leaves a
// tracker that answers; before protocol 2 the higher address yielded, so
// one beacon could take a network over).
func TestTwoNetworksOfOneName(t *testing.T) {
	disc := loopback(t)
	cfg := Config{Network: "Twice", Discovery: disc, Logger: testLogger(t), Host: true, CanHost: true}
	lnA, lnB := listenPair(t)
	cfgA, cfgB := cfg, cfg
	cfgA.HostListener, cfgB.HostListener = lnA, lnB
	a, b := startMember(t, cfgA), startMember(t, cfgB)
	until(t, "each hears the other", func() bool { return a.keeper.Status().Others == 1 && b.keeper.Status().Others == 1 })
	for _, m := range []*member{a, b} {
		st := m.keeper.Status()
		if !st.Hosting || m.node.Tracker() != st.Tracker {
			t.Errorf("a host left its own network for the other: %+v, node at %s", st, m.node.Tracker())
		}
	}
	until(t, "each host's peer stays registered with its own tracker", func() bool {
		return registeredWith(a.keeper.Status().Tracker, 1) && registeredWith(b.keeper.Status().Tracker, 1)
	})
}

// TestSplitBrainAfterHandOver: the host leaves and two candidates take
// over at once (no wait between turns); the one with the higher address,
// hearing the other prove it is a former member, yields and follows it.
func TestSplitBrainAfterHandOver(t *testing.T) {
	disc := loopback(t)
	cfg := Config{Network: "Race", Discovery: disc, Logger: testLogger(t)}
	hostCfg := cfg
	hostCfg.Host = true
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostAddr := host.keeper.Status().Tracker
	cand := cfg
	cand.CanHost, cand.RankDelay = true, time.Nanosecond // both turns at once
	ms := []*member{startMember(t, cand), startMember(t, cand)}
	until(t, "both candidates registered and listed", func() bool {
		return registeredWith(hostAddr, 3) && ms[0].keeper.Status().Candidates == 2 && ms[1].keeper.Status().Candidates == 2
	})
	host.stop()
	settled := func(win, lose *member) bool {
		ws, ls := win.keeper.Status(), lose.keeper.Status()
		return ws.Hosting && !ls.Hosting && lose.node.Tracker() == ws.Tracker && registeredWith(ws.Tracker, 2)
	}
	until(t, "one host, followed by the other", func() bool { return settled(ms[0], ms[1]) || settled(ms[1], ms[0]) })
}

// TestForgedBeaconsChangeNothing is issue 12's attack: a stranger runs a
// tracker of its own, announces it under the network's name from a lower
// address, and forges the host's goodbye. The host keeps hosting, the
// member keeps its tracker; when the host really leaves, the member does
// not follow the stranger (not a former member) but hosts itself, and the
// stranger's tracker never gets a registration.
func TestForgedBeaconsChangeNothing(t *testing.T) {
	iface, port := discoverytest.Loopback(t)
	disc := []discovery.Option{discovery.WithInterfaces(iface), discovery.WithPort(port)}
	log := testLogger(t)
	lnFake, lnHost := listenPair(t)
	strangerID, err := secure.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	fake := tracker.NewServer(tracker.Config{Credentials: secure.Credentials{Identity: strangerID}})
	fctx, fcancel := context.WithCancel(t.Context())
	fakeDone := make(chan error, 1)
	go func() { fakeDone <- fake.Serve(fctx, lnFake) }()
	defer func() {
		fcancel()
		if err := <-fakeDone; err != nil {
			t.Error(err)
		}
	}()

	cfg := Config{Network: "Lab", Discovery: disc, Logger: log}
	hostCfg := cfg
	hostCfg.Host, hostCfg.HostListener = true, lnHost
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostSt := host.keeper.Status()
	m := cfg
	m.CanHost, m.Tracker, m.TrackerID, m.RankDelay = true, hostSt.Tracker, hostSt.Instance, 100*time.Millisecond
	stayed := make(chan struct{})
	var once sync.Once
	m.Logger = slog.New(slog.NewTextHandler(lineFunc(func(line string) {
		t.Log(strings.TrimSpace(line))
		if strings.Contains(line, "its tracker answers; staying") {
			once.Do(func() { close(stayed) })
		}
	}), nil))
	member := startMember(t, m)
	until(t, "the member follows the host and knows it", func() bool {
		st := member.keeper.Status()
		return st.Instance == hostSt.Instance && st.Candidates == 1 && registeredWith(hostSt.Tracker, 2)
	})

	// The stranger announces the name from a lower address.
	actx, acancel := context.WithCancel(t.Context())
	annDone := make(chan error, 1)
	go func() {
		annDone <- discovery.Announce(actx, discovery.Announcement{Name: "Lab", Port: lnFake.Addr().(*net.TCPAddr).Port}, nil, disc...)
	}()
	defer func() {
		acancel()
		if err := <-annDone; err != nil {
			t.Error(err)
		}
	}()
	until(t, "host and member hear the stranger", func() bool {
		return host.keeper.Status().Others == 1 && member.keeper.Status().Others == 1
	})
	// And forges the host's goodbye (from the host's IP, as on a LAN).
	sendMulticast(t, iface, port, `{"enxame":"bye","id":"`+hostSt.Instance+`"}`)
	select {
	case <-stayed:
	case <-time.After(testWait):
		t.Fatal("the member never weighed the forged goodbye")
	}
	if st := host.keeper.Status(); !st.Hosting || st.Instance != hostSt.Instance {
		t.Fatalf("the host left its network: %+v", st)
	}
	if st := member.keeper.Status(); st.Tracker != hostSt.Tracker || member.node.Tracker() != hostSt.Tracker {
		t.Fatalf("the member left a tracker that answers: %+v, node at %s", st, member.node.Tracker())
	}

	host.stop()
	until(t, "the member hosts the network itself", func() bool { return member.keeper.Status().Hosting })
	if member.node.Tracker() == lnFake.Addr().String() || fake.Stats().Peers != 0 {
		t.Fatalf("the member registered with the stranger's tracker (%d peers there)", fake.Stats().Peers)
	}
	until(t, "the member registers with its own tracker", func() bool {
		return registeredWith(member.keeper.Status().Tracker, 1)
	})
	if fake.Stats().Peers != 0 {
		t.Fatalf("the stranger's tracker got %d registrations", fake.Stats().Peers)
	}
}

// sendMulticast sends one datagram to the discovery group on the loopback
// interface iface, as any host on a LAN can.
func sendMulticast(t *testing.T, iface string, port int, payload string) {
	t.Helper()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := ipv4.NewPacketConn(c)
	if err := p.SetMulticastInterface(ifi); err != nil {
		t.Fatal(err)
	}
	p.SetMulticastLoopback(true)
	if _, err := c.WriteTo([]byte(payload), &net.UDPAddr{IP: discovery.GroupIPv4.AsSlice(), Port: port}); err != nil {
		t.Fatal(err)
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

// TestPrivateBeacons: on a private network, members learn the network
// secret and then believe only beacons of the name whose MAC checks: a
// forged private beacon and an open look-alike are dropped (Others stays
// 0). When the host leaves, the candidate that takes over announces with
// the same beacon key, so the other member follows it.
func TestPrivateBeacons(t *testing.T) {
	iface, port := discoverytest.Loopback(t)
	disc := []discovery.Option{discovery.WithInterfaces(iface), discovery.WithPort(port)}
	key, err := secure.DeriveNetworkKey("harbor violet amber quiz lantern")
	if err != nil {
		t.Fatal(err)
	}
	creds := secure.Credentials{Key: key}
	cfg := Config{Network: "Sala 12", Discovery: disc, Logger: testLogger(t), Credentials: creds, RankDelay: 200 * time.Millisecond}
	hostCfg := cfg
	hostCfg.Host = true
	host := startMember(t, hostCfg)
	until(t, "the host hosts", func() bool { return host.keeper.Status().Hosting })
	hostSt := host.keeper.Status()
	cand, follower := cfg, cfg
	cand.CanHost = true
	cand.Tracker, cand.TrackerID = hostSt.Tracker, hostSt.Instance
	follower.Tracker, follower.TrackerID = hostSt.Tracker, hostSt.Instance
	c, f := startMember(t, cand), startMember(t, follower)
	until(t, "both members registered, know the secret and the candidates", func() bool {
		return registeredWith3(t, hostSt.Tracker, creds) && c.keeper.bkey.Load() != nil && f.keeper.bkey.Load() != nil &&
			c.keeper.Status().Candidates == 1 && f.keeper.Status().Members >= 1
	})
	if c.keeper.bkey.Load().secret != f.keeper.bkey.Load().secret {
		t.Fatal("members were given different secrets")
	}

	// A stranger who heard the beacons but not the secret: its forged
	// private beacon and an open one of the same name are not believed.
	other, err := secure.DeriveNetworkKey("harbor violet amber quiz lantern") // even with the passphrase
	if err != nil {
		t.Fatal(err)
	}
	forgedKey := secure.DeriveBeaconKey(other, secure.NewNetworkSecret())
	actx, acancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, a := range []discovery.Announcement{{Name: "Sala 12", Port: 1, MAC: forgedKey.MAC}, {Name: "Sala 12", Port: 2}} {
		wg.Go(func() {
			if err := discovery.Announce(actx, a, nil, disc...); err != nil {
				t.Error(err)
			}
		})
	}
	until(t, "the forged beacons are heard and dropped", func() bool { return f.keeper.Status().Dropped >= 2 && c.keeper.Status().Dropped >= 2 })
	acancel()
	wg.Wait()
	for _, m := range []*member{c, f} {
		if st := m.keeper.Status(); st.Others != 0 || st.Instance != hostSt.Instance {
			t.Fatalf("a forged beacon was believed: %+v", st)
		}
	}

	host.stop()
	until(t, "the candidate takes over", func() bool { return c.keeper.Status().Hosting })
	newAddr := c.keeper.Status().Tracker
	until(t, "the follower follows it", func() bool { return f.node.Tracker() == newAddr && f.keeper.Status().Tracker == newAddr })
	c.keeper.mu.Lock()
	srv := c.keeper.hostSrv
	c.keeper.mu.Unlock()
	if srv == nil {
		t.Fatal("the candidate hosts without a tracker")
	}
	if s, ok := srv.Secret(); !ok || s != f.keeper.bkey.Load().secret {
		t.Fatal("the new host's tracker does not keep the network secret")
	}
}

// registeredWith3 reports whether the private tracker at addr lists 3 peers.
func registeredWith3(t *testing.T, addr string, creds secure.Credentials) bool {
	c := tracker.NewClientWith(addr, creds)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	resp, err := c.List(ctx)
	return err == nil && len(resp.Peers) == 3
}
