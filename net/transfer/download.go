package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// Defaults of Options.
const (
	DefaultStallTimeout    = 60 * time.Second
	DefaultRefreshInterval = 3 * time.Second
	DefaultRequestTimeout  = 10 * time.Second
	DefaultDialTimeout     = 5 * time.Second
	DefaultHaveInterval    = 2 * time.Second
	DefaultMaxPeers        = 64
	DefaultPipelineBytes   = 4 << 20
)

const (
	// maxStrikes bad chunks and a peer is dropped for this download.
	maxStrikes = 3
	// minPipeline and maxPipeline bound the requests in flight per peer.
	minPipeline = 2
	maxPipeline = 8
	// maxDuplicates bounds how many peers are asked for one chunk in the
	// endgame.
	maxDuplicates = 2
	// maxPeerIndex: peer indexes are stored in a byte (0 = none).
	maxPeerIndex = 254
	// tickInterval drives rates, stall detection and resume records.
	tickInterval = 250 * time.Millisecond
	// stalledAfter without a verified chunk shows the download stalled.
	stalledAfter = 3 * time.Second
	// saveInterval between resume records; every syncEvery-th is fsync'd.
	saveInterval = time.Second
	syncEvery    = 10
	// backoffMin and backoffMax bound the wait before reconnecting.
	backoffMin = 250 * time.Millisecond
	backoffMax = 10 * time.Second
	// rateAlpha smooths rates (exponential moving average per tick).
	rateAlpha = 0.25
)

// Options tune a Download. Zero values take the defaults.
type Options struct {
	// Dir is the output folder for requests that name none ("." if empty).
	Dir string
	// Tracker is asked where the file is, and again every RefreshInterval
	// for peers that joined.
	Tracker Searcher
	Logger  *slog.Logger
	// StallTimeout: with no verified chunk for this long the run fails with
	// ErrStalled, keeping its resume state.
	StallTimeout    time.Duration
	RefreshInterval time.Duration
	// RequestTimeout: a peer that makes no progress on a request for this
	// long is disconnected and its chunks go back to the queue.
	RequestTimeout time.Duration
	DialTimeout    time.Duration
	// HaveInterval: how often an idle partial holder's bitfield is asked again.
	HaveInterval time.Duration
	MaxPeers     int
	// PipelineBytes is the request budget in flight per peer.
	PipelineBytes int64
	// Self reports addresses that are this process's own chunk server.
	Self func(addr string) bool

	// onChange is called (without blocking, without locks held) when the
	// download's announceable state changes. Set by Manager.
	onChange func()
	// wrapWriter wraps the part file's writer: a seam for fault tests.
	wrapWriter func(io.WriterAt) io.WriterAt
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.StallTimeout, DefaultStallTimeout)
	def(&o.RefreshInterval, DefaultRefreshInterval)
	def(&o.RequestTimeout, DefaultRequestTimeout)
	def(&o.DialTimeout, DefaultDialTimeout)
	def(&o.HaveInterval, DefaultHaveInterval)
	if o.MaxPeers <= 0 || o.MaxPeers > maxPeerIndex {
		o.MaxPeers = min(DefaultMaxPeers, maxPeerIndex)
	}
	if o.PipelineBytes <= 0 {
		o.PipelineBytes = DefaultPipelineBytes
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.onChange == nil {
		o.onChange = func() {}
	}
	return o
}

