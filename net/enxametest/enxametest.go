// Package enxametest holds what the tests of several packages share and
// that depends on no other Enxame package, so that any package's own tests
// can use it: an oracle computing content ids straight from the contract's
// text, and bounded waits. Real engine pieces on loopback for tests are in
// its subpackage live. Tests only.
package enxametest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ContentID computes a content id straight from the text of PROTOCOL.md
// §1, sharing no code with net/wire, so that tests can check the real
// implementation against it.
func ContentID(data []byte) string {
	size := int64(len(data))
	c := int64(256 << 10)
	for c < 16<<20 && (size+c-1)/c > 2048 {
		c *= 2
	}
	h := sha256.New()
	h.Write([]byte("enxame/1"))
	binary.Write(h, binary.BigEndian, uint64(size))
	binary.Write(h, binary.BigEndian, uint32(c))
	for off := int64(0); off < size; off += c {
		d := sha256.Sum256(data[off:min(off+c, size)])
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WaitFor polls cond every few milliseconds until it holds or d passes.
// Readiness of another process's registration has no channel to wait on;
// the wait is bounded and fails loudly.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// IsolateUserDirs points the user's home, cache and config folders at a
// new temporary folder for the rest of the process, so that tests never
// write into the real ones (the hash caches, the device identity,
// preferences): HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME for Unix, and
// USERPROFILE, LOCALAPPDATA and APPDATA, which os.UserHomeDir,
// os.UserCacheDir and os.UserConfigDir read on Windows (Fyne keeps its
// preferences under USERPROFILE there). Call it first in TestMain; the
// function it returns removes the folder.
func IsolateUserDirs() (cleanup func()) {
	dir, err := os.MkdirTemp("", "enxame-test-home-")
	if err != nil {
		panic(err)
	}
	for _, v := range userDirVars {
		p := filepath.Join(dir, v.sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			panic(err)
		}
		os.Setenv(v.name, p)
	}
	return func() { os.RemoveAll(dir) }
}

// userDirVars are the variables IsolateUserDirs sets, each to its folder
// under the temporary home.
var userDirVars = [...]struct{ name, sub string }{
	{"HOME", ""},
	{"XDG_CACHE_HOME", ".cache"},
	{"XDG_CONFIG_HOME", ".config"},
	{"USERPROFILE", ""},
	{"LOCALAPPDATA", filepath.Join("AppData", "Local")},
	{"APPDATA", filepath.Join("AppData", "Roaming")},
}
