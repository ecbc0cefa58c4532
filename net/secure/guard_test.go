package secure

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// The two dialects of refusal, as the tracker and a peer will write them.
func trackerRefusal(w io.Writer, msg string) error {
	b, _ := json.Marshal(struct {
		OK    bool   `json:"ok"`
		Code  string `json:"code"`
		Error string `json:"error"`
	}{false, "forbidden", msg})
	_, err := w.Write(append(b, '\n'))
	return err
}

func peerRefusal(w io.Writer, msg string) error {
	_, err := io.WriteString(w, "ERR forbidden "+msg+"\n")
	return err
}

// admitted is what the test server saw of one connection.
type admitted struct {
	dev  DeviceID
	err  error  // Admit's
	line string // the first request, once admitted
}

// testServer runs a Guard on a loopback listener. Each admitted
// connection's first request line is answered by answer (default: echo
// it back after "OK ").
type testServer struct {
	addr     string
	id       *Identity
	results  chan admitted
	answer   func(line string) string
	plainLn  bool // hand Admit plain connections (no Guard.Listener)
	guardCfg GuardConfig
}

func startServer(t *testing.T, key *NetworkKey, refuse Refusal, opts ...func(*testServer)) *testServer {
	t.Helper()
	id, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{
		id:       id,
		results:  make(chan admitted, 64),
		answer:   func(line string) string { return "OK " + line + "\n" },
		guardCfg: GuardConfig{Identity: id, Key: key},
	}
	for _, o := range opts {
		o(s)
	}
	g, err := NewGuard(s.guardCfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	if !s.plainLn {
		ln = g.Listener(ln)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(ctx, g, c, refuse) })
		}
	})
	return s
}

func (s *testServer) serve(ctx context.Context, g *Guard, c net.Conn, refuse Refusal) {
	tc, dev, err := g.Admit(ctx, c, refuse)
	if err != nil {
		s.results <- admitted{err: err}
		return
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err == nil {
		io.WriteString(tc, s.answer(strings.TrimSuffix(line, "\n")))
	}
	s.results <- admitted{dev: dev, line: strings.TrimSuffix(line, "\n"), err: err}
}

// result waits for the server's view of the next connection.
func (s *testServer) result(t *testing.T) admitted {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the server never finished with the connection")
		return admitted{}
	}
}

func newDialer(t *testing.T, key *NetworkKey) *Dialer {
	t.Helper()
	id, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return &Dialer{Identity: id, Key: key, Role: "tracker", Timeout: 5 * time.Second}
}

// roundTrip sends one request line and returns everything the server
// sends until it closes; then it closes c too.
func roundTrip(t *testing.T, c net.Conn, line string) (string, error) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// TestOpenNetwork: without a passphrase on either side, a client talks
// to the server straight after the TLS handshake, and each side knows the
// other's device id.
func TestOpenNetwork(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plainListener=%v", plain), func(t *testing.T) {
			srv := startServer(t, nil, trackerRefusal, func(s *testServer) { s.plainLn = plain })
			d := newDialer(t, nil)
			c, err := d.DialContext(t.Context(), "tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if dev, err := PeerDeviceID(c); err != nil || dev != srv.id.DeviceID() {
				t.Fatalf("client sees device %v (%v), want the server's %v", dev, err, srv.id.DeviceID())
			}
			got, err := roundTrip(t, c, `{"op":"list"}`)
			if err != nil || got != "OK {\"op\":\"list\"}\n" {
				t.Fatalf("answer %q, %v", got, err)
			}
			r := srv.result(t)
			if r.err != nil || r.dev != d.Identity.DeviceID() || r.line != `{"op":"list"}` {
				t.Fatalf("server saw %+v; want the client's device %v and its request", r, d.Identity.DeviceID())
			}
		})
	}
}

