package tracker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// wait bounds every wait in these tests: a failure, never a sleep.
const wait = 10 * time.Second

type testServer struct {
	*Server
	addr string
	done chan error
	stop func() // stops the server and waits for Serve to return
}

// startServer serves on a fresh loopback port until the test ends.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, cfg, ln)
}

func serveOn(t *testing.T, cfg Config, ln net.Listener) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: NewServer(cfg), addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ts.done <- ts.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(wait):
			t.Errorf("Serve did not return after cancel")
		}
	}
	t.Cleanup(stop)
	ts.stop = stop
	return ts
}

// rawConn speaks the protocol line by line, for tests that need the bytes.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// dialRaw connects as an outside client would: TLS 1.3, ALPN enxame/2,
// a self-signed certificate of its own (net/enxametest).
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := enxametest.DialTLS(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(wait))
	return &rawConn{t: t, c: c, br: bufio.NewReaderSize(c, 1<<20)}
}

// dialTLSFrom connects from ip as an outside client (see dialRaw).
func dialTLSFrom(t testing.TB, ip net.IP, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: wait}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := enxametest.ClientTLS(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

func (rc *rawConn) send(line string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, line+"\n"); err != nil {
		rc.t.Fatalf("writing: %v", err)
	}
}

func (rc *rawConn) read() map[string]any {
	rc.t.Helper()
	line, err := rc.br.ReadBytes('\n')
	if err != nil {
		rc.t.Fatalf("reading answer: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		rc.t.Fatalf("answer %q is not JSON: %v", line, err)
	}
	return m
}

func (rc *rawConn) ask(line string) map[string]any {
	rc.t.Helper()
	rc.send(line)
	return rc.read()
}

// expectEOF checks that the server closes the connection (after answers
// still buffered, which it returns).
func (rc *rawConn) expectEOF() {
	rc.t.Helper()
	rest, err := io.ReadAll(rc.br)
	if err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		rc.t.Fatalf("waiting for close: %v", err)
	}
	if len(rest) > 0 {
		rc.t.Fatalf("more answers before close: %q", rest)
	}
}

func code(m map[string]any) string {
	if m["ok"] == true {
		return "ok"
	}
	c, _ := m["code"].(string)
	if e, _ := m["error"].(string); e == "" || c == "" {
		return "malformed failure " + fmt.Sprint(m)
	}
	return c
}

func fileJSON(name, content string) string {
	b, _ := json.Marshal(file(name, content))
	return string(b)
}

