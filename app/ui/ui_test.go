package ui

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"go.uber.org/goleak"

	"github.com/enxame/enxame/app/version"
	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

func TestMain(m *testing.M) {
	cleanup := enxametest.IsolateUserDirs()
	goleak.VerifyTestMain(m,
		goleak.Cleanup(func(code int) { cleanup(); os.Exit(code) }),
		goleak.IgnoreAnyFunction("fyne.io/fyne/v2/internal/async.(*UnboundedChan[...]).processing"),
	)
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantErr  bool
		help     bool
		scripted bool
	}{
		{"none", nil, false, false, false},
		{"join", []string{"-tracker", "127.0.0.1:7077", "-share", "/tmp", "-downloads", "/tmp/d"}, false, false, true},
		{"host", []string{"-host", "-listen", "127.0.0.1:0"}, false, false, true},
		{"help", []string{"-h"}, true, true, false},
		{"unknown flag", []string{"-bogus"}, true, false, false},
		{"bad tracker", []string{"-tracker", "nonsense"}, true, false, false},
		{"stray argument", []string{"-host", "extra"}, true, false, false},
		{"bad log level", []string{"-log-level", "loud"}, true, false, false},
		{"discovery on loopback", []string{"-discovery-interface", "lo", "-discovery-port", "17078"}, false, false, false},
		{"bad discovery port", []string{"-discovery-port", "70000"}, true, false, false},
		{"empty discovery interface", []string{"-discovery-interface", "lo,"}, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			o, err := parseFlags(tt.args, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.help != errors.Is(err, flag.ErrHelp) {
				t.Errorf("err = %v, want ErrHelp %v", err, tt.help)
			}
			if err != nil && !strings.Contains(stderr.String(), "usage: enxame") {
				t.Errorf("no usage on stderr: %q", stderr.String())
			}
			if err == nil && o.scripted != tt.scripted {
				t.Errorf("scripted = %v, want %v", o.scripted, tt.scripted)
			}
		})
	}
}

func TestMainBadUsageExits2(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main(t.Context(), []string{"-no-such-flag"}, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if code := Main(t.Context(), []string{"-h"}, io.Discard); code != 0 {
		t.Errorf("-h exit %d, want 0", code)
	}
}

// newTestUI builds the window on the test app with every background step
// inline, so widgets are touched on the test's goroutine only.
func newTestUI(t *testing.T, a fyne.App) *UI {
	t.Helper()
	u := newUI(t.Context(), a, slog.New(slog.DiscardHandler))
	u.vm.Inline = true
	u.vm.Discovery = live.LoopbackDiscovery(t)
	t.Cleanup(u.shutdown)
	return u
}

func TestFirstRunJoinAndRemember(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	shareDir := t.TempDir()
	downloads := filepath.Join(t.TempDir(), "Enxame")

	u := newTestUI(t, a)
	u.start(options{})
	if u.first == nil || u.main != nil {
		t.Fatal("a fresh start does not show the first-run screen")
	}
	f := u.first
	if !strings.HasSuffix(f.downloadsEntry.Text, filepath.Join("Downloads", "Enxame")) {
		t.Errorf("downloads default %q", f.downloadsEntry.Text)
	}

	// Dropping a folder anywhere fills the shared folder.
	u.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(shareDir)})
	if f.shareEntry.Text != shareDir {
		t.Errorf("share field %q after the drop, want %q", f.shareEntry.Text, shareDir)
	}
	f.downloadsEntry.SetText(downloads)

	// A bad address is explained, not joined.
	test.Type(f.trackerEntry, "not an address")
	test.Tap(f.joinButton)
	if u.main != nil {
		t.Fatal("joined with a bad address")
	}
	if top := u.win.Canvas().Overlays().Top(); top == nil {
		t.Error("no error dialog for a bad address")
	} else {
		u.win.Canvas().Overlays().Remove(top)
	}

	f.trackerEntry.SetText("")
	test.Type(f.trackerEntry, addr)
	test.Tap(f.joinButton)
	if u.main == nil {
		t.Fatal("Join did not open the main screen")
	}
	if _, err := os.Stat(downloads); err != nil {
		t.Errorf("downloads folder not created: %v", err)
	}
	s := u.vm.Settings()
	if s.Tracker != addr || s.ShareDir != shareDir || s.Downloads != downloads || s.Host {
		t.Errorf("settings %+v", s)
	}
	u.shutdown()

	// The next start goes straight in, with the same settings.
	u2 := newTestUI(t, a)
	u2.start(options{})
	if u2.main == nil {
		t.Fatal("second start shows the first-run screen again")
	}
	if got := u2.vm.Settings(); !reflect.DeepEqual(got, s) {
		t.Errorf("remembered %+v, want %+v", got, s)
	}
}

