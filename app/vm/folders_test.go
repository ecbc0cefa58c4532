package vm

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// TestSharedFolders: a second and third folder shared from the app are
// listed with their labels and counts, the files under their folder's
// label; they are remembered and shared again after a restart; removing
// one leaves the others, and SetShareDir replaces them all.
func TestSharedFolders(t *testing.T) {
	root := t.TempDir()
	a, b, c := filepath.Join(root, "a", "docs"), filepath.Join(root, "b", "docs"), filepath.Join(root, "music")
	old := time.Now().Add(-time.Hour)
	for _, f := range []struct{ dir, name string }{{a, "a.txt"}, {b, "b.txt"}, {b, ".hidden"}, {c, "c.mp3"}} {
		os.MkdirAll(f.dir, 0o755)
		p := filepath.Join(f.dir, f.name)
		os.WriteFile(p, []byte(f.name), 0o644)
		os.Chtimes(p, old, old)
	}
	addr := live.StartTracker(t)
	app := testApp(t)
	settings := Settings{Tracker: addr, ShareDir: a, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"}
	v := New(app, nil)
	v.NoPoller = true
	if err := v.Start(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	defer func() { v.Close() }()
	folders := func() []FolderRow {
		rows, _ := v.Share.Folders.Get()
		return rows
	}
	files := func() []string {
		rows, _ := v.Share.Files.Get()
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		return names
	}
	waitFiles := func(what string, want ...string) {
		t.Helper()
		enxametest.WaitFor(t, 10*time.Second, what, func() bool {
			v.Poll(t.Context(), time.Now())
			return slices.Equal(files(), want)
		})
	}
	waitFiles("a shared", "a.txt")
	for _, dir := range []string{b, c} {
		if err := v.AddShareDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	waitFiles("three folders shared", "docs (2)/b.txt", "docs/a.txt", "music/c.mp3")
	enxametest.WaitFor(t, 10*time.Second, "the folders indexed", func() bool {
		v.Poll(t.Context(), time.Now())
		return !slices.ContainsFunc(folders(), func(f FolderRow) bool { return f.Text != "1 file · 5 B" })
	})
	fs := folders()
	if len(fs) != 3 || fs[1].Dir != b || fs[1].Label != "docs (2)" || fs[2].Label != "music" ||
		fs[1].Skipped != "Not shared: 1 hidden file or folder." || fs[0].Skipped != "" {
		t.Fatalf("folders %+v", fs)
	}
	if s := v.Settings(); s.ShareDir != a || !slices.Equal(s.ShareDirs, []string{b, c}) {
		t.Fatalf("settings %q %q", s.ShareDir, s.ShareDirs)
	}
	v.Close()

	// Remembered across a restart.
	s, _ := LoadSettings(app.Preferences())
	if s.ShareDir != a || !slices.Equal(s.ShareDirs, []string{b, c}) {
		t.Fatalf("remembered %q %q", s.ShareDir, s.ShareDirs)
	}
	s.PeerListen = "127.0.0.1:0"
	v = New(app, nil)
	v.NoPoller = true
	if err := v.Start(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	waitFiles("three folders shared again", "docs (2)/b.txt", "docs/a.txt", "music/c.mp3")

	if err := v.RemoveShareDir(a); err != nil {
		t.Fatal(err)
	}
	waitFiles("a unshared", "docs/b.txt", "music/c.mp3")
	if s := v.Settings(); s.ShareDir != b || !slices.Equal(s.ShareDirs, []string{c}) {
		t.Fatalf("settings after removing a: %q %q", s.ShareDir, s.ShareDirs)
	}
	if err := v.SetShareDir(a); err != nil {
		t.Fatal(err)
	}
	waitFiles("only a", "a.txt")
	if s, _ := LoadSettings(app.Preferences()); s.ShareDir != a || len(s.ShareDirs) != 0 {
		t.Fatalf("remembered after SetShareDir %q %q", s.ShareDir, s.ShareDirs)
	}
	if fs := folders(); len(fs) != 1 || fs[0].Label != "" {
		t.Fatalf("folders after SetShareDir %+v", fs)
	}
}
