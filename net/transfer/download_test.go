package transfer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enxame/enxame/net/wire"
)

const chunk = wire.MinChunkSize

func TestDownloadSizesAndSeeders(t *testing.T) {
	sizes := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"one chunk", chunk},
		{"one chunk plus one", chunk + 1},
		{"many chunks", 13*chunk + 77},
	}
	for _, sz := range sizes {
		for _, seeders := range []int{1, 4} {
			t.Run(sz.name+"/"+string(rune('0'+seeders))+" seeders", func(t *testing.T) {
				data, m := randomFile(t, sz.size)
				var peers []*testPeer
				for range seeders {
					peers = append(peers, newTestPeer(data, m).start(t))
				}
				tr := &fakeTracker{}
				tr.set(result("music/song.ogg", m, peers...))
				dir := t.TempDir()
				d := New(Request{Name: "song.ogg", Dir: dir}, testOptions(tr))
				if err := run(t, d); err != nil {
					t.Fatal(err)
				}
				p := d.Progress()
				checkSaved(t, p.Path, filepath.Join(dir, "song.ogg"), data)
				if p.State != StateDone || p.Done != int64(sz.size) {
					t.Fatalf("progress %v done %d, want done %d", p.State, p.Done, sz.size)
				}
				cells, version := d.Cells(nil)
				if len(cells) != (sz.size+chunk-1)/chunk || version != p.CellsVersion {
					t.Fatalf("%d cells at version %d, want %d at %d", len(cells), version, (sz.size+chunk-1)/chunk, p.CellsVersion)
				}
				for i, c := range cells {
					if c.State() != ChunkDone || c.Source() < 0 || c.Source() >= len(p.Peers) {
						t.Fatalf("chunk %d state %d from %d of %d peers", i, c.State(), c.Source(), len(p.Peers))
					}
				}
				if seeders == 4 && sz.size > 8*chunk {
					used := 0
					for _, pp := range p.Peers {
						if pp.Chunks > 0 {
							used++
						}
					}
					if used < 2 {
						t.Errorf("only %d of 4 seeders supplied chunks", used)
					}
				}
			})
		}
	}
}

func TestSeederKilledMidDownload(t *testing.T) {
	data, m := randomFile(t, 24*chunk)
	dying := newTestPeer(data, m)
	dying.killAfter = 4 * chunk
	dying.start(t)
	slow := newTestPeer(data, m)
	slow.delay = 5 * time.Millisecond
	slow.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, dying, slow))
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	select {
	case <-dying.killed:
	default:
		t.Fatal("the dying seeder was never killed: the test did not test anything")
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)
}

func TestWrongBytes(t *testing.T) {
	data, m := randomFile(t, 16*chunk)
	liar := newTestPeer(data, m)
	liar.corrupt = func(i int) bool { return i%2 == 0 }
	liar.start(t)
	// The honest peer is slow enough (16 chunks × 30 ms) that the liar,
	// answering at once, is asked for more than maxStrikes corrupt chunks
	// however late its connection is set up on a loaded machine (with
	// 2 ms it once finished the file after the liar's second strike).
	honest := newTestPeer(data, m)
	honest.delay = 30 * time.Millisecond
	honest.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, liar, honest))
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	p := d.Progress()
	checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
	var lp PeerProgress
	for _, pp := range p.Peers {
		if pp.Addr == liar.addr() {
			lp = pp
		}
	}
	if lp.Strikes != maxStrikes || !lp.Dropped {
		t.Fatalf("liar: %d strikes, dropped %v; want %d and dropped", lp.Strikes, lp.Dropped, maxStrikes)
	}
	cells, _ := d.Cells(nil)
	for i, c := range cells {
		if p.Peers[c.Source()].Addr == liar.addr() && i%2 == 0 {
			t.Fatalf("corrupt chunk %d credited to the liar", i)
		}
	}
}

