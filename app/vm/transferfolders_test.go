package vm

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/app/widgets"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
)

// rowOfKey is the row under key, failing the test when there is none.
func rowOfKey(t *testing.T, v *App, key string) TransferRow {
	t.Helper()
	rows, _ := v.Transfers.Rows.Get()
	i := slices.IndexFunc(rows, func(r TransferRow) bool { return r.Key == key })
	if i < 0 {
		t.Fatalf("no row %s in %s", key, rowsText(v))
	}
	return rows[i]
}

// TestFolderDownloadIsOneRow (issue 14): the files of a folder fetched
// whole are one row, with their count, sizes and state together; it
// expands to its files and collapses back; done, it is notified once; its
// grid is its files' chunks one after the other, their source merged.
func TestFolderDownloadIsOneRow(t *testing.T) {
	addr := live.StartTracker(t)
	files := map[string][]byte{
		"album/a.bin":     randomBytes(t, 1<<20),
		"album/sub/b.bin": randomBytes(t, 300<<10),
		"album/c.txt":     []byte("a small file"),
		"other.txt":       []byte("not in the folder"),
	}
	live.StartSeeder(t, addr, files)
	v := newTestApp(t, Settings{Tracker: addr})
	var mu sync.Mutex
	var notified []string
	v.OnDone = func(r TransferRow) { mu.Lock(); notified = append(notified, r.Name); mu.Unlock() }

	root := filepath.Join(v.Settings().Downloads, "album")
	key := FolderKey(root)
	n, err := v.Transfers.StartFolder(t.Context(), "album")
	if err != nil || n != 3 {
		t.Fatalf("StartFolder = %d, %v; want 3", n, err)
	}
	if sel, _ := v.Transfers.Selected.Get(); sel != key {
		t.Errorf("selected %q after StartFolder, want the folder %q", sel, key)
	}
	if _, err := v.Transfers.Start("other.txt", enxametest.ContentID(files["other.txt"])); err != nil {
		t.Fatal(err)
	}
	var size int64
	for name, b := range files {
		if strings.HasPrefix(name, "album/") {
			size += int64(len(b))
		}
	}
	// Before any file is planned the size is the search's.
	if r := rowOfKey(t, v, key); r.Size != size || r.Files != 3 || r.Kind != RowFolder {
		t.Errorf("folder row at once: %d files, %d B, kind %d; want 3 files, %d B, a folder", r.Files, r.Size, r.Kind, size)
	}
	pollUntil(t, v, 30*time.Second, "the folder and the file to finish", func() bool {
		rows, _ := v.Transfers.Rows.Get()
		for _, r := range rows {
			if r.State == StateFailed {
				t.Fatalf("%s failed: %v", r.Name, r.Err)
			}
		}
		return len(rows) == 2 && rows[0].State == StateDone && rows[1].State == StateDone
	})
	rows, _ := v.Transfers.Rows.Get()
	r := rows[0]
	if r.Key != key || r.Name != "album" || r.Files != 3 || r.Ended != 3 || r.Size != size || r.Done != size ||
		r.Fraction != 1 || r.Path != root || !r.Finished() || rows[1].Name != "other.txt" || rows[1].Kind != RowFile {
		t.Fatalf("rows %+v", rows)
	}
	mu.Lock()
	if got := strings.Join(notified, ","); got != "album,other.txt" && got != "other.txt,album" {
		t.Errorf("notified %q; want the folder once and the file", got)
	}
	mu.Unlock()

	// Expanded: its files under it, by their path in the folder.
	v.Transfers.SetExpanded(key, true)
	rows, _ = v.Transfers.Rows.Get()
	var children []string
	for _, r := range rows[1 : len(rows)-1] {
		if r.Kind != RowChild || r.Folder != root {
			t.Errorf("row %+v under the folder is no child of it", r)
		}
		children = append(children, r.Name)
	}
	slices.Sort(children)
	if len(rows) != 5 || !rows[0].Expanded || !slices.Equal(children, []string{"a.bin", "c.txt", "sub/b.bin"}) {
		t.Fatalf("expanded rows: %s", rowsText(v))
	}
	v.Transfers.SetExpanded(key, false)
	if rows, _ = v.Transfers.Rows.Get(); len(rows) != 2 || rows[0].Expanded {
		t.Fatalf("collapsed rows: %s", rowsText(v))
	}

	// The grid: each file's chunks, in the list's order, from one source.
	v.Transfers.Select(key)
	g, _ := v.Transfers.Grid.Get()
	var want []widgets.Cell
	for _, tr := range v.eng.Snapshot().Transfers {
		if tr.Req.Folder == root {
			cells, _, _ := v.eng.Cells(tr.Key, nil, 0)
			want = append(want, gridCells(cells)...)
		}
	}
	if len(want) != 4+2+1 || g.Key != key || g.Per != 1 || !slices.Equal(g.Cells, want) {
		t.Fatalf("folder grid %d cells (per %d), want the files' %d: %v vs %v", len(g.Cells), g.Per, len(want), g.Cells, want)
	}
	peers, _ := v.Transfers.Peers.Get()
	if len(peers) != 1 || peers[0].Chunks != len(want) || len(g.Sources) != 1 {
		t.Errorf("sources %+v (grid %v); want the seeder with %d chunks", peers, g.Sources, len(want))
	}
	if title, _ := v.Transfers.Title.Get(); title != "album" {
		t.Errorf("title %q", title)
	}

	// Clear finished takes the folder off as one.
	if n, err := v.Transfers.ClearFinished(); err != nil || n != 2 {
		t.Fatalf("ClearFinished = %d, %v; want the folder and the file", n, err)
	}
	if n := v.Transfers.Rows.Length(); n != 0 {
		t.Errorf("%d rows left: %s", n, rowsText(v))
	}
}

