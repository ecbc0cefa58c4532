package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
)

// TestFirstRunJoinWaitsForAnAddress: Join is disabled while the address
// box is empty (or blank), and enabled once something is typed.
func TestFirstRunJoinWaitsForAnAddress(t *testing.T) {
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	u.start(options{})
	f := u.first
	if !f.joinButton.Disabled() {
		t.Error("Join enabled with an empty address")
	}
	test.Type(f.trackerEntry, "  ")
	if !f.joinButton.Disabled() {
		t.Error("Join enabled with a blank address")
	}
	test.Type(f.trackerEntry, "192.168.1.20:7077")
	if f.joinButton.Disabled() {
		t.Error("Join still disabled with an address typed")
	}
	if f.hostButton.Text == "Host a network" {
		t.Error("the host card's title and its button both say Host a network")
	}
}

func TestHoldersText(t *testing.T) {
	tests := []struct {
		complete, partial int
		want              string
	}{
		{1, 0, "On 1 computer"},
		{2, 0, "On 2 computers"},
		{0, 1, "Partly on 1 computer"},
		{0, 3, "Partly on 3 computers"},
		{1, 2, "On 1 computer, partly on 2 more"},
		{3, 1, "On 3 computers, partly on 1 more"},
	}
	for _, tt := range tests {
		if got := holdersText(vm.SearchRow{Complete: tt.complete, Partial: tt.partial}); got != tt.want {
			t.Errorf("%d+%d: %q, want %q", tt.complete, tt.partial, got, tt.want)
		}
	}
}
