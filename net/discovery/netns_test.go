//go:build linux

package discovery

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/discovery/netnstest"
)

// The namespace test runs an announcer and a browser in two network
// namespaces joined by a veth pair: real multicast over a real (virtual)
// link, the default port and the default interface choice, IPv4 and IPv6.
// The two sides are this test binary re-executed with `ip netns exec`
// and told their role through the environment.
const (
	envRole = "ENXAME_NETNS_ROLE" // "announce" or "browse"
	envName = "ENXAME_NETNS_NAME" // the network name
	// envUntil tells a browser to wait, after FOUND, for the network to
	// leave ("gone") rather than exit at once.
	envUntil = "ENXAME_NETNS_UNTIL"

	netnsRuns      = 5
	netnsPeers     = 12
	netnsPort      = 7077
	netnsStepLimit = 15 * time.Second // bound on every wait
)

func TestNamespaces(t *testing.T) {
	lan := netnstest.New(t, 2) // skips without root or ip
	ns := struct{ a, b string }{lan.Hosts[0].NS, lan.Hosts[1].NS}

	var announceFirst, browseFirst []time.Duration
	for i := range netnsRuns {
		name := fmt.Sprintf("Lab %d ☕", i)

		// Browser waiting, then the announcer starts: announce start → seen.
		b := startNetnsChild(t, ns.b, "browse", name)
		b.expect(t, "READY")
		a := startNetnsChild(t, ns.a, "announce", name)
		start := a.expect(t, "START")
		seen := b.expect(t, "SEEN")
		checkFound(t, b.expectLine(t, "FOUND"), name)
		b.wait(t)
		announceFirst = append(announceFirst, time.Duration(seen-start))

		// Announcer running, then a browser starts: browser ready → seen
		// (through its query).
		b = startNetnsChild(t, ns.b, "browse", name)
		ready := b.expect(t, "READY")
		seen = b.expect(t, "SEEN")
		checkFound(t, b.expectLine(t, "FOUND"), name)
		b.wait(t)
		browseFirst = append(browseFirst, time.Duration(seen-ready))

		if i < netnsRuns-1 {
			a.stop(t)
			continue
		}
		// The announcer's goodbye reaches a browser at once.
		b = startNetnsChild(t, ns.b, "browse", name, envUntil+"=gone")
		b.expect(t, "READY")
		b.expect(t, "SEEN")
		b.expectLine(t, "FOUND")
		a.stop(t)
		b.expect(t, "GONE")
		b.wait(t)
	}
	t.Logf("discovery, announcer starting while a browser listens: %v, median %v", announceFirst, median(announceFirst))
	t.Logf("discovery, browser starting while an announcer runs: %v, median %v", browseFirst, median(browseFirst))
}

// TestNamespacesBridge runs three hosts on a bridge: one announcer, two
// browsers, both of which find it.
func TestNamespacesBridge(t *testing.T) {
	lan := netnstest.New(t, 3)
	const name = "Bridged"
	var browsers []*netnsChild
	for _, h := range lan.Hosts[1:] {
		b := startNetnsChild(t, h.NS, "browse", name)
		b.expect(t, "READY")
		browsers = append(browsers, b)
	}
	a := startNetnsChild(t, lan.Hosts[0].NS, "announce", name)
	a.expect(t, "START")
	for _, b := range browsers {
		checkFound(t, b.expectLine(t, "FOUND"), name)
		b.wait(t)
	}
	a.stop(t)
}

