package vm

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// TestAutostart: the entry is written where the desktop looks (under the
// isolated config folder here), runs this program, and goes away when
// turned off.
func TestAutostart(t *testing.T) {
	p, err := AutostartFile()
	if err != nil {
		t.Skip(err)
	}
	if Autostart() {
		t.Fatal("autostart on in a fresh config folder")
	}
	if err := SetAutostart(true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	exe, _ := os.Executable()
	if err != nil || !Autostart() || !strings.Contains(string(b), "Exec="+desktopQuote(exe)+"\n") || !strings.HasPrefix(string(b), "[Desktop Entry]\n") {
		t.Fatalf("entry %q, %v", b, err)
	}
	if err := SetAutostart(false); err != nil || Autostart() {
		t.Fatalf("still on after turning it off: %v", err)
	}
	if err := SetAutostart(false); err != nil {
		t.Fatalf("turning off twice: %v", err)
	}
	if got := desktopQuote(`/opt/my "apps"/$x\enxame`); got != `"/opt/my \"apps\"/\$x\\enxame"` {
		t.Errorf("quoted %s", got)
	}
}

// TestCloseAction: unknown values read as "ask"; a choice is remembered.
func TestCloseAction(t *testing.T) {
	v := New(testApp(t), nil)
	if v.CloseAction() != CloseAsk {
		t.Fatal("a fresh app does not ask")
	}
	v.SetCloseAction(CloseKeep)
	if v.CloseAction() != CloseKeep {
		t.Fatal("keep not remembered")
	}
	v.fyne.Preferences().SetString(PrefCloseAction, "explode")
	if v.CloseAction() != CloseAsk {
		t.Fatal("a bad stored value is not ask")
	}
}

// TestPauseAll: the tray's "Pause all" pauses what runs and what waits
// its turn, and leaves finished and paused ones alone.
func TestPauseAll(t *testing.T) {
	addr := live.StartTracker(t)
	ids := []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)}
	for i, id := range ids {
		startSilentHolder(t, addr, fmt.Sprintf("stuck-%d.bin", i), id)
	}
	v := newTestApp(t, Settings{Tracker: addr, MaxActive: 2})
	for i, id := range ids {
		if _, err := v.Transfers.Start(fmt.Sprintf("stuck-%d.bin", i), id); err != nil {
			t.Fatal(err)
		}
	}
	v.Poll(t.Context(), time.Now())
	if n := v.Transfers.PauseAll(); n != 3 {
		t.Fatalf("paused %d, want the 2 running and the 1 queued", n)
	}
	v.Poll(t.Context(), time.Now())
	rows, _ := v.Transfers.Rows.Get()
	for _, r := range rows {
		if r.State != transfer.StatePaused {
			t.Errorf("%s is %v after Pause all", r.Name, r.State)
		}
	}
	if n := v.Transfers.PauseAll(); n != 0 {
		t.Errorf("paused %d more the second time", n)
	}
}

