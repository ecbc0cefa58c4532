package vm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/transfer"
)

// startSilentHolder: see live.StartSilentHolder.
func startSilentHolder(t *testing.T, trackerAddr, name, id string) {
	t.Helper()
	live.StartSilentHolder(t, trackerAddr, name, id)
}

// TestPausedDownloadStaysPausedAcrossRestart: a download the user paused
// is remembered as paused, comes back after a restart listed as paused
// without running, and can be resumed from there.
func TestPausedDownloadStaysPausedAcrossRestart(t *testing.T) {
	addr := live.StartTracker(t)
	id := strings.Repeat("ab", 32)
	startSilentHolder(t, addr, "stuck.bin", id)
	a := testApp(t)
	settings := Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"}
	want := []Pending{{Name: "stuck.bin", ID: id, Paused: true, Dir: settings.Downloads}}

	// First run: start, pause, leave.
	v1 := New(a, nil)
	v1.NoPoller = true
	if err := v1.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	key, err := v1.Transfers.Start("stuck.bin", id)
	if err != nil {
		t.Fatal(err)
	}
	if err := v1.Transfers.Pause(key); err != nil {
		t.Fatal(err)
	}
	if got := LoadPending(a.Preferences()); !slices.Equal(got, want) {
		t.Fatalf("pending after pause = %+v, want %+v", got, want)
	}
	v1.Close()

	// Second run: listed, paused, not running.
	v2 := New(a, nil)
	v2.NoPoller = true
	if err := v2.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	rows, _ := v2.Transfers.Rows.Get()
	if len(rows) != 1 || rows[0].State != transfer.StatePaused || rows[0].Name != "stuck.bin" {
		t.Fatalf("rows after restart = %+v, want stuck.bin paused", rows)
	}
	for _, tr := range v2.eng.Snapshot().Transfers {
		if !tr.Started.IsZero() {
			t.Errorf("%s ran after the restart; it was paused", tr.Name)
		}
	}
	if got := LoadPending(a.Preferences()); !slices.Equal(got, want) {
		t.Fatalf("pending after restart = %+v, want %+v", got, want)
	}

	// Resume runs it again and it is remembered as running.
	if err := v2.Transfers.Resume(rows[0].Key); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the resumed download to run", func() bool {
		v2.Poll(t.Context(), time.Now())
		rows, _ = v2.Transfers.Rows.Get()
		return len(rows) == 1 && rows[0].State != transfer.StatePaused
	})
	want[0].Paused = false
	if got := LoadPending(a.Preferences()); !slices.Equal(got, want) {
		t.Fatalf("pending after resume = %+v, want %+v", got, want)
	}
}
