package engine

import (
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
	// Queue is the download's place in the queue while it waits for a
	// place (State transfer.StateQueued): 1 starts next. 0 when not queued.
	Queue int
	transfer.Progress
}

// DefaultMaxActive is how many downloads run at once unless
// Config.MaxActive says otherwise.
const DefaultMaxActive = 3

// maxActiveOf turns Config.MaxActive into the Manager's limit: 0 is the
// default, below 0 no limit.
func maxActiveOf(n int) int {
	switch {
	case n == 0:
		return DefaultMaxActive
	case n < 0:
		return 0
	}
	return n
}

// Download starts fetching req in the background and returns its key; with
// MaxActive downloads running it waits queued, last. A file (by id)
// already downloading or queued is refused with transfer.ErrBusy.
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
func (e *Engine) running(id string) bool { return e.downloads.Busy(id) }

// track keys d; it returns the key.
func (e *Engine) track(d *transfer.Download, req Request) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextKey++
	k := fmt.Sprintf("d%d", e.nextKey)
	if e.entries == nil {
		e.entries = map[string]*entry{}
	}
	e.entries[k] = &entry{key: k, req: req, d: d}
	return k
}

// lookup finds the download under key.
func (e *Engine) lookup(key string) (*entry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.entries[key]
	if !ok {
		return nil, transfer.ErrNotFound
	}
	return en, nil
}

// untrack forgets key.
func (e *Engine) untrack(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.entries, key)
}

// Pause stops the download under key, keeping its verified chunks; a
// running one frees its place for the first queued one, a queued one
// leaves the queue.
func (e *Engine) Pause(key string) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	return e.downloads.Pause(en.d)
}

// Resume runs a paused, failed or stalled download again from the chunks
// verified on disk, queued at its place in the list when MaxActive
// downloads are running.
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

// Transfer is the snapshot of the download under key (its place in the
// queue and its progress read one after the other; Snapshot reads every
// download's together).
func (e *Engine) Transfer(key string) (Transfer, bool) {
	en, err := e.lookup(key)
	if err != nil {
		return Transfer{}, false
	}
	return Transfer{Key: en.key, Req: en.req, Queue: e.downloads.QueuePlace(en.d), Progress: en.d.Progress()}, true
}

// transfers snapshots every download in the list's order (the queue's:
// the order they were added, as Move changed it), taken together, so that
// no more than MaxActive show running.
func (e *Engine) transfers() []Transfer {
	listed := e.downloads.Snapshot()
	e.mu.Lock()
	byD := make(map[*transfer.Download]*entry, len(e.entries))
	for _, en := range e.entries {
		byD[en.d] = en
	}
	e.mu.Unlock()
	out := make([]Transfer, 0, len(listed))
	for _, l := range listed {
		if en := byD[l.Download]; en != nil { // nil: being added or removed
			out = append(out, Transfer{Key: en.key, Req: en.req, Queue: l.Queue, Progress: l.Progress})
		}
	}
	return out
}

// SetMaxActive runs at most n downloads at once (0 DefaultMaxActive,
// below 0 no limit), the others waiting queued. Raising it starts queued
// downloads at once; lowering it stops none.
func (e *Engine) SetMaxActive(n int) error {
	if e.closed() {
		return ErrClosed
	}
	e.mu.Lock()
	e.cfg.MaxActive = n
	e.mu.Unlock()
	e.downloads.SetMaxActive(maxActiveOf(n))
	return nil
}

// MaxActive is how many downloads run at once (0 no limit).
func (e *Engine) MaxActive() int { return e.downloads.MaxActive() }

// Move puts the download under key at index i of the list (clamped),
// which is its place in the queue: queued downloads start in the list's
// order.
func (e *Engine) Move(key string, i int) error {
	en, err := e.lookup(key)
	if err != nil {
		return err
	}
	return e.downloads.Move(en.d, i)
}

// MoveUp and MoveDown move the download under key one place up or down the
// list (nothing at either end).
func (e *Engine) MoveUp(key string) error   { return e.moveBy(key, -1) }
func (e *Engine) MoveDown(key string) error { return e.moveBy(key, +1) }

func (e *Engine) moveBy(key string, delta int) error {
	i := slices.IndexFunc(e.transfers(), func(tr Transfer) bool { return tr.Key == key })
	if i < 0 {
		return transfer.ErrNotFound
	}
	return e.Move(key, max(i+delta, 0))
}

// Updates receives (coalesced) when a download's state or progress
// changed, or the queue did: a face may take a Snapshot then instead of
// on a timer. It has one reader.
func (e *Engine) Updates() <-chan struct{} { return e.downloads.Updates() }

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
