package transfer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// gateTracker holds every search (a run in planning, so holding a place)
// until its name is released, then answers that nothing matches, which
// fails the run and frees its place. It tells started which names were
// asked for, in order, and counts the searches waiting at once.
type gateTracker struct {
	started chan string
	mu      sync.Mutex
	gates   map[string]chan struct{}
	waiting int
	most    int
}

func newGateTracker() *gateTracker {
	return &gateTracker{started: make(chan string, 64), gates: map[string]chan struct{}{}}
}

func (g *gateTracker) gate(q string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gates[q] == nil {
		g.gates[q] = make(chan struct{})
	}
	return g.gates[q]
}

func (g *gateTracker) release(q string) { close(g.gate(q)) }

func (g *gateTracker) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	gate := g.gate(q)
	g.mu.Lock()
	g.waiting++
	g.most = max(g.most, g.waiting)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}()
	g.started <- q
	select {
	case <-gate:
		return &wire.SearchResponse{}, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// next is the name of the next run to start.
func (g *gateTracker) next(t *testing.T) string {
	t.Helper()
	select {
	case q := <-g.started:
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("no run started")
		return ""
	}
}

// none checks that no run started meanwhile.
func (g *gateTracker) none(t *testing.T) {
	t.Helper()
	select {
	case q := <-g.started:
		t.Fatalf("%s started; every place was taken", q)
	default:
	}
}

// queueOf lists the queued names in queue order, and checks the places.
func queueOf(t *testing.T, mgr *Manager) []string {
	t.Helper()
	var out []string
	for _, l := range mgr.Snapshot() {
		if l.Queue == 0 {
			if l.Progress.State == StateQueued {
				t.Errorf("%s shows queued without a place in the queue", l.Progress.Name)
			}
			continue
		}
		if l.Progress.State != StateQueued || l.Queue != len(out)+1 {
			t.Errorf("%s at place %d in state %v; want place %d, queued", l.Progress.Name, l.Queue, l.Progress.State, len(out)+1)
		}
		out = append(out, l.Progress.Name)
	}
	return out
}

func TestManagerQueue(t *testing.T) {
	g := newGateTracker()
	mgr := NewManager(testOptions(g))
	defer mgr.Close()
	mgr.SetMaxActive(2)
	dir := t.TempDir()
	ds := map[string]*Download{}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		d, err := mgr.Start(t.Context(), Request{Name: name, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		ds[name] = d
	}
	first := []string{g.next(t), g.next(t)}
	slices.Sort(first)
	if !slices.Equal(first, []string{"a", "b"}) {
		t.Fatalf("started first %v, want a and b", first)
	}
	g.none(t)
	if q := queueOf(t, mgr); !slices.Equal(q, []string{"c", "d", "e"}) {
		t.Fatalf("queue %v, want c d e", q)
	}

	// Moving e up twice puts it first in the queue.
	if err := mgr.Move(ds["e"], 2); err != nil {
		t.Fatal(err)
	}
	if q := queueOf(t, mgr); !slices.Equal(q, []string{"e", "c", "d"}) {
		t.Fatalf("queue after moving e to 2: %v", q)
	}

	// Pausing a running download frees its place for the first queued.
	if err := mgr.Pause(ds["a"]); err != nil {
		t.Fatal(err)
	}
	if q := g.next(t); q != "e" {
		t.Fatalf("%s took the freed place, want e", q)
	}
	if p := ds["a"].Progress(); p.State != StatePaused {
		t.Fatalf("paused a is %v", p.State)
	}
	// Resumed, it is queued again at its place in the list (first).
	if err := mgr.Resume(t.Context(), ds["a"]); err != nil {
		t.Fatal(err)
	}
	g.none(t)
	if q := queueOf(t, mgr); !slices.Equal(q, []string{"a", "c", "d"}) {
		t.Fatalf("queue after resuming a: %v", q)
	}

	// Pausing a queued download takes it out of the queue; Wait on it
	// ends with ErrPaused.
	if err := mgr.Pause(ds["c"]); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Wait(t.Context(), ds["c"]); !errors.Is(err, ErrPaused) {
		t.Fatalf("Wait on a paused queued download: %v", err)
	}
	if q := queueOf(t, mgr); !slices.Equal(q, []string{"a", "d"}) {
		t.Fatalf("queue after pausing c: %v", q)
	}

	// A run that ends (b: nothing found) frees its place too.
	g.release("b")
	if err := mgr.Wait(t.Context(), ds["b"]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b ended with %v", err)
	}
	if q := g.next(t); q != "a" {
		t.Fatalf("%s took b's place, want a", q)
	}
	g.none(t)

	// Raising the limit starts the rest at once; lowering it stops none.
	mgr.SetMaxActive(3)
	if q := g.next(t); q != "d" {
		t.Fatalf("%s started on raising the limit, want d", q)
	}
	mgr.SetMaxActive(1)
	if err := mgr.Resume(t.Context(), ds["c"]); err != nil {
		t.Fatal(err)
	}
	g.none(t)
	for _, name := range []string{"a", "d", "e"} {
		g.release(name)
	}
	if q := g.next(t); q != "c" {
		t.Fatalf("%s started, want c", q)
	}
	g.release("c")
	for _, d := range ds {
		if err := mgr.Wait(t.Context(), d); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s ended with %v", d.Progress().Name, err)
		}
	}
	g.mu.Lock()
	most := g.most
	g.mu.Unlock()
	if most > 3 {
		t.Errorf("%d runs at once, the limit was 3 at most", most)
	}
}

// TestManagerMove: Move clamps the index and reports unknown downloads.
func TestManagerMove(t *testing.T) {
	mgr := NewManager(testOptions(&fakeTracker{}))
	defer mgr.Close()
	var ds []*Download
	for _, name := range []string{"a", "b", "c"} {
		d, err := mgr.Add(Request{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	names := func() string {
		s := ""
		for _, l := range mgr.Snapshot() {
			s += l.Progress.Name
		}
		return s
	}
	for _, c := range []struct {
		d    *Download
		to   int
		want string
	}{
		{ds[0], 2, "bca"},
		{ds[0], -5, "abc"},
		{ds[2], 1, "acb"},
		{ds[1], 99, "acb"},
		{ds[1], 0, "bac"},
	} {
		if err := mgr.Move(c.d, c.to); err != nil {
			t.Fatal(err)
		}
		if got := names(); got != c.want {
			t.Fatalf("after moving %s to %d: %s, want %s", c.d.Progress().Name, c.to, got, c.want)
		}
	}
	if err := mgr.Move(New(Request{Name: "x"}, Options{}), 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moving an unknown download: %v", err)
	}
}
