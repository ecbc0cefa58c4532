package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

func TestGetUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, ExitOK, "usage: enxame get"},
		{[]string{}, ExitUsage, "exactly one NAME"},
		{[]string{"-tracker", "x:1"}, ExitUsage, "exactly one NAME"},
		{[]string{"-tracker", "x:1", "a", "b"}, ExitUsage, "exactly one NAME"},
		{[]string{"-discovery-port", "0", "name"}, ExitUsage, "-discovery-port"},
		{[]string{"-tracker", "x:1", "-id", "abc", "name"}, ExitUsage, "-id must be"},
		{[]string{"-tracker", "x:1", "-id", "ABCDEF0123", "name"}, ExitUsage, "-id must be"},
		{[]string{"-tracker", "x:1", "-stall-timeout", "0s", "name"}, ExitUsage, "-stall-timeout"},
		{[]string{"-tracker", "x:1", "-nope", "name"}, ExitUsage, "usage: enxame get"},
		{[]string{"-tracker", "x:1", "-max-upload", "10MB", "name"}, ExitUsage, `bad -max-upload: "10MB"`},
		{[]string{"-tracker", "x:1", "-max-download", "fast/s", "name"}, ExitUsage, `bad -max-download: "fast/s"`},
		{[]string{"-tracker", "x:1", "-max-download", "-1MB/s", "name"}, ExitUsage, "bad -max-download"},
		{[]string{"-tracker", "x:1", "-max-upload", "10B/s", "name"}, ExitUsage, "under the least limit"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), append([]string{"get"}, c.args...), Env{Stdout: &out, Stderr: &errb})
			if code != c.code || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out.String(), errb.String(), c.code, c.want)
			}
		})
	}
}

// seeder is an in-process chunk server (the real net/peer Server) sharing
// one file, registered with a tracker.
type seeder struct {
	addr string
	stop func()
}

type oneFile struct {
	m    *wire.Manifest
	path string
}

func (c oneFile) Lookup(id string) (peer.Item, bool) {
	if id != c.m.ID() {
		return peer.Item{}, false
	}
	return peer.Item{Manifest: c.m, Open: func() (*os.File, error) { return os.Open(c.path) }}, true
}

// throttled slows every write of the connections it accepts.
type throttled struct {
	net.Listener
	bytesPerSec int
}

func (l throttled) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return slowConn{c, l.bytesPerSec}, nil
}

type slowConn struct {
	net.Conn
	bytesPerSec int
}

func (c slowConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := min(len(p)-n, 64<<10)
		w, err := c.Conn.Write(p[n : n+k])
		n += w
		if err != nil {
			return n, err
		}
		time.Sleep(time.Duration(k) * time.Second / time.Duration(c.bytesPerSec))
	}
	return n, nil
}

func startSeeder(t *testing.T, trackerAddr, name, path string, m *wire.Manifest, bytesPerSec int) *seeder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	var l net.Listener = ln
	if bytesPerSec > 0 {
		l = throttled{ln, bytesPerSec}
	}
	srv := peer.NewServer(peer.Config{Catalog: oneFile{m, path}, Logger: slog.New(slog.DiscardHandler)})
	sctx, scancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(sctx, l) })
	tc := tracker.NewClient(trackerAddr)
	defer tc.Close()
	if _, err := tc.Register(t.Context(), port, []wire.FileEntry{{Name: name, Size: m.Size, ID: m.ID(), Complete: true}}); err != nil {
		scancel()
		wg.Wait()
		t.Fatal(err)
	}
	s := &seeder{addr: ln.Addr().String(), stop: func() { scancel(); wg.Wait() }}
	t.Cleanup(s.stop)
	return s
}

