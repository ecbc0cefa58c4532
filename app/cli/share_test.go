package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
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

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// Helpers of the share and peer tests carry an "sh" prefix so they do not
// collide with the other subcommands' test helpers in this package.

func shWriteOld(t *testing.T, path string, data []byte) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
}

func shData(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// shTracker runs an in-process tracker on loopback until the test ends.
func shTracker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := tracker.NewServer(tracker.Config{HeartbeatInterval: time.Second, PeerTimeout: 3 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tracker: %v", err)
		}
	})
	return ln.Addr().String()
}

// shSearchUntil asks the tracker, re-asking on a short tick for at most
// e2eWait, until cond holds for the results of q.
func shSearchUntil(t *testing.T, trackerAddr, q, what string, cond func([]wire.SearchResult) bool) []wire.SearchResult {
	t.Helper()
	c := tracker.NewClient(trackerAddr)
	defer c.Close()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(e2eWait)
	for {
		resp, err := c.Search(t.Context(), q)
		if err == nil && cond(resp.Results) {
			return resp.Results
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not seen on the tracker within %s (last %+v, %v)", what, e2eWait, resp, err)
		}
	}
}

func shPeers(t *testing.T, trackerAddr string) int {
	t.Helper()
	c := tracker.NewClient(trackerAddr)
	defer c.Close()
	resp, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Peers)
}

// shFetch sends raw peer protocol lines and returns the status line and
// payload of each answer.
func shFetch(t *testing.T, addr string, lines ...string) (statuses []string, payloads [][]byte) {
	t.Helper()
	c, err := enxametest.DialTLS(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(e2eWait))
	if _, err := io.WriteString(c, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for range lines {
		st, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading answer: %v", err)
		}
		st = strings.TrimSuffix(st, "\n")
		var p []byte
		if n, ok := strings.CutPrefix(st, "OK "); ok {
			size, _ := strconv.Atoi(n)
			p = make([]byte, size)
			if _, err := io.ReadFull(br, p); err != nil {
				t.Fatal(err)
			}
			st = "OK"
		}
		statuses, payloads = append(statuses, st), append(payloads, p)
	}
	return statuses, payloads
}

// shProc is a running enxame subcommand.
type shProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *shBuffer
	done   chan struct{}
}

func shStart(t *testing.T, env []string, stdin io.Reader, args ...string) *shProc {
	t.Helper()
	cmd := exec.Command(enxameBin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &shProc{t: t, cmd: cmd, stderr: &shBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	cmd.Stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%v printed:\n%s", args, p.stderr)
		}
	})
	return p
}

// stop signals the process and returns its exit status.
func (p *shProc) stop(sig os.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(e2eWait):
		p.t.Fatalf("%v did not exit on %v; output:\n%s", p.cmd.Args, sig, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// shBuffer is a goroutine-safe bytes.Buffer.
type shBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *shBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *shBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestShareUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, ExitOK, "usage: enxame share"},
		{[]string{"-discovery-port", "-1", dir}, ExitUsage, "-discovery-port"},
		{[]string{"-tracker", "127.0.0.1:1"}, ExitUsage, "exactly one folder"},
		{[]string{"-tracker", "127.0.0.1:1", dir, dir}, ExitUsage, "exactly one folder"},
		{[]string{"-tracker", "127.0.0.1:1", "-log-level", "loud", dir}, ExitUsage, "-log-level"},
		{[]string{"-tracker", "127.0.0.1:1", "-rescan", "1ms", dir}, ExitUsage, "-rescan"},
		{[]string{"-nope"}, ExitUsage, "usage: enxame share"},
		{[]string{"-tracker", "127.0.0.1:1", "-max-upload", "lots", dir}, ExitUsage, "bad -max-upload"},
		{[]string{"-tracker", "127.0.0.1:1", "-max-download", "1MB/s", dir}, ExitUsage, "not defined: -max-download"},
		{[]string{"-host", "-tracker", "127.0.0.1:1", dir}, ExitUsage, "exclude each other"},
		{[]string{"-can-host", "-tracker", "127.0.0.1:1", dir}, ExitUsage, "needs -network"},
		{[]string{"-network", " padded", dir}, ExitUsage, "bad -network"},
		{[]string{"-host", "-network", "ok", "-log-level", "warn", "-host-listen", "127.0.0.1:99999", dir}, ExitFailure, "hosting the network"},
		{[]string{"-tracker", "127.0.0.1:1", filepath.Join(dir, "missing")}, ExitFailure, "opening shared folder"},
		{[]string{"-tracker", "127.0.0.1:1", "-listen", "127.0.0.1:99999", dir}, ExitFailure, "listening for peers"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), append([]string{"share"}, c.args...), Env{Stdout: &out, Stderr: &errb})
			if code != c.code || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), c.code, c.want)
			}
			if c.code == ExitFailure && strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("failure is not one line: %q", errb.String())
			}
		})
	}
}

