package peer_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/wire"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// fixture is a shared folder indexed and served over loopback.
type fixture struct {
	dir   string
	ix    *share.Index
	srv   *peer.Server
	addr  string
	data  []byte // big.bin
	id    string // of big.bin
	small []byte
	smlID string
}

func writeOld(t testing.TB, path string, data []byte) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
}

func idOf(t testing.TB, data []byte) string {
	m, err := wire.ManifestOf(bytes.NewReader(data), int64(len(data)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID()
}

// serve runs a Server with cfg on 127.0.0.1 until the test ends.
func serve(t testing.TB, cfg peer.Config) (*peer.Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := peer.NewServer(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return srv, ln.Addr().String()
}

func newFixture(t testing.TB, cfg peer.Config) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), data: randomBytes(1, 3<<20+12345), small: []byte("hello, enxame\n")}
	writeOld(t, filepath.Join(f.dir, "big.bin"), f.data)
	writeOld(t, filepath.Join(f.dir, "sub", "small.txt"), f.small)
	f.id, f.smlID = idOf(t, f.data), idOf(t, f.small)
	ix, err := share.New(share.Config{Dir: f.dir, NoCache: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.ix = ix
	cfg.Catalog = ix
	f.srv, f.addr = serve(t, cfg)
	return f
}

// raw is a protocol connection for exact-byte checks, as an outside client
// speaks it: TLS 1.3, ALPN enxame/2, a certificate of its own.
type raw struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *raw {
	t.Helper()
	c, err := enxametest.DialTLS(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &raw{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *raw) send(lines ...string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, strings.Join(lines, "")); err != nil {
		r.t.Fatal(err)
	}
}

// answer reads one response: the status line and its payload.
func (r *raw) answer() (status string, payload []byte) {
	r.t.Helper()
	line, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("reading status (got %q): %v", line, err)
	}
	line = strings.TrimSuffix(line, "\n")
	if n, ok := strings.CutPrefix(line, "OK "); ok {
		size, err := strconv.Atoi(n)
		if err != nil {
			r.t.Fatalf("bad status %q", line)
		}
		payload = make([]byte, size)
		if _, err := io.ReadFull(r.br, payload); err != nil {
			r.t.Fatalf("payload of %d: %v", size, err)
		}
		return "OK", payload
	}
	return line, nil
}

// expectClosed checks the server closed the connection.
func (r *raw) expectClosed() {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(r.br)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		r.t.Fatalf("connection not closed: read %d bytes, %v", len(b), err)
	}
}

func isReset(err error) bool { return strings.Contains(err.Error(), "reset") }

func TestGetRandomRanges(t *testing.T) {
	f := newFixture(t, peer.Config{})
	c, err := peer.Dial(t.Context(), f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(3, 4))
	size := int64(len(f.data))
	buf := make([]byte, wire.MaxRequestSize)
	for i := range 200 {
		off := r.Int64N(size)
		n := 1 + r.Int64N(min(size-off, 1<<20))
		switch i {
		case 0:
			off, n = 0, size // the whole file
		case 1:
			off, n = size-1, 1 // the last byte
		}
		if err := c.Get(t.Context(), f.id, off, n, buf); err != nil {
			t.Fatalf("GET %d+%d: %v", off, n, err)
		}
		if !bytes.Equal(buf[:n], f.data[off:off+n]) {
			t.Fatalf("GET %d+%d: wrong bytes", off, n)
		}
	}
	if err := c.Get(t.Context(), f.smlID, 0, int64(len(f.small)), buf); err != nil || !bytes.Equal(buf[:len(f.small)], f.small) {
		t.Fatalf("small file: %v", err)
	}
	if st := f.srv.Stats(); st.BytesServed < size || st.Requests != 201 {
		t.Errorf("stats %+v", st)
	}
}

func TestManifestAndHave(t *testing.T) {
	f := newFixture(t, peer.Config{})
	c, err := peer.Dial(t.Context(), f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := c.Manifest(t.Context(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != f.id || m.Size != int64(len(f.data)) || m.NumChunks() != 13 {
		t.Fatalf("manifest %d bytes, %d chunks", m.Size, m.NumChunks())
	}
	bf, err := c.Have(t.Context(), f.id, m.NumChunks())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bf, []byte{0xff, 0xf8}) {
		t.Errorf("HAVE = %x, want fff8 (13 chunks, padding zero)", []byte(bf))
	}
	if _, err := c.Manifest(t.Context(), strings.Repeat("0", 64)); !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("unknown manifest: %v", err)
	}
	// An ERR leaves the connection usable.
	if _, err := c.Manifest(t.Context(), f.smlID); err != nil {
		t.Fatal(err)
	}
}

func TestErrorCodes(t *testing.T) {
	f := newFixture(t, peer.Config{})
	size := len(f.data)
	unknown := strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		line string
		code wire.Code
	}{
		{"GET " + unknown + " 0 1", wire.CodeNotFound},
		{"MANIFEST " + unknown, wire.CodeNotFound},
		{"HAVE " + unknown, wire.CodeNotFound},
		{"GET ../../etc/passwd 0 1", wire.CodeBadRequest},
		{"MANIFEST ../../etc/passwd", wire.CodeBadRequest},
		{"GET /etc/passwd 0 1", wire.CodeBadRequest},
		{"GET big.bin 0 1", wire.CodeBadRequest},
		{"GET " + strings.ToUpper(f.id) + " 0 1", wire.CodeBadRequest},
		{"GET " + f.id + " -1 1", wire.CodeRange},
		{"GET " + f.id + " 0 -1", wire.CodeRange},
		{"GET " + f.id + " 0 0", wire.CodeRange},
		{"GET " + f.id + " " + strconv.Itoa(size) + " 1", wire.CodeRange},
		{"GET " + f.id + " " + strconv.Itoa(size-1) + " 2", wire.CodeRange},
		{"GET " + f.id + " 9223372036854775807 1", wire.CodeRange},
		{"GET " + f.id + " 1 9223372036854775807", wire.CodeRange},
		{"GET " + f.id + " 9223372036854775807 16777216", wire.CodeRange},
		{"GET " + f.id + " 99999999999999999999999 1", wire.CodeRange},
		{"GET " + f.id + " 0 16777217", wire.CodeRange},
		{"GET " + f.id + " 0x10 1", wire.CodeBadRequest},
		{"GET " + f.id + " 1e3 1", wire.CodeBadRequest},
		{"GET " + f.id + "  0 1", wire.CodeBadRequest},
		{"GET " + f.id + " 0 1 extra", wire.CodeBadRequest},
		{"get " + f.id + " 0 1", wire.CodeBadRequest},
		{"HELLO", wire.CodeBadRequest},
		{"", wire.CodeBadRequest},
		{"\x00\xff\xfe\x01 garbage", wire.CodeBadRequest},
	}
	r := dialRaw(t, f.addr)
	for _, tc := range cases {
		r.send(tc.line + "\r\n")
		status, _ := r.answer()
		if !strings.HasPrefix(status, "ERR "+string(tc.code)+" ") {
			t.Errorf("%q: got %q, want ERR %s", tc.line, status, tc.code)
		}
	}
	// The connection still serves after all of that.
	r.send("GET " + f.smlID + " 0 5\n")
	if status, p := r.answer(); status != "OK" || string(p) != "hello" {
		t.Fatalf("after errors: %q %q", status, p)
	}
}

func TestOverlongLineCloses(t *testing.T) {
	f := newFixture(t, peer.Config{})
	r := dialRaw(t, f.addr)
	r.send(strings.Repeat("GET ", 600) + "\nGET " + f.smlID + " 0 5\n")
	if status, _ := r.answer(); !strings.HasPrefix(status, "ERR bad_request ") {
		t.Fatalf("over-long line: %q", status)
	}
	r.expectClosed()
}

func TestTooManyErrorsCloses(t *testing.T) {
	f := newFixture(t, peer.Config{})
	r := dialRaw(t, f.addr)
	r.send(strings.Repeat("NOPE\n", 100))
	n := 0
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(line, "ERR bad_request") {
			t.Fatalf("got %q", line)
		}
		n++
	}
	if n == 0 || n >= 100 {
		t.Errorf("answered %d of 100 garbage lines before closing", n)
	}
}

