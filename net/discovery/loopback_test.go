package discovery

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// freeUDPPort returns a UDP port free on loopback right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// loopback returns options that keep discovery on the loopback interface.
func loopback(t *testing.T, port int) []Option {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 {
			return []Option{WithInterfaces(ifi.Name), WithPort(port)}
		}
	}
	t.Skip("no loopback interface is up")
	return nil
}

// background runs f in a goroutine until the test ends, then waits for it
// and fails the test if it returned an error.
func background(t *testing.T, f func(ctx context.Context) error) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	stopped := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() {
		if err := stopped(); err != nil {
			t.Errorf("background: %v", err)
		}
	})
	return func() {
		if err := stopped(); err != nil {
			t.Errorf("background: %v", err)
		}
	}
}

// waitFor waits, at most limit, until cond holds for b's networks.
func waitFor(t *testing.T, b *Browser, limit time.Duration, what string, cond func([]Network) bool) []Network {
	t.Helper()
	deadline := time.After(limit)
	for {
		nets := b.Networks()
		if cond(nets) {
			return nets
		}
		select {
		case <-b.Changed():
		case <-deadline:
			t.Fatalf("after %v: %s; have %+v", limit, what, nets)
		}
	}
}

// startBrowser runs a browser until the test ends and waits until its
// sockets are open.
func startBrowser(t *testing.T, opts ...Option) *Browser {
	t.Helper()
	ready := make(chan struct{})
	b := NewBrowser(discard(), append(opts, withReady(func() { close(ready) }))...)
	background(t, b.Run)
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("browser did not start")
	}
	return b
}

func TestLoopbackAnnounceBrowse(t *testing.T) {
	opts := loopback(t, freeUDPPort(t))
	b := startBrowser(t, opts...)

	var peers atomic.Int64
	peers.Store(12)
	stop := background(t, func(ctx context.Context) error {
		return Announce(ctx, Announcement{Name: "Lab 3", Port: 7077, Peers: func() int { return int(peers.Load()) }}, discard(), opts...)
	})

	nets := waitFor(t, b, 5*time.Second, "Lab 3 not found", func(n []Network) bool { return len(n) == 1 })
	n := nets[0]
	t.Logf("found %+v", n)
	if n.Name != "Lab 3" || n.Peers != 12 || n.Version != ProtocolVersion || len(n.Addrs) == 0 || n.Addrs[0] != "127.0.0.1:7077" {
		t.Fatalf("found %+v, want Lab 3 with 12 peers at 127.0.0.1:7077", n)
	}

	// The live peer count follows within an announce interval or two.
	peers.Store(13)
	waitFor(t, b, 3*AnnounceInterval, "peer count not updated", func(n []Network) bool { return len(n) == 1 && n[0].Peers == 13 })

	// Stopping says goodbye: the network leaves at once, not after ExpireAfter.
	stop()
	waitFor(t, b, ExpireAfter/2, "network still listed after goodbye", func(n []Network) bool { return len(n) == 0 })
}

func TestLoopbackQueryAnswered(t *testing.T) {
	opts := loopback(t, freeUDPPort(t))
	announced := make(chan struct{})
	background(t, func(ctx context.Context) error {
		return Announce(ctx, Announcement{Name: "Early", Port: 9000}, discard(), append(opts, withReady(func() { close(announced) }))...)
	})
	<-announced
	// A browser started after the announcer finds it through its query,
	// well before the next periodic beacon is due.
	start := time.Now()
	b := startBrowser(t, opts...)
	waitFor(t, b, 5*time.Second, "Early not found", func(n []Network) bool { return len(n) == 1 && n[0].Name == "Early" })
	t.Logf("found through a query in %v", time.Since(start))
}