func TestOnlyLiarStalls(t *testing.T) {
	data, m := randomFile(t, 4*chunk)
	liar := newTestPeer(data, m)
	liar.corrupt = func(int) bool { return true }
	liar.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, liar))
	opts := testOptions(tr)
	opts.StallTimeout = 700 * time.Millisecond
	d := New(Request{Name: "f.bin", Dir: t.TempDir()}, opts)
	err := run(t, d)
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("got %v, want ErrStalled", err)
	}
}

func TestPeerThatNeverAnswers(t *testing.T) {
	data, m := randomFile(t, 12*chunk)
	mute := newTestPeer(data, m)
	mute.hangGet = true
	mute.start(t)
	good := newTestPeer(data, m)
	good.delay = time.Millisecond
	good.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, mute, good))
	opts := testOptions(tr)
	opts.RequestTimeout = 30 * time.Second // the endgame, not the timeout, must finish it
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, opts)
	start := time.Now()
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	if mute.gets.Load() == 0 {
		t.Fatal("the mute peer was never asked: the test did not test anything")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Fatalf("took %v: a mute peer held the download", el)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)
}

func TestOnlyMutePeerTimesOut(t *testing.T) {
	data, m := randomFile(t, 2*chunk)
	mute := newTestPeer(data, m)
	mute.hangGet = true
	mute.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, mute))
	opts := testOptions(tr)
	opts.RequestTimeout = 200 * time.Millisecond
	opts.StallTimeout = time.Second
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, opts)
	if err := run(t, d); !errors.Is(err, ErrStalled) {
		t.Fatalf("got %v, want ErrStalled", err)
	}
	if h := hiddenFiles(t, dir); len(h) != 2 {
		t.Fatalf("resume state not kept: %v", h)
	}
}

func TestNoSourceStalls(t *testing.T) {
	_, m := randomFile(t, 3*chunk)
	tr := &fakeTracker{}
	tr.set(wire.SearchResult{ID: m.ID(), Name: "f.bin", Size: m.Size, Peers: []wire.ResultPeer{{Addr: "127.0.0.1:1", Complete: true}}})
	opts := testOptions(tr)
	opts.StallTimeout = 500 * time.Millisecond
	d := New(Request{Name: "f.bin", Dir: t.TempDir()}, opts)
	errc := make(chan error, 1)
	go func() { errc <- run(t, d) }()
	waitFor(t, d, "the stalled state", func(p Progress) bool { return p.State == StateStalled })
	if err := <-errc; !errors.Is(err, ErrStalled) {
		t.Fatalf("got %v, want ErrStalled", err)
	}
}

func TestResumeAfterInterruption(t *testing.T) {
	data, m := randomFile(t, 40*chunk)
	seed := newTestPeer(data, m)
	seed.delay = 3 * time.Millisecond
	seed.start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	dir := t.TempDir()

	ctx, cancel := context.WithCancel(t.Context())
	d1 := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	errc := make(chan error, 1)
	go func() { errc <- d1.Run(ctx) }()
	waitFor(t, d1, "10 chunks", func(p Progress) bool { return p.Done >= 10*chunk || p.State == StateDone })
	cancel()
	if err := <-errc; err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}
	if h := hiddenFiles(t, dir); len(h) != 2 {
		t.Fatalf("want a part file and a resume record, got %v", h)
	}
	if _, err := os.Stat(filepath.Join(dir, "f.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a partial file exists under the final name")
	}

	d2 := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d2); err != nil {
		t.Fatal(err)
	}
	p := d2.Progress()
	checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
	if p.Resumed < 5*chunk || p.Fetched >= int64(len(data)) {
		t.Fatalf("resumed %d and fetched %d of %d bytes: did not resume", p.Resumed, p.Fetched, len(data))
	}
}

