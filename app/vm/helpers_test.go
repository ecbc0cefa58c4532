package vm

import (
	"reflect"
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
