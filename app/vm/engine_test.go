package vm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/app/widgets"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/transfer"
)

func TestMain(m *testing.M) {
	cleanup := enxametest.IsolateUserDirs()
	goleak.VerifyTestMain(m,
		goleak.Cleanup(func(code int) { cleanup(); os.Exit(code) }),
		// Fyne's test app keeps a settings watcher goroutine for the
		// process; it is not ours.
		goleak.IgnoreAnyFunction("fyne.io/fyne/v2/internal/async.(*UnboundedChan[...]).processing"),
	)
}

// newTestApp starts a view-model joined to trackerAddr, polled by the test.
func newTestApp(t *testing.T, s Settings) *App {
	t.Helper()
	a := testApp(t)
	v := New(a, nil)
	v.NoPoller = true
	v.Discovery = live.LoopbackDiscovery(t)
	if s.Downloads == "" {
		s.Downloads = t.TempDir()
	}
	if s.PeerListen == "" {
		s.PeerListen = "127.0.0.1:0"
	}
	if err := v.Start(t.Context(), s); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSearchFindsSharedFiles(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"docs/report.pdf": []byte("a report"), "notes.txt": []byte("notes")})
	v := newTestApp(t, Settings{Tracker: addr})

	tests := []struct {
		q        string
		want     []string
		wantText string
	}{
		{"report", []string{"docs/report.pdf"}, "1 file match “report”"},
		{"REPORT", []string{"docs/report.pdf"}, "1 file match “REPORT”"},
		{"", []string{"docs/report.pdf", "notes.txt"}, "2 files on the network"},
		{"nothing-like-this", nil, "No file on the network matches “nothing-like-this”"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			if err := v.Search.Run(t.Context(), tt.q); err != nil {
				t.Fatalf("Run(%q): %v", tt.q, err)
			}
			rows, _ := v.Search.Results.Get()
			var names []string
			for _, r := range rows {
				names = append(names, r.Name)
				if r.Complete != 1 || r.Partial != 0 {
					t.Errorf("%s: %d complete, %d partial holders; want 1, 0", r.Name, r.Complete, r.Partial)
				}
			}
			if !equalSets(names, tt.want) {
				t.Errorf("results %q, want %q", names, tt.want)
			}
			if got, _ := v.Search.Status.Get(); got != tt.wantText {
				t.Errorf("status %q, want %q", got, tt.wantText)
			}
			if err, _ := v.Search.Err.Get(); err != nil {
				t.Errorf("Err = %v after a success", err)
			}
		})
	}
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		seen[s]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestSearchDebounced(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"alpha.txt": []byte("a"), "beta.txt": []byte("b")})
	v := newTestApp(t, Settings{Tracker: addr})

	done := make(chan string, 16)
	v.Search.Status.AddListener(dataListener(func() {
		if s, _ := v.Search.Status.Get(); s != "Searching…" {
			done <- s
		}
	}))
	<-done // the listener's first call: the current value
	for _, q := range []string{"a", "al", "alp", "alph"} {
		v.Search.SetQuery(q)
	}
	select {
	case s := <-done:
		if s != "1 file match “alph”" {
			t.Errorf("status after typing %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no search ran after typing stopped")
	}
	rows, _ := v.Search.Results.Get()
	if len(rows) != 1 || rows[0].Name != "alpha.txt" {
		t.Errorf("results %+v, want alpha.txt", rows)
	}
	// Only the last query ran: no further status arrives.
	select {
	case s := <-done:
		t.Errorf("another search ran: %q", s)
	case <-time.After(2 * SearchDebounce):
	}
}

func TestSearchTrackerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	v := newTestApp(t, Settings{Tracker: addr})
	err = v.Search.Run(t.Context(), "x")
	if err == nil {
		t.Fatal("search of a closed tracker succeeded")
	}
	if got, _ := v.Search.Err.Get(); got == nil {
		t.Error("Err binding not set")
	}
	v.Poll(t.Context(), time.Now())
	if ok, _ := v.Connected.Get(); ok {
		t.Error("Connected with no tracker")
	}
}