// startSilentFolder registers files dir/x1.bin … dir/xN.bin with holders
// that never answer, and returns their ids by name.
func startSilentFolder(t *testing.T, addr, dir string, n int) map[string]string {
	ids := map[string]string{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%s/x%d.bin", dir, i)
		ids[name] = enxametest.ContentID([]byte(name))
		startSilentHolder(t, addr, name, ids[name])
	}
	return ids
}

// TestFolderPauseResumeCancel (issue 14): Pause on a folder's row pauses
// every file of it (those running and those queued), Resume runs them
// again, so does Pause all, Cancel takes the folder off; the folder row's
// state follows.
func TestFolderPauseResumeCancel(t *testing.T) {
	addr := live.StartTracker(t)
	startSilentFolder(t, addr, "stuck", 4)
	v := newTestApp(t, Settings{Tracker: addr, MaxActive: 2})
	if n, err := v.Transfers.StartFolder(t.Context(), "stuck"); err != nil || n != 4 {
		t.Fatalf("StartFolder = %d, %v", n, err)
	}
	key := FolderKey(filepath.Join(v.Settings().Downloads, "stuck"))
	pollUntil(t, v, 10*time.Second, "the folder running", func() bool {
		r := rowOfKey(t, v, key)
		return r.Active() && r.State != StateQueued && v.Transfers.Rows.Length() == 1
	})
	if err := v.Transfers.Pause(key); err != nil {
		t.Fatal(err)
	}
	if r := rowOfKey(t, v, key); r.State != StatePaused || !r.Resumable() {
		t.Fatalf("folder after Pause: %s", rowsText(v))
	}
	for _, tr := range v.eng.Snapshot().Transfers {
		if tr.State != StatePaused {
			t.Errorf("%s is %s after the folder's Pause", tr.Name, tr.State)
		}
	}
	if err := v.Transfers.Resume(key); err != nil {
		t.Fatal(err)
	}
	states := map[transfer.State]int{}
	pollUntil(t, v, 10*time.Second, "two files running again, two queued", func() bool {
		clear(states)
		for _, tr := range v.eng.Snapshot().Transfers {
			states[tr.State]++
		}
		r := rowOfKey(t, v, key)
		return r.Active() && r.State != StateQueued && states[StatePaused] == 0 && states[StateQueued] == 2
	})
	// The tray's Pause all pauses each file of the folder too.
	if n := v.Transfers.PauseAll(); n != 4 {
		t.Errorf("PauseAll paused %d, want the folder's 4 files", n)
	}
	if r := rowOfKey(t, v, key); r.State != StatePaused {
		t.Errorf("folder after PauseAll: %s", rowsText(v))
	}
	if err := v.Transfers.Cancel(key); err != nil {
		t.Fatal(err)
	}
	if n := len(v.eng.Snapshot().Transfers); n != 0 || v.Transfers.Rows.Length() != 0 {
		t.Errorf("%d downloads left after the folder's Cancel: %s", n, rowsText(v))
	}
}

