package discovery

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func announce(id, name string, port, peers int, src string) datagram {
	return datagram{
		msg: message{Kind: kindAnnounce, ID: id, Name: name, Port: port, Version: ProtocolVersion, Peers: peers},
		src: netip.MustParseAddr(src),
	}
}

func idN(n int) string { return fmt.Sprintf("%016x", n) }

// signalled reports whether Changed has a pending signal, consuming it.
func signalled(b *Browser) bool {
	select {
	case <-b.Changed():
		return true
	default:
		return false
	}
}

func TestBrowserExpiry(t *testing.T) {
	b := NewBrowser(discard())
	b.handle(announce(idN(1), "Lab", 7077, 3, "10.0.0.1"), t0)
	if !signalled(b) {
		t.Fatal("no Changed signal for a new network")
	}
	b.handle(announce(idN(1), "Lab", 7077, 3, "10.0.0.1"), t0.Add(time.Second))
	if signalled(b) {
		t.Fatal("Changed signalled for a mere refresh")
	}
	b.expire(t0.Add(time.Second + ExpireAfter))
	if n := b.Networks(); len(n) != 1 || !n[0].LastSeen.Equal(t0.Add(time.Second)) {
		t.Fatalf("network dropped too early or LastSeen wrong: %+v", n)
	}
	if signalled(b) {
		t.Fatal("Changed signalled when nothing expired")
	}
	b.expire(t0.Add(time.Second + ExpireAfter + time.Millisecond))
	if n := b.Networks(); len(n) != 0 {
		t.Fatalf("silent network kept: %+v", n)
	}
	if !signalled(b) {
		t.Fatal("no Changed signal for an expired network")
	}
}

func TestBrowserUpdatesAndAddrs(t *testing.T) {
	b := NewBrowser(discard())
	b.handle(announce(idN(1), "Lab", 7077, 3, "fe80::1%eth0"), t0)
	b.handle(announce(idN(1), "Lab", 7077, 3, "192.168.1.5"), t0)
	b.handle(announce(idN(1), "Lab", 7077, 3, "fd00::5"), t0)
	b.handle(announce(idN(1), "Lab", 7077, 4, "192.168.1.5"), t0.Add(time.Second))
	signalled(b)
	n := b.Networks()
	want := []string{"192.168.1.5:7077", "[fd00::5]:7077", "[fe80::1%eth0]:7077"}
	if len(n) != 1 || n[0].Peers != 4 || n[0].Name != "Lab" || n[0].ID != idN(1) || n[0].Version != 1 || fmt.Sprint(n[0].Addrs) != fmt.Sprint(want) {
		t.Fatalf("Networks() = %+v, want one Lab with 4 peers at %v", n, want)
	}
	// Addresses not heard for ExpireAfter go, the network stays.
	b.expire(t0.Add(time.Second + ExpireAfter - time.Millisecond))
	if n := b.Networks(); len(n) != 1 || fmt.Sprint(n[0].Addrs) != "[192.168.1.5:7077]" {
		t.Fatalf("after address expiry: %+v", n)
	}
	if !signalled(b) {
		t.Fatal("no Changed signal for lost addresses")
	}
	// A rename is a change.
	b.handle(announce(idN(1), "Lab 2", 7077, 4, "192.168.1.5"), t0.Add(2*time.Second))
	if !signalled(b) || b.Networks()[0].Name != "Lab 2" {
		t.Fatalf("rename not applied: %+v", b.Networks())
	}
	// Addresses per network are capped.
	for i := range 3 * MaxAddrsPerNetwork {
		b.handle(announce(idN(1), "Lab 2", 7077, 4, fmt.Sprintf("10.1.0.%d", i+1)), t0.Add(3*time.Second+time.Duration(i)))
	}
	if got := len(b.Networks()[0].Addrs); got != MaxAddrsPerNetwork {
		t.Fatalf("%d addresses kept, want the cap %d", got, MaxAddrsPerNetwork)
	}
}

