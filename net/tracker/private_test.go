package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/wire"
)

// testPassphrase is the private network of these tests; its key is
// derived once (Argon2id: most of a second under -race).
const testPassphrase = "ocean blurb tiger rank fiscal"

var testKey = sync.OnceValues(func() (*secure.NetworkKey, error) {
	return secure.DeriveNetworkKey(testPassphrase)
})

func privateCreds(t testing.TB, id *secure.Identity) secure.Credentials {
	t.Helper()
	key, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return secure.Credentials{Identity: id, Key: key}
}

// readAll reads what the server sends until it closes the connection.
func readAll(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	got, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading until the server closes: %v (got %q)", err, got)
	}
	return got
}

// forbiddenOnly checks that got is exactly one forbidden line in the
// tracker's dialect and nothing else, and that it carries none of secrets.
func forbiddenOnly(t *testing.T, got []byte, secrets ...string) {
	t.Helper()
	line, rest, ok := bytes.Cut(got, []byte("\n"))
	if !ok || len(rest) != 0 {
		t.Fatalf("got %q, want exactly one line then EOF", got)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil || m["ok"] != false || m["code"] != "forbidden" || len(m) != 3 {
		t.Fatalf("got %q, want {\"ok\":false,\"code\":\"forbidden\",\"error\":…}", line)
	}
	for _, s := range secrets {
		if bytes.Contains(got, []byte(s)) {
			t.Fatalf("the refusal %q leaks %q", got, s)
		}
	}
}

// TestPrivateTrackerRefusesOutsiders: on a private network, an outsider
// gets exactly one forbidden line and EOF, whether it speaks TLS or not,
// whatever it asks; never a name, id, address or token. A member with the
// passphrase is served.
func TestPrivateTrackerRefusesOutsiders(t *testing.T) {
	memberID, err := secure.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	creds := privateCreds(t, memberID)
	ts := startServer(t, Config{Credentials: creds})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	member := NewClientWith(ts.addr, creds)
	defer member.Close()
	f := file("secret-plans.txt", "the plans")
	reg, err := member.RegisterWith(ctx, Registration{Port: 4242, Files: []wire.FileEntry{f}, Name: "laptop"})
	if err != nil {
		t.Fatalf("a member registering: %v", err)
	}
	if res, err := member.Search(ctx, "plans"); err != nil || len(res.Results) != 1 {
		t.Fatalf("a member searching: %+v, %v", res, err)
	}
	secrets := []string{"secret", f.ID, "4242", reg.Token, "laptop", memberID.DeviceID().String()}
	requests := []string{
		`{"op":"search","q":""}`,
		`{"op":"list"}`,
		`{"op":"heartbeat","token":"` + reg.Token + `"}`,
		`AUTH ` + strings.Repeat("A", 43) + `=`, // a proof before the server's
	}
	for _, req := range requests {
		t.Run("tls "+req[:min(len(req), 20)], func(t *testing.T) {
			c, err := enxametest.DialTLS(t.Context(), ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, req+"\n")
			forbiddenOnly(t, readAll(t, c), secrets...)
		})
	}
	// One that asks for the server's proof gets it (by design: see
	// docs/SECURITY.md, "Why the server proves first"), and a forbidden
	// line for a wrong proof of its own.
	t.Run("tls AUTH then a wrong proof", func(t *testing.T) {
		c, err := enxametest.DialTLS(t.Context(), ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(wait))
		io.WriteString(c, "AUTH\n")
		proof := make([]byte, 50)
		if _, err := io.ReadFull(c, proof); err != nil || !bytes.HasPrefix(proof, []byte("AUTH ")) || proof[49] != '\n' {
			t.Fatalf("the server's proof: %q, %v", proof, err)
		}
		io.WriteString(c, "AUTH "+strings.Repeat("A", 43)+"=\n")
		forbiddenOnly(t, readAll(t, c), secrets...)
	})
	t.Run("plain", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", ts.addr, wait)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, `{"op":"search","q":""}`+"\n")
		forbiddenOnly(t, readAll(t, c), secrets...)
	})
	t.Run("client without passphrase", func(t *testing.T) {
		cl := NewClient(ts.addr)
		defer cl.Close()
		if _, err := cl.Search(ctx, ""); !errors.Is(err, wire.ErrForbidden) {
			t.Fatalf("search: %v, want forbidden", err)
		}
	})
	t.Run("client with another passphrase", func(t *testing.T) {
		other, err := secure.DeriveNetworkKey("another network entirely")
		if err != nil {
			t.Fatal(err)
		}
		cl := NewClientWith(ts.addr, secure.Credentials{Key: other})
		defer cl.Close()
		if _, err := cl.Search(ctx, ""); !errors.Is(err, secure.ErrNotMember) {
			t.Fatalf("search: %v, want ErrNotMember", err)
		}
	})
	t.Run("open tracker, client with passphrase", func(t *testing.T) {
		open := startServer(t, Config{})
		cl := NewClientWith(open.addr, creds)
		defer cl.Close()
		if _, err := cl.Search(ctx, ""); !errors.Is(err, secure.ErrNotPrivate) {
			t.Fatalf("search: %v, want ErrNotPrivate", err)
		}
	})
}

