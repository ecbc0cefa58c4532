package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/wire"
)

var _ peer.Catalog = (*Manager)(nil)

func TestManagerServesPartialAndFinished(t *testing.T) {
	data, m := randomFile(t, 30*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 20 * time.Millisecond
	seed.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	dir := t.TempDir()
	mgr := NewManager(testOptions(tr))
	defer mgr.Close()

	d, err := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Announced complete:false once it has a verified chunk.
	waitFor(t, d, "a partial announcement", func(Progress) bool {
		fs := mgr.Files()
		return len(fs) == 1 && !fs[0].Complete && fs[0].ID == m.ID() && fs[0].Name == "f.bin"
	})
	select {
	case <-mgr.Changes():
	default:
		t.Fatal("no change notification")
	}
	it, ok := mgr.Lookup(m.ID())
	if !ok || it.Have == nil || it.Manifest.ID() != m.ID() {
		t.Fatal("partial download not in the catalog")
	}
	have := it.Have()
	served := 0
	f, err := it.Open()
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.NumChunks() {
		if !have.Has(i) {
			continue
		}
		off, n := m.Chunk(i)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, data[off:off+n]) {
			t.Fatalf("served chunk %d differs", i)
		}
		served++
	}
	f.Close()
	if served == 0 {
		t.Fatal("bitfield empty while announced")
	}

	if err := mgr.Wait(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)
	fs := mgr.Files()
	if len(fs) != 1 || !fs[0].Complete {
		t.Fatalf("finished download announced as %+v", fs)
	}
	it, ok = mgr.Lookup(m.ID())
	if !ok || it.Have != nil {
		t.Fatal("finished download not served complete")
	}
	f, err = it.Open()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Changed on disk: no longer served or announced.
	later := time.Now().Add(time.Hour)
	os.Chtimes(d.Progress().Path, later, later)
	if _, err := it.Open(); !errors.Is(err, peer.ErrChanged) {
		t.Fatalf("changed file opened: %v", err)
	}
	if fs := mgr.Files(); len(fs) != 0 {
		t.Fatalf("changed file still announced: %+v", fs)
	}
}

func TestManagerPauseResumeCancel(t *testing.T) {
	data, m := randomFile(t, 40*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 5 * time.Millisecond
	seed.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	dir := t.TempDir()
	mgr := NewManager(testOptions(tr))
	defer mgr.Close()

	d, _ := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: dir})
	waitFor(t, d, "some progress", func(p Progress) bool { return p.Done >= 4*chunk })
	if err := mgr.Pause(d); err != nil {
		t.Fatal(err)
	}
	p := d.Progress()
	if p.State != StatePaused || !errors.Is(mgr.Wait(t.Context(), d), ErrPaused) {
		t.Fatalf("state %v after pause", p.State)
	}
	if len(hiddenFiles(t, dir)) != 2 {
		t.Fatal("pause lost the partial state")
	}
	if _, ok := mgr.Lookup(m.ID()); ok {
		t.Fatal("paused download still served")
	}
	if err := mgr.Resume(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Wait(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	p = d.Progress()
	checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
	if p.Resumed < 4*chunk {
		t.Fatalf("resume re-fetched: resumed %d", p.Resumed)
	}
	// Chunks fetched before the pause keep their source (issue 15: they
	// were shown as from nobody).
	cells, _ := d.Cells(nil)
	for i, c := range cells {
		if c.State() != ChunkDone || c.Source() < 0 || p.Peers[c.Source()].Addr != seed.addr() {
			t.Fatalf("chunk %d: state %v, source %d; want done by the seeder", i, c.State(), c.Source())
		}
	}

	// Cancel removes the partial files and the entry.
	d2, _ := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: dir})
	waitFor(t, d2, "some progress", func(p Progress) bool { return p.Done >= 2*chunk })
	if err := mgr.Cancel(d2); err != nil {
		t.Fatal(err)
	}
	if h := hiddenFiles(t, dir); len(h) != 0 {
		t.Fatalf("cancel left %v", h)
	}
	if l := mgr.List(); len(l) != 1 || l[0] != d {
		t.Fatalf("list after cancel: %d entries", len(l))
	}
	if _, err := os.Stat(filepath.Join(dir, "f (1).bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("cancelled download was saved")
	}
}

func TestManagerCloseKeepsState(t *testing.T) {
	data, m := randomFile(t, 40*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 5 * time.Millisecond
	seed.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	dir := t.TempDir()
	mgr := NewManager(testOptions(tr))
	d, _ := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: dir})
	waitFor(t, d, "some progress", func(p Progress) bool { return p.Done >= 2*chunk })
	mgr.Close()
	if len(hiddenFiles(t, dir)) != 2 {
		t.Fatal("close lost the partial state")
	}
	if _, err := mgr.Start(t.Context(), Request{Name: "f.bin"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("start after close: %v", err)
	}
}