func TestBrowserSorted(t *testing.T) {
	b := NewBrowser(discard())
	b.handle(announce(idN(3), "b", 1, 0, "10.0.0.3"), t0)
	b.handle(announce(idN(2), "a", 1, 0, "10.0.0.2"), t0)
	b.handle(announce(idN(1), "b", 1, 0, "10.0.0.1"), t0)
	var got []string
	for _, n := range b.Networks() {
		got = append(got, n.Name+"/"+n.ID)
	}
	want := []string{"a/" + idN(2), "b/" + idN(1), "b/" + idN(3)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestBrowserBye(t *testing.T) {
	b := NewBrowser(discard())
	b.handle(announce(idN(1), "Lab", 7077, 0, "10.0.0.1"), t0)
	signalled(b)
	b.handle(datagram{msg: message{Kind: kindBye, ID: idN(1)}, src: netip.MustParseAddr("10.0.0.66")}, t0)
	if len(b.Networks()) != 1 || signalled(b) {
		t.Fatal("a goodbye from another host removed the network")
	}
	b.handle(datagram{msg: message{Kind: kindBye, ID: idN(9)}, src: netip.MustParseAddr("10.0.0.1")}, t0)
	if len(b.Networks()) != 1 {
		t.Fatal("a goodbye for another id removed the network")
	}
	b.handle(datagram{msg: message{Kind: kindQuery}, src: netip.MustParseAddr("10.0.0.1")}, t0)
	b.handle(datagram{msg: message{Kind: kindBye, ID: idN(1)}, src: netip.MustParseAddr("10.0.0.1")}, t0)
	if len(b.Networks()) != 0 || !signalled(b) {
		t.Fatal("the tracker's own goodbye did not remove the network")
	}
}

func TestBrowserFloodCapped(t *testing.T) {
	b := NewBrowser(discard())
	// A real network, heard regularly.
	b.handle(announce(idN(0), "Real", 7077, 5, "192.168.1.5"), t0)

	// One host floods distinct ids: it keeps at most MaxNetworksPerSource.
	for i := range 10_000 {
		b.handle(announce(idN(1_000_000+i), fmt.Sprint("flood ", i), 1, 0, "192.168.1.66"), t0.Add(time.Duration(i)))
	}
	if got := len(b.Networks()); got != 1+MaxNetworksPerSource {
		t.Fatalf("%d networks after a one-host flood, want %d", got, 1+MaxNetworksPerSource)
	}

	// Spoofed sources: the total stays at MaxNetworks, the newest win.
	const spoofed = 20_000
	for i := range spoofed {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		d := datagram{msg: message{Kind: kindAnnounce, ID: idN(2_000_000 + i), Name: "spoof", Port: 1, Version: 1}, src: src}
		b.handle(d, t0.Add(time.Second+time.Duration(i)))
		if i%100 == 0 {
			// The real network keeps announcing, more often than
			// MaxNetworks new ids arrive: it survives the flood.
			b.handle(announce(idN(0), "Real", 7077, 5, "192.168.1.5"), t0.Add(time.Second+time.Duration(i)))
		}
	}
	nets := b.Networks()
	if len(nets) != MaxNetworks {
		t.Fatalf("%d networks after a flood, want the cap %d", len(nets), MaxNetworks)
	}
	last := idN(2_000_000 + spoofed - 1)
	foundLast, foundReal := false, false
	for _, n := range nets {
		foundLast = foundLast || n.ID == last
		foundReal = foundReal || n.ID == idN(0)
	}
	if !foundLast || !foundReal {
		t.Fatalf("newest kept: %v, real network kept: %v; want both", foundLast, foundReal)
	}
	b.mu.Lock()
	for _, e := range b.nets {
		if len(e.addrs) > MaxAddrsPerNetwork {
			t.Errorf("%d addresses in one entry", len(e.addrs))
		}
	}
	b.mu.Unlock()

	// Once the flood stops, it all expires.
	b.expire(t0.Add(time.Hour))
	if n := b.Networks(); len(n) != 0 {
		t.Fatalf("%d networks left after expiry", len(n))
	}
}

// signedDatagram is m as a browser receives it from src after the
// announcer encoded it with key (nil: an open network's).
func signedDatagram(t *testing.T, m message, key []byte, src string) datagram {
	t.Helper()
	var mac func([]byte) []byte
	if key != nil {
		mac = func(signed []byte) []byte { h := hmac.New(sha256.New, key); h.Write(signed); return h.Sum(nil) }
	}
	b, err := m.encode(mac)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return datagram{msg: got, src: netip.MustParseAddr(src)}
}

// A member's browser believes only beacons of its private network whose
// MAC checks: forged announces, open look-alikes and forged goodbyes
// change nothing (the attack of issue 12).
func TestBrowserBeaconCheck(t *testing.T) {
	key, wrong := []byte("the members' beacon key"), []byte("a stranger's guess")
	check := func(name string, private bool, signed, mac []byte) bool {
		if name != "Lab" {
			return true
		}
		h := hmac.New(sha256.New, key)
		h.Write(signed)
		return private && hmac.Equal(mac, h.Sum(nil))
	}
	b := NewBrowser(discard(), WithBeaconCheck(check))
	real := message{Kind: kindAnnounce, ID: idN(1), Name: "Lab", Port: 7077, Version: ProtocolVersion, Peers: 3}
	b.handle(signedDatagram(t, real, key, "10.0.0.5"), t0)
	if n := b.Networks(); len(n) != 1 || !n[0].Private || n[0].Peers != 3 {
		t.Fatalf("the genuine private network: %+v", n)
	}
	forged := real
	forged.Peers = 99
	b.handle(signedDatagram(t, forged, wrong, "10.0.0.5"), t0.Add(time.Second))
	fake := message{Kind: kindAnnounce, ID: idN(2), Name: "Lab", Port: 7077, Version: ProtocolVersion}
	b.handle(signedDatagram(t, fake, wrong, "10.0.0.1"), t0.Add(time.Second))
	b.handle(signedDatagram(t, fake, nil, "10.0.0.1"), t0.Add(time.Second))
	b.handle(signedDatagram(t, message{Kind: kindBye, ID: idN(1)}, wrong, "10.0.0.5"), t0.Add(time.Second))
	b.handle(signedDatagram(t, message{Kind: kindBye, ID: idN(1)}, nil, "10.0.0.5"), t0.Add(time.Second))
	if n := b.Networks(); len(n) != 1 || n[0].ID != idN(1) || n[0].Peers != 3 || !n[0].LastSeen.Equal(t0) {
		t.Fatalf("forged beacons changed what the member believes: %+v", n)
	}
	// Other names are not the check's business.
	b.handle(signedDatagram(t, message{Kind: kindAnnounce, ID: idN(3), Name: "Other", Port: 1, Version: ProtocolVersion}, nil, "10.0.0.9"), t0)
	b.handle(signedDatagram(t, message{Kind: kindBye, ID: idN(1)}, key, "10.0.0.5"), t0.Add(2*time.Second))
	if n := b.Networks(); len(n) != 1 || n[0].Name != "Other" || n[0].Private {
		t.Fatalf("after the genuine goodbye: %+v", n)
	}
}
