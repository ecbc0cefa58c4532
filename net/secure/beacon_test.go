package secure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBeaconKey(t *testing.T) {
	k1, k2 := testKey(t, "ocean blurb tiger"), testKey(t, "ocean blurb tigers")
	s1, s2 := NewNetworkSecret(), NewNetworkSecret()
	if s1 == s2 || s1 == (NetworkSecret{}) {
		t.Fatal("network secrets are not random")
	}
	beacon := []byte(`{"enxame":"announce","id":"3f2a9c0d5e7b1a48","name":"Lab 3","port":7077,"v":2,"peers":12,"private":true}`)
	key := DeriveBeaconKey(k1, s1)
	if DeriveBeaconKey(k1, s1) != key {
		t.Fatal("DeriveBeaconKey is not deterministic")
	}
	mac := key.MAC(beacon)
	if len(mac) != BeaconMACBytes || !key.Verify(beacon, mac) {
		t.Fatal("a beacon's own MAC does not verify")
	}
	tampered := bytes.Replace(beacon, []byte("7077"), []byte("7078"), 1)
	for _, tc := range []struct {
		name        string
		key         BeaconKey
		beacon, mac []byte
	}{
		{"tampered beacon", key, tampered, mac},
		{"other passphrase", DeriveBeaconKey(k2, s1), beacon, mac},
		{"other secret (the passphrase alone is not enough)", DeriveBeaconKey(k1, s2), beacon, mac},
		{"short MAC", key, beacon, mac[:16]},
		{"no MAC", key, beacon, nil},
	} {
		if tc.key.Verify(tc.beacon, tc.mac) {
			t.Errorf("%s: verifies", tc.name)
		}
	}
	if s := fmt.Sprintf("%v %#v", key, key); s != "secure.BeaconKey{…} secure.BeaconKey{…}" {
		t.Errorf("formatting a beacon key gives %q, want it hidden", s)
	}
}

func TestNetworkSecretText(t *testing.T) {
	s := NewNetworkSecret()
	back, err := ParseNetworkSecret(s.Encode())
	if err != nil || back != s {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	js, _ := json.Marshal(map[string]NetworkSecret{"secret": s})
	var m map[string]NetworkSecret
	if err := json.Unmarshal(js, &m); err != nil || m["secret"] != s {
		t.Fatalf("JSON round trip of %s: %v", js, err)
	}
	for _, bad := range []string{"", "abc", s.Encode()[:43], s.Encode() + "A", strings.Repeat("0", 44), strings.Repeat("!", 44), strings.TrimRight(s.Encode(), "=") + "A"} {
		if _, err := ParseNetworkSecret(bad); !errors.Is(err, ErrBadSecret) {
			t.Errorf("ParseNetworkSecret(%q) = %v, want ErrBadSecret", bad, err)
		}
	}
	if f := fmt.Sprintf("%v %s %#v %+v", s, s, s, struct{ S NetworkSecret }{s}); strings.Contains(f, s.Encode()[:8]) {
		t.Errorf("formatting a secret shows it: %q", f)
	}
}
