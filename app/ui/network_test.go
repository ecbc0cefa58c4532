package ui

import (
	"io"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/net/enxametest"
)

// TestCanHostCheck: the take-over preference is on by default in the
// desktop app, shown on the Network tab, and applied and remembered when
// the check is tapped.
func TestCanHostCheck(t *testing.T) {
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
	if !nt.canHostCheck.Checked || !u.vm.Settings().CanHost {
		t.Fatalf("take-over check %v, setting %v; want both on by default", nt.canHostCheck.Checked, u.vm.Settings().CanHost)
	}
	test.Tap(nt.canHostCheck)
	if u.vm.Settings().CanHost || a.Preferences().Bool(vm.PrefCanHost) {
		t.Error("take-over still allowed after unticking")
	}
	test.Tap(nt.canHostCheck)
	if !u.vm.Settings().CanHost || !a.Preferences().Bool(vm.PrefCanHost) {
		t.Error("take-over not allowed after ticking again")
	}
}