// TestPrivateNetwork: the right passphrase gets the client through, and
// its first request is answered as usual.
func TestPrivateNetwork(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	srv := startServer(t, key, peerRefusal)
	for i := range 3 {
		d := newDialer(t, testKey(t, "ocean blurb tiger rank fiscal"))
		c, err := d.DialContext(t.Context(), "tcp", srv.addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		got, err := roundTrip(t, c, "HAVE "+strings.Repeat("a", 64))
		c.Close()
		if err != nil || got != "OK HAVE "+strings.Repeat("a", 64)+"\n" {
			t.Fatalf("connection %d: answer %q, %v", i, got, err)
		}
		if r := srv.result(t); r.err != nil || r.dev != d.Identity.DeviceID() {
			t.Fatalf("connection %d: server saw %+v", i, r)
		}
	}
}

// TestWrongPassphrase: a client whose passphrase differs from the
// server's stops at the server's proof and never sends its own; the
// server counts that as a failed attempt.
func TestWrongPassphrase(t *testing.T) {
	srv := startServer(t, testKey(t, "ocean blurb tiger rank fiscal"), trackerRefusal)
	d := newDialer(t, testKey(t, "ocean blurb tiger rank fiscus"))
	c, err := d.DialContext(t.Context(), "tcp", srv.addr)
	if !errors.Is(err, ErrNotMember) || c != nil {
		t.Fatalf("DialContext = %v, %v; want ErrNotMember", c, err)
	}
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Role != "tracker" || ae.Addr != srv.addr {
		t.Fatalf("error %v is not an *AuthError naming the tracker at %s", err, srv.addr)
	}
	if want := "the tracker at " + srv.addr + " does not know this network's passphrase"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q does not start %q", err, want)
	}
	if r := srv.result(t); !errors.Is(r.err, ErrNoProof) {
		t.Fatalf("server: %v, want ErrNoProof", r.err)
	}
}

// TestOpenServerPrivateClient: a client with a passphrase meets an open
// server, which answers AUTH with its ordinary error; the client says
// the network is not private.
func TestOpenServerPrivateClient(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		answer  func(string) string
	}{
		{"tracker", func(string) string {
			return `{"ok":false,"code":"bad_request","error":"request is not a JSON object"}` + "\n"
		}},
		{"peer", func(line string) string { return `ERR bad_request unknown request "` + line + `"` + "\n" }},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			srv := startServer(t, nil, trackerRefusal, func(s *testServer) { s.answer = tc.answer })
			d := newDialer(t, testKey(t, "ocean blurb tiger rank fiscal"))
			d.Role = tc.dialect
			_, err := d.DialContext(t.Context(), "tcp", srv.addr)
			if !errors.Is(err, ErrNotPrivate) {
				t.Fatalf("DialContext: %v, want ErrNotPrivate", err)
			}
			if !strings.Contains(err.Error(), "not private") {
				t.Errorf("message %q does not say the network is not private", err)
			}
			if r := srv.result(t); r.line != "AUTH" {
				t.Fatalf("the open server read %q, want only AUTH", r.line)
			}
		})
	}
}