// TestFolderMovesAsOne (issue 14): Move up and down take a folder with all
// its files, in their order, past a file or another folder, and a file
// past a whole folder.
func TestFolderMovesAsOne(t *testing.T) {
	addr := live.StartTracker(t)
	ids := startSilentFolder(t, addr, "mid", 3)
	maps.Copy(ids, startSilentFolder(t, addr, "duo", 2))
	for _, name := range []string{"first.bin", "last.bin"} {
		ids[name] = enxametest.ContentID([]byte(name))
		startSilentHolder(t, addr, name, ids[name])
	}
	v := newTestApp(t, Settings{Tracker: addr, MaxActive: 1})
	if _, err := v.Transfers.Start("first.bin", ids["first.bin"]); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Transfers.StartFolder(t.Context(), "mid"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Transfers.Start("last.bin", ids["last.bin"]); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Transfers.StartFolder(t.Context(), "duo"); err != nil {
		t.Fatal(err)
	}
	// The engine's order, by shared name.
	order := func() string {
		var s []string
		for _, tr := range v.eng.Snapshot().Transfers {
			s = append(s, tr.Req.Name)
		}
		return strings.Join(s, " ")
	}
	items := func() string {
		rows, _ := v.Transfers.Rows.Get()
		var s []string
		for _, r := range rows {
			s = append(s, r.Name)
		}
		return strings.Join(s, " ")
	}
	// Each folder's files as they were started, in the order to keep.
	start := strings.Fields(order())
	block := func(dir string) string {
		var s []string
		for _, n := range start {
			if strings.HasPrefix(n, dir+"/") {
				s = append(s, n)
			}
		}
		return strings.Join(s, " ")
	}
	expand := strings.NewReplacer("MID", block("mid"), "DUO", block("duo")).Replace
	if got, want := order(), expand("first.bin MID last.bin DUO"); got != want {
		t.Fatalf("started as %q, want %q", got, want)
	}
	root := v.Settings().Downloads
	mid, duo := FolderKey(filepath.Join(root, "mid")), FolderKey(filepath.Join(root, "duo"))
	for _, step := range []struct {
		what        string
		move        func(string) error
		key         string
		items, list string
	}{
		{"the folder up past a file", v.Transfers.MoveUp, mid, "mid first.bin last.bin duo", "MID first.bin last.bin DUO"},
		{"the folder down past a file", v.Transfers.MoveDown, mid, "first.bin mid last.bin duo", "first.bin MID last.bin DUO"},
		{"a file up past the folder", v.Transfers.MoveUp, "last.bin", "first.bin last.bin mid duo", "first.bin last.bin MID DUO"},
		{"a folder down past a smaller one", v.Transfers.MoveDown, mid, "first.bin last.bin duo mid", "first.bin last.bin DUO MID"},
		{"a folder down past a larger one", v.Transfers.MoveDown, duo, "first.bin last.bin mid duo", "first.bin last.bin MID DUO"},
		{"the folder at the end, down", v.Transfers.MoveDown, duo, "first.bin last.bin mid duo", "first.bin last.bin MID DUO"},
	} {
		k := step.key
		if k == "last.bin" {
			k = keyOf(t, v, "last.bin")
		}
		if err := step.move(k); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		if got := items(); got != step.items {
			t.Errorf("%s: rows %q, want %q", step.what, got, step.items)
		}
		if got, want := order(), expand(step.list); got != want {
			t.Errorf("%s: the engine's order %q, want %q", step.what, got, want)
		}
	}
}

// TestFolderPersistsAcrossRestart (issue 14): the folder of each
// unfinished download is remembered, so after a restart its files are
// still one row; preferences from before the folder was kept still load.
func TestFolderPersistsAcrossRestart(t *testing.T) {
	addr := live.StartTracker(t)
	ids := startSilentFolder(t, addr, "kept", 2)
	a := testApp(t)
	settings := Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"}
	root := filepath.Join(settings.Downloads, "kept")

	v1 := New(a, nil)
	v1.NoPoller = true
	if err := v1.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.Transfers.StartFolder(t.Context(), "kept"); err != nil {
		t.Fatal(err)
	}
	if err := v1.Transfers.Pause(FolderKey(root)); err != nil {
		t.Fatal(err)
	}
	got := LoadPending(a.Preferences())
	if len(got) != 2 {
		t.Fatalf("pending %+v", got)
	}
	for _, p := range got {
		if p.Folder != root || p.Size != 5<<20 || !p.Paused || p.ID != ids[p.Name] {
			t.Errorf("pending %+v; want folder %s, size 5 MiB, paused", p, root)
		}
	}
	v1.Close()

	v2 := New(a, nil)
	v2.NoPoller = true
	if err := v2.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	rows, _ := v2.Transfers.Rows.Get()
	if len(rows) != 1 || rows[0].Key != FolderKey(root) || rows[0].Files != 2 || rows[0].State != StatePaused || rows[0].Size != 10<<20 {
		t.Fatalf("rows after restart: %+v", rows)
	}

	// Written before Folder and Size were kept.
	a.Preferences().SetString(PrefPending, `[{"name":"old.bin","id":"`+strings.Repeat("ab", 32)+`","paused":true,"dir":"/tmp/x"}]`)
	if got := LoadPending(a.Preferences()); len(got) != 1 || got[0] != (Pending{Name: "old.bin", ID: strings.Repeat("ab", 32), Paused: true, Dir: "/tmp/x"}) {
		t.Errorf("old preferences load as %+v", got)
	}
}

// TestFolderRowState: a folder's one state from its files', and its
// progress from their bytes (the search's size for a file not planned).
func TestFolderRowState(t *testing.T) {
	file := func(s transfer.State, done, size int64) Transfer {
		tr := Transfer{}
		tr.State, tr.Done, tr.Size = s, done, size
		tr.Req.Folder = "/d/f"
		return tr
	}
	for _, c := range []struct {
		what  string
		files []Transfer
		want  transfer.State
	}{
		{"one runs", []Transfer{file(StatePaused, 0, 10), file(StateDownloading, 5, 10), file(StateFailed, 0, 10)}, StateDownloading},
		{"one stalled", []Transfer{file(StateQueued, 0, 10), file(StateStalled, 0, 10)}, StateStalled},
		{"all paused", []Transfer{file(StatePaused, 0, 10), file(StatePaused, 3, 10)}, StatePaused},
		{"paused and done", []Transfer{file(StatePaused, 0, 10), file(StateDone, 10, 10)}, StatePaused},
		{"one failed, none runs", []Transfer{file(StatePaused, 0, 10), file(StateFailed, 0, 10), file(StateDone, 10, 10)}, StateFailed},
		{"all done", []Transfer{file(StateDone, 10, 10), file(StateDone, 10, 10)}, StateDone},
		{"queued", []Transfer{file(StateQueued, 0, 10), file(StateDone, 10, 10)}, StateQueued},
		{"queued and paused", []Transfer{file(StateQueued, 0, 10), file(StatePaused, 0, 10)}, StateQueued},
	} {
		t.Run(c.what, func(t *testing.T) {
			r := folderRow(item{key: FolderKey("/d/f"), folder: "/d/f", files: c.files}, false, nil)
			if r.State != c.want {
				t.Errorf("state %s, want %s", r.State, c.want)
			}
		})
	}
	notPlanned := file(StateQueued, 0, 0)
	notPlanned.Req.ID = "id2"
	running, ended := file(StateDownloading, 30, 40), file(StateDone, 0, 0)
	running.Rate, ended.Rate = 100, 900 // the last rate of a finished file
	r := folderRow(item{folder: "/d/f", files: []Transfer{running, notPlanned, ended}}, false, map[string]int64{"id2": 60})
	if r.Size != 100 || r.Done != 30 || r.Fraction != 0.3 || r.Name != "f" || r.Files != 3 || r.Rate != 100 {
		t.Errorf("row %+v; want 30 of 100 B, 3 files, 100 B/s", r)
	}
}

// TestFolderGridBounded: a folder's grid has at most MaxFolderCells
// cells; past that, a cell is done only when all it covers are; a folder
// of more files than that is drawn by files, without reading a chunk.
func TestFolderGridBounded(t *testing.T) {
	done, missing := widgets.MakeCell(widgets.CellDone, 0), widgets.MakeCell(widgets.CellMissing, widgets.NoSource)
	f := newFolder(5, 2) // 3 a cell
	for _, c := range []widgets.Cell{done, done, missing, done, done} {
		f.add(c)
	}
	if got := f.done(); !slices.Equal(got, []widgets.Cell{missing, done}) {
		t.Errorf("folded %v; want [missing done]", got)
	}

	const n = 3*MaxFolderCells + 1
	var files []Transfer
	for i := range n {
		tr := Transfer{Key: fmt.Sprintf("d%d", i)}
		tr.Req.Folder = "/big"
		tr.State = StateQueued
		if i < n/2 {
			tr.State = StateDone
		}
		files = append(files, tr)
	}
	tv := newTransfersVM(nil) // by files: no engine is asked
	g, _ := tv.folderGrid("/big", files)
	if len(g.Cells) > MaxFolderCells || !g.Files || g.Per != 4 {
		t.Fatalf("%d cells, per %d, by files %v; want at most %d, 4 files a cell", len(g.Cells), g.Per, g.Files, MaxFolderCells)
	}
	doneCells := 0
	for _, c := range g.Cells {
		if c.State() == widgets.CellDone {
			doneCells++
		}
	}
	if doneCells != (n/2)/4 {
		t.Errorf("%d cells done; want %d (only those whose files are all done)", doneCells, (n/2)/4)
	}
}
