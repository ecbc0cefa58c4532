package vm

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// pollUntil polls v with a clock that moves SearchRefresh at each call
// (the poller's own period does not matter to what is tested) until cond
// holds.
func pollUntil(t *testing.T, v *App, d time.Duration, what string, cond func() bool) {
	t.Helper()
	clock := time.Now()
	enxametest.WaitFor(t, d, what, func() bool {
		clock = clock.Add(SearchRefresh)
		v.Poll(t.Context(), clock)
		return cond()
	})
}

func resultNames(v *App) []string {
	rows, _ := v.Search.Results.Get()
	var names []string
	for _, r := range rows {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// TestSearchResultsFollowTheNetwork: the results on screen are asked
// again while they are shown, so that a file shared since appears and the
// files of a holder that left disappear (issue 15: "1 file on the network"
// while 6 were indexed; a crashed peer's files stayed offered).
func TestSearchResultsFollowTheNetwork(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"alpha.txt": []byte("a")})
	v := newTestApp(t, Settings{Tracker: addr})
	if err := v.Search.Run(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if got := resultNames(v); !slices.Equal(got, []string{"alpha.txt"}) {
		t.Fatalf("results %q", got)
	}
	t.Run("a file shared since appears", func(t *testing.T) {
		live.StartSeeder(t, addr, map[string][]byte{"beta.txt": []byte("b")}) // stops when this subtest ends
		pollUntil(t, v, 15*time.Second, "beta.txt among the results", func() bool {
			return slices.Equal(resultNames(v), []string{"alpha.txt", "beta.txt"})
		})
		if s, _ := v.Search.Status.Get(); s != "2 files on the network" {
			t.Errorf("status %q", s)
		}
	})
	pollUntil(t, v, 15*time.Second, "beta.txt to go with its holder", func() bool {
		return slices.Equal(resultNames(v), []string{"alpha.txt"})
	})
	// A holder that crashed (registered, then silent): its file goes once
	// the tracker drops it for silence.
	c := tracker.NewClient(addr)
	defer c.Close()
	reg, err := c.Register(t.Context(), mustPort(t, deadAddr(t)), []wire.FileEntry{{Name: "crashed.bin", Size: 1, ID: enxametest.ContentID([]byte("c")), Complete: true}})
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, v, 15*time.Second, "crashed.bin among the results", func() bool {
		_ = c.Heartbeat(t.Context(), reg.Token) // alive until seen, however slow the machine
		return slices.Contains(resultNames(v), "crashed.bin")
	})
	pollUntil(t, v, 15*time.Second, "crashed.bin to go once the tracker drops its silent holder", func() bool {
		return slices.Equal(resultNames(v), []string{"alpha.txt"})
	})
}

// TestJoinClearsErrors: after a search and a peer list failed on a
// tracker that does not answer, joining one that does clears both errors
// at once and asks the search on screen again (issue 15: a red "refused"
// stayed under a green status bar).
func TestJoinClearsErrors(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"notes.txt": []byte("n")})
	v := newTestApp(t, Settings{Tracker: deadAddr(t)})
	if err := v.Search.Run(t.Context(), "notes"); err == nil {
		t.Fatal("a search on a dead tracker succeeded")
	}
	if err := v.Network.refresh(t.Context()); err == nil {
		t.Fatal("a peer list from a dead tracker succeeded")
	}
	if err := v.Join(addr); err != nil {
		t.Fatalf("Join: %v", err)
	}
	if err, _ := v.Search.Err.Get(); err != nil {
		t.Errorf("search error %v after joining a tracker that answers", err)
	}
	if err, _ := v.Network.Err.Get(); err != nil {
		t.Errorf("network error %v after joining a tracker that answers", err)
	}
	pollUntil(t, v, 15*time.Second, "the search on screen asked again", func() bool {
		return slices.Equal(resultNames(v), []string{"notes.txt"})
	})
}

// TestJoinDeadAddressRefused: an address nobody answers at is not joined,
// not shown as connected and not remembered (issue 15).
func TestJoinDeadAddressRefused(t *testing.T) {
	addr := live.StartTracker(t)
	v := newTestApp(t, Settings{Tracker: addr})
	pollUntil(t, v, 15*time.Second, "registration", func() bool {
		ok, _ := v.Connected.Get()
		return ok
	})
	dead := deadAddr(t)
	if err := v.Join(dead); err == nil {
		t.Fatal("joining a dead address succeeded")
	}
	if got := v.Settings().Tracker; got != addr {
		t.Errorf("settings remember %q, want %q", got, addr)
	}
	if got, _ := LoadSettings(v.fyne.Preferences()); got.Tracker != addr {
		t.Errorf("preferences remember %q, want %q", got.Tracker, addr)
	}
	v.Poll(t.Context(), time.Now())
	if tr, _ := v.Tracker.Get(); tr != addr {
		t.Errorf("tracker in use %q, want %q", tr, addr)
	}
	if ok, _ := v.Connected.Get(); !ok {
		t.Error("no longer connected to the tracker that answers")
	}
}

