package ui

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// TestTransfersQueueFromTheWindow: "Downloads at once" on My share set to
// 1 leaves the later downloads queued, their rows saying so; Move up moves
// the selected one ahead in the queue; Clear finished takes the done and
// failed rows off, and is offered only when there are some.
func TestTransfersQueueFromTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	small := []byte("a small file")
	live.StartSeeder(t, addr, map[string][]byte{"small.txt": small})
	ids := map[string]string{}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("s%d.bin", i)
		ids[name] = strings.Repeat(fmt.Sprintf("%02x", i), 32)
		live.StartSilentHolder(t, addr, name, ids[name])
	}
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.win.Resize(fyne.NewSize(1100, 720))

	st := u.main.share
	if st.maxActive.Selected != "3" {
		t.Errorf("downloads at once shows %q, want the default 3", st.maxActive.Selected)
	}
	st.maxActive.SetSelected("1")
	if n := u.vm.Settings().MaxActive; n != 1 {
		t.Fatalf("setting after choosing 1: %d", n)
	}

	tt := u.main.transfers
	if tt.queueBar.Visible() {
		t.Error("queue buttons shown with no downloads")
	}
	poll := func(what string, cond func([]vm.TransferRow) bool) {
		t.Helper()
		enxametest.WaitFor(t, 10*time.Second, what, func() bool {
			u.vm.Poll(t.Context(), time.Now())
			rows, _ := u.vm.Transfers.Rows.Get()
			return cond(rows)
		})
	}
	start := func(name, id string) {
		t.Helper()
		if _, err := u.vm.Transfers.Start(name, id); err != nil {
			t.Fatal(err)
		}
	}
	start("small.txt", enxametest.ContentID(small))
	poll("small.txt done", func(rs []vm.TransferRow) bool { return rs[0].State == vm.StateDone })
	start("gone.txt", strings.Repeat("ee", 32))
	poll("gone.txt failed", func(rs []vm.TransferRow) bool { return rs[1].State == vm.StateFailed })
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("s%d.bin", i)
		start(name, ids[name])
	}
	names := func() []string {
		rows, _ := u.vm.Transfers.Rows.Get()
		var s []string
		for _, r := range rows {
			s = append(s, r.Name)
		}
		return s
	}
	poll("s2 and s3 queued", func(rs []vm.TransferRow) bool {
		return len(rs) == 5 && rs[3].State == vm.StateQueued && rs[4].State == vm.StateQueued && rs[2].Active()
	})
	if !tt.queueBar.Visible() || tt.clear.Disabled() {
		t.Fatal("queue buttons hidden, or Clear finished disabled with a done download listed")
	}

	// The last row selected: it can go up, not down.
	tt.list.Select(4)
	if sel, _ := u.vm.Transfers.Selected.Get(); sel != keyOfRow(t, u, "s3.bin") {
		t.Fatalf("selected %q, want s3.bin's row", sel)
	}
	if tt.moveUp.Disabled() || !tt.moveDown.Disabled() {
		t.Errorf("last row: Move up disabled %v, Move down disabled %v", tt.moveUp.Disabled(), tt.moveDown.Disabled())
	}
	test.Tap(tt.moveUp)
	if got := names(); !slices.Equal(got, []string{"small.txt", "gone.txt", "s1.bin", "s3.bin", "s2.bin"}) {
		t.Fatalf("rows after Move up %v", got)
	}
	var shown string
	for _, w := range tt.rowWidgets {
		if w.row.Name == "s3.bin" && w.id == 3 {
			shown = w.state.Text
		}
	}
	if shown != "Queued: starts next" {
		t.Errorf("s3.bin's row says %q, want Queued: starts next", shown)
	}
	if tt.moveUp.Disabled() || tt.moveDown.Disabled() {
		t.Error("a middle row cannot move both ways")
	}

	test.Tap(tt.clear)
	if got := names(); !slices.Equal(got, []string{"s1.bin", "s3.bin", "s2.bin"}) {
		t.Fatalf("rows after Clear finished %v", got)
	}
	if !tt.clear.Disabled() {
		t.Error("Clear finished still offered with nothing finished")
	}
}

func keyOfRow(t *testing.T, u *UI, name string) string {
	t.Helper()
	rows, _ := u.vm.Transfers.Rows.Get()
	for _, r := range rows {
		if r.Name == name {
			return r.Key
		}
	}
	t.Fatalf("no row %s", name)
	return ""
}

// TestMyShareSeveralFolders: a folder added on My share is listed with the
// first under their labels, each with its count; Stop sharing on a row
// takes that folder off, and with one folder left the list goes away.
func TestMyShareSeveralFolders(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	root := t.TempDir()
	docs, music := filepath.Join(root, "docs"), filepath.Join(root, "music")
	old := time.Now().Add(-time.Hour)
	for _, f := range []struct{ dir, name string }{{docs, "a.txt"}, {music, "b.mp3"}, {music, "c.mp3"}} {
		os.MkdirAll(f.dir, 0o755)
		p := filepath.Join(f.dir, f.name)
		os.WriteFile(p, []byte(f.name), 0o644)
		os.Chtimes(p, old, old)
	}
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-share", docs, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	st := u.main.share
	if st.folders.Visible() {
		t.Error("a folder list with one folder shared")
	}
	st.addFolder(music)
	enxametest.WaitFor(t, 10*time.Second, "both folders indexed", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return len(st.folderRows) == 2 && st.folderRows[1].text.Text == "2 files · 10 B" && st.list.Length() == 3
	})
	if !st.folders.Visible() || !slices.Equal(st.folderDirs(), []string{docs, music}) ||
		st.folderRows[0].label.Text != "docs" || st.folderRows[1].label.Text != "music" {
		t.Fatalf("folders shown %v (visible %v)", st.folderDirs(), st.folders.Visible())
	}
	if st.folder.Text != "You are sharing 2 folders" {
		t.Errorf("folder line %q", st.folder.Text)
	}
	test.Tap(st.folderRows[0].remove)
	u.vm.Poll(t.Context(), time.Now())
	if st.folders.Visible() || st.folder.Text != music {
		t.Errorf("after removing docs: list visible %v, folder line %q", st.folders.Visible(), st.folder.Text)
	}
	if s := u.vm.Settings(); s.ShareDir != music || len(s.ShareDirs) != 0 {
		t.Errorf("settings %q %q", s.ShareDir, s.ShareDirs)
	}
}

// TestDropSeveralFolders: two folders dropped on the main screen are both
// shared, instead of the one shared before.
func TestDropSeveralFolders(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	root := t.TempDir()
	first, x, y := filepath.Join(root, "first"), filepath.Join(root, "x"), filepath.Join(root, "y")
	for _, d := range []string{first, x, y} {
		os.MkdirAll(d, 0o755)
	}
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-share", first, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(x), storage.NewFileURI(y)})
	if s := u.vm.Settings(); s.ShareDir != x || !slices.Equal(s.ShareDirs, []string{y}) {
		t.Fatalf("shared %q and %q, want %q and [%q]", s.ShareDir, s.ShareDirs, x, y)
	}
	u.vm.Poll(t.Context(), time.Now())
	if !slices.Equal(u.main.share.folderDirs(), []string{x, y}) || u.main.tabs.Selected() != u.main.shareItem {
		t.Errorf("My share lists %q (shown: %v)", u.main.share.folderDirs(), u.main.tabs.Selected() == u.main.shareItem)
	}
}
