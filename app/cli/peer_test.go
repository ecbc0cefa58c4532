package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/wire"
)

func TestPeerUsage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, ExitOK, "usage: enxame peer"},
		{[]string{"-share", dir, "-discovery-port", "70000"}, ExitUsage, "-discovery-port"},
		{[]string{"-tracker", "127.0.0.1:1"}, ExitUsage, "-share is required"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", dir, "extra"}, ExitUsage, "unexpected argument"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", dir, "-max-upload", "1MB/m"}, ExitUsage, "bad -max-upload"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", dir, "-max-download", "x"}, ExitUsage, "bad -max-download"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", dir, "-max-active", "0"}, ExitUsage, "-max-active must be at least 1"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", dir, "-downloads", filepath.Join(dir, "nope")}, ExitFailure, "downloads folder"},
		{[]string{"-tracker", "127.0.0.1:1", "-share", filepath.Join(dir, "nope"), "-downloads", dir}, ExitFailure, "opening shared folder"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), append([]string{"peer"}, c.args...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
			if code != c.code || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), c.code, c.want)
			}
		})
	}
}

// TestPeerScripted drives the interactive peer in-process through a pipe,
// the way a script would.
func TestPeerScripted(t *testing.T) {
	trackerAddr := shTracker(t)
	dir := t.TempDir()
	song := shData(3<<20 + 5)
	shWriteOld(t, filepath.Join(dir, "Song One.ogg"), song)
	shWriteOld(t, filepath.Join(dir, "notes.txt"), []byte("notes"))

	stdin, feed := io.Pipe()
	var out, errb shBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(t.Context(), []string{"peer", "-tracker", trackerAddr, "-share", dir, "-listen", "127.0.0.1:0", "-no-cache", "-device", "test box"},
			Env{Stdin: stdin, Stdout: &out, Stderr: &errb})
	}()
	shSearchUntil(t, trackerAddr, "", "both files", func(r []wire.SearchResult) bool { return len(r) == 2 })
	io.WriteString(feed, "help\nstatus\nlist\nsearch song\nsearch nothing-like-this\n\ndownload Song One.ogg\ndownload\nfrobnicate\nexit\nstatus\n")
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
		}
	case <-time.After(e2eWait):
		t.Fatal("peer did not leave on exit")
	}
	feed.Close()
	got := out.String()
	for _, want := range []string{
		"search <text>", // help
		"tracker    " + trackerAddr + ": registered as 127.0.0.1:",
		"share      ", "2 files, 3.0 MiB",
		"(you)", "1 peer\n", "  test box  ", // list: the name, then the device id
		"  from test box [",
		enxametest.ContentID(song)[:12] + "  3.0 MiB  1      Song One.ogg",
		"1 result\n",
		`nothing found for "nothing-like-this"`,
		`downloading "Song One.ogg" in the background`,
		"error: usage: download <name or id>",
		`error: unknown command "frobnicate"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(got, "tracker    ") != 1 {
		t.Error("a command after exit ran")
	}
	if t.Failed() {
		t.Logf("output:\n%s\nstderr:\n%s", got, errb.String())
	}
	if n := shPeers(t, trackerAddr); n != 0 {
		t.Errorf("%d peers registered after exit", n)
	}
}

func TestPeerEndOfInput(t *testing.T) {
	trackerAddr := shTracker(t)
	var out, errb shBuffer
	ctx, cancel := context.WithTimeout(t.Context(), e2eWait)
	defer cancel()
	code := Main(ctx, []string{"peer", "-tracker", trackerAddr, "-share", t.TempDir(), "-listen", "127.0.0.1:0", "-no-cache"},
		Env{Stdin: strings.NewReader("status\n"), Stdout: &out, Stderr: &errb})
	if code != ExitOK || ctx.Err() != nil || !strings.Contains(out.String(), "registered as") {
		t.Fatalf("exit %d (ctx %v); out:\n%s\nstderr:\n%s", code, ctx.Err(), out.String(), errb.String())
	}
}

// TestPeerSignal checks the real binary leaves cleanly on SIGINT with its
// stdin still open, unregistering first.
func TestPeerSignal(t *testing.T) {
	trackerAddr := shTracker(t)
	dir := t.TempDir()
	shWriteOld(t, filepath.Join(dir, "x.bin"), shData(1000))
	stdin, feed, err := os.Pipe() // an *os.File, so exec does not copy it
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	defer stdin.Close()
	p := shStart(t, []string{"XDG_CACHE_HOME=" + t.TempDir()}, stdin, "peer", "-tracker", trackerAddr, "-share", dir, "-listen", "127.0.0.1:0")
	shSearchUntil(t, trackerAddr, "x.bin", "shared file", func(r []wire.SearchResult) bool { return len(r) == 1 })
	if code := p.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d on SIGINT; output:\n%s", code, p.stderr)
	}
	if n := shPeers(t, trackerAddr); n != 0 {
		t.Errorf("%d peers registered after SIGINT", n)
	}
}

// notifyBuffer is an output buffer a test can wait on for a line.
type notifyBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{wrote: make(chan struct{}, 1)} }

func (n *notifyBuffer) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case n.wrote <- struct{}{}:
	default:
	}
	return n.b.Write(p)
}

func (n *notifyBuffer) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b.String()
}

// waitFor waits, at most e2eWait, until the output contains want.
func (n *notifyBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	n.waitForWithin(t, want, e2eWait)
}

// waitForWithin waits, at most limit, until the output contains want.
func (n *notifyBuffer) waitForWithin(t *testing.T, want string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for !strings.Contains(n.String(), want) {
		select {
		case <-n.wrote:
		case <-deadline:
			t.Fatalf("output lacks %q after %s:\n%s", want, limit, n.String())
		}
	}
}

// TestPeerDownload has one interactive peer download, in the background,
// a file another interactive peer shares, while its commands keep working.
func TestPeerDownload(t *testing.T) {
	trackerAddr := shTracker(t)
	seedDir, getDir := t.TempDir(), t.TempDir()
	song := shData(3<<20 + 5)
	shWriteOld(t, filepath.Join(seedDir, "album", "Song One.ogg"), song)

	start := func(share, downloads string) (*io.PipeWriter, *notifyBuffer, chan int) {
		stdin, feed := io.Pipe()
		out, errb := newNotifyBuffer(), &shBuffer{}
		done := make(chan int, 1)
		go func() {
			done <- Main(t.Context(), []string{"peer", "-tracker", trackerAddr, "-share", share, "-downloads", downloads,
				"-listen", "127.0.0.1:0", "-no-cache"}, Env{Stdin: stdin, Stdout: out, Stderr: errb})
		}()
		return feed, out, done
	}
	seedIn, _, seedDone := start(seedDir, seedDir)
	shSearchUntil(t, trackerAddr, "Song One", "shared file", func(r []wire.SearchResult) bool { return len(r) == 1 })
	getIn, out, getDone := start(getDir, getDir)

	io.WriteString(getIn, "download Song One.ogg\n")
	out.waitFor(t, "downloaded ")
	io.WriteString(getIn, "status\nexit\n")
	io.WriteString(seedIn, "exit\n")
	for _, done := range []chan int{getDone, seedDone} {
		select {
		case code := <-done:
			if code != ExitOK {
				t.Errorf("peer exit %d", code)
			}
		case <-time.After(e2eWait):
			t.Fatal("peer did not leave on exit")
		}
	}
	got, err := os.ReadFile(filepath.Join(getDir, "Song One.ogg"))
	if err != nil || !bytes.Equal(got, song) {
		t.Fatalf("downloaded file: %d bytes, %v; want %d identical bytes", len(got), err, len(song))
	}
	if !strings.Contains(out.String(), "100.0%") {
		t.Errorf("status does not show the finished transfer:\n%s", out.String())
	}
	entries, _ := os.ReadDir(getDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".enxame-") {
			t.Errorf("partial state left after success: %s", e.Name())
		}
	}
}