// TestStalledDownloadInWords: a download whose only holder does not
// answer says what happens, with no engine error to decode and no rate or
// time left (issue 15: "Stalled: waiting for a source: Something went
// wrong." with "2 B/s · 13211 h 32 min left").
func TestStalledDownloadInWords(t *testing.T) {
	addr := live.StartTracker(t)
	// A holder the tracker lists but nobody answers at (a crashed peer the
	// tracker has not dropped yet).
	c := tracker.NewClient(addr)
	defer c.Close()
	id := enxametest.ContentID([]byte("lost"))
	port := mustPort(t, deadAddr(t))
	reg, err := c.Register(t.Context(), port, []wire.FileEntry{{Name: "lost.bin", Size: 4, ID: id, Complete: true}})
	if err != nil {
		t.Fatal(err)
	}
	v := newTestApp(t, Settings{Tracker: addr})
	if err := c.Heartbeat(t.Context(), reg.Token); err != nil {
		t.Fatal(err) // still listed
	}
	key, err := v.Transfers.Start("lost.bin", id)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	var row TransferRow
	pollUntil(t, v, 15*time.Second, "the download to stall", func() bool {
		_ = c.Heartbeat(t.Context(), reg.Token) // listed until then, however slow the machine
		rs, _ := v.Transfers.Rows.Get()
		if len(rs) != 1 || rs[0].Key != key {
			return false
		}
		row = rs[0]
		return row.State == StateStalled
	})
	if got := row.StateText(); got != "Waiting for a computer that has this file…" {
		t.Errorf("state %q", got)
	}
	if row.Err != nil {
		t.Errorf("a stalled row carries the engine's error %q for the window to word", row.Err)
	}
	if strings.Contains(row.Detail(), "/s") || strings.Contains(row.Detail(), "left") {
		t.Errorf("detail %q shows a rate or a time left", row.Detail())
	}
}

func mustPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTransferDetailHidesMeaninglessRates: under MinShownRate, or with a
// time left past MaxShownETA, neither is shown.
func TestTransferDetailHidesMeaninglessRates(t *testing.T) {
	tests := []struct {
		row  TransferRow
		want string
	}{
		{TransferRow{State: StateDownloading, Done: 1000, Size: 2000, Rate: 2, ETA: 13211 * time.Hour, Sources: 1}, "1.0 kB of 2.0 kB · from 1 computer"},
		{TransferRow{State: StateDownloading, Done: 1000, Size: 2000, Rate: 5000, ETA: 200 * time.Hour, Sources: 2}, "1.0 kB of 2.0 kB · 5.0 kB/s · from 2 computers"},
		{TransferRow{State: StateDownloading, Done: 1000, Size: 2000, Rate: 5000, ETA: 3 * time.Second, Sources: 2}, "1.0 kB of 2.0 kB · 5.0 kB/s · 3 s left · from 2 computers"},
		{TransferRow{State: StateStalled, Done: 1000, Size: 2000, Rate: 5000, ETA: 3 * time.Second}, "1.0 kB of 2.0 kB"},
	}
	for _, tt := range tests {
		if got := tt.row.Detail(); got != tt.want {
			t.Errorf("Detail(%+v) = %q, want %q", tt.row, got, tt.want)
		}
	}
}

// TestPeersOnlineCountsOthers: the count of computers online leaves this
// one out (issue 15: "3 peers online" counted you).
func TestPeersOnlineCountsOthers(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"a.txt": []byte("a")})
	v := newTestApp(t, Settings{Tracker: addr})
	pollUntil(t, v, 15*time.Second, "this app and the seeder listed", func() bool {
		if err := v.Network.refresh(t.Context()); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		peers, _ := v.Network.Peers.Get()
		return len(peers) == 2 && slices.ContainsFunc(peers, func(p NetPeerRow) bool { return p.Me })
	})
	if n, _ := v.PeersOnline.Get(); n != 1 {
		t.Errorf("PeersOnline = %d with one other computer, want 1", n)
	}
	if s, _ := v.Network.Status.Get(); s != "1 other computer online" {
		t.Errorf("network status %q", s)
	}
}

func TestHostSummaryWords(t *testing.T) {
	quiet := hostSummary(&tracker.Stats{Snapshot: tracker.Snapshot{Peers: 2, Entries: 5, Joins: 2}, Conns: 3})
	if want := "Your tracker: 2 computers registered, 5 files indexed · 2 joins, 0 leaves · 3 connections now"; quiet != want {
		t.Errorf("summary %q, want %q", quiet, want)
	}
	if s := hostSummary(&tracker.Stats{Snapshot: tracker.Snapshot{Peers: 1, Entries: 1, Joins: 2, Expired: 1}, Conns: 1}); !strings.Contains(s, "1 computer dropped for going silent") {
		t.Errorf("summary %q does not say a computer went silent", s)
	}
}