// TestShareEndToEnd runs the real binary against an in-process tracker and
// fetches bytes over the raw peer protocol.
func TestShareEndToEnd(t *testing.T) {
	trackerAddr := shTracker(t)
	dir := t.TempDir()
	cacheHome := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cacheHome, "HOME=" + t.TempDir()}
	big := shData(1<<20 + 4321)
	shWriteOld(t, filepath.Join(dir, "videos", "clip.mp4"), big)
	shWriteOld(t, filepath.Join(dir, ".enxame-clip.mp4.part"), []byte("partial"))
	id := enxametest.ContentID(big)

	p := shStart(t, env, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", dir)
	res := shSearchUntil(t, trackerAddr, "clip", "shared file", func(r []wire.SearchResult) bool { return len(r) == 1 })
	if res[0].ID != id || res[0].Name != "videos/clip.mp4" || res[0].Size != int64(len(big)) || len(res[0].Peers) != 1 || !res[0].Peers[0].Complete {
		t.Fatalf("search result %+v", res[0])
	}
	if r := shSearchUntil(t, trackerAddr, "enxame", "partials", func([]wire.SearchResult) bool { return true }); len(r) != 0 {
		t.Errorf("partial download file announced: %+v", r)
	}
	addr := res[0].Peers[0].Addr
	st, pl := shFetch(t, addr,
		fmt.Sprintf("GET %s 0 %d", id, len(big)),
		fmt.Sprintf("GET %s 1000 77", id),
		"MANIFEST "+id,
		"GET ../../etc/passwd 0 1",
		fmt.Sprintf("GET %s %d 1", id, len(big)))
	if st[0] != "OK" || !bytes.Equal(pl[0], big) || st[1] != "OK" || !bytes.Equal(pl[1], big[1000:1077]) {
		t.Fatalf("GET answers %q", st[:2])
	}
	if st[2] != "OK" {
		t.Errorf("MANIFEST: %q", st[2])
	} else if _, err := wire.ParseManifest(pl[2], id); err != nil {
		t.Errorf("MANIFEST: %v", err)
	}
	if !strings.HasPrefix(st[3], "ERR bad_request ") || !strings.HasPrefix(st[4], "ERR range ") {
		t.Errorf("hostile requests answered %q", st[3:])
	}

	// Changes to the folder reach the tracker by themselves.
	added := []byte("new file while sharing")
	if err := os.WriteFile(filepath.Join(dir, "added.txt"), added, 0o644); err != nil {
		t.Fatal(err)
	}
	shSearchUntil(t, trackerAddr, "added", "added file", func(r []wire.SearchResult) bool { return len(r) == 1 && r[0].ID == enxametest.ContentID(added) })
	os.Rename(filepath.Join(dir, "videos", "clip.mp4"), filepath.Join(dir, "videos", "renamed.mp4"))
	shSearchUntil(t, trackerAddr, "mp4", "rename", func(r []wire.SearchResult) bool { return len(r) == 1 && r[0].Name == "videos/renamed.mp4" })

	if code := p.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d on SIGTERM; output:\n%s", code, p.stderr)
	}
	if n := shPeers(t, trackerAddr); n != 0 {
		t.Errorf("%d peers registered after the share left", n)
	}
	if !strings.Contains(p.stderr.String(), "msg=Hashing") {
		t.Errorf("first run did not hash:\n%s", p.stderr)
	}
	caches, _ := filepath.Glob(filepath.Join(cacheHome, "enxame", "share-*.cache"))
	if len(caches) != 1 {
		t.Fatalf("hash cache files %v", caches)
	}

	// A restart on the unchanged folder hashes nothing.
	p = shStart(t, env, nil, "share", "-tracker", trackerAddr, "-listen", "127.0.0.1:0", dir)
	shSearchUntil(t, trackerAddr, "", "restart", func(r []wire.SearchResult) bool { return len(r) == 2 })
	if code := p.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d on SIGINT; output:\n%s", code, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "msg=Hashing") {
		t.Errorf("restart hashed again:\n%s", p.stderr)
	}
}
