package vm

import (
	"context"
	"slices"
	"sync/atomic"

	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
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
	s := lang.N("{{.Count}} peers online", i18n.Plural(len(rows)), counted(len(rows)))
	if resp.Truncated {
		s += " " + lang.L("(list cut short by the tracker)")
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
	summary := lang.L("Your tracker: {{.Computers}} registered, {{.Files}} indexed", map[string]any{
		"Computers": peers(st.Peers), "Files": files(st.Entries)}) +
		" · " + lang.N("{{.Count}} joins", i18n.Plural(int(st.Joins)), counted(int(st.Joins))) +
		", " + lang.N("{{.Count}} leaves", i18n.Plural(int(st.Leaves)), counted(int(st.Leaves)))
	if st.Expired > 0 { // "0 dropped for silence" says nothing
		summary += ", " + lang.L("{{.Count}} dropped for silence", counted(int(st.Expired)))
	}
	summary += " · " + lang.N("{{.Count}} connections now", i18n.Plural(st.Conns), counted(st.Conns))
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

	lastKey shareKey
}

// shareKey says when the file list may have changed.
type shareKey struct {
	dir   string
	files int
	bytes int64
	scan  int64
}

func newShareVM(app *App) *ShareVM {
	return &ShareVM{app: app, Files: newRows(eq[ShareRow])}
}

// update refreshes the list when the index changed. Called by the poller
// only, so lastKey needs no lock.
func (sv *ShareVM) update(n *engine.Engine, st Snapshot) {
	p := st.Share
	k := shareKey{dir: st.ShareDir, files: p.Files, bytes: p.Bytes, scan: p.LastScan.UnixNano()}
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
