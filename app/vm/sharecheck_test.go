package vm

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
	"github.com/enxame/enxame/net/share"
)

func TestShareRisk(t *testing.T) {
	home, err := os.UserHomeDir() // a temporary folder: TestMain isolates it
	if err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(home, "Documents")
	os.MkdirAll(docs, 0o755)
	link := filepath.Join(t.TempDir(), "home-link")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir   string
		risky bool
	}{
		{home, true},
		{home + "/", true},
		{filepath.Join(docs, ".."), true},
		{link, true},               // the same folder by another name
		{filepath.Dir(home), true}, // holds the home folder
		{string(filepath.Separator), true},
		{docs, false},
		{t.TempDir(), false},
	} {
		if got := ShareRisk(tc.dir) != ""; got != tc.risky {
			t.Errorf("ShareRisk(%q) risky = %v, want %v (%q)", tc.dir, got, tc.risky, ShareRisk(tc.dir))
		}
	}
}

func TestSkippedText(t *testing.T) {
	if got := skippedText(share.Skipped{}); got != "" {
		t.Errorf("nothing skipped: %q", got)
	}
	got := skippedText(share.Skipped{Hidden: 3, Ignored: 1, Outside: 2})
	want := "Not shared: 3 hidden files and folders, 1 file excluded by .enxameignore, 2 links leading outside the folder."
	if got != want {
		t.Errorf("skippedText = %q, want %q", got, want)
	}
}

// TestShareHiddenSetting: hidden files are left out and said so, until the
// setting shares them; the setting is remembered.
func TestShareHiddenSetting(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"public.txt", ".secret", ".ssh/id_ed25519"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		os.WriteFile(p, []byte(name), 0o600)
		os.Chtimes(p, old, old)
	}
	v := newTestApp(t, Settings{Tracker: live.StartTracker(t), ShareDir: dir})
	files := func() int {
		v.Poll(t.Context(), time.Now())
		return v.Share.Files.Length()
	}
	enxametest.WaitFor(t, 10*time.Second, "the public file shared", func() bool { return files() == 1 })
	if s, _ := v.ShareSkipped.Get(); s != "Not shared: 2 hidden files and folders." {
		t.Errorf("skipped %q", s)
	}
	if err := v.SetShareHidden(true); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the hidden files shared too", func() bool { return files() == 3 })
	if on, _ := v.ShareHidden.Get(); !on || !v.Settings().ShareHidden {
		t.Error("the setting is not on after SetShareHidden(true)")
	}
	if s, _ := LoadSettings(v.fyne.Preferences()); !s.ShareHidden {
		t.Error("the setting was not remembered")
	}
}

// TestRateLimitSettings: the limits reach the engine at start and when
// changed, and are remembered.
func TestRateLimitSettings(t *testing.T) {
	v := newTestApp(t, Settings{Tracker: live.StartTracker(t), MaxUpload: 2_000_000})
	e, err := v.engine()
	if err != nil {
		t.Fatal(err)
	}
	if up, down := e.RateLimits(); up != 2_000_000 || down != 0 {
		t.Errorf("engine limits at start %d, %d", up, down)
	}
	if err := v.SetRateLimits(1<<20, 5_000_000); err != nil {
		t.Fatal(err)
	}
	if up, down := e.RateLimits(); up != 1<<20 || down != 5_000_000 {
		t.Errorf("engine limits after SetRateLimits %d, %d", up, down)
	}
	if s := v.Settings(); s.MaxUpload != 1<<20 || s.MaxDownload != 5_000_000 {
		t.Errorf("settings %+v", s)
	}
	if up, _ := v.MaxUpload.Get(); up != "1MiB/s" {
		t.Errorf("MaxUpload shows %q", up)
	}
	if s, _ := LoadSettings(v.fyne.Preferences()); s.MaxUpload != 1<<20 || s.MaxDownload != 5_000_000 {
		t.Errorf("remembered %d, %d", s.MaxUpload, s.MaxDownload)
	}
	if err := v.SetRateLimits(0, 0); err != nil {
		t.Fatal(err)
	}
	if up, down := e.RateLimits(); up != 0 || down != 0 {
		t.Errorf("engine limits after SetRateLimits(0, 0) %d, %d", up, down)
	}
}
