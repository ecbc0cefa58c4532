package vm

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// rowsText words the Transfers rows as "name:state" in their order.
func rowsText(v *App) string {
	rows, _ := v.Transfers.Rows.Get()
	var s []string
	for _, r := range rows {
		if r.Active() && r.State != StateQueued {
			s = append(s, r.Name+":(running)") // whichever running state
			continue
		}
		s = append(s, r.Name+":"+r.StateText())
	}
	return strings.Join(s, " | ")
}

// waitRows polls v until its rows read want.
func waitRows(t *testing.T, v *App, what, want string) {
	t.Helper()
	enxametest.WaitFor(t, 10*time.Second, what+": "+want, func() bool {
		v.Poll(t.Context(), time.Now())
		return rowsText(v) == want
	})
}

func keyOf(t *testing.T, v *App, name string) string {
	t.Helper()
	rows, _ := v.Transfers.Rows.Get()
	i := slices.IndexFunc(rows, func(r TransferRow) bool { return r.Name == name })
	if i < 0 {
		t.Fatalf("no row %s in %s", name, rowsText(v))
	}
	return rows[i].Key
}

// TestTransfersQueue: with two downloads at once, the rest show queued
// with their place; Move up reorders the queue; Clear finished takes off
// the done and failed rows only; the setting applies live and is
// remembered; after a restart the unfinished downloads come back in the
// same order and respect the limit.
func TestTransfersQueue(t *testing.T) {
	addr := live.StartTracker(t)
	small := []byte("a small file")
	live.StartSeeder(t, addr, map[string][]byte{"small.txt": small})
	ids := map[string]string{}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("s%d.bin", i)
		ids[name] = strings.Repeat(fmt.Sprintf("%02x", i), 32)
		startSilentHolder(t, addr, name, ids[name])
	}
	a := testApp(t)
	settings := Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0", MaxActive: 2}
	v := New(a, nil)
	v.NoPoller = true
	if err := v.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	defer func() { v.Close() }()
	if n, _ := v.MaxActive.Get(); n != 2 {
		t.Fatalf("MaxActive binding %d", n)
	}

	// One done, one failed: what Clear finished removes.
	if _, err := v.Transfers.Start("small.txt", enxametest.ContentID(small)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Transfers.Start("nowhere.bin", ""); err != nil {
		t.Fatal(err)
	}
	waitRows(t, v, "one done, one failed", "small.txt:Done | nowhere.bin:Failed")

	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("s%d.bin", i)
		if _, err := v.Transfers.Start(name, ids[name]); err != nil {
			t.Fatal(err)
		}
	}
	running := func(name string) string { return name + ":(running)" }
	waitNorm := func(what, want string) {
		t.Helper()
		enxametest.WaitFor(t, 10*time.Second, what+": "+want, func() bool {
			v.Poll(t.Context(), time.Now())
			return rowsText(v) == want
		})
	}
	waitNorm("two running, two queued", "small.txt:Done | nowhere.bin:Failed | "+running("s1.bin")+" | "+running("s2.bin")+
		" | s3.bin:Queued: starts next | s4.bin:Queued: 1 ahead")
	if n, _ := v.Transfers.Active.Get(); n != 4 {
		t.Errorf("badge counts %d unfinished, want 4", n)
	}

	if err := v.Transfers.MoveUp(keyOf(t, v, "s4.bin")); err != nil {
		t.Fatal(err)
	}
	waitNorm("s4 moved up", "small.txt:Done | nowhere.bin:Failed | "+running("s1.bin")+" | "+running("s2.bin")+
		" | s4.bin:Queued: starts next | s3.bin:Queued: 1 ahead")

	n, err := v.Transfers.ClearFinished()
	if err != nil || n != 2 {
		t.Fatalf("ClearFinished = %d, %v; want 2", n, err)
	}
	waitNorm("finished cleared", running("s1.bin")+" | "+running("s2.bin")+" | s4.bin:Queued: starts next | s3.bin:Queued: 1 ahead")
	if n, err := v.Transfers.ClearFinished(); err != nil || n != 0 {
		t.Fatalf("ClearFinished again = %d, %v; want 0", n, err)
	}

	if err := v.SetMaxActive(3); err != nil {
		t.Fatal(err)
	}
	waitNorm("a third place", running("s1.bin")+" | "+running("s2.bin")+" | "+running("s4.bin")+" | s3.bin:Queued: starts next")
	if err := v.SetMaxActive(1); err != nil {
		t.Fatal(err)
	}
	if got := a.Preferences().Int(PrefMaxActive); got != 1 {
		t.Fatalf("preference %d, want 1", got)
	}
	dir := v.Settings().Downloads // each remembers its folder (Pending.Dir)
	wantPending := []Pending{{Name: "s1.bin", ID: ids["s1.bin"], Dir: dir}, {Name: "s2.bin", ID: ids["s2.bin"], Dir: dir},
		{Name: "s4.bin", ID: ids["s4.bin"], Dir: dir}, {Name: "s3.bin", ID: ids["s3.bin"], Dir: dir}}
	if got := LoadPending(a.Preferences()); !slices.Equal(got, wantPending) {
		t.Fatalf("pending %+v, want %+v", got, wantPending)
	}
	v.Close()

	// Restarted with the remembered settings: one at a time, in order.
	s, _ := LoadSettings(a.Preferences())
	if s.MaxActive != 1 {
		t.Fatalf("remembered MaxActive %d", s.MaxActive)
	}
	s.PeerListen = "127.0.0.1:0"
	v = New(a, nil)
	v.NoPoller = true
	if err := v.Start(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	waitNorm("resumed one at a time", running("s1.bin")+" | s2.bin:Queued: starts next | s4.bin:Queued: 1 ahead | s3.bin:Queued: 2 ahead")
}

func TestClampMaxActive(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, DefaultMaxActive}, {-4, 1}, {1, 1}, {5, 5}, {MaxMaxActive + 1, MaxMaxActive}} {
		if got := ClampMaxActive(c.in); got != c.want {
			t.Errorf("ClampMaxActive(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}
