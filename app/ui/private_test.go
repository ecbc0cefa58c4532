package ui

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/secure"
)

// overlayText is every text the top overlay (a dialog) shows, and removes
// it; "" when none is shown.
func overlayText(u *UI) string {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	u.win.Canvas().Overlays().Remove(top)
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.RichText:
			b.WriteString(w.String() + "\n")
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		} else if w, ok := o.(fyne.Widget); ok {
			for _, ch := range test.WidgetRenderer(w).Objects() {
				walk(ch)
			}
		}
	}
	walk(top)
	return b.String()
}

// TestHostPrivateFromFirstRun: ticking Private proposes a passphrase (five
// words) and hosting starts a private network with it; the status bar
// says so.
func TestHostPrivateFromFirstRun(t *testing.T) {
	u := newTestUI(t, test.NewTempApp(t))
	o, _ := parseFlags([]string{"-host-listen", "127.0.0.1:0", "-listen", "127.0.0.1:0"}, nil)
	u.start(o)
	f := u.first
	f.downloadsEntry.SetText(t.TempDir())
	if f.hostPassRow.Visible() {
		t.Fatal("the passphrase field shows before Private is ticked")
	}
	test.Tap(f.privateCheck)
	pass := f.hostPassEntry.Text
	if !f.hostPassRow.Visible() || len(strings.Fields(pass)) != 5 {
		t.Fatalf("Private ticked: field shown %v, proposed %q; want five words", f.hostPassRow.Visible(), pass)
	}
	test.Tap(f.hostButton)
	if u.main == nil {
		t.Fatal("hosting a private network did not open the main screen")
	}
	if !u.vm.Private() || u.vm.Settings().Passphrase != pass {
		t.Fatalf("hosting with passphrase %q, want %q", u.vm.Settings().Passphrase, pass)
	}
	enxametest.WaitFor(t, 10*time.Second, "the app to join its own private tracker", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		ok, _ := u.vm.Connected.Get()
		return ok
	})
	if !strings.Contains(u.main.status.conn.Text, "private network") {
		t.Errorf("status bar %q does not say private", u.main.status.conn.Text)
	}
}

// TestJoinPrivateFromFirstRun: joining a private network with no
// passphrase, or a wrong one, is refused in words that say which; picking
// it among the networks nearby asks for the passphrase instead of failing;
// with the right one the app joins.
func TestJoinPrivateFromFirstRun(t *testing.T) {
	const pass = "Orbit Cedar fiscal  plume otter"
	key, err := secure.DeriveNetworkKey(pass)
	if err != nil {
		t.Fatal(err)
	}
	addr := live.StartPrivateTracker(t, key)
	u := newTestUI(t, test.NewTempApp(t))
	u.start(options{})
	f := u.first
	f.downloadsEntry.SetText(t.TempDir())
	test.Type(f.trackerEntry, addr)

	test.Tap(f.joinButton)
	if msg := overlayText(u); u.main != nil || !strings.Contains(msg, "This network is private: it needs a passphrase.") {
		t.Fatalf("joining without a passphrase: main %v, dialog %q", u.main != nil, msg)
	}
	test.Type(f.joinPassEntry, "orbit cedar fiscal plume")
	test.Tap(f.joinButton)
	if msg := overlayText(u); u.main != nil || !strings.Contains(msg, "The passphrase is wrong for this network.") {
		t.Fatalf("joining with a wrong passphrase: main %v, dialog %q", u.main != nil, msg)
	}

	// Heard nearby: a lock, and a question rather than a failure.
	f.joinPassEntry.SetText("")
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Sala 12", Addr: addr, Peers: 3, Private: true}})
	b, ok := f.nearby.box.Objects[0].(*widget.Button)
	if !ok || !strings.Contains(b.Text, "private") {
		t.Fatalf("nearby entry %#v, want a button saying private", f.nearby.box.Objects[0])
	}
	test.Tap(b)
	if u.main != nil || overlayText(u) != "" {
		t.Fatal("picking a private network with no passphrase tried to join")
	}
	if !f.joinPassHint.Visible() || !strings.Contains(f.joinPassHint.Text, "“Sala 12” is private") ||
		u.win.Canvas().Focused() != f.joinPassEntry {
		t.Fatalf("hint %q (shown %v), focus %v; want the passphrase asked for", f.joinPassHint.Text, f.joinPassHint.Visible(), u.win.Canvas().Focused())
	}
	// Capitals and spaces between words do not count.
	test.Type(f.joinPassEntry, "orbit cedar FISCAL plume otter")
	test.Tap(b)
	if u.main == nil {
		t.Fatalf("the right passphrase did not join: %q", overlayText(u))
	}
	if !u.vm.Private() {
		t.Error("joined, but not as a private network")
	}
}

// TestFirstRunRefusesDeadAddress (issue 15): an address where nothing
// answers is said at once, on the first-run screen; the main screen does
// not open on a network that is not there.
func TestFirstRunRefusesDeadAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	u := newTestUI(t, test.NewTempApp(t))
	u.start(options{})
	u.first.downloadsEntry.SetText(t.TempDir())
	test.Type(u.first.trackerEntry, dead)
	test.Tap(u.first.joinButton)
	if msg := overlayText(u); u.main != nil || !strings.Contains(msg, "refused the connection") {
		t.Fatalf("joining a dead address: main %v, dialog %q", u.main != nil, msg)
	}
	if u.first.joinButton.Disabled() {
		t.Error("Join stays disabled after the refusal")
	}
}

