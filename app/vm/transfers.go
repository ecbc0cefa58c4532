package vm

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"

	"github.com/enxame/enxame/app/widgets"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// TransfersVM is the Transfers tab: every download, and the selected one's
// chunk grid and sources.
type TransfersVM struct {
	app *App

	Rows     Rows[TransferRow]
	Selected binding.String // key of the selected download, "" none
	Grid     binding.Item[Grid]
	Peers    Rows[PeerRow]
	Title    binding.String // the selected download, in words
	Active   binding.Int    // downloads not finished, for the tab's badge

	mu       sync.Mutex
	states   map[string]transfer.State // by row key, last seen, for completion notices
	last     []Transfer
	pending  []Pending        // last saved
	expanded map[string]bool  // folder roots whose files are listed under them
	sizes    map[string]int64 // content id → size the search told, for folders
	// finished: the finished downloads remembered across starts, oldest
	// first (Preferences' PrefDone), and by id+path.
	finished   []DoneFile
	finishedAt map[string]bool

	gridMu sync.Mutex  // held while the selected folder's cells are read
	grid   folderCells // the selected folder's cells, read file by file
}

func newTransfersVM(app *App) *TransfersVM {
	return &TransfersVM{
		app:      app,
		Rows:     newRows(rowEqual),
		Selected: binding.NewString(),
		Grid:     binding.NewItem(gridEqual),
		Peers:    newRows(eq[PeerRow]),
		Title:    binding.NewString(),
		Active:   binding.NewInt(),
		states:   map[string]transfer.State{},
		expanded: map[string]bool{},
		sizes:    map[string]int64{},
	}
}