func TestResumeDistrustsStateAndDisk(t *testing.T) {
	data, m := randomFile(t, 8*chunk)
	dir := t.TempDir()
	// A part file whose record claims every chunk, but chunk 3 is garbage
	// and chunk 5 is zeros.
	part := append([]byte(nil), data...)
	part[3*chunk+10] ^= 1
	clear(part[5*chunk : 6*chunk])
	stem := hiddenPrefix + m.ID()[:16] + "-0123456789abcdef"
	if err := os.WriteFile(filepath.Join(dir, stem+partSuffix), part, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := `{"v":1,"id":"` + m.ID() + `","size":` + strconv.Itoa(len(data)) + `,"name":"f.bin","have":"/w=="}`
	if err := os.WriteFile(filepath.Join(dir, stem+stateSuffix), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	p := d.Progress()
	checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
	if p.Fetched != 2*chunk {
		t.Fatalf("fetched %d bytes, want the 2 bad chunks (%d)", p.Fetched, 2*chunk)
	}
}

func TestNeverOverwrites(t *testing.T) {
	data, m := randomFile(t, chunk+5)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("report.pdf", m, seed))
	dir := t.TempDir()
	for _, n := range []string{"report.pdf", "report (1).pdf"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := New(Request{Name: "report.pdf", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "report (2).pdf"), data)
	for _, n := range []string{"report.pdf", "report (1).pdf"} {
		if b, _ := os.ReadFile(filepath.Join(dir, n)); string(b) != "mine" {
			t.Fatalf("%s was overwritten", n)
		}
	}
}

// TestNeverCollidesIgnoringCase: names that differ only in case are one
// file on Windows, so a download never takes one of them, on any OS.
func TestNeverCollidesIgnoringCase(t *testing.T) {
	data, m := randomFile(t, chunk+5)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("report.pdf", m, seed))
	dir := t.TempDir()
	for _, n := range []string{"REPORT.pdf", "Report (1).PDF"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := New(Request{Name: "report.pdf", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "report (2).pdf"), data)
}

func TestHostileNames(t *testing.T) {
	cases := []struct{ shared, ask, want string }{
		{"../../../../tmp/evil.sh", "evil.sh", "evil.sh"},
		{"a/../../b/x..", "x..", "x"},
		{`C:\Windows\win.ini`, `C:\Windows\win.ini`, "win.ini"},
		{"dir/CON", "CON", "_CON"},
		{"nul.txt", "nul.txt", "_nul.txt"},
		{".enxame-0000000000000000-aa.part", ".enxame-0000000000000000-aa.part", "_.enxame-0000000000000000-aa.part"},
		{"..", "..", fallbackName},
		{"c:", "c:", "c_"},
		{"a\u202eb", "a\u202eb", "ab"},
	}
	data, m := randomFile(t, 10)
	seed := newTestPeer(data, m).start(t)
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			tr := &fakeTracker{}
			tr.set(result(c.shared, m, seed))
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			os.Mkdir(dir, 0o755)
			d := New(Request{Name: c.ask, Dir: dir}, testOptions(tr))
			if err := run(t, d); err != nil {
				t.Fatal(err)
			}
			checkSaved(t, d.Progress().Path, filepath.Join(dir, c.want), data)
			if ents, _ := os.ReadDir(parent); len(ents) != 1 {
				t.Fatalf("wrote outside the folder: %v", ents)
			}
		})
	}
}

// TestDiskFullKeepsState: the disk fills after 4 chunks. ENOSPC comes
// from beneath the writer that ships (each handle it writes through, the
// O_DIRECT one included, fails after 4 writes in all), so its own error
// handling (the O_DIRECT fallback must not swallow it) is what is tested.
// The run stops with a disk-full error, keeps the 4 chunks in its resume
// record, and the next run resumes them.
func TestDiskFullKeepsState(t *testing.T) {
	dirs := []struct{ name, base string }{{"direct I/O", ""}, {"no direct I/O", "/dev/shm"}}
	for _, c := range dirs {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.base != "" {
				d, err := os.MkdirTemp(c.base, "enxame-test-")
				if err != nil {
					t.Skip(err)
				}
				t.Cleanup(func() { os.RemoveAll(d) })
				dir = d
			}
			testDiskFull(t, dir, c.base == "")
		})
	}
}

