//go:build linux

package cli

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/discovery/netnstest"
)

// TestNamespacesTraceHoldsNothing is issue 12's wiretap check: a tracker,
// a seeder and a getter on a virtual LAN, every packet of the seeder and
// of the getter captured with tcpdump, and the captures searched for what
// a listener on the LAN must never learn: the file's name, its content id
// (as the protocol writes it, in hex, and raw), the names of the devices,
// and the file's bytes. The captures are checked to hold the whole
// transfer (more bytes than the file) and the clear part of the TLS
// handshakes (the ALPN name), so a capture that missed them cannot pass.
func TestNamespacesTraceHoldsNothing(t *testing.T) {
	lan := netnstest.New(t, 3)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		if os.Getenv(netnstest.RequireEnv) == "1" {
			t.Fatalf("tcpdump is needed (apt-get install tcpdump): %v", err)
		}
		t.Skipf("tcpdump is not installed: %v", err)
	}
	const name = "quarterly-grades-secret.xlsx"
	src := t.TempDir()
	path, m, sum := writeRandom(t, src, name, 3<<20+12345)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	caps := t.TempDir()
	var dumps []*proc
	var pcaps []string
	for _, h := range []int{1, 2} {
		pcap := filepath.Join(caps, lan.Hosts[h].NS+".pcap")
		d := startProc(t, lan.Command(ctx, h, "tcpdump", "-i", lan.Hosts[h].Iface, "-s", "0", "-U", "-n", "-w", pcap, "tcp"))
		d.waitFor("listening on")
		dumps, pcaps = append(dumps, d), append(pcaps, pcap)
	}

	trackerAddr := lan.Hosts[0].Addr + ":7077"
	tr := startProc(t, lan.Command(ctx, 0, enxameBin, "tracker", "-listen", trackerAddr, "-log-level", "info"))
	tr.waitFor("Tracker listening")
	startProc(t, lan.Command(ctx, 1, enxameBin, "share", "-tracker", trackerAddr, "-no-cache", "-device", "Teacher-Laptop-Room-12", "-log-level", "info", src))
	tr.waitFor("indexedFiles=1")
	out := t.TempDir()
	g := startProc(t, lan.Command(ctx, 2, enxameBin, "get", "-tracker", trackerAddr, "-o", out, "-device", "Student-PC-07", name))
	if code := g.wait(time.Minute); code != 0 {
		t.Fatalf("get: exit %d:\n%s", code, g.out)
	}
	if got := fileSum(t, filepath.Join(out, name)); got != sum {
		t.Fatal("the copy differs from the original")
	}
	for _, d := range dumps {
		d.cmd.Process.Signal(syscall.SIGINT)
		d.wait(10 * time.Second)
	}

	id := m.ID()
	rawID, err := hex.DecodeString(id)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{
		"the file name":          []byte(name),
		"the name's stem":        []byte("quarterly-grades"),
		"the content id (hex)":   []byte(id),
		"the content id (half)":  []byte(id[:32]),
		"the content id (bytes)": rawID,
		"the seeder's name":      []byte("Teacher-Laptop-Room-12"),
		"the getter's name":      []byte("Student-PC-07"),
		"the protocol's GET":     []byte("GET " + id[:16]),
		"a manifest field":       []byte(`"chunk_size"`),
	}
	for _, off := range []int{0, len(data) / 3, len(data) / 2, len(data) - 64} {
		secrets["the file's bytes at "+strconv.Itoa(off)] = data[off : off+32]
	}
	total := 0
	for _, pcap := range pcaps {
		capture, err := os.ReadFile(pcap)
		if err != nil {
			t.Fatal(err)
		}
		total += len(capture)
		// What TLS sends in the clear, the protocol's ALPN name, is
		// found: the search does see the handshakes.
		if !bytes.Contains(capture, []byte("enxame/2")) {
			t.Errorf("the capture %s lacks the TLS handshake's ALPN enxame/2: it did not see the connections", filepath.Base(pcap))
		}
		for what, s := range secrets {
			if bytes.Contains(capture, s) {
				t.Errorf("%s is readable in the capture %s", what, filepath.Base(pcap))
			}
		}
	}
	if total < len(data) {
		t.Fatalf("the captures hold %d bytes, fewer than the %d-byte file: they missed the transfer", total, len(data))
	}
	t.Logf("captures: %d bytes for a %d-byte file; none of %d secrets found", total, len(data), len(secrets))
}
