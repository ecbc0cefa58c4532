package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// enxameBin is the real binary, built once by TestMain (-tags nogui) for
// end-to-end tests of the subcommands.
var enxameBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "enxame-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	enxameBin = filepath.Join(dir, "enxame")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(gobin, "build", "-tags", "nogui", "-o", enxameBin, "github.com/enxame/enxame")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building enxame: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// After the build, which needs the real Go cache: from here on the
	// subcommands run write their hash caches into a temporary home.
	isolated := enxametest.IsolateUserDirs()
	// The tests read English messages: this process speaks English, and
	// the subcommands run get C.UTF-8, the locale Fyne's lang package
	// used to complain about on every start (TestLocaleMessages).
	os.Setenv("LC_ALL", "C.UTF-8")
	os.Unsetenv("LANGUAGE")
	if _, err := i18n.Apply(i18n.English); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { isolated(); os.RemoveAll(dir) }))
}

// e2eWait bounds a readiness wait of the end-to-end tests (a process
// registering, a file reaching the tracker). It only has to be generous:
// under a full `make test` on 2 cores a registration once took over 15 s.
const e2eWait = 30 * time.Second

func TestTrackerUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, ExitOK, "usage: enxame tracker"},
		{[]string{"-nope"}, ExitUsage, "usage: enxame tracker"},
		{[]string{"extra"}, ExitUsage, "unexpected argument"},
		{[]string{"-heartbeat", "5s", "-timeout", "5s"}, ExitUsage, "must be longer"},
		{[]string{"-heartbeat", "soon"}, ExitUsage, "invalid value"},
		{[]string{"-log-level", "loud"}, ExitUsage, "-log-level"},
		{[]string{"-max-conns", "0"}, ExitUsage, "positive"},
		{[]string{"-max-files", "999999"}, ExitUsage, "-max-files"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), append([]string{"tracker"}, c.args...), Env{Stdout: &out, Stderr: &errb})
			if code != c.code || !strings.Contains(errb.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), c.code, c.want)
			}
		})
	}
}

func TestTrackerListenFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errb bytes.Buffer
	code := Main(t.Context(), []string{"tracker", "-listen", ln.Addr().String()}, Env{Stdout: io.Discard, Stderr: &errb})
	if code != ExitFailure || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "address already in use") {
		t.Errorf("exit %d, stderr %q; want 1 and one line saying why", code, errb.String())
	}
}

// trackerProc is a running `enxame tracker` process.
type trackerProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	addr  string
	lines chan string // stderr lines
	done  chan error
}

func startTrackerProc(t *testing.T, args ...string) *trackerProc {
	t.Helper()
	cmd := exec.Command(enxameBin, append([]string{"tracker"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &trackerProc{t: t, cmd: cmd, lines: make(chan string, 1000), done: make(chan error, 1)}
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // the test is not reading logs this far
			}
		}
	}()
	go func() {
		<-scanDone
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	line := p.waitLog("Tracker listening")
	for _, f := range strings.Fields(line) {
		if a, ok := strings.CutPrefix(f, "addr="); ok {
			p.addr = a
		}
	}
	if p.addr == "" {
		t.Fatalf("no addr in %q", line)
	}
	return p
}

// waitLog returns the next stderr line containing msg.
func (p *trackerProc) waitLog(msg string) string {
	p.t.Helper()
	deadline := time.After(e2eWait)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, msg) {
				return l
			}
		case <-deadline:
			p.t.Fatalf("tracker never logged %q", msg)
		}
	}
}

// stop signals the process and returns its exit status.
func (p *trackerProc) stop(sig os.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(e2eWait):
		p.t.Fatalf("tracker did not exit on %v", sig)
	}
	return p.cmd.ProcessState.ExitCode()
}

type lineConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// dialLines connects as an outside client: TLS 1.3, ALPN enxame/2, a
// certificate of its own (net/enxametest).
func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	c, err := enxametest.DialTLS(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(e2eWait))
	return &lineConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (lc *lineConn) ask(line string) map[string]any {
	lc.t.Helper()
	if _, err := io.WriteString(lc.c, line+"\n"); err != nil {
		lc.t.Fatal(err)
	}
	return lc.read()
}

