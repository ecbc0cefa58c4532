//go:build linux

package cli

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
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