func TestFirstRunRejectsFile(t *testing.T) {
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	u.start(options{})
	file := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(file)})
	if u.first.shareEntry.Text != "" {
		t.Errorf("a dropped file became the share: %q", u.first.shareEntry.Text)
	}
	if u.win.Canvas().Overlays().Top() == nil {
		t.Error("no explanation for a dropped file")
	}
	if p := Describe(errNotAFolder); !strings.Contains(p.What, "folders") {
		t.Errorf("explanation %+v", p)
	}
}

func TestHostFromFirstRun(t *testing.T) {
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-host-listen", "127.0.0.1:0", "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.first.downloadsEntry.SetText(t.TempDir())
	test.Tap(u.first.hostButton)
	if u.main == nil {
		t.Fatal("Host did not open the main screen")
	}
	enxametest.WaitFor(t, 10*time.Second, "the app to join its own tracker", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		ok, _ := u.vm.Connected.Get()
		return ok
	})
	nt := u.main.network
	if !nt.hostCheck.Checked {
		t.Error("hosting check off while hosting")
	}
	if h := u.main.status.hosting.Text; !strings.HasPrefix(h, "Hosting") {
		t.Errorf("status bar hosting text %q", h)
	}
	// Hosting, the network has a name (the computer's, when not given).
	if !strings.HasPrefix(u.main.status.conn.Text, "Connected to the network ") {
		t.Errorf("status bar connection %q", u.main.status.conn.Text)
	}
	// Stop hosting from the Network tab.
	test.Tap(nt.hostCheck)
	if on, _ := u.vm.Hosting.Get(); on {
		t.Error("still hosting after unticking")
	}
	if u.main.status.hosting.Text != "Not hosting" {
		t.Errorf("status bar hosting text %q", u.main.status.hosting.Text)
	}
}

func TestSearchAndDownloadFromTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	data := bytes.Repeat([]byte("enxame "), 300_000) // 2.1 MB, 9 chunks
	live.StartSeeder(t, addr, map[string][]byte{"lecture/slides.pdf": data, "notes.txt": []byte("n")})
	downloads := t.TempDir()

	u := newTestUI(t, a)
	o, err := parseFlags([]string{"-tracker", addr, "-downloads", downloads, "-listen", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	u.start(o)
	if u.main == nil {
		t.Fatal("scripted start shows the first-run screen")
	}
	u.win.Resize(fyne.NewSize(1100, 720))
	st := u.main.search
	if n := st.list.Length(); n != 2 {
		t.Errorf("the opening search lists %d files, want 2", n)
	}

	// Ctrl+F focuses the box.
	u.win.Canvas().Unfocus()
	u.onFind(nil)
	if u.win.Canvas().Focused() != st.entry {
		t.Error("Ctrl+F did not focus the search box")
	}

	test.Type(st.entry, "slides")
	if n := st.list.Length(); n != 1 {
		t.Fatalf("typing found %d results, want 1", n)
	}
	if !strings.Contains(st.status.Text, "1 file match “slides”") {
		t.Errorf("status %q", st.status.Text)
	}
	row, _ := u.vm.Search.Results.GetValue(0)
	if row.Name != "lecture/slides.pdf" || row.Complete != 1 {
		t.Errorf("result %+v", row)
	}

	if got := holdersText(row); got != "On 1 computer" {
		t.Errorf("holders %q, want On 1 computer", got)
	}

	// Enter searches again; it never downloads (issue 15).
	st.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if n := u.vm.Transfers.Rows.Length(); n != 0 {
		t.Fatalf("Enter in the search box started %d downloads, want none", n)
	}
	if u.main.tabs.Selected() != u.main.searchItem || st.list.Length() != 1 {
		t.Fatalf("Enter left the Search tab or lost the result (%d)", st.list.Length())
	}

	// The result's Download button downloads it and shows Transfers.
	b := findButton(st.list, "Download")
	if b == nil {
		t.Fatal("no Download button in the results")
	}
	test.Tap(b)
	if u.main.tabs.Selected() != u.main.transfersItem {
		t.Error("Transfers tab not shown after Download")
	}
	// A hidden search box must not keep the focus: its cursor would blink,
	// repainting the whole window 7–8 times a second during the download.
	if f := u.win.Canvas().Focused(); f != nil {
		t.Errorf("%T still has the focus on the Transfers tab", f)
	}
	tt := u.main.transfers
	want := &fyne.Notification{Title: "Download complete", Content: "lecture/slides.pdf is in " + downloads}
	test.AssertNotificationSent(t, want, func() {
		enxametest.WaitFor(t, 30*time.Second, "the download to finish", func() bool {
			u.vm.Poll(t.Context(), time.Now())
			r, err := u.vm.Transfers.Rows.GetValue(0)
			return err == nil && r.State == vm.StateDone
		})
	})
	r, _ := u.vm.Transfers.Rows.GetValue(0)
	got, err := os.ReadFile(r.Path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (err %v)", err)
	}
	if n := len(tt.grid.Cells()); n != 9 {
		t.Errorf("chunk grid shows %d chunks, want 9", n)
	}
	for i, c := range tt.grid.Cells() {
		if c.State().String() != "done" || c.Source() < 0 {
			t.Errorf("cell %d = %+v", i, c)
		}
	}
	if !strings.Contains(tt.title.Text, "slides.pdf") {
		t.Errorf("grid title %q", tt.title.Text)
	}
	if n := tt.peers.Length(); n != 1 {
		t.Errorf("%d sources listed, want 1", n)
	}
	if !strings.HasPrefix(u.main.transfersItem.Text, "Transfers") || strings.Contains(u.main.transfersItem.Text, "(") {
		t.Errorf("tab title %q after completion", u.main.transfersItem.Text)
	}
}

func TestDropFolderOnMainScreenSharesIt(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	dir := t.TempDir()
	p := filepath.Join(dir, "shared.txt")
	os.WriteFile(p, []byte("hello"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)

	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(dir)})
	if u.main.tabs.Selected() != u.main.shareItem {
		t.Error("My share tab not shown after the drop")
	}
	enxametest.WaitFor(t, 10*time.Second, "the dropped folder to be indexed", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return u.main.share.list.Length() == 1
	})
	if u.main.share.folder.Text != dir {
		t.Errorf("folder label %q, want %q", u.main.share.folder.Text, dir)
	}
	if u.vm.Settings().ShareDir != dir {
		t.Errorf("settings share %q", u.vm.Settings().ShareDir)
	}
	if !strings.HasPrefix(u.main.status.share.Text, "1 file · 5 B") {
		t.Errorf("status bar share %q", u.main.status.share.Text)
	}
}

func TestDescribeNeverBare(t *testing.T) {
	errs := []error{
		&vm.AddrError{Addr: "x"}, vm.ErrNotStarted, vm.ErrFileNotFound, vm.ErrNoSource,
		vm.ErrStalled, vm.ErrBadManifest, vm.ErrBusy, vm.ErrCanceled, vm.ErrPaused, vm.ErrClosed, context.DeadlineExceeded,
		os.ErrPermission, os.ErrNotExist, errNotAFolder, errNoDownloads, errNoPassphrase,
		vm.ErrWrongPassphrase, vm.ErrNeedsPassphrase, vm.ErrNotPrivate, vm.ErrTooManyAttempts,
	}
	for _, err := range errs {
		p := Describe(err)
		if p.What == "" || strings.Contains(p.What, err.Error()) && p.Hint == "" {
			t.Errorf("Describe(%v) = %+v", err, p)
		}
		if strings.HasPrefix(p.What, "Something went wrong") {
			t.Errorf("Describe(%v) falls through to the generic text", err)
		}
	}
	p := Describe(errors.New("odd \u202e failure"))
	if !strings.Contains(p.Hint, "⟨U+202E⟩") {
		t.Errorf("generic hint does not sanitise: %q", p.Hint)
	}
}

