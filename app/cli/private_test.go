package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// runBin runs the real binary with extra environment and returns its
// result and how long it took.
func runBin(t *testing.T, env []string, args ...string) (getResult, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, enxameBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("enxame %v did not finish; stderr:\n%s", args, errb.String())
	}
	return getResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}, time.Since(start)
}

// searchWith asks the tracker at addr with cred until cond holds.
func searchWith(t *testing.T, addr string, cred secure.Credentials, what string, cond func([]wire.SearchResult) bool) []wire.SearchResult {
	t.Helper()
	c := tracker.NewClientWith(addr, cred)
	defer c.Close()
	var res []wire.SearchResult
	enxametest.WaitFor(t, e2eWait, what, func() bool {
		r, err := c.Search(t.Context(), "")
		if err != nil {
			return false
		}
		res = r.Results
		return cond(res)
	})
	return res
}

// onlyForbidden connects to addr as an outsider (TLS or not), sends req
// and checks that all it gets back is one forbidden line, then EOF.
func onlyForbidden(t *testing.T, addr string, useTLS bool, req, prefix string) {
	t.Helper()
	var c net.Conn
	var err error
	if useTLS {
		c, err = enxametest.DialTLS(t.Context(), addr)
	} else {
		c, err = net.DialTimeout("tcp", addr, e2eWait)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(e2eWait))
	io.WriteString(c, req)
	got, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("%s (tls %v): reading: %v", addr, useTLS, err)
	}
	if strings.Count(string(got), "\n") != 1 || !strings.HasSuffix(string(got), "\n") || !strings.HasPrefix(string(got), prefix) {
		t.Fatalf("%s (tls %v) answered %q to %q, want exactly one line starting %q, then EOF", addr, useTLS, got, req, prefix)
	}
}

