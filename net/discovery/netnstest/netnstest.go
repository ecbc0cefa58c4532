//go:build linux

// Package netnstest builds a throw-away LAN out of Linux network
// namespaces for tests: n hosts, each in its own namespace, with one
// address from the private test range 10.77.0.0/24 (and an IPv6
// link-local one), joined by a veth pair (two hosts) or through a bridge
// in a hub namespace (more). Nothing touches the host's own interfaces,
// and everything is deleted when the test ends.
//
// It needs root and the ip command (iproute2). Without them New skips the
// test, or fails it when ENXAME_REQUIRE_NETNS=1 (set in CI, which runs as
// root, so the test cannot silently stop running there).
package netnstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequireEnv, set to 1, turns a skip for missing root or ip into a failure.
const RequireEnv = "ENXAME_REQUIRE_NETNS"

// MaxHosts is the most hosts one LAN may have.
const MaxHosts = 32

// stepTimeout bounds every ip command.
const stepTimeout = 15 * time.Second

// Host is one machine of the LAN.
type Host struct {
	NS    string // network namespace name, for ip netns exec
	Iface string // its LAN interface
	Addr  string // its IPv4 address, 10.77.0.(i+1)
}

// LAN is a set of hosts on one link.
type LAN struct {
	Hosts []Host
}

// New creates a LAN of n hosts (2 ≤ n ≤ MaxHosts), deleted with t.Cleanup.
func New(t testing.TB, n int) *LAN {
	t.Helper()
	if n < 2 || n > MaxHosts {
		t.Fatalf("netnstest: %d hosts; want 2 to %d", n, MaxHosts)
	}
	skip := t.Skipf
	if os.Getenv(RequireEnv) == "1" {
		skip = t.Fatalf
	}
	if os.Geteuid() != 0 {
		skip("netnstest: needs root to create network namespaces (CI runs as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("netnstest: needs the ip command (iproute2): %v", err)
	}

	var rnd [3]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:]) // names unique per run; links ≤ 15 bytes
	lan := &LAN{}
	addNS := func(name string) {
		t.Helper()
		if err := ip("netns", "add", name); err != nil {
			skip("netnstest: cannot create a network namespace: %v", err)
		}
		t.Cleanup(func() {
			if err := ip("netns", "del", name); err != nil {
				t.Errorf("netnstest: deleting namespace: %v", err)
			}
		})
		// No duplicate address detection: IPv6 link-local usable at once.
		must(t, ip("netns", "exec", name, "sysctl", "-qw",
			"net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"))
		must(t, ip("-n", name, "link", "set", "lo", "up"))
	}
	for i := range n {
		h := Host{
			NS:    fmt.Sprintf("enxame-%s-%d", id, i),
			Iface: fmt.Sprintf("enx%s%d", id, i),
			Addr:  fmt.Sprintf("10.77.0.%d", i+1),
		}
		addNS(h.NS)
		lan.Hosts = append(lan.Hosts, h)
	}
	if n == 2 {
		a, b := lan.Hosts[0], lan.Hosts[1]
		must(t, ip("link", "add", a.Iface, "netns", a.NS, "type", "veth", "peer", "name", b.Iface, "netns", b.NS))
	} else {
		hub := fmt.Sprintf("enxame-%s-hub", id)
		addNS(hub)
		must(t, ip("-n", hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"))
		must(t, ip("-n", hub, "link", "set", "br0", "up"))
		for i, h := range lan.Hosts {
			port := fmt.Sprintf("p%d", i)
			must(t, ip("link", "add", h.Iface, "netns", h.NS, "type", "veth", "peer", "name", port, "netns", hub))
			must(t, ip("-n", hub, "link", "set", port, "master", "br0", "up"))
		}
	}
	for _, h := range lan.Hosts {
		must(t, ip("-n", h.NS, "addr", "add", h.Addr+"/24", "dev", h.Iface))
		must(t, ip("-n", h.NS, "link", "set", h.Iface, "multicast", "on", "up"))
	}
	return lan
}

// Command returns cmd with args to run inside host i's namespace.
func (l *LAN) Command(ctx context.Context, i int, cmd string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.Hosts[i].NS, cmd}, args...)...)
}

// Limit caps the rate host i sends at on its LAN link (a token bucket,
// tc tbf; rate as tc spells it, "24mbit"): downloads from it then last long
// enough for a test to act while one is in progress. It is removed with
// the namespace.
func (l *LAN) Limit(t testing.TB, i int, rate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	h := l.Hosts[i]
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", h.NS, "tc", "qdisc", "add", "dev", h.Iface,
		"root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms").CombinedOutput()
	if err != nil {
		t.Fatalf("netnstest: limiting %s to %s: %v: %s", h.NS, rate, err, strings.TrimSpace(string(out)))
	}
}

// ip runs one ip command, bounded in time. It does not use the test's
// context: cleanups run after that is cancelled.
func ip(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