// Download fetches one file. Run it; take Progress snapshots at any time
// from any goroutine. A Download whose Run returned an error can be Run
// again: it resumes from the verified chunks on disk.
type Download struct {
	req  Request
	opts Options
	log  *slog.Logger
	dir  string

	runMu sync.Mutex // held by Run

	mu    sync.Mutex
	id    string
	name  string // shared name that matched
	size  int64
	m     *wire.Manifest
	alts  []Alternative
	store *partStore // open during the fetch phase
	state State
	err   error
	path  string

	started      time.Time
	finished     time.Time
	lastProgress time.Time

	chunks   []ChunkState
	from     []uint8
	inflight []uint8
	avail    []uint16 // partial holders having each chunk
	have     wire.Bitfield
	missing  int // chunks not done
	queued   int // chunks missing or failed (not in flight)
	cursor   int // every chunk below is done or in flight
	done     int64
	fetched  int64
	resumed  int64
	recent   int64 // verified bytes since the last tick
	rate     float64
	dirty    bool

	peers    []*peerState
	byAddr   map[string]*peerState
	partials int // partial holders with a known bitfield
	wake     chan struct{}
	changed  chan struct{} // closed and replaced on every progress change
	allDone  chan struct{}
	fatal    error
	fatalCh  chan struct{}
	spawn    func(*peerState) // starts a worker during the fetch phase
	writeq   chan writeJob    // verified chunks on their way to disk
	bufs     *chunkBufs
	lastByte atomic.Int64 // unix nanoseconds of the last byte received
}

// peerState is one source of a download. Its fields are guarded by the
// Download's mu.
type peerState struct {
	idx       int
	addr      string
	complete  bool
	have      wire.Bitfield // partial holders only
	connected bool
	dropped   bool
	running   bool
	strikes   int
	chunks    int
	bytes     int64
	recent    int64
	rate      float64
	log       *slog.Logger
}

func (p *peerState) hasLocked(i int) bool { return p.complete || p.have.Has(i) }

// New returns a download for req; nothing happens until Run.
func New(req Request, opts Options) *Download {
	opts = opts.withDefaults()
	dir := req.Dir
	if dir == "" {
		dir = opts.Dir
	}
	return &Download{
		req:     req,
		opts:    opts,
		dir:     dir,
		log:     opts.Logger.With("download", req.Name),
		byAddr:  map[string]*peerState{},
		changed: make(chan struct{}),
	}
}

// Changed returns a channel that is closed at the download's next
// progress or state change: take a Progress snapshot, then wait on the
// channel obtained before it. Consumers that refresh on a timer need not
// use it.
func (d *Download) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

func (d *Download) bumpLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// Run downloads the file and returns nil once it is verified and saved
// (Progress().Path). It returns when ctx ends, keeping the resume state.
// Only one Run at a time: a second concurrent call returns ErrBusy.
func (d *Download) Run(ctx context.Context) error {
	if !d.runMu.TryLock() {
		return ErrBusy
	}
	defer d.runMu.Unlock()
	d.mu.Lock()
	d.state, d.err, d.fetched = StatePlanning, nil, 0
	d.started, d.finished = time.Now(), time.Time{}
	d.bumpLocked()
	d.mu.Unlock()

	err := d.run(ctx)

	d.mu.Lock()
	d.finished = time.Now()
	switch {
	case err == nil:
		d.state = StateDone
	case errors.Is(err, ErrPaused):
		d.state, d.err = StatePaused, err
	default:
		d.state, d.err = StateFailed, err
	}
	d.bumpLocked()
	d.mu.Unlock()
	d.opts.onChange()
	return err
}

// ctxErr turns the end of ctx into the error Run returns.
func ctxErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrPaused) || errors.Is(cause, ErrCanceled) {
		return cause
	}
	return fmt.Errorf("download interrupted: %w", cause)
}

func (d *Download) run(ctx context.Context) error {
	holders, err := d.plan(ctx)
	if err != nil {
		return err
	}
	if err := d.getManifest(ctx, holders); err != nil {
		return err
	}
	if err := d.openStore(ctx); err != nil {
		return err
	}
	defer d.closeStore()
	if err := d.fetch(ctx, holders); err != nil {
		return err
	}
	d.log.Info("All chunks verified; saving", "bytes", d.size)
	p, err := d.store.finish()
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.path = p
	d.mu.Unlock()
	d.log.Info("Download complete", "path", p, "bytes", d.size)
	return nil
}

