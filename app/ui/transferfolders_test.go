package ui

import (
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// rowWidget is the list's widget showing the row named name, or nil.
func rowWidget(tt *transfersTab, name string) *transferRow {
	n := tt.m.u.vm.Transfers.Rows.Length()
	for _, w := range tt.rowWidgets {
		if w.id >= 0 && w.id < n && w.row.Name == name {
			return w
		}
	}
	return nil
}

// TestFolderRowInTransfers (issue 14): a folder downloaded whole is one
// row in Transfers, with its file count, a toggle that lists its files
// under it (set in) and hides them again, Open folder, and one chunk
// grid of all its files' chunks.
func TestFolderRowInTransfers(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{
		"album/a.bin":     make([]byte, 1<<20), // 4 chunks
		"album/sub/b.txt": []byte("one chunk"), // listed second: the list shows two rows before it lays out again
	})
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.win.Resize(fyne.NewSize(1100, 720))
	u.main.tabs.Select(u.main.transfersItem)
	tt := u.main.transfers

	if n, err := u.vm.Transfers.StartFolder(t.Context(), "album"); err != nil || n != 2 {
		t.Fatalf("StartFolder = %d, %v", n, err)
	}
	enxametest.WaitFor(t, 20*time.Second, "the folder done", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		rows, _ := u.vm.Transfers.Rows.Get()
		return len(rows) == 1 && rows[0].State == vm.StateDone
	})
	f := rowWidget(tt, "album")
	if f == nil {
		t.Fatal("no row widget shows the folder")
	}
	if !f.toggle.Visible() || f.indent.Visible() || f.state.Text != "Done" || !strings.HasPrefix(f.detail.Text, "2 files · ") ||
		!f.openDir.Visible() || f.openDir.Text != "Open folder" || f.openFile.Visible() {
		t.Errorf("folder row: toggle %v, indent %v, state %q, detail %q, %q shown %v, Open shown %v",
			f.toggle.Visible(), f.indent.Visible(), f.state.Text, f.detail.Text, f.openDir.Text, f.openDir.Visible(), f.openFile.Visible())
	}

	// ▸ lists its files under it, set in; ▾ hides them.
	test.Tap(f.toggle)
	if n := u.vm.Transfers.Rows.Length(); n != 3 {
		t.Fatalf("%d rows once expanded, want the folder and its 2 files", n)
	}
	if f = rowWidget(tt, "album"); f == nil || f.toggle.Icon.Name() != theme.MenuDropDownIcon().Name() {
		t.Error("the expanded folder's toggle does not point down")
	}
	c := rowWidget(tt, "a.bin")
	if c == nil || !c.indent.Visible() || c.toggle.Visible() || c.openDir.Text != "Show in folder" {
		t.Fatalf("the folder's file is not listed set in under it: %+v", c)
	}
	tt.list.Select(c.id)
	if !tt.moveUp.Disabled() || !tt.moveDown.Disabled() {
		t.Error("a folder's file can be moved on its own")
	}
	test.Tap(f.toggle)
	if n := u.vm.Transfers.Rows.Length(); n != 1 {
		t.Fatalf("%d rows once collapsed", n)
	}

	// The folder's grid: its files' chunks, 4 + 1.
	tt.list.Select(0)
	if got := tt.grid.Cells(); len(got) != 5 {
		t.Errorf("the folder's grid has %d cells, want 5", len(got))
	}
	if !strings.HasPrefix(tt.grid.Caption(), "5 of 5 chunks done") || tt.title.Text != "Chunks of album" {
		t.Errorf("grid caption %q, title %q", tt.grid.Caption(), tt.title.Text)
	}
}

// TestFolderRowPause (issue 14): Pause on a folder's row pauses all its
// files; the row then offers Resume.
func TestFolderRowPause(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	for i, name := range []string{"stuck/x1.bin", "stuck/x2.bin"} {
		live.StartSilentHolder(t, addr, name, strings.Repeat(string(rune('a'+i))+"0", 32))
	}
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.win.Resize(fyne.NewSize(1100, 720))
	u.main.tabs.Select(u.main.transfersItem)
	tt := u.main.transfers
	if _, err := u.vm.Transfers.StartFolder(t.Context(), "stuck"); err != nil {
		t.Fatal(err)
	}
	u.vm.Poll(t.Context(), time.Now())
	f := rowWidget(tt, "stuck")
	if f == nil || f.pause.Text != "Pause" {
		t.Fatalf("folder row %+v, want Pause offered", f)
	}
	test.Tap(f.pause)
	if f.state.Text != "Paused" || f.pause.Text != "Resume" {
		t.Errorf("after Pause: %q, button %q", f.state.Text, f.pause.Text)
	}
	rows, _ := u.vm.Transfers.Rows.Get()
	if len(rows) != 1 || rows[0].State != vm.StatePaused {
		t.Errorf("rows %+v", rows)
	}
}
