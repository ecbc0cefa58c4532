package vm

import (
	"path/filepath"
	"slices"

	"github.com/enxame/enxame/app/widgets"
	"github.com/enxame/enxame/net/transfer"
)

// MaxFolderCells bounds the cells of a folder's chunk grid. The chunks of
// its files, in order, are folded so that each cell stands for Per
// consecutive chunks (done only when all of them are, on its way when one
// is, failed when one failed, else missing). A folder of more files than
// this is drawn one cell per Per whole files instead, from the files'
// states alone: its files' chunk tables are then not read at all.
const MaxFolderCells = widgets.MaxCells

// folderCells are the chunk cells of the selected folder's files, each
// file's read from the engine only when its chunk table changed, and the
// grid last built from them.
type folderCells struct {
	root    string
	files   map[string]fileCells // by download key
	cells   []widgets.Cell
	per     int
	version uint64 // bumped whenever cells change
}

type fileCells struct {
	version uint64 // the engine's CellsVersion they were read at
	cells   []widgets.Cell
}

// updateFolderSelected shows the grid and sources of the folder at root.
func (t *TransfersVM) updateFolderSelected(root string, ts []Transfer) {
	var files []Transfer
	for _, tr := range ts {
		if tr.Req.Folder == root {
			files = append(files, tr)
		}
	}
	if len(files) == 0 {
		t.clearSelected()
		return
	}
	g, peers := t.folderGrid(root, files)
	if old, _ := t.Grid.Get(); !gridEqual(old, g) {
		_ = t.Grid.Set(g)
	}
	if old, _ := t.Peers.Get(); !slices.Equal(old, peers) {
		_ = t.Peers.Set(peers)
	}
	_ = t.Title.Set(SafeText(filepath.Base(root)))
}

func (t *TransfersVM) clearSelected() {
	_ = t.Grid.Set(Grid{})
	_ = t.Peers.Set(nil)
	_ = t.Title.Set("")
}

// folderGrid builds the grid of a folder's files: their chunks one after
// the other (folded to at most MaxFolderCells), and their sources merged
// by address (the rates of the files running and the bad chunks summed;
// sending when it sends for one file, waiting when it waits for one, else
// no longer used).
func (t *TransfersVM) folderGrid(root string, files []Transfer) (Grid, []PeerRow) {
	index := map[string]int{}
	var peers []PeerRow
	remap := make([][]int, len(files)) // file's peer index → merged index
	for j, tr := range files {
		remap[j] = make([]int, len(tr.Peers))
		for k, p := range tr.Peers {
			m, ok := index[p.Addr]
			if !ok {
				m = len(peers)
				index[p.Addr] = m
				peers = append(peers, PeerRow{Addr: SafeText(p.Addr), State: "dropped", Color: m})
			}
			remap[j][k] = m
			pr := &peers[m]
			if running(tr.State) {
				pr.Rate += p.Rate // a finished file's last rate is no more
			}
			pr.Strikes += p.Strikes
			switch {
			case p.Dropped:
			case p.Connected:
				pr.State = "connected"
			case pr.State == "dropped":
				pr.State = "idle"
			}
		}
	}

	t.gridMu.Lock()
	defer t.gridMu.Unlock()
	fc := &t.grid
	if fc.root != root || fc.files == nil {
		*fc = folderCells{root: root, files: map[string]fileCells{}, version: fc.version}
	}
	var cells []widgets.Cell
	byFiles := len(files) > MaxFolderCells
	if byFiles {
		// One cell per file, from its state: no chunk table is read.
		f := newFolder(len(files), MaxFolderCells)
		for _, tr := range files {
			f.add(fileCell(tr))
			for _, p := range tr.Peers {
				peers[index[p.Addr]].Chunks += p.Chunks
			}
		}
		cells = f.done()
		fc.files = map[string]fileCells{}
		fc.per = f.per
	} else {
		t.readCells(fc, files)
		total := 0
		for _, tr := range files {
			total += max(len(fc.files[tr.Key].cells), 1)
		}
		f := newFolder(total, MaxFolderCells)
		for j, tr := range files {
			fcs := fc.files[tr.Key].cells
			if len(fcs) == 0 {
				f.add(fileCell(tr)) // not planned yet (or empty): one cell
				continue
			}
			for _, c := range fcs {
				src := widgets.NoSource
				if s := c.Source(); s >= 0 && s < len(remap[j]) {
					src = remap[j][s]
				}
				if c.State() == widgets.CellDone && src >= 0 {
					// Counted from the chunks, as a file's legend counts
					// them: the engine's count also holds chunks from
					// before a pause, which the cells show without source.
					peers[src].Chunks++
				}
				f.add(widgets.MakeCell(c.State(), src))
			}
		}
		cells = f.done()
		fc.per = f.per
	}
	if !slices.Equal(cells, fc.cells) {
		fc.cells = cells
		fc.version++
	}
	g := Grid{Key: FolderKey(root), Cells: fc.cells, Version: fc.version, Per: fc.per, Files: byFiles, Sources: make([]string, len(peers))}
	for i, p := range peers {
		g.Sources[i] = p.Addr
	}
	return g, peers
}