func testDiskFull(t *testing.T, dir string, wantDirect bool) {
	data, m := randomFile(t, 10*chunk)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	opts := testOptions(tr)
	full := &diskFull{}
	full.left.Store(4)
	opts.wrapFile = full.wrap
	d := New(Request{Name: "f.bin", Dir: dir}, opts)
	err := run(t, d)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("got %v, want a disk-full error", err)
	}
	if handles := full.handles.Load(); wantDirect && handles != 2 && runtime.GOOS == "linux" {
		t.Logf("the writer wrote through %d handle(s): no O_DIRECT on this file system", handles)
	}
	if _, err := os.Stat(filepath.Join(dir, "f.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a partial file exists under the final name")
	}
	var state string
	for _, h := range hiddenFiles(t, dir) {
		if strings.HasSuffix(h, stateSuffix) {
			state = h
		}
	}
	if rec := readStateFile(t, filepath.Join(dir, state)); wire.Bitfield(rec.Have).Count(m.NumChunks()) != 4 {
		t.Fatalf("resume record holds %d chunks, want the 4 written", wire.Bitfield(rec.Have).Count(m.NumChunks()))
	}
	// Space comes back: the next run resumes and finishes.
	d2 := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d2); err != nil {
		t.Fatal(err)
	}
	p := d2.Progress()
	checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
	if p.Resumed != 4*chunk {
		t.Fatalf("resumed %d bytes, want %d", p.Resumed, 4*chunk)
	}
}

// TestDiskFullOnRealFileSystem: a real small file system (a 1 MiB tmpfs,
// mounted by the test where it may, skipped elsewhere) and a 2 MiB file:
// the preallocation meets the full disk before the first chunk, the
// kernel's ENOSPC is reported, nothing is left under the final name nor
// half-made in the folder.
func TestDiskFullOnRealFileSystem(t *testing.T) {
	if !unixFS {
		t.Skip("without fallocate (fs_linux.go) a full disk shows only when chunks are written")
	}
	dir := mountSmallTmpfs(t, 1<<20)
	data, m := randomFile(t, 8*chunk)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	err := run(t, d)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("got %v, want a disk-full error", err)
	}
	if seed.gets.Load() != 0 {
		t.Fatalf("%d chunks asked for before the disk was known to be full", seed.gets.Load())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left %v in the full folder", ents)
	}
}

func TestUnwritableFolder(t *testing.T) {
	data, m := randomFile(t, 10)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	for _, dir := range []string{notDir, filepath.Join(t.TempDir(), "missing")} {
		d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
		if err := run(t, d); err == nil || !strings.Contains(err.Error(), "download folder") {
			t.Fatalf("%s: got %v, want a download folder error", dir, err)
		}
	}
}

func TestTwoDownloadsOfOneFile(t *testing.T) {
	data, m := randomFile(t, 12*chunk)
	a := newTestPeer(data, m).start(t)
	b := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, a, b))
	dir := t.TempDir()
	var wg sync.WaitGroup
	ds := []*Download{New(Request{Name: "f.bin", Dir: dir}, testOptions(tr)), New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))}
	errs := make([]error, 2)
	for i, d := range ds {
		wg.Go(func() { errs[i] = run(t, d) })
	}
	wg.Wait()
	paths := map[string]bool{}
	for i, d := range ds {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		p := d.Progress().Path
		paths[p] = true
		if got, _ := os.ReadFile(p); string(got) != string(data) {
			t.Fatalf("%s differs", p)
		}
	}
	if !paths[filepath.Join(dir, "f.bin")] || !paths[filepath.Join(dir, "f (1).bin")] {
		t.Fatalf("saved as %v", paths)
	}
	if h := hiddenFiles(t, dir); len(h) != 0 {
		t.Fatalf("left %v", h)
	}
}