func TestLoopbackFind(t *testing.T) {
	opts := loopback(t, freeUDPPort(t))
	for _, name := range []string{"One", "Two", "Two"} {
		background(t, func(ctx context.Context) error {
			return Announce(ctx, Announcement{Name: name, Port: 7077}, discard(), opts...)
		})
	}
	start := time.Now()
	nets, err := Find(t.Context(), "Two", 10*time.Second, discard(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 2 || nets[0].Name != "Two" || nets[1].Name != "Two" || nets[0].ID == nets[1].ID {
		t.Fatalf("Find(Two) = %+v, want the two networks named Two", nets)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Find took %v; it should return soon after a match", took)
	}
	all, err := Find(t.Context(), "", time.Second, discard(), opts...)
	if err != nil || len(all) != 3 {
		t.Fatalf("Find(\"\") = %+v, %v; want 3 networks", all, err)
	}
	// WithSettle: every name, but back soon after the first one is heard.
	start = time.Now()
	all, err = Find(t.Context(), "", 10*time.Second, discard(), append(opts, WithSettle(500*time.Millisecond))...)
	if err != nil || len(all) != 3 {
		t.Fatalf("Find(\"\", WithSettle) = %+v, %v; want 3 networks", all, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Find with WithSettle took %v; it should return soon after a match", took)
	}
}

func TestLoopbackInstanceID(t *testing.T) {
	opts := loopback(t, freeUDPPort(t))
	id := NewInstanceID()
	background(t, func(ctx context.Context) error {
		return Announce(ctx, Announcement{Name: "Mine", Port: 7077}, discard(), append(opts, WithInstanceID(id))...)
	})
	nets, err := Find(t.Context(), "Mine", 5*time.Second, discard(), opts...)
	if err != nil || len(nets) != 1 || nets[0].ID != id {
		t.Fatalf("Find = %+v, %v; want one network with id %s", nets, err, id)
	}
	for _, bad := range []string{"short", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcdef0"} {
		if err := Announce(t.Context(), Announcement{Name: "x", Port: 1}, discard(), WithInstanceID(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("WithInstanceID(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestFindNone(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"nobody announcing", loopback(t, freeUDPPort(t))},
		// A host without any usable interface: quiet, no error, nothing found.
		{"no interface", []Option{WithInterfaces("enxame-none0"), WithPort(freeUDPPort(t))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nets, err := Find(t.Context(), "", 300*time.Millisecond, discard(), tc.opts...)
			if err != nil || len(nets) != 0 {
				t.Fatalf("Find = %+v, %v; want none, no error", nets, err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			if err := Announce(ctx, Announcement{Port: 7077}, discard(), tc.opts...); err != nil {
				t.Fatalf("Announce = %v, want nil", err)
			}
		})
	}
}

func TestFindCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Find(ctx, "", time.Second, discard(), loopback(t, freeUDPPort(t))...); !errors.Is(err, context.Canceled) {
		t.Fatalf("Find with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestAnnounceInvalid(t *testing.T) {
	for _, a := range []Announcement{
		{Name: "bad\nname", Port: 7077},
		{Name: "ok", Port: 0},
		{Name: "ok", Port: 70000},
		{Name: "ok", Port: 7077, Version: -1},
		{Name: "ok", Port: 7077, Version: MaxVersion + 1},
	} {
		if err := Announce(t.Context(), a, discard()); !errors.Is(err, ErrInvalid) {
			t.Errorf("Announce(%+v) = %v, want ErrInvalid", a, err)
		}
	}
}

// TestLoopbackHostile sends hostile datagrams to a browser and checks it
// keeps none of them and still hears a real tracker afterwards.
func TestLoopbackHostile(t *testing.T) {
	port := freeUDPPort(t)
	opts := loopback(t, port)
	b := startBrowser(t, opts...)

	c, err := openConn(t.Context(), newOptions(opts), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	c.refresh()
	for _, pc := range parseCases {
		if pc.want.Kind == "" {
			c.send([]byte(pc.in))
		}
	}
	big := make([]byte, 9000)
	copy(big, `{"enxame":"announce","id":"0123456789abcdef","name":"big","port":1,"v":1,"peers":0,"pad":"`)
	c.send(big)

	background(t, func(ctx context.Context) error {
		return Announce(ctx, Announcement{Name: "Real", Port: 7077}, discard(), opts...)
	})
	nets := waitFor(t, b, 5*time.Second, "Real not found", func(n []Network) bool { return len(n) > 0 })
	if len(nets) != 1 || nets[0].Name != "Real" {
		t.Fatalf("networks %+v, want only Real", nets)
	}
}

// TestLoopbackQueryFlood checks that a flood of queries does not turn an
// announcer into a flood of beacons: past a burst of ReplyBurst, replies
// are at most one per MinReplyGap, besides the periodic beacons.
func TestLoopbackQueryFlood(t *testing.T) {
	opts := loopback(t, freeUDPPort(t))
	var beacons atomic.Int64
	c, err := openConn(t.Context(), newOptions(opts), discard())
	if err != nil {
		t.Fatal(err)
	}
	c.refresh()
	var wg sync.WaitGroup
	wg.Go(func() {
		c.read(func(d datagram) {
			if d.msg.Kind == kindAnnounce {
				beacons.Add(1)
			}
		})
	})
	defer func() {
		c.close()
		wg.Wait()
	}()

	announced := make(chan struct{})
	background(t, func(ctx context.Context) error {
		return Announce(ctx, Announcement{Name: "Flooded", Port: 7077}, discard(), append(opts, withReady(func() { close(announced) }))...)
	})
	<-announced
	query, err := message{Kind: kindQuery}.encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	const floodFor = 500 * time.Millisecond
	start := time.Now()
	sent := 0
	for time.Since(start) < floodFor {
		c.send(query)
		sent++
	}
	elapsed := time.Since(start)
	// At most: the first beacon, the one after a second, the periodic
	// ones, a burst of replies, one reply per MinReplyGap, one in flight.
	limit := int64(2 + elapsed/AnnounceInterval + ReplyBurst + elapsed/MinReplyGap + 1)
	if got := beacons.Load(); got > limit {
		t.Fatalf("%d beacons for %d queries in %v, want at most %d", got, sent, elapsed, limit)
	}
	t.Logf("%d queries in %v: %d beacons", sent, elapsed, beacons.Load())
}

func TestFlagOptions(t *testing.T) {
	cases := []struct {
		ifaces string
		port   int
		n      int
		bad    bool
	}{
		{"", 0, 0, false},
		{"lo", 0, 1, false},
		{"lo,eth0", 17078, 2, false},
		{"", 17078, 1, false},
		{"lo,", 0, 0, true},
		{"", 70000, 0, true},
		{"", -1, 0, true},
	}
	for _, c := range cases {
		opts, err := FlagOptions(c.ifaces, c.port)
		if (err != nil) != c.bad || len(opts) != c.n {
			t.Errorf("FlagOptions(%q, %d) = %d options, %v", c.ifaces, c.port, len(opts), err)
		}
	}
	opts, _ := FlagOptions("lo", 17078)
	if o := newOptions(opts); o.port != 17078 || len(o.interfaces) != 1 || o.interfaces[0] != "lo" {
		t.Errorf("options %+v", o)
	}
}
