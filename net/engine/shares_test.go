package engine

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

func TestFolderLabels(t *testing.T) {
	for _, c := range []struct {
		dirs, want []string
	}{
		{nil, []string{}},
		{[]string{"/home/ana/docs"}, []string{""}},
		{[]string{"/home/ana/docs", "/srv/music"}, []string{"docs", "music"}},
		{[]string{"/a/docs", "/b/docs/", "/c/docs"}, []string{"docs", "docs (2)", "docs (3)"}},
		{[]string{"/a/docs (2)", "/b/docs", "/c/docs"}, []string{"docs (2)", "docs", "docs (3)"}},
		{[]string{"/", "/x/shared"}, []string{"shared", "shared (2)"}},
	} {
		if got := folderLabels(c.dirs); !slices.Equal(got, c.want) {
			t.Errorf("folderLabels(%q) = %q, want %q", c.dirs, got, c.want)
		}
	}
}

// writeFiles writes name → contents into dir, settled (an hour old).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
}

// sharedNames is the names e announces of its shared folders, sorted.
func sharedNames(e *Engine) []string {
	var names []string
	for _, f := range e.SharedFiles() {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	return names
}

// TestSeveralShareDirs: folders added and removed while the engine runs
// are shared and unshared without restarting the node (same chunk server
// address) or disturbing a download in progress; with several folders the
// names start with each folder's label, two folders of one base name told
// apart; another peer downloads a file by its labelled name; mistakes are
// refused, changing nothing.
func TestSeveralShareDirs(t *testing.T) {
	root := t.TempDir()
	docs1, docs2, music := filepath.Join(root, "a", "docs"), filepath.Join(root, "b", "docs"), filepath.Join(root, "music")
	writeFiles(t, docs1, map[string]string{"notes.txt": "notes of a"})
	writeFiles(t, docs2, map[string]string{"notes.txt": "notes of b", "sub/plan.txt": "plan"})
	writeFiles(t, music, map[string]string{"song.mp3": "la la la"})

	tr := live.StartTracker(t)
	// A download in progress on the engine whose folders change: 4 MB at
	// 256 KB/s from another seeder.
	big := randomData(4 << 20)
	live.StartSeeder(t, tr, map[string][]byte{"big.bin": big})
	e := start(t, Config{Tracker: tr, ShareDir: docs1, Share: ShareOptions{NoCache: true}, MaxDownload: 256 << 10})
	key, err := e.Download(Request{Name: "big.bin"})
	if err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the download's first chunk", func() bool {
		tr, _ := e.Transfer(key)
		return tr.Done > 0
	})
	began, _ := e.Transfer(key)
	enxametest.WaitFor(t, 10*time.Second, "docs1 indexed", func() bool { return slices.Equal(sharedNames(e), []string{"notes.txt"}) })
	listen := e.Snapshot().Listen

	for _, dir := range []string{docs2, music} {
		if err := e.AddShareDir(dir); err != nil {
			t.Fatalf("AddShareDir(%s): %v", dir, err)
		}
	}
	want := []string{"docs (2)/notes.txt", "docs (2)/sub/plan.txt", "docs/notes.txt", "music/song.mp3"}
	enxametest.WaitFor(t, 10*time.Second, "three folders shared", func() bool { return slices.Equal(sharedNames(e), want) })
	st := e.Snapshot()
	if st.Listen != listen {
		t.Errorf("the chunk server moved from %s to %s: the node restarted", listen, st.Listen)
	}
	if len(st.ShareDirs) != 3 || st.ShareDirs[1].Label != "docs (2)" || st.ShareDirs[1].Files != 2 || st.Share.Files != 4 {
		t.Errorf("share state %+v, summed %+v", st.ShareDirs, st.Share)
	}
	if got := e.ShareDirs(); !slices.Equal(got, []string{docs1, docs2, music}) {
		t.Errorf("ShareDirs %q", got)
	}

	// Another peer finds and fetches a file by its labelled name.
	other := start(t, Config{Tracker: tr, NoServe: true})
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the labelled names", func() bool {
		resp, err := other.Search(t.Context(), "docs (2)/notes")
		return err == nil && len(resp.Results) == 1
	})
	k, err := other.Download(Request{Name: "docs (2)/notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, other, k), []byte("notes of b"))

	// Mistakes change nothing.
	if err := e.AddShareDir(docs2 + "/"); !errors.Is(err, ErrAlreadyShared) {
		t.Errorf("adding docs2 again: %v", err)
	}
	if err := e.AddShareDir(filepath.Join(root, "missing")); err == nil {
		t.Error("shared a missing folder")
	}
	if err := e.RemoveShareDir(filepath.Join(root, "a")); !errors.Is(err, ErrNotShared) {
		t.Errorf("removing a folder not shared: %v", err)
	}
	if got := e.ShareDirs(); !slices.Equal(got, []string{docs1, docs2, music}) {
		t.Errorf("ShareDirs after the mistakes %q", got)
	}

	// Removing: the labels follow the folders left; one folder, none.
	if err := e.RemoveShareDir(docs1); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "docs1 unshared", func() bool {
		return slices.Equal(sharedNames(e), []string{"docs/notes.txt", "docs/sub/plan.txt", "music/song.mp3"})
	})
	if err := e.RemoveShareDir(music); err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "one folder left", func() bool {
		return slices.Equal(sharedNames(e), []string{"notes.txt", "sub/plan.txt"})
	})
	if st := e.Snapshot(); st.ShareDir != docs2 || st.Listen != listen {
		t.Errorf("after removing: ShareDir %q, listen %s (was %s)", st.ShareDir, st.Listen, listen)
	}

	// The download ran on through all of it, in the same run.
	now, _ := e.Transfer(key)
	if !now.Started.Equal(began.Started) || now.Done < began.Done {
		t.Errorf("the download restarted or went back: started %v then %v, %d then %d bytes", began.Started, now.Started, began.Done, now.Done)
	}
	if err := e.SetRateLimits(0, 0); err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, e, key), big)
}
