package vm

import (
	"cmp"
	"errors"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/transfer"
)

// folderKeyPrefix starts the key of a folder row; the engine's keys
// ("d1", "d2", …) never do.
const folderKeyPrefix = "folder:"

// FolderKey is the key of the row of the folder downloaded whole into root.
func FolderKey(root string) string { return folderKeyPrefix + root }

// folderOfKey is the root of the folder row key names, or "" when key is a
// download's own.
func folderOfKey(key string) string {
	if root, ok := strings.CutPrefix(key, folderKeyPrefix); ok {
		return root
	}
	return ""
}

// item is one entry of the Transfers list: a download of its own, or a
// folder's downloads together (in the list's order).
type item struct {
	key    string // the row's key
	folder string // the folder's root, "" for a file
	files  []Transfer
}

// itemsOf groups the engine's downloads into the list's items: the files
// of one folder (same Req.Folder) make one item, at the place of the
// first of them; the others are an item each. The order is the engine's,
// the queue's.
func itemsOf(ts []Transfer) []item {
	var items []item
	at := map[string]int{} // folder root → index in items
	for _, tr := range ts {
		root := tr.Req.Folder
		if root == "" {
			items = append(items, item{key: tr.Key, files: []Transfer{tr}})
			continue
		}
		i, ok := at[root]
		if !ok {
			i = len(items)
			at[root] = i
			items = append(items, item{key: FolderKey(root), folder: root})
		}
		items[i].files = append(items[i].files, tr)
	}
	return items
}

// itemOf finds the item key belongs to: the item itself, or the folder a
// file of it is in.
func itemOf(items []item, key string) int {
	for i, it := range items {
		if it.key == key {
			return i
		}
		if it.folder != "" {
			for _, tr := range it.files {
				if tr.Key == key {
					return i
				}
			}
		}
	}
	return -1
}

// rowsOf is the list's rows for items: one per item, and under each
// expanded folder's row one per file. sizes are the files' sizes as the
// search told them, by content id, for files not planned yet.
func rowsOf(items []item, expanded map[string]bool, sizes map[string]int64) []TransferRow {
	rows := make([]TransferRow, 0, len(items))
	for _, it := range items {
		if it.folder == "" {
			rows = append(rows, rowOf(it.files[0]))
			continue
		}
		open := expanded[it.folder]
		rows = append(rows, folderRow(it, open, sizes))
		if !open {
			continue
		}
		for _, tr := range it.files {
			r := rowOf(tr)
			r.Kind, r.Folder = RowChild, it.folder
			r.Name = SafeText(childName(it.folder, tr))
			rows = append(rows, r)
		}
	}
	return rows
}

// childName is a folder's file named by its path in the folder.
func childName(root string, tr Transfer) string {
	name := path.Base(cmp.Or(tr.Name, tr.Req.Name))
	rel, err := filepath.Rel(root, tr.Req.Dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return name
	}
	return filepath.ToSlash(rel) + "/" + name
}

// running reports the states of a download under way.
func running(s transfer.State) bool {
	switch s {
	case transfer.StatePlanning, transfer.StateVerifying, transfer.StateDownloading, transfer.StateStalled:
		return true
	}
	return false
}

// runRank orders the running states for a folder's row: the one most
// under way among its files is the folder's.
func runRank(s transfer.State) int {
	switch s {
	case transfer.StateDownloading:
		return 4
	case transfer.StateVerifying:
		return 3
	case transfer.StatePlanning:
		return 2
	case transfer.StateStalled:
		return 1
	}
	return 0
}