// TestPrivateNetworkCLI: the real binary's tracker and share with a
// passphrase (from `enxame passphrase`) make a private network. A member's
// get downloads; an outsider, with or without TLS, gets one forbidden line
// from the tracker and from the peer; a get with a wrong passphrase, or
// none, exits 1 within 10 s with a reason that says so, having written
// nothing; a share with a wrong one too; a passphrase on an open network
// is refused as well.
func TestPrivateNetworkCLI(t *testing.T) {
	r, _ := runBin(t, nil, "passphrase")
	pass := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(strings.Fields(pass)) != secure.ProposalWords || r.stderr != "" {
		t.Fatalf("enxame passphrase: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte(pass+"\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := secure.DeriveNetworkKey(pass)
	if err != nil {
		t.Fatal(err)
	}
	member := secure.Credentials{Key: key}

	tr := startTrackerProc(t, "-listen", "127.0.0.1:0", "-passphrase-file", passFile)
	dir := t.TempDir()
	data := shData(700 << 10)
	shWriteOld(t, filepath.Join(dir, "plans.bin"), data)
	shStart(t, []string{"XDG_CACHE_HOME=" + t.TempDir(), "ENXAME_PASSPHRASE=" + pass}, nil,
		"share", "-tracker", tr.addr, "-listen", "127.0.0.1:0", "-device", "seed box", dir)
	res := searchWith(t, tr.addr, member, "the share to register", func(r []wire.SearchResult) bool { return len(r) == 1 })
	holder := res[0].Peers[0]
	if holder.Name != "seed box" || len(holder.Device) != secure.DeviceIDLen {
		t.Errorf("the holder is listed as %+v, want the name \"seed box\" and a device id", holder)
	}

	t.Run("member", func(t *testing.T) {
		out := t.TempDir()
		r, _ := runBin(t, nil, "get", "-tracker", tr.addr, "-o", out, "-passphrase-file", passFile, "plans.bin")
		if r.code != 0 || !bytes.Equal(mustRead(t, filepath.Join(out, "plans.bin")), data) {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("outsiders", func(t *testing.T) {
		for _, useTLS := range []bool{true, false} {
			onlyForbidden(t, tr.addr, useTLS, `{"op":"search","q":""}`+"\n", `{"ok":false,"code":"forbidden","error":`)
			onlyForbidden(t, holder.Addr, useTLS, "GET "+res[0].ID+" 0 100\n", "ERR forbidden ")
		}
	})
	for _, c := range []struct {
		name, want string
		env        []string
		args       []string
	}{
		{"wrong passphrase", "does not know this network's passphrase", []string{"ENXAME_PASSPHRASE=not the right words at all"}, nil},
		{"no passphrase", "this network is private: its passphrase is needed", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			r, took := runBin(t, c.env, append([]string{"get", "-tracker", tr.addr, "-o", out, "plans.bin"}, c.args...)...)
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) || took > 10*time.Second {
				t.Fatalf("get: exit %d after %v, stdout %q, stderr %q; want exit 1 within 10s saying %q", r.code, took, r.stdout, r.stderr, c.want)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Fatalf("get wrote %v", ents)
			}
			r, took = runBin(t, append([]string{"XDG_CACHE_HOME=" + t.TempDir()}, c.env...), "share", "-tracker", tr.addr, "-listen", "127.0.0.1:0", dir)
			if r.code != 1 || !strings.Contains(r.stderr, c.want) || took > 10*time.Second {
				t.Fatalf("share: exit %d after %v, stderr %q; want exit 1 within 10s saying %q", r.code, took, r.stderr, c.want)
			}
		})
	}
	t.Run("passphrase on an open network", func(t *testing.T) {
		open := startTrackerProc(t, "-listen", "127.0.0.1:0")
		out := t.TempDir()
		r, took := runBin(t, nil, "get", "-tracker", open.addr, "-o", out, "-passphrase-file", passFile, "plans.bin")
		if r.code != 1 || !strings.Contains(r.stderr, "not private") || took > 10*time.Second {
			t.Fatalf("exit %d after %v, stderr %q", r.code, took, r.stderr)
		}
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Fatalf("get wrote %v", ents)
		}
	})
	t.Run("passphrase file without one", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty")
		os.WriteFile(empty, []byte("\n"), 0o600)
		r, _ := runBin(t, nil, "get", "-tracker", tr.addr, "-passphrase-file", empty, "plans.bin")
		if r.code != 1 || !strings.Contains(r.stderr, "holds no passphrase") {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOutsiderPython: on an open network, a client written with Python's
// ssl module and a certificate from `openssl req -x509` speaks the
// version 1 framing to the real binary's tracker (register, list, search)
// and to a real share peer (GET a chunk, compared byte for byte). The
// tracker lists the outsider's name with its certificate's device id.
func TestOutsiderPython(t *testing.T) {
	for _, tool := range []string{"python3", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (CI installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", keyFile, "-out", cert, "-days", "2", "-subj", "/CN=python outsider").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	tr := startTrackerProc(t, "-listen", "127.0.0.1:0")
	share := t.TempDir()
	data := shData(300 << 10)
	shWriteOld(t, filepath.Join(share, "song.ogg"), data)
	shStart(t, []string{"XDG_CACHE_HOME=" + t.TempDir()}, nil, "share", "-tracker", tr.addr, "-listen", "127.0.0.1:0", "-device", "real share", share)
	res := searchWith(t, tr.addr, secure.Credentials{}, "the share to register", func(r []wire.SearchResult) bool { return len(r) == 1 })

	th, tp, _ := net.SplitHostPort(tr.addr)
	ph, pp, _ := net.SplitHostPort(res[0].Peers[0].Addr)
	got := filepath.Join(dir, "got")
	const size = 256 << 10 // the first chunk
	cmd := exec.CommandContext(t.Context(), "python3", filepath.Join("testdata", "outsider.py"),
		cert, keyFile, th, tp, ph, pp, res[0].ID, "262144", got)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	answers := map[string]json.RawMessage{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if err := json.Unmarshal([]byte(line), &answers); err != nil {
			t.Fatalf("python printed %q: %v", line, err)
		}
	}
	var reg wire.RegisterResponse
	var list wire.ListResponse
	var search wire.SearchResponse
	json.Unmarshal(answers["register"], &reg)
	json.Unmarshal(answers["list"], &list)
	json.Unmarshal(answers["search"], &search)
	if !reg.OK || reg.Addr != "127.0.0.1:9" || reg.Token == "" {
		t.Errorf("register: %s", answers["register"])
	}
	names := map[string]bool{}
	for _, p := range list.Peers {
		names[p.Name] = len(p.Device) == secure.DeviceIDLen
	}
	if !list.OK || !names["python outsider"] || !names["real share"] {
		t.Errorf("list: %s; want both peers with their names and device ids", answers["list"])
	}
	if !search.OK || len(search.Results) != 1 || search.Results[0].ID != res[0].ID {
		t.Errorf("search: %s", answers["search"])
	}
	if b := mustRead(t, got); !bytes.Equal(b, data[:size]) {
		t.Errorf("GET of the first chunk: %d bytes, not the file's", len(b))
	}
}

// TestDeviceFlag: -device must be a valid device name (bad usage, exit 2).
func TestDeviceFlag(t *testing.T) {
	for _, args := range [][]string{
		{"get", "-tracker", "127.0.0.1:1", "-device", "", "x"},
		{"get", "-tracker", "127.0.0.1:1", "-device", "esc\x1b[2J", "x"},
		{"share", "-tracker", "127.0.0.1:1", "-device", strings.Repeat("n", 65), t.TempDir()},
		{"peer", "-tracker", "127.0.0.1:1", "-device", "bidi\u202eevil", "-share", t.TempDir()},
	} {
		var errb bytes.Buffer
		code := Main(t.Context(), args, Env{Stdout: io.Discard, Stderr: &errb})
		if code != ExitUsage || !strings.Contains(errb.String(), "bad -device") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