func TestPipelined(t *testing.T) {
	f := newFixture(t, peer.Config{})
	r := dialRaw(t, f.addr)
	type want struct {
		status string
		data   []byte
	}
	var lines []string
	var wants []want
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 100 {
		switch i % 5 {
		case 3:
			lines = append(lines, "HAVE "+f.smlID+"\n")
			wants = append(wants, want{"OK", []byte{0x80}})
		case 4:
			lines = append(lines, "GET "+f.smlID+" 100 1\n")
			wants = append(wants, want{"ERR range", nil})
		default:
			off := rng.IntN(len(f.data) - 1)
			n := 1 + rng.IntN(min(len(f.data)-off, 300<<10))
			lines = append(lines, fmt.Sprintf("GET %s %d %d\n", f.id, off, n))
			wants = append(wants, want{"OK", f.data[off : off+n]})
		}
	}
	// Write everything before reading anything, from another goroutine so
	// neither side's buffers can deadlock the test.
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(r.c, strings.Join(lines, ""))
		errc <- err
	}()
	for i, w := range wants {
		status, p := r.answer()
		if !strings.HasPrefix(status, w.status) || (w.data != nil && !bytes.Equal(p, w.data)) {
			t.Fatalf("answer %d to %q: %q (%d bytes)", i, lines[i], status, len(p))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestSlowClient(t *testing.T) {
	f := newFixture(t, peer.Config{WriteTimeout: 200 * time.Millisecond, MinWriteRate: 1 << 40, ReadTimeout: 200 * time.Millisecond})
	// A reader that never reads its answers (60 MiB: more than the socket
	// buffers hold) is dropped at the write deadline.
	stalled := dialRaw(t, f.addr)
	stalled.send(strings.Repeat(fmt.Sprintf("GET %s 0 %d\n", f.id, len(f.data)), 20))
	// A client that stops in the middle of a line is dropped too.
	halfLine := dialRaw(t, f.addr)
	halfLine.send("GET " + f.id)

	// Meanwhile other clients are served.
	c, err := peer.Dial(t.Context(), f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, len(f.data))
	if err := c.Get(t.Context(), f.id, 0, int64(len(f.data)), buf); err != nil || !bytes.Equal(buf, f.data) {
		t.Fatalf("other client: %v", err)
	}
	halfLine.expectClosed()
	waitFor(t, "stalled connection dropped", func() bool { return f.srv.Stats().Active == 1 })
	b, _ := io.ReadAll(stalled.br)
	if len(b) >= 20*len(f.data) {
		t.Errorf("stalled client got all %d bytes", len(b))
	}
}

// waitFor waits, bounded, for a condition only the server's own timers
// can make true; it re-checks on a short tick.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

func dialFrom(t *testing.T, ip, addr string) *raw {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	pc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := enxametest.ClientTLS(t.Context(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &raw{t: t, c: c, br: bufio.NewReader(c)}
}

func TestConnectionCaps(t *testing.T) {
	f := newFixture(t, peer.Config{MaxConns: 1, MaxConnsPerIP: 1}) // raised to 64 and 8
	have := "HAVE " + f.smlID + "\n"
	open := func(ip string) *raw {
		t.Helper()
		r := dialFrom(t, ip, f.addr)
		r.send(have)
		if status, _ := r.answer(); status != "OK" {
			t.Fatalf("connection from %s: %q", ip, status)
		}
		return r
	}
	// 8 connections from one IP are served; they prove it by answering.
	var held []*raw
	for range 8 {
		held = append(held, open("127.0.0.1"))
	}
	// A 9th from that IP is served too: the one of its own that has been
	// idle longest is closed to make room.
	held = append(held, open("127.0.0.1"))
	held[0].expectClosed()
	// Other IPs fill the server up to 64 connections in all, closing
	// nothing.
	for i := range 56 {
		held = append(held, open(fmt.Sprintf("127.0.0.%d", 2+i/8)))
	}
	if st := f.srv.Stats(); st.Active != 64 || st.Evicted != 1 {
		t.Fatalf("stats %+v, want 64 active, 1 evicted", st)
	}
	// The 65th, from an address of its own, is served: the longest idle
	// connection of the addresses holding the most makes room.
	open("127.0.0.100")
	held[1].expectClosed()
	// Transfers on the other held connections go on.
	for _, h := range held[2:5] {
		h.send(fmt.Sprintf("GET %s 0 %d\n", f.id, len(f.data)))
		if status, p := h.answer(); status != "OK" || !bytes.Equal(p, f.data) {
			t.Fatalf("transfer while full: %q", status)
		}
	}
	if st := f.srv.Stats(); st.Busy != 0 || st.Evicted != 2 {
		t.Errorf("stats %+v, want 0 busy, 2 evicted", st)
	}
}

// TestIdleSocketsDoNotLockOut is the attack "idle sockets lock a peer"
// (issue 13): 128 idle connections from 8 addresses made a seeder answer
// busy to everyone else for the 2-minute idle time. A fresh client from
// another address must be served within seconds, every time.
func TestIdleSocketsDoNotLockOut(t *testing.T) {
	f := newFixture(t, peer.Config{}) // the defaults: 128 in all, 16 per IP
	for i := range 128 {
		dialFrom(t, fmt.Sprintf("127.0.0.%d", 10+i%8), f.addr) // and never send a byte
	}
	// The accept queue is first in, first out: the server has taken the
	// 128 idle connections before it takes the next one.
	for round := range 3 {
		start := time.Now()
		r := dialFrom(t, fmt.Sprintf("127.0.1.%d", round+1), f.addr)
		r.send("GET " + f.smlID + " 0 5\n")
		status, p := r.answer()
		if status != "OK" || string(p) != "hello" {
			t.Fatalf("round %d: a fresh client from another address got %q", round, status)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("round %d: served after %s", round, d)
		}
	}
	if st := f.srv.Stats(); st.Busy != 0 || st.Evicted < 3 || st.Active > 128 {
		t.Errorf("stats %+v", st)
	}
}

func TestChangedFileNotServedStale(t *testing.T) {
	f := newFixture(t, peer.Config{})
	path := filepath.Join(f.dir, "sub", "small.txt")
	r := dialRaw(t, f.addr)
	r.send("GET " + f.smlID + " 0 5\n")
	if status, p := r.answer(); status != "OK" || string(p) != "hello" {
		t.Fatalf("before change: %q %q", status, p)
	}
	changed := []byte("HELLO, ENXAME\n") // same size
	if err := os.WriteFile(path, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	r.send("GET " + f.smlID + " 0 5\n")
	if status, _ := r.answer(); !strings.HasPrefix(status, "ERR not_found ") {
		t.Fatalf("changed file served: %q", status)
	}
	// Once indexed again, the new content is served under its new id.
	os.Chtimes(path, time.Now().Add(-time.Minute), time.Now().Add(-time.Minute))
	if _, err := f.ix.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.send("GET "+f.smlID+" 0 5\n", "GET "+idOf(t, changed)+" 0 5\n")
	if status, _ := r.answer(); !strings.HasPrefix(status, "ERR not_found ") {
		t.Fatalf("old id after reindex: %q", status)
	}
	if status, p := r.answer(); status != "OK" || string(p) != "HELLO" {
		t.Fatalf("new id: %q %q", status, p)
	}
}

// fakeCatalog serves hand-made items.
type fakeCatalog map[string]peer.Item

func (c fakeCatalog) Lookup(id string) (peer.Item, bool) { it, ok := c[id]; return it, ok }

func TestShortFileClosesConnection(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(5, 1000)
	path := filepath.Join(dir, "f")
	os.WriteFile(path, data[:600], 0o644) // shorter than its manifest says
	m, _ := wire.ManifestOf(bytes.NewReader(data), int64(len(data)), nil, nil)
	stale := make(chan struct{}, 1)
	cat := fakeCatalog{m.ID(): {
		Manifest: m,
		Open:     func() (*os.File, error) { return os.Open(path) },
		Stale:    func() { stale <- struct{}{} },
	}}
	_, addr := serve(t, peer.Config{Catalog: cat})
	r := dialRaw(t, addr)
	r.send(fmt.Sprintf("GET %s 0 1000\n", m.ID()))
	line, _ := r.br.ReadString('\n')
	if line != "OK 1000\n" {
		t.Fatalf("status %q", line)
	}
	got, _ := io.ReadAll(r.br)
	if len(got) != 600 {
		t.Fatalf("got %d bytes then close, want 600", len(got))
	}
	select {
	case <-stale:
	case <-time.After(10 * time.Second):
		t.Error("Stale not called")
	}
}

func TestPartialItem(t *testing.T) {
	dir := t.TempDir()
	const cs = 256 << 10
	data := randomBytes(6, 4*cs-10)
	path := filepath.Join(dir, "part")
	os.WriteFile(path, data, 0o644)
	m, _ := wire.ManifestOf(bytes.NewReader(data), int64(len(data)), nil, nil)
	cat := fakeCatalog{m.ID(): {
		Manifest: m,
		Open:     func() (*os.File, error) { return os.Open(path) },
		Have:     func() wire.Bitfield { return wire.Bitfield{0xa0} }, // chunks 0 and 2
	}}
	_, addr := serve(t, peer.Config{Catalog: cat})
	r := dialRaw(t, addr)
	r.send("HAVE "+m.ID()+"\n",
		fmt.Sprintf("GET %s 0 %d\n", m.ID(), cs),
		fmt.Sprintf("GET %s %d 10\n", m.ID(), cs-5),
		fmt.Sprintf("GET %s %d 100\n", m.ID(), 2*cs+7),
		fmt.Sprintf("GET %s %d 1\n", m.ID(), 3*cs))
	if status, p := r.answer(); status != "OK" || !bytes.Equal(p, []byte{0xa0}) {
		t.Errorf("HAVE: %q %x", status, p)
	}
	if status, p := r.answer(); status != "OK" || !bytes.Equal(p, data[:cs]) {
		t.Errorf("verified chunk 0: %q", status)
	}
	if status, _ := r.answer(); !strings.HasPrefix(status, "ERR missing ") {
		t.Errorf("range into chunk 1: %q", status)
	}
	if status, p := r.answer(); status != "OK" || !bytes.Equal(p, data[2*cs+7:2*cs+107]) {
		t.Errorf("inside chunk 2: %q", status)
	}
	if status, _ := r.answer(); !strings.HasPrefix(status, "ERR missing ") {
		t.Errorf("chunk 3: %q", status)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := peer.NewServer(peer.Config{Catalog: fakeCatalog{}, Logger: testLogger(t)})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	r := dialRaw(t, ln.Addr().String())
	r.send("HAVE " + strings.Repeat("a", 64) + "\n")
	r.answer()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve kept running with an idle connection open")
	}
	r.expectClosed()
}

func TestClientErrors(t *testing.T) {
	f := newFixture(t, peer.Config{})
	c, err := peer.Dial(t.Context(), f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 10)
	if err := c.Get(t.Context(), f.id, int64(len(f.data)), 1, buf); !errors.Is(err, wire.ErrRange) {
		t.Errorf("range: %v", err)
	}
	if err := c.Get(t.Context(), f.id, 0, 11, buf); err == nil {
		t.Error("get into a short buffer accepted")
	}
	if _, err := c.Have(t.Context(), f.id, 5); err == nil {
		t.Error("bitfield of the wrong length accepted")
	}
	if err := c.Get(t.Context(), f.id, 0, 1, buf); !errors.Is(err, peer.ErrConnBroken) {
		t.Errorf("after a framing error: %v, want ErrConnBroken", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := peer.Dial(ctx, f.addr); err == nil {
		t.Error("dial with a cancelled context succeeded")
	}
}