// writeRandom writes size random bytes to dir/name and returns the manifest.
func writeRandom(t *testing.T, dir, name string, size int) (string, *wire.Manifest, [32]byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := wire.ManifestOf(bytes.NewReader(data), int64(size), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, m, sha256.Sum256(data)
}

// getResult is one run of the real `enxame get`.
type getResult struct {
	code   int
	stdout string
	stderr string
}

func runGetBin(t *testing.T, args ...string) getResult {
	t.Helper()
	cmd := exec.Command(enxameBin, append([]string{"get"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("enxame get %v did not finish; stderr:\n%s", args, errb.String())
	}
	return getResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

func fileSum(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func hiddenLeft(t *testing.T, dir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".enxame-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestGetEndToEnd(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	src := t.TempDir()
	for _, n := range []int{1, 4} {
		t.Run(string(rune('0'+n))+" seeders", func(t *testing.T) {
			name := "clip" + string(rune('0'+n)) + ".bin"
			p, m, sum := writeRandom(t, src, name, 5<<20+12345)
			for range n {
				startSeeder(t, tr.addr, "videos/"+name, p, m, 0)
			}
			out := t.TempDir()
			r := runGetBin(t, "-tracker", tr.addr, "-o", out, name)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			want := filepath.Join(out, name)
			if r.stdout != want+"\n" {
				t.Fatalf("stdout %q, want exactly the path", r.stdout)
			}
			if fileSum(t, want) != sum {
				t.Fatal("downloaded file differs")
			}
			if strings.Contains(r.stderr, "\r") {
				t.Fatal("live bar drawn on a pipe")
			}
			if h := hiddenLeft(t, out); len(h) != 0 {
				t.Fatalf("left %v", h)
			}
			// Again: the existing file is kept, the new one gets a free name.
			r = runGetBin(t, "-tracker", tr.addr, "-o", out, name)
			want1 := filepath.Join(out, strings.TrimSuffix(name, ".bin")+" (1).bin")
			if r.code != 0 || r.stdout != want1+"\n" || fileSum(t, want1) != sum || fileSum(t, want) != sum {
				t.Fatalf("second get: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestGetFailures(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	src := t.TempDir()
	p, m, _ := writeRandom(t, src, "holiday-2024.jpg", 1000)
	startSeeder(t, tr.addr, "holiday-2024.jpg", p, m, 0)

	r := runGetBin(t, "-tracker", tr.addr, "-o", t.TempDir(), "holiday")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || r.stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], `"holiday-2024.jpg"`) {
		t.Fatalf("no match: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// A registered holder that is gone: stalls, then gives up, exit 1.
	_, m2, _ := writeRandom(t, src, "gone.bin", 3000)
	tc := tracker.NewClient(tr.addr)
	defer tc.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if _, err := tc.Register(t.Context(), port, []wire.FileEntry{{Name: "gone.bin", Size: 3000, ID: m2.ID(), Complete: true}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r = runGetBin(t, "-tracker", tr.addr, "-o", t.TempDir(), "-stall-timeout", "1s", "gone.bin")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "stalled") || time.Since(start) > 20*time.Second {
		t.Fatalf("stall: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// Unusable output folder.
	r = runGetBin(t, "-tracker", tr.addr, "-o", filepath.Join(t.TempDir(), "nope"), "holiday-2024.jpg")
	if r.code != 1 || !strings.Contains(r.stderr, "download folder") {
		t.Fatalf("bad folder: exit %d, stderr %q", r.code, r.stderr)
	}

	// Unreachable tracker.
	r = runGetBin(t, "-tracker", "127.0.0.1:1", "x")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("no tracker: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestGetVersions(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	srcA, srcB := t.TempDir(), t.TempDir()
	pa, ma, sumA := writeRandom(t, srcA, "notes.txt", 100)
	pb, mb, sumB := writeRandom(t, srcB, "notes.txt", 200)
	startSeeder(t, tr.addr, "notes.txt", pa, ma, 0)
	startSeeder(t, tr.addr, "notes.txt", pb, mb, 0)
	seedFrom(t, tr.addr, "127.0.0.2", "old/notes.txt", pb, mb) // versions count hosts, not registrations

	out := t.TempDir()
	r := runGetBin(t, "-tracker", tr.addr, "-o", out, "notes.txt")
	if r.code != 0 || fileSum(t, filepath.Join(out, "notes.txt")) != sumB {
		t.Fatalf("most hosts: exit %d, stderr %s", r.code, r.stderr)
	}
	var alt string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, ma.ID()[:8]) {
			alt = l
		}
	}
	if alt == "" || !strings.Contains(alt, "100 B") || !strings.Contains(alt, "1 host") {
		t.Fatalf("alternative not listed with id, size and hosts: %q", r.stderr)
	}
	r = runGetBin(t, "-tracker", tr.addr, "-o", out, "-id", ma.ID()[:8], "notes.txt")
	if r.code != 0 || fileSum(t, filepath.Join(out, "notes (1).txt")) != sumA {
		t.Fatalf("-id: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestGetInterruptAndResume(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	src := t.TempDir()
	p, m, sum := writeRandom(t, src, "big.bin", 24<<20)
	startSeeder(t, tr.addr, "big.bin", p, m, 8<<20)
	cases := []struct {
		sig os.Signal
		// after is the progress (percent) to wait for: with SIGKILL the
		// resume record (saved every second) must have been written once.
		after float64
	}{
		{syscall.SIGINT, 0},
		{syscall.SIGKILL, 40},
	}
	for _, c := range cases {
		t.Run(c.sig.String(), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(enxameBin, "get", "-tracker", tr.addr, "-o", out, "big.bin")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 100)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			deadline := time.After(30 * time.Second)
			var seen []string
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("get ended before the interruption: %v", seen)
					}
					seen = append(seen, l)
					if pct, ok := percentOf(l); ok && pct > c.after && pct < 100 {
						break wait
					}
				case <-deadline:
					t.Fatalf("no progress line: %v", seen)
				}
			}
			cmd.Process.Signal(c.sig)
			for l := range lines {
				seen = append(seen, l)
			}
			cmd.Wait()
			if c.sig == syscall.SIGINT {
				if code := cmd.ProcessState.ExitCode(); code != 0 || stdout.Len() != 0 {
					t.Fatalf("interrupted: exit %d, stdout %q, stderr %v", code, stdout.String(), seen)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "big.bin")); err == nil {
				t.Fatal("partial file under the final name")
			}
			if h := hiddenLeft(t, out); len(h) != 2 {
				t.Fatalf("partial state not kept: %v", h)
			}

			r := runGetBin(t, "-tracker", tr.addr, "-o", out, "big.bin")
			if r.code != 0 || fileSum(t, filepath.Join(out, "big.bin")) != sum || !strings.Contains(r.stderr, "resuming with") {
				t.Fatalf("resume: exit %d, stderr %s", r.code, r.stderr)
			}
			if h := hiddenLeft(t, out); len(h) != 0 {
				t.Fatalf("left %v", h)
			}
		})
	}
}

// percentOf parses a plain progress line's leading "NN.N%".
func percentOf(line string) (float64, bool) {
	f := strings.Fields(line)
	if len(f) == 0 || !strings.HasSuffix(f[0], "%") {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
	return v, err == nil
}

// TestGetFromShareProcesses: real `enxame share` processes as seeders: one,
// then four, one of which is killed while the download runs.
func TestGetFromShareProcesses(t *testing.T) {
	trackerAddr := shTracker(t)
	src := t.TempDir()
	_, m, sum := writeRandom(t, src, "movie.bin", 96<<20)
	holders := func(n int) {
		shSearchUntil(t, trackerAddr, "movie.bin", "holders", func(rs []wire.SearchResult) bool {
			c := 0
			for _, r := range rs {
				if r.ID == m.ID() {
					c += len(r.Peers)
				}
			}
			return c >= n
		})
	}
	var shares []*shProc
	share := func() {
		shares = append(shares, shStart(t, nil, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", "-no-cache", "-log-level", "warn", src))
	}

	share()
	holders(1)
	out := t.TempDir()
	r := runGetBin(t, "-tracker", trackerAddr, "-o", out, "movie.bin")
	if r.code != 0 || r.stdout != filepath.Join(out, "movie.bin")+"\n" || fileSum(t, filepath.Join(out, "movie.bin")) != sum {
		t.Fatalf("one seeder: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}

	for range 3 {
		share()
	}
	holders(4)
	out = t.TempDir()
	cmd := exec.Command(enxameBin, "get", "-tracker", trackerAddr, "-o", out, "movie.bin")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), m.ID()[:16]) {
			shares[0].cmd.Process.Kill() // planned with four holders: one dies now
			break
		}
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	cmd.Wait()
	want := filepath.Join(out, "movie.bin")
	if code := cmd.ProcessState.ExitCode(); code != 0 || stdout.String() != want+"\n" || fileSum(t, want) != sum {
		t.Fatalf("four seeders, one killed: exit %d, stdout %q, stderr %v", code, stdout.String(), lines)
	}
	if h := hiddenLeft(t, out); len(h) != 0 {
		t.Fatalf("left %v", h)
	}
}

// TestGetMaxDownload: -max-download reaches the engine: 3 MB at 1MB/s
// take about 3 s, never less than the limit allows (+10 %).
func TestGetMaxDownload(t *testing.T) {
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-timeout", "120s", "-heartbeat", "10s")
	const size, limit = 3_000_000, 1_000_000
	p, m, sum := writeRandom(t, t.TempDir(), "slow.bin", size)
	startSeeder(t, tr.addr, "slow.bin", p, m, 0)
	out := t.TempDir()
	start := time.Now()
	r := runGetBin(t, "-tracker", tr.addr, "-o", out, "-max-download", "1MB/s", "slow.bin")
	took := time.Since(start)
	if r.code != 0 || fileSum(t, filepath.Join(out, "slow.bin")) != sum {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if rate := size / took.Seconds(); rate > 1.1*limit {
		t.Fatalf("downloaded at %.0f B/s with -max-download 1MB/s", rate)
	}
}