// TestErrorCodes drives every error code of the contract over a socket.
func TestErrorCodes(t *testing.T) {
	ts := startServer(t, Config{Registry: RegistryConfig{MaxFilesPerPeer: 2, MaxPeers: 1}})
	panicked := false
	ts.testHook = func(req wire.Request) {
		if req.Op == wire.OpSearch && req.Q == "panic please" && !panicked {
			panicked = true
			panic("test panic")
		}
	}
	rc := dialRaw(t, ts.addr)
	reg := rc.ask(`{"op":"register","port":9000,"files":[` + fileJSON("a.txt", "a") + `]}`)
	if code(reg) != "ok" || reg["addr"] != "127.0.0.1:9000" || reg["heartbeat_s"] != 5.0 || reg["timeout_s"] != 15.0 {
		t.Fatalf("register: %v", reg)
	}
	tok := reg["token"].(string)
	f3 := strings.Repeat(fileJSON("b", "b")+",", 2) + fileJSON("c", "c")
	cases := []struct {
		line, want string
	}{
		{`hello`, "bad_request"},
		{`[]`, "bad_request"},
		{`null`, "bad_request"},
		{`{}`, "bad_request"},
		{`{"op":7}`, "bad_request"},
		{"{\"op\":\"list\",\"x\":\"\xff\"}", "bad_request"},
		{`{"op":"dance"}`, "unknown_op"},
		{`{"op":"register","files":[]}`, "bad_request"},
		{`{"op":"register","port":"9000","files":[]}`, "bad_request"},
		{`{"op":"register","port":0,"files":[]}`, "bad_request"},
		{`{"op":"register","port":65536,"files":[]}`, "bad_request"},
		{`{"op":"register","port":9001}`, "bad_request"},
		{`{"op":"register","port":9001,"files":[{"name":"x","size":-1,"id":"` + testID("x") + `"}]}`, "bad_request"},
		{`{"op":"register","port":9001,"files":[{"name":"x","size":1,"id":"ABC"}]}`, "bad_request"},
		{`{"op":"register","port":9001,"files":[{"name":"","size":1,"id":"` + testID("x") + `"}]}`, "bad_request"},
		{`{"op":"register","port":9001,"files":[{"name":"a\u0007b","size":1,"id":"` + testID("x") + `"}]}`, "bad_request"},
		{`{"op":"register","port":9001,"files":[` + f3 + `]}`, "too_large"},
		{`{"op":"register","port":9001,"files":[]}`, "limit"}, // MaxPeers 1
		{`{"op":"register","port":9000,"files":[]}`, "ok"},    // replacing is fine
		{`{"op":"heartbeat"}`, "bad_request"},
		{`{"op":"heartbeat","token":""}`, "bad_request"},
		{`{"op":"heartbeat","token":3}`, "bad_request"},
		{`{"op":"heartbeat","token":"` + tok + `"}`, "unknown_peer"}, // replaced just above
		{`{"op":"update","token":"nope","files":[]}`, "unknown_peer"},
		{`{"op":"update","token":"nope"}`, "bad_request"},
		{`{"op":"unregister","token":"nope"}`, "unknown_peer"},
		{`{"op":"search"}`, "bad_request"},
		{`{"op":"search","q":null}`, "bad_request"},
		{`{"op":"search","q":"panic please"}`, "internal"},
	}
	for _, c := range cases {
		got := code(rc.ask(c.line))
		if got != c.want {
			t.Errorf("%.80s: %s, want %s", c.line, got, c.want)
		}
		if c.want == "internal" {
			rc.expectEOF()
			rc = dialRaw(t, ts.addr)
		}
	}
	// The connection still serves after every refusal.
	if got := code(rc.ask(`{"op":"list"}`)); got != "ok" {
		t.Errorf("list after errors: %s", got)
	}
	// A trailing \r is tolerated; several requests in one write are answered in order.
	rc.c.Write([]byte("{\"op\":\"list\"}\r\n{\"op\":\"search\",\"q\":\"a\"}\n{\"op\":\"nope\"}\n"))
	if a, b, c := rc.read(), rc.read(), rc.read(); a["peers"] == nil || b["results"] == nil || code(c) != "unknown_op" {
		t.Errorf("pipelined answers out of order: %v %v %v", a, b, c)
	}
}

func TestOverlongLine(t *testing.T) {
	ts := startServer(t, Config{})
	// A 1 MiB line is always accepted.
	rc := dialRaw(t, ts.addr)
	big := `{"op":"search","q":"` + strings.Repeat("x", 1<<20) + `"}`
	if got := code(rc.ask(big)); got != "ok" {
		t.Fatalf("1 MiB line: %s", got)
	}
	// Over the limit: too_large, then close; the tail is never a request.
	rc = dialRaw(t, ts.addr)
	tail := "\n" + `{"op":"register","port":1234,"files":[]}` + "\n"
	go func() {
		w := bufio.NewWriterSize(rc.c, 64<<10)
		w.WriteString(`{"op":"search","q":"`)
		pad := strings.Repeat("y", 64<<10)
		for n := 0; n < wire.MaxTrackerLineBytes+1; n += len(pad) {
			if _, err := w.WriteString(pad); err != nil {
				return
			}
		}
		w.WriteString(tail)
		w.Flush()
	}()
	if got := code(rc.read()); got != "too_large" {
		t.Errorf("over-long line: %s, want too_large", got)
	}
	rc.expectEOF()
	if l := ts.Registry().Snapshot(); l.Peers != 0 {
		t.Errorf("the tail of an over-long line registered a peer")
	}
}

