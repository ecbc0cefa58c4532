package secure

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NetworkSecretBytes is the size of a network secret.
const NetworkSecretBytes = 32

// beaconInfo is the HKDF info of beacon keys.
const beaconInfo = "enxame/2 beacon"

// BeaconMACBytes is the size of a beacon's MAC (HMAC-SHA256).
const BeaconMACBytes = sha256.Size

// NetworkSecret is a random value the host of a private network draws and
// gives to members only over an authenticated connection (phase 2: in the
// register answer). It keeps beacon MACs from being a passphrase oracle:
// a beacon is heard by anyone on the LAN, but its key depends on the
// secret too, which a passive listener never sees.
type NetworkSecret [NetworkSecretBytes]byte

// NewNetworkSecret draws a secret from crypto/rand.
func NewNetworkSecret() NetworkSecret {
	var s NetworkSecret
	rand.Read(s[:]) // never fails (Go ≥ 1.24 crashes the program rather)
	return s
}

// Encode returns the secret in standard, padded base64 (44 characters),
// as the register answer carries it.
func (s NetworkSecret) Encode() string { return base64.StdEncoding.EncodeToString(s[:]) }

// String hides the secret (a logged configuration must not carry it).
func (s NetworkSecret) String() string { return "secure.NetworkSecret{…}" }

// GoString hides the secret from %#v.
func (s NetworkSecret) GoString() string { return s.String() }

// ParseNetworkSecret reads a secret written by Encode.
func ParseNetworkSecret(text string) (NetworkSecret, error) {
	var s NetworkSecret
	if len(text) != base64.StdEncoding.EncodedLen(NetworkSecretBytes) {
		return s, ErrBadSecret
	}
	// 44 characters decode to up to 33 bytes: Decode needs the room.
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(buf, []byte(text))
	if err != nil || n != NetworkSecretBytes {
		return s, ErrBadSecret
	}
	copy(s[:], buf)
	return s, nil
}

// MarshalText implements encoding.TextMarshaler (Encode).
func (s NetworkSecret) MarshalText() ([]byte, error) { return []byte(s.Encode()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (ParseNetworkSecret).
func (s *NetworkSecret) UnmarshalText(b []byte) error {
	v, err := ParseNetworkSecret(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// BeaconKey authenticates a private network's beacons.
type BeaconKey struct {
	k [sha256.Size]byte
}

// DeriveBeaconKey returns HKDF-SHA256(secret K, salt S, info "enxame/2
// beacon"), 32 bytes: it needs both the passphrase's key and the network
// secret.
func DeriveBeaconKey(k *NetworkKey, s NetworkSecret) BeaconKey {
	out, err := hkdf.Key(sha256.New, k.k[:], s[:], beaconInfo, sha256.Size)
	if err != nil { // only for lengths HKDF cannot give
		panic("secure: HKDF: " + err.Error())
	}
	var b BeaconKey
	copy(b.k[:], out)
	return b
}

// MAC returns HMAC-SHA256(key, beacon): the MAC of a beacon's bytes.
func (b BeaconKey) MAC(beacon []byte) []byte {
	m := hmac.New(sha256.New, b.k[:])
	m.Write(beacon)
	return m.Sum(nil)
}

// Verify reports, in constant time, whether mac is beacon's MAC.
func (b BeaconKey) Verify(beacon, mac []byte) bool {
	return hmac.Equal(mac, b.MAC(beacon))
}

// String hides the key.
func (b BeaconKey) String() string { return "secure.BeaconKey{…}" }

// GoString hides the key from %#v.
func (b BeaconKey) GoString() string { return b.String() }
