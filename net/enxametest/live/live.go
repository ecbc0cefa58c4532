// Package live runs real engine pieces on loopback for tests: an
// in-process tracker, seeders sharing real files, loopback-only discovery.
// Tests only.
package live

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/discovery/discoverytest"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
)

// StartTracker runs an in-process tracker on loopback until the test ends.
func StartTracker(t testing.TB) string {
	t.Helper()
	return StartPrivateTracker(t, nil)
}

// StartPrivateTracker runs an in-process tracker of the private network
// of key (nil: an open one) on loopback until the test ends.
func StartPrivateTracker(t testing.TB, key *secure.NetworkKey) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := tracker.NewServer(tracker.Config{HeartbeatInterval: 200 * time.Millisecond, PeerTimeout: 2 * time.Second,
		Credentials: secure.Credentials{Key: key}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ctx, ln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ln.Addr().String()
}

// StartSeeder shares files (name → contents) from a new folder through a
// real peer node registered with trackerAddr, and waits until the tracker
// lists them.
func StartSeeder(t testing.TB, trackerAddr string, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Settled already: the index hashes files whose mtime is old enough.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := share.New(share.Config{Dir: dir, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	node, err := peer.NewNode(peer.NodeConfig{Index: ix, Tracker: trackerAddr, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = node.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); ix.Close() })
	enxametest.WaitFor(t, 10*time.Second, "the seeder to register its files", func() bool {
		st := node.Status().Session
		return st.Registered && st.Files == len(files)
	})
	client := tracker.NewClient(trackerAddr)
	defer client.Close()
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the seeder's files", func() bool {
		resp, err := client.Search(t.Context(), "")
		if err != nil {
			return false
		}
		n := 0
		for _, r := range resp.Results {
			for _, p := range r.Peers {
				if p.Addr == node.Status().Session.Addr {
					n++
				}
			}
		}
		return n == len(files)
	})
	return dir
}

// LoopbackDiscovery keeps LAN discovery on the loopback interface and a
// free port, so tests neither hear nor disturb the real LAN.
func LoopbackDiscovery(t testing.TB) []discovery.Option {
	t.Helper()
	return discoverytest.Options(t)
}