func rowEqual(a, b TransferRow) bool {
	ea, eb := errText(a.Err), errText(b.Err)
	a.Err, b.Err = nil, nil
	return a == b && ea == eb
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Start downloads the file id shared as name and selects it. Call from a
// goroutine.
func (t *TransfersVM) Start(name, id string) (string, error) {
	n, err := t.app.engine()
	if err != nil {
		return "", err
	}
	// The folder is named with the request, so that changing the
	// downloads folder later leaves this one where it is.
	key, err := n.Download(engine.Request{Name: name, ID: id, Dir: t.app.Settings().Downloads})
	if err != nil {
		return "", err
	}
	_ = t.Selected.Set(key)
	t.update(n.Snapshot().Transfers)
	return key, nil
}

// MaxFolderFiles bounds the files one folder download takes.
const MaxFolderFiles = 100_000

// StartFolder downloads every file of the shared folder at path that
// this computer does not have already (see PlanFolder and StartPlan); it
// returns how many were started.
func (t *TransfersVM) StartFolder(ctx context.Context, folder string) (int, error) {
	p, err := t.PlanFolder(ctx, folder)
	if err != nil {
		return 0, err
	}
	started, _, err := t.StartPlan(p, false)
	return started, err
}

// FolderPlan is a shared folder's files as the network lists them, before
// any is downloaded: the window asks what to do with those this computer
// has already (Had) before StartPlan.
type FolderPlan struct {
	Folder string // the folder's path in the shares
	Files  int    // its files (one per content)
	Had    int    // of them, those this computer has already
	// The search's answer: each file plans from it (Request.Offer), not
	// from a search of its own.
	results []wire.SearchResult
}

// PlanFolder lists the files of the shared folder at path. Call from a
// goroutine.
func (t *TransfersVM) PlanFolder(ctx context.Context, folder string) (FolderPlan, error) {
	n, err := t.app.engine()
	if err != nil {
		return FolderPlan{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	resp, _, err := n.SearchAll(ctx, folder, MaxFolderFiles)
	if err != nil {
		return FolderPlan{}, err
	}
	p := FolderPlan{Folder: folder, results: resp.Results}
	have := t.app.Search.haveMap()
	for _, r := range p.files() {
		p.Files++
		if have[r.ID] != HaveNone {
			p.Had++
		}
	}
	return p, nil
}

// files are the plan's files under its folder, one per content.
func (p FolderPlan) files() []wire.SearchResult {
	var out []wire.SearchResult
	seen := map[string]bool{}
	for _, r := range p.results {
		if !wire.ValidID(r.ID) || !strings.HasPrefix(r.Name, p.Folder+"/") || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return out
}

// StartPlan downloads the files of p into the downloads folder under the
// folder's last element, keeping the tree (each file a download of its
// own, queued like the others, with the folder's root as its
// Request.Folder: the list shows them as one folder row and selects it).
// Unless again is set, the files this computer has already are skipped
// (with again, those only this computer holds still are).
// It returns how many were started and skipped. Files already
// downloading are left as they are. Call from a goroutine.
func (t *TransfersVM) StartPlan(p FolderPlan, again bool) (started, skipped int, err error) {
	n, err := t.app.engine()
	if err != nil {
		return 0, 0, err
	}
	folder := p.Folder
	root := filepath.Join(t.app.Settings().Downloads, transfer.SafeName(path.Base(folder)))
	offers := map[string][]wire.SearchResult{}
	for _, r := range p.results {
		offers[r.Name] = append(offers[r.Name], r)
	}
	have := t.app.Search.haveMap()
	var firstErr error
	for _, r := range p.files() {
		// Had, it is skipped unless asked for again; held only here, it
		// has nowhere to come from anyway.
		if have[r.ID] != HaveNone && (!again || !slices.ContainsFunc(r.Peers, func(h wire.ResultPeer) bool { return !t.app.isSelf(h.Addr) })) {
			skipped++
			continue
		}
		dir := transfer.FolderDir(root, strings.TrimPrefix(r.Name, folder+"/"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return started, skipped, err
		}
		t.noteSize(r.ID, r.Size)
		if _, err := n.Download(engine.Request{Name: r.Name, ID: r.ID, Dir: dir, Folder: root, Offer: offers[r.Name]}); err != nil {
			if !errors.Is(err, transfer.ErrBusy) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		started++
	}
	if started > 0 {
		_ = t.Selected.Set(FolderKey(root))
	}
	t.update(n.Snapshot().Transfers)
	if started == 0 && firstErr != nil {
		return 0, skipped, firstErr
	}
	return started, skipped, nil
}

// loadFinished takes the finished downloads remembered by the last run,
// keeping those whose file is still where it was saved, unchanged; it
// returns them, or nil when none was dropped.
func (t *TransfersVM) loadFinished(ds []DoneFile) []DoneFile {
	kept := slices.DeleteFunc(slices.Clone(ds), func(d DoneFile) bool { return !d.unchanged() })
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finished, t.finishedAt = kept, map[string]bool{}
	for _, d := range kept {
		t.finishedAt[d.ID+"\x00"+d.Path] = true
	}
	if len(kept) == len(ds) {
		return nil
	}
	return slices.Clone(kept)
}

// noteFinishedLocked remembers the downloads of ts that are done and not
// remembered yet; it returns the list to save, or nil when nothing new.
func (t *TransfersVM) noteFinishedLocked(ts []Transfer) []DoneFile {
	if t.finishedAt == nil {
		t.finishedAt = map[string]bool{}
	}
	added := false
	for _, tr := range ts {
		if tr.State != transfer.StateDone || tr.Path == "" || !wire.ValidID(tr.ID) || t.finishedAt[tr.ID+"\x00"+tr.Path] {
			continue
		}
		if d, ok := doneFileOf(tr.ID, tr.Path); ok {
			t.finished = append(t.finished, d)
			t.finishedAt[tr.ID+"\x00"+tr.Path] = true
			added = true
		}
	}
	if !added {
		return nil
	}
	if n := len(t.finished) - MaxDone; n > 0 {
		for _, d := range t.finished[:n] {
			delete(t.finishedAt, d.ID+"\x00"+d.Path)
		}
		t.finished = slices.Delete(t.finished, 0, n)
	}
	return slices.Clone(t.finished)
}

// finishedIDs are the contents of the finished downloads remembered.
func (t *TransfersVM) finishedIDs() map[string]bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make(map[string]bool, len(t.finished))
	for _, d := range t.finished {
		ids[d.ID] = true
	}
	return ids
}

// Select shows key's chunk grid and sources.
func (t *TransfersVM) Select(key string) {
	_ = t.Selected.Set(key)
	t.mu.Lock()
	last := t.last
	t.mu.Unlock()
	t.updateSelected(last)
}

// Pause, Resume and Cancel act on a download, or on every file of a
// folder row (FolderKey): Pause on those running or queued, Resume on
// those paused or failed, Cancel on all (a done file is only taken off
// the list: it stays on disk). Call from a goroutine.
func (t *TransfersVM) Pause(key string) error {
	whole := folderOfKey(key) != ""
	return t.forFolder(key, func(n *engine.Engine, tr Transfer) error {
		if whole && !rowOf(tr).Active() {
			return nil
		}
		return n.Pause(tr.Key)
	})
}

func (t *TransfersVM) Resume(key string) error {
	whole := folderOfKey(key) != ""
	return t.forFolder(key, func(n *engine.Engine, tr Transfer) error {
		if whole && !rowOf(tr).Resumable() {
			return nil
		}
		return n.Resume(tr.Key)
	})
}

func (t *TransfersVM) Cancel(key string) error {
	whole := folderOfKey(key) != ""
	if whole {
		t.mu.Lock()
		delete(t.expanded, folderOfKey(key))
		t.mu.Unlock()
	}
	return t.forFolder(key, func(n *engine.Engine, tr Transfer) error {
		if whole && tr.State == transfer.StateDone {
			return n.Forget(tr.Key)
		}
		return n.Cancel(tr.Key)
	})
}

// SetExpanded shows (or hides) the files of the folder row key under it.
// Call from a goroutine.
func (t *TransfersVM) SetExpanded(key string, open bool) {
	root := folderOfKey(key)
	if root == "" {
		return
	}
	t.mu.Lock()
	if open {
		t.expanded[root] = true
	} else {
		delete(t.expanded, root)
	}
	last := t.last
	t.mu.Unlock()
	t.update(last)
	if sel, _ := t.Selected.Get(); !open && t.inFolder(sel, root) {
		t.Select(key) // a file hidden away: its folder is the selection
	}
}

// inFolder reports whether key is a download of the folder at root.
func (t *TransfersVM) inFolder(key, root string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.last {
		if tr.Key == key {
			return tr.Req.Folder == root
		}
	}
	return false
}

// MoveUp and MoveDown move an item (a download, or a folder with all its
// files) one row up or down the list, which is the queue's order:
// queued downloads start from the top. A file of a folder moves its
// folder. Call from a goroutine.
func (t *TransfersVM) MoveUp(key string) error   { return t.move(key, -1) }
func (t *TransfersVM) MoveDown(key string) error { return t.move(key, +1) }

// ClearFinished takes the done and failed downloads off the list (their
// files stay) and returns how many items it cleared: a folder goes as one
// once each of its files is done or failed. Call from a goroutine.
func (t *TransfersVM) ClearFinished() (int, error) {
	n, err := t.app.engine()
	if err != nil {
		return 0, err
	}
	cleared := 0
	var errs []error
	for _, it := range itemsOf(n.Snapshot().Transfers) {
		if !itemFinished(it) {
			continue
		}
		for _, tr := range it.files {
			// Gone already (another command) is as good as cleared.
			if err := n.Forget(tr.Key); err != nil && !errors.Is(err, transfer.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		cleared++
	}
	t.update(n.Snapshot().Transfers)
	return cleared, errors.Join(errs...)
}

// update turns a round of snapshots into rows, the selected grid and
// completion notices. The rows keep the engine's order, the queue's; a
// folder's files are one row (see itemsOf), notified once it is done.
func (t *TransfersVM) update(ts []Transfer) {
	items := itemsOf(ts)
	t.mu.Lock()
	rows := rowsOf(items, t.expanded, t.sizes)
	active := 0
	var done []TransferRow
	for _, r := range rows {
		if r.Kind == RowChild {
			continue
		}
		if r.Active() {
			active++
		}
		prev, seen := t.states[r.Key]
		if r.State == transfer.StateDone && seen && prev != transfer.StateDone {
			done = append(done, r)
		}
		t.states[r.Key] = r.State
	}
	t.last = ts
	var pending []Pending
	for _, tr := range ts {
		if tr.State != transfer.StateDone && tr.Req.ID != "" {
			p := Pending{Name: tr.Req.Name, ID: tr.Req.ID, Paused: tr.State == transfer.StatePaused, Dir: tr.Req.Dir, Folder: tr.Req.Folder}
			if p.Folder != "" {
				p.Size = t.sizes[p.ID]
			}
			pending = append(pending, p)
		}
	}
	savePending := !slices.Equal(pending, t.pending)
	t.pending = pending
	finished := t.noteFinishedLocked(ts)
	t.mu.Unlock()
	if savePending {
		prefs := t.app.fyne.Preferences()
		fyne.Do(func() { SavePending(prefs, pending) })
	}
	if finished != nil {
		prefs := t.app.fyne.Preferences()
		fyne.Do(func() { SaveDone(prefs, finished) })
	}

	old, _ := t.Rows.Get()
	if !slices.EqualFunc(old, rows, rowEqual) {
		_ = t.Rows.Set(rows)
	}
	_ = t.Active.Set(active)
	if sel, _ := t.Selected.Get(); sel == "" && len(rows) > 0 {
		_ = t.Selected.Set(rows[0].Key)
	}
	t.updateSelected(ts)
	if cb := t.app.OnDone; cb != nil {
		for _, r := range done {
			cb(r)
		}
	}
}

// noteSize remembers the size the search told for content id, for the
// total of a folder whose file is not planned yet.
func (t *TransfersVM) noteSize(id string, size int64) {
	if id == "" || size <= 0 {
		return
	}
	t.mu.Lock()
	t.sizes[id] = size
	t.mu.Unlock()
}

func rowOf(tr Transfer) TransferRow {
	r := TransferRow{
		Key: tr.Key, Name: SafeText(tr.Name), ID: tr.ID, State: tr.State, Err: tr.Err,
		Fraction: tr.Fraction(), Done: tr.Done, Size: tr.Size, Rate: tr.Rate, ETA: tr.ETA,
		Peers: len(tr.Peers), Path: tr.Path, Dir: tr.Dir, Queue: tr.Queue,
	}
	for _, p := range tr.Peers {
		if p.Connected && !p.Dropped {
			r.Sources++
		}
	}
	if r.State == transfer.StateStalled {
		// The state says the cause (waiting for a source) in words; the
		// engine's wording of it is no error for a person to decode.
		r.Err = nil
	}
	return r
}

func (t *TransfersVM) updateSelected(ts []Transfer) {
	sel, _ := t.Selected.Get()
	if root := folderOfKey(sel); root != "" {
		t.updateFolderSelected(root, ts)
		return
	}
	i := slices.IndexFunc(ts, func(tr Transfer) bool { return tr.Key == sel })
	if i < 0 {
		t.clearSelected()
		return
	}
	tr := ts[i]
	old, _ := t.Grid.Get()
	g := Grid{Key: tr.Key, Per: 1, Cells: old.Cells, Version: old.Version, Sources: make([]string, len(tr.Peers))}
	if old.Key != tr.Key {
		g.Cells, g.Version = nil, 0
	}
	// The cells are copied only for the download on screen, and only when
	// they changed since the grid last got them.
	if n, err := t.app.engine(); err == nil {
		if cells, v, changed := n.Cells(tr.Key, nil, g.Version); changed {
			g.Cells, g.Version = gridCells(cells), v
		}
	}
	// Each source's chunks are counted from the cells, as the grid's
	// legend counts them: the engine's own count also holds chunks from
	// before a pause, which the cells show without their source.
	supplied := make([]int, len(tr.Peers))
	for _, c := range g.Cells {
		if src := c.Source(); c.State() == widgets.CellDone && src >= 0 && src < len(supplied) {
			supplied[src]++
		}
	}
	peers := make([]PeerRow, len(tr.Peers))
	for j, p := range tr.Peers {
		g.Sources[j] = SafeText(p.Addr)
		state := "idle"
		switch {
		case p.Dropped:
			state = "dropped"
		case p.Connected:
			state = "connected"
		}
		peers[j] = PeerRow{Addr: SafeText(p.Addr), Rate: p.Rate, Chunks: supplied[j], Strikes: p.Strikes, State: state, Color: j}
	}
	if !gridEqual(old, g) {
		_ = t.Grid.Set(g)
	}
	oldPeers, _ := t.Peers.Get()
	if !slices.Equal(oldPeers, peers) {
		_ = t.Peers.Set(peers)
	}
	_ = t.Title.Set(SafeText(tr.Name))
}

// gridCells hands the engine's cells to the grid: the two share one
// layout (TestCellLayoutsAgree), so this is a copy, not a translation.
func gridCells(cells []engine.Cell) []widgets.Cell {
	out := make([]widgets.Cell, len(cells))
	for i, c := range cells {
		out[i] = widgets.Cell(c)
	}
	return out
}
