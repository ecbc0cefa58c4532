package tracker

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// waitStatus waits (bounded) until s's status satisfies ok.
func waitStatus(t *testing.T, s *Session, what string, ok func(SessionStatus) bool) SessionStatus {
	t.Helper()
	deadline := time.After(wait)
	for {
		st := s.Status()
		if ok(st) {
			return st
		}
		select {
		case <-s.Changed():
		case <-deadline:
			t.Fatalf("session never %s; status %+v", what, st)
		}
	}
}

func runSession(t *testing.T, s *Session) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(wait):
				t.Errorf("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestSessionLifecycle(t *testing.T) {
	ts := startServer(t, Config{HeartbeatInterval: 50 * time.Millisecond, PeerTimeout: 2 * time.Second})
	s := NewSession(SessionConfig{Tracker: ts.addr, Port: 7001}, []wire.FileEntry{file("one.txt", "1")})
	stop := runSession(t, s)
	st := waitStatus(t, s, "registered", func(st SessionStatus) bool { return st.Registered })
	if st.Addr != "127.0.0.1:7001" || st.Tracker != ts.addr || st.Files != 1 || st.LastContact.IsZero() {
		t.Errorf("status = %+v", st)
	}
	// Heartbeats keep coming: LastContact moves on.
	first := st.LastContact
	waitStatus(t, s, "heartbeating", func(st SessionStatus) bool { return st.LastContact.After(first) })

	// Quick changes are coalesced and reach the tracker.
	s.SetFiles([]wire.FileEntry{file("two.txt", "2")})
	s.SetFiles([]wire.FileEntry{file("two.txt", "2"), file("three.txt", "3")})
	ctx := t.Context()
	cl := NewClient(ts.addr)
	defer cl.Close()
	deadline := time.After(wait)
	for {
		res, err := cl.Search(ctx, ".txt")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Results) == 2 {
			break
		}
		select {
		case <-s.Changed():
		case <-deadline:
			t.Fatalf("update never arrived: %+v", res)
		}
	}
	if got := s.Status().Files; got != 2 {
		t.Errorf("status files = %d", got)
	}
	updates := 0
	for _, e := range ts.Stats().Events {
		if e.Kind == EventUpdated {
			updates++
		}
	}
	if updates != 1 {
		t.Errorf("%d updates for two quick changes, want 1", updates)
	}

	// Ending the session unregisters.
	stop()
	if l, err := cl.List(ctx); err != nil || len(l.Peers) != 0 {
		t.Errorf("list after the session ended: %+v %v", l, err)
	}
	if s.Status().Registered {
		t.Error("status still registered after Run returned")
	}
}

func TestSessionReregistersWhenForgotten(t *testing.T) {
	ts := startServer(t, Config{HeartbeatInterval: 50 * time.Millisecond, PeerTimeout: 5 * time.Second})
	s := NewSession(SessionConfig{Tracker: ts.addr, Port: 7002}, nil)
	runSession(t, s)
	waitStatus(t, s, "registered", func(st SessionStatus) bool { return st.Registered })
	// Another registration at the same ip:port invalidates the session's token.
	cl := NewClient(ts.addr)
	defer cl.Close()
	if _, err := cl.Register(t.Context(), 7002, []wire.FileEntry{file("impostor", "i")}); err != nil {
		t.Fatal(err)
	}
	before := ts.Stats().Joins
	deadline := time.After(wait)
	for ts.Stats().Joins == before {
		select {
		case <-s.Changed():
		case <-deadline:
			t.Fatal("session did not register again after unknown_peer")
		}
	}
}

// TestTrackerRestart kills the tracker while sessions run and starts a new
// one on the same address: every peer is back in its list within about one
// heartbeat.
func TestTrackerRestart(t *testing.T) {
	const heartbeat = 500 * time.Millisecond
	cfg := Config{HeartbeatInterval: heartbeat, PeerTimeout: 3 * heartbeat}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	old := serveOn(t, cfg, ln)
	const n = 20
	sessions := make([]*Session, n)
	for i := range sessions {
		sessions[i] = NewSession(SessionConfig{Tracker: addr, Port: 8000 + i},
			[]wire.FileEntry{file(fmt.Sprintf("peer%d.dat", i), fmt.Sprint(i))})
		runSession(t, sessions[i])
	}
	for _, s := range sessions {
		waitStatus(t, s, "registered", func(st SessionStatus) bool { return st.Registered })
	}
	if got := old.Stats().Peers; got != n {
		t.Fatalf("%d peers before the restart", got)
	}

	old.stop()
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	restarted := time.Now()
	fresh := serveOn(t, cfg, ln2)
	var slowest time.Duration
	for _, s := range sessions {
		st := waitStatus(t, s, "back after the restart", func(st SessionStatus) bool {
			return st.Registered && st.LastContact.After(restarted)
		})
		slowest = max(slowest, st.LastContact.Sub(restarted))
	}
	// Registered again means a register answered by the new tracker.
	cl := NewClient(addr)
	defer cl.Close()
	for range 100 {
		l, err := cl.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Peers) == n {
			break
		}
		select {
		case <-sessions[0].Changed():
		case <-time.After(heartbeat):
		}
	}
	if got := fresh.Stats().Peers; got != n {
		t.Fatalf("%d of %d peers back in the new tracker's list", got, n)
	}
	t.Logf("all %d peers back %v after the restart (heartbeat %v)", n, slowest.Round(time.Millisecond), heartbeat)
	// One heartbeat, plus generous room for a loaded machine.
	if slowest > heartbeat+2*time.Second {
		t.Errorf("peers took %v to come back, heartbeat is %v", slowest, heartbeat)
	}
}
