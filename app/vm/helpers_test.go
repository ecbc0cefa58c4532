package vm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/test"
)

func testApp(t *testing.T) fyne.App { return test.NewTempApp(t) }

func dataListener(f func()) binding.DataListener { return binding.NewDataListener(f) }

func TestSettingsRoundTrip(t *testing.T) {
	a := testApp(t)
	p := a.Preferences()
	s, setUp := LoadSettings(p)
	if setUp {
		t.Error("fresh preferences say set up")
	}
	if s.Downloads != DefaultDownloads() || s.HostListen != DefaultHostListen {
		t.Errorf("defaults %+v", s)
	}
	want := Settings{Tracker: "10.0.0.5:7077", ShareDir: t.TempDir(), Downloads: t.TempDir(), Host: true, HostListen: ":7177", PeerListen: ":7200", Network: "office", NetworkID: "abc123", MaxActive: 5,
		ShareDirs: []string{t.TempDir(), t.TempDir()}}
	SaveSettings(p, want)
	if got := p.String(PrefShareURI); got != "file://"+want.ShareDir {
		t.Errorf("share stored as %q, want a file URI", got)
	}
	got, setUp := LoadSettings(p)
	if !setUp || !reflect.DeepEqual(got, want) {
		t.Errorf("LoadSettings = %+v, %v; want %+v, true", got, setUp, want)
	}
	if !got.Complete() {
		t.Error("complete settings not Complete")
	}
	if (Settings{Downloads: "x"}).Complete() {
		t.Error("settings without tracker or host are Complete")
	}
}

// A folder of a thousand unfinished files is remembered whole; past
// MaxPending the rest is not, and what is kept round-trips unchanged.
func TestPendingKeepsBigFolders(t *testing.T) {
	p := testApp(t).Preferences()
	id := strings.Repeat("ab", 32)
	var ps []Pending
	for i := range MaxPending + 10 {
		ps = append(ps, Pending{Name: fmt.Sprintf("Projeto/f-%05d.bin", i), ID: id, Dir: "/d/Projeto", Folder: "/d/Projeto", Size: int64(i)})
	}
	SavePending(p, ps[:1000])
	if got := LoadPending(p); !slices.Equal(got, ps[:1000]) {
		t.Fatalf("a folder of 1,000 unfinished files: %d remembered, want all of them unchanged", len(got))
	}
	SavePending(p, ps)
	if got := LoadPending(p); len(got) != MaxPending || !slices.Equal(got, ps[:MaxPending]) {
		t.Fatalf("%d remembered of %d, want the first %d", len(got), len(ps), MaxPending)
	}
}
