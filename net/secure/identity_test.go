package secure

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestIdentityPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "enxame")
	if _, err := LoadIdentity(dir); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("LoadIdentity of an empty folder: %v, want ErrNoIdentity", err)
	}
	first, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.DeviceID() != second.DeviceID() {
		t.Fatalf("device id changed between runs: %s then %s", first.DeviceID(), second.DeviceID())
	}
	if !bytes.Equal(first.Certificate().Certificate[0], second.Certificate().Certificate[0]) {
		t.Fatal("certificate changed between runs")
	}
	if runtime.GOOS == "windows" {
		return // no Unix permissions to check
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, IdentityFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", path, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only %s (no temporary file left)", len(entries), IdentityFile)
	}
}

func TestIdentityCertificate(t *testing.T) {
	id, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	leaf := id.Certificate().Leaf
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("public key is %T, want ECDSA P-256", leaf.PublicKey)
	}
	if leaf.NotAfter.Year() != 9999 {
		t.Errorf("certificate expires %v, want 9999-12-31", leaf.NotAfter)
	}
	if DeviceIDOf(leaf) != id.DeviceID() {
		t.Error("DeviceIDOf(leaf) differs from DeviceID()")
	}
	other, _ := GenerateIdentity()
	if other.DeviceID() == id.DeviceID() {
		t.Error("two identities share a device id")
	}
}

// TestIdentityRefusesBadFiles: a damaged or foreign file is an error that
// names the file, and LoadOrCreateIdentity leaves it alone.
func TestIdentityRefusesBadFiles(t *testing.T) {
	good, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	goodPEM, _ := good.encode()
	other, _ := GenerateIdentity()
	otherPEM, _ := other.encode()
	certBlock, _ := pem.Decode(goodPEM)
	_, rest := pem.Decode(goodPEM)
	otherKey := otherPEM[bytes.Index(otherPEM, []byte("-----BEGIN PRIVATE KEY")):]
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})
	truncated := goodPEM[:len(goodPEM)/2]

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("hello, world\n")},
		{"truncated", truncated},
		{"certificate only", pem.EncodeToMemory(certBlock)},
		{"key only", rest},
		{"key of another identity", append(pem.EncodeToMemory(certBlock), otherKey...)},
		{"Ed25519 key", append(pem.EncodeToMemory(certBlock), edPEM...)},
		{"two certificates", append(pem.EncodeToMemory(certBlock), goodPEM...)},
		{"unknown block", append(append([]byte{}, goodPEM...), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}})...)},
		{"text after", append(append([]byte{}, goodPEM...), "trailing words\n"...)},
		{"huge", bytes.Repeat([]byte("A"), maxIdentityBytes+10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, IdentityFile)
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			for name, load := range map[string]func(string) (*Identity, error){"LoadIdentity": LoadIdentity, "LoadOrCreateIdentity": LoadOrCreateIdentity} {
				id, err := load(dir)
				if !errors.Is(err, ErrBadIdentity) || id != nil {
					t.Fatalf("%s: %v, %v; want ErrBadIdentity", name, id, err)
				}
				if !bytes.Contains([]byte(err.Error()), []byte(path)) {
					t.Errorf("%s: error %q does not name %s", name, err, path)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, tc.data) {
				t.Fatal("the bad file was changed")
			}
		})
	}
	t.Run("good file loads", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, IdentityFile), goodPEM, 0o600)
		id, err := LoadIdentity(dir)
		if err != nil || id.DeviceID() != good.DeviceID() {
			t.Fatalf("LoadIdentity = %v, %v", id, err)
		}
	})
}

// TestIdentityConcurrentCreate: processes starting together on first run
// end up with one identity.
func TestIdentityConcurrentCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "enxame")
	const n = 8
	ids := make([]DeviceID, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, err := LoadOrCreateIdentity(dir)
			errs[i] = err
			if err == nil {
				ids[i] = id.DeviceID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("creator %d got %s, creator 0 got %s", i, ids[i], ids[0])
		}
	}
	final, err := LoadIdentity(dir)
	if err != nil || final.DeviceID() != ids[0] {
		t.Fatalf("identity on disk %v, %v; want %s", final, err, ids[0])
	}
}

func TestReplaceIdentity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, IdentityFile)
	os.WriteFile(path, []byte("damaged"), 0o600)
	id, err := ReplaceIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := os.ReadFile(path + ".old"); string(old) != "damaged" {
		t.Errorf("old file kept as %q, want the damaged one", old)
	}
	again, err := LoadIdentity(dir)
	if err != nil || again.DeviceID() != id.DeviceID() {
		t.Fatalf("LoadIdentity after replace: %v, %v", again, err)
	}
}
