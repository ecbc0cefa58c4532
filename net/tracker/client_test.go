package tracker

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/wire"
)

func TestClientRoundTrip(t *testing.T) {
	ts := startServer(t, Config{HeartbeatInterval: 2 * time.Second, PeerTimeout: 7 * time.Second})
	ctx := t.Context()
	cl := NewClient(ts.addr)
	defer cl.Close()
	reg, err := cl.Register(ctx, 6000, []wire.FileEntry{file("Dir/Film.mkv", "film")})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Addr != "127.0.0.1:6000" || reg.HeartbeatS != 2 || reg.TimeoutS != 7 || len(reg.Token) != 32 {
		t.Errorf("register = %+v", reg)
	}
	if err := cl.Heartbeat(ctx, reg.Token); err != nil {
		t.Error(err)
	}
	if err := cl.Update(ctx, reg.Token, nil); err != nil {
		t.Error(err)
	}
	if s, err := cl.Search(ctx, "film"); err != nil || len(s.Results) != 0 {
		t.Errorf("search after emptying the list: %+v %v", s, err)
	}
	if err := cl.Update(ctx, reg.Token, []wire.FileEntry{file("Dir/Film.mkv", "film")}); err != nil {
		t.Error(err)
	}
	s, err := cl.Search(ctx, "FILM")
	if err != nil || len(s.Results) != 1 || s.Results[0].Peers[0].Addr != "127.0.0.1:6000" {
		t.Errorf("search = %+v %v", s, err)
	}
	l, err := cl.List(ctx)
	if err != nil || len(l.Peers) != 1 || l.Peers[0].Files != 1 || l.Peers[0].CanHost {
		t.Errorf("list = %+v %v", l, err)
	}
	// The can_host extension is listed back; plain registrations omit it.
	reg2, err := cl.RegisterCanHost(ctx, 6001, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err = cl.List(ctx)
	if err != nil || len(l.Peers) != 2 {
		t.Fatalf("list = %+v %v", l, err)
	}
	for _, p := range l.Peers {
		if p.CanHost != (p.Addr == reg2.Addr) {
			t.Errorf("list entry %+v: can_host should be set only for %s", p, reg2.Addr)
		}
	}
	if err := cl.Unregister(ctx, reg2.Token); err != nil {
		t.Error(err)
	}
	if err := cl.Unregister(ctx, reg.Token); err != nil {
		t.Error(err)
	}
	err = cl.Heartbeat(ctx, reg.Token)
	var we *wire.Error
	if !errors.Is(err, wire.ErrUnknownPeer) || !errors.As(err, &we) || we.Msg == "" {
		t.Errorf("heartbeat after unregister: %v, want a *wire.Error unknown_peer", err)
	}
	cl.Close()
	if _, err := cl.List(ctx); !errors.Is(err, ErrClientClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// silentTracker accepts connections and reads, but never answers.
func silentTracker(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = enxametest.TLSListener(ln)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.Copy(io.Discard, c)
			})
		}
	})
	return ln.Addr().String()
}

func TestClientHonoursContext(t *testing.T) {
	cl := NewClient(silentTracker(t))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := cl.List(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("err = %v, want a deadline error", err)
			}
		}
	case <-time.After(wait):
		t.Fatal("request outlived its context")
	}

	// Cancellation (no deadline) interrupts too, and a second caller
	// waiting for the connection gives up with its own context.
	ctx2, cancel2 := context.WithCancel(t.Context())
	go func() {
		_, err := cl.List(ctx2)
		done <- err
	}()
	ctx3, cancel3 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel3()
	if _, err := cl.Search(ctx3, "x"); err == nil {
		t.Error("queued request succeeded against a silent tracker")
	}
	cancel2()
	select {
	case err := <-done:
		if err == nil {
			t.Error("cancelled request succeeded")
		}
	case <-time.After(wait):
		t.Fatal("cancel did not interrupt the request")
	}
}

func TestClientCloseInterrupts(t *testing.T) {
	cl := NewClient(silentTracker(t))
	done := make(chan error, 2)
	for range 2 { // one in flight, one waiting for its turn
		go func() {
			_, err := cl.List(t.Context())
			done <- err
		}()
	}
	// Close waits for nothing: both requests end with ErrClientClosed.
	cl.Close()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrClientClosed) {
				t.Errorf("request interrupted by Close: %v", err)
			}
		case <-time.After(wait):
			t.Fatal("Close did not interrupt the requests")
		}
	}
}

// TestClientRedials checks a broken persistent connection is replaced once.
func TestClientRedials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ts := serveOn(t, Config{}, ln)
	cl := NewClient(addr)
	defer cl.Close()
	ctx := t.Context()
	if _, err := cl.List(ctx); err != nil {
		t.Fatal(err)
	}
	ts.stop() // closes the client's connection
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	serveOn(t, Config{}, ln2)
	if _, err := cl.List(ctx); err != nil {
		t.Errorf("list after the tracker restarted: %v", err)
	}
}

// streamWait bounds TestClientBoundsAnswer's stream.
const streamWait = 2 * time.Minute

func TestClientBoundsAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = enxametest.TLSListener(ln)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(streamWait))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	cl := NewClient(ln.Addr().String())
	defer cl.Close()
	// 64 MiB through TLS under the race detector took over 10 s on a
	// loaded 2-core machine: the bound here is for a hang, not a speed.
	ctx, cancel := context.WithTimeout(t.Context(), streamWait)
	defer cancel()
	if _, err := cl.List(ctx); !errors.Is(err, wire.ErrLineTooLong) {
		t.Errorf("endless answer: %v, want ErrLineTooLong", err)
	}
}
