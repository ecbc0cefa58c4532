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

// resultOf is the result named name, failing the test when there is none.
func resultOf(t *testing.T, v *App, name string) SearchRow {
	t.Helper()
	rows, _ := v.Search.Results.Get()
	i := slices.IndexFunc(rows, func(r SearchRow) bool { return r.Name == name })
	if i < 0 {
		t.Fatalf("no result %s among %q", name, resultNames(v))
	}
	return rows[i]
}

// resultByID is the result of content id, failing the test when there
// is none.
func resultByID(t *testing.T, v *App, id string) SearchRow {
	t.Helper()
	rows, _ := v.Search.Results.Get()
	i := slices.IndexFunc(rows, func(r SearchRow) bool { return r.ID == id })
	if i < 0 {
		t.Fatalf("no result of %s among %q", id, resultNames(v))
	}
	return rows[i]
}

// shareWith starts an app that shares files (name → contents) from a
// folder of its own, and polls until it lists them all.
func shareWith(t *testing.T, addr string, files map[string][]byte) *App {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v := newTestApp(t, Settings{Tracker: addr, ShareDir: dir})
	pollUntil(t, v, 15*time.Second, "the shared folder indexed", func() bool {
		return v.Share.Files.Length() == len(files)
	})
	return v
}

// TestSearchMarksWhatYouHave (issue 14): a result whose content is in
// this computer's share is marked as had; a file downloaded while the
// results show gets marked without a new search; a file this computer
// does not have is not marked.
func TestSearchMarksWhatYouHave(t *testing.T) {
	addr := live.StartTracker(t)
	mine := []byte("a file of my own")
	live.StartSeeder(t, addr, map[string][]byte{
		"remote.txt":         []byte("only on the network"),
		"fetch.bin":          randomBytes(t, 300<<10),
		"other/same-as-mine": mine, // my file under another name, elsewhere
	})
	v := shareWith(t, addr, map[string][]byte{"mine.txt": mine})
	if err := v.Search.Run(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	// The other computer's copy of my file, under its own name: the same
	// content (merged with my own copy once this computer's share is
	// registered, under either name).
	if got := resultByID(t, v, enxametest.ContentID(mine)); got.Have != HaveShared {
		t.Errorf("my own file marked %d, want HaveShared", got.Have)
	}
	for _, name := range []string{"remote.txt", "fetch.bin"} {
		if got := resultOf(t, v, name); got.Have != HaveNone {
			t.Errorf("%s, which this computer does not have, marked %d", name, got.Have)
		}
	}
	if got := v.Search.Has(enxametest.ContentID(mine)); got != HaveShared {
		t.Errorf("Has(my file) = %d, want HaveShared", got)
	}

	if _, err := v.Search.Download(resultOf(t, v, "fetch.bin")); err != nil {
		t.Fatal(err)
	}
	// The poller's clock stands still: the results are not asked again,
	// the row on screen is marked all the same.
	clock := time.Now()
	enxametest.WaitFor(t, 30*time.Second, "fetch.bin marked as downloaded in the results on screen", func() bool {
		v.Poll(t.Context(), clock)
		return resultOf(t, v, "fetch.bin").Have == HaveDownloaded
	})
	if got := resultOf(t, v, "remote.txt"); got.Have != HaveNone {
		t.Errorf("remote.txt marked %d after another file's download", got.Have)
	}
	if got := resultByID(t, v, enxametest.ContentID(mine)); got.Have != HaveShared {
		t.Errorf("my own file marked %d after a download, want HaveShared", got.Have)
	}
}

// TestHadFilesSkippedUnlessAsked (issue 14): downloading a folder or
// several results skips the files this computer has when told to skip,
// and fetches them too when told so.
func TestHadFilesSkippedUnlessAsked(t *testing.T) {
	addr := live.StartTracker(t)
	mine := []byte("already here")
	live.StartSeeder(t, addr, map[string][]byte{
		"album/mine.txt": mine,
		"album/new.txt":  []byte("new to me"),
		"album/new2.txt": []byte("new to me too"),
	})
	v := shareWith(t, addr, map[string][]byte{"mine.txt": mine})
	if err := v.Search.Run(t.Context(), "album"); err != nil {
		t.Fatal(err)
	}
	if fs, _ := v.Search.Folders.Get(); len(fs) != 1 || fs[0].Files != 3 || fs[0].Had != 1 {
		t.Errorf("folders %+v; want album with 3 files, 1 had", fs)
	}

	t.Run("folder, skipping", func(t *testing.T) {
		defer cancelAll(t, v)
		p, err := v.Transfers.PlanFolder(t.Context(), "album")
		if err != nil {
			t.Fatal(err)
		}
		if p.Files != 3 || p.Had != 1 {
			t.Fatalf("plan: %d files, %d had; want 3, 1", p.Files, p.Had)
		}
		started, skipped, err := v.Transfers.StartPlan(p, false)
		if err != nil || started != 2 || skipped != 1 {
			t.Fatalf("StartPlan(skip) = %d started, %d skipped, %v; want 2, 1", started, skipped, err)
		}
		if names := transferNames(v); !slices.Equal(names, []string{"album/new.txt", "album/new2.txt"}) {
			t.Fatalf("downloads %q; want the two new files only", names)
		}
	})
	t.Run("folder, again", func(t *testing.T) {
		defer cancelAll(t, v)
		p, err := v.Transfers.PlanFolder(t.Context(), "album")
		if err != nil {
			t.Fatal(err)
		}
		started, skipped, err := v.Transfers.StartPlan(p, true)
		if err != nil || started != 3 || skipped != 0 {
			t.Fatalf("StartPlan(again) = %d started, %d skipped, %v; want 3, 0", started, skipped, err)
		}
		if names := transferNames(v); !slices.Contains(names, "album/mine.txt") {
			t.Fatalf("downloads %q; want the had file too", names)
		}
	})
	t.Run("selection", func(t *testing.T) {
		defer cancelAll(t, v)
		rows, _ := v.Search.Results.Get()
		started, skipped, err := v.Search.DownloadAll(rows, false)
		if err != nil || started != 2 || skipped != 1 {
			t.Fatalf("DownloadAll(skip) = %d started, %d skipped, %v; want 2, 1", started, skipped, err)
		}
		if names := transferNames(v); slices.Contains(names, "album/mine.txt") {
			t.Fatalf("downloads %q; the had file fetched while skipping", names)
		}
		cancelAll(t, v)
		started, skipped, err = v.Search.DownloadAll(rows, true)
		if err != nil || started != 3 || skipped != 0 {
			t.Fatalf("DownloadAll(again) = %d started, %d skipped, %v; want 3, 0", started, skipped, err)
		}
		if names := transferNames(v); !slices.Contains(names, "album/mine.txt") {
			t.Fatalf("downloads %q; want the had file too", names)
		}
	})
}

// transferNames are the names of the downloads the engine lists, sorted.
func transferNames(v *App) []string {
	var names []string
	for _, tr := range v.eng.Snapshot().Transfers {
		names = append(names, tr.Req.Name)
	}
	slices.Sort(names)
	return names
}

// cancelAll cancels every download and forgets it, so that the next
// start is not refused as busy and the list is empty.
func cancelAll(t *testing.T, v *App) {
	t.Helper()
	for _, tr := range v.eng.Snapshot().Transfers {
		_ = v.eng.Cancel(tr.Key)
		_ = v.eng.Forget(tr.Key)
	}
	enxametest.WaitFor(t, 10*time.Second, "the downloads gone", func() bool {
		return len(v.eng.Snapshot().Transfers) == 0
	})
}

// A file this computer has and no other computer holds has nowhere to
// come from: its row says so (Elsewhere false), and asking for copies of
// everything picked, again included, skips it instead of starting a
// download that could only stall. The same content held by another
// computer too can be fetched again.
func TestHadOnlyHereIsNotFetched(t *testing.T) {
	addr := live.StartTracker(t)
	both := []byte("a file the other computer has too")
	live.StartSeeder(t, addr, map[string][]byte{"theirs.txt": both})
	v := shareWith(t, addr, map[string][]byte{"alone.txt": []byte("only here"), "both.txt": both})
	enxametest.WaitFor(t, 15*time.Second, "this computer's files registered", func() bool {
		if err := v.Search.Run(t.Context(), ".txt"); err != nil {
			return false
		}
		rows, _ := v.Search.Results.Get()
		return slices.ContainsFunc(rows, func(r SearchRow) bool { return r.Name == "alone.txt" })
	})
	alone := resultOf(t, v, "alone.txt")
	if alone.Have != HaveShared || alone.Elsewhere {
		t.Fatalf("alone.txt: Have %d, Elsewhere %v; want HaveShared, held nowhere else", alone.Have, alone.Elsewhere)
	}
	shared := resultByID(t, v, enxametest.ContentID(both))
	if shared.Have != HaveShared || !shared.Elsewhere {
		t.Fatalf("the file both computers hold: Have %d, Elsewhere %v; want HaveShared, held elsewhere too", shared.Have, shared.Elsewhere)
	}
	started, skipped, err := v.Search.DownloadAll([]SearchRow{alone, shared}, true)
	if err != nil || started != 1 || skipped != 1 {
		t.Fatalf("DownloadAll(again) = %d started, %d skipped, %v; want 1 and 1 (only the one held elsewhere)", started, skipped, err)
	}
}

// A finished download is remembered across restarts: the next run marks
// its content "You downloaded this" while the file is where it was saved,
// unchanged, and forgets it once it is gone.
func TestDownloadedRememberedAcrossRestart(t *testing.T) {
	addr := live.StartTracker(t)
	data := randomBytes(t, 200<<10)
	live.StartSeeder(t, addr, map[string][]byte{"kept.bin": data})
	a := testApp(t)
	settings := Settings{Tracker: addr, Downloads: t.TempDir(), PeerListen: "127.0.0.1:0"}
	id := enxametest.ContentID(data)

	run := func() *App {
		v := New(a, nil)
		v.NoPoller = true
		v.Discovery = live.LoopbackDiscovery(t)
		if err := v.Start(t.Context(), settings); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1 := run()
	if _, err := v1.Transfers.Start("kept.bin", id); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, v1, 20*time.Second, "the download remembered as finished", func() bool {
		ds := LoadDone(a.Preferences())
		return len(ds) == 1 && ds[0].ID == id
	})
	saved := LoadDone(a.Preferences())[0].Path
	v1.Close()

	// The next run: the downloads folder is not shared, the engine does
	// not serve the file, yet a search marks it.
	v2 := run()
	pollUntil(t, v2, 10*time.Second, "a search marking the file downloaded before", func() bool {
		if err := v2.Search.Run(t.Context(), "kept"); err != nil || v2.Search.Results.Length() != 1 {
			return false
		}
		return resultByID(t, v2, id).Have == HaveDownloaded
	})
	v2.Close()

	// Changed since: forgotten at the next start.
	if err := os.WriteFile(saved, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	v3 := run()
	defer v3.Close()
	if ds := LoadDone(a.Preferences()); len(ds) != 0 {
		t.Fatalf("a file changed since is still remembered: %+v", ds)
	}
	if err := v3.Search.Run(t.Context(), "kept"); err != nil {
		t.Fatal(err)
	}
	v3.Poll(t.Context(), time.Now())
	if got := resultByID(t, v3, id).Have; got != HaveNone {
		t.Fatalf("a file changed since is marked %d", got)
	}
}
