package ui

import (
	"image/png"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
)

// TestPrivateFieldsLaidOut: the passphrase row and the join hint, shown
// later, are laid out (before, the hidden row kept a zero size: its entry
// was drawn -80 px wide, which crashed the software painter, and the
// button covered the hint).
func TestPrivateFieldsLaidOut(t *testing.T) {
	u := newTestUI(t, test.NewTempApp(t))
	u.start(options{})
	u.win.Resize(fyne.NewSize(1100, 900))
	f := u.first
	test.Tap(f.privateCheck)
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Sala 12", Addr: "10.0.0.5:7077", Peers: 3, Private: true}})
	f.onPickNearby(vm.NearbyRow{Name: "Sala 12", Addr: "10.0.0.5:7077", Private: true})
	img := u.win.Canvas().Capture() // panicked before
	if out := os.Getenv("ENXAME_SHOT"); out != "" {
		if w, err := os.Create(out); err == nil {
			png.Encode(w, img)
			w.Close()
		}
	}
	below := func(what string, lower, upper fyne.CanvasObject) {
		if lower.Position().Y < upper.Position().Y+upper.Size().Height {
			t.Errorf("%s overlaps what is above it", what)
		}
	}
	if f.hostPassEntry.Size().Width <= 0 {
		t.Errorf("passphrase entry %v wide", f.hostPassEntry.Size().Width)
	}
	below("Start hosting", f.hostButton, f.hostPassRow)
	below("Join", f.joinButton, f.joinPassHint)
}