// TestDownloadedFilesAreInMyShare: a finished download, which the app
// serves, is listed in My share and counted in the status bar (issue 15).
func TestDownloadedFilesAreInMyShare(t *testing.T) {
	addr := live.StartTracker(t)
	song := randomBytes(t, 300<<10)
	live.StartSeeder(t, addr, map[string][]byte{"music/song.ogg": song})
	mine := t.TempDir()
	p := filepath.Join(mine, "mine.txt")
	if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	v := newTestApp(t, Settings{Tracker: addr, ShareDir: mine})
	pollUntil(t, v, 15*time.Second, "the folder indexed", func() bool {
		indexing, _ := v.Indexing.Get()
		return !indexing && v.Share.Files.Length() == 1
	})
	if _, err := v.Transfers.Start("music/song.ogg", enxametest.ContentID(song)); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, v, 30*time.Second, "the download to finish", func() bool {
		rs, _ := v.Transfers.Rows.Get()
		if len(rs) == 1 && rs[0].State == StateFailed {
			t.Fatalf("download failed: %v", rs[0].Err)
		}
		return len(rs) == 1 && rs[0].State == StateDone
	})
	// Served (so listed) a moment after it is done: within a few polls.
	pollUntil(t, v, 5*time.Second, "My share to list mine.txt and the downloaded song.ogg", func() bool {
		rows, _ := v.Share.Files.Get()
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		return slices.Equal(names, []string{"mine.txt", "song.ogg"})
	})
	if s, _ := v.ShareText.Get(); s != "2 files · "+Size(int64(len(song))+4) {
		t.Errorf("share text %q", s)
	}
}

// TestSourceCountsMatchGridAfterPause: after a pause and a resume, the
// chunks the source table gives each computer are those the grid's
// legend counts for it (issue 15: 209 in the legend, 987 in the table).
func TestSourceCountsMatchGridAfterPause(t *testing.T) {
	addr := live.StartTracker(t)
	data := randomBytes(t, 8<<20) // 32 chunks
	live.StartSeeder(t, addr, map[string][]byte{"slow.bin": data})
	// Slow enough to pause half way.
	v := newTestApp(t, Settings{Tracker: addr, MaxDownload: 2 << 20})
	key, err := v.Transfers.Start("slow.bin", enxametest.ContentID(data))
	if err != nil {
		t.Fatal(err)
	}
	pollUntil(t, v, 30*time.Second, "some chunks before the pause", func() bool {
		rs, _ := v.Transfers.Rows.Get()
		return len(rs) == 1 && rs[0].Done >= 2<<20
	})
	if err := v.Transfers.Pause(key); err != nil {
		t.Fatal(err)
	}
	if err := v.Transfers.Resume(key); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, v, 60*time.Second, "the download to finish", func() bool {
		rs, _ := v.Transfers.Rows.Get()
		if len(rs) == 1 && rs[0].State == StateFailed {
			t.Fatalf("download failed: %v", rs[0].Err)
		}
		return len(rs) == 1 && rs[0].State == StateDone
	})
	v.Transfers.Select(key)
	g, _ := v.Transfers.Grid.Get()
	peers, _ := v.Transfers.Peers.Get()
	legend := make([]int, len(peers))
	for _, c := range g.Cells {
		if s := c.Source(); s >= 0 && s < len(legend) {
			legend[s]++
		}
	}
	for j, p := range peers {
		if p.Chunks != legend[j] {
			t.Errorf("source %d: %d chunks in the table, %d in the grid", j, p.Chunks, legend[j])
		}
	}
}

// TestHostDeathShownPromptly: when the tracker stops answering, the status
// bar says so at the next peer list (every ListInterval), not after the
// session's next heartbeat, here 30 s away (issue 15: "Connected … 0
// peers" stayed green for seconds after the host died).
func TestHostDeathShownPromptly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := tracker.NewServer(tracker.Config{HeartbeatInterval: 30 * time.Second, PeerTimeout: 90 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	v := newTestApp(t, Settings{Tracker: addr})
	pollUntil(t, v, 15*time.Second, "registration", func() bool {
		ok, _ := v.Connected.Get()
		return ok
	})
	cancel() // the host dies
	<-served
	pollUntil(t, v, 10*time.Second, "the status to say the host is lost", func() bool {
		ok, _ := v.Connected.Get()
		return !ok
	})
	if s, _ := v.Connection.Get(); !strings.HasPrefix(s, "Lost the host at "+addr) {
		t.Errorf("connection %q", s)
	}
}

// TestDeadAddressNotRemembered: a first start with an address nobody
// answers at does not make it the next start's; once a tracker answers,
// it is remembered (issue 15: a dead address was accepted and remembered).
func TestDeadAddressNotRemembered(t *testing.T) {
	v := newTestApp(t, Settings{Tracker: deadAddr(t)})
	v.Poll(t.Context(), time.Now())
	if s, setUp := LoadSettings(v.fyne.Preferences()); s.Tracker != "" || setUp && s.Complete() {
		t.Errorf("remembered %+v (set up %v) after starting on a dead address", s, setUp)
	}
	addr := live.StartTracker(t)
	if err := v.Join(addr); err != nil {
		t.Fatal(err)
	}
	if s, _ := LoadSettings(v.fyne.Preferences()); s.Tracker != addr {
		t.Errorf("remembered tracker %q after joining %q", s.Tracker, addr)
	}
}