// plan resolves the request to a content id (first run) or refreshes its
// holders (later runs).
func (d *Download) plan(ctx context.Context) ([]wire.ResultPeer, error) {
	d.mu.Lock()
	id := d.id
	d.mu.Unlock()
	if d.opts.Tracker == nil {
		return nil, errors.New("no tracker to search")
	}
	if id != "" {
		resp, err := d.opts.Tracker.Search(ctx, id)
		if err != nil {
			d.log.Warn("Tracker search failed", "error", err)
			return nil, nil
		}
		return holdersOf(resp, id), nil
	}
	resp, err := d.opts.Tracker.Search(ctx, d.req.Name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		return nil, fmt.Errorf("searching the tracker: %w", err)
	}
	pl, err := choose(resp, d.req)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.id, d.name, d.size, d.alts = pl.ID, pl.Name, pl.Size, pl.Alternatives
	d.log = d.opts.Logger.With("download", pl.Name, "id", pl.ID[:16])
	d.mu.Unlock()
	d.log.Info("Planned download", "size", pl.Size, "holders", len(pl.Holders), "alternatives", len(pl.Alternatives))
	return pl.Holders, nil
}

// getManifest fetches and checks the manifest, waiting (stalled) for a
// holder until the stall timeout.
func (d *Download) getManifest(ctx context.Context, holders []wire.ResultPeer) error {
	d.mu.Lock()
	id, size, have := d.id, d.size, d.m != nil
	d.mu.Unlock()
	if have {
		return nil
	}
	deadline := time.Now().Add(d.opts.StallTimeout)
	for {
		m, err := fetchManifest(ctx, id, size, holders, d.isSelf, d.opts.DialTimeout, d.opts.RequestTimeout)
		if err == nil {
			d.mu.Lock()
			d.m = m
			d.size = m.Size
			d.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil {
			return ctxErr(ctx)
		}
		d.log.Info("No manifest yet", "error", err)
		d.setStalled(err)
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no peer provided the manifest for %s: %v", ErrStalled, d.opts.StallTimeout, err)
		}
		t := time.NewTimer(d.opts.RefreshInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctxErr(ctx)
		case <-t.C:
		}
		if resp, serr := d.opts.Tracker.Search(ctx, id); serr == nil {
			holders = holdersOf(resp, id)
		}
	}
}

func (d *Download) setStalled(err error) {
	d.mu.Lock()
	d.state, d.err = StateStalled, err
	d.bumpLocked()
	d.mu.Unlock()
}

func (d *Download) isSelf(addr string) bool { return d.opts.Self != nil && d.opts.Self(addr) }

// openStore opens or resumes the part file and re-verifies what it claims.
func (d *Download) openStore(ctx context.Context) error {
	d.mu.Lock()
	m, id, name := d.m, d.id, SafeName(path.Base(d.name))
	d.mu.Unlock()
	st, claimed, err := openStore(d.dir, id, name, m, d.opts.wrapWriter, d.log)
	if err != nil {
		return err
	}
	n := m.NumChunks()
	d.mu.Lock()
	d.store = st
	d.chunks = make([]ChunkState, n)
	d.from = make([]uint8, n)
	d.inflight = make([]uint8, n)
	d.avail = make([]uint16, n)
	d.have = wire.NewBitfield(n)
	d.missing, d.queued, d.cursor, d.done, d.resumed = n, n, 0, 0, 0
	d.wake = make(chan struct{})
	d.allDone = make(chan struct{})
	d.fatal, d.fatalCh = nil, make(chan struct{})
	if claimed.Count(n) > 0 {
		d.state = StateVerifying
		d.bumpLocked()
	}
	cs := m.ChunkSize
	d.bufs = newChunkBufs(cs)
	d.mu.Unlock()

	if claimed.Count(n) > 0 {
		bp, err := d.bufs.get(ctx)
		if err != nil {
			d.closeStore()
			return ctxErr(ctx)
		}
		_, err = st.verify(ctx, claimed, *bp, func(i int, ok bool) {
			if !ok {
				return
			}
			_, size := m.Chunk(i)
			d.mu.Lock()
			d.markDoneLocked(i, 0, size)
			d.resumed += size
			d.mu.Unlock()
		})
		d.bufs.put(bp)
		if err != nil {
			d.closeStore()
			return ctxErr(ctx)
		}
		d.log.Info("Verified chunks on disk", "chunks", d.have.Count(n), "of", n)
	}
	d.opts.onChange()
	return nil
}