// TestNamespacesLinkUp starts a browser while its only LAN link is down
// (a laptop before Wi-Fi connects): it runs quietly with no interface,
// then joins the link when it comes up and finds the network.
func TestNamespacesLinkUp(t *testing.T) {
	lan := netnstest.New(t, 2)
	b := lan.Hosts[1]
	setLink := func(state string) {
		out, err := exec.Command("ip", "-n", b.NS, "link", "set", b.Iface, state).CombinedOutput()
		if err != nil {
			t.Fatalf("ip link set %s: %v: %s", state, err, out)
		}
	}
	setLink("down")
	browser := startNetnsChild(t, b.NS, "browse", "Late")
	browser.expect(t, "READY")
	a := startNetnsChild(t, lan.Hosts[0].NS, "announce", "Late")
	a.expect(t, "START")
	setLink("up")
	checkFound(t, browser.expectLine(t, "FOUND"), "Late")
	browser.wait(t)
	a.stop(t)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// checkFound checks the browser's report: the right network, reached
// over IPv4 at the announcer's address and over IPv6 link-local.
func checkFound(t *testing.T, line, name string) {
	t.Helper()
	var n Network
	if err := json.Unmarshal([]byte(line), &n); err != nil {
		t.Fatalf("browser reported %q: %v", line, err)
	}
	if n.Name != name || n.Peers != netnsPeers || n.Version != ProtocolVersion {
		t.Fatalf("found %+v, want %q with %d peers", n, name, netnsPeers)
	}
	want4 := "10.77.0.1:" + strconv.Itoa(netnsPort)
	if !slices.Contains(n.Addrs, want4) {
		t.Fatalf("addresses %v lack %s", n.Addrs, want4)
	}
	if !slices.ContainsFunc(n.Addrs, func(a string) bool {
		return strings.HasPrefix(a, "[fe80:") && strings.HasSuffix(a, "]:"+strconv.Itoa(netnsPort))
	}) {
		t.Fatalf("addresses %v lack an IPv6 link-local one", n.Addrs)
	}
}

// netnsChild is this test binary running one role inside a namespace.
type netnsChild struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

func startNetnsChild(t *testing.T, ns, role, name string, env ...string) *netnsChild {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestNetnsHelper$", "-test.count=1")
	// The race detector sleeps a second before exiting, by default, to
	// catch late reports; the child waits for its goroutines, so skip it.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(append(os.Environ(), envRole+"="+role, envName+"="+name, "GORACE="+gorace), env...)
	cmd.Stderr = &testWriter{t: t, prefix: role + ": "}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &netnsChild{cmd: cmd, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			cmd.Process.Kill()
			c.wait(t)
		}
	})
	return c
}

// expectLine waits for the next line starting with word and returns the rest.
func (c *netnsChild) expectLine(t *testing.T, word string) string {
	t.Helper()
	deadline := time.After(netnsStepLimit)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited before %s", word)
			}
			if rest, ok := strings.CutPrefix(line, word+" "); ok {
				return rest
			}
		case <-deadline:
			t.Fatalf("no %s from the child within %v", word, netnsStepLimit)
		}
	}
}

// expect waits for "WORD <unix nanoseconds>" and returns the time.
func (c *netnsChild) expect(t *testing.T, word string) int64 {
	t.Helper()
	ns, err := strconv.ParseInt(c.expectLine(t, word), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", word, err)
	}
	return ns
}

func (c *netnsChild) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.wait(t)
}

func (c *netnsChild) wait(t *testing.T) {
	t.Helper()
	for range c.lines { // drain until the child closes stdout
	}
	err := c.cmd.Wait()
	select {
	case <-c.done:
		return
	default:
		close(c.done)
	}
	if err != nil {
		t.Errorf("child: %v", err)
	}
}

// testWriter logs a child's stderr through t.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if l != "" && l != "PASS" {
			w.t.Log(w.prefix + l)
		}
	}
	return len(p), nil
}

// TestNetnsHelper is one side of TestNamespaces; it does nothing unless
// started by it. It reports on stdout, one "WORD value" line per event.
func TestNetnsHelper(t *testing.T) {
	role, name := os.Getenv(envRole), os.Getenv(envName)
	if role == "" {
		t.Skip("one side of TestNamespaces; runs only when started by it")
	}
	ctx, stop := signal.NotifyContext(t.Context(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 4*netnsStepLimit)
	defer cancel()
	level := slog.LevelInfo
	if os.Getenv("ENXAME_NETNS_DEBUG") == "1" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	say := func(word string, v any) { fmt.Printf("%s %v\n", word, v) }

	switch role {
	case "announce":
		say("START", time.Now().UnixNano())
		err := Announce(ctx, Announcement{Name: name, Port: netnsPort, Peers: func() int { return netnsPeers }}, logger)
		if err != nil {
			t.Fatal(err)
		}
	case "browse":
		b := NewBrowser(logger, withReady(func() { say("READY", time.Now().UnixNano()) }))
		errc := make(chan error, 1)
		go func() { errc <- b.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}()
		seen, found := false, false
		for {
			nets := b.Networks()
			i := slices.IndexFunc(nets, func(n Network) bool { return n.Name == name })
			switch {
			case i >= 0 && !seen:
				say("SEEN", time.Now().UnixNano())
				seen = true
				fallthrough
			case i >= 0 && !found:
				// Report once both families were heard.
				if len(nets[i].Addrs) >= 2 {
					j, _ := json.Marshal(nets[i])
					say("FOUND", string(j))
					found = true
					if os.Getenv(envUntil) != "gone" {
						return
					}
				}
			case i < 0 && found:
				say("GONE", time.Now().UnixNano())
				return
			}
			select {
			case <-b.Changed():
			case <-ctx.Done():
				if !found {
					t.Fatalf("network %q not found; have %+v", name, nets)
				}
				return // the parent stopped listening for GONE
			}
		}
	default:
		t.Fatalf("unknown role %q", role)
	}
}
