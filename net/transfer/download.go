package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/throttle"
	"github.com/enxame/enxame/net/wire"
)

// Defaults of Options.
const (
	DefaultStallTimeout    = 60 * time.Second
	DefaultRefreshInterval = time.Second
	DefaultRequestTimeout  = 10 * time.Second
	DefaultDialTimeout     = 5 * time.Second
	DefaultHaveInterval    = 500 * time.Millisecond
	DefaultMaxPeers        = 64
	DefaultPipelineBytes   = 4 << 20
)

const (
	// maxStrikes bad chunks and a peer is dropped for this download.
	maxStrikes = 3
	// maxPipeline bounds the GETs in flight on one connection; within it,
	// a connection keeps one in flight plus those it receives within
	// pipelineLatency at its rate: enough never to leave a link idle,
	// few enough that a chunk asked of a slow source (and a HAVE behind
	// it) does not wait long, and that downloaders sharing a seeder do not
	// claim chunks long before they get them. startPipeline is the depth
	// until the rate is measured.
	maxPipeline     = 8
	startPipeline   = 2
	pipelineLatency = 100 * time.Millisecond
	// maxDuplicates bounds how many peers are asked for one chunk in the
	// endgame.
	maxDuplicates = 2
	// maxPeerIndex bounds MaxPeers: a peer's index is a Cell's high
	// byte, below NoSource.
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
	// StallTimeout: with no verified chunk for this long, and no source
	// delivering at MinRate meanwhile, the run fails with ErrStalled,
	// keeping its resume state.
	StallTimeout    time.Duration
	RefreshInterval time.Duration
	// RequestTimeout: a peer that makes no progress on a request for this
	// long is disconnected and its chunks go back to the queue.
	RequestTimeout time.Duration
	DialTimeout    time.Duration
	// HaveInterval: how often a partial holder's bitfield is asked again
	// (pipelined with the GETs), so its new chunks are known soon.
	HaveInterval time.Duration
	MaxPeers     int
	// PipelineBytes bounds the requests in flight per peer, in bytes.
	PipelineBytes int64
	// MinRate, in bytes a second: a source that owes answers and delivers
	// less, averaged over several seconds (DefaultRateWindow) of waiting
	// for it, is disconnected like a stalled one (its chunks go back to
	// the queue, it is retried after a backoff), and its bytes do not
	// hold off the stall timeout.
	MinRate int64
	// Self reports addresses that are this process's own chunk server.
	Self func(addr string) bool
	// Credentials secure the connections to peers (the zero value: an
	// open network, the process's default identity).
	Credentials secure.Credentials
	// Download limits the answers read from peers, by every download that
	// shares it (nil: no limit).
	Download *throttle.Limiter

	// onChange is called (without blocking, without locks held) when the
	// download's announceable state changes. Set by Manager.
	onChange func()
	// onProgress is called (without blocking, without locks held) after
	// each state change and each verified chunk: a seam for tests.
	onProgress func()
	// wrapFile wraps each handle the part file's chunk writer writes
	// through (beneath the writer that ships): a seam for fault tests.
	wrapFile func(io.WriterAt) io.WriterAt
	// rateWindow is the MinRate window (DefaultRateWindow): shorter in tests.
	rateWindow time.Duration
	// pool keeps connections between downloads (set by Manager; nil: none).
	pool *connPool
	// dirNames shares folder listings between downloads (set by Manager;
	// nil: each download lists its folder).
	dirNames *dirNames
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
	def(&o.rateWindow, DefaultRateWindow)
	if o.MinRate <= 0 {
		o.MinRate = DefaultMinRate
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
	if o.onProgress == nil {
		o.onProgress = func() {}
	}
	return o
}

// Download fetches one file. Run it; take Progress snapshots at any time
// from any goroutine. A Download whose Run returned an error can be Run
// again: it resumes from the verified chunks on disk.
//
// It orchestrates: Run plans, fetches the manifest, opens the part file
// and runs the fetch phase (fetch.go), whose workers (worker.go) and
// writers share the chunk table. The chunk table and lastByte have their
// own synchronisation; mu guards the rest, and is taken per state change
// and per peer event, not per chunk.
type Download struct {
	// Set by New, never changed.
	req  Request
	opts Options
	dir  string

	// log is set by plan before any other goroutine of a run reads it.
	log *slog.Logger

	runMu    sync.Mutex   // held by Run
	chunks   chunkTable   // per-chunk state; own lock, taken after mu
	lastByte atomic.Int64 // unix nanoseconds of the last byte received at MinRate

	mu    sync.Mutex
	id    string
	name  string // shared name that matched
	size  int64
	m     *wire.Manifest
	alts  []Alternative
	store *partStore // open during the fetch phase
	bufs  *chunkBufs
	state State
	err   error
	path  string

	started  time.Time
	finished time.Time
	rate     float64 // verified bytes per second, smoothed

	peers  []*peerState
	byAddr map[string]*peerState
	spawn  func(*peerState) // starts a worker during the fetch phase
}

// peerState is one source of a download. What it holds is in the chunk
// table, under its index; the counters are atomic; the rest is guarded by
// the Download's mu.
type peerState struct {
	idx  int
	addr string
	log  *slog.Logger

	connected bool
	dropped   bool
	running   bool
	strikes   int
	rate      float64

	chunks atomic.Int64 // verified chunks supplied
	bytes  atomic.Int64 // verified bytes supplied
	recent atomic.Int64 // bytes received since the last tick
}

// New returns a download for req; nothing happens until Run.
func New(req Request, opts Options) *Download {
	opts = opts.withDefaults()
	dir := req.Dir
	if dir == "" {
		dir = opts.Dir
	}
	return &Download{
		req:    req,
		opts:   opts,
		dir:    dir,
		log:    opts.Logger.With("download", req.Name),
		byAddr: map[string]*peerState{},
	}
}

// setState records the download's state and calls onProgress.
func (d *Download) setState(s State, err error) {
	d.mu.Lock()
	d.state, d.err = s, err
	d.mu.Unlock()
	d.opts.onProgress()
}

// Run downloads the file and returns nil once it is verified and saved
// (Progress().Path). It returns when ctx ends, keeping the resume state.
// Only one Run at a time: a second concurrent call returns ErrBusy.
func (d *Download) Run(ctx context.Context) error {
	if !d.runMu.TryLock() {
		return ErrBusy
	}
	defer d.runMu.Unlock()
	d.chunks.newRun()
	d.mu.Lock()
	d.state, d.err = StatePlanning, nil
	d.started, d.finished = time.Now(), time.Time{}
	d.mu.Unlock()
	d.opts.onProgress()

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
	d.mu.Unlock()
	d.opts.onProgress()
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

// busyWith reports whether d is of content id (asked for, or chosen) and
// neither done, failed nor paused.
func (d *Download) busyWith(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return cmp.Or(d.id, d.req.ID) == id && d.state != StateDone && d.state != StateFailed && d.state != StatePaused
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
	pl, err := choose(&wire.SearchResponse{Results: d.req.Offer}, d.req)
	if len(d.req.Offer) == 0 || err != nil || len(pl.Holders) == 0 {
		resp, err := d.opts.Tracker.Search(ctx, d.req.Name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctxErr(ctx)
			}
			return nil, fmt.Errorf("searching the tracker: %w", err)
		}
		if pl, err = choose(resp, d.req); err != nil {
			return nil, err
		}
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
		m, err := fetchManifest(ctx, id, size, holders, d.isSelf, d.opts)
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
		d.setState(StateStalled, err)
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

func (d *Download) isSelf(addr string) bool { return d.opts.Self != nil && d.opts.Self(addr) }

// openStore opens or resumes the part file and re-verifies every chunk
// it may hold.
func (d *Download) openStore(ctx context.Context) error {
	d.mu.Lock()
	m, id, name := d.m, d.id, SafeName(path.Base(d.name))
	d.mu.Unlock()
	st, claimed, err := openStoreMode(d.dir, id, name, m, d.opts.wrapFile, d.log, d.opts.dirNames, true)
	if err != nil {
		return err
	}
	n := m.NumChunks()
	d.chunks.reset(n)
	// A file smaller than a chunk needs buffers of its size only: a
	// folder of small files downloads 16 at a time, each with buffers
	// that outlive it until the garbage collector's second pass.
	bufs := newChunkBufs(min(m.ChunkSize, (max(m.Size, 1)+directAlign-1)/directAlign*directAlign))
	d.mu.Lock()
	d.store, d.bufs = st, bufs
	d.mu.Unlock()

	if claimed.Count(n) > 0 {
		d.setState(StateVerifying, nil)
		have, err := st.verify(ctx, claimed, bufs, func(i int, ok bool) {
			if ok {
				_, size := m.Chunk(i)
				d.chunks.found(i, size)
				d.opts.onProgress()
			}
		})
		if err != nil {
			d.closeStore()
			return ctxErr(ctx)
		}
		d.log.Info("Verified chunks on disk", "chunks", have.Count(n), "of", n)
	}
	d.opts.onChange()
	return nil
}

func (d *Download) closeStore() {
	d.mu.Lock()
	st := d.store
	// The chunk buffers go with the store: a finished download the
	// Manager keeps listed (and serves from its saved file) holds none.
	d.store, d.bufs = nil, nil
	d.mu.Unlock()
	st.close()
}

func ewma(old, sample float64) float64 {
	if old == 0 {
		return sample
	}
	return old + rateAlpha*(sample-old)
}

// Progress returns a snapshot of the download. It copies no per-chunk
// state: Cells does, when CellsVersion changed.
func (d *Download) Progress() Progress {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.chunks.counts()
	p := Progress{
		Name:    d.req.Name,
		ID:      d.id,
		Size:    d.size,
		Dir:     d.dir,
		Path:    d.path,
		State:   d.state,
		Err:     d.err,
		Done:    c.done,
		Fetched: c.fetched,
		Resumed: c.resumed,
		Rate:    d.rate,
		Started: d.started,
		Peers:   make([]PeerProgress, len(d.peers)),

		CellsVersion: c.version,
		Alternatives: d.alts,
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
		p.ETA = time.Duration(float64(d.size-c.done) / d.rate * float64(time.Second))
	}
	var buf [64]bool
	complete := d.chunks.completeHolders(buf[:0])
	for i, s := range d.peers {
		p.Peers[i] = PeerProgress{Addr: s.addr, Complete: complete[i], Connected: s.connected, Dropped: s.dropped,
			Rate: s.rate, Chunks: int(s.chunks.Load()), Bytes: s.bytes.Load(), Strikes: s.strikes}
	}
	return p
}

// Cells appends the download's chunk cells to dst[:0] and returns them with
// the version of the chunk table they were read at; the version changes
// whenever any cell changes (and only then). It is Progress.CellsVersion:
// a consumer that keeps the last version asks for cells only when it
// differs.
func (d *Download) Cells(dst []Cell) ([]Cell, uint64) { return d.chunks.appendCells(dst) }

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
