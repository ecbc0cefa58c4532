package peer_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// startTracker runs an in-process tracker on loopback until the test ends.
func startTracker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := tracker.NewServer(tracker.Config{HeartbeatInterval: time.Second, PeerTimeout: 3 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tracker: %v", err)
		}
	})
	return ln.Addr().String()
}

// searchUntil asks the tracker (bounded, re-asking on a short tick) until
// cond holds for the results of q.
func searchUntil(t *testing.T, c *tracker.Client, q, what string, cond func([]wire.SearchResult) bool) []wire.SearchResult {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		resp, err := c.Search(t.Context(), q)
		if err == nil && cond(resp.Results) {
			return resp.Results
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not seen within 15s (last: %v, %v)", what, resp, err)
		}
	}
}

type partialCatalog struct{ item peer.Item }

func (p *partialCatalog) Lookup(id string) (peer.Item, bool) {
	if id == p.item.Manifest.ID() {
		return p.item, true
	}
	return peer.Item{}, false
}

func TestNodeSharesAndAnnounces(t *testing.T) {
	trackerAddr := startTracker(t)
	dir := t.TempDir()
	data := randomBytes(21, 700<<10)
	writeOld(t, filepath.Join(dir, "music", "song.ogg"), data)
	ix, err := share.New(share.Config{Dir: dir, NoCache: true, Logger: testLogger(t),
		Debounce: 20 * time.Millisecond, SettleTime: 100 * time.Millisecond, RescanInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	node, err := peer.NewNode(peer.NodeConfig{Index: ix, Tracker: trackerAddr, Listen: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node: %v", err)
			}
		}
	}
	defer stop()

	tc := tracker.NewClient(trackerAddr)
	defer tc.Close()
	id := idOf(t, data)
	res := searchUntil(t, tc, "song", "shared file", func(r []wire.SearchResult) bool { return len(r) == 1 && r[0].ID == id })
	if res[0].Name != "music/song.ogg" || res[0].Size != int64(len(data)) || len(res[0].Peers) != 1 {
		t.Fatalf("search result %+v", res[0])
	}
	// Fetch from the address the tracker gave out.
	c, err := peer.Dial(t.Context(), res[0].Peers[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, len(data))
	if err := c.Get(t.Context(), id, 0, int64(len(data)), buf); err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("fetch: %v", err)
	}

	// A new file is announced by itself.
	more := []byte("a new file appears")
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), more, 0o644); err != nil {
		t.Fatal(err)
	}
	searchUntil(t, tc, "new.txt", "new file", func(r []wire.SearchResult) bool { return len(r) == 1 && r[0].ID == idOf(t, more) })

	// A download in progress: served from its verified chunks, announced
	// incomplete.
	pdata := randomBytes(22, 600<<10)
	ppath := filepath.Join(t.TempDir(), "partial")
	os.WriteFile(ppath, pdata, 0o644)
	pm, _ := wire.ManifestOf(bytes.NewReader(pdata), int64(len(pdata)), nil, nil)
	pc := &partialCatalog{peer.Item{Manifest: pm, Open: func() (*os.File, error) { return os.Open(ppath) },
		Have: func() wire.Bitfield { return wire.Bitfield{0x80} }}}
	node.AddCatalog(pc)
	node.SetExtraFiles(func() []wire.FileEntry {
		return []wire.FileEntry{{Name: "incoming.iso", Size: pm.Size, ID: pm.ID(), Complete: false}}
	})
	searchUntil(t, tc, "incoming", "partial download", func(r []wire.SearchResult) bool {
		return len(r) == 1 && len(r[0].Peers) == 1 && !r[0].Peers[0].Complete
	})
	bf, err := c.Have(t.Context(), pm.ID(), pm.NumChunks())
	if err != nil || !bytes.Equal(bf, []byte{0x80}) {
		t.Fatalf("HAVE partial: %x %v", []byte(bf), err)
	}
	if err := c.Get(t.Context(), pm.ID(), 256<<10, 1, buf); !strings.Contains(errString(err), "missing") {
		t.Fatalf("GET unverified chunk: %v", err)
	}
	node.RemoveCatalog(pc)
	if _, err := c.Have(t.Context(), pm.ID(), pm.NumChunks()); !strings.Contains(errString(err), "not_found") {
		t.Fatalf("HAVE after RemoveCatalog: %v", err)
	}

	st := node.Status()
	if !st.Session.Registered || st.Server.BytesServed < int64(len(data)) || st.Files != 3 {
		t.Errorf("status %+v", st)
	}

	// Leaving unregisters at once.
	stop()
	list, err := tc.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Peers) != 0 {
		t.Errorf("peers after the node left: %+v", list.Peers)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCapAnnounce(t *testing.T) {
	files := make([]wire.FileEntry, wire.MaxFilesPerPeer+5)
	if got := len(peer.CapAnnounce(files)); got != wire.MaxFilesPerPeer {
		t.Errorf("kept %d, want %d", got, wire.MaxFilesPerPeer)
	}
	long := make([]wire.FileEntry, 2000)
	for i := range long {
		long[i].Name = strings.Repeat("n", 4000)
	}
	if got := peer.CapAnnounce(long); len(got) == 0 || len(got)*4000 > peer.MaxAnnounceBytes {
		t.Errorf("kept %d long names", len(got))
	}
}

// listUntil asks the tracker for its peers until cond holds.
func listUntil(t *testing.T, addr, what string, cond func([]wire.PeerInfo) bool) {
	t.Helper()
	c := tracker.NewClient(addr)
	defer c.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		resp, err := c.List(t.Context())
		if err == nil && cond(resp.Peers) {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not seen within 15s (last: %+v, %v)", what, resp, err)
		}
	}
}

// TestNodeSetTracker moves a running node from tracker to tracker: it
// leaves the old one, registers with the new one (with can_host as
// asked), and reports each change on SessionChanged.
func TestNodeSetTracker(t *testing.T) {
	a, b := startTracker(t), startTracker(t)
	node, err := peer.NewNode(peer.NodeConfig{Listen: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
	}()
	one := func(canHost bool) func([]wire.PeerInfo) bool {
		return func(ps []wire.PeerInfo) bool { return len(ps) == 1 && ps[0].CanHost == canHost }
	}
	none := func(ps []wire.PeerInfo) bool { return len(ps) == 0 }

	if node.Tracker() != "" || node.Status().Session.Registered {
		t.Fatalf("without a tracker: %q %+v", node.Tracker(), node.Status())
	}
	node.SetTracker(a, false)
	listUntil(t, a, "registered with a", one(false))
	node.SetTracker(b, true)
	listUntil(t, b, "registered with b, can_host", one(true))
	listUntil(t, a, "left a", none)
	if node.Tracker() != b {
		t.Errorf("Tracker() = %q, want %q", node.Tracker(), b)
	}
	deadline := time.After(15 * time.Second)
	for st := node.Status().Session; !st.Registered || st.Tracker != b; st = node.Status().Session {
		select {
		case <-node.SessionChanged():
		case <-deadline:
			t.Fatalf("status never showed b: %+v", st)
		}
	}
	node.SetTracker("", false)
	listUntil(t, b, "left b", none)
}