func TestPartialHoldersOnly(t *testing.T) {
	data, m := randomFile(t, 10*chunk)
	n := m.NumChunks()
	even, odd := wire.NewBitfield(n), wire.NewBitfield(n)
	for i := range n {
		if i%2 == 0 {
			even.Set(i)
		} else {
			odd.Set(i)
		}
	}
	pa := newTestPeer(data, m)
	pa.have = even
	pa.start(t)
	pb := newTestPeer(data, m)
	pb.have = odd
	pb.start(t)
	// pb joins later: the first answer only lists pa.
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, pa))
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	errc := make(chan error, 1)
	go func() { errc <- run(t, d) }()
	waitFor(t, d, "the partial holder's chunks", func(p Progress) bool { return p.Done >= 5*chunk || p.State >= StateDone })
	if p := d.Progress(); p.State != StateDownloading && p.State != StateStalled {
		t.Fatalf("state %v before the second holder joined", p.State)
	}
	tr.set(result("f.bin", m, pa, pb))
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)
}

func TestBadManifestRejected(t *testing.T) {
	data, m := randomFile(t, 3*chunk)
	other, om := randomFile(t, 3*chunk)
	// A peer that answers the id with another file's manifest.
	liar := newTestPeer(other, om)
	liar.id = m.ID()
	liar.start(t)
	good := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, liar), result("f.bin", m, good))
	dir := t.TempDir()
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)

	// Only the liar: the manifest never checks out.
	tr.set(result("f.bin", m, liar))
	opts := testOptions(tr)
	opts.StallTimeout = 300 * time.Millisecond
	d = New(Request{Name: "f.bin", Dir: t.TempDir()}, opts)
	if err := run(t, d); !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("got %v, want a stall after a manifest mismatch", err)
	}
}

func TestNotFoundSuggests(t *testing.T) {
	_, m := randomFile(t, 10)
	tr := &fakeTracker{}
	tr.set(wire.SearchResult{ID: m.ID(), Name: "holiday-2024.jpg", Size: 10})
	d := New(Request{Name: "holiday", Dir: t.TempDir()}, testOptions(tr))
	err := run(t, d)
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) || len(nf.Suggestions) != 1 || nf.Suggestions[0] != "holiday-2024.jpg" {
		t.Fatalf("got %v", err)
	}
}