func TestLineBudget(t *testing.T) {
	ts := startServer(t, Config{LineBudgetBytes: 64 << 10})
	rc := dialRaw(t, ts.addr)
	rc.send(`{"op":"search","q":"` + strings.Repeat("z", 100<<10) + `"}`)
	if got := code(rc.read()); got != "limit" {
		t.Errorf("line over the server-wide budget: %s, want limit", got)
	}
	rc.expectEOF()
	rc = dialRaw(t, ts.addr)
	if got := code(rc.ask(`{"op":"search","q":"` + strings.Repeat("z", 30<<10) + `"}`)); got != "ok" {
		t.Errorf("line within budget after the refusal: %s", got)
	}
	if n := ts.lineBytes.Load(); n != 0 {
		t.Errorf("line budget still holds %d bytes", n)
	}
}

// TestSlowClient sends a request one byte at a time while other clients are
// served; then a client that stops mid-line is cut off after LineTimeout.
func TestSlowClient(t *testing.T) {
	ts := startServer(t, Config{LineTimeout: 300 * time.Millisecond, IdleTimeout: wait})
	slow := dialRaw(t, ts.addr)
	req := `{"op":"register","port":4242,"files":[` + fileJSON("slow.txt", "slow") + `]}` + "\n"
	fast := dialRaw(t, ts.addr)
	for i := 0; i < len(req); i++ {
		if _, err := slow.c.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if got := code(fast.ask(`{"op":"list"}`)); got != "ok" {
				t.Fatalf("fast client while slow one writes: %s", got)
			}
		}
	}
	if m := slow.read(); code(m) != "ok" || m["addr"] != "127.0.0.1:4242" {
		t.Fatalf("slow register: %v", m)
	}
	// Stalling mid-line: the connection is closed without an answer.
	stall := dialRaw(t, ts.addr)
	stall.c.Write([]byte(`{"op":"li`))
	stall.expectEOF()
	// Idle connections are left alone much longer than LineTimeout: slow
	// is still usable.
	if got := code(slow.ask(`{"op":"list"}`)); got != "ok" {
		t.Errorf("idle connection after the stall: %s", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, Config{IdleTimeout: 200 * time.Millisecond})
	rc := dialRaw(t, ts.addr)
	if got := code(rc.ask(`{"op":"list"}`)); got != "ok" {
		t.Fatal(got)
	}
	rc.expectEOF()
}

func TestConnectionLimits(t *testing.T) {
	// At its own limit, an address's idle connection makes room for its
	// new one.
	ts := startServer(t, Config{MaxConns: 3, MaxConnsPerIP: 2})
	a, b := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
	for _, rc := range []*rawConn{a, b} {
		if got := code(rc.ask(`{"op":"list"}`)); got != "ok" {
			t.Fatal(got)
		}
	}
	c := dialRaw(t, ts.addr)
	if got := code(c.ask(`{"op":"list"}`)); got != "ok" {
		t.Errorf("third connection from one IP: %s, want ok", got)
	}
	a.expectEOF() // the one idle longest
	if got := code(b.ask(`{"op":"list"}`)); got != "ok" {
		t.Errorf("the other connection after making room: %s", got)
	}

	// Connections busy answering are never closed: over the total while
	// every connection is busy, a new one is refused.
	ts2 := startServer(t, Config{MaxConns: 2, MaxConnsPerIP: 100})
	entered, release := make(chan struct{}, 2), make(chan struct{})
	ts2.testHook = func(req wire.Request) {
		if req.Op == wire.OpList {
			entered <- struct{}{}
			<-release
		}
	}
	d, e := dialRaw(t, ts2.addr), dialRaw(t, ts2.addr)
	d.send(`{"op":"list"}`)
	e.send(`{"op":"list"}`)
	<-entered
	<-entered
	f := dialRaw(t, ts2.addr)
	if got := code(f.read()); got != "limit" {
		t.Errorf("connection over the total while all are busy: %s, want limit", got)
	}
	close(release)
	for _, rc := range []*rawConn{d, e} {
		if got := code(rc.read()); got != "ok" {
			t.Errorf("busy connection after the refusal: %s", got)
		}
	}
	if st := ts.Stats(); st.Evicted != 1 {
		t.Errorf("evicted %d, want 1", st.Evicted)
	}
}