// TestManagerAddPaused: a download paused in an earlier process comes back
// with Add as paused, without fetching, resumes from its chunks on disk,
// and, added again and cancelled, leaves no partial files.
func TestManagerAddPaused(t *testing.T) {
	data, m := randomFile(t, 40*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 5 * time.Millisecond
	seed.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	dir := t.TempDir()
	req := Request{Name: "f.bin", ID: m.ID(), Dir: dir}

	// The earlier process: paused with some chunks on disk.
	first := NewManager(testOptions(tr))
	d0, _ := first.Start(t.Context(), req)
	waitFor(t, d0, "some progress", func(p Progress) bool { return p.Done >= 4*chunk })
	if err := first.Pause(d0); err != nil {
		t.Fatal(err)
	}
	first.Close()

	tests := []struct {
		name   string
		resume bool // else cancel
	}{
		{"resume", true},
		{"cancel", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "cancel" {
				// A second paused download to cancel.
				mgr := NewManager(testOptions(tr))
				d, _ := mgr.Start(t.Context(), req)
				waitFor(t, d, "some progress", func(p Progress) bool { return p.Done >= 2*chunk })
				mgr.Close()
			}
			mgr := NewManager(testOptions(tr))
			defer mgr.Close()
			d, err := mgr.Add(req)
			if err != nil {
				t.Fatal(err)
			}
			p := d.Progress()
			if p.State != StatePaused || !errors.Is(p.Err, ErrPaused) || p.Name != "f.bin" {
				t.Fatalf("added download: state %v, err %v, name %q", p.State, p.Err, p.Name)
			}
			if l := mgr.List(); len(l) != 1 || l[0] != d {
				t.Fatalf("list: %d entries", len(l))
			}
			if err := mgr.Wait(t.Context(), d); !errors.Is(err, ErrPaused) {
				t.Fatalf("Wait on an added download = %v, want ErrPaused", err)
			}
			if len(mgr.Files()) != 0 {
				t.Fatal("an added download that never ran is announced")
			}
			if len(hiddenFiles(t, dir)) != 2 {
				t.Fatalf("partial state before %s: %v", tt.name, hiddenFiles(t, dir))
			}
			if !tt.resume {
				if err := mgr.Cancel(d); err != nil {
					t.Fatal(err)
				}
				if h := hiddenFiles(t, dir); len(h) != 0 {
					t.Fatalf("cancel left %v", h)
				}
				return
			}
			if err := mgr.Resume(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			if err := mgr.Wait(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			p = d.Progress()
			checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
			if p.Resumed < 4*chunk {
				t.Fatalf("resume re-fetched: resumed %d", p.Resumed)
			}
		})
	}
}

// TestSwarmServesPartialDownload: B downloads only from A, which is itself
// still downloading from a slow seeder and serves its verified chunks
// through the real chunk server (net/peer) with the Manager as catalog.
func TestSwarmServesPartialDownload(t *testing.T) {
	data, m := randomFile(t, 40*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 10 * time.Millisecond
	seed.start(t)
	trA := &fakeTracker{}
	trA.set(result("f.bin", m, seed))
	mgrA := NewManager(testOptions(trA))
	defer mgrA.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := peer.NewServer(peer.Config{Catalog: mgrA, Logger: slog.New(slog.DiscardHandler)})
	sctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(sctx, ln) })
	defer wg.Wait()
	defer stop()

	a, _ := mgrA.Start(t.Context(), Request{Name: "f.bin", Dir: t.TempDir()})
	waitFor(t, a, "A's first chunks", func(p Progress) bool { return p.Done >= 4*chunk })

	trB := &fakeTracker{}
	trB.set(wire.SearchResult{ID: m.ID(), Name: "f.bin", Size: m.Size, Peers: []wire.ResultPeer{{Addr: ln.Addr().String(), Complete: false}}})
	dirB := t.TempDir()
	b := New(Request{Name: "f.bin", Dir: dirB}, testOptions(trB))
	if err := run(t, b); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, b.Progress().Path, filepath.Join(dirB, "f.bin"), data)
	if err := mgrA.Wait(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if got := seed.served.Load(); got != int64(len(data)) {
		t.Fatalf("seeder served %d bytes, want exactly one copy (%d): B did not get its chunks from A", got, len(data))
	}
	if st := srv.Stats(); st.BytesServed < int64(len(data)) {
		t.Fatalf("A served %d bytes, want the whole file", st.BytesServed)
	}
}