func TestDownloadStates(t *testing.T) {
	addr := live.StartTracker(t)
	data := randomBytes(t, 3<<20+123) // 13 chunks of 256 KiB
	live.StartSeeder(t, addr, map[string][]byte{"big.bin": data})
	live.StartSeeder(t, addr, map[string][]byte{"copy/big.bin": data})
	downloads := t.TempDir()
	v := newTestApp(t, Settings{Tracker: addr, Downloads: downloads})

	var mu sync.Mutex
	var notified []TransferRow
	v.OnDone = func(r TransferRow) { mu.Lock(); notified = append(notified, r); mu.Unlock() }

	if err := v.Search.Run(t.Context(), "big.bin"); err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Search.Results.Get()
	if len(rows) == 0 {
		t.Fatal("no result for big.bin")
	}
	key, err := v.Search.Download(rows[0])
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if sel, _ := v.Transfers.Selected.Get(); sel != key {
		t.Errorf("selected %q, want the new download %q", sel, key)
	}
	var last TransferRow
	enxametest.WaitFor(t, 30*time.Second, "the download to finish", func() bool {
		v.Poll(t.Context(), time.Now())
		rs, _ := v.Transfers.Rows.Get()
		if len(rs) != 1 {
			t.Fatalf("%d transfer rows, want 1", len(rs))
		}
		last = rs[0]
		if last.State.String() == "failed" {
			t.Fatalf("download failed: %v", last.Err)
		}
		return last.State.String() == "done"
	})
	if last.Fraction != 1 || last.Path == "" {
		t.Errorf("done row %+v", last)
	}
	got, err := os.ReadFile(last.Path)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("saved file differs (err %v)", err)
	}
	if filepath.Dir(last.Path) != downloads {
		t.Errorf("saved in %s, want %s", filepath.Dir(last.Path), downloads)
	}
	g, _ := v.Transfers.Grid.Get()
	if g.Key != key || len(g.Cells) != 13 {
		t.Errorf("grid key %q with %d chunks, want %q with 13", g.Key, len(g.Cells), key)
	}
	for i, c := range g.Cells {
		if c.State() != widgets.CellDone {
			t.Errorf("chunk %d state %v", i, c.State())
		}
		if c.Source() < 0 || c.Source() >= len(g.Sources) {
			t.Errorf("chunk %d from %d of %d sources", i, c.Source(), len(g.Sources))
		}
	}
	peers, _ := v.Transfers.Peers.Get()
	total := 0
	for _, p := range peers {
		total += p.Chunks
	}
	if total != 13 {
		t.Errorf("peers supplied %d chunks, want 13: %+v", total, peers)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notified) != 1 || notified[0].Key != key {
		t.Errorf("OnDone calls %+v, want one for %s", notified, key)
	}
}

func TestDownloadPauseResumeCancel(t *testing.T) {
	addr := live.StartTracker(t)
	data := randomBytes(t, 1<<20)
	live.StartSeeder(t, addr, map[string][]byte{"f.bin": data})
	v := newTestApp(t, Settings{Tracker: addr})
	if err := v.Search.Run(t.Context(), "f.bin"); err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Search.Results.Get()
	key, err := v.Search.Download(rows[0])
	if err != nil {
		t.Fatal(err)
	}
	// Pause may land before or after the (fast) download ends: either
	// way the row must say so, never lie.
	if err := v.Transfers.Pause(key); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	v.Poll(t.Context(), time.Now())
	rs, _ := v.Transfers.Rows.Get()
	if s := rs[0].State.String(); s != "paused" && s != "done" {
		t.Errorf("after Pause state %s", s)
	}
	if rs[0].State.String() == "paused" {
		if !rs[0].Resumable() || rs[0].Active() {
			t.Errorf("paused row: resumable %v active %v", rs[0].Resumable(), rs[0].Active())
		}
		if err := v.Transfers.Resume(key); err != nil {
			t.Fatalf("Resume: %v", err)
		}
	}
	if err := v.Transfers.Cancel(key); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	v.Poll(t.Context(), time.Now())
	if n := v.Transfers.Rows.Length(); n != 0 {
		t.Errorf("%d rows after Cancel", n)
	}
	if err := v.Transfers.Pause(key); err == nil {
		t.Error("Pause of a cancelled download succeeded")
	}
}

