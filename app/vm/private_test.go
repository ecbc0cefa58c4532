package vm

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// hostedAddr waits until v hosts and returns its tracker's address.
func hostedAddr(t *testing.T, v *App) string {
	t.Helper()
	var addr string
	enxametest.WaitFor(t, 10*time.Second, "the app to host and register", func() bool {
		v.Poll(t.Context(), time.Now())
		ok, _ := v.Connected.Get()
		addr, _ = v.Tracker.Get()
		return ok && addr != ""
	})
	return addr
}

// TestPrivateNetwork: a teacher hosts a private network; a student with
// no passphrase, or a wrong one, is refused at once in words the screens
// can tell apart, nothing started; with the right one she joins and finds
// the teacher's file. Then she moves to an open network (another key: the
// engine restarts) and back.
func TestPrivateNetwork(t *testing.T) {
	share := t.TempDir()
	if err := os.WriteFile(filepath.Join(share, "aula-01.pdf"), []byte("slides"), 0o644); err != nil {
		t.Fatal(err)
	}
	const pass = "cobalt meadow fiscal otter plume"
	teacher := newTestApp(t, Settings{Host: true, HostListen: "127.0.0.1:0", ShareDir: share, Passphrase: "  " + pass + " "})
	if !teacher.Private() || teacher.Settings().Passphrase != pass {
		t.Fatalf("the host's passphrase is %q", teacher.Settings().Passphrase)
	}
	addr := hostedAddr(t, teacher)

	for _, tc := range []struct {
		pass string
		want error
	}{
		{"", ErrNeedsPassphrase},
		{"cobalt meadow fiscal otter plum", ErrWrongPassphrase},
	} {
		v := New(testApp(t), nil)
		v.NoPoller = true
		v.Discovery = live.LoopbackDiscovery(t)
		err := v.Start(t.Context(), Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0", Passphrase: tc.pass})
		v.Close()
		if !errors.Is(err, tc.want) {
			t.Fatalf("joining with %q: %v, want %v", tc.pass, err, tc.want)
		}
	}

	student := newTestApp(t, Settings{Tracker: addr, Passphrase: pass})
	enxametest.WaitFor(t, 10*time.Second, "the student finds the teacher's file", func() bool {
		if err := student.Search.Run(t.Context(), "aula"); err != nil {
			return false
		}
		return student.Search.Results.Length() == 1
	})

	// An open network elsewhere: joining it with the private passphrase
	// is refused (it is not private); with none, the engine restarts with
	// no key and the student is there.
	open := live.StartTracker(t)
	if err := student.JoinNetwork(open, pass); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("joining an open network with a passphrase: %v, want ErrNotPrivate", err)
	}
	if err := student.JoinNetwork(open, ""); err != nil {
		t.Fatalf("joining the open network: %v", err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the student registers with the open tracker", func() bool {
		student.Poll(t.Context(), time.Now())
		ok, _ := student.Connected.Get()
		tr, _ := student.Tracker.Get()
		return ok && tr == open
	})
	if student.Private() {
		t.Error("still private on an open network")
	}
	// And back, with the passphrase.
	if err := student.JoinNetwork(addr, pass); err != nil {
		t.Fatalf("back to the private network: %v", err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the student is back", func() bool {
		return student.Search.Run(t.Context(), "aula") == nil && student.Search.Results.Length() == 1
	})
}

// TestPassphraseFile: the passphrase is kept for the next start in a file
// only this user can read, and forgotten when an open network is chosen.
func TestPassphraseFile(t *testing.T) {
	if err := savePassphrase("amber quiz lantern harbor violet"); err != nil {
		t.Fatal(err)
	}
	path, err := passphrasePath()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file mode %v, want 0600", fi.Mode().Perm())
	}
	if got := loadPassphrase(); got != "amber quiz lantern harbor violet" {
		t.Errorf("loaded %q", got)
	}
	s, _ := LoadSettings(testApp(t).Preferences())
	if s.Passphrase != "amber quiz lantern harbor violet" {
		t.Errorf("LoadSettings gives passphrase %q", s.Passphrase)
	}
	if err := savePassphrase(""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the passphrase file stays for an open network: %v", err)
	}
	if got := loadPassphrase(); got != "" {
		t.Errorf("loaded %q after forgetting", got)
	}
	// A damaged file (too long) reads as none rather than a wrong key.
	if err := os.WriteFile(path, make([]byte, MaxPassphraseBytes+10), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := loadPassphrase(); got != "" {
		t.Errorf("an oversized file read as %q", got)
	}
	savePassphrase("")
	if p := ProposePassphrase(); len(p) < 20 || p == ProposePassphrase() {
		t.Errorf("proposed passphrase %q", p)
	}
}

// TestHostComesBackWhileTaken (issue 15): a computer that hosted "Sala 12"
// restarts while its tracker's port is taken (another Enxame on it took
// over): it follows the network by name instead of failing back to the
// first-run screen.
func TestHostComesBackWhileTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	v := newTestApp(t, Settings{Host: true, HostListen: ln.Addr().String(), Network: "Sala 12", NetworkID: "0123456789abcdef"})
	s := v.Settings()
	if s.Host || s.Network != "Sala 12" {
		t.Fatalf("after the port was taken: host %v, network %q; want following Sala 12", s.Host, s.Network)
	}
	if !IsAddrInUse(syscall.Errno(10048)) || IsAddrInUse(syscall.ECONNREFUSED) {
		t.Error("addrInUse does not tell Windows' port in use from a refusal")
	}
	// Without a network to follow, a taken port still fails.
	w := New(testApp(t), nil)
	w.NoPoller = true
	w.Discovery = live.LoopbackDiscovery(t)
	err = w.Start(t.Context(), Settings{Host: true, HostListen: ln.Addr().String(), Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"})
	w.Close()
	if !IsAddrInUse(err) {
		t.Fatalf("hosting a new network on a taken port: %v", err)
	}
}
