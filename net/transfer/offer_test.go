package transfer

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/enxame/enxame/net/wire"
)

// A request with an offer (a folder's search already said where the file
// is) plans from it without asking the tracker; one the offer does not
// settle asks; an offer whose holders are gone is refreshed from the
// tracker.
func TestOfferPlansWithoutSearch(t *testing.T) {
	data, m := randomFile(t, 2*chunk)
	seed := newTestPeer(data, m).start(t)
	t.Run("tracker down", func(t *testing.T) {
		tr := &fakeTracker{err: errors.New("tracker down")}
		d := New(Request{Name: "f.bin", Dir: t.TempDir(), Offer: []wire.SearchResult{result("f.bin", m, seed)}}, testOptions(tr))
		if err := run(t, d); err != nil {
			t.Fatalf("with an offer and the tracker down: %v", err)
		}
		checkSaved(t, d.Progress().Path, filepath.Join(d.dir, "f.bin"), data)
	})
	t.Run("offer of another name", func(t *testing.T) {
		tr := &fakeTracker{}
		tr.set(result("f.bin", m, seed))
		d := New(Request{Name: "f.bin", Dir: t.TempDir(), Offer: []wire.SearchResult{result("other.bin", m, seed)}}, testOptions(tr))
		if err := run(t, d); err != nil {
			t.Fatal(err)
		}
		if tr.calls.Load() == 0 {
			t.Fatal("an offer that does not name the file was taken, the tracker never asked")
		}
	})
	t.Run("holders gone", func(t *testing.T) {
		gone := newTestPeer(data, m).start(t)
		gone.kill()
		tr := &fakeTracker{}
		tr.set(result("f.bin", m, seed))
		d := New(Request{Name: "f.bin", Dir: t.TempDir(), Offer: []wire.SearchResult{result("f.bin", m, gone)}}, testOptions(tr))
		if err := run(t, d); err != nil {
			t.Fatalf("an offer of holders since gone: %v", err)
		}
		checkSaved(t, d.Progress().Path, filepath.Join(d.dir, "f.bin"), data)
	})
}