func (d *Download) closeStore() {
	d.mu.Lock()
	st := d.store
	d.store = nil
	d.mu.Unlock()
	st.close()
}

// markDoneLocked records chunk i as verified and written, supplied by
// peer index from (0: found on disk).
func (d *Download) markDoneLocked(i int, from uint8, size int64) {
	if d.chunks[i] == ChunkMissing || d.chunks[i] == ChunkFailed {
		d.queued--
	}
	d.chunks[i] = ChunkDone
	d.from[i] = from
	d.have.Set(i)
	d.missing--
	d.done += size
	d.dirty = true
	d.bumpLocked()
	if d.missing == 0 {
		close(d.allDone)
	}
}

// fetch runs the workers until every chunk is verified, ctx ends, the
// stall timeout passes or a fatal (disk) error occurs.
func (d *Download) fetch(ctx context.Context, holders []wire.ResultPeer) error {
	fctx, cancel := context.WithCancel(ctx)
	var wg, wwg sync.WaitGroup
	writeq := make(chan writeJob, d.writeQueueLen())
	for range writers {
		wwg.Go(func() { d.writer(writeq) })
	}
	defer func() {
		cancel()
		wg.Wait()
		close(writeq)
		wwg.Wait()
		d.mu.Lock()
		d.spawn, d.writeq = nil, nil
		for _, p := range d.peers {
			p.connected, p.running = false, false
		}
		have, dirty := d.have, d.dirty
		d.dirty = false
		d.mu.Unlock()
		if dirty && d.missing > 0 {
			if err := d.store.saveState(have, true); err != nil {
				d.log.Warn("Saving resume record failed", "error", err)
			}
		}
	}()

	d.mu.Lock()
	if d.missing == 0 {
		d.mu.Unlock()
		return nil
	}
	d.state, d.err = StateDownloading, nil
	d.bumpLocked()
	d.lastProgress = time.Now()
	d.writeq = writeq
	d.spawn = func(p *peerState) {
		p.running = true
		wg.Go(func() { d.worker(fctx, p) })
	}
	for _, p := range d.peers {
		if !p.dropped {
			d.spawn(p)
		}
	}
	d.addPeersLocked(holders)
	d.mu.Unlock()

	wg.Go(func() { d.refreshLoop(fctx) })

	tick := time.NewTicker(tickInterval)
	defer tick.Stop()
	lastTick, lastSave, saves := time.Now(), time.Now(), 0
	for {
		select {
		case <-d.allDone:
			return nil
		case <-d.fatalCh:
			return d.fatal
		case <-ctx.Done():
			return ctxErr(ctx)
		case now := <-tick.C:
			if err := d.tick(now, now.Sub(lastTick)); err != nil {
				return err
			}
			lastTick = now
			if now.Sub(lastSave) >= saveInterval {
				lastSave = now
				d.mu.Lock()
				dirty := d.dirty
				var have wire.Bitfield
				if dirty {
					have = append(wire.Bitfield(nil), d.have...)
					d.dirty = false
				}
				d.mu.Unlock()
				if dirty {
					saves++
					if err := d.store.saveState(have, saves%syncEvery == 0); err != nil {
						d.log.Warn("Saving resume record failed", "error", err)
					}
				}
			}
		}
	}
}

// tick updates rates and the stalled state, and enforces the stall timeout.
func (d *Download) tick(now time.Time, dt time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	sec := dt.Seconds()
	if sec <= 0 {
		return nil
	}
	d.rate = ewma(d.rate, float64(d.recent)/sec)
	d.recent = 0
	for _, p := range d.peers {
		p.rate = ewma(p.rate, float64(p.recent)/sec)
		p.recent = 0
	}
	last := d.lastProgress
	if b := time.Unix(0, d.lastByte.Load()); b.After(last) {
		last = b
	}
	idle := now.Sub(last)
	switch {
	case idle >= d.opts.StallTimeout:
		return fmt.Errorf("%w: no data for %s; run again to resume", ErrStalled, d.opts.StallTimeout.Round(time.Second))
	case idle >= stalledAfter && d.state == StateDownloading:
		d.state, d.err = StateStalled, errors.New("waiting for a peer that has the missing chunks")
		d.bumpLocked()
	case idle < stalledAfter && d.state == StateStalled:
		d.state, d.err = StateDownloading, nil
		d.bumpLocked()
	}
	return nil
}

