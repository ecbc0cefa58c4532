//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/discovery/netnstest"
)

// netnsGetRuns is how many downloads TestNamespacesShareGet times.
const netnsGetRuns = 3

// foundIn matches get's "found in DUR" report.
var foundIn = regexp.MustCompile(`found in ([0-9.]+[µm]?s)\)`)

// TestNamespacesShareGet is issue 6's end-to-end discovery test: three
// hosts on a LAN of network namespaces, nobody typing an address. Host 0
// runs `enxame tracker` (default port, default announcing), host 1
// `enxame share` and host 2 `enxame get`, both without -tracker: they find
// the network on the LAN, and the file arrives intact.
func TestNamespacesShareGet(t *testing.T) {
	lan := netnstest.New(t, 3) // skips without root (CI sets ENXAME_REQUIRE_NETNS=1)
	ctx := t.Context()
	tr := startProc(t, lan.Command(ctx, 0, enxameBin, "tracker", "-name", "Netns Lab", "-heartbeat", "1s", "-timeout", "3s"))
	tr.waitFor("Announcing network")

	src := t.TempDir()
	_, m, sum := writeRandom(t, src, "film.bin", 12<<20)
	sh := startProc(t, lan.Command(ctx, 1, enxameBin, "share", "-no-cache", "-log-level", "info", src))
	sh.waitFor("Using network found nearby")
	sh.waitFor("Registered with tracker")

	var took []time.Duration
	for range netnsGetRuns {
		out := t.TempDir()
		r := runCmd(t, lan.Command(ctx, 2, enxameBin, "get", "-o", out, "film.bin"), time.Minute)
		want := filepath.Join(out, "film.bin")
		if r.code != 0 || r.stdout != want+"\n" || fileSum(t, want) != sum {
			t.Fatalf("get: exit %d, stdout %q, stderr:\n%s\nshare:\n%s", r.code, r.stdout, r.stderr, sh.out)
		}
		f := foundIn.FindStringSubmatch(r.stderr)
		if f == nil || !bytes.Contains([]byte(r.stderr), []byte(`using network "Netns Lab" (tracker 10.77.0.1:7077`)) {
			t.Fatalf("get did not report the network found:\n%s", r.stderr)
		}
		d, _ := time.ParseDuration(f[1])
		took = append(took, d)
	}
	slices.Sort(took)
	t.Logf("get without -tracker, network found (browse + settle + dial) in %v, median %v; id %s", took, took[len(took)/2], m.ID()[:8])

	if code := sh.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("share exit %d:\n%s", code, sh.out)
	}
	if code := tr.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("tracker exit %d:\n%s", code, tr.out)
	}
}

// Hand-over test sizes.
const (
	handoverRuns = 3        // graceful leaves timed
	handoverFile = 40 << 20 // big enough to be mid-download when the host leaves
	seederRate   = "32mbit" // per seeder (4 MB/s): the download lasts seconds
)

var (
	hostingPort = regexp.MustCompile(`msg="Hosting the network".* port=([0-9]+)`)
	percent     = regexp.MustCompile(`film\.bin: +([0-9.]+)%`)
)

// TestNamespacesHandOver is issue 6's hand-over test, with real processes
// on a LAN of four namespaces: host 0 hosts the network (share -host),
// hosts 1 and 2 share the same file (share -can-host, and plain share
// found by discovery, which follows but never hosts), host 3 is an
// interactive peer (peer -can-host) downloading it from all three. When
// the download is under way, host 0 leaves (SIGTERM, and in a last run
// SIGKILL: a crash, no goodbye). Host 1, the candidate with the lowest
// address, must start a tracker under the same name, hosts 2 and 3 must
// register with it, and the download must finish intact. The seeders'
// links are rate-limited (tc) so the download is in progress throughout.
func TestNamespacesHandOver(t *testing.T) {
	lan := netnstest.New(t, 4)
	for i := range 3 {
		lan.Limit(t, i, seederRate)
	}
	src := t.TempDir()
	film, _, sum := writeRandom(t, src, "film.bin", handoverFile)
	// Settled long ago: indexed at once rather than after the settle time.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(film, old, old); err != nil {
		t.Fatal(err)
	}

	var graceful []time.Duration
	for run := range handoverRuns + 1 {
		sig := os.Signal(syscall.SIGTERM)
		if run == handoverRuns {
			sig = syscall.SIGKILL
		}
		took := handOverRun(t, lan, fmt.Sprintf("Relay %d", run), src, sum, sig)
		if sig == syscall.SIGTERM {
			graceful = append(graceful, took)
		} else {
			t.Logf("hand-over after the host crashed (SIGKILL, no goodbye): %v", took)
		}
	}
	slices.Sort(graceful)
	t.Logf("hand-over after the host quit (SIGTERM): %v, median %v", graceful, graceful[len(graceful)/2])
}