func TestChunkBuffersBounded(t *testing.T) {
	for _, c := range []struct {
		chunkSize int64
		want      int
	}{{wire.MinChunkSize, 128}, {512 << 10, 64}, {4 << 20, 8}, {wire.MaxChunkSize, minBufs}} {
		b := newChunkBufs(c.chunkSize)
		if cap(b.sem) != c.want || int64(cap(b.sem))*c.chunkSize > maxBufBytes+minBufs*wire.MaxChunkSize {
			t.Errorf("chunk size %d: %d buffers, want %d", c.chunkSize, cap(b.sem), c.want)
		}
		// All of them can be taken; one more waits until one is returned.
		var got []*[]byte
		for range cap(b.sem) {
			p, err := b.get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		if _, err := b.get(ctx); err == nil {
			t.Fatal("got a buffer over the bound")
		}
		cancel()
		for _, p := range got {
			b.put(p)
		}
	}
}

// FuzzResumeRecord: whatever the resume record holds, resuming never
// fails or panics, only chunks that verify on disk count, and unless the
// record names another file every chunk that does is found.
func FuzzResumeRecord(f *testing.F) {
	data, m := randomFile(f, 3*chunk+100)
	f.Add([]byte(`{"v":1,"id":"` + m.ID() + `","size":786532,"name":"f","have":"8A=="}`))
	f.Add([]byte(`{"v":1,"id":"` + m.ID() + `","size":786532,"name":"f","have":"/w=="}`))
	f.Add([]byte(`{"have":null}`))
	f.Add([]byte(`not json`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rec []byte) {
		dir := t.TempDir()
		stem := hiddenPrefix + m.ID()[:16] + "-00000000000000ff"
		part := append([]byte(nil), data...)
		part[2*chunk] ^= 1 // chunk 2 is damaged on disk
		os.WriteFile(filepath.Join(dir, stem+partSuffix), part, 0o644)
		os.WriteFile(filepath.Join(dir, stem+stateSuffix), rec, 0o644)
		st, claimed, err := openStore(dir, m.ID(), "f", m, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		if !claimed.ValidFor(m.NumChunks()) {
			t.Fatalf("claimed bitfield of %d bytes", len(claimed))
		}
		have, err := st.verify(t.Context(), claimed, newChunkBufs(m.ChunkSize), func(int, bool) {})
		if err != nil {
			t.Fatal(err)
		}
		if have.Has(2) {
			t.Fatal("a damaged chunk verified")
		}
		resumed := claimed.Count(m.NumChunks()) > 0
		for i := range m.NumChunks() {
			if have.Has(i) && !claimed.Has(i) {
				t.Fatalf("chunk %d verified without being claimed", i)
			}
			if resumed && i != 2 && !have.Has(i) {
				t.Fatalf("chunk %d on disk not found", i)
			}
		}
	})
}

// TestDownloadWithoutDirectIO: a file system that refuses O_DIRECT (tmpfs)
// gets ordinary writes.
func TestDownloadWithoutDirectIO(t *testing.T) {
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		t.Skip("no /dev/shm")
	}
	dir, err := os.MkdirTemp(base, "enxame-test-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(dir)
	data, m := randomFile(t, 5*chunk+3)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
	if err := run(t, d); err != nil {
		t.Fatal(err)
	}
	checkSaved(t, d.Progress().Path, filepath.Join(dir, "f.bin"), data)
}

// TestResumeFindsUnrecordedChunks: a crash comes between a chunk's write
// and the next resume record (the first one a second in), so the part
// file holds chunks its record does not list, or it has no record at all.
// Resuming re-checks every chunk the part file may hold and fetches only
// the others. Before, only the recorded chunks were checked (and a part
// file without a record was ignored), so everything was fetched again.
func TestResumeFindsUnrecordedChunks(t *testing.T) {
	onDisk := []int{0, 2, 3, 6}
	for _, c := range []struct {
		name   string
		record []int
		none   bool
	}{
		{"no record", nil, true},
		{"empty record", []int{}, false},
		{"stale record", []int{0}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, m := randomFile(t, 8*chunk-5)
			dir := t.TempDir()
			rec := c.record
			if rec == nil && !c.none {
				rec = []int{}
			}
			writePart(t, dir, m, data, onDisk, rec)
			seed := newTestPeer(data, m).start(t)
			tr := &fakeTracker{}
			tr.set(result("f.bin", m, seed))
			d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
			if err := run(t, d); err != nil {
				t.Fatal(err)
			}
			p := d.Progress()
			checkSaved(t, p.Path, filepath.Join(dir, "f.bin"), data)
			var want int64
			for i := range m.NumChunks() {
				if !slices.Contains(onDisk, i) {
					_, size := m.Chunk(i)
					want += size
				}
			}
			if got := seed.served.Load(); got != want {
				t.Fatalf("the peer served %d bytes, want only the %d of the chunks not on disk", got, want)
			}
			if p.Resumed != int64(len(onDisk))*chunk {
				t.Fatalf("resumed %d bytes, want %d", p.Resumed, len(onDisk)*chunk)
			}
		})
	}
}

// TestVerifyChunksOfZeros: a chunk that is all zeros in the file verifies
// from a hole or from zeros on disk without being fetched.
func TestVerifyChunksOfZeros(t *testing.T) {
	data := make([]byte, 4*chunk)
	copy(data[chunk:], "not zeros")
	m, err := wire.ManifestOf(bytes.NewReader(data), int64(len(data)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stem := testStem(m)
	f, err := os.Create(filepath.Join(dir, stem+partSuffix))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(int64(len(data))) // holes where the file system has them
	f.Close()
	st, claimed, err := openStore(dir, m.ID(), "f", m, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	have, err := st.verify(t.Context(), claimed, newChunkBufs(m.ChunkSize), func(int, bool) {})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if have.Has(i) != (i != 1) {
			t.Fatalf("chunk %d verified: %v", i, have.Has(i))
		}
	}
}