// TestChangeDownloadsFolder (issue 14): a new downloads folder takes the
// next downloads; one already started stays (and comes back after a
// restart) where its chunks are.
func TestChangeDownloadsFolder(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"notes.txt": []byte("the notes")})
	stuck := strings.Repeat("ab", 32)
	startSilentHolder(t, addr, "stuck.bin", stuck)
	a := testApp(t)
	first, second := t.TempDir(), t.TempDir()+"/new"
	settings := Settings{Tracker: addr, Downloads: first, PeerListen: "127.0.0.1:0"}
	v := New(a, nil)
	v.NoPoller = true
	v.Discovery = live.LoopbackDiscovery(t)
	if err := v.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Transfers.Start("stuck.bin", stuck); err != nil {
		t.Fatal(err)
	}
	if err := v.SetDownloads(second); err != nil {
		t.Fatal(err)
	}
	if d, _ := v.DownloadsDir.Get(); d != second || v.Settings().Downloads != second {
		t.Fatalf("downloads folder %q / %q, want %q", d, v.Settings().Downloads, second)
	}
	if err := v.Search.Run(t.Context(), "notes"); err != nil {
		t.Fatal(err)
	}
	rows, _ := v.Search.Results.Get()
	if len(rows) != 1 {
		t.Fatalf("search rows %+v", rows)
	}
	key, err := v.Transfers.Start(rows[0].Name, rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.eng.WaitDownload(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(second + "/notes.txt"); err != nil || string(b) != "the notes" {
		t.Fatalf("new download not in the new folder: %q, %v", b, err)
	}
	v.Poll(t.Context(), time.Now())
	v.Close()

	s, _ := LoadSettings(a.Preferences())
	if s.Downloads != second {
		t.Fatalf("remembered downloads folder %q", s.Downloads)
	}
	v2 := New(a, nil)
	v2.NoPoller = true
	v2.Discovery = live.LoopbackDiscovery(t)
	s.PeerListen = "127.0.0.1:0"
	if err := v2.Start(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	found := false
	for _, tr := range v2.eng.Snapshot().Transfers {
		if tr.Req.ID == stuck {
			found = true
			if tr.Req.Dir != first {
				t.Fatalf("the download started before the change resumes in %q, want %q", tr.Req.Dir, first)
			}
		}
	}
	if !found {
		t.Fatal("the unfinished download did not come back after the restart")
	}
}

// TestSearchFoldersAndDownloadOne (issue 14): search results offer the
// folders they come from, each with its file count and size; one Download
// fetches the whole folder into the downloads folder, keeping the tree.
func TestSearchFoldersAndDownloadOne(t *testing.T) {
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{
		"course/slides/a.pdf":     []byte("slide a"),
		"course/slides/sub/b.pdf": []byte("slide bb"),
		"course/notes.txt":        []byte("notes"),
		"archive/slides/old.pdf":  []byte("old"),
	})
	v := newTestApp(t, Settings{Tracker: addr})
	if err := v.Search.Run(t.Context(), "slides"); err != nil {
		t.Fatal(err)
	}
	folders, _ := v.Search.Folders.Get()
	got := map[string]NetFolderRow{}
	for _, f := range folders {
		got[f.Path] = f
	}
	if len(folders) != 2 || got["course/slides"].Files != 2 || got["course/slides"].Size != 15 || got["archive/slides"].Files != 1 {
		t.Fatalf("folders %+v; want course/slides (2 files, 15 B) and archive/slides (1)", folders)
	}
	if err := v.Search.Run(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if folders, _ = v.Search.Folders.Get(); len(folders) != 2 {
		t.Fatalf("with no query, the top folders: %+v", folders)
	}

	n, err := v.Transfers.StartFolder(t.Context(), "course/slides")
	if err != nil || n != 2 {
		t.Fatalf("StartFolder = %d, %v; want 2", n, err)
	}
	for _, tr := range v.eng.Snapshot().Transfers {
		if err := v.eng.WaitDownload(t.Context(), tr.Key); err != nil {
			t.Fatal(err)
		}
	}
	root := v.Settings().Downloads + "/slides"
	for rel, want := range map[string]string{"a.pdf": "slide a", "sub/b.pdf": "slide bb"} {
		if b, err := os.ReadFile(root + "/" + rel); err != nil || string(b) != want {
			t.Errorf("%s: %q, %v", rel, b, err)
		}
	}
	if _, err := os.Stat(v.Settings().Downloads + "/notes.txt"); err == nil {
		t.Error("a file outside the folder was downloaded")
	}
}

// TestOneRowPerContent (issue 14): the same content under two names (two
// folders, two computers) is one row, its computers counted together and
// its other name listed; two contents under one name stay two rows.
func TestOneRowPerContent(t *testing.T) {
	id1, id2 := strings.Repeat("1a", 32), strings.Repeat("2b", 32)
	resp := &wire.SearchResponse{Results: []wire.SearchResult{
		{ID: id1, Name: "aulas/intro.pdf", Size: 10, Peers: []wire.ResultPeer{{Addr: "10.0.0.1:7000", Complete: true}}},
		{ID: id1, Name: "copia/intro.pdf", Size: 10, Peers: []wire.ResultPeer{{Addr: "10.0.0.2:7000", Complete: true}, {Addr: "10.0.0.1:7001", Complete: true}}},
		{ID: id2, Name: "notes.txt", Size: 3, Peers: []wire.ResultPeer{{Addr: "10.0.0.3:7000", Complete: true}}},
		{ID: id1, Name: "notes.txt", Size: 10, Peers: []wire.ResultPeer{{Addr: "10.0.0.4:7000"}}},
	}}
	rows := searchRows(resp, nil)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want one per content: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.ID != id1 || r.Name != "aulas/intro.pdf" || r.Complete != 2 || r.Partial != 1 ||
		!strings.Contains(r.Display, "also as copia/intro.pdf, notes.txt") {
		t.Errorf("merged row %+v", r)
	}
	if rows[1].ID != id2 || rows[1].Complete != 1 {
		t.Errorf("second row %+v", rows[1])
	}
}
