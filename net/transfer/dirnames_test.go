package transfer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A listing is read once per dirNamesTTL, kept true to what this process
// adds and removes, and compared ignoring case as takenIgnoringCase does.
func TestDirNamesListing(t *testing.T) {
	c := newDirNames()
	now := time.Now()
	c.now = func() time.Time { return now }
	lists := 0
	disk := []string{"Report.pdf", hiddenPrefix + "aa-1.part", hiddenPrefix + "bb-2.part", "ς.txt"}
	list := func() ([]string, error) { lists++; return slices.Clone(disk), nil }

	got, err := c.hiddenNames("/d", hiddenPrefix+"aa-", list)
	if err != nil || !slices.Equal(got, []string{hiddenPrefix + "aa-1.part"}) {
		t.Fatalf("hiddenNames = %v, %v", got, err)
	}
	for _, cand := range []string{"report.PDF", "REPORT.pdf", "σ.txt", "Σ.TXT"} {
		if !c.takenFold("/d", cand, list) {
			t.Errorf("%q not taken beside %v", cand, disk)
		}
	}
	if c.takenFold("/d", "report (1).pdf", list) {
		t.Error("a free name is taken")
	}
	if lists != 1 {
		t.Fatalf("listed %d times within the TTL, want once", lists)
	}
	// What this process does shows at once.
	c.added("/d/", "report (1).pdf")
	c.added("/d", hiddenPrefix+"aa-3.part")
	c.removed("/d", hiddenPrefix+"aa-1.part")
	c.removed("/d", "Report.pdf")
	if !c.takenFold("/d", "Report (1).PDF", list) || c.takenFold("/d", "report.pdf", list) {
		t.Fatal("added and removed names not seen")
	}
	if got, _ := c.hiddenNames("/d", hiddenPrefix+"aa-", list); !slices.Equal(got, []string{hiddenPrefix + "aa-3.part"}) {
		t.Fatalf("hiddenNames after the changes = %v", got)
	}
	// Twice added, once removed: gone.
	c.added("/d", "x")
	c.added("/d", "x")
	c.removed("/d", "x")
	if c.takenFold("/d", "X", list) {
		t.Fatal("a name added twice and removed is still taken")
	}
	if lists != 1 {
		t.Fatalf("listed %d times within the TTL, want once", lists)
	}
	// After the TTL the folder is read again: another process's file shows.
	disk = append(disk, "other.bin")
	now = now.Add(dirNamesTTL)
	if !c.takenFold("/d", "OTHER.bin", list) || lists != 2 {
		t.Fatalf("after the TTL: listed %d times, other.bin seen %v", lists, c.takenFold("/d", "other.bin", list))
	}
}

// Downloads of one Manager into one folder see each other's saves at
// once, and what was there before: no name is reused, whatever its case.
func TestManagerNamesInOneFolder(t *testing.T) {
	data, m := randomFile(t, chunk/2)
	seed := newTestPeer(data, m).start(t)
	tr := &fakeTracker{}
	tr.set(result("f.bin", m, seed))
	mgr := NewManager(testOptions(tr))
	defer mgr.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "F.BIN"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	var saved []string
	for range 3 {
		d, err := mgr.Start(t.Context(), Request{Name: "f.bin", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := mgr.Wait(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, filepath.Base(d.Progress().Path))
	}
	if want := []string{"f (1).bin", "f (2).bin", "f (3).bin"}; !slices.Equal(saved, want) {
		t.Fatalf("saved as %q, want %q", saved, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "F.BIN")); string(b) != "mine" {
		t.Fatalf("the file that was there holds %q", b)
	}
}