// TestCloseAsksOnceThenRemembers (issue 14): with a tray, closing the
// window asks whether to keep sharing, remembers the answer, and does not
// ask again; My share shows and changes it. The tray menu shows the
// window, pauses all, quits.
func TestCloseAsksOnceThenRemembers(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	u.tray = true
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, nil)
	u.start(o)
	if u.main == nil {
		t.Fatal("no main screen")
	}
	u.onCloseWindow()
	top := u.win.Canvas().Overlays().Top()
	keep := findButton(top, "Keep sharing")
	if top == nil || keep == nil {
		t.Fatal("closing the window the first time does not ask")
	}
	test.Tap(keep)
	if got := u.vm.CloseAction(); got != vm.CloseKeep {
		t.Fatalf("close action %q after Keep sharing", got)
	}
	for u.win.Canvas().Overlays().Top() != nil {
		u.win.Canvas().Overlays().Remove(u.win.Canvas().Overlays().Top())
	}
	u.onCloseWindow()
	if u.win.Canvas().Overlays().Top() != nil {
		t.Fatal("asked again after the choice was remembered")
	}
	// My share changes it.
	sh := u.main.share
	if !sh.keepSharing.Checked || !sh.keepSharing.Visible() {
		t.Fatalf("My share's check: checked %v, shown %v", sh.keepSharing.Checked, sh.keepSharing.Visible())
	}
	test.Tap(sh.keepSharing)
	if got := u.vm.CloseAction(); got != vm.CloseQuit {
		t.Fatalf("close action %q after unticking", got)
	}
	// My share says where downloads go, and follows a change.
	if d := u.vm.Settings().Downloads; sh.downloads.Text != d {
		t.Errorf("My share says downloads go to %q, want %q", sh.downloads.Text, d)
	}
	other := t.TempDir()
	if err := u.vm.SetDownloads(other); err != nil {
		t.Fatal(err)
	}
	if sh.downloads.Text != other {
		t.Errorf("after the change My share says %q, want %q", sh.downloads.Text, other)
	}
	var labels []string
	for _, it := range u.trayMenu().Items {
		labels = append(labels, it.Label)
	}
	if strings.Join(labels, "|") != "Show Enxame|Pause all downloads||Quit Enxame" {
		t.Errorf("tray menu %q", labels)
	}
}

// TestTrayOnlyWithASessionBus: on Linux the tray needs D-Bus (without it
// Fyne's tray crashes the app at quit), and ENXAME_NO_TRAY turns it off.
func TestTrayOnlyWithASessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus rule is Linux's")
	}
	t.Setenv("ENXAME_NO_TRAY", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if trayAvailable() {
		t.Error("a tray without a session bus")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
	if !trayAvailable() {
		t.Error("no tray with a session bus")
	}
	t.Setenv("ENXAME_NO_TRAY", "1")
	if trayAvailable() {
		t.Error("ENXAME_NO_TRAY ignored")
	}
}

// TestSearchOffersFolders (issue 14): the folders the results come from
// are offered above them with their counts; one button downloads all of
// a folder and shows Transfers, where the folder is one row.
func TestSearchOffersFolders(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"course/slides/a.pdf": []byte("a"), "course/slides/b.pdf": []byte("bb")})
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, nil)
	u.start(o)
	if err := u.vm.Search.Run(t.Context(), "slides"); err != nil {
		t.Fatal(err)
	}
	st := u.main.search
	if len(st.folders.Objects) != 1 {
		t.Fatalf("%d folder rows, want course/slides", len(st.folders.Objects))
	}
	b := findButton(st.folders, "Download folder")
	if b == nil {
		t.Fatal("no Download folder button")
	}
	test.Tap(b)
	if u.main.tabs.Selected() != u.main.transfersItem {
		t.Error("Transfers not shown after downloading a folder")
	}
	// One row: the folder, with its two files (they are one item).
	if rows, _ := u.vm.Transfers.Rows.Get(); len(rows) != 1 || rows[0].Kind != vm.RowFolder || rows[0].Files != 2 {
		t.Fatalf("transfer rows %+v, want the folder with its 2 files", rows)
	}
}

// TestPickSeveralResults (issue 14): results are picked by their boxes,
// Ctrl+click, Shift+click or Ctrl+A (with the box empty); one button
// downloads them all (files you have: TestHadFilesAskedOnce).
func TestPickSeveralResults(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	live.StartSeeder(t, addr, map[string][]byte{"a.txt": []byte("a"), "b.txt": []byte("bb"), "c.txt": []byte("ccc"), "d.txt": []byte("dddd")})
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, nil)
	u.start(o)
	if err := u.vm.Search.Run(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	st := u.main.search
	if n := u.vm.Search.Results.Length(); n != 4 {
		t.Fatalf("%d results", n)
	}
	row := func(i int) *resultRow {
		r := newResultRow(st)
		st.updateRow(i, r)
		return r
	}
	test.Tap(row(0).check)
	row(2).MouseDown(&desktop.MouseEvent{Modifier: fyne.KeyModifierShift})
	if len(st.picked) != 3 || !st.pickBar.Visible() || !strings.Contains(st.pickButton.Text, "3 files") {
		t.Fatalf("box then Shift+click: %d picked, bar %v %q; want rows 0-2", len(st.picked), st.pickBar.Visible(), st.pickButton.Text)
	}
	row(1).MouseDown(&desktop.MouseEvent{Modifier: fyne.KeyModifierShortcutDefault})
	if len(st.picked) != 2 {
		t.Fatalf("Ctrl+click on a picked row: %d picked, want 2", len(st.picked))
	}
	st.clearPicked()
	st.entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	if len(st.picked) != 4 {
		t.Fatalf("Ctrl+A in the empty box: %d picked, want 4", len(st.picked))
	}
	test.Tap(st.pickButton)
	if n := u.vm.Transfers.Rows.Length(); n != 4 || st.pickBar.Visible() {
		t.Fatalf("after Download 4 files: %d transfers, bar shown %v", n, st.pickBar.Visible())
	}
}
