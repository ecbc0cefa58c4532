package secure

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeviceIDText(t *testing.T) {
	var d DeviceID
	for i := range d {
		d[i] = byte(i * 7)
	}
	s := d.String()
	if len(s) != DeviceIDLen || strings.Count(s, "-") != 12 {
		t.Fatalf("String() = %q: want %d characters in 13 groups", s, DeviceIDLen)
	}
	for _, g := range strings.Split(s, "-") {
		if len(g) > 4 {
			t.Fatalf("group %q of %q is longer than 4", g, s)
		}
	}
	if d.Short() != s[:9] {
		t.Errorf("Short() = %q, want %q", d.Short(), s[:9])
	}
	for _, in := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, "-", ""), strings.ReplaceAll(s, "-", " ")} {
		got, err := ParseDeviceID(in)
		if err != nil || got != d {
			t.Errorf("ParseDeviceID(%q) = %v, %v; want %v", in, got, err, d)
		}
	}
	js, err := json.Marshal(struct{ Device DeviceID }{d})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ Device DeviceID }
	if err := json.Unmarshal(js, &back); err != nil || back.Device != d {
		t.Fatalf("JSON round trip of %s: %v, %v", js, back.Device, err)
	}
}

func TestParseDeviceIDRejects(t *testing.T) {
	valid := DeviceID{1, 2, 3}.String()
	raw := strings.ReplaceAll(valid, "-", "")
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"short", raw[:51]},
		{"long", raw + "A"},
		{"not base32", "1" + raw[1:]},
		{"padding", raw + "===="},
		{"non-zero padding bits", raw[:51] + "B"},
		{"huge", strings.Repeat("A", 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseDeviceID(tc.in); !errors.Is(err, ErrBadDeviceID) {
				t.Errorf("ParseDeviceID(%q) error = %v, want ErrBadDeviceID", tc.in, err)
			}
		})
	}
}

// TestDeviceIDMatchesOpenSSL checks the documented derivation with tools
// that share no code with ours: the SubjectPublicKeyInfo as openssl
// extracts it, hashed, in Python's base32.
func TestDeviceIDMatchesOpenSSL(t *testing.T) {
	tools(t, "openssl", "python3")
	id, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Certificate().Leaf.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := exec.Command("openssl", "x509", "-in", certPath, "-noout", "-pubkey").Output()
	if err != nil {
		t.Fatalf("openssl x509: %v", err)
	}
	cmd := exec.Command("openssl", "pkey", "-pubin", "-outform", "DER")
	cmd.Stdin = bytes.NewReader(pub)
	spki, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl pkey: %v", err)
	}
	sum := sha256.Sum256(spki)
	py := exec.Command("python3", "-c", `import base64,sys; s=base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="); print("-".join(s[i:i+4] for i in range(0,len(s),4)))`, string(hexOf(sum[:])))
	out, err := py.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), id.DeviceID().String(); got != want {
		t.Fatalf("openssl+python device id %s, ours %s", got, want)
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// tools skips the test unless every named program is installed.
func tools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s is not installed: %v", n, err)
		}
	}
}