// TestIdleConnectionsDoNotLockOut is the attack "idle sockets lock a
// peer" (issue 13) against the tracker: a few addresses hold every
// connection slot with idle sockets; a fresh client from another address
// must still be served, within seconds.
func TestIdleConnectionsDoNotLockOut(t *testing.T) {
	ts := startServer(t, Config{MaxConns: 64, MaxConnsPerIP: 16})
	for i := range 64 {
		c := dialTLSFrom(t, net.IPv4(127, 0, 0, byte(10+i%4)), ts.addr)
		t.Cleanup(func() { c.Close() })
	}
	// The accept queue is first in, first out: the server has taken the
	// 64 idle connections before it takes the next one.
	for round := range 3 {
		start := time.Now()
		c := dialTLSFrom(t, net.IPv4(127, 0, 1, byte(1+round)), ts.addr)
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(wait))
		rc := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
		if got := code(rc.ask(`{"op":"register","port":9000,"files":[]}`)); got != "ok" {
			t.Fatalf("round %d: a fresh client from another address got %s", round, got)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("round %d: served after %s", round, d)
		}
	}
	// (Stats.Conns may still count an evicted connection whose goroutine
	// is finishing; the slots never exceed the limit.)
	if st := ts.Stats(); st.Evicted < 3 || ts.slots.Len() > 64 {
		t.Errorf("stats: %d evicted, %d slots taken", st.Evicted, ts.slots.Len())
	}
}

