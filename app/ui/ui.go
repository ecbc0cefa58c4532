package ui

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/enxame/enxame/app/vm"
)

// UI is the app's one window and what it shows: the first-run screen until
// the network is joined, then the main screen.
type UI struct {
	app fyne.App
	win fyne.Window
	vm  *vm.App
	log *slog.Logger

	// ctx is the root context: cancelled when the app stops
	// (Lifecycle().SetOnStopped) or the parent ends.
	ctx    context.Context
	cancel context.CancelFunc

	first *firstRun   // while the first-run screen shows
	main  *mainScreen // once joined

	tray        bool          // in the system tray: closing the window may keep sharing
	closeDialog dialog.Dialog // the question asked on closing (tests)
}

// newUI builds the window; start chooses the first screen.
func newUI(parent context.Context, a fyne.App, log *slog.Logger) *UI {
	ctx, cancel := context.WithCancel(parent)
	u := &UI{app: a, log: log, ctx: ctx, cancel: cancel, vm: vm.New(a, log)}
	u.win = a.NewWindow("Enxame")
	u.win.Resize(fyne.NewSize(1100, 720))
	u.win.SetMaster()
	// Registered once, for the whole window; routed by screen.
	u.win.SetOnDropped(u.onDropped)
	a.Lifecycle().SetOnStopped(cancel)
	u.vm.OnDone = u.onDownloadDone
	c := u.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}, u.onFind)
	for i, k := range tabKeys {
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { u.onTab(i) })
	}
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF1}, func(fyne.Shortcut) { u.onAbout() })
	c.AddShortcut(&fyne.ShortcutSelectAll{}, u.onSelectAll)
	u.setUpTray()
	return u
}

// tabKeys are the keys that, with Ctrl (Cmd on a Mac), show the tabs in
// order.
var tabKeys = []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4}

// appShortcut runs s when it is one of the window's own shortcuts
// (Ctrl+F, Ctrl+1…4) and reports whether it was. A focused entry takes
// every shortcut for itself (Fyne gives the canvas none while a widget
// that handles shortcuts has the focus), so the app's entries hand these
// back to the window.
func (u *UI) appShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || cs.Modifier != fyne.KeyModifierShortcutDefault {
		return false
	}
	if cs.KeyName != fyne.KeyF && !slices.Contains(tabKeys, cs.KeyName) {
		return false
	}
	u.win.Canvas().(fyne.Shortcutable).TypedShortcut(s)
	return true
}

// appEntry is an entry that leaves the window's shortcuts to the window.
type appEntry struct {
	widget.Entry
	u *UI
}