func TestDownloadVanishedFileFails(t *testing.T) {
	addr := live.StartTracker(t)
	v := newTestApp(t, Settings{Tracker: addr})
	id := "0000000000000000000000000000000000000000000000000000000000000000"
	key, err := v.Transfers.Start("gone.txt", id)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the download to fail", func() bool {
		v.Poll(t.Context(), time.Now())
		rs, _ := v.Transfers.Rows.Get()
		return len(rs) == 1 && rs[0].Key == key && rs[0].State.String() == "failed"
	})
	rs, _ := v.Transfers.Rows.Get()
	if rs[0].Err == nil {
		t.Error("failed row without its reason")
	}
	if !rs[0].Resumable() {
		t.Error("a failed download should offer Resume")
	}
}

func TestHostingAndShare(t *testing.T) {
	share := t.TempDir()
	data := []byte("shared by the host")
	p := filepath.Join(share, "hello.txt")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	v := newTestApp(t, Settings{Host: true, HostListen: "127.0.0.1:0", ShareDir: share})

	enxametest.WaitFor(t, 10*time.Second, "the app to register with its own tracker", func() bool {
		v.Poll(t.Context(), time.Now())
		ok, _ := v.Connected.Get()
		indexing, _ := v.Indexing.Get()
		return ok && !indexing && v.Share.Files.Length() == 1
	})
	if h, _ := v.Hosting.Get(); !h {
		t.Error("Hosting binding false while hosting")
	}
	files, _ := v.Share.Files.Get()
	if files[0].Name != "hello.txt" || files[0].Size != int64(len(data)) {
		t.Errorf("share rows %+v", files)
	}
	if s, _ := v.ShareText.Get(); s != "1 file · 18 B" {
		t.Errorf("share text %q", s)
	}
	var peers []NetPeerRow
	enxametest.WaitFor(t, 5*time.Second, "the tracker to list my file", func() bool {
		if err := v.Network.Refresh(t.Context()); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		peers, _ = v.Network.Peers.Get()
		return len(peers) == 1 && peers[0].Files == 1
	})
	if !peers[0].Me {
		t.Errorf("network peers %+v, want just me with 1 file", peers)
	}
	enxametest.WaitFor(t, 5*time.Second, "the embedded tracker's view", func() bool {
		v.Poll(t.Context(), time.Now())
		return v.Network.Events.Length() > 0
	})
	ev, _ := v.Network.Events.GetValue(v.Network.Events.Length() - 1)
	if ev.Kind != "joined" {
		t.Errorf("oldest event %+v, want a join", ev)
	}

	// Stop hosting: no tracker left to join.
	if err := v.SetHosting(false); err != nil {
		t.Fatalf("SetHosting(false): %v", err)
	}
	if h, _ := v.Hosting.Get(); h {
		t.Error("still hosting")
	}
	if s, _ := v.Network.HostSummary.Get(); s != "" {
		t.Errorf("host summary %q when not hosting", s)
	}
	// And host again, on a new port.
	if err := v.SetHosting(true); err != nil {
		t.Fatalf("SetHosting(true): %v", err)
	}
	enxametest.WaitFor(t, 10*time.Second, "re-registration", func() bool {
		v.Poll(t.Context(), time.Now())
		ok, _ := v.Connected.Get()
		return ok
	})
	if !v.Settings().Host {
		t.Error("settings do not remember hosting")
	}

	// Change the shared folder.
	other := t.TempDir()
	if err := v.SetShareDir(other); err != nil {
		t.Fatalf("SetShareDir: %v", err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the new folder's (empty) index", func() bool {
		v.Poll(t.Context(), time.Now())
		d, _ := v.ShareDir.Get()
		return d == other && v.Share.Files.Length() == 0
	})
	if err := v.SetShareDir(filepath.Join(other, "missing")); err == nil {
		t.Error("sharing a missing folder succeeded")
	}
	if d, _ := v.ShareDir.Get(); d != other {
		t.Errorf("after a failed change, sharing %q, want %q", d, other)
	}
}

func TestHostPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := testApp(t)
	v := New(a, nil)
	v.Discovery = live.LoopbackDiscovery(t)
	err = v.Start(t.Context(), Settings{Host: true, HostListen: ln.Addr().String(), Downloads: t.TempDir()})
	if err == nil {
		v.Close()
		t.Fatal("hosting on a busy port succeeded")
	}
	v.Close()
	// A failed start can be retried.
	err = v.Start(t.Context(), Settings{Host: true, HostListen: "127.0.0.1:0", Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	v.Close()
}

func TestLANAddrs(t *testing.T) {
	for _, a := range LANAddrs(7077) {
		host, port, err := net.SplitHostPort(a)
		if err != nil || port != "7077" {
			t.Errorf("LAN address %q", a)
		}
		if ip := net.ParseIP(host); ip == nil || ip.IsLoopback() {
			t.Errorf("LAN address %q is loopback or not an IP", a)
		}
	}
}

func TestValidateTrackerAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:7077", true},
		{"tracker.lan:7077", true},
		{"[::1]:7077", true},
		{"127.0.0.1", false},
		{":7077", false},
		{"host:0", false},
		{"host:65536", false},
		{"host:port", false},
		{"", false},
	}
	for _, tt := range tests {
		err := ValidateTrackerAddr(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTrackerAddr(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
}

func TestPendingDownloadsResumeOnStart(t *testing.T) {
	addr := live.StartTracker(t)
	data := randomBytes(t, 600<<10)
	live.StartSeeder(t, addr, map[string][]byte{"left/over.bin": data})
	a := testApp(t)
	id := func() string {
		c := tracker.NewClient(addr)
		defer c.Close()
		resp, err := c.Search(t.Context(), "over.bin")
		if err != nil || len(resp.Results) != 1 {
			t.Fatalf("search: %v %+v", err, resp)
		}
		return resp.Results[0].ID
	}()
	SavePending(a.Preferences(), []Pending{{Name: "left/over.bin", ID: id}, {Name: "bad", ID: "not-an-id"}})
	if got := LoadPending(a.Preferences()); len(got) != 1 {
		t.Fatalf("LoadPending = %+v, want the one valid entry", got)
	}

	v := New(a, nil)
	v.NoPoller = true
	if err := v.Start(t.Context(), Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	enxametest.WaitFor(t, 20*time.Second, "the remembered download to finish", func() bool {
		v.Poll(t.Context(), time.Now())
		r, err := v.Transfers.Rows.GetValue(0)
		return err == nil && r.State == transfer.StateDone
	})
	if got := LoadPending(a.Preferences()); len(got) != 0 {
		t.Errorf("pending after completion: %+v", got)
	}
}

func TestNearbyNetworks(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	host := New(testApp(t), nil)
	host.NoPoller = true
	host.Discovery = disc
	if err := host.Start(t.Context(), Settings{Host: true, HostListen: "127.0.0.1:0", PeerListen: "127.0.0.1:0", Downloads: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	defer host.Close()

	joiner := New(testApp(t), nil)
	joiner.Discovery = disc
	ctx, cancel := context.WithCancel(t.Context())
	defer joiner.Close()
	defer cancel()
	found := make(chan NearbyRow, 1)
	joiner.Nearby.AddListener(dataListener(func() {
		rows, _ := joiner.Nearby.Get()
		if len(rows) > 0 {
			select {
			case found <- rows[0]:
			default:
			}
		}
	}))
	joiner.Browse(ctx)
	select {
	case row := <-found:
		if want := host.Settings(); row.Addr != host.eng.Snapshot().Tracker || row.Name == "" {
			t.Errorf("nearby %+v, want the host's tracker %s (%+v)", row, host.eng.Snapshot().Tracker, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hosted network was not heard")
	}
}

// TestCellLayoutsAgree: the engine's chunk cells reach the grid as they
// are, so both packages must read the same 16 bits the same way.
func TestCellLayoutsAgree(t *testing.T) {
	states := map[transfer.ChunkState]widgets.CellState{
		transfer.ChunkMissing:  widgets.CellMissing,
		transfer.ChunkInFlight: widgets.CellInFlight,
		transfer.ChunkDone:     widgets.CellDone,
		transfer.ChunkFailed:   widgets.CellFailed,
	}
	for ts, ws := range states {
		for _, src := range []int{0, 1, 7, 200, 254, -1} {
			tc := transfer.MakeCell(ts, src)
			wc := widgets.Cell(tc)
			if wc.State() != ws || wc.Source() != tc.Source() || widgets.MakeCell(ws, src) != wc {
				t.Errorf("state %v source %d: engine %#04x (source %d), grid reads %v source %d", ts, src, uint16(tc), tc.Source(), wc.State(), wc.Source())
			}
		}
	}
}