func (lc *lineConn) read() map[string]any {
	lc.t.Helper()
	b, err := lc.br.ReadBytes('\n')
	if err != nil {
		lc.t.Fatalf("reading answer: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		lc.t.Fatalf("answer %q: %v", b, err)
	}
	return m
}

func answerCode(m map[string]any) string {
	if m["ok"] == true {
		return "ok"
	}
	s, _ := m["code"].(string)
	return s
}

// TestTrackerEndToEnd speaks the contract to the real binary over TCP.
func TestTrackerEndToEnd(t *testing.T) {
	p := startTrackerProc(t, "-listen", "127.0.0.1:0", "-heartbeat", "200ms", "-timeout", "1s")
	lc := dialLines(t, p.addr)
	id := strings.Repeat("ab", 32)
	reg := lc.ask(`{"op":"register","port":7100,"files":[{"name":"Photos/Cat.JPG","size":12,"id":"` + id + `"}]}`)
	if answerCode(reg) != "ok" || reg["addr"] != "127.0.0.1:7100" || reg["heartbeat_s"] != 0.2 || reg["timeout_s"] != 1.0 {
		t.Fatalf("register: %v", reg)
	}
	if l := p.waitLog("Peer joined"); !strings.Contains(l, "peer=127.0.0.1:7100") || !strings.Contains(l, "files=1") {
		t.Errorf("join log: %q", l)
	}
	tok := reg["token"].(string)
	if got := answerCode(lc.ask(`{"op":"heartbeat","token":"` + tok + `"}`)); got != "ok" {
		t.Errorf("heartbeat: %s", got)
	}
	list := lc.ask(`{"op":"list"}`)
	if peers, _ := list["peers"].([]any); len(peers) != 1 {
		t.Errorf("list: %v", list)
	}
	search := lc.ask(`{"op":"search","q":"cat.jpg"}`)
	if res, _ := search["results"].([]any); len(res) != 1 || res[0].(map[string]any)["id"] != id {
		t.Errorf("search: %v", search)
	}
	for line, want := range map[string]string{
		`{"op":`:                                "bad_request",
		`{"op":"fly"}`:                          "unknown_op",
		`{"op":"unregister","token":"no"}`:      "unknown_peer",
		`{"op":"register","port":0,"files":[]}`: "bad_request",
	} {
		if got := answerCode(lc.ask(line)); got != want {
			t.Errorf("%s: %s, want %s", line, got, want)
		}
	}
	// An over-long line: too_large, then the connection is closed.
	long := dialLines(t, p.addr)
	go func() {
		chunk := []byte(strings.Repeat("x", 1<<20))
		for range 5 {
			if _, err := long.c.Write(chunk); err != nil {
				return
			}
		}
	}()
	if got := answerCode(long.read()); got != "too_large" {
		t.Errorf("over-long line: %s", got)
	}
	// Silence: the peer expires and its token is then unknown.
	p.waitLog("Peer expired")
	if got := answerCode(lc.ask(`{"op":"heartbeat","token":"` + tok + `"}`)); got != "unknown_peer" {
		t.Errorf("heartbeat after expiry: %s", got)
	}
	if code := p.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("exit status on SIGTERM: %d", code)
	}
}

// TestTrackerKilledAndRestarted kills the tracker process while a peer's
// session runs and starts a new one on the same address.
func TestTrackerKilledAndRestarted(t *testing.T) {
	p := startTrackerProc(t, "-listen", "127.0.0.1:0", "-heartbeat", "300ms", "-timeout", "2s")
	s := tracker.NewSession(tracker.SessionConfig{Tracker: p.addr, Port: 7200},
		[]wire.FileEntry{{Name: "a.txt", Size: 1, ID: strings.Repeat("cd", 32), Complete: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(e2eWait):
			t.Error("session did not stop")
		}
	}()
	p.waitLog("Peer joined")
	p.cmd.Process.Kill()
	<-p.done
	restarted := time.Now()
	q := startTrackerProc(t, "-listen", p.addr, "-heartbeat", "300ms", "-timeout", "2s")
	if l := q.waitLog("Peer joined"); !strings.Contains(l, "peer=127.0.0.1:7200") {
		t.Errorf("restarted tracker: %q", l)
	}
	// The session knows its new token once it has heard the answer.
	deadline := time.After(e2eWait)
	for st := s.Status(); !st.Registered || !st.LastContact.After(restarted); st = s.Status() {
		select {
		case <-s.Changed():
		case <-deadline:
			t.Fatalf("session never registered again: %+v", st)
		}
	}
	list := dialLines(t, q.addr).ask(`{"op":"list"}`)
	if peers, _ := list["peers"].([]any); len(peers) != 1 {
		t.Errorf("list after restart: %v", list)
	}
	cancel()
	<-done
	done <- nil
	q.waitLog("Peer left")
	if code := q.stop(os.Interrupt); code != 0 {
		t.Errorf("exit status on SIGINT: %d", code)
	}
}
