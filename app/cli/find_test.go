package cli

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// loDisc is discovery kept on loopback with a port of its own per test.
type loDisc struct {
	iface string
	port  int
}

func newLoDisc(t *testing.T) loDisc {
	t.Helper()
	lo, port := loopbackDiscovery(t)
	return loDisc{lo, port}
}

// flags are the CLI flags for this discovery.
func (d loDisc) flags() []string {
	return []string{"-discovery-interface", d.iface, "-discovery-port", strconv.Itoa(d.port)}
}

func (d loDisc) options() []discovery.Option {
	return []discovery.Option{discovery.WithInterfaces(d.iface), discovery.WithPort(d.port)}
}

// startAnnouncedTracker runs the tracker binary on loopback, announcing
// name over d.
func startAnnouncedTracker(t *testing.T, d loDisc, name string, extra ...string) *trackerProc {
	t.Helper()
	args := append([]string{"-listen", "127.0.0.1:0", "-announce", "on", "-name", name,
		"-heartbeat", "200ms", "-timeout", "2s"}, d.flags()...)
	return startTrackerProc(t, append(args, extra...)...)
}

// waitNetwork browses until a network named name satisfies cond.
func waitNetwork(t *testing.T, d loDisc, name string, cond func(discovery.Network) bool) discovery.Network {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), e2eWait)
	defer cancel()
	b := discovery.NewBrowser(nil, d.options()...)
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for {
		for _, n := range b.Networks() {
			if n.Name == name && cond(n) {
				return n
			}
		}
		select {
		case <-b.Changed():
		case <-ctx.Done():
			t.Fatalf("network %q never seen as wanted within %s (heard %+v)", name, e2eWait, b.Networks())
		}
	}
}

func TestTrackerAnnounces(t *testing.T) {
	d := newLoDisc(t)
	tr := startAnnouncedTracker(t, d, "Lab ☕")
	port := tr.addr[strings.LastIndexByte(tr.addr, ':')+1:]
	n := waitNetwork(t, d, "Lab ☕", func(n discovery.Network) bool { return n.Peers == 0 })
	if len(n.Addrs) == 0 || n.Addrs[0] != "127.0.0.1:"+port || n.Version != discovery.ProtocolVersion {
		t.Fatalf("heard %+v; want 127.0.0.1:%s", n, port)
	}

	// The peer count is live.
	c := tracker.NewClient(tr.addr)
	defer c.Close()
	if _, err := c.Register(t.Context(), 4242, nil); err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, "Lab ☕", func(n discovery.Network) bool { return n.Peers == 1 })

	// Stopping says goodbye: the network leaves at once.
	if code := tr.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("tracker exit %d", code)
	}
	nets, err := discovery.Find(t.Context(), "Lab ☕", 500*time.Millisecond, nil, d.options()...)
	if err != nil || len(nets) != 0 {
		t.Fatalf("after stop: %+v, %v; want none", nets, err)
	}
}

func TestTrackerAnnounceModes(t *testing.T) {
	d := newLoDisc(t)
	// auto on loopback, and off: nothing is announced.
	startTrackerProc(t, append([]string{"-listen", "127.0.0.1:0", "-name", "Auto"}, d.flags()...)...)
	startTrackerProc(t, append([]string{"-listen", "127.0.0.1:0", "-name", "Off", "-announce", "off"}, d.flags()...)...)
	startAnnouncedTracker(t, d, "On")
	waitNetwork(t, d, "On", func(discovery.Network) bool { return true })
	nets, err := discovery.Find(t.Context(), "", 1500*time.Millisecond, nil, d.options()...)
	if err != nil || len(nets) != 1 || nets[0].Name != "On" {
		t.Fatalf("heard %+v, %v; want only On", nets, err)
	}
	for _, c := range []struct{ listen, mode string }{
		{"127.0.0.1:7077", "auto"}, {"[::1]:7077", "auto"}, {"localhost:7077", "auto"},
	} {
		if a, err := resolveTCP(c.listen); err == nil && shouldAnnounce(c.mode, a) {
			t.Errorf("%s %s: announces", c.listen, c.mode)
		}
	}
	for _, listen := range []string{":7077", "0.0.0.0:7077", "10.1.2.3:7077"} {
		if a, err := resolveTCP(listen); err != nil || !shouldAnnounce("auto", a) {
			t.Errorf("%s auto: does not announce (%v)", listen, err)
		}
	}
}

func TestTrackerNameUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-name", ""}, {"-name", " padded "}, {"-name", strings.Repeat("x", 65)}, {"-name", "bad\u202eone"},
		{"-announce", "maybe"}, {"-discovery-port", "0"},
	} {
		code, _, errs := runCLI(t, append([]string{"tracker"}, args...)...)
		if code != ExitUsage || !strings.Contains(errs, "usage: enxame tracker") {
			t.Errorf("%q: exit %d, stderr %q; want 2 with usage", args, code, errs)
		}
	}
}