// handOverRun runs one hand-over and returns the time from the host's
// signal to the last remaining peer registered with the new tracker.
func handOverRun(t *testing.T, lan *netnstest.LAN, network, src string, sum [32]byte, sig os.Signal) time.Duration {
	t.Helper()
	ctx := t.Context()
	common := []string{"-no-cache", "-log-level", "info", "-network", network}
	shareOn := func(i int, role ...string) *proc {
		args := append(append([]string{"share"}, role...), common...)
		return startProc(t, lan.Command(ctx, i, enxameBin, append(args, src)...))
	}
	host := shareOn(0, "-host")
	host.waitFor("Hosting the network")
	// Host 2 does not allow hosting: it only follows the network.
	seeders := []*proc{shareOn(1, "-can-host"), shareOn(2)}
	for _, s := range seeders {
		s.waitFor("Registered with tracker")
	}
	dl := t.TempDir()
	cmd := lan.Command(ctx, 3, enxameBin, append([]string{"peer", "-can-host", "-share", dl}, common...)...)
	feed, err := cmd.StdinPipe() // writes fail, rather than block, once the peer is gone
	if err != nil {
		t.Fatal(err)
	}
	getter := startProc(t, cmd)
	getter.waitFor("Registered with tracker")
	host.waitFor("indexedFiles=3") // the three seeders' copies are on the tracker

	io.WriteString(feed, "download film.bin\n")
	waitProgress(t, getter, feed, 5)
	left := time.Now()
	host.cmd.Process.Signal(sig)

	// Host 1 (10.77.0.2, the lowest candidate address) takes over.
	seeders[0].waitFor("Hosting the network")
	m := hostingPort.FindStringSubmatch(seeders[0].out.String())
	if m == nil {
		t.Fatalf("no port in host 1's output:\n%s", seeders[0].out)
	}
	newTracker := lan.Hosts[1].Addr + ":" + m[1]
	for _, p := range []*proc{seeders[1], getter} {
		p.waitFor(`msg="Registered with tracker" tracker=` + newTracker)
	}
	took := time.Since(left)
	// Another candidate may have hosted for a moment, when it had not yet
	// heard of a lower one (candidates are read every ListInterval): then
	// it must have left hosting to host 1 (split-brain rule).
	for _, p := range []*proc{seeders[1], getter} {
		out := p.out.String()
		if i := strings.LastIndex(out, "Hosting the network"); i >= 0 {
			if !strings.Contains(out[i:], "leaving to the one with the lower address") {
				t.Errorf("another peer hosts too:\n%s", out)
			}
			t.Logf("%s: another candidate hosted for a moment, then left hosting to host 1", network)
		}
	}
	if code := host.wait(e2eWait); sig == syscall.SIGTERM && code != 0 {
		t.Errorf("host exit %d:\n%s", code, host.out)
	}

	// The download in progress finishes, intact.
	getter.out.waitForWithin(t, "downloaded ", time.Minute)
	if got := fileSum(t, filepath.Join(dl, "film.bin")); got != sum {
		t.Fatal("downloaded file differs from the original")
	}
	// One network of that name is left, at host 1.
	r := runCmd(t, lan.Command(ctx, 0, enxameBin, "networks", "-name", network), e2eWait)
	if r.code != 0 || strings.Count(strings.TrimSpace(r.stdout), "\n") != 1 || !strings.Contains(r.stdout, newTracker) {
		t.Errorf("networks after the hand-over: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	io.WriteString(feed, "exit\n")
	if code := getter.wait(e2eWait); code != 0 {
		t.Errorf("peer exit %d", code)
	}
	for _, s := range seeders {
		if code := s.stop(syscall.SIGTERM); code != 0 {
			t.Errorf("share exit %d", code)
		}
	}
	return took
}

// waitProgress asks the interactive peer for its status until the
// download is at least min percent done (and not finished).
func waitProgress(t *testing.T, p *proc, feed io.Writer, min float64) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		io.WriteString(feed, "status\n")
		if ms := percent.FindAllStringSubmatch(p.out.String(), -1); len(ms) > 0 {
			v, _ := strconv.ParseFloat(ms[len(ms)-1][1], 64)
			if v >= 100 {
				t.Fatalf("the download finished before the host could leave; slow the seeders down")
			}
			if v >= min {
				return
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("download never reached %v%%:\n%s", min, p.out)
		}
	}
}
