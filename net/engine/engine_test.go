package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
)

func TestMain(m *testing.M) {
	cleanup := enxametest.IsolateUserDirs()
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) { cleanup(); os.Exit(code) }))
}

func randomData(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// start runs an engine with cfg until the test ends.
func start(t *testing.T, cfg Config) *Engine {
	t.Helper()
	return startTB(t, cfg)
}

// startTB is start for tests and benchmarks.
func startTB(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if cfg.Listen == "" && !cfg.NoServe {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Downloads == "" {
		cfg.Downloads = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	e, err := Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { cancel(); e.Wait() })
	return e
}

// waitDone waits for the download under key and returns its saved path.
func waitDone(t *testing.T, e *Engine, key string) string {
	t.Helper()
	if err := e.WaitDownload(t.Context(), key); err != nil {
		t.Fatalf("download %s: %v", key, err)
	}
	tr, ok := e.Transfer(key)
	if !ok || tr.State != transfer.StateDone {
		t.Fatalf("transfer %s after its run: %+v (found %v)", key, tr.Progress, ok)
	}
	return tr.Path
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(want) {
		t.Fatalf("%s differs from the shared bytes (err %v)", path, err)
	}
}

// TestShareAndDownload: one engine shares a folder, another finds the file
// by name through the tracker and saves identical bytes; the snapshot says
// what each sees, and the downloader announces and serves what it holds.
func TestShareAndDownload(t *testing.T) {
	tr := live.StartTracker(t)
	data := randomData(3<<20 + 123)
	dir := t.TempDir()
	p := filepath.Join(dir, "lecture.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)

	seeder := start(t, Config{Tracker: tr, ShareDir: dir, Share: ShareOptions{NoCache: true}})
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the seeder's file", func() bool {
		resp, err := seeder.Search(t.Context(), "lecture")
		return err == nil && len(resp.Results) == 1
	})
	if st := seeder.Snapshot(); st.ShareDir != dir || st.Share.Files != 1 || st.Listen == "" || st.Tracker != tr {
		t.Errorf("seeder snapshot %+v", st)
	}
	if files := seeder.SharedFiles(); len(files) != 1 || files[0].ID != enxametest.ContentID(data) {
		t.Errorf("shared files %+v", files)
	}

	leecher := start(t, Config{Tracker: tr})
	key, err := leecher.Download(Request{Name: "lecture.bin"})
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, leecher, key), data)
	st := leecher.Snapshot()
	if len(st.Transfers) != 1 || st.Transfers[0].Key != key || st.Transfers[0].Req.Name != "lecture.bin" {
		t.Errorf("transfers %+v", st.Transfers)
	}
	// The finished file is served and announced by the downloader too.
	enxametest.WaitFor(t, 10*time.Second, "the downloader to announce the file", func() bool {
		resp, err := leecher.Search(t.Context(), "lecture")
		return err == nil && len(resp.Results) == 1 && len(resp.Results[0].Peers) == 2
	})
}

// TestNeverAsksItself: a peer that shares a file and is asked to download
// it again finds only itself as a holder, and never connects to its own
// chunk server; it stalls instead.
func TestNeverAsksItself(t *testing.T) {
	tr := live.StartTracker(t)
	data := randomData(300 << 10)
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.bin")
	os.WriteFile(p, data, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	e := start(t, Config{Tracker: tr, ShareDir: dir, Share: ShareOptions{NoCache: true}, StallTimeout: 500 * time.Millisecond})
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the file", func() bool {
		resp, err := e.Search(t.Context(), "mine")
		return err == nil && len(resp.Results) == 1
	})
	key, err := e.Download(Request{Name: "mine.bin"})
	if err != nil {
		t.Fatal(err)
	}
	err = e.WaitDownload(t.Context(), key)
	if err == nil {
		t.Fatal("downloaded a file whose only holder is this peer")
	}
	if got := e.Snapshot().Server.Requests; got != 0 {
		t.Errorf("own chunk server answered %d requests", got)
	}
	// Both rules: the address the tracker recorded, and the port on any
	// local address.
	st := e.Snapshot()
	_, port, _ := net.SplitHostPort(st.Listen)
	for _, addr := range []string{st.Addr, net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)} {
		if !e.isSelf(addr) {
			t.Errorf("isSelf(%q) false", addr)
		}
	}
	n, _ := strconv.Atoi(port)
	if other := net.JoinHostPort("127.0.0.1", strconv.Itoa(n%65535+1)); e.isSelf(other) {
		t.Errorf("isSelf(%q) true", other)
	}
}

// TestDownloadCommands: pause keeps the download listed, resume finishes
// it, a second download of a running id is refused, cancel and forget take
// it off the list, unknown keys are errors.
func TestDownloadCommands(t *testing.T) {
	tr := live.StartTracker(t)
	data := randomData(2 << 20)
	dir := live.StartSeeder(t, tr, map[string][]byte{"a.bin": data, "b.bin": data[:1000]})
	_ = dir
	e := start(t, Config{Tracker: tr})
	id := enxametest.ContentID(data)
	key, err := e.Download(Request{Name: "a.bin", ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Download(Request{Name: "a.bin", ID: id}); !errors.Is(err, transfer.ErrBusy) {
		if tr, _ := e.Transfer(key); tr.State != transfer.StateDone {
			t.Errorf("second download of a running id: %v", err)
		}
	}
	if err := e.Pause(key); err != nil {
		t.Fatal(err)
	}
	if tr, ok := e.Transfer(key); !ok || (tr.State != transfer.StatePaused && tr.State != transfer.StateDone) {
		t.Fatalf("after Pause: %+v", tr.Progress)
	}
	if err := e.Resume(key); err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, e, key), data)

	key2, err := e.Download(Request{Name: "b.bin"})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, key2)
	if err := e.Forget(key2); err != nil {
		t.Fatal(err)
	}
	if err := e.Cancel(key); err != nil {
		t.Fatal(err)
	}
	if got := e.Snapshot().Transfers; len(got) != 0 {
		t.Errorf("transfers after cancel and forget: %+v", got)
	}
	for _, f := range []func(string) error{e.Pause, e.Resume, e.Cancel, e.Forget} {
		if err := f(key); !errors.Is(err, transfer.ErrNotFound) {
			t.Errorf("command on a removed key: %v", err)
		}
	}
}

