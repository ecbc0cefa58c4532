package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/wire"
)

// seedFrom serves path (manifest m) on ip:0 and registers it with the
// tracker from ip, the way a peer on that host would. Every 127.0.0.x is
// loopback, so one machine plays several hosts.
func seedFrom(t *testing.T, trackerAddr, ip, name, path string, m *wire.Manifest) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := peer.NewServer(peer.Config{Catalog: oneFile{m, path}, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ctx, ln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	registerFrom(t, trackerAddr, ip, ln.Addr().(*net.TCPAddr).Port, wire.FileEntry{Name: name, Size: m.Size, ID: m.ID(), Complete: true})
}

// registerFrom registers port and files with the tracker over a
// connection from ip.
func registerFrom(t *testing.T, trackerAddr, ip string, port int, files ...wire.FileEntry) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: e2eWait}
	pc, err := d.DialContext(t.Context(), "tcp", trackerAddr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := enxametest.ClientTLS(t.Context(), pc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(e2eWait))
	line, _ := json.Marshal(map[string]any{"op": "register", "port": port, "files": files})
	if _, err := c.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
	answer, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(answer, `"ok":true`) {
		t.Fatalf("registering %s:%d: %q, %v", ip, port, answer, err)
	}
}

// TestGetPoisonByCount is the attack "poisoning by count" (issue 13): one
// host registers three ports announcing ubuntu.iso with its own content.
// Against one real holder on another host that is one host against one:
// get must not save the planted file (it lists both versions and exits
// 1). Against the real file on two hosts, get saves the real file and
// lists the planted one as another version held by one host.
func TestGetPoisonByCount(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	src := t.TempDir()
	realPath, realM, realSum := writeRandom(t, src, "real.iso", 300<<10)
	evilPath, evilM, _ := writeRandom(t, src, "evil.sh", 2000)
	for range 3 {
		seedFrom(t, tr.addr, "127.0.0.1", "ubuntu.iso", evilPath, evilM)
	}
	seedFrom(t, tr.addr, "127.0.0.2", "isos/ubuntu.iso", realPath, realM)

	out := t.TempDir()
	r := runGetBin(t, "-tracker", tr.addr, "-o", out, "ubuntu.iso")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, realM.ID()[:16]) || !strings.Contains(r.stderr, evilM.ID()[:16]) ||
		!strings.Contains(r.stderr, "3 registrations") {
		t.Fatalf("one host against one: exit %d, stdout %q, stderr %q; want exit 1 listing both versions", r.code, r.stdout, r.stderr)
	}
	if ents, _ := filepath.Glob(filepath.Join(out, "*")); len(ents) != 0 {
		t.Fatalf("saved %v", ents)
	}

	seedFrom(t, tr.addr, "127.0.0.3", "ubuntu.iso", realPath, realM)
	r = runGetBin(t, "-tracker", tr.addr, "-o", out, "ubuntu.iso")
	want := filepath.Join(out, "ubuntu.iso")
	if r.code != 0 || r.stdout != want+"\n" || fileSum(t, want) != realSum {
		t.Fatalf("two hosts against one: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "another version: id "+evilM.ID()[:16]+", 2.0 KiB, 1 host ") {
		t.Fatalf("the planted version is not listed by hosts: %q", r.stderr)
	}
}

// fakeTracker answers every request line with answer(op); a test plays a
// hostile tracker with it.
func fakeTracker(t *testing.T, answer func(op string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = enxametest.TLSListener(ln) // an open network's tracker, to the client
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					var req struct{ Op string }
					json.Unmarshal(sc.Bytes(), &req)
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
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestHostileTrackerAnswers is the attack "crash by answer" (issue 13):
// a tracker that answers with a two-character id, an absurd heartbeat, a
// list entry that is no address, or names holding terminal escapes and
// bidi controls. Every command must turn that into an error (or print
// the name cleaned), never panic, and never put an escape sequence on the
// user's terminal.
func TestHostileTrackerAnswers(t *testing.T) {
	id := strings.Repeat("ab", 32)
	search := map[string]string{
		"short id":   `{"ok":true,"results":[{"id":"ab","name":"ubuntu.iso","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true}]}]}`,
		"escape":     `{"ok":true,"results":[{"id":"` + id + `","name":"ubuntu.iso\u001b]0;pwned\u0007","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true}]}]}`,
		"bidi":       `{"ok":true,"results":[{"id":"` + id + `","name":"invoice\u202egpj.exe","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true}]}]}`,
		"bad holder": `{"ok":true,"results":[{"id":"` + id + `","name":"ubuntu.iso","size":-5,"peers":[{"addr":"\u001b[2Jx","complete":true}]}]}`,
		// Version 2: a holder's device name and id.
		"holder name":   `{"ok":true,"results":[{"id":"` + id + `","name":"ubuntu.iso","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true,"name":"\u001b[2Jme\u202e"}]}]}`,
		"holder device": `{"ok":true,"results":[{"id":"` + id + `","name":"ubuntu.iso","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true,"device":"\u001b]0;pwned\u0007"}]}]}`,
		"long name":     `{"ok":true,"results":[{"id":"` + id + `","name":"ubuntu.iso","size":5,"peers":[{"addr":"127.0.0.1:1","complete":true,"name":"` + strings.Repeat("n", 1<<16) + `"}]}]}`,
	}
	for what, answer := range search {
		t.Run("get "+what, func(t *testing.T) {
			addr := fakeTracker(t, func(string) string { return answer })
			r := runGetBin(t, "-tracker", addr, "-o", t.TempDir(), "-stall-timeout", "1s", "ubuntu.iso")
			if r.code != 1 || strings.Contains(r.stderr, "panic") || strings.ContainsAny(r.stderr, "\x1b\x07") {
				t.Fatalf("exit %d, stderr %q; want exit 1 with a clean error", r.code, r.stderr)
			}
		})
	}

	register := `{"ok":true,"token":"t0k3n","addr":"127.0.0.1:9","heartbeat_s":1e300,"timeout_s":1e300}`
	list := `{"ok":true,"peers":[{"addr":"\u001b[31mevil","files":-1,"last_seen_s":0}]}`
	var mu sync.Mutex
	nSearch := 0
	addr := fakeTracker(t, func(op string) string {
		switch op {
		case wire.OpRegister:
			return register
		case wire.OpList:
			return list
		case wire.OpSearch:
			mu.Lock()
			defer mu.Unlock()
			nSearch++
			return search[[]string{"short id", "escape", "bidi", "holder name", "holder device"}[(nSearch-1)%5]]
		}
		return `{"ok":true}`
	})
	cmd := exec.Command(enxameBin, "peer", "-tracker", addr, "-share", t.TempDir(), "-listen", "127.0.0.1:0", "-no-cache")
	cmd.Stdin = strings.NewReader("search a\nsearch b\nsearch c\nsearch d\nsearch e\nlist\nstatus\nexit\n")
	r := runCmd(t, cmd, 30*time.Second)
	if r.code != 0 || strings.Contains(r.stderr, "panic") {
		t.Fatalf("peer: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07\u202e") {
		t.Fatalf("an escape or bidi control reached the terminal: %q", r.stdout)
	}
	for _, want := range []string{"invoice⟨U+202E⟩gpj.exe", "error: searching:", "error: asking the tracker for peers:", "registered as 127.0.0.1:9"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("peer output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "error: searching:"); n != 4 {
		t.Errorf("%d searches refused, want 4 (the short id, the escape, the holder's name and device):\n%s", n, r.stdout)
	}
}
