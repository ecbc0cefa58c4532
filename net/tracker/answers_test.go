package tracker

import (
	"bufio"
	"errors"
	"io"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/wire"
)

var goodID = strings.Repeat("0f", 32)

// goodDevice is a device id in its one spelling (secure.DeviceID.String).
var goodDevice = strings.TrimSuffix(strings.Repeat("AAAA-", 12), "-") + "-AAAA"

// Answers a hostile tracker may send (issue 13, "crash by answer").
var searchAnswers = []struct {
	line string
	ok   bool
}{
	{`{"ok":true,"results":[]}`, true},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"a/b.iso","size":5,"peers":[{"addr":"10.0.0.1:7","complete":true},{"addr":"[2001:db8::1]:9","complete":false}],"hosts":2}]}`, true},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"invoice\u202egpj.exe","size":0,"peers":[]}]}`, true}, // §2 allows bidi in names; printing cleans it
	{`{"ok":true,"results":[{"id":"ab","name":"ubuntu.iso","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + strings.ToUpper(goodID) + `","name":"x","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"name":"x","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"esc\u001b[2J","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"` + strings.Repeat("n", 4097) + `","size":5,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":-1,"peers":[]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[],"hosts":-1}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"evil"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:0"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"host.example:7"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":"big","peers":[]}]}`, false},
	// Version 2: holders' names and device ids.
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","name":"Zoë's laptop","device":"` + goodDevice + `"}]}]}`, true},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","name":"evil‮gpj"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","name":"` + strings.Repeat("n", 65) + `"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","device":"not-a-device"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","device":"` + strings.ToLower(goodDevice) + `"}]}]}`, false},
	{`{"ok":true,"results":[{"id":"` + goodID + `","name":"x","size":1,"peers":[{"addr":"10.0.0.1:7","device":7}]}]}`, false},
}

var listAnswers = []struct {
	line string
	ok   bool
}{
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":3,"last_seen_s":1,"can_host":true}]}`, true},
	{`{"ok":true,"peers":[{"addr":"\u001b[31mevil","files":1,"last_seen_s":0}]}`, false},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":-3,"last_seen_s":1}]}`, false},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":3,"last_seen_s":-1}]}`, false},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:99999","files":3,"last_seen_s":1}]}`, false},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":3,"last_seen_s":1,"name":"desk","device":"` + goodDevice + `"}]}`, true},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":3,"last_seen_s":1,"name":"[31mred"}]}`, false},
	{`{"ok":true,"peers":[{"addr":"10.0.0.1:7","files":3,"last_seen_s":1,"device":"` + goodDevice + `X"}]}`, false},
}

var registerAnswers = []struct {
	line      string
	ok        bool
	heartbeat time.Duration
	timeout   time.Duration
}{
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":5,"timeout_s":15}`, true, 5 * time.Second, 15 * time.Second},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":1e300,"timeout_s":1e300}`, true, MaxHeartbeatInterval, MaxPeerTimeout},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":-4,"timeout_s":0}`, true, wire.DefaultHeartbeatInterval, wire.DefaultPeerTimeout},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":1e-300,"timeout_s":1e-300}`, true, MinHeartbeatInterval, MinHeartbeatInterval},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":30,"timeout_s":2}`, true, 30 * time.Second, 30 * time.Second},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7"}`, true, wire.DefaultHeartbeatInterval, wire.DefaultPeerTimeout},
	{`{"ok":true,"token":"","addr":"10.0.0.1:7","heartbeat_s":5,"timeout_s":15}`, false, 0, 0},
	{`{"ok":true,"token":"` + strings.Repeat("t", 257) + `","addr":"10.0.0.1:7","heartbeat_s":5,"timeout_s":15}`, false, 0, 0},
	{`{"ok":true,"token":"abc","addr":"nowhere","heartbeat_s":5,"timeout_s":15}`, false, 0, 0},
	{`{"ok":true,"token":"abc","addr":"10.0.0.1:7","heartbeat_s":1e400,"timeout_s":15}`, false, 0, 0},
}

func decodeSearch(line []byte) (*wire.SearchResponse, error) {
	var r wire.SearchResponse
	if err := decodeAnswer(line, &r); err != nil {
		return nil, err
	}
	return &r, checkSearchAnswer(&r)
}

func decodeList(line []byte) (*wire.ListResponse, error) {
	var r wire.ListResponse
	if err := decodeAnswer(line, &r); err != nil {
		return nil, err
	}
	return &r, checkListAnswer(&r)
}

func decodeRegister(line []byte) (*wire.RegisterResponse, error) {
	var r wire.RegisterResponse
	if err := decodeAnswer(line, &r); err != nil {
		return nil, err
	}
	return &r, checkRegisterAnswer(&r)
}

func TestCheckAnswers(t *testing.T) {
	for _, c := range searchAnswers {
		if _, err := decodeSearch([]byte(c.line)); (err == nil) != c.ok {
			t.Errorf("search %.90s: %v, want ok %v", c.line, err, c.ok)
		}
	}
	for _, c := range listAnswers {
		if _, err := decodeList([]byte(c.line)); (err == nil) != c.ok {
			t.Errorf("list %.90s: %v, want ok %v", c.line, err, c.ok)
		}
	}
	for _, c := range registerAnswers {
		r, err := decodeRegister([]byte(c.line))
		if (err == nil) != c.ok {
			t.Errorf("register %.90s: %v, want ok %v", c.line, err, c.ok)
			continue
		}
		if err != nil {
			continue
		}
		hb, to := seconds(r.HeartbeatS), seconds(r.TimeoutS)
		if hb != c.heartbeat || to != c.timeout {
			t.Errorf("register %.90s: heartbeat %v, timeout %v; want %v, %v", c.line, hb, to, c.heartbeat, c.timeout)
		}
	}
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

// TestCheckFailure: a refusal's code and message are made safe to show.
func TestCheckFailure(t *testing.T) {
	err := decodeAnswer([]byte(`{"ok":false,"code":"limit\u001b[2J","error":"full\u001b]0;pwned\u0007`+strings.Repeat("x", 2000)+`"}`), nil)
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeInternal || strings.ContainsAny(we.Msg, "\x1b\x07") || len(we.Msg) > maxErrorBytes+8 {
		t.Fatalf("refusal kept as %#v", err)
	}
	if err := decodeAnswer([]byte(`{"ok":false,"code":"unknown_peer","error":"register again"}`), nil); !errors.Is(err, wire.ErrUnknownPeer) {
		t.Fatalf("a plain refusal: %v", err)
	}
}

// checkAccepted asserts what every accepted answer guarantees its users.
func checkAccepted(t *testing.T, s *wire.SearchResponse, l *wire.ListResponse, r *wire.RegisterResponse) {
	t.Helper()
	if s != nil {
		for _, res := range s.Results {
			_ = res.ID[:16] // what the CLI and the downloader slice
			if !wire.ValidID(res.ID) || wire.ValidateName(res.Name) != nil || res.Size < 0 || res.Hosts < 0 {
				t.Fatalf("accepted result %+v", res)
			}
			for _, p := range res.Peers {
				if ap, err := netip.ParseAddrPort(p.Addr); err != nil || ap.Port() == 0 {
					t.Fatalf("accepted holder %q", p.Addr)
				}
			}
		}
	}
	if l != nil {
		for _, p := range l.Peers {
			if ap, err := netip.ParseAddrPort(p.Addr); err != nil || ap.Port() == 0 || p.Files < 0 || p.LastSeenS < 0 {
				t.Fatalf("accepted peer %+v", p)
			}
		}
	}
	if r != nil {
		hb, to := time.Duration(r.HeartbeatS*float64(time.Second)), time.Duration(r.TimeoutS*float64(time.Second))
		if math.IsNaN(r.HeartbeatS) || hb < MinHeartbeatInterval || hb > MaxHeartbeatInterval || to < hb || to > MaxPeerTimeout || r.Token == "" {
			t.Fatalf("accepted register %+v", r)
		}
		jitter(hb) // the session's use of it must not panic
	}
}

func FuzzSearchAnswer(f *testing.F) {
	for _, c := range searchAnswers {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if s, err := decodeSearch(line); err == nil {
			checkAccepted(t, s, nil, nil)
		}
	})
}

func FuzzListAnswer(f *testing.F) {
	for _, c := range listAnswers {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if l, err := decodeList(line); err == nil {
			checkAccepted(t, nil, l, nil)
		}
	})
}

func FuzzRegisterAnswer(f *testing.F) {
	for _, c := range registerAnswers {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if r, err := decodeRegister(line); err == nil {
			checkAccepted(t, nil, nil, r)
		}
	})
}

// hostileTracker answers every request line with answer(op) on a real
// loopback socket.
func hostileTracker(t *testing.T, answer func(op string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = enxametest.TLSListener(ln)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					req, _ := wire.ParseRequest(sc.Bytes())
					if _, err := io.WriteString(c, answer(req.Op)+"\n"); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestClientHostileAnswers is the attack "crash by answer" through a real
// connection: the client returns ErrBadAnswer, never a value a caller
// could crash on.
func TestClientHostileAnswers(t *testing.T) {
	addr := hostileTracker(t, func(op string) string {
		switch op {
		case wire.OpSearch:
			return searchAnswers[3].line // a two-character id
		case wire.OpList:
			return listAnswers[1].line
		default:
			return registerAnswers[8].line
		}
	})
	cl := NewClient(addr)
	defer cl.Close()
	if r, err := cl.Search(t.Context(), "ubuntu"); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("search: %+v, %v; want ErrBadAnswer", r, err)
	}
	if r, err := cl.List(t.Context()); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("list: %+v, %v; want ErrBadAnswer", r, err)
	}
	if r, err := cl.Register(t.Context(), 7, nil); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("register: %+v, %v; want ErrBadAnswer", r, err)
	}
}

// TestSessionHostileHeartbeat: a heartbeat_s of 1e300 crashed the session
// (rand.Int64N of an overflowed interval). It is clamped: the session
// registers and keeps running.
func TestSessionHostileHeartbeat(t *testing.T) {
	addr := hostileTracker(t, func(op string) string {
		if op == wire.OpRegister {
			return registerAnswers[1].line
		}
		return `{"ok":true}`
	})
	s := NewSession(SessionConfig{Tracker: addr, Port: 7}, nil)
	stop := runSession(t, s)
	waitStatus(t, s, "registered", func(st SessionStatus) bool { return st.Registered })
	stop()
}