// TestHostAndJoin: an engine hosts a network (its own tracker) that
// another joins by address; stopping hosting goes back to the tracker
// joined before; a busy port fails Host and changes nothing.
func TestHostAndJoin(t *testing.T) {
	disc := live.LoopbackDiscovery(t)
	tr := live.StartTracker(t)
	host := start(t, Config{Host: true, HostListen: "127.0.0.1:0", Network: "lab", Tracker: tr, Discovery: disc})
	enxametest.WaitFor(t, 10*time.Second, "the host to register with itself", func() bool {
		st := host.Snapshot()
		return st.Registered && st.Hosting
	})
	st := host.Snapshot()
	if st.Network != "lab" || st.Tracker == tr || st.Host == nil {
		t.Fatalf("hosting snapshot %+v", st)
	}
	guest := start(t, Config{Tracker: tr, Discovery: disc})
	if err := guest.Join(st.Tracker, nil); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the guest to register with the host", func() bool {
		gs := guest.Snapshot()
		return gs.Registered && gs.RegisteredWith == st.Tracker
	})
	resp, err := host.List(t.Context())
	if err != nil || len(resp.Peers) != 2 {
		t.Fatalf("host lists %+v (%v), want both peers", resp, err)
	}
	if err := guest.Join("nonsense", nil); err == nil {
		t.Error("Join accepted an address without a port")
	}

	if err := host.Host(false); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the former host to register with the first tracker", func() bool {
		hs := host.Snapshot()
		return !hs.Hosting && hs.Registered && hs.RegisteredWith == tr
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := start(t, Config{Tracker: tr, HostListen: ln.Addr().String(), Discovery: disc})
	if err := busy.Host(true); err == nil {
		t.Fatal("hosting on a busy port succeeded")
	}
	if bs := busy.Snapshot(); bs.Hosting || bs.Tracker != tr {
		t.Errorf("after a failed Host: %+v", bs)
	}
}

// TestStartFailsCleanly: an unusable folder or listener fails Start and
// leaves nothing running (goleak checks the rest).
func TestStartFailsCleanly(t *testing.T) {
	ctx := t.Context()
	if _, err := Start(ctx, Config{ShareDir: filepath.Join(t.TempDir(), "missing"), Listen: "127.0.0.1:0"}); err == nil {
		t.Error("Start shared a missing folder")
	}
	if _, err := Start(ctx, Config{Listen: "127.0.0.1:99999"}); err == nil {
		t.Error("Start listened on a bad address")
	}
	if _, err := Start(ctx, Config{Host: true, HostListen: "127.0.0.1:99999", Listen: "127.0.0.1:0"}); err == nil {
		t.Error("Start hosted on a bad address")
	}
}

// TestNoServe: an engine that only downloads opens no chunk server and
// never registers.
func TestNoServe(t *testing.T) {
	tr := live.StartTracker(t)
	data := randomData(5000)
	live.StartSeeder(t, tr, map[string][]byte{"x.txt": data})
	e := start(t, Config{Tracker: tr, NoServe: true})
	key, err := e.Download(Request{Name: "x.txt"})
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, e, key), data)
	if st := e.Snapshot(); st.Listen != "" || st.Registered || e.SessionChanged() != nil {
		t.Errorf("NoServe snapshot %+v", st)
	}
	resp, err := e.List(t.Context())
	if err != nil || len(resp.Peers) != 1 {
		t.Errorf("tracker lists %+v (%v), want the seeder only", resp, err)
	}
}

// TestSetShareDir: sharing another folder restarts the node with the new
// index; an unusable folder is refused and the old one stays shared.
func TestSetShareDir(t *testing.T) {
	tr := live.StartTracker(t)
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []struct{ dir, name string }{{a, "a.txt"}, {b, "b1.txt"}, {b, "b2.txt"}} {
		p := filepath.Join(f.dir, f.name)
		os.WriteFile(p, []byte(f.name), 0o644)
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
	e := start(t, Config{Tracker: tr, ShareDir: a, Share: ShareOptions{NoCache: true}})
	enxametest.WaitFor(t, 10*time.Second, "a's file announced", func() bool { return e.Snapshot().Announced == 1 })
	if err := e.SetShareDir(b); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "b's files announced", func() bool {
		st := e.Snapshot()
		return st.ShareDir == b && st.Announced == 2 && st.Registered
	})
	if err := e.SetShareDir(filepath.Join(b, "missing")); err == nil {
		t.Fatal("shared a missing folder")
	}
	enxametest.WaitFor(t, 10*time.Second, "b shared again", func() bool {
		st := e.Snapshot()
		return st.ShareDir == b && st.Announced == 2
	})
}
