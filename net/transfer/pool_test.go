package transfer

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// fetchInto runs a download of f.bin into its own folder under dir and
// waits for it.
func fetchInto(t *testing.T, mgr *Manager, dir string, i int) {
	t.Helper()
	out := filepath.Join(dir, strconv.Itoa(i))
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := mgr.Wait(t.Context(), d); err != nil {
		t.Fatalf("download %d: %v", i, err)
	}
}

// Downloads one after another from the same peer share its connections:
// without the pool each costs two (manifest, chunks), 2n in all.
func TestPoolReusesConnections(t *testing.T) {
	data, m := randomFile(t, chunk/2)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	mgr := NewManager(testOptions(tr))
	defer mgr.Close()
	dir := t.TempDir()
	const n = 8
	for i := range n {
		fetchInto(t, mgr, dir, i)
		checkSaved(t, filepath.Join(dir, strconv.Itoa(i), "f.bin"), filepath.Join(dir, strconv.Itoa(i), "f.bin"), data)
	}
	// One connection serves them all; a session slower than finishGrace
	// to park (a loaded machine) costs one more now and then.
	if got := seed.accepted.Load(); got > n/2 {
		t.Fatalf("%d downloads opened %d connections; pooled, they should share one", n, got)
	}
	if got := mgr.opts.pool.idleCount(); got < 1 {
		t.Fatalf("%d connections idle in the pool after the downloads, want 1 or more", got)
	}
	// Closing the manager closes them: the peer sees every connection end.
	mgr.Close()
	if got := mgr.opts.pool.idleCount(); got != 0 {
		t.Fatalf("%d connections idle after Close", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for seed.open() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open at the peer after Close", seed.open())
		}
		time.Sleep(10 * time.Millisecond) // polling the peer's side, bounded
	}
}

// A pooled connection the peer closed meanwhile is never used: seen dead
// when taken (on Unix, by a look at the socket), or, where it cannot be
// seen, dropped and dialled again at its first failed request, before
// anything counts against the peer.
func TestPoolDeadConnections(t *testing.T) {
	for _, c := range []struct {
		name string
		look bool // the pool can see a dead socket
	}{{"seen", true}, {"unseen", false}} {
		t.Run(c.name, func(t *testing.T) {
			data, m := randomFile(t, 3*chunk)
			seed := newTestPeer(data, m).start(t)
			tr := &fakeTracker{}
			tr.set(result("f.bin", m, seed))
			mgr := NewManager(testOptions(tr))
			defer mgr.Close()
			if !c.look {
				mgr.opts.pool.alive = func(net.Conn) bool { return true }
			}
			dir := t.TempDir()
			fetchInto(t, mgr, dir, 0)
			if mgr.opts.pool.idleCount() == 0 {
				t.Skip("no connection was parked (a session slower than finishGrace)")
			}
			seed.dropConns() // the peer restarted, or evicted them
			before := seed.accepted.Load()
			fetchInto(t, mgr, dir, 1)
			checkSaved(t, filepath.Join(dir, "1", "f.bin"), filepath.Join(dir, "1", "f.bin"), data)
			if got := mgr.opts.pool.dead.Load(); got < 1 {
				t.Fatalf("dead pooled connections noticed: %d, want at least 1", got)
			}
			if seed.accepted.Load() == before {
				t.Fatal("no new connection after the pooled ones died")
			}
		})
	}
}

// alive tells an idle connection from one the other end closed or wrote
// on.
func TestAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pair := func() (client, server net.Conn) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		return c, s
	}
	// eventually polls alive until it says want (what the other end did
	// takes a moment to reach this socket).
	eventually := func(c net.Conn, want bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for alive(c) != want {
			if time.Now().After(deadline) {
				t.Fatalf("alive = %v, want %v", !want, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	c, _ := pair()
	if !alive(c) {
		t.Fatal("an idle open connection is not alive")
	}
	c, s := pair()
	s.Close()
	eventually(c, false)
	c, s = pair()
	s.Write([]byte("x"))
	eventually(c, false)
	// The look reads nothing: the byte is still there.
	var b [1]byte
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(b[:]); n != 1 || b[0] != 'x' {
		t.Fatalf("after the look, read %d %q (%v), want the byte", n, b[:n], err)
	}
}

// pipeConn is a peerConn over one end of a pipe, as the pool holds them.
func pipeConn(t *testing.T, addr string) (*peerConn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	pc := &peerConn{addr: addr, c: a, stop: func() bool { return true }}
	pc.br = bufio.NewReader(a)
	return pc, b
}

// The pool keeps at most poolIdlePerPeer connections to a peer and
// poolIdleMax in all, and none past poolIdleTimeout.
func TestPoolBounds(t *testing.T) {
	p := newConnPool()
	defer p.close()
	p.alive = func(net.Conn) bool { return true }
	now := time.Now()
	p.now = func() time.Time { return now }
	k := func(addr string) poolKey { return poolKey{addr: addr} }
	for range poolIdlePerPeer + 3 {
		pc, _ := pipeConn(t, "a")
		p.put(k("a"), pc)
	}
	if got := p.idleCount(); got != poolIdlePerPeer {
		t.Fatalf("%d idle to one peer, want %d", got, poolIdlePerPeer)
	}
	for i := range poolIdleMax {
		pc, _ := pipeConn(t, "b")
		p.put(k("b"+strconv.Itoa(i)), pc)
	}
	if got := p.idleCount(); got != poolIdleMax {
		t.Fatalf("%d idle in all, want %d", got, poolIdleMax)
	}
	// A connection with something unread is not kept.
	pc, _ := pipeConn(t, "c")
	pc.wbuf = append(pc.wbuf, "GET"...)
	p.drop(k("a"))
	p.put(k("c"), pc)
	if p.take(k("c")) != nil {
		t.Fatal("a connection with requests unsent was pooled")
	}
	if p.take(k("b0")) == nil {
		t.Fatal("an idle connection was not handed out")
	}
	now = now.Add(poolIdleTimeout)
	if p.take(k("b1")) != nil {
		t.Fatal("a connection idle for poolIdleTimeout was handed out")
	}
	p.pruneIdle()
	if got := p.idleCount(); got != 0 {
		t.Fatalf("%d idle after the timeout and a prune, want 0", got)
	}
	// Closed, it keeps nothing.
	p.close()
	pc, _ = pipeConn(t, "d")
	p.put(k("d"), pc)
	if got := p.idleCount(); got != 0 {
		t.Fatalf("a closed pool keeps %d", got)
	}
}
