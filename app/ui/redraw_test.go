package ui

import (
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
)

// refreshSpy is a test app whose driver hands out canvases that record
// every Refresh they are asked for: what the real driver repaints. The
// test driver's own canvas ignores Refresh, so a screen that changes a
// container without refreshing it passes markup tests yet never repaints
// on a real, idle window.
type refreshSpy struct {
	fyne.App
	drv *spyDriver
}

func (a *refreshSpy) Driver() fyne.Driver { return a.drv }

type spyDriver struct {
	fyne.Driver
	mu        sync.Mutex
	refreshed []fyne.CanvasObject
}

func (d *spyDriver) CanvasForObject(o fyne.CanvasObject) fyne.Canvas {
	c := d.Driver.CanvasForObject(o)
	if c == nil {
		return nil
	}
	return &spyCanvas{Canvas: c, d: d}
}

type spyCanvas struct {
	fyne.Canvas
	d *spyDriver
}

func (c *spyCanvas) Refresh(o fyne.CanvasObject) {
	c.d.mu.Lock()
	c.d.refreshed = append(c.d.refreshed, o)
	c.d.mu.Unlock()
	c.Canvas.Refresh(o)
}

// newRefreshSpy makes a test app that records repaint requests and is the
// current app for the test.
func newRefreshSpy(t *testing.T) *refreshSpy {
	a := test.NewTempApp(t)
	s := &refreshSpy{App: a, drv: &spyDriver{Driver: a.Driver()}}
	fyne.SetCurrentApp(s)
	return s
}

// reset forgets what was refreshed so far.
func (s *refreshSpy) reset() {
	s.drv.mu.Lock()
	s.drv.refreshed = nil
	s.drv.mu.Unlock()
}

// asked reports whether o, or a container holding it, was refreshed.
func (s *refreshSpy) asked(o fyne.CanvasObject) bool {
	s.drv.mu.Lock()
	defer s.drv.mu.Unlock()
	for _, r := range s.drv.refreshed {
		if r == o || holds(r, o) {
			return true
		}
	}
	return false
}

func holds(parent, o fyne.CanvasObject) bool {
	c, ok := parent.(*fyne.Container)
	if !ok {
		return false
	}
	for _, child := range c.Objects {
		if child == o || holds(child, o) {
			return true
		}
	}
	return false
}

// TestNearbyListRepaintsWhenANetworkIsHeard: the "Networks found nearby"
// box is redrawn as soon as the LAN browser hears a network, with no
// resize or focus change to force it (issue 15: "None heard yet…" stayed
// for a minute on an idle window).
func TestNearbyListRepaintsWhenANetworkIsHeard(t *testing.T) {
	a := newRefreshSpy(t)
	u := newTestUI(t, a)
	u.start(options{})
	box := u.first.nearby.box
	a.reset()
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Sala 12", Addr: "127.0.0.1:7077", Peers: 2}})
	if len(box.Objects) != 1 {
		t.Fatalf("nearby box has %d objects, want one button", len(box.Objects))
	}
	if !a.asked(box) {
		t.Error("the nearby box changed but was not refreshed: an idle window never repaints it")
	}
	a.reset()
	u.vm.Nearby.Set(nil)
	if !a.asked(box) {
		t.Error("the nearby box emptied but was not refreshed")
	}
}

// TestErrorDialogClosesWithEnterAndEsc: an error dialog goes away with
// Enter or Esc, not only with a click on OK (issue 15).
func TestErrorDialogClosesWithEnterAndEsc(t *testing.T) {
	for _, key := range []fyne.KeyName{fyne.KeyEscape, fyne.KeyReturn, fyne.KeyEnter} {
		t.Run(string(key), func(t *testing.T) {
			a := test.NewTempApp(t)
			w := a.NewWindow("t")
			w.Resize(fyne.NewSize(600, 400))
			showError(w, "Cannot join", errNotAFolder)
			if n := len(w.Canvas().Overlays().List()); n != 1 {
				t.Fatalf("%d overlays after showError, want the dialog", n)
			}
			typed := w.Canvas().OnTypedKey()
			if typed == nil {
				t.Fatal("no key handler while the dialog shows")
			}
			typed(&fyne.KeyEvent{Name: key})
			if n := len(w.Canvas().Overlays().List()); n != 0 {
				t.Errorf("%s left %d overlays, want the dialog closed", key, n)
			}
			if w.Canvas().OnTypedKey() != nil {
				t.Error("the dialog's key handler outlived it")
			}
		})
	}
}
