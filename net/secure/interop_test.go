package secure

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonClient: a client written with Python's ssl module and a
// certificate from `openssl req -x509` (no Enxame code) speaks a line
// through TLS 1.3 to an open network's server, and the server knows its
// device id; on a private network it gets exactly one forbidden line;
// with TLS 1.2 it gets nothing.
func TestPythonClient(t *testing.T) {
	tools(t, "python3", "openssl")
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=outsider").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	certPEM, _ := os.ReadFile(certPath)
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	python := func(addr, maxTLS, line string) string {
		host, port, _ := net.SplitHostPort(addr)
		out, err := exec.CommandContext(t.Context(), "python3", filepath.Join("testdata", "tlsclient.py"),
			host, port, certPath, keyPath, maxTLS, line).CombinedOutput()
		if err != nil {
			t.Fatalf("python3: %v\n%s", err, out)
		}
		return string(out)
	}

	t.Run("open network", func(t *testing.T) {
		srv := startServer(t, nil, trackerRefusal)
		got := python(srv.addr, "1.3", `{"op":"list"}`)
		if want := "VERSION TLSv1.3\nALPN enxame/2\nOK {\"op\":\"list\"}\n"; got != want {
			t.Fatalf("python printed %q, want %q", got, want)
		}
		if r := srv.result(t); r.err != nil || r.dev != DeviceIDOf(cert) {
			t.Fatalf("server saw %+v, want the device id of the openssl certificate, %v", r, DeviceIDOf(cert))
		}
	})
	t.Run("private network", func(t *testing.T) {
		srv := startServer(t, testKey(t, "ocean blurb tiger rank fiscal"), trackerRefusal)
		got := python(srv.addr, "1.3", `{"op":"search","q":""}`)
		want := "VERSION TLSv1.3\nALPN enxame/2\n" + `{"ok":false,"code":"forbidden","error":"` + refuseNoProof + `"}` + "\n"
		if got != want {
			t.Fatalf("python printed %q, want %q", got, want)
		}
		srv.result(t)
	})
	t.Run("TLS 1.2", func(t *testing.T) {
		srv := startServer(t, nil, trackerRefusal)
		// OpenSSL 3 says "SSLERROR TLSV1_ALERT_PROTOCOL_VERSION".
		if got := python(srv.addr, "1.2", `{"op":"list"}`); !strings.HasPrefix(got, "SSLERROR ") {
			t.Fatalf("python printed %q, want an SSL error", got)
		}
		if r := srv.result(t); r.err == nil {
			t.Fatalf("server admitted a TLS 1.2 client: %+v", r)
		}
	})
}
