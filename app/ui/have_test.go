package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// startSharing starts the window joined to the tracker at addr, sharing
// a folder of its own with files (name → contents), and polls until it
// lists them.
func startSharing(t *testing.T, addr string, files map[string][]byte) *UI {
	t.Helper()
	share := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(share, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u := newTestUI(t, test.NewTempApp(t))
	o, _ := parseFlags([]string{"-tracker", addr, "-share", share, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, nil)
	u.start(o)
	enxametest.WaitFor(t, 15*time.Second, "the shared folder listed", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return u.vm.Share.Files.Length() == len(files)
	})
	return u
}

// resultRowOf draws the result of content id in a row of its own.
func resultRowOf(t *testing.T, u *UI, id string) *resultRow {
	t.Helper()
	rows, _ := u.vm.Search.Results.Get()
	i := slices.IndexFunc(rows, func(r vm.SearchRow) bool { return r.ID == id })
	if i < 0 {
		t.Fatalf("no result of %s among %+v", id, rows)
	}
	r := newResultRow(u.main.search)
	u.main.search.updateRow(i, r)
	return r
}

// tapInDialog taps the button labelled text in the dialog on top.
func tapInDialog(t *testing.T, u *UI, text string) {
	t.Helper()
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog shown to tap %q in", text)
	}
	b := findButton(top, text)
	if b == nil {
		t.Fatalf("no %q in the dialog: %q", text, overlayText(u))
	}
	test.Tap(b)
}