// TestPrivateServerRefusesOutsiders: a client that does not prove
// membership gets exactly one refusal line, in the server's dialect,
// and then the end of the connection: nothing else.
func TestPrivateServerRefusesOutsiders(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	for _, tc := range []struct {
		name   string
		refuse Refusal
		first  string // the client's first line
		want   string
	}{
		{"tracker request", trackerRefusal, `{"op":"search","q":""}`, `{"ok":false,"code":"forbidden","error":"` + refuseNoProof + `"}` + "\n"},
		{"peer request", peerRefusal, "HAVE " + strings.Repeat("a", 64), "ERR forbidden " + refuseNoProof + "\n"},
		{"empty line", peerRefusal, "", "ERR forbidden " + refuseNoProof + "\n"},
		{"lower-case auth", peerRefusal, "auth", "ERR forbidden " + refuseNoProof + "\n"},
		{"proof first", peerRefusal, "AUTH " + proofText, "ERR forbidden " + refuseNoProof + "\n"},
		{"AUTH and more", peerRefusal, "AUTHX", "ERR forbidden " + refuseNoProof + "\n"},
		{"long line", trackerRefusal, `{"op":"register","port":7077,"files":[` + strings.Repeat(`{"name":"x"},`, 1000) + `]}`, `{"ok":false,"code":"forbidden","error":"` + refuseNoProof + `"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, key, tc.refuse)
			c, err := newDialer(t, nil).DialContext(t.Context(), "tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := roundTrip(t, c, tc.first)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want exactly %q then EOF", got, err, tc.want)
			}
			if r := srv.result(t); !errors.Is(r.err, ErrNoProof) {
				t.Fatalf("server: %v, want ErrNoProof", r.err)
			}
		})
	}
}

// rawAuth opens a TLS connection that runs the exchange by hand: it
// sends AUTH, reads the server's line and returns it with the EKM.
func rawAuth(t *testing.T, addr string) (*tls.Conn, string, []byte) {
	t.Helper()
	id, _ := GenerateIdentity()
	c, err := tls.Dial("tcp", addr, ClientConfig(id))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "AUTH\n"); err != nil {
		t.Fatal(err)
	}
	line, err := readLine(c, maxAnswerLineBytes)
	if err != nil {
		t.Fatal(err)
	}
	ekm, err := exporter(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, string(line), ekm
}

// TestPrivateServerRefusesBadProofs: after the server's proof, anything
// but the right client proof for this connection is refused once.
func TestPrivateServerRefusesBadProofs(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	wrong := testKey(t, "ocean blurb tiger rank fiscus")
	srv := startServer(t, key, trackerRefusal)

	// A proof that was right on another connection.
	c0, _, ekm0 := rawAuth(t, srv.addr)
	replayed := string(authLine(key.proof(clientProofLabel, ekm0)))
	c0.Close()
	srv.result(t)

	for _, tc := range []struct {
		name  string
		proof func(serverLine string, ekm []byte) string
	}{
		{"wrong passphrase", func(_ string, ekm []byte) string { return string(authLine(wrong.proof(clientProofLabel, ekm))) }},
		{"server's proof reflected", func(line string, _ []byte) string { return line + "\n" }},
		{"replayed from another connection", func(string, []byte) string { return replayed }},
		{"bare AUTH", func(string, []byte) string { return "AUTH\n" }},
		{"malformed", func(string, []byte) string { return "AUTH !!!\n" }},
		{"a request", func(string, []byte) string { return `{"op":"list"}` + "\n" }},
		{"too long", func(string, []byte) string { return strings.Repeat("A", 500) + "\n" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, line, ekm := rawAuth(t, srv.addr)
			if !strings.HasPrefix(line, "AUTH ") {
				t.Fatalf("server's first line %q", line)
			}
			if _, err := io.WriteString(c, tc.proof(line, ekm)); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(c)
			c.Close()
			want := `{"ok":false,"code":"forbidden","error":"` + refuseBad + `"}` + "\n"
			if err != nil || string(got) != want {
				t.Fatalf("got %q, %v; want exactly %q then EOF", got, err, want)
			}
			if r := srv.result(t); !errors.Is(r.err, ErrBadProof) {
				t.Fatalf("server: %v, want ErrBadProof", r.err)
			}
		})
	}
	t.Run("right proof", func(t *testing.T) {
		c, _, ekm := rawAuth(t, srv.addr)
		got, err := roundTrip(t, c, strings.TrimSuffix(string(authLine(key.proof(clientProofLabel, ekm))), "\n")+"\n"+`{"op":"list"}`)
		if err != nil || got != "OK {\"op\":\"list\"}\n" {
			t.Fatalf("got %q, %v", got, err)
		}
		if r := srv.result(t); r.err != nil {
			t.Fatalf("server: %v", r.err)
		}
	})
}

// fakeServer accepts one TLS connection (any identity), reads the
// client's first line, answers with reply, and reports every byte the
// client sent until it left.
func fakeServer(t *testing.T, reply func(c *tls.Conn) string) (addr string, received <-chan string) {
	t.Helper()
	id, _ := GenerateIdentity()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerConfig(id))
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 1)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			out <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		var got bytes.Buffer
		first, err := readLine(tc, MaxAuthLineBytes)
		got.Write(first)
		if err == nil {
			got.WriteByte('\n')
			io.WriteString(tc, reply(tc))
			io.Copy(&got, tc)
		}
		out <- got.String()
	})
	return ln.Addr().String(), out
}

// TestClientNeverProvesToNonMembers: a server that cannot prove
// membership (a fake tracker on the LAN) gets "AUTH\n" and nothing else.
func TestClientNeverProvesToNonMembers(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	other := testKey(t, "some other network")
	for _, tc := range []struct {
		name  string
		reply func(c *tls.Conn) string
		want  error
	}{
		{"random proof", func(*tls.Conn) string { return "AUTH " + proofText + "\n" }, ErrNotMember},
		{"proof with another key", func(c *tls.Conn) string {
			ekm, _ := exporter(c)
			return string(authLine(other.proof(serverProofLabel, ekm)))
		}, ErrNotMember},
		{"client-labelled proof", func(c *tls.Conn) string {
			ekm, _ := exporter(c) // the right key, but a client's proof is no server's
			return string(authLine(key.proof(clientProofLabel, ekm)))
		}, ErrNotMember},
		{"bare AUTH", func(*tls.Conn) string { return "AUTH\n" }, ErrNotMember},
		{"open tracker", func(*tls.Conn) string { return `{"ok":false,"code":"bad_request","error":"x"}` + "\n" }, ErrNotPrivate},
		{"open peer", func(*tls.Conn) string { return "ERR bad_request x\n" }, ErrNotPrivate},
		{"refusal", func(*tls.Conn) string { return "ERR forbidden " + refuseLimited + "\n" }, ErrRefused},
		{"garbage", func(*tls.Conn) string { return "HELLO\n" }, ErrBadAnswer},
		{"endless line", func(*tls.Conn) string { return strings.Repeat("x", 4000) }, ErrBadAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, received := fakeServer(t, tc.reply)
			d := newDialer(t, key)
			_, err := d.DialContext(t.Context(), "tcp", addr)
			if !errors.Is(err, tc.want) {
				t.Fatalf("DialContext: %v, want %v", err, tc.want)
			}
			if got := <-received; got != "AUTH\n" {
				t.Fatalf("the fake server received %q, want only %q", got, "AUTH\n")
			}
		})
	}
}

// TestRelayFails: a machine in the middle that relays the exchange
// between a member client and a member server (two TLS connections)
// cannot pass the server's proof on: it is bound to the other connection.
func TestRelayFails(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	srv := startServer(t, key, trackerRefusal)
	addr, received := fakeServer(t, func(*tls.Conn) string {
		id, _ := GenerateIdentity()
		up, err := tls.Dial("tcp", srv.addr, ClientConfig(id))
		if err != nil {
			return "dial: " + err.Error() + "\n"
		}
		defer up.Close()
		up.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(up, "AUTH\n")
		line, err := readLine(up, maxAnswerLineBytes)
		if err != nil {
			return "relay: " + err.Error() + "\n"
		}
		return string(line) + "\n" // the real server's proof
	})
	_, err := newDialer(t, key).DialContext(t.Context(), "tcp", addr)
	if !errors.Is(err, ErrNotMember) {
		t.Fatalf("DialContext through the relay: %v, want ErrNotMember", err)
	}
	if got := <-received; got != "AUTH\n" {
		t.Fatalf("the relay received %q, want only %q", got, "AUTH\n")
	}
	if r := srv.result(t); !errors.Is(r.err, ErrNoProof) {
		t.Fatalf("server: %v, want ErrNoProof (the relay left without a proof)", r.err)
	}
}

// TestTLSRequirements: the server refuses clients that do not speak TLS
// 1.3 with ALPN enxame/2 and a certificate; the client refuses servers
// that do not.
func TestTLSRequirements(t *testing.T) {
	srv := startServer(t, nil, trackerRefusal)
	id, _ := GenerateIdentity()
	cert := []tls.Certificate{id.Certificate()}
	for _, tc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"TLS 1.2", &tls.Config{InsecureSkipVerify: true, Certificates: cert, NextProtos: []string{ALPN}, MaxVersion: tls.VersionTLS12}},
		{"other ALPN", &tls.Config{InsecureSkipVerify: true, Certificates: cert, NextProtos: []string{"http/1.1"}}},
		{"no ALPN", &tls.Config{InsecureSkipVerify: true, Certificates: cert}},
		{"no certificate", &tls.Config{InsecureSkipVerify: true, NextProtos: []string{ALPN}}},
	} {
		t.Run("server refuses "+tc.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", srv.addr, tc.cfg)
			if err == nil {
				// TLS 1.3 clients finish before the server has checked
				// them; the server's alert comes with the first read.
				_, err = roundTrip(t, c, `{"op":"list"}`)
				c.Close()
			}
			if err == nil {
				t.Fatal("the connection worked")
			}
			if r := srv.result(t); r.err == nil {
				t.Fatalf("server admitted the client: %+v", r)
			}
		})
	}

	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want error
	}{
		{"TLS 1.2", &tls.Config{Certificates: cert, NextProtos: []string{ALPN}, MaxVersion: tls.VersionTLS12}, nil},
		{"no ALPN", &tls.Config{Certificates: cert, MinVersion: tls.VersionTLS13}, errWrongALPN},
	} {
		t.Run("client refuses "+tc.name, func(t *testing.T) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			defer wg.Wait()
			defer ln.Close()
			wg.Go(func() {
				if c, err := ln.Accept(); err == nil {
					c.(*tls.Conn).Handshake()
					c.Close()
				}
			})
			_, err = newDialer(t, nil).DialContext(t.Context(), "tcp", ln.Addr().String())
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("DialContext: %v, want a failure (%v)", err, tc.want)
			}
		})
	}
}

// TestPlaintextClient: a client speaking version 1 in the clear gets one
// refusal, in the clear, and nothing else.
func TestPlaintextClient(t *testing.T) {
	for _, key := range []*NetworkKey{nil, testKey(t, "ocean blurb tiger rank fiscal")} {
		t.Run(fmt.Sprintf("private=%v", key != nil), func(t *testing.T) {
			srv := startServer(t, key, trackerRefusal)
			c, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := roundTrip(t, c, `{"op":"search","q":""}`)
			want := `{"ok":false,"code":"forbidden","error":"` + refuseNoTLS + `"}` + "\n"
			if err != nil || got != want {
				t.Fatalf("got %q, %v; want exactly %q then EOF", got, err, want)
			}
			if r := srv.result(t); !errors.Is(r.err, ErrNotTLS) {
				t.Fatalf("server: %v, want ErrNotTLS", r.err)
			}
		})
	}
}

// TestDialerDevice: a client that expects a given device refuses any
// other before sending anything.
func TestDialerDevice(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	srv := startServer(t, key, trackerRefusal)
	d := newDialer(t, key)
	d.Device = srv.id.DeviceID()
	c, err := d.DialContext(t.Context(), "tcp", srv.addr)
	if err != nil {
		t.Fatalf("the expected device: %v", err)
	}
	c.Close()
	srv.result(t)

	d.Device = DeviceID{1}
	if _, err := d.DialContext(t.Context(), "tcp", srv.addr); !errors.Is(err, ErrWrongDevice) {
		t.Fatalf("another device: %v, want ErrWrongDevice", err)
	}
	if r := srv.result(t); !errors.Is(r.err, ErrNoProof) || r.line != "" {
		t.Fatalf("server: %+v, want ErrNoProof (the client sent nothing)", r)
	}
}

// TestRateLimit: after the burst of failed attempts from one address, a
// client gets the refusal before any proof, even with the right
// passphrase; successful attempts cost nothing.
func TestRateLimit(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	wrong := testKey(t, "ocean blurb tiger rank fiscus")
	lim, clk := newTestLimiter(2, 0)
	var mu sync.Mutex
	lim.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clk.now() }
	srv := startServer(t, key, peerRefusal, func(s *testServer) { s.guardCfg.Limiter = lim })

	for i := range 5 { // members are not limited
		c, err := newDialer(t, key).DialContext(t.Context(), "tcp", srv.addr)
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
		c.Close()
		srv.result(t)
	}
	for i := range 2 {
		if _, err := newDialer(t, wrong).DialContext(t.Context(), "tcp", srv.addr); !errors.Is(err, ErrNotMember) {
			t.Fatalf("wrong passphrase %d: %v", i, err)
		}
		srv.result(t)
	}
	if _, err := newDialer(t, key).DialContext(t.Context(), "tcp", srv.addr); !errors.Is(err, ErrRefused) {
		t.Fatalf("right passphrase past the limit: %v, want ErrRefused", err)
	}
	if r := srv.result(t); !errors.Is(r.err, ErrRateLimited) {
		t.Fatalf("server: %v, want ErrRateLimited", r.err)
	}
	// An outsider past the limit sees the one refusal line and no proof.
	c, err := newDialer(t, nil).DialContext(t.Context(), "tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := roundTrip(t, c, "AUTH")
	c.Close()
	if want := "ERR forbidden " + refuseLimited + "\n"; err != nil || got != want {
		t.Fatalf("got %q, %v; want exactly %q", got, err, want)
	}
	srv.result(t)

	mu.Lock()
	clk.add(time.Second) // one token back
	mu.Unlock()
	c, err = newDialer(t, key).DialContext(t.Context(), "tcp", srv.addr)
	if err != nil {
		t.Fatalf("after the refill: %v", err)
	}
	c.Close()
	srv.result(t)
}

// TestHandshakeTimeout: a client that connects and says nothing, or
// stops halfway through the exchange, is dropped after the timeout.
func TestHandshakeTimeout(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	srv := startServer(t, key, trackerRefusal, func(s *testServer) { s.guardCfg.HandshakeTimeout = 200 * time.Millisecond })
	t.Run("silent TCP", func(t *testing.T) {
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if r := srv.result(t); r.err == nil {
			t.Fatal("admitted a silent client")
		}
	})
	t.Run("silent after TLS", func(t *testing.T) {
		c, err := newDialer(t, nil).DialContext(t.Context(), "tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if r := srv.result(t); !errors.Is(r.err, ErrNoProof) {
			t.Fatalf("server: %v, want ErrNoProof", r.err)
		}
	})
	t.Run("silent after the server's proof", func(t *testing.T) {
		c, line, _ := rawAuth(t, srv.addr)
		defer c.Close()
		if !strings.HasPrefix(line, "AUTH ") {
			t.Fatalf("server's line %q", line)
		}
		if r := srv.result(t); !errors.Is(r.err, ErrNoProof) {
			t.Fatalf("server: %v, want ErrNoProof", r.err)
		}
	})
}

// TestDialerContext: a dial whose context ends during the exchange
// returns at once with the context's error.
func TestDialerContext(t *testing.T) {
	asked := make(chan struct{})
	addr, received := fakeServer(t, func(c *tls.Conn) string {
		close(asked)
		c.Read(make([]byte, 1)) // answer nothing until the client leaves
		return ""
	})
	ctx, cancel := context.WithCancel(t.Context())
	d := newDialer(t, testKey(t, "ocean blurb tiger rank fiscal"))
	d.Timeout = time.Minute
	done := make(chan error, 1)
	go func() {
		_, err := d.DialContext(ctx, "tcp", addr)
		done <- err
	}()
	select {
	case <-asked: // the client waits for the server's proof
	case <-time.After(10 * time.Second):
		t.Fatal("the client never sent AUTH")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("DialContext: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("DialContext did not return when its context ended")
	}
	<-received
}

// TestAdmitOverPipe: Admit and Handshake work on any net.Conn.
func TestAdmitOverPipe(t *testing.T) {
	key := testKey(t, "ocean blurb tiger rank fiscal")
	id, _ := GenerateIdentity()
	g, err := NewGuard(GuardConfig{Identity: id, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if !g.Private() {
		t.Fatal("a Guard with a key says it is open")
	}
	sc, cc := net.Pipe()
	type res struct {
		dev DeviceID
		err error
	}
	done := make(chan res, 1)
	go func() {
		_, dev, err := g.Admit(t.Context(), sc, peerRefusal)
		sc.Close() // not the TLS close: its alert would wait for a reader
		done <- res{dev, err}
	}()
	d := newDialer(t, key)
	if _, err := d.Handshake(t.Context(), cc); err != nil {
		t.Fatal(err)
	}
	cc.Close()
	if r := <-done; r.err != nil || r.dev != d.Identity.DeviceID() {
		t.Fatalf("Admit: %v, %v", r.dev, r.err)
	}
	if _, err := NewGuard(GuardConfig{}); err == nil {
		t.Fatal("NewGuard without an identity succeeded")
	}
}
