package secure

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"strings"
)

// DeviceID names a device: the SHA-256 of its certificate's
// SubjectPublicKeyInfo (the DER bytes, as in the certificate). It is tied
// to the key, not to the certificate, so a renewed certificate for the
// same key keeps the id. TLS 1.3 makes a peer sign the handshake with that
// key, so a connection's device id cannot be borrowed.
type DeviceID [32]byte

// DeviceIDLen is the length of a device id's text form: 52 base32
// characters in 13 groups of 4, joined by 12 '-'.
const DeviceIDLen = 52 + 12

// b32 is RFC 4648 base32 (A–Z, 2–7) without padding: 32 bytes are 52
// characters, the last one carrying 1 bit of data and 4 zero bits.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// DeviceIDOf returns the device id of a certificate.
func DeviceIDOf(cert *x509.Certificate) DeviceID {
	return sha256.Sum256(cert.RawSubjectPublicKeyInfo)
}

// IsZero reports whether d is the zero id (no device).
func (d DeviceID) IsZero() bool { return d == DeviceID{} }

// String returns the id as people read it: upper-case base32 in groups of
// four, such as "MFRG-GZDF-…-7Q".
func (d DeviceID) String() string {
	raw := b32.EncodeToString(d[:])
	var b strings.Builder
	b.Grow(DeviceIDLen)
	for i := 0; i < len(raw); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(raw[i:min(i+4, len(raw))])
	}
	return b.String()
}

// Short returns the first two groups, enough to tell devices apart on a
// screen (40 bits); never use it to decide trust.
func (d DeviceID) Short() string { return d.String()[:9] }

// ParseDeviceID reads a device id written by String. It ignores case,
// dashes and spaces, and rejects anything that String would not produce.
func ParseDeviceID(s string) (DeviceID, error) {
	var d DeviceID
	if len(s) > 2*DeviceIDLen {
		return d, ErrBadDeviceID
	}
	raw := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(raw) != b32.EncodedLen(len(d)) {
		return d, ErrBadDeviceID
	}
	n, err := b32.Decode(d[:], []byte(raw))
	if err != nil || n != len(d) || b32.EncodeToString(d[:]) != raw {
		// The last comparison rejects non-zero padding bits, so that each
		// id has exactly one spelling.
		return DeviceID{}, ErrBadDeviceID
	}
	return d, nil
}

// MarshalText implements encoding.TextMarshaler (String).
func (d DeviceID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (ParseDeviceID).
func (d *DeviceID) UnmarshalText(b []byte) error {
	id, err := ParseDeviceID(string(b))
	if err != nil {
		return err
	}
	*d = id
	return nil
}
