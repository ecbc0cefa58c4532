package secure

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The Argon2id parameters of a network key: RFC 9106's second recommended
// setting (§4: t=3, 64 MiB, 4 lanes). One guess costs about 0.2 CPU-second
// on the 2-core development machine (BenchmarkDeriveNetworkKey,
// docs/SECURITY.md), above the 0.1 s protocol version 2 asks for. The lanes
// shorten the wait on multi-core machines, not the CPU work per guess.
// Changing any of these changes every network's key: it is a protocol change.
const (
	KDFTime      = 3
	KDFMemoryKiB = 64 << 10
	KDFThreads   = 4
	KDFKeyBytes  = 32
)

// kdfSalt is the one salt of every network key. It is fixed because a
// client must derive the key before it talks to anyone: a per-network salt
// would need the network's name first, and names come from unauthenticated
// beacons (or nowhere, with -tracker ADDR). It is domain-separated so that
// no other use of Argon2id shares our precomputations. The cost: one
// dictionary of precomputed keys serves against every Enxame network,
// which is why the passphrases we propose have 55 bits (Propose).
const kdfSalt = "enxame/2 network passphrase"

// Proof labels: the MAC input is label || exporter secret.
const (
	serverProofLabel = "enxame/2 server"
	clientProofLabel = "enxame/2 client"
)

// NetworkKey is a private network's key, derived from its passphrase.
// Its String hides the key, so a stray log line cannot leak it.
type NetworkKey struct {
	k [KDFKeyBytes]byte
}

// kdfParams lets tests derive keys cheaply; production uses kdfDefault.
type kdfParams struct {
	time, memoryKiB uint32
	threads         uint8
}

var kdfDefault = kdfParams{KDFTime, KDFMemoryKiB, KDFThreads}

// NormalizePassphrase is the form of a passphrase that is hashed: words
// split at white space and joined by one space, lower-cased. Extra spaces,
// a trailing newline or a capital letter a phone's keyboard added do not
// make a different network; the words and their order do.
func NormalizePassphrase(p string) string {
	return strings.ToLower(strings.Join(strings.Fields(p), " "))
}

// DeriveNetworkKey derives a network's key from its passphrase with
// Argon2id (KDF* constants, kdfSalt). It takes a fraction of a second and
// 64 MiB of memory: derive once and keep the key.
func DeriveNetworkKey(passphrase string) (*NetworkKey, error) {
	return deriveNetworkKey(passphrase, kdfDefault)
}

func deriveNetworkKey(passphrase string, p kdfParams) (*NetworkKey, error) {
	norm := NormalizePassphrase(passphrase)
	if norm == "" {
		return nil, ErrEmptyPassphrase
	}
	var k NetworkKey
	copy(k.k[:], argon2.IDKey([]byte(norm), []byte(kdfSalt), p.time, p.memoryKiB, p.threads, KDFKeyBytes))
	return &k, nil
}

// String hides the key.
func (k NetworkKey) String() string { return "secure.NetworkKey{…}" }

// GoString hides the key from %#v.
func (k NetworkKey) GoString() string { return k.String() }

// proof is HMAC-SHA256(K, label || ekm).
func (k *NetworkKey) proof(label string, ekm []byte) []byte {
	m := hmac.New(sha256.New, k.k[:])
	m.Write([]byte(label))
	m.Write(ekm)
	return m.Sum(nil)
}