func ewma(old, sample float64) float64 {
	if old == 0 {
		return sample
	}
	return old + rateAlpha*(sample-old)
}

// setFatal stops the fetch phase with err (the first one wins).
func (d *Download) setFatal(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fatal == nil {
		d.fatal = err
		close(d.fatalCh)
	}
}

// refreshLoop asks the tracker for the file's holders every
// RefreshInterval and starts workers for new ones.
func (d *Download) refreshLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sctx, cancel := context.WithTimeout(ctx, d.opts.RefreshInterval+d.opts.DialTimeout)
		resp, err := d.opts.Tracker.Search(sctx, d.id)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Debug("Refreshing holders failed", "error", err)
			}
			continue
		}
		d.mu.Lock()
		d.addPeersLocked(holdersOf(resp, d.id))
		d.mu.Unlock()
	}
}

// addPeersLocked adds new holders and starts their workers.
func (d *Download) addPeersLocked(holders []wire.ResultPeer) {
	for _, h := range holders {
		if d.isSelf(h.Addr) {
			continue
		}
		if p, ok := d.byAddr[h.Addr]; ok {
			if h.Complete && !p.complete && !p.dropped {
				p.complete = true
				d.notifyLocked()
			}
			if !p.running && !p.dropped && d.spawn != nil {
				d.spawn(p)
			}
			continue
		}
		if len(d.peers) >= d.opts.MaxPeers {
			continue
		}
		p := &peerState{idx: len(d.peers), addr: h.Addr, complete: h.Complete, log: d.log.With("peer", h.Addr)}
		d.peers = append(d.peers, p)
		d.byAddr[h.Addr] = p
		if d.spawn != nil {
			d.spawn(p)
		}
	}
}

// notifyLocked wakes idle workers: chunks were queued again, a bitfield
// changed, or the download ended.
func (d *Download) notifyLocked() {
	close(d.wake)
	d.wake = make(chan struct{})
}

// Progress returns a snapshot of the download.
func (d *Download) Progress() Progress {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := Progress{
		Name:    d.req.Name,
		ID:      d.id,
		Size:    d.size,
		Dir:     d.dir,
		Path:    d.path,
		State:   d.state,
		Err:     d.err,
		Done:    d.done,
		Fetched: d.fetched,
		Resumed: d.resumed,
		Rate:    d.rate,
		Started: d.started,
		Chunks:  make([]ChunkState, len(d.chunks)),
		From:    append([]uint8(nil), d.from...),
		Peers:   make([]PeerProgress, len(d.peers)),

		Alternatives: d.alts,
	}
	for i, c := range d.chunks {
		if c == chunkWriting {
			c = ChunkInFlight
		}
		p.Chunks[i] = c
	}
	if d.name != "" {
		p.Name = d.name
	}
	end := d.finished
	if end.IsZero() {
		end = time.Now()
	}
	if !d.started.IsZero() {
		p.Elapsed = end.Sub(d.started)
	}
	if d.rate > 0 && (d.state == StateDownloading || d.state == StateStalled) {
		p.ETA = time.Duration(float64(d.size-d.done) / d.rate * float64(time.Second))
	}
	for i, s := range d.peers {
		p.Peers[i] = PeerProgress{Addr: s.addr, Complete: s.complete, Connected: s.connected, Dropped: s.dropped,
			Rate: s.rate, Chunks: s.chunks, Bytes: s.bytes, Strikes: s.strikes}
	}
	return p
}

func (d *Download) startedAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.started
}

// ID returns the content id once planned ("" before).
func (d *Download) ID() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.id
}
