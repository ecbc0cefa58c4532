package secure

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// cheapKDF makes test keys fast; the protocol's parameters are checked by
// TestDeriveNetworkKeyKnownAnswer alone.
var cheapKDF = kdfParams{time: 1, memoryKiB: 64, threads: 1}

var (
	testKeysMu sync.Mutex
	testKeys   = map[string]*NetworkKey{}
)

// testKey returns the (cheaply derived) key of a passphrase.
func testKey(t testing.TB, passphrase string) *NetworkKey {
	t.Helper()
	testKeysMu.Lock()
	defer testKeysMu.Unlock()
	if k, ok := testKeys[passphrase]; ok {
		return k
	}
	k, err := deriveNetworkKey(passphrase, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	testKeys[passphrase] = k
	return k
}

// The expected key was computed by the reference implementation of
// Argon2 (Debian's argon2 20190702):
//
//	echo -n "ocean blurb tiger rank fiscal" |
//	  argon2 "enxame/2 network passphrase" -id -t 3 -k 65536 -p 4 -l 32 -r
const knownAnswer = "93064346edb48c15341b6fa43b67c52f1b9653bf1d60b3e72e286f9f9d287aef"

// TestDeriveNetworkKeyKnownAnswer pins the salt and the parameters (a
// change would split every private network in two) and checks them
// against the reference implementation.
func TestDeriveNetworkKeyKnownAnswer(t *testing.T) {
	k, err := DeriveNetworkKey("  Ocean blurb\ttiger rank fiscal\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.k[:]); got != knownAnswer {
		t.Fatalf("key %s, want %s", got, knownAnswer)
	}
	if _, err := exec.LookPath("argon2"); err != nil {
		return // the pinned answer came from it; nothing more to ask it
	}
	cmd := exec.Command("argon2", kdfSalt, "-id", "-t", fmt.Sprint(KDFTime), "-k", fmt.Sprint(KDFMemoryKiB), "-p", fmt.Sprint(KDFThreads), "-l", fmt.Sprint(KDFKeyBytes), "-r")
	cmd.Stdin = strings.NewReader("ocean blurb tiger rank fiscal")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("argon2: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != knownAnswer {
		t.Fatalf("argon2 (reference) says %s, ours %s", got, knownAnswer)
	}
}

func TestNormalizePassphrase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ocean blurb tiger", "ocean blurb tiger"},
		{"  Ocean  BLURB\ttiger\r\n", "ocean blurb tiger"},
		{"Ärger über Öl", "ärger über öl"},
		{"one", "one"},
		{" \t\n", ""},
	} {
		if got := NormalizePassphrase(tc.in); got != tc.want {
			t.Errorf("NormalizePassphrase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDeriveNetworkKey(t *testing.T) {
	if _, err := deriveNetworkKey(" \n", cheapKDF); !errors.Is(err, ErrEmptyPassphrase) {
		t.Fatalf("empty passphrase: %v, want ErrEmptyPassphrase", err)
	}
	a := testKey(t, "ocean blurb tiger")
	b, _ := deriveNetworkKey("Ocean  blurb tiger\n", cheapKDF)
	c := testKey(t, "ocean blurb tigers")
	d := testKey(t, "blurb ocean tiger")
	if a.k != b.k {
		t.Error("the same words with other spacing and case give another key")
	}
	if a.k == c.k || a.k == d.k {
		t.Error("other words give the same key")
	}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v", *a), fmt.Sprintf("%#v", a), fmt.Sprintf("%+v", *a)} {
		if s != "secure.NetworkKey{…}" {
			t.Errorf("formatting a key gives %q, want it hidden", s)
		}
	}
}

func TestProofsAreDomainSeparated(t *testing.T) {
	k := testKey(t, "ocean blurb tiger")
	ekm := bytes.Repeat([]byte{7}, ekmBytes)
	srv, cli := k.proof(serverProofLabel, ekm), k.proof(clientProofLabel, ekm)
	if bytes.Equal(srv, cli) {
		t.Fatal("server and client proofs are equal: a client could reflect the server's")
	}
	if len(srv) != proofBytes {
		t.Fatalf("proof of %d bytes", len(srv))
	}
	other := append([]byte{}, ekm...)
	other[0] ^= 1
	if bytes.Equal(srv, k.proof(serverProofLabel, other)) {
		t.Fatal("proofs for two connections are equal")
	}
}

// BenchmarkDeriveNetworkKey measures one passphrase guess: ns/op is wall
// time, cpu-s/op the CPU time of the whole process per derivation (see
// cputime_unix_test.go), which is what an attacker pays.
//
//	go test -run '^$' -bench DeriveNetworkKey -benchtime 10x ./net/secure/
func BenchmarkDeriveNetworkKey(b *testing.B) {
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; b.Loop(); i++ {
		if _, err := DeriveNetworkKey(fmt.Sprintf("guess number %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
}
