package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/discovery/discoverytest"
)

// loopbackDiscovery returns the loopback interface's name and a free UDP
// port, so the test never sends a datagram beyond this host.
func loopbackDiscovery(t *testing.T) (string, int) {
	t.Helper()
	return discoverytest.Loopback(t)
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(t.Context(), args, Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestNetworks(t *testing.T) {
	lo, port := loopbackDiscovery(t)
	flags := []string{"-interface", lo, "-discovery-port", strconv.Itoa(port)}

	code, out, errs := runCLI(t, append([]string{"networks", "-wait", "300ms"}, flags...)...)
	if code != ExitFailure || out != "" || !strings.Contains(errs, "no Enxame network found") {
		t.Fatalf("with no tracker: exit %d, stdout %q, stderr %q; want 1 and a message", code, out, errs)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	done2 := make(chan error, 1)
	go func() {
		done <- discovery.Announce(ctx, discovery.Announcement{Name: "Lab 3", Port: 7077, Peers: func() int { return 12 }},
			slog.New(slog.DiscardHandler), discovery.WithInterfaces(lo), discovery.WithPort(port))
	}()
	go func() {
		mac := func([]byte) []byte { return make([]byte, discovery.MACBytes) }
		done2 <- discovery.Announce(ctx, discovery.Announcement{Name: "Sala 12", Port: 7078, MAC: mac},
			slog.New(slog.DiscardHandler), discovery.WithInterfaces(lo), discovery.WithPort(port))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := <-done2; err != nil {
			t.Error(err)
		}
	}()

	code, out, errs = runCLI(t, append([]string{"networks", "-wait", "5s", "-name", "Lab 3"}, flags...)...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[1], "Lab 3") ||
		!strings.Contains(lines[1], " 12 ") || !strings.Contains(lines[1], " open ") || !strings.Contains(lines[1], "127.0.0.1:7077") {
		t.Fatalf("stdout %q; want a header and Lab 3, open, with 12 peers at 127.0.0.1:7077", out)
	}
	code, out, errs = runCLI(t, append([]string{"networks", "-wait", "5s", "-name", "Sala 12"}, flags...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != ExitOK || len(lines) != 2 || !strings.Contains(lines[1], " private ") {
		t.Fatalf("a private network: exit %d, stdout %q, stderr %q; want it marked private", code, out, errs)
	}

	code, _, errs = runCLI(t, append([]string{"networks", "-wait", "300ms", "-name", "Other"}, flags...)...)
	if code != ExitFailure || !strings.Contains(errs, `named "Other"`) {
		t.Fatalf("unknown name: exit %d, stderr %q", code, errs)
	}
}

func TestNetworksUsage(t *testing.T) {
	for _, args := range [][]string{
		{"networks", "-wait", "0s"},
		{"networks", "-wait", "nope"},
		{"networks", "extra"},
		{"networks", "-discovery-port", "70000"},
		{"networks", "-log-level", "loud"},
	} {
		if code, _, errs := runCLI(t, args...); code != ExitUsage || !strings.Contains(errs, "usage: enxame networks") {
			t.Errorf("%q: exit %d, stderr %q; want 2 with usage", args, code, errs)
		}
	}
	if code, _, _ := runCLI(t, "networks", "-h"); code != ExitOK {
		t.Errorf("-h: exit %d, want 0", code)
	}
}