func TestFindNone(t *testing.T) {
	d := newLoDisc(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		append([]string{"get", "-o", dir}, append(d.flags(), "x")...),
		append([]string{"share"}, append(d.flags(), dir)...),
		append([]string{"peer", "-share", dir}, d.flags()...),
	} {
		start := time.Now()
		p := shStart(t, nil, nil, args...)
		select {
		case <-p.done:
		case <-time.After(e2eWait):
			t.Fatalf("%v: still running", args)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != ExitFailure || !strings.Contains(p.stderr.String(), "no Enxame network found nearby") ||
			!strings.Contains(p.stderr.String(), "-tracker") {
			t.Errorf("%v: exit %d, stderr %q; want 1 asking for -tracker", args, code, p.stderr)
		}
		if el := time.Since(start); el < FindWait || el > FindWait+5*time.Second {
			t.Errorf("%v: gave up after %s; want about %s", args, el, FindWait)
		}
	}
}

func TestFindShareAndGet(t *testing.T) {
	d := newLoDisc(t)
	tr := startAnnouncedTracker(t, d, "Home")
	src := t.TempDir()
	_, m, sum := writeRandom(t, src, "song.bin", 3<<20)
	sh := shStart(t, nil, nil, append(append([]string{"share", "-listen", "127.0.0.1:0", "-no-cache", "-log-level", "info"}, d.flags()...), src)...)
	shSearchUntil(t, tr.addr, "song.bin", "shared file", func(rs []wire.SearchResult) bool { return len(rs) == 1 && rs[0].ID == m.ID() })
	if !strings.Contains(sh.stderr.String(), "Using network found nearby") || !strings.Contains(sh.stderr.String(), "tracker="+tr.addr) {
		t.Errorf("share did not log the network it found:\n%s", sh.stderr)
	}
	out := t.TempDir()
	r := runGetBin(t, append(append([]string{"-o", out}, d.flags()...), "song.bin")...)
	want := filepath.Join(out, "song.bin")
	if r.code != 0 || r.stdout != want+"\n" || fileSum(t, want) != sum {
		t.Fatalf("get: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `using network "Home"`) {
		t.Errorf("get did not say which network: %s", r.stderr)
	}
	// -tracker still wins over discovery (the CLI.md contract).
	out = t.TempDir()
	if r := runGetBin(t, "-tracker", tr.addr, "-o", out, "song.bin"); r.code != 0 || strings.Contains(r.stderr, "using network") {
		t.Fatalf("get -tracker: exit %d, stderr %s", r.code, r.stderr)
	}
	if code := sh.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("share exit %d: %s", code, sh.stderr)
	}
}

func TestFindSeveral(t *testing.T) {
	d := newLoDisc(t)
	a := startAnnouncedTracker(t, d, "Alpha")
	startAnnouncedTracker(t, d, "Beta")
	startAnnouncedTracker(t, d, "Beta")
	waitNetwork(t, d, "Alpha", func(discovery.Network) bool { return true })

	out := t.TempDir()
	r := runGetBin(t, append(append([]string{"-o", out}, d.flags()...), "x")...)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != ExitFailure || len(lines) != 5 || !strings.Contains(lines[0], "several Enxame networks") ||
		!strings.Contains(lines[4], "-network NAME") || !strings.Contains(lines[1], "Alpha") || !strings.Contains(lines[1], a.addr) {
		t.Fatalf("several: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(lines[1], " id ") || !strings.Contains(lines[2], " id ") || !strings.Contains(lines[3], " id ") {
		t.Errorf("ids should tell apart only the two Betas:\n%s", r.stderr)
	}

	// -network picks one; two of the same name are still ambiguous.
	r = runGetBin(t, append(append([]string{"-o", out, "-network", "Alpha"}, d.flags()...), "nothing-here")...)
	if r.code != ExitFailure || !strings.Contains(r.stderr, `using network "Alpha"`) {
		t.Fatalf("-network Alpha: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runGetBin(t, append(append([]string{"-o", out, "-network", "Beta"}, d.flags()...), "x")...)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "several") {
		t.Fatalf("-network Beta: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runGetBin(t, append(append([]string{"-o", out, "-network", "Gamma"}, d.flags()...), "x")...)
	if r.code != ExitFailure || !strings.Contains(r.stderr, `no Enxame network named "Gamma"`) {
		t.Fatalf("-network Gamma: exit %d, stderr %s", r.code, r.stderr)
	}
}

func resolveTCP(s string) (net.Addr, error) { return net.ResolveTCPAddr("tcp", s) }
