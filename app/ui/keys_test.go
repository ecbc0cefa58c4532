package ui

import (
	"io"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/net/enxametest/live"
)

// TestShortcutsShowTabs: Ctrl+1…4 show the tabs in order (Ctrl+1 with the
// search box focused), and F1 opens the About box that lists the keys.
func TestShortcutsShowTabs(t *testing.T) {
	a := test.NewTempApp(t)
	addr := live.StartTracker(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-tracker", addr, "-downloads", t.TempDir(), "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	if u.main == nil {
		t.Fatal("no main screen")
	}
	c := u.win.Canvas()
	press := func(k fyne.KeyName, mod fyne.KeyModifier) {
		c.(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: mod})
	}
	m := u.main
	for i, want := range []string{m.searchItem.Text, m.transfersItem.Text, m.networkItem.Text, m.shareItem.Text} {
		press(tabKeys[len(tabKeys)-1-i], fyne.KeyModifierShortcutDefault) // somewhere else first
		press(tabKeys[i], fyne.KeyModifierShortcutDefault)
		if got := m.tabs.Selected().Text; got != want {
			t.Errorf("Ctrl+%d shows %q, want %q", i+1, got, want)
		}
	}
	press(tabKeys[0], fyne.KeyModifierShortcutDefault)
	if c.Focused() != m.search.entry {
		t.Error("Ctrl+1 did not focus the search box")
	}
	// With the search box focused the box gets every key: Ctrl+2 must
	// still reach the window.
	if c.Focused() != m.search.entry {
		t.Fatal("search box not focused")
	}
	m.search.entry.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key2, Modifier: fyne.KeyModifierShortcutDefault})
	if m.tabs.Selected() != m.transfersItem {
		t.Error("Ctrl+2 typed in the focused search box did not show Transfers")
	}
	m.network.trackerEntry.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
	if m.tabs.Selected() != m.searchItem {
		t.Error("Ctrl+F typed in the Network tab's address box did not show Search")
	}
	press(fyne.KeyF1, 0)
	if c.Overlays().Top() == nil {
		t.Error("F1 opened nothing")
	}
}