// TestNamesBoundToDevices: register's name is listed with the device id
// of the certificate that registered it, in list and in search holders;
// a name that breaks the rules is bad_request.
func TestNamesBoundToDevices(t *testing.T) {
	ts := startServer(t, Config{})
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	var ids [2]*secure.Identity
	for i, name := range []string{"laptop", "Zoë's desk"} {
		id, err := secure.GenerateIdentity()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		cl := NewClientWith(ts.addr, secure.Credentials{Identity: id})
		defer cl.Close()
		if _, err := cl.RegisterWith(ctx, Registration{Port: 5000 + i, Files: []wire.FileEntry{file("song.ogg", "la")}, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"127.0.0.1:5000": "laptop|" + ids[0].DeviceID().String(),
		"127.0.0.1:5001": "Zoë's desk|" + ids[1].DeviceID().String(),
	}
	cl := NewClient(ts.addr)
	defer cl.Close()
	list, err := cl.List(ctx)
	if err != nil || len(list.Peers) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	for _, p := range list.Peers {
		if got := p.Name + "|" + p.Device; got != want[p.Addr] {
			t.Errorf("list: %s is %q, want %q", p.Addr, got, want[p.Addr])
		}
	}
	res, err := cl.Search(ctx, "song")
	if err != nil || len(res.Results) != 1 || len(res.Results[0].Peers) != 2 {
		t.Fatalf("search: %+v, %v", res, err)
	}
	for _, p := range res.Results[0].Peers {
		if got := p.Name + "|" + p.Device; got != want[p.Addr] {
			t.Errorf("search: %s is %q, want %q", p.Addr, got, want[p.Addr])
		}
	}

	rc := dialRaw(t, ts.addr)
	for _, name := range []string{`""`, `"` + strings.Repeat("x", 65) + `"`, `"bad\u202ename"`, `"tab\there"`, `42`, `null`} {
		if got := code(rc.ask(`{"op":"register","port":6000,"files":[],"name":` + name + `}`)); got != "bad_request" {
			t.Errorf("register with name %s: %s, want bad_request", name, got)
		}
	}
	// Without a name (a version 1 client): listed with its device only.
	if got := code(rc.ask(`{"op":"register","port":6001,"files":[]}`)); got != "ok" {
		t.Fatalf("register without a name: %s", got)
	}
	for _, p := range rc.ask(`{"op":"list"}`)["peers"].([]any) {
		m := p.(map[string]any)
		if m["addr"] == "127.0.0.1:6001" {
			if _, has := m["name"]; has {
				t.Errorf("a peer without a name is listed with one: %v", m)
			}
			if d, _ := m["device"].(string); len(d) != secure.DeviceIDLen {
				t.Errorf("the outside client's device: %v", m)
			}
		}
	}
}

// TestNetworkSecret: a private tracker gives each member the network
// secret in the register answer (the session keeps it), the one it was
// configured with when given one; an open tracker gives none; a client
// refuses a register answer whose secret is malformed.
func TestNetworkSecret(t *testing.T) {
	id, err := secure.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	creds := privateCreds(t, id)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	register := func(addr string, creds secure.Credentials) (*wire.RegisterResponse, error) {
		c := NewClientWith(addr, creds)
		defer c.Close()
		return c.RegisterWith(ctx, Registration{Port: 4242})
	}

	given := secure.NewNetworkSecret()
	private := startServer(t, Config{Credentials: creds, Secret: given})
	reg, err := register(private.addr, creds)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := secure.ParseNetworkSecret(reg.Secret); err != nil || got != given {
		t.Fatalf("private register answer's secret %q (%v), want the configured one", reg.Secret, err)
	}
	if s, ok := private.Secret(); !ok || s != given {
		t.Fatalf("Server.Secret() = %v, want the configured one", ok)
	}
	drawn := startServer(t, Config{Credentials: creds})
	if s, ok := drawn.Secret(); !ok || s == (secure.NetworkSecret{}) || s == given {
		t.Fatalf("a private tracker with no secret configured did not draw its own")
	}

	open := startServer(t, Config{Secret: given})
	reg, err = register(open.addr, secure.Credentials{Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := open.Secret(); reg.Secret != "" || ok {
		t.Fatalf("an open tracker gives a secret: %q, %v", reg.Secret, ok)
	}

	// The session keeps the secret of a private network.
	s := NewSession(SessionConfig{Tracker: private.addr, Port: 4243, Credentials: creds}, nil)
	sctx, scancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	enxametest.WaitFor(t, wait, "the session registers", func() bool { return s.Status().Registered })
	if got := s.Status().Secret; got == nil || *got != given {
		t.Fatalf("session status secret = %v, want the tracker's", got)
	}
	scancel()
	<-done

	// A hostile tracker's malformed secret is an error, not a key.
	for _, bad := range []string{"short", strings.Repeat("A", 44), given.Encode()[:40] + "!!!="} {
		answer := wire.RegisterResponse{OK: true, Token: "t", Addr: "127.0.0.1:1", HeartbeatS: 5, TimeoutS: 15, Secret: bad}
		if err := checkRegisterAnswer(&answer); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
}
