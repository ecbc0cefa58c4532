package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/enxame/enxame/net/transfer"
)

// Request says what to download: a shared name (or its last path element,
// or a content id) and, to pick one of several versions, an id or id
// prefix. Dir overrides the engine's downloads folder.
type Request = transfer.Request

// entry is one download the engine runs, under the key the faces use.
type entry struct {
	key string
	req Request
	d   *transfer.Download
}

// Transfer is one download in a Snapshot: its key, what it was asked for
// and its progress.
type Transfer struct {
	Key string
	Req Request
	transfer.Progress
}

// Download starts fetching req in the background and returns its key.
// A file (by id) already downloading is refused with transfer.ErrBusy.
func (e *Engine) Download(req Request) (string, error) {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	if e.closed() {
		return "", ErrClosed
	}
	if req.ID != "" && e.running(req.ID) {
		return "", transfer.ErrBusy
	}
	d, err := e.downloads.Start(e.ctx, req)
	if err != nil {
		return "", err
	}
	return e.track(d, req), nil
}

// AddPaused lists the download of req, paused as the user left it in an
// earlier run; Resume starts it from the chunks on disk.
func (e *Engine) AddPaused(req Request) (string, error) {
	e.cmd.Lock()
	defer e.cmd.Unlock()
	d, err := e.downloads.Add(req)
	if err != nil {
		return "", err
	}
	return e.track(d, req), nil
}

// running reports whether a download of id is under way (planning
// included, when its id is not known from the tracker yet).
func (e *Engine) running(id string) bool {
	for _, tr := range e.transfers() {
		if cmp.Or(tr.ID, tr.Req.ID) == id && tr.State != transfer.StateDone && tr.State != transfer.StateFailed && tr.State != transfer.StatePaused {
			return true
		}
	}
	return false
}

// track keys d; it returns the key.
func (e *Engine) track(d *transfer.Download, req Request) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextKey++
	k := fmt.Sprintf("d%d", e.nextKey)
	e.entries = append(e.entries, &entry{key: k, req: req, d: d})
	return k
}

// lookup finds the download under key.
func (e *Engine) lookup(key string) (*entry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.entries, func(en *entry) bool { return en.key == key })
	if i < 0 {
		return nil, transfer.ErrNotFound
	}
	return e.entries[i], nil
}

// untrack forgets key.
func (e *Engine) untrack(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries = slices.DeleteFunc(e.entries, func(en *entry) bool { return en.key == key })
}

// Pause stops the download under key, keeping its verified chunks.
func (e *Engine) Pause(key string) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	return e.downloads.Pause(en.d)
}

// Resume runs a paused, failed or stalled download again from the chunks
// verified on disk.
func (e *Engine) Resume(key string) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	return e.downloads.Resume(e.ctx, en.d)
}

// Cancel stops the download under key, removes its partial file and
// forgets it.
func (e *Engine) Cancel(key string) error {
	return e.remove(key, e.downloads.Cancel)
}

// Forget takes the download under key off the list, keeping its files (a
// running one is paused first).
func (e *Engine) Forget(key string) error {
	return e.remove(key, e.downloads.Forget)
}

func (e *Engine) remove(key string, stop func(*transfer.Download) error) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	if err := stop(en.d); err != nil {
		return err
	}
	e.untrack(key)
	return nil
}

// WaitDownload waits for the current run of the download under key to end
// and returns its result: nil when the file was saved (its path is in the
// transfer's Progress), else why it stopped.
func (e *Engine) WaitDownload(ctx context.Context, key string) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	return e.downloads.Wait(ctx, en.d)
}

// Transfer is the snapshot of the download under key.
func (e *Engine) Transfer(key string) (Transfer, bool) {
	en, err := e.lookup(key)
	if err != nil {
		return Transfer{}, false
	}
	return Transfer{Key: en.key, Req: en.req, Progress: en.d.Progress()}, true
}

// transfers snapshots every download, in the order they were added.
func (e *Engine) transfers() []Transfer {
	e.mu.Lock()
	entries := slices.Clone(e.entries)
	e.mu.Unlock()
	out := make([]Transfer, len(entries))
	for i, en := range entries {
		out[i] = Transfer{Key: en.key, Req: en.req, Progress: en.d.Progress()}
	}
	return out
}

// Cell is one chunk as the chunk grid draws it (transfer.Cell: the state in
// the low byte, the index into the transfer's Peers in the high byte).
type Cell = transfer.Cell

// Cells appends the chunk cells of the download under key to dst[:0] when
// their version differs from since, and returns them with the version
// (Progress.CellsVersion); changed is false, and nothing is copied, when
// the version is still since. A face asks only for the download it shows.
func (e *Engine) Cells(key string, dst []Cell, since uint64) (cells []Cell, version uint64, changed bool) {
	en, err := e.lookup(key)
	if err != nil {
		return dst[:0], 0, since != 0
	}
	if v := en.d.Progress().CellsVersion; v == since && since != 0 {
		return dst, v, false
	}
	cells, version = en.d.Cells(dst)
	return cells, version, true
}