func TestJoinANetworkHeardNearby(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	u.start(options{})
	u.first.downloadsEntry.SetText(t.TempDir())
	box := u.first.nearby.box
	if len(box.Objects) != 1 {
		t.Fatalf("nearby list with nothing heard has %d objects, want the hint", len(box.Objects))
	}
	// What the LAN browser reports (Browse is off in inline tests).
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Lab \u202e3", Addr: addr, Peers: 4}})
	b, ok := box.Objects[0].(*widget.Button)
	if !ok {
		t.Fatalf("nearby entry is %T, want a button", box.Objects[0])
	}
	if !strings.Contains(b.Text, "4 computers") || !strings.Contains(b.Text, addr) {
		t.Errorf("button %q", b.Text)
	}
	test.Tap(b)
	if u.main == nil {
		t.Fatal("tapping a nearby network did not join it")
	}
	if got := u.vm.Settings().Tracker; got != addr {
		t.Errorf("joined %q, want %q", got, addr)
	}
}

func TestFailedDownloadSaysWhyAndOffersResume(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.win.Resize(fyne.NewSize(1100, 720))
	// A file nobody shares (any more).
	if _, err := u.vm.Transfers.Start("gone.txt", strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
	u.main.showTransfers()
	enxametest.WaitFor(t, 10*time.Second, "the download to fail", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		r, err := u.vm.Transfers.Rows.GetValue(0)
		return err == nil && r.State == vm.StateFailed
	})
	tt := u.main.transfers
	var row *transferRow
	for _, w := range tt.rowWidgets {
		if w.id == 0 {
			row = w
		}
	}
	if row == nil {
		t.Fatal("no row widget shows the download")
	}
	if !strings.HasPrefix(row.state.Text, "Failed: ") || strings.Contains(row.state.Text, "no such file") {
		t.Errorf("state %q, want the reason in words", row.state.Text)
	}
	if row.pause.Hidden || row.pause.Text != "Resume" {
		t.Errorf("pause button %q hidden %v, want Resume", row.pause.Text, row.pause.Hidden)
	}
	if !row.openFile.Hidden {
		t.Error("Open offered for a failed download")
	}
	// Cancel removes it.
	test.Tap(row.cancel)
	u.vm.Poll(t.Context(), time.Now())
	if n := u.vm.Transfers.Rows.Length(); n != 0 {
		t.Errorf("%d rows after Cancel", n)
	}
	if tt.empty.Hidden {
		t.Error("the empty-list hint is not back")
	}
}

func TestAboutShowsVersion(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	test.Tap(u.main.status.about)
	overlay := u.win.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("no About box after tapping the status bar's info button")
	}
	var texts []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, child := range c.Objects {
				walk(child)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, child := range test.WidgetRenderer(w).Objects() {
				walk(child)
			}
		}
	}
	walk(overlay)
	all := strings.Join(texts, "\n")
	for _, want := range []string{"Version " + version.Version, "build " + version.BuildID(), version.GoVersion(), "Ctrl+F", "Ctrl+2", "Esc"} {
		if !strings.Contains(all, want) {
			t.Errorf("About box lacks %q; it says:\n%s", want, all)
		}
	}
}