// TestManyIdleConnections holds 1,000 idle connections open while a fresh
// client registers, searches and lists.
func TestManyIdleConnections(t *testing.T) {
	ts := startServer(t, Config{MaxConnsPerIP: 2000})
	conns := make([]net.Conn, 0, 1000)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range 1000 {
		c, err := enxametest.DialTLS(t.Context(), ts.addr)
		if err != nil {
			t.Fatalf("idle connection %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// One of them starts a line and never ends it: not a problem either.
	conns[0].Write([]byte(`{"op":`))
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	cl := NewClient(ts.addr)
	defer cl.Close()
	if _, err := cl.Register(ctx, 5555, []wire.FileEntry{file("fresh.txt", "fresh")}); err != nil {
		t.Fatalf("register with 1000 idle connections open: %v", err)
	}
	if s, err := cl.Search(ctx, "fresh"); err != nil || len(s.Results) != 1 {
		t.Fatalf("search: %v %v", s, err)
	}
	if st := ts.Stats(); st.Conns < 1001 {
		t.Errorf("stats show %d open connections, want ≥ 1001", st.Conns)
	}
}

// TestConcurrentClients runs many clients through the whole protocol at once.
func TestConcurrentClients(t *testing.T) {
	ts := startServer(t, Config{})
	const n = 40
	ctx, cancel := context.WithTimeout(t.Context(), 2*wait)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			cl := NewClient(ts.addr)
			defer cl.Close()
			errs <- func() error {
				own := file(fmt.Sprintf("peer%02d/own.txt", i), fmt.Sprint("own", i))
				common := file("common/shared.iso", "common")
				reg, err := cl.Register(ctx, 10000+i, []wire.FileEntry{own, common})
				if err != nil {
					return err
				}
				for j := range 20 {
					if err := cl.Heartbeat(ctx, reg.Token); err != nil {
						return err
					}
					s, err := cl.Search(ctx, fmt.Sprintf("peer%02d/", i))
					if err != nil {
						return err
					}
					if len(s.Results) != 1 || s.Results[0].ID != own.ID {
						return fmt.Errorf("search own file: %+v", s)
					}
					if j%5 == 0 {
						if err := cl.Update(ctx, reg.Token, []wire.FileEntry{own, common, file(fmt.Sprint("extra", i, j), "x")}); err != nil {
							return err
						}
						if _, err := cl.List(ctx); err != nil {
							return err
						}
					}
				}
				return cl.Unregister(ctx, reg.Token)
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if s := ts.Stats(); s.Peers != 0 || s.Files != 0 || s.Joins != n || s.Leaves != n {
		t.Errorf("after all left: %+v", s.Snapshot)
	}
}

func TestServeStops(t *testing.T) {
	ts := startServer(t, Config{})
	rc := dialRaw(t, ts.addr)
	rc.ask(`{"op":"list"}`)
	if a := ts.Addr(); a == nil || a.String() != ts.addr {
		t.Errorf("Addr() = %v, want %s", a, ts.addr)
	}
	ts.stop()
	rc.expectEOF()
	if _, err := net.DialTimeout("tcp", ts.addr, wait); err == nil {
		t.Error("listener still accepts after Serve returned")
	}
}

func TestExpiryLoop(t *testing.T) {
	ts := startServer(t, Config{HeartbeatInterval: 50 * time.Millisecond, PeerTimeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	cl := NewClient(ts.addr)
	defer cl.Close()
	reg, err := cl.Register(ctx, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) for the loop to drop the silent peer.
	for {
		err := cl.Heartbeat(ctx, reg.Token)
		if errors.Is(err, wire.ErrUnknownPeer) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// A heartbeat keeps it alive: stop sending and wait for expiry.
		select {
		case <-ctx.Done():
			t.Fatal("peer never expired")
		case <-time.After(400 * time.Millisecond):
		}
	}
	if s := ts.Stats(); s.Expired != 1 || s.Peers != 0 {
		t.Errorf("stats after expiry: %+v", s.Snapshot)
	}
}

// FuzzTrackerRequest feeds request lines to the server's handler: every
// line gets exactly one well-formed answer line, whatever it holds.
func FuzzTrackerRequest(f *testing.F) {
	id := testID("seed")
	for _, s := range []string{
		`{"op":"list"}`, `{"op":"search","q":""}`, `{"op":"search","q":"ab"}`,
		`{"op":"register","port":1,"files":[{"name":"a/b.txt","size":3,"id":"` + id + `"}]}`,
		`{"op":"register","port":70000,"files":[]}`,
		`{"op":"heartbeat","token":"00"}`, `{"op":"update","token":"x","files":[]}`,
		`{"op":"unregister","token":"x"}`, `{"op":"x"}`, `{`, `"op"`, "\xff", `{"op":"search","q":"` + id + `"}`,
		`{"op":"register","port":2,"files":[{"name":"Ab","size":0,"id":"` + id + `","complete":false}]}`,
	} {
		f.Add([]byte(s))
	}
	s := NewServer(Config{})
	views := []View{localView, remoteView}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, v := range views {
			out := s.handle(nil, line, v)
			if bytes.Count(out, []byte("\n")) != 1 || out[len(out)-1] != '\n' {
				t.Fatalf("answer %q is not one line", out)
			}
			var env wire.Envelope
			if err := json.Unmarshal(out, &env); err != nil {
				t.Fatalf("answer %q is not JSON", out)
			}
			if !env.OK && !slices.Contains([]wire.Code{wire.CodeBadRequest, wire.CodeUnknownOp, wire.CodeUnknownPeer, wire.CodeTooLarge, wire.CodeLimit}, env.Code) {
				t.Fatalf("answer %q has code %q", out, env.Code)
			}
			if _, err := wire.ParseRequest(line); err != nil && env.Code != wire.CodeOf(err) {
				t.Fatalf("line %q: parse error %v but answer %q", line, err, out)
			} else if err == nil && (env.Code == wire.CodeBadRequest || env.Code == wire.CodeUnknownOp) {
				t.Fatalf("line %q: parsed but answer %q", line, out)
			}
		}
	})
}

// FuzzFastHeartbeat checks the heartbeat fast path against the parser.
func FuzzFastHeartbeat(f *testing.F) {
	for _, s := range []string{
		`{"op":"heartbeat","token":"0123abcdef"}`, `{"op":"heartbeat","token":"ABC"}`,
		`{"op":"heartbeat","token":""}`, `{"op":"heartbeat","token":"a\"}`, `{"op":"heartbeat","token":"a"} `,
		`{"op":"heartbeat","token":"a","op":"list"}`, `{"op":"heartbeat", "token":"a"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		tok, ok := fastHeartbeat(line)
		if !ok {
			return
		}
		req, err := wire.ParseRequest(line)
		if err != nil || req.Op != wire.OpHeartbeat || req.Token != string(tok) {
			t.Fatalf("fast path took %q as heartbeat %q; parser says %+v, %v", line, tok, req, err)
		}
	})
}

// addrConn is a net.Pipe end that claims other addresses, so the server
// can be shown an asker that is not on loopback without leaving it.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// TestReachabilityOverConnection checks that a connection from another host
// never gets a loopback address back, through the server's own code path.
func TestReachabilityOverConnection(t *testing.T) {
	ts := startServer(t, Config{})
	local := dialRaw(t, ts.addr)
	if got := code(local.ask(`{"op":"register","port":9100,"files":[` + fileJSON("here.txt", "here") + `]}`)); got != "ok" {
		t.Fatal(got)
	}
	srvEnd, cliEnd := net.Pipe()
	defer cliEnd.Close()
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50000}
	self := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 7077}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ip := netip.MustParseAddr("192.0.2.7")
		slot, _ := ts.slots.Acquire(ip, srvEnd)
		ts.serveConn(addrConn{srvEnd, self, remote}, ip, secure.DeviceID{}, slot)
		slot.Release()
		srvEnd.Close()
	}()
	rc := &rawConn{t: t, c: cliEnd, br: bufio.NewReader(cliEnd)}
	cliEnd.SetDeadline(time.Now().Add(wait))
	list := rc.ask(`{"op":"list"}`)
	peers, _ := list["peers"].([]any)
	if len(peers) != 1 || peers[0].(map[string]any)["addr"] != "192.0.2.1:9100" {
		t.Errorf("list to a remote asker: %v, want the loopback peer as 192.0.2.1:9100", list)
	}
	res := rc.ask(`{"op":"search","q":"here"}`)["results"].([]any)
	holder := res[0].(map[string]any)["peers"].([]any)[0].(map[string]any)["addr"]
	if holder != "192.0.2.1:9100" {
		t.Errorf("search holder to a remote asker: %v", holder)
	}
	// Its own registration is recorded with the IP it came from.
	if m := rc.ask(`{"op":"register","port":9200,"files":[]}`); m["addr"] != "192.0.2.7:9200" {
		t.Errorf("register from a remote asker: %v", m)
	}
	// The loopback asker sees loopback addresses as recorded.
	for _, p := range local.ask(`{"op":"list"}`)["peers"].([]any) {
		if a := p.(map[string]any)["addr"]; a != "127.0.0.1:9100" && a != "192.0.2.7:9200" {
			t.Errorf("loopback asker got %v", a)
		}
	}
	cliEnd.Close()
	<-done
}