// readCells brings fc's copy of each file's cells up to date, asking the
// engine only for the files whose chunk table changed since, and forgets
// files no longer in the folder. Called with gridMu held.
func (t *TransfersVM) readCells(fc *folderCells, files []Transfer) {
	n, err := t.app.engine()
	keep := make(map[string]bool, len(files))
	for _, tr := range files {
		keep[tr.Key] = true
		c, ok := fc.files[tr.Key]
		if err != nil || (ok && c.version == tr.CellsVersion) {
			continue
		}
		cells, v, _ := n.Cells(tr.Key, nil, 0)
		fc.files[tr.Key] = fileCells{version: v, cells: gridCells(cells)}
	}
	for k := range fc.files {
		if !keep[k] {
			delete(fc.files, k)
		}
	}
}

// fileCell is the one cell of a file drawn whole: done, failed, on its
// way, or missing.
func fileCell(tr Transfer) widgets.Cell {
	switch {
	case tr.State == transfer.StateDone:
		return widgets.MakeCell(widgets.CellDone, widgets.NoSource)
	case tr.State == transfer.StateFailed:
		return widgets.MakeCell(widgets.CellFailed, widgets.NoSource)
	case running(tr.State) && (tr.Done > 0 || tr.State == transfer.StateDownloading):
		return widgets.MakeCell(widgets.CellInFlight, widgets.NoSource)
	}
	return widgets.MakeCell(widgets.CellMissing, widgets.NoSource)
}

// folder folds a stream of cells, per at a time, into at most max cells.
type folder struct {
	per, n int
	cells  []widgets.Cell
	count  [4]int // states of the cells folded into the one being made
	source [4]int // a source of each state among them
}

func newFolder(total, maxCells int) *folder {
	per := max((total+maxCells-1)/maxCells, 1)
	return &folder{per: per, cells: make([]widgets.Cell, 0, (total+per-1)/per)}
}

// add folds in the next cell.
func (f *folder) add(c widgets.Cell) {
	if f.per == 1 {
		f.cells = append(f.cells, c)
		return
	}
	if f.n == 0 {
		f.count = [4]int{}
		f.source = [4]int{widgets.NoSource, widgets.NoSource, widgets.NoSource, widgets.NoSource}
	}
	s := c.State() & 3
	f.count[s]++
	if src := c.Source(); src >= 0 {
		f.source[s] = src
	}
	f.n++
	if f.n == f.per {
		f.flush()
	}
}

// flush ends the cell being made: done only when all its chunks are, on
// its way when one is, failed when one failed, else missing.
func (f *folder) flush() {
	s := widgets.CellMissing
	switch {
	case f.count[widgets.CellDone] == f.n:
		s = widgets.CellDone
	case f.count[widgets.CellInFlight] > 0:
		s = widgets.CellInFlight
	case f.count[widgets.CellFailed] > 0:
		s = widgets.CellFailed
	}
	f.cells = append(f.cells, widgets.MakeCell(s, f.source[s]))
	f.n = 0
}

// done ends the last, partial, cell.
func (f *folder) done() []widgets.Cell {
	if f.n > 0 {
		f.flush()
	}
	return f.cells
}
