package secure

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// IdentityFile is the name of the identity file inside its folder: the
// certificate and its private key, PEM ("CERTIFICATE" then "PRIVATE KEY",
// PKCS #8), mode 0600.
const IdentityFile = "device.pem"

// maxIdentityBytes bounds the identity file read (ours are about 1 KiB).
const maxIdentityBytes = 64 << 10

// Identity is a device's key pair and self-signed certificate.
//
// The key is ECDSA P-256, not Ed25519: RFC 8446 (§9.1) makes
// ecdsa_secp256r1_sha256 mandatory for every TLS 1.3 implementation and
// Ed25519 optional, so any TLS stack (Python's, a phone's, Windows') can
// talk to us. Syncthing made the same choice.
type Identity struct {
	cert tls.Certificate // Leaf set
	id   DeviceID
}

// DeviceID returns the identity's device id.
func (i *Identity) DeviceID() DeviceID { return i.id }

// Certificate returns the identity as a TLS certificate (Leaf set).
func (i *Identity) Certificate() tls.Certificate { return i.cert }

// GenerateIdentity makes a new identity in memory.
//
// The certificate is self-signed, names no host (CN "enxame"), and is
// valid from an hour ago until 9999-12-31 23:59:59 UTC, RFC 5280's "no
// well-defined expiration date": trust comes from device ids and the
// network's passphrase, never from a CA or a date.
func GenerateIdentity() (*Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating device key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "enxame"},
		NotBefore:             time.Now().Add(-time.Hour).UTC().Truncate(time.Second),
		NotAfter:              time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating device certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("creating device certificate: %w", err)
	}
	return newIdentity(leaf, key), nil
}

func newIdentity(leaf *x509.Certificate, key *ecdsa.PrivateKey) *Identity {
	return &Identity{
		cert: tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf},
		id:   DeviceIDOf(leaf),
	}
}

// LoadIdentity reads the identity in dir. A missing file is ErrNoIdentity;
// a file it cannot use is ErrBadIdentity, with the reason and the path.
func LoadIdentity(dir string) (*Identity, error) {
	path := filepath.Join(dir, IdentityFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, ErrNoIdentity)
	}
	if err != nil {
		return nil, fmt.Errorf("reading device identity: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIdentityBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading device identity: %w", err)
	}
	id, err := decodeIdentity(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v (move it away to make a new identity; other devices will then see a new device id)", ErrBadIdentity, path, err)
	}
	return id, nil
}

// LoadOrCreateIdentity reads the identity in dir, or makes one when there
// is none: dir is created with mode 0700 if missing (an existing folder
// keeps its mode) and the file with mode 0600. When two processes start
// at once, one identity wins and both use it. A damaged or foreign file
// is an error (ErrBadIdentity), never replaced silently.
func LoadOrCreateIdentity(dir string) (*Identity, error) {
	id, err := LoadIdentity(dir)
	if !errors.Is(err, ErrNoIdentity) {
		return id, err
	}
	return createIdentity(dir)
}

// ReplaceIdentity makes a new identity in dir, for when the user asks for
// one. An existing file is kept beside it as device.pem.old.
func ReplaceIdentity(dir string) (*Identity, error) {
	path := filepath.Join(dir, IdentityFile)
	if err := os.Rename(path, path+".old"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("moving old device identity aside: %w", err)
	}
	return createIdentity(dir)
}

// createIdentity writes a new identity to a temporary file and links it
// into place: the link fails if another process got there first, in which
// case its identity is loaded instead. The file is never seen half-written.
func createIdentity(dir string) (*Identity, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating device identity folder: %w", err)
	}
	id, err := GenerateIdentity()
	if err != nil {
		return nil, err
	}
	data, err := id.encode()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".device-*.pem") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("writing device identity: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, data); err != nil {
		return nil, fmt.Errorf("writing device identity: %w", err)
	}
	path := filepath.Join(dir, IdentityFile)
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return LoadIdentity(dir)
	} else if err != nil {
		return nil, fmt.Errorf("writing device identity: %w", err)
	}
	return id, nil
}

func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (i *Identity) encode() ([]byte, error) {
	key, err := x509.MarshalPKCS8PrivateKey(i.cert.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("encoding device key: %w", err)
	}
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: i.cert.Leaf.Raw})
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: key})
	return b.Bytes(), nil
}

// decodeIdentity accepts exactly what encode writes: one certificate and
// its ECDSA P-256 key, the certificate self-signed by that key.
func decodeIdentity(data []byte) (*Identity, error) {
	if len(data) > maxIdentityBytes {
		return nil, errors.New("file too large")
	}
	var certDER, keyDER []byte
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, errors.New("text outside PEM blocks")
			}
			break
		}
		switch {
		case block.Type == "CERTIFICATE" && certDER == nil:
			certDER = block.Bytes
		case block.Type == "PRIVATE KEY" && keyDER == nil:
			keyDER = block.Bytes
		default:
			return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
		}
	}
	if certDER == nil || keyDER == nil {
		return nil, errors.New("a certificate and a private key are needed")
	}
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("private key is not ECDSA P-256")
	}
	if !key.PublicKey.Equal(leaf.PublicKey) {
		return nil, errors.New("private key does not match the certificate")
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		return nil, fmt.Errorf("certificate is not self-signed by its key: %w", err)
	}
	return newIdentity(leaf, key), nil
}
