package vm

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/transfer"
)

// handOverBound is how long the network may take to be back after its
// host quits (goodbye): the rank-0 candidate hosts at once, the others
// hear its beacon; the measured time is logged.
const handOverBound = 10 * time.Second

// startHostApp starts an app hosting a network on loopback.
func startHostApp(t *testing.T, disc []discovery.Option) *App {
	t.Helper()
	v := New(testApp(t), nil)
	v.NoPoller = true
	v.Discovery = disc
	s := Settings{Host: true, HostListen: "127.0.0.1:0", PeerListen: "127.0.0.1:0", Downloads: t.TempDir()}
	if err := v.Start(t.Context(), s); err != nil {
		t.Fatalf("host Start: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// joinNearbyApp starts an app that joins the first network heard nearby,
// as the first-run screen does when a found network is clicked.
func joinNearbyApp(t *testing.T, disc []discovery.Option, s Settings) *App {
	t.Helper()
	return joinNearbyAppOn(t.Context(), t, testApp(t), disc, s)
}

// joinNearbyAppOn is joinNearbyApp with the Fyne app (its preferences)
// given; it browses until ctx ends (Close waits for that).
func joinNearbyAppOn(ctx context.Context, t *testing.T, a fyne.App, disc []discovery.Option, s Settings) *App {
	t.Helper()
	v := New(a, nil)
	v.NoPoller = true
	v.Discovery = disc
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(v.Close)
	t.Cleanup(cancel)
	v.Browse(ctx)
	var row NearbyRow
	enxametest.WaitFor(t, 10*time.Second, "a network nearby", func() bool {
		rows, _ := v.Nearby.Get()
		if len(rows) == 0 {
			return false
		}
		row = rows[0]
		return true
	})
	s.Tracker = row.Addr
	s.HostListen = "127.0.0.1:0"
	s.PeerListen = "127.0.0.1:0"
	s.Downloads = t.TempDir()
	if err := v.Start(t.Context(), s); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if st := v.eng.Snapshot(); st.Network == "" {
		t.Fatalf("joined a network found nearby without following it by name: %+v", st)
	}
	// Its hand-over keeper hears the network too (a host that left before
	// that would go unnoticed until the next host appears).
	enxametest.WaitFor(t, 10*time.Second, "the keeper to hear the network", func() bool {
		ks := v.eng.Snapshot()
		return ks.Instance != ""
	})
	return v
}

func registered(v *App) bool {
	v.Poll(context.Background(), time.Now())
	ok, _ := v.Connected.Get()
	return ok
}

func candidates(v *App) int {
	ks := v.eng.Snapshot()
	return ks.Candidates
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestHandOverBetweenApps: one app hosts, two join it from "nearby"; the
// host quits; the one that allows hosting takes over, the other (which
// stopped allowing it, live) re-registers with it, and a file the new
// host shares can be found and downloaded through the new tracker.
func TestHandOverBetweenApps(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	host := startHostApp(t, disc)

	shared := t.TempDir()
	data := randomBytes(t, 300<<10)
	p := filepath.Join(shared, "handed.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	a := joinNearbyApp(t, disc, Settings{CanHost: true, ShareDir: shared})
	b := joinNearbyApp(t, disc, Settings{CanHost: true})
	if c, _ := b.CanHost.Get(); !c {
		t.Error("CanHost binding off with the preference on")
	}
	// b stops allowing it, live: it registers again without can_host.
	if err := b.SetCanHost(false); err != nil {
		t.Fatal(err)
	}
	if c, _ := b.CanHost.Get(); c || b.Settings().CanHost {
		t.Error("CanHost still on after SetCanHost(false)")
	}
	aAddr, bAddr := "", ""
	enxametest.WaitFor(t, 10*time.Second, "both joiners registered, only a as a candidate", func() bool {
		if !registered(a) || !registered(b) {
			return false
		}
		aAddr, bAddr = a.eng.Snapshot().Addr, b.eng.Snapshot().Addr
		resp, err := host.eng.List(t.Context())
		if err != nil {
			return false
		}
		can := map[string]bool{}
		for _, p := range resp.Peers {
			can[p.Addr] = p.CanHost
		}
		ok := can[aAddr] && !can[bAddr]
		_, listed := can[bAddr]
		return ok && listed && candidates(a) == 1
	})

	start := time.Now()
	host.Close()
	quit := time.Since(start)
	var aTracker string
	enxametest.WaitFor(t, handOverBound, "a to take over and b to register with it", func() bool {
		if !registered(a) {
			return false
		}
		if h, _ := a.Hosting.Get(); !h {
			return false
		}
		aTracker, _ = a.Tracker.Get()
		bTracker, _ := b.Tracker.Get()
		return registered(b) && bTracker != "" && portOf(bTracker) == portOf(aTracker)
	})
	t.Logf("network back %v after the host's goodbye (Close took %v)", time.Since(start)-quit, quit)
	if got := b.fyne.Preferences().String(PrefTracker); portOf(got) != portOf(aTracker) {
		t.Errorf("b remembers tracker %q after the hand-over, want a's %q", got, aTracker)
	}
	if h, _ := b.Hosting.Get(); h {
		t.Error("b hosts although it does not allow it")
	}
	if st := a.eng.Snapshot(); st.TookOver != 1 || len(a.eng.Snapshot().HostAddrs) == 0 && len(LANAddrs(1)) > 0 {
		t.Errorf("a's status after taking over: %+v", st)
	}
	enxametest.WaitFor(t, 5*time.Second, "a's tracker view on the Network tab", func() bool {
		a.Poll(t.Context(), time.Now())
		s, _ := a.Network.HostSummary.Get()
		return s != ""
	})
	if c, _ := b.Connection.Get(); c != "Connected" {
		t.Errorf("b's status bar says %q", c)
	}

	// The new tracker answers b's searches; b downloads a's file.
	var id string
	enxametest.WaitFor(t, 10*time.Second, "a's file listed by the new tracker", func() bool {
		resp, err := b.eng.Search(t.Context(), "handed")
		if err != nil || len(resp.Results) != 1 {
			return false
		}
		id = resp.Results[0].ID
		return true
	})
	if _, err := b.eng.Download(engine.Request{Name: "handed.bin", ID: id}); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 20*time.Second, "the download through the new tracker", func() bool {
		b.Poll(t.Context(), time.Now())
		r, err := b.Transfers.Rows.GetValue(0)
		return err == nil && r.State == transfer.StateDone
	})
	got, err := os.ReadFile(filepath.Join(b.Settings().Downloads, "handed.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes (%v), want the %d shared", len(got), err, len(data))
	}

	// b allows it again; a, which only took over, stops hosting: b takes
	// over and a stays in the network by name, registered with b.
	if err := b.SetCanHost(true); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := a.SetHosting(false); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, handOverBound, "b to take over and a to follow", func() bool {
		bh, _ := b.Hosting.Get()
		ah, _ := a.Hosting.Get()
		aTracker, _ := a.Tracker.Get()
		bTracker, _ := b.Tracker.Get()
		return registered(b) && bh && registered(a) && !ah && aTracker != "" && portOf(aTracker) == portOf(bTracker)
	})
	t.Logf("and back %v after a stopped hosting", time.Since(start))
	if name, _ := a.NetworkName.Get(); name == "" {
		t.Error("a no longer follows the network by name")
	}
}

// TestNoTakeOverWhenNotAllowed: with the preference off, the only peer
// left never hosts; it says the host left and keeps waiting.
func TestNoTakeOverWhenNotAllowed(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	host := startHostApp(t, disc)
	b := joinNearbyApp(t, disc, Settings{CanHost: false})
	enxametest.WaitFor(t, 10*time.Second, "b registered", func() bool { return registered(b) })
	host.Close()
	enxametest.WaitFor(t, handOverBound, "b to notice the host left", func() bool {
		b.Poll(t.Context(), time.Now())
		tr, _ := b.Tracker.Get()
		return tr == ""
	})
	if c, _ := b.Connection.Get(); c == "" || c == "Connected" {
		t.Errorf("status bar %q after the host left", c)
	}
	// A candidate of rank 0 would host at once; watch for a while.
	window := time.NewTimer(1500 * time.Millisecond)
	defer window.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-window.C:
			return
		case <-tick.C:
			if st := b.eng.Snapshot(); st.Hosting || st.TookOver > 0 {
				t.Fatalf("b hosts with the preference off: %+v", st)
			}
		}
	}
}

// gatedIndex serves a shared folder, letting the first opens of a file
// through and holding the others until release: a download from it stays
// in progress for as long as the test needs.
type gatedIndex struct {
	*share.Index
	mu      sync.Mutex
	left    int
	blocked chan struct{} // closed when an open first waits
	block   sync.Once
	release chan struct{}
	free    sync.Once
}

func (g *gatedIndex) Lookup(id string) (peer.Item, bool) {
	it, ok := g.Index.Lookup(id)
	if !ok {
		return it, false
	}
	open := it.Open
	it.Open = func() (*os.File, error) {
		g.mu.Lock()
		pass := g.left > 0
		g.left--
		g.mu.Unlock()
		if !pass {
			g.block.Do(func() { close(g.blocked) })
			<-g.release
		}
		return open()
	}
	return it, true
}

func (g *gatedIndex) open() { g.free.Do(func() { close(g.release) }) }

// startGatedSeeder shares data as name through a plain peer registered
// with trackerAddr (it does not follow hand-overs), serving the first
// opens chunks and holding the rest until the gate opens.
func startGatedSeeder(t *testing.T, trackerAddr, name string, data []byte, opens int) *gatedIndex {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	ix, err := share.New(share.Config{Dir: dir, NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedIndex{Index: ix, left: opens, blocked: make(chan struct{}), release: make(chan struct{})}
	node, err := peer.NewNode(peer.NodeConfig{Index: g, Tracker: trackerAddr, Listen: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = node.Run(ctx) })
	t.Cleanup(func() { g.open(); cancel(); wg.Wait(); ix.Close() })
	enxametest.WaitFor(t, 10*time.Second, "the seeder to register its file", func() bool {
		st := node.Status().Session
		return st.Registered && st.Files == 1
	})
	return g
}

// TestDownloadAcrossHandOver: b downloads from a seeder it found through
// the host's tracker; the host quits in the middle of the download; a
// takes over, b follows it, and the download finishes from the seeder b
// already knows, with the right bytes.
func TestDownloadAcrossHandOver(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	host := startHostApp(t, disc)
	a := joinNearbyApp(t, disc, Settings{CanHost: true})
	b := joinNearbyApp(t, disc, Settings{CanHost: false})
	data := randomBytes(t, 16*256<<10) // 16 chunks of the smallest size
	seed := startGatedSeeder(t, host.eng.Snapshot().Tracker, "moving.bin", data, 4)
	enxametest.WaitFor(t, 10*time.Second, "a and b registered", func() bool { return registered(a) && registered(b) })

	var id string
	enxametest.WaitFor(t, 10*time.Second, "the file listed by the host's tracker", func() bool {
		resp, err := b.eng.Search(t.Context(), "moving")
		if err != nil || len(resp.Results) != 1 {
			return false
		}
		id = resp.Results[0].ID
		return true
	})
	if _, err := b.eng.Download(engine.Request{Name: "moving.bin", ID: id}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seed.blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("the download never reached the seeder's gate")
	}
	progress := func() transfer.Progress { return b.eng.Snapshot().Transfers[0].Progress }
	if p := progress(); p.State == transfer.StateDone || p.State == transfer.StateFailed {
		t.Fatalf("download %v before the hand-over", p.State)
	}

	host.Close()
	enxametest.WaitFor(t, handOverBound, "a to take over and b to follow", func() bool {
		if !registered(a) {
			return false
		}
		ah, _ := a.Hosting.Get()
		aTracker, _ := a.Tracker.Get()
		bTracker, _ := b.Tracker.Get()
		return ah && registered(b) && bTracker != "" && portOf(aTracker) == portOf(bTracker)
	})
	if p := progress(); p.State == transfer.StateDone || p.State == transfer.StateFailed {
		t.Fatalf("download %v during the hand-over, want it still in progress", p.State)
	}
	seed.open()
	enxametest.WaitFor(t, 30*time.Second, "the download to finish after the hand-over", func() bool {
		p := progress()
		if p.State == transfer.StateFailed {
			t.Fatalf("download failed: %v", p.Err)
		}
		return p.State == transfer.StateDone
	})
	got, err := os.ReadFile(filepath.Join(b.Settings().Downloads, "moving.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes (%v), want the %d shared", len(got), err, len(data))
	}
}

// TestRestartFollowsRememberedNetwork: b joins a network found nearby and
// is closed; while it is closed the host quits and another hosts the
// network (same name, another port). b, restarted from its preferences
// alone (no browsing), must not stay on the dead remembered tracker: it
// follows the network by name to the new host and remembers its address.
func TestRestartFollowsRememberedNetwork(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	host := startHostApp(t, disc)
	host.Poll(t.Context(), time.Now())
	oldAddr, _ := host.Tracker.Get()
	name := host.eng.Snapshot().Network

	prefs := testApp(t)
	browse, stopBrowse := context.WithCancel(t.Context())
	b := joinNearbyAppOn(browse, t, prefs, disc, Settings{})
	enxametest.WaitFor(t, 10*time.Second, "b registered with the host", func() bool { return registered(b) })
	p := prefs.Preferences()
	if got := p.String(PrefNetwork); got != name || name == "" {
		t.Fatalf("b remembers network %q, want %q", got, name)
	}
	if got := p.String(PrefTracker); portOf(got) != portOf(oldAddr) {
		t.Fatalf("b remembers tracker %q, want the host's %q", got, oldAddr)
	}
	stopBrowse()
	b.Close()

	// While b is closed: the host quits, another hosts the same network.
	host.Close()
	next := startHostApp(t, disc)
	next.Poll(t.Context(), time.Now())
	newAddr, _ := next.Tracker.Get()
	if portOf(newAddr) == portOf(oldAddr) {
		t.Fatalf("the new host reuses port %s", portOf(newAddr))
	}
	if next.eng.Snapshot().Network != name {
		t.Fatalf("the new host's network is %q, want %q", next.eng.Snapshot().Network, name)
	}

	// b starts again from what it remembered.
	s, setUp := LoadSettings(p)
	if !setUp || !s.Complete() {
		t.Fatalf("remembered settings %+v (set up %v) not enough to start", s, setUp)
	}
	b2 := New(prefs, nil)
	b2.NoPoller = true
	b2.Discovery = disc
	if err := b2.Start(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b2.Close)
	start := time.Now()
	enxametest.WaitFor(t, 15*time.Second, "b to register with the new host", func() bool {
		if !registered(b2) {
			return false
		}
		st := b2.eng.Snapshot()
		return portOf(st.RegisteredWith) == portOf(newAddr)
	})
	t.Logf("b registered with the new host %v after its restart", time.Since(start))
	b2.Poll(t.Context(), time.Now())
	if got := p.String(PrefTracker); portOf(got) != portOf(newAddr) {
		t.Errorf("b remembers tracker %q after following the network, want the new host's %q", got, newAddr)
	}
	if got := p.String(PrefNetwork); got != name {
		t.Errorf("b remembers network %q, want %q", got, name)
	}
}