func newAppEntry(u *UI) *appEntry {
	e := &appEntry{u: u}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut is part of fyne.Shortcutable.
func (e *appEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.u.appShortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}

// onTab (Ctrl+1…4) shows tab i of the main screen.
func (u *UI) onTab(i int) {
	if u.main == nil || i >= len(u.main.tabs.Items) {
		return
	}
	if u.main.tabs.Items[i] == u.main.searchItem {
		u.main.focusSearch()
		return
	}
	u.main.tabs.SelectIndex(i)
}

// start shows the main screen straight away when the flags or the
// remembered settings say how to join, else the first-run screen.
func (u *UI) start(o options) {
	if !u.vm.Inline {
		u.vm.Browse(u.ctx) // networks nearby, for the Join choices
	}
	saved, setUp := vm.LoadSettings(u.app.Preferences())
	s := o.merge(saved)
	if !o.scripted && !(setUp && s.Complete()) {
		u.showFirstRun(s)
		return
	}
	if err := u.join(s); err != nil {
		u.showFirstRun(s)
		showError(u.win, lang.L("Could not join the network"), err)
	}
}

// join starts the network with s and shows the main screen. Call on the
// Fyne goroutine; it blocks only while listeners open.
func (u *UI) join(s vm.Settings) error {
	if err := os.MkdirAll(s.Downloads, 0o755); err != nil {
		return err
	}
	if err := u.vm.Start(u.ctx, s); err != nil {
		return err
	}
	u.first = nil
	u.main = newMainScreen(u)
	u.win.SetContent(u.main.content)
	u.main.focusSearch()
	u.vm.Search.SetQuery("") // show what the network shares
	return nil
}

func (u *UI) showFirstRun(s vm.Settings) {
	u.main = nil
	u.first = newFirstRun(u, s)
	u.win.SetContent(u.first.content)
}

// shutdown leaves the network and waits for every goroutine.
func (u *UI) shutdown() {
	u.cancel()
	u.vm.Close()
}

// onDropped receives whatever is dropped anywhere on the window. A folder
// becomes the shared folder: on the first-run screen it fills the field,
// on the main screen it is shared at once; several folders dropped on the
// main screen are shared together instead. Anything else is explained.
func (u *UI) onDropped(_ fyne.Position, uris []fyne.URI) {
	var dirs []string
	for _, uri := range uris {
		dir := vm.PathOfURI(uri)
		fi, err := os.Stat(dir)
		switch {
		case dir == "":
			showError(u.win, lang.L("Cannot share that"), errNotLocalFolder)
			return
		case err != nil:
			showError(u.win, lang.L("Cannot share that"), err)
			return
		case !fi.IsDir():
			showError(u.win, lang.L("Cannot share a single file"), errNotAFolder)
			return
		}
		dirs = append(dirs, dir)
	}
	switch {
	case len(dirs) == 0:
	case u.first != nil:
		u.first.setShareDir(dirs[0])
	case u.main != nil:
		u.main.share.shareFolders(dirs)
	}
}

var (
	errNotAFolder     = errors.New("drop a folder, not a file")
	errNotLocalFolder = errors.New("only folders on this computer can be shared")
	errNoDownloads    = errors.New("no downloads folder")
	errNoPassphrase   = errors.New("a private network needs a passphrase")
)

// onSelectAll (Ctrl+A outside a text box) picks every search result
// while the Search tab shows.
func (u *UI) onSelectAll(fyne.Shortcut) {
	if u.main != nil && u.main.tabs.Selected() == u.main.searchItem {
		u.main.search.onPickAll()
	}
}

// onFind (Ctrl+F) shows the Search tab and focuses its box.
func (u *UI) onFind(fyne.Shortcut) {
	if u.main != nil {
		u.main.focusSearch()
	}
}

// onDownloadDone is called from the poller when a download completes.
func (u *UI) onDownloadDone(r vm.TransferRow) {
	n := fyne.NewNotification(lang.L("Download complete"), lang.L("{{.Name}} is in {{.Folder}}", map[string]any{"Name": r.Name, "Folder": r.Dir}))
	fyne.Do(func() { u.app.SendNotification(n) })
}

// setText changes a label's text only when it differs: every Refresh
// re-shapes the text and redraws the window, several times a second during a
// download.
func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

// setObjects replaces what container c holds and refreshes it. A
// container's Add and RemoveAll only lay it out again: without the Refresh
// nothing asks the window to repaint, and an idle window keeps showing the
// old objects until something else (a resize, a focus change) redraws it.
func setObjects(c *fyne.Container, objs ...fyne.CanvasObject) {
	c.Objects = objs
	c.Refresh()
}

// names maps the addresses of the computers online to their names, as
// the tracker's list gives them ("" unknown).
func (u *UI) names() map[string]string {
	rows, _ := u.vm.Network.Peers.Get()
	m := make(map[string]string, len(rows))
	for _, p := range rows {
		if p.Name != "" {
			m[p.Addr] = p.Name
		}
	}
	return m
}

// setImportance changes a label's colour only when it differs.
func setImportance(l *widget.Label, i widget.Importance) {
	if l.Importance != i {
		l.Importance = i
		l.Refresh()
	}
}

// closeWithKeys lets Esc close dialog d on window w, and Enter too when
// enter is true (a dialog whose only button is OK or Close). While a
// dialog shows nothing under it has the focus, so the keys reach the
// canvas; the window's previous key handler is back once d closes.
// Call before d.Show, on the Fyne goroutine.
func closeWithKeys(w fyne.Window, d dialog.Dialog, enter bool) {
	c := w.Canvas()
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch {
		case k.Name == fyne.KeyEscape,
			enter && (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter):
			d.Hide()
		case prev != nil:
			prev(k)
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(prev) })
}
