package ui

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
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

// TestNetworkTabWhileHosting: connected, the Network tab neither says
// "None heard yet" nor pre-fills Join with the tracker in use, and its
// count of computers online leaves this one out.
func TestNetworkTabWhileHosting(t *testing.T) {
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-host-listen", "127.0.0.1:0", "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.first.downloadsEntry.SetText(t.TempDir())
	test.Tap(u.first.hostButton)
	if u.main == nil {
		t.Fatal("Host did not open the main screen")
	}
	enxametest.WaitFor(t, 10*time.Second, "the app to list itself", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		_ = u.vm.Network.Refresh(t.Context())
		return u.vm.Network.Peers.Length() == 1
	})
	nt := u.main.network
	if got := nt.trackerEntry.Text; got != "" {
		t.Errorf("Join box pre-filled with %q, the tracker already in use", got)
	}
	if nt.nearby.content.Visible() {
		t.Error("\"Networks found nearby\" shown on the Network tab with nothing heard")
	}
	tr, _ := u.vm.Tracker.Get()
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Sala 12", Addr: tr, Peers: 1}})
	if nt.nearby.content.Visible() {
		t.Error("the network in use is offered to join on the Network tab")
	}
	u.vm.Nearby.Set([]vm.NearbyRow{{ID: "x", Name: "Sala 12", Addr: tr, Peers: 1}, {ID: "y", Name: "Sala 13", Addr: "127.0.0.1:1", Peers: 1}})
	if !nt.nearby.content.Visible() || len(nt.nearby.box.Objects) != 1 {
		t.Errorf("another network heard: list shown %v with %d entries, want 1", nt.nearby.content.Visible(), len(nt.nearby.box.Objects))
	}
	if got := nt.status.Text; got != "No other computers online" {
		t.Errorf("status %q counts this computer", got)
	}
	if got := u.main.status.peers.Text; got != "No other computers online" {
		t.Errorf("status bar %q counts this computer", got)
	}
	if nt.canHostCheck.Text == nt.hostCheck.Text || !strings.Contains(nt.canHostCheck.Text, "Take over") {
		t.Errorf("hosting checks %q and %q are easy to confuse", nt.hostCheck.Text, nt.canHostCheck.Text)
	}
}

func TestTypableAddrs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"[fd00::2]:7077", "192.168.1.20:7077"}, []string{"192.168.1.20:7077"}},
		{[]string{"10.0.0.5:7077", "[fe80::1]:7077", "192.168.1.20:7077"}, []string{"10.0.0.5:7077", "192.168.1.20:7077"}},
		{[]string{"[fd00::2]:7077"}, []string{"[fd00::2]:7077"}},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := typableAddrs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("typableAddrs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSourceRowWords: a source shows its computer's name with the address
// beside it, its state in words, and no "0" bad chunks.
func TestSourceRowWords(t *testing.T) {
	test.NewTempApp(t)
	r := newPeerRow()
	r.set(0, vm.PeerRow{Addr: "127.0.0.1:43813", State: "idle"}, "Sala 12 – PC 07")
	if r.name.Text != "Sala 12 – PC 07" || r.addr.Text != "127.0.0.1:43813" {
		t.Errorf("source shown as %q / %q, want the name and the address", r.name.Text, r.addr.Text)
	}
	if r.state.Text != "Waiting" {
		t.Errorf("state %q, want Waiting", r.state.Text)
	}
	if r.strikes.Text != "" {
		t.Errorf("bad chunks %q, want blank while zero", r.strikes.Text)
	}
	r.set(0, vm.PeerRow{Addr: "127.0.0.1:43813", State: "connected", Strikes: 2}, "")
	if r.name.Text != "127.0.0.1:43813" || r.strikes.Text != "2" || r.state.Text != "Sending" {
		t.Errorf("unnamed source %q, bad chunks %q, state %q", r.name.Text, r.strikes.Text, r.state.Text)
	}
}

// TestHostNamesTheNetwork: the host card's name field names the network
// announced, instead of the computer's name.
func TestHostNamesTheNetwork(t *testing.T) {
	a := test.NewTempApp(t)
	u := newTestUI(t, a)
	o, _ := parseFlags([]string{"-host-listen", "127.0.0.1:0", "-listen", "127.0.0.1:0"}, io.Discard)
	u.start(o)
	u.first.downloadsEntry.SetText(t.TempDir())
	test.Type(u.first.networkEntry, "Sala 12 \u202e")
	test.Tap(u.first.hostButton)
	if u.main == nil {
		t.Fatal("Host did not open the main screen")
	}
	if got := u.vm.Settings().Network; got != "Sala 12" {
		t.Errorf("network named %q, want Sala 12", got)
	}
	enxametest.WaitFor(t, 10*time.Second, "the network's name", func() bool {
		u.vm.Poll(t.Context(), time.Now())
		name, _ := u.vm.NetworkName.Get()
		return name == "Sala 12"
	})
	if !strings.Contains(u.main.network.conn.Text, "Sala 12") {
		t.Errorf("Network tab says %q", u.main.network.conn.Text)
	}
	if got := u.main.status.conn.Text; got != "Connected to the network Sala 12" {
		t.Errorf("status bar says %q, want the network's name", got)
	}
}
