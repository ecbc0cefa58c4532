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

	mu      sync.Mutex
	states  map[string]transfer.State // last seen, for completion notices
	last    []Transfer
	pending []Pending // last saved
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

// StartFolder downloads every file of the shared folder at path into the
// downloads folder under its last element, keeping the tree (each file
// a download of its own, queued like the others); it returns how many
// were started. Files already downloading are left as they are.
func (t *TransfersVM) StartFolder(ctx context.Context, folder string) (int, error) {
	n, err := t.app.engine()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	resp, _, err := n.SearchAll(ctx, folder, MaxFolderFiles)
	if err != nil {
		return 0, err
	}
	root := filepath.Join(t.app.Settings().Downloads, transfer.SafeName(path.Base(folder)))
	started, seen := 0, map[string]bool{}
	var firstErr error
	for _, r := range resp.Results {
		if !wire.ValidID(r.ID) || !strings.HasPrefix(r.Name, folder+"/") || seen[r.ID] {
			continue
		}
		seen[r.ID] = true // one download per content
		dir := transfer.FolderDir(root, strings.TrimPrefix(r.Name, folder+"/"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return started, err
		}
		if _, err := n.Download(engine.Request{Name: r.Name, ID: r.ID, Dir: dir}); err != nil {
			if !errors.Is(err, transfer.ErrBusy) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		started++
	}
	t.update(n.Snapshot().Transfers)
	if started == 0 && firstErr != nil {
		return 0, firstErr
	}
	return started, nil
}

// Select shows key's chunk grid and sources.
func (t *TransfersVM) Select(key string) {
	_ = t.Selected.Set(key)
	t.mu.Lock()
	last := t.last
	t.mu.Unlock()
	t.updateSelected(last)
}

// Pause, Resume and Cancel act on a download. Call from a goroutine.
func (t *TransfersVM) Pause(key string) error  { return t.do(key, (*engine.Engine).Pause) }
func (t *TransfersVM) Resume(key string) error { return t.do(key, (*engine.Engine).Resume) }
func (t *TransfersVM) Cancel(key string) error { return t.do(key, (*engine.Engine).Cancel) }

// MoveUp and MoveDown move a download one row up or down the list, which
// is the queue's order: queued downloads start from the top. Call from a
// goroutine.
func (t *TransfersVM) MoveUp(key string) error   { return t.do(key, (*engine.Engine).MoveUp) }
func (t *TransfersVM) MoveDown(key string) error { return t.do(key, (*engine.Engine).MoveDown) }

// ClearFinished takes the done and failed downloads off the list (their
// files stay) and returns how many. Call from a goroutine.
func (t *TransfersVM) ClearFinished() (int, error) {
	n, err := t.app.engine()
	if err != nil {
		return 0, err
	}
	cleared := 0
	var errs []error
	for _, tr := range n.Snapshot().Transfers {
		if tr.State != transfer.StateDone && tr.State != transfer.StateFailed {
			continue
		}
		// Gone already (another command) is as good as cleared.
		if err := n.Forget(tr.Key); err != nil && !errors.Is(err, transfer.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		cleared++
	}
	t.update(n.Snapshot().Transfers)
	return cleared, errors.Join(errs...)
}

func (t *TransfersVM) do(key string, f func(*engine.Engine, string) error) error {
	n, err := t.app.engine()
	if err != nil {
		return err
	}
	if err := f(n, key); err != nil {
		return err
	}
	t.update(n.Snapshot().Transfers)
	return nil
}

// update turns a round of snapshots into rows, the selected grid and
// completion notices. The rows keep the engine's order, the queue's.
func (t *TransfersVM) update(ts []Transfer) {
	rows := make([]TransferRow, len(ts))
	active := 0
	var done []TransferRow
	t.mu.Lock()
	for i, tr := range ts {
		rows[i] = rowOf(tr)
		if rows[i].Active() {
			active++
		}
		prev, seen := t.states[tr.Key]
		if tr.State == transfer.StateDone && seen && prev != transfer.StateDone {
			done = append(done, rows[i])
		}
		t.states[tr.Key] = tr.State
	}
	t.last = ts
	var pending []Pending
	for _, tr := range ts {
		if tr.State != transfer.StateDone && tr.Req.ID != "" {
			p := Pending{Name: tr.Req.Name, ID: tr.Req.ID, Paused: tr.State == transfer.StatePaused, Dir: tr.Req.Dir}
			pending = append(pending, p)
		}
	}
	savePending := !slices.Equal(pending, t.pending)
	t.pending = pending
	t.mu.Unlock()
	if savePending {
		prefs := t.app.fyne.Preferences()
		fyne.Do(func() { SavePending(prefs, pending) })
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
	i := slices.IndexFunc(ts, func(tr Transfer) bool { return tr.Key == sel })
	if i < 0 {
		_ = t.Grid.Set(Grid{})
		_ = t.Peers.Set(nil)
		_ = t.Title.Set("")
		return
	}
	tr := ts[i]
	old, _ := t.Grid.Get()
	g := Grid{Key: tr.Key, Cells: old.Cells, Version: old.Version, Sources: make([]string, len(tr.Peers))}
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
