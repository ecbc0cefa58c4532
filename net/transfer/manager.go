package transfer

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/wire"
)

// Manager runs several downloads at once, each in a goroutine it owns. It
// serves their verified chunks (it is a peer.Catalog), lists them for the
// tracker (Files, with Changes to say when to announce again), and lets a
// face pause, resume and cancel them. With SetMaxActive it runs at most so
// many at once, the rest waiting in the list's order (queue.go).
type Manager struct {
	opts    Options
	changes chan struct{}
	updates chan struct{}
	wg      sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	maxActive int    // runs at once; 0 no limit
	jobs      []*job // the list's order, which is the queue's
}

// job is one download and its current run. A job is running (cancel set),
// queued (waiting for a place), or stopped (paused, done or failed).
type job struct {
	d      *Download
	cancel context.CancelCauseFunc // set while a run is going
	// queued: waiting for a place; its run will start under ctx, the
	// context given to Start or Resume (kept only while queued).
	queued bool
	ctx    context.Context
	done   chan struct{} // closed when the current (or queued) run ends
	err    error         // the last run's result
	// The saved file, served while it is unchanged.
	path    string
	size    int64
	modTime time.Time
}

// NewManager returns a Manager whose downloads use opts.
func NewManager(opts Options) *Manager {
	m := &Manager{changes: make(chan struct{}, 1), updates: make(chan struct{}, 1)}
	opts.onChange = m.notify
	opts.pool = newConnPool()     // downloads from one peer share connections
	opts.dirNames = newDirNames() // and listings of the folders they save in
	seam := opts.onProgress
	opts.onProgress = func() {
		if seam != nil {
			seam()
		}
		m.updated()
	}
	m.opts = opts
	return m
}

// updated signals Updates without blocking; safe under m.mu.
func (m *Manager) updated() {
	select {
	case m.updates <- struct{}{}:
	default:
	}
}

// Updates receives (coalesced) when a download's state or progress
// changed, or the queue did. It has one reader.
func (m *Manager) Updates() <-chan struct{} { return m.updates }

func (m *Manager) notify() {
	select {
	case m.changes <- struct{}{}:
	default:
	}
}

// Changes receives (coalesced) when Files may have changed: a download
// got its first verified chunk, finished, stopped or was removed.
func (m *Manager) Changes() <-chan struct{} { return m.changes }

// Start begins downloading req in the background and returns at once; with
// every place taken (SetMaxActive) it waits queued, last in the list, until
// one frees. The download runs until it is done, fails, is paused or
// cancelled, ctx ends or the Manager is closed.
func (m *Manager) Start(ctx context.Context, req Request) (*Download, error) {
	d := New(req, m.opts)
	j := &job{d: d}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	m.jobs = append(m.jobs, j)
	m.queueLocked(ctx, j)
	m.scheduleLocked()
	return d, nil
}

// Add lists a download of req without starting it: it shows as paused
// (Err ErrPaused) until Resume, which resumes from the chunks already on
// disk. It is how a download the user paused is brought back after a
// restart.
func (m *Manager) Add(req Request) (*Download, error) {
	d := New(req, m.opts)
	d.mu.Lock()
	d.state, d.err = StatePaused, ErrPaused
	d.mu.Unlock()
	done := make(chan struct{})
	close(done)
	j := &job{d: d, done: done, err: ErrPaused}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	m.jobs = append(m.jobs, j)
	return d, nil
}

// runLocked starts the run j was queued for.
func (m *Manager) runLocked(ctx context.Context, j *job) {
	rctx, cancel := context.WithCancelCause(ctx)
	j.cancel, j.err = cancel, nil
	done := j.done
	m.wg.Go(func() {
		err := j.d.Run(rctx)
		cancel(nil)
		var st os.FileInfo
		p := j.d.Progress()
		if err == nil && p.Path != "" {
			st, _ = os.Stat(p.Path)
		}
		m.mu.Lock()
		j.err, j.cancel = err, nil
		if st != nil {
			j.path, j.size, j.modTime = p.Path, st.Size(), st.ModTime()
		}
		close(done)
		m.scheduleLocked() // its place is free
		m.mu.Unlock()
		m.notify()
	})
}

func (m *Manager) find(d *Download) *job {
	for _, j := range m.jobs {
		if j.d == d {
			return j
		}
	}
	return nil
}

// Busy reports whether a download of content id is queued or running
// (neither done, failed nor paused). Cheaper than a Snapshot: it is asked
// before each of a folder's thousands of files starts.
func (m *Manager) Busy(id string) bool {
	m.mu.Lock()
	jobs := slices.Clone(m.jobs)
	m.mu.Unlock()
	return slices.ContainsFunc(jobs, func(j *job) bool { return j.d.busyWith(id) })
}

// List returns the downloads in the order they were started.
func (m *Manager) List() []*Download {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Download, len(m.jobs))
	for i, j := range m.jobs {
		out[i] = j.d
	}
	return out
}

// Wait waits for d's current run to end and returns its result (nil:
// saved at d.Progress().Path).
func (m *Manager) Wait(ctx context.Context, d *Download) error {
	m.mu.Lock()
	j := m.find(d)
	m.mu.Unlock()
	if j == nil {
		return ErrNotFound
	}
	m.mu.Lock()
	done := j.done
	m.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return j.err
}

