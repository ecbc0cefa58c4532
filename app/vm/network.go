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
	"github.com/enxame/enxame/net/transfer"
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
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	asked := n.Snapshot().Tracker
	resp, err := n.List(ctx)
	if err != nil {
		_ = nv.Err.Set(err)
		_ = nv.Status.Set("")
		_ = nv.app.PeersOnline.Set(0)
		if wire.CodeOf(err) == "" && parent.Err() == nil {
			nv.app.trackerLost(asked) // no answer at all (or too late): the host is gone
		}
		return err
	}
	nv.app.trackerAnswered()
	rows := make([]NetPeerRow, len(resp.Peers))
	others := 0
	for i, p := range resp.Peers {
		// The engine's one rule for "this computer" (the address the
		// tracker recorded, or its port on this machine's addresses): the
		// recorded address alone is empty while a registration is redone.
		rows[i] = NetPeerRow{Addr: SafeText(p.Addr), Name: SafeText(p.Name), Files: p.Files, LastSeen: p.LastSeenS, Me: n.IsSelf(p.Addr)}
		if !rows[i].Me {
			others++
		}
	}
	_ = nv.Err.Set(nil)
	old, _ := nv.Peers.Get()
	if !slices.Equal(old, rows) {
		_ = nv.Peers.Set(rows)
	}
	_ = nv.app.PeersOnline.Set(others)
	s := othersText(others)
	if resp.Truncated {
		s += " " + lang.L("(list cut short by the tracker)")
	}
	_ = nv.Status.Set(s)
	return nil
}

// othersText words the computers online besides this one.
func othersText(others int) string {
	if others == 0 {
		return lang.L("No other computer online")
	}
	return lang.N("{{.Count}} other computers online", i18n.Plural(others), counted(others))
}

// hostSummary words the embedded tracker's counters; the peers that went
// silent only when there were some.
func hostSummary(st *tracker.Stats) string {
	words := map[string]any{
		"Computers": computers(st.Peers), "Files": files(st.Entries),
		"Joins":  lang.N("{{.Count}} joins", i18n.Plural(int(st.Joins)), counted(int(st.Joins))),
		"Leaves": lang.N("{{.Count}} leaves", i18n.Plural(int(st.Leaves)), counted(int(st.Leaves))),
		"Conns":  lang.N("{{.Count}} connections", i18n.Plural(st.Conns), counted(st.Conns)),
	}
	if st.Expired > 0 { // "0 dropped" says nothing: one whole sentence each
		words["Dropped"] = computers(int(st.Expired))
		return lang.L("Your tracker: {{.Computers}} registered, {{.Files}} indexed · {{.Joins}}, {{.Leaves}}, {{.Dropped}} dropped for going silent · {{.Conns}} now", words)
	}
	return lang.L("Your tracker: {{.Computers}} registered, {{.Files}} indexed · {{.Joins}}, {{.Leaves}} · {{.Conns}} now", words)
}

// updateHost shows the embedded tracker's registry; nil when not hosting.
func (nv *NetworkVM) updateHost(st *tracker.Stats) {
	if st == nil {
		_ = nv.HostSummary.Set("")
		_ = nv.Events.Set(nil)
		return
	}
	_ = nv.HostSummary.Set(hostSummary(st))
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
	retries int // polls that looked again for a finished download
}

// shareRetries bounds the polls that look again for a finished download
// not served yet (2 s at PollInterval).
const shareRetries = 8

// servesAll reports whether files hold every finished download.
func servesAll(files []wire.FileEntry, ts []Transfer) bool {
	for _, tr := range ts {
		if tr.State == transfer.StateDone && !slices.ContainsFunc(files, func(f wire.FileEntry) bool { return f.ID == tr.ID }) {
			return false
		}
	}
	return true
}

// shareKey says when the file list may have changed.
type shareKey struct {
	dir   string
	files int
	bytes int64
	scan  int64
	done  int // finished downloads, which are shared too

	folders int
}

func newShareVM(app *App) *ShareVM {
	return &ShareVM{app: app, Files: newRows(eq[ShareRow]), Folders: newRows(eq[FolderRow])}
}

// update refreshes the list when the index changed or a download finished,
// and returns the files and bytes shared (the folder's and the finished
// downloads'). Called by the poller only, so lastKey needs no lock.
func (sv *ShareVM) update(n *engine.Engine, st Snapshot) (files int, bytes int64) {
	p := st.Share
	k := shareKey{dir: st.ShareDir, files: p.Files, bytes: p.Bytes, scan: p.LastScan.UnixNano(), folders: len(st.ShareDirs)}
	for _, tr := range st.Transfers {
		if tr.State == transfer.StateDone {
			k.done++
		}
	}
	if k != sv.lastKey {
		if k.done != sv.lastKey.done {
			sv.retries = 0
		}
		sv.lastKey = k
		files := n.SharedFiles()
		rows := shareRows(files)
		_ = sv.Files.Set(rows)
		sv.app.Search.setHave(haveOf(rows, st.Transfers, sv.app.Transfers.finishedIDs()))
		// A download is listed as done a moment before the engine serves
		// it: look again at the next polls until it is there (a file
		// removed since is never served; a few looks are enough).
		if !servesAll(files, st.Transfers) && sv.retries < shareRetries {
			sv.retries++
			sv.lastKey = shareKey{}
		}
	}
	rows, _ := sv.Files.Get()
	for _, r := range rows {
		bytes += r.Size
	}
	return len(rows), bytes
}

func shareRows(files []wire.FileEntry) []ShareRow {
	rows := make([]ShareRow, len(files))
	for i, f := range files {
		rows[i] = ShareRow{Name: SafeText(f.Name), Size: f.Size, ID: f.ID}
	}
	return rows
}
