package vm

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"fyne.io/fyne/v2/data/binding"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// NetworkVM is the Network tab: the peers online and, when hosting, the
// embedded tracker's own view.
type NetworkVM struct {
	app *App

	Peers       Rows[NetPeerRow]
	Status      binding.String
	Err         binding.Item[error]
	HostSummary binding.String
	Events      Rows[EventRow]

	listing atomic.Bool
	again   atomic.Bool // asked while listing: list once more
}

func newNetworkVM(app *App) *NetworkVM {
	return &NetworkVM{
		app:         app,
		Peers:       newRows(eq[NetPeerRow]),
		Status:      binding.NewString(),
		Err:         binding.NewItem(func(a, b error) bool { return a == nil && b == nil }),
		HostSummary: binding.NewString(),
		Events:      newRows(eq[EventRow]),
	}
}

// Refresh asks the tracker for its peers. At most one runs at a time; a
// call while one runs returns at once, and the running one asks again
// when it is done. Call from a goroutine.
func (nv *NetworkVM) Refresh(ctx context.Context) error {
	if !nv.listing.CompareAndSwap(false, true) {
		nv.again.Store(true)
		return nil
	}
	defer nv.listing.Store(false)
	for {
		err := nv.refresh(ctx)
		if !nv.again.Swap(false) || ctx.Err() != nil {
			return err
		}
	}
}

func (nv *NetworkVM) refresh(ctx context.Context) error {
	n, err := nv.app.engine()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	resp, err := n.List(ctx)
	if err != nil {
		_ = nv.Err.Set(err)
		_ = nv.Status.Set("")
		_ = nv.app.PeersOnline.Set(0)
		return err
	}
	me := n.Snapshot().Addr
	rows := make([]NetPeerRow, len(resp.Peers))
	for i, p := range resp.Peers {
		rows[i] = NetPeerRow{Addr: SafeText(p.Addr), Name: SafeText(p.Name), Files: p.Files, LastSeen: p.LastSeenS, Me: p.Addr == me}
	}
	_ = nv.Err.Set(nil)
	old, _ := nv.Peers.Get()
	if !slices.Equal(old, rows) {
		_ = nv.Peers.Set(rows)
	}
	_ = nv.app.PeersOnline.Set(len(rows))
	s := plural(len(rows), "peer", "peers") + " online"
	if resp.Truncated {
		s += " (list cut short by the tracker)"
	}
	_ = nv.Status.Set(s)
	return nil
}

// updateHost shows the embedded tracker's registry; nil when not hosting.
func (nv *NetworkVM) updateHost(st *tracker.Stats) {
	if st == nil {
		_ = nv.HostSummary.Set("")
		_ = nv.Events.Set(nil)
		return
	}
	peers, files := plural(st.Peers, "peer", "peers"), plural(st.Entries, "file", "files")
	joins, leaves := plural(int(st.Joins), "join", "joins"), plural(int(st.Leaves), "leave", "leaves")
	conns := plural(st.Conns, "connection", "connections")
	summary := fmt.Sprintf("Your tracker: %s registered, %s indexed · %s, %s · %s now",
		peers, files, joins, leaves, conns)
	if st.Expired > 0 { // "0 dropped for silence" says nothing
		summary = fmt.Sprintf("Your tracker: %s registered, %s indexed · %s, %s, %d dropped for silence · %s now",
			peers, files, joins, leaves, st.Expired, conns)
	}
	_ = nv.HostSummary.Set(summary)
	events := make([]EventRow, len(st.Events))
	for i, e := range st.Events {
		// newest first
		events[len(events)-1-i] = EventRow{Time: e.Time, Kind: string(e.Kind), Addr: SafeText(e.Addr), Files: e.Files}
	}
	old, _ := nv.Events.Get()
	if !slices.Equal(old, events) {
		_ = nv.Events.Set(events)
	}
}

// ShareVM is the My share tab.
type ShareVM struct {
	app   *App
	Files Rows[ShareRow]
	// Folders are the shared folders, in the order they were added.
	Folders Rows[FolderRow]

	lastKey shareKey
}

// shareKey says when the file list may have changed.
type shareKey struct {
	dir   string
	files int
	bytes int64
	scan  int64

	folders int
}

func newShareVM(app *App) *ShareVM {
	return &ShareVM{app: app, Files: newRows(eq[ShareRow]), Folders: newRows(eq[FolderRow])}
}

// update refreshes the list when the index changed. Called by the poller
// only, so lastKey needs no lock.
func (sv *ShareVM) update(n *engine.Engine, st Snapshot) {
	p := st.Share
	k := shareKey{dir: st.ShareDir, files: p.Files, bytes: p.Bytes, scan: p.LastScan.UnixNano(), folders: len(st.ShareDirs)}
	if k == sv.lastKey {
		return
	}
	sv.lastKey = k
	_ = sv.Files.Set(shareRows(n.SharedFiles()))
}

func shareRows(files []wire.FileEntry) []ShareRow {
	rows := make([]ShareRow, len(files))
	for i, f := range files {
		rows[i] = ShareRow{Name: SafeText(f.Name), Size: f.Size, ID: f.ID}
	}
	return rows
}