// TestHadResultMarkedAndAsked (issue 14): a result this computer has is
// marked, one it has not is not; Download on it asks first and starts
// nothing until confirmed.
func TestHadResultMarkedAndAsked(t *testing.T) {
	addr := live.StartTracker(t)
	mine := []byte("a file I have")
	live.StartSeeder(t, addr, map[string][]byte{"copy-of-mine.txt": mine, "new.txt": []byte("new to me")})
	u := startSharing(t, addr, map[string][]byte{"mine.txt": mine})
	if err := u.vm.Search.Run(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	st := u.main.search

	fresh := resultRowOf(t, u, enxametest.ContentID([]byte("new to me")))
	if fresh.haveBox.Visible() {
		t.Errorf("a file this computer has not is marked %q", fresh.have.Text)
	}
	had := resultRowOf(t, u, enxametest.ContentID(mine))
	if !had.haveBox.Visible() || had.have.Text != "You have this" || !had.button.Visible() {
		t.Fatalf("my file: mark shown %v, %q, Download shown %v; want the mark and the button", had.haveBox.Visible(), had.have.Text, had.button.Visible())
	}

	test.Tap(had.button)
	if st.ask == nil || u.win.Canvas().Overlays().Top() == nil {
		t.Fatal("Download on a file I have asked nothing")
	}
	if n := u.vm.Transfers.Rows.Length(); n != 0 {
		t.Fatalf("%d downloads started before an answer", n)
	}
	tapInDialog(t, u, "Cancel")
	if n := u.vm.Transfers.Rows.Length(); n != 0 || u.main.tabs.Selected() != u.main.searchItem {
		t.Fatalf("after Cancel: %d downloads, Search shown %v", n, u.main.tabs.Selected() == u.main.searchItem)
	}

	had.onDownload() // a double click asks too
	if text := overlayText(u); !strings.Contains(text, "You already have mine.txt in your shared folder. Download another copy?") &&
		!strings.Contains(text, "You already have copy-of-mine.txt in your shared folder. Download another copy?") {
		t.Fatalf("the question says %q", text)
	}
	test.Tap(had.button)
	tapInDialog(t, u, "Download again")
	if n := u.vm.Transfers.Rows.Length(); n != 1 || u.main.tabs.Selected() != u.main.transfersItem {
		t.Fatalf("after Download again: %d downloads, Transfers shown %v; want 1, true", n, u.main.tabs.Selected() == u.main.transfersItem)
	}
}

// TestHadFilesAskedOnce (issue 14): several results picked, or a folder,
// among which are files this computer has, ask once for the lot; Skip
// leaves those out and says so, Download them too fetches them as well.
func TestHadFilesAskedOnce(t *testing.T) {
	addr := live.StartTracker(t)
	mine1, mine2 := []byte("my first file"), []byte("my second file")
	live.StartSeeder(t, addr, map[string][]byte{
		"pick/a.txt":   mine1,
		"pick/b.txt":   []byte("picked, new"),
		"course/c.txt": mine2,
		"course/d.txt": []byte("in the course, new"),
	})
	u := startSharing(t, addr, map[string][]byte{"mine1.txt": mine1, "mine2.txt": mine2})
	st := u.main.search

	// Two results picked, one of them had: Skip them.
	if err := u.vm.Search.Run(t.Context(), "pick"); err != nil {
		t.Fatal(err)
	}
	st.onPickAll()
	if len(st.picked) != 2 {
		t.Fatalf("%d picked, want both results (a file I have can be picked)", len(st.picked))
	}
	test.Tap(st.pickButton)
	if st.ask == nil || u.vm.Transfers.Rows.Length() != 0 {
		t.Fatalf("no question before downloading a file I have (%d downloads)", u.vm.Transfers.Rows.Length())
	}
	// Enter answers Skip them, the default.
	if top := u.win.Canvas().Overlays().Top(); top == nil || findButton(top, "Skip them") == nil {
		t.Fatal("the question offers no Skip them")
	}
	u.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if u.win.Canvas().Overlays().Top() != nil {
		t.Error("the question stays after Enter")
	}
	if names := transferNames(u); !slices.Equal(names, []string{"pick/b.txt"}) {
		t.Fatalf("downloads %q after Skip them (Enter); want pick/b.txt only", names)
	}
	if !st.notice.Visible() || st.notice.Text != "Skipped 1 file you already have. Started 1 download (see Transfers)." {
		t.Errorf("notice %q (shown %v)", st.notice.Text, st.notice.Visible())
	}

	// A folder with a file I have: Download them too.
	if err := u.vm.Search.Run(t.Context(), "course"); err != nil {
		t.Fatal(err)
	}
	st.ask = nil
	b := findButton(st.folders, "Download folder")
	if b == nil {
		t.Fatal("no Download folder button")
	}
	if text := folderText(st); !strings.Contains(text, "you have 1 of them") {
		t.Errorf("folder row %q does not say I have one of its files", text)
	}
	test.Tap(b)
	if st.ask == nil {
		t.Fatal("no question before downloading a folder with a file I have")
	}
	if names := transferNames(u); !slices.Equal(names, []string{"pick/b.txt"}) {
		t.Fatalf("downloads %q before an answer", names)
	}
	tapInDialog(t, u, "Download them too")
	if names := transferNames(u); !slices.Equal(names, []string{"course", "pick/b.txt"}) {
		t.Fatalf("downloads %q after Download them too; want pick/b.txt and the folder", names)
	}
	rows, _ := u.vm.Transfers.Rows.Get()
	if i := slices.IndexFunc(rows, func(r vm.TransferRow) bool { return r.Kind == vm.RowFolder }); i < 0 || rows[i].Files != 2 {
		t.Fatalf("transfers %+v; want the folder with both its files", rows)
	}
}

// transferNames are the names of the rows in Transfers, sorted.
func transferNames(u *UI) []string {
	rows, _ := u.vm.Transfers.Rows.Get()
	var names []string
	for _, r := range rows {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// folderText is the text of the folder rows above the results.
func folderText(st *searchTab) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
	}
	walk(st.folders)
	return b.String()
}

// A file this computer has and no other computer holds cannot be
// downloaded again: Download says so and offers nothing to start.
func TestHadOnlyHereSaysSo(t *testing.T) {
	addr := live.StartTracker(t)
	alone := []byte("nobody else has this")
	u := startSharing(t, addr, map[string][]byte{"alone.txt": alone})
	id := enxametest.ContentID(alone)
	enxametest.WaitFor(t, 15*time.Second, "this computer's file registered", func() bool {
		if err := u.vm.Search.Run(t.Context(), "alone"); err != nil {
			return false
		}
		return u.vm.Search.Results.Length() == 1
	})
	row := resultRowOf(t, u, id)
	if !row.haveBox.Visible() {
		t.Fatal("my own file is not marked")
	}
	test.Tap(row.button)
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Download on a file only I hold showed nothing")
	}
	if findButton(top, "Download again") != nil {
		t.Fatal("a file only I hold offers Download again")
	}
	tapInDialog(t, u, "OK")
	if u.win.Canvas().Overlays().Top() != nil {
		t.Fatal("OK did not close the message")
	}
	if n := u.vm.Transfers.Rows.Length(); n != 0 {
		t.Fatalf("%d downloads started of a file only I hold", n)
	}
	test.Tap(row.button)
	if text := overlayText(u); !strings.Contains(text, "You already have alone.txt in your shared folder, and no other computer has it") {
		t.Fatalf("Download on a file only I hold says %q", text)
	}
}
