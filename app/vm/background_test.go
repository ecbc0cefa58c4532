package vm

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
)

// TestAutostart: the entry is written where the desktop looks (under the
// isolated config folder here), runs this program, and goes away when
// turned off.
func TestAutostart(t *testing.T) {
	p, err := AutostartFile()
	if err != nil {
		t.Skip(err)
	}
	if Autostart() {
		t.Fatal("autostart on in a fresh config folder")
	}
	if err := SetAutostart(true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	exe, _ := os.Executable()
	if err != nil || !Autostart() || !strings.Contains(string(b), "Exec="+desktopQuote(exe)+"\n") || !strings.HasPrefix(string(b), "[Desktop Entry]\n") {
		t.Fatalf("entry %q, %v", b, err)
	}
	if err := SetAutostart(false); err != nil || Autostart() {
		t.Fatalf("still on after turning it off: %v", err)
	}
	if err := SetAutostart(false); err != nil {
		t.Fatalf("turning off twice: %v", err)
	}
	if got := desktopQuote(`/opt/my "apps"/$x\enxame`); got != `"/opt/my \"apps\"/\$x\\enxame"` {
		t.Errorf("quoted %s", got)
	}
}

// TestCloseAction: unknown values read as "ask"; a choice is remembered.
func TestCloseAction(t *testing.T) {
	v := New(testApp(t), nil)
	if v.CloseAction() != CloseAsk {
		t.Fatal("a fresh app does not ask")
	}
	v.SetCloseAction(CloseKeep)
	if v.CloseAction() != CloseKeep {
		t.Fatal("keep not remembered")
	}
	v.fyne.Preferences().SetString(PrefCloseAction, "explode")
	if v.CloseAction() != CloseAsk {
		t.Fatal("a bad stored value is not ask")
	}
}

// TestPauseAll: the tray's "Pause all" pauses what runs and what waits
// its turn, and leaves finished and paused ones alone.
func TestPauseAll(t *testing.T) {
	addr := live.StartTracker(t)
	ids := []string{strings.Repeat("ab", 32), strings.Repeat("cd", 32), strings.Repeat("ef", 32)}
	for i, id := range ids {
		startSilentHolder(t, addr, fmt.Sprintf("stuck-%d.bin", i), id)
	}
	v := newTestApp(t, Settings{Tracker: addr, MaxActive: 2})
	for i, id := range ids {
		if _, err := v.Transfers.Start(fmt.Sprintf("stuck-%d.bin", i), id); err != nil {
			t.Fatal(err)
		}
	}
	v.Poll(t.Context(), time.Now())
	if n := v.Transfers.PauseAll(); n != 3 {
		t.Fatalf("paused %d, want the 2 running and the 1 queued", n)
	}
	v.Poll(t.Context(), time.Now())
	rows, _ := v.Transfers.Rows.Get()
	for _, r := range rows {
		if r.State != transfer.StatePaused {
			t.Errorf("%s is %v after Pause all", r.Name, r.State)
		}
	}
	if n := v.Transfers.PauseAll(); n != 0 {
		t.Errorf("paused %d more the second time", n)
	}
}