// Pause stops d, keeping its verified chunks for Resume (or a later run of
// the same request, even in another process). It waits for the stop.
func (m *Manager) Pause(d *Download) error { return m.stop(d, ErrPaused) }

// Cancel stops d, removes its partial file and forgets it.
func (m *Manager) Cancel(d *Download) error {
	if err := m.drop(d, ErrCanceled); err != nil {
		return err
	}
	if p := d.Progress(); p.State != StateDone {
		d.discardPartial()
	}
	m.notify()
	return nil
}

// drop stops d with cause and takes it off the list.
func (m *Manager) drop(d *Download, cause error) error {
	if err := m.stop(d, cause); err != nil {
		return err
	}
	m.mu.Lock()
	m.jobs = slices.DeleteFunc(m.jobs, func(j *job) bool { return j.d == d })
	m.mu.Unlock()
	return nil
}

func (m *Manager) stop(d *Download, cause error) error {
	m.mu.Lock()
	j := m.find(d)
	if j == nil {
		m.mu.Unlock()
		return ErrNotFound
	}
	if j.queued {
		m.unqueueLocked(j, cause)
		m.mu.Unlock()
		return nil
	}
	cancel, done := j.cancel, j.done
	m.mu.Unlock()
	if cancel != nil {
		cancel(cause)
		<-done
	}
	return nil
}

// Resume runs a paused, failed or stalled d again, queued behind the
// downloads before it in the list when every place is taken; it resumes
// from the chunks verified on disk. Resuming a running or queued download
// does nothing.
func (m *Manager) Resume(ctx context.Context, d *Download) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	j := m.find(d)
	if j == nil {
		return ErrNotFound
	}
	if j.cancel != nil || j.queued || j.path != "" {
		return nil
	}
	m.queueLocked(ctx, j)
	m.scheduleLocked()
	return nil
}

// Forget removes a finished or stopped download from the list (its files
// stay). A running download is paused first.
func (m *Manager) Forget(d *Download) error {
	if err := m.drop(d, ErrPaused); err != nil {
		return err
	}
	m.notify()
	return nil
}

// Close pauses every download and waits for them to stop. Their resume
// state is kept.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	for _, j := range m.jobs {
		if j.queued {
			m.unqueueLocked(j, ErrPaused)
		}
		if j.cancel != nil {
			j.cancel(ErrPaused)
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	m.opts.pool.close()
}

// Lookup serves a download by content id: the verified chunks of one in
// progress, or the saved file of a finished one while it is unchanged.
func (m *Manager) Lookup(id string) (peer.Item, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		d := j.d
		if d.ID() != id {
			continue
		}
		if j.path != "" {
			p, size, mod := j.path, j.size, j.modTime
			return peer.Item{Manifest: d.manifest(), Open: func() (*os.File, error) {
				return openUnchanged(p, size, mod)
			}}, true
		}
		if d.serving() {
			return peer.Item{Manifest: d.manifest(), Open: d.openPart, Have: d.haveSnapshot}, true
		}
	}
	return peer.Item{}, false
}

// Files lists what the downloads can serve, for the tracker: a download in
// progress with at least one verified chunk as complete:false, a finished
// one (while its file is unchanged) as complete:true.
func (m *Manager) Files() []wire.FileEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []wire.FileEntry
	for _, j := range m.jobs {
		d := j.d
		d.mu.Lock()
		id, name, size, serving := d.id, d.name, d.size, d.store != nil && d.m != nil
		d.mu.Unlock()
		done := d.chunks.counts().done
		switch {
		case j.path != "":
			if st, err := os.Stat(j.path); err == nil && st.Size() == j.size && st.ModTime().Equal(j.modTime) {
				out = append(out, wire.FileEntry{Name: filepath.Base(j.path), Size: j.size, ID: id, Complete: true})
			}
		case serving && done > 0:
			out = append(out, wire.FileEntry{Name: SafeName(path.Base(name)), Size: size, ID: id, Complete: false})
		}
	}
	return out
}

func openUnchanged(p string, size int64, mod time.Time) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || st.Size() != size || !st.ModTime().Equal(mod) {
		f.Close()
		return nil, peer.ErrChanged
	}
	return f, nil
}

// serving reports whether the part file is open (the fetch is running).
func (d *Download) serving() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.store != nil && d.m != nil
}

func (d *Download) manifest() *wire.Manifest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m
}

// openPart opens the part file for the chunk server.
func (d *Download) openPart() (*os.File, error) {
	d.mu.Lock()
	st := d.store
	d.mu.Unlock()
	if st == nil {
		return nil, errors.New("download is not running")
	}
	return st.openPart()
}

// haveSnapshot copies the verified-chunk bitfield.
func (d *Download) haveSnapshot() wire.Bitfield { return d.chunks.haveCopy() }

// discardPartial removes the part file and resume record of a stopped
// download.
func (d *Download) discardPartial() {
	d.mu.Lock()
	m, id, name, ran := d.m, d.id, SafeName(path.Base(d.name)), !d.started.IsZero()
	d.mu.Unlock()
	if m == nil {
		// Never run in this process (Add): the request names the full
		// id of what an earlier process left on disk.
		if !ran && wire.ValidID(d.req.ID) {
			discardByID(d.dir, d.req.ID, d.log)
		}
		return
	}
	st, _, err := openStoreMode(d.dir, id, name, m, nil, d.log, d.opts.dirNames, false)
	if err != nil {
		return
	}
	st.discard()
	st.close()
}