// TestSharingHomeAsksFirst: dropping the home folder on the main screen
// shares nothing until the person confirms; cancelling keeps the folder
// shared before.
func TestSharingHomeAsksFirst(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	home, err := os.UserHomeDir() // temporary: TestMain isolates it
	if err != nil {
		t.Fatal(err)
	}
	confirm := func(button string) {
		t.Helper()
		top := u.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no confirmation before sharing the home folder")
		}
		b := findButton(top, button)
		if b == nil {
			t.Fatalf("the confirmation has no %q button", button)
		}
		test.Tap(b)
	}
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(home)})
	confirm("Cancel")
	if got := u.vm.Settings().ShareDir; got != "" {
		t.Fatalf("shared %q after Cancel", got)
	}
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(home)})
	confirm("Share it")
	if got := u.vm.Settings().ShareDir; got != home {
		t.Fatalf("shared %q after Share it, want %q", got, home)
	}
	// An ordinary folder is shared at once.
	dir := t.TempDir()
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(dir)})
	if got := u.vm.Settings().ShareDir; got != dir {
		t.Fatalf("shared %q, want %q without a question", got, dir)
	}
}

// findButton finds the button labelled text under o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return b
	}
	var children []fyne.CanvasObject
	if c, ok := o.(*fyne.Container); ok {
		children = c.Objects
	} else if w, ok := o.(fyne.Widget); ok {
		children = test.WidgetRenderer(w).Objects()
	}
	for _, c := range children {
		if b := findButton(c, text); b != nil {
			return b
		}
	}
	return nil
}

// TestMyShareSaysWhatIsSkipped: a hidden file is left out and the tab says
// so; a folder with nothing left out shows no such line.
func TestMyShareSaysWhatIsSkipped(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"notes.txt", ".env"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(name), 0o600)
		os.Chtimes(p, old, old)
	}
	if u.main.share.skipped.Visible() {
		t.Error("a skipped line before any folder is shared")
	}
	u.onDropped(fyne.Position{}, []fyne.URI{storage.NewFileURI(dir)})
	enxametest.WaitFor(t, 10*time.Second, "the folder indexed", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		return u.main.share.list.Length() == 1 && u.main.share.skipped.Visible()
	})
	if got := u.main.share.skipped.Text; got != "Not shared: 1 hidden file or folder." {
		t.Errorf("skipped line %q", got)
	}
	if u.main.share.hidden.Checked {
		t.Error("hidden files shared by default")
	}
}

// TestMyShareSpeedLimits: the limits typed on My share reach the engine
// and are shown as applied; a bad one is refused with words, changing
// nothing.
func TestMyShareSpeedLimits(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	st := u.main.share
	// No limit shows as an empty field whose placeholder says so.
	if st.maxUp.Text != "" || st.maxDown.Text != "" || !strings.HasPrefix(st.maxUp.PlaceHolder, "no limit") {
		t.Fatalf("limits shown %q, %q (placeholder %q); want empty fields saying no limit", st.maxUp.Text, st.maxDown.Text, st.maxUp.PlaceHolder)
	}
	st.maxUp.SetText("")
	test.Type(st.maxUp, "2MB/s")
	st.maxDown.SetText("")
	test.Type(st.maxDown, "1.5MiB/s")
	test.Tap(st.apply)
	if s := u.vm.Settings(); s.MaxUpload != 2_000_000 || s.MaxDownload != 3<<19 {
		t.Fatalf("settings after Apply: %d, %d", s.MaxUpload, s.MaxDownload)
	}
	if st.maxUp.Text != "2MB/s" || st.maxDown.Text != "1536KiB/s" {
		t.Errorf("limits shown %q, %q", st.maxUp.Text, st.maxDown.Text)
	}
	st.maxUp.SetText("fast")
	test.Tap(st.apply)
	if s := u.vm.Settings(); s.MaxUpload != 2_000_000 {
		t.Errorf("a bad limit changed the setting to %d", s.MaxUpload)
	}
	if ov := u.win.Canvas().Overlays().Top(); ov == nil {
		t.Error("no dialog for a bad limit")
	} else {
		u.win.Canvas().Overlays().Remove(ov)
	}
	// Emptying a field lifts its limit.
	st.maxUp.SetText("")
	test.Tap(st.apply)
	if s := u.vm.Settings(); s.MaxUpload != 0 || s.MaxDownload != 3<<19 || st.maxUp.Text != "" {
		t.Errorf("after emptying the sending limit: settings %d, %d, shown %q", s.MaxUpload, s.MaxDownload, st.maxUp.Text)
	}
}
