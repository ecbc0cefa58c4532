package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
)

// active reports whether a download holds one of the MaxActive places.
func active(s transfer.State) bool {
	switch s {
	case transfer.StatePlanning, transfer.StateVerifying, transfer.StateDownloading, transfer.StateStalled:
		return true
	}
	return false
}

// watchActive counts, at every update of e until the test ends, the
// downloads running at once, and returns the most seen.
func watchActive(t *testing.T, e *Engine) func() int {
	var most atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			n := int64(0)
			for _, tr := range e.Snapshot().Transfers {
				if active(tr.State) {
					n++
				}
			}
			if n > most.Load() {
				most.Store(n)
			}
			select {
			case <-stop:
				return
			case <-e.Updates():
			}
		}
	})
	t.Cleanup(func() { close(stop); wg.Wait() })
	return func() int { return int(most.Load()) }
}

// queueState words the list as "k1:downloading k3:queued#1 …" for
// comparisons and messages; running states all read "running".
func queueState(e *Engine, names map[string]string) string {
	var s []string
	for _, tr := range e.Snapshot().Transfers {
		st := tr.State.String()
		switch {
		case active(tr.State):
			st = "running"
		case tr.State == transfer.StateQueued:
			st = fmt.Sprintf("queued#%d", tr.Queue)
		}
		s = append(s, names[tr.Key]+":"+st)
	}
	return fmt.Sprint(s)
}

// TestDownloadQueue: five downloads with MaxActive 2, on loopback, held
// running by a download limit so that only the test's commands free a
// place: two run and three wait in order; moving changes which starts
// next; pausing a running download frees its place for the first queued,
// resuming queues it again at its place in the list; cancelling frees a
// place too; once the limit is lifted everything left arrives intact, and
// never were more than two running at once.
func TestDownloadQueue(t *testing.T) {
	const size = 8 << 20
	dir := t.TempDir()
	data := map[string][]byte{}
	old := time.Now().Add(-time.Hour)
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("q%d.bin", i)
		b := make([]byte, size)
		r := rand.NewChaCha8([32]byte{byte(i)})
		r.Read(b)
		data[name] = b
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	tr := live.StartTracker(t)
	seeder := start(t, Config{Tracker: tr, ShareDir: dir, Share: ShareOptions{NoCache: true}})
	// At 128 KiB/s, two downloads of 8 MiB take over a minute: none ends
	// while the test moves things around.
	leecher := start(t, Config{Tracker: tr, NoServe: true, MaxActive: 2, MaxDownload: 128 << 10})
	if n := leecher.MaxActive(); n != 2 {
		t.Fatalf("MaxActive %d", n)
	}
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the seeder's files", func() bool {
		resp, err := seeder.Search(t.Context(), "q")
		return err == nil && len(resp.Results) == 5
	})
	most := watchActive(t, leecher)

	keys := map[string]string{}  // q1 → its key
	names := map[string]string{} // key → q1
	for i := 1; i <= 5; i++ {
		k, err := leecher.Download(Request{Name: fmt.Sprintf("q%d.bin", i)})
		if err != nil {
			t.Fatal(err)
		}
		keys[fmt.Sprintf("q%d", i)], names[k] = k, fmt.Sprintf("q%d", i)
	}
	expect := func(what, want string) {
		t.Helper()
		enxametest.WaitFor(t, 20*time.Second, what+": "+want, func() bool { return queueState(leecher, names) == want })
	}
	cmd := func(f func(string) error, q string) {
		t.Helper()
		if err := f(keys[q]); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	expect("two running, three queued in order", "[q1:running q2:running q3:queued#1 q4:queued#2 q5:queued#3]")
	if tr, _ := leecher.Transfer(keys["q4"]); tr.Queue != 2 || tr.State != transfer.StateQueued {
		t.Errorf("Transfer(q4): place %d, state %v", tr.Queue, tr.State)
	}

	cmd(leecher.MoveUp, "q5")
	cmd(leecher.MoveUp, "q5")
	cmd(leecher.MoveDown, "q3")
	expect("q5 moved up twice, q3 down", "[q1:running q2:running q5:queued#1 q4:queued#2 q3:queued#3]")

	cmd(leecher.Pause, "q1")
	expect("q1 paused: q5 takes its place", "[q1:paused q2:running q5:running q4:queued#1 q3:queued#2]")

	cmd(leecher.Resume, "q1")
	expect("q1 resumed: first in the queue, by its place in the list", "[q1:queued#1 q2:running q5:running q4:queued#2 q3:queued#3]")

	cmd(leecher.Pause, "q2")
	expect("q2 paused: q1 runs again", "[q1:running q2:paused q5:running q4:queued#1 q3:queued#2]")

	cmd(leecher.Cancel, "q5")
	delete(keys, "q5")
	expect("q5 cancelled: q4 runs", "[q1:running q2:paused q4:running q3:queued#1]")

	// Lifted: q1 and q4 finish, then q3 gets a place and finishes.
	if err := leecher.SetRateLimits(0, 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"q1", "q4", "q3"} {
		sameFile(t, waitDone(t, leecher, keys[q]), data[q+".bin"])
	}
	expect("all but the paused one done", "[q1:done q2:paused q4:done q3:done]")
	if n := most(); n != 2 {
		t.Errorf("at most %d downloads seen running at once, want 2", n)
	}
}