// folderRow is the row of a folder: its files' sizes, bytes and rates
// summed, its sources counted by address, and one state: running when a
// file runs, else done when all are, else failed when one failed, else
// paused when every unfinished file is paused, else queued.
func folderRow(it item, expanded bool, sizes map[string]int64) TransferRow {
	r := TransferRow{
		Key: it.key, Name: SafeText(filepath.Base(it.folder)), Kind: RowFolder, Folder: it.folder,
		Path: it.folder, Dir: filepath.Dir(it.folder), Files: len(it.files), Expanded: expanded,
	}
	known, connected := map[string]bool{}, map[string]bool{}
	var done, failed, paused, queued int
	var runState transfer.State // with runRank > 0 when a file runs
	rank := 0
	for _, tr := range it.files {
		size := tr.Size
		if size <= 0 {
			size = sizes[cmp.Or(tr.ID, tr.Req.ID)]
		}
		r.Size += size
		r.Done += tr.Done
		if running(tr.State) {
			r.Rate += tr.Rate // a finished or paused file's last rate is no more
		}
		for _, p := range tr.Peers {
			known[p.Addr] = true
			if p.Connected && !p.Dropped {
				connected[p.Addr] = true
			}
		}
		switch s := tr.State; {
		case running(s):
			if runRank(s) > rank {
				runState, rank = s, runRank(s)
			}
		case s == transfer.StateDone:
			done++
		case s == transfer.StateFailed:
			failed++
			if r.Err == nil {
				r.Err = tr.Err
			}
		case s == transfer.StatePaused:
			paused++
		case s == transfer.StateQueued:
			queued++
			if r.Queue == 0 || (tr.Queue > 0 && tr.Queue < r.Queue) {
				r.Queue = tr.Queue
			}
		}
	}
	r.Peers, r.Sources = len(known), len(connected)
	r.Ended = done + failed
	switch {
	case rank > 0:
		r.State = runState
	case done == len(it.files):
		r.State = transfer.StateDone
	case failed > 0:
		r.State = transfer.StateFailed
	case paused > 0 && paused+done == len(it.files):
		r.State = transfer.StatePaused
	default:
		r.State = transfer.StateQueued
	}
	if r.State != transfer.StateFailed {
		r.Err = nil
	}
	if r.State != transfer.StateQueued {
		r.Queue = 0
	}
	switch {
	case r.State == transfer.StateDone:
		r.Fraction = 1
	case r.Size > 0:
		r.Fraction = min(float64(r.Done)/float64(r.Size), 1)
	}
	if r.Rate > 0 && r.Size > r.Done {
		r.ETA = secondsDuration(float64(r.Size-r.Done) / r.Rate)
	}
	return r
}

// secondsDuration is s seconds, capped far beyond MaxShownETA.
func secondsDuration(s float64) time.Duration {
	return time.Duration(min(s, 1e9) * float64(time.Second))
}

// forFolder runs f on the files of the folder row key names, last first
// (a running file paused or cancelled first would free its place for a
// queued file of the same folder), and joins the errors; f says nothing
// for a file it leaves as it is. A key that is no folder's is the
// download's own: f is run on it alone.
func (t *TransfersVM) forFolder(key string, f func(*engine.Engine, Transfer) error) error {
	n, err := t.app.engine()
	if err != nil {
		return err
	}
	root := folderOfKey(key)
	if root == "" {
		tr, ok := n.Transfer(key)
		if !ok {
			return transfer.ErrNotFound
		}
		if err := f(n, tr); err != nil {
			return err
		}
		t.update(n.Snapshot().Transfers)
		return nil
	}
	ts := n.Snapshot().Transfers
	var errs []error
	found := false
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Req.Folder != root {
			continue
		}
		found = true
		// Gone meanwhile (another command) is as good as done.
		if err := f(n, ts[i]); err != nil && !errors.Is(err, transfer.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if !found {
		return transfer.ErrNotFound
	}
	t.update(n.Snapshot().Transfers)
	return errors.Join(errs...)
}

// itemFinished reports whether every file of it is done or failed: what
// Clear finished takes off the list.
func itemFinished(it item) bool {
	for _, tr := range it.files {
		if tr.State != transfer.StateDone && tr.State != transfer.StateFailed {
			return false
		}
	}
	return true
}

// move swaps the item key belongs to with the one delta (±1) rows away.
// The engine moves one download at a time, so the smaller of the two
// items moves past the other: a file moves past a folder of a thousand
// in one step, a folder past a file in as many as it has files.
func (t *TransfersVM) move(key string, delta int) error {
	n, err := t.app.engine()
	if err != nil {
		return err
	}
	ts := n.Snapshot().Transfers
	items := itemsOf(ts)
	i := itemOf(items, key)
	if i < 0 {
		return transfer.ErrNotFound
	}
	j := i + delta
	if j < 0 || j >= len(items) {
		return nil // at its end already
	}
	a, b := items[min(i, j)], items[max(i, j)] // a above b
	for _, m := range swapMoves(ts, a, b) {
		if err := n.Move(m.key, m.to); err != nil {
			return err
		}
	}
	t.update(n.Snapshot().Transfers)
	return nil
}

// aMove is one engine Move: the download under key to index to.
type aMove struct {
	key string
	to  int
}

// swapMoves are the engine moves that put item b (listed after a) before
// a, keeping the order of the files within each: b's files go to where
// a's first file is, or, when a is the smaller, a's files go after b's
// last file.
func swapMoves(ts []Transfer, a, b item) []aMove {
	index := make(map[string]int, len(ts))
	for i, tr := range ts {
		index[tr.Key] = i
	}
	var moves []aMove
	if len(b.files) <= len(a.files) {
		at := index[a.files[0].Key]
		for k, tr := range b.files {
			moves = append(moves, aMove{tr.Key, at + k})
		}
		return moves
	}
	end := index[b.files[len(b.files)-1].Key]
	for k := len(a.files) - 1; k >= 0; k-- {
		moves = append(moves, aMove{a.files[k].Key, end - (len(a.files) - 1 - k)})
	}
	return moves
}
