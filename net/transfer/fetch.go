package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// fetchRun is what the goroutines of one fetch phase share: the workers
// (one per peer), the writers and the refresh loop. Its fields are set
// before any of them starts and never change; fatal is written once,
// before fatalCh is closed.
type fetchRun struct {
	id     string
	m      *wire.Manifest
	store  *partStore
	bufs   *chunkBufs
	writeq chan writeJob // verified chunks on their way to disk
	depth  int           // the most GETs in flight on one connection
	// done is closed when every chunk is verified: idle sessions end and
	// give their connections back to the pool.
	done <-chan struct{}

	fatalOnce sync.Once
	fatal     error
	fatalCh   chan struct{}
}

// setFatal stops the fetch phase with err (the first one wins).
func (r *fetchRun) setFatal(err error) {
	r.fatalOnce.Do(func() {
		r.fatal = err
		close(r.fatalCh)
	})
}

// failed reports whether the fetch phase is stopping on a fatal error.
func (r *fetchRun) failed() bool {
	select {
	case <-r.fatalCh:
		return true
	default:
		return false
	}
}

// fetch runs the workers until every chunk is verified, ctx ends, the
// stall timeout passes or a fatal (disk) error occurs.
func (d *Download) fetch(ctx context.Context, holders []wire.ResultPeer) (err error) {
	if d.chunks.complete() {
		return nil
	}
	d.mu.Lock()
	r := &fetchRun{id: d.id, m: d.m, store: d.store, bufs: d.bufs, fatalCh: make(chan struct{}), done: d.chunks.finished()}
	d.mu.Unlock()
	r.depth = int(min(max(d.opts.PipelineBytes/r.m.ChunkSize, 1), maxPipeline))
	r.writeq = make(chan writeJob, writeQueueLen(r.m.ChunkSize))

	fctx, cancel := context.WithCancel(ctx)
	var wg, rwg, wwg sync.WaitGroup // workers, refresh loop, writers
	for range writers {
		wwg.Go(func() { d.writer(r) })
	}
	defer func() {
		if err == nil {
			// Every chunk is verified: idle sessions end by themselves,
			// giving their connections back to the pool, before the
			// cancel would close them. One still reading (an endgame
			// copy) is not waited for long. No worker starts meanwhile.
			d.mu.Lock()
			d.spawn = nil
			d.mu.Unlock()
			waitAtMost(&wg, finishGrace)
		}
		cancel()
		rwg.Wait() // first: the refresh loop starts workers
		wg.Wait()
		close(r.writeq)
		wwg.Wait()
		d.endFetch(r)
	}()

	d.setState(StateDownloading, nil)
	d.mu.Lock()
	d.spawn = func(p *peerState) {
		p.running = true
		wg.Go(func() { d.worker(fctx, r, p) })
	}
	for _, p := range d.peers {
		if !p.dropped {
			d.spawn(p)
		}
	}
	d.addPeersLocked(holders)
	d.mu.Unlock()
	rwg.Go(func() { d.refreshLoop(fctx, r.id) })
	return d.watch(ctx, r)
}

// finishGrace bounds the wait for a fetch's sessions to end by themselves
// once every chunk is verified.
const finishGrace = 100 * time.Millisecond

// waitAtMost waits for wg, or for d, whichever comes first.
func waitAtMost(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// watch waits for the end of the fetch phase, ticking rates and the
// stalled state and saving the resume record meanwhile.
func (d *Download) watch(ctx context.Context, r *fetchRun) error {
	allDone := d.chunks.finished()
	start := time.Now()
	tick := time.NewTicker(tickInterval)
	defer tick.Stop()
	lastTick, lastSave, saves := start, start, 0
	for {
		select {
		case <-allDone:
			return nil
		case <-r.fatalCh:
			return r.fatal
		case <-ctx.Done():
			return ctxErr(ctx)
		case now := <-tick.C:
			if err := d.tick(now, now.Sub(lastTick), start); err != nil {
				return err
			}
			lastTick = now
			if now.Sub(lastSave) >= saveInterval {
				lastSave = now
				if have := d.chunks.haveIfDirty(); have != nil {
					saves++
					if err := r.store.saveState(have, saves%syncEvery == 0); err != nil {
						d.log.Warn("Saving resume record failed", "error", err)
					}
				}
			}
		}
	}
}

// endFetch runs once the fetch phase's goroutines are done: no peer is
// connected any more, and the resume record is saved (synced) unless
// the file is complete: when it changed, or when none was written yet.
func (d *Download) endFetch(r *fetchRun) {
	d.mu.Lock()
	d.spawn = nil
	for _, p := range d.peers {
		p.connected, p.running = false, false
	}
	d.mu.Unlock()
	if d.chunks.complete() {
		return
	}
	have := d.chunks.haveIfDirty()
	if have == nil && !r.store.recorded {
		// Stopped before its first record (create writes none): one now,
		// so a cancel after a restart finds the part file (discardByID).
		have = d.chunks.haveCopy()
	}
	if have != nil {
		if err := r.store.saveState(have, true); err != nil {
			d.log.Warn("Saving resume record failed", "error", err)
		}
	}
}

// tick updates rates and the stalled state, and enforces the stall
// timeout: no verified chunk nor byte received since the later of start
// and the last one.
func (d *Download) tick(now time.Time, dt time.Duration, start time.Time) error {
	sec := dt.Seconds()
	if sec <= 0 {
		return nil
	}
	recent, last := d.chunks.tick()
	last = latest(last, start, time.Unix(0, d.lastByte.Load()))
	idle := now.Sub(last)
	if idle >= d.opts.StallTimeout {
		return fmt.Errorf("%w: no data for %s; run again to resume", ErrStalled, d.opts.StallTimeout.Round(time.Second))
	}

	d.mu.Lock()
	d.rate = ewma(d.rate, float64(recent)/sec)
	for _, p := range d.peers {
		p.rate = ewma(p.rate, float64(p.recent.Swap(0))/sec)
	}
	state := d.state
	d.mu.Unlock()
	switch {
	case idle >= stalledAfter && state == StateDownloading:
		d.setState(StateStalled, errors.New("waiting for a peer that has the missing chunks"))
	case idle < stalledAfter && state == StateStalled:
		d.setState(StateDownloading, nil)
	}
	return nil
}

// refreshLoop asks the tracker for id's holders every RefreshInterval and
// starts workers for new ones.
func (d *Download) refreshLoop(ctx context.Context, id string) {
	t := time.NewTicker(d.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sctx, cancel := context.WithTimeout(ctx, d.opts.RefreshInterval+d.opts.DialTimeout)
		resp, err := d.opts.Tracker.Search(sctx, id)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Debug("Refreshing holders failed", "error", err)
			}
			continue
		}
		d.mu.Lock()
		d.addPeersLocked(holdersOf(resp, id))
		d.mu.Unlock()
	}
}

// addPeersLocked adds new holders and starts their workers, and takes
// this download's share of what only seeders have.
func (d *Download) addPeersLocked(holders []wire.ResultPeer) {
	d.chunks.setShare(shareOf(holders, d.isSelf))
	for _, h := range holders {
		if d.isSelf(h.Addr) {
			continue
		}
		if p, ok := d.byAddr[h.Addr]; ok {
			if h.Complete && !p.dropped {
				d.chunks.setComplete(p.idx)
			}
			if !p.running && !p.dropped && d.spawn != nil {
				d.spawn(p)
			}
			continue
		}
		if len(d.peers) >= d.opts.MaxPeers {
			continue
		}
		p := &peerState{idx: d.chunks.addHolder(h.Complete), addr: h.Addr, log: d.log.With("peer", h.Addr)}
		d.peers = append(d.peers, p)
		d.byAddr[h.Addr] = p
		if d.spawn != nil {
			d.spawn(p)
		}
	}
}

// shareOf returns this download's share of the chunks only seeders have
// (see chunkTable.share): its place, in address order, among the partial
// holders the tracker lists, itself included (isSelf), and their number.
// Every downloader listed sees the same list, so they take different
// shares. 0, 0 when it is not listed or alone.
func shareOf(holders []wire.ResultPeer, isSelf func(string) bool) (share, shares int) {
	var partial []string
	self := ""
	for _, h := range holders {
		if h.Complete {
			continue
		}
		partial = append(partial, h.Addr)
		if self == "" && isSelf(h.Addr) {
			self = h.Addr
		}
	}
	if self == "" || len(partial) < 2 {
		return 0, 0
	}
	slices.Sort(partial)
	return slices.Index(partial, self), len(partial)
}

// strike counts a bad answer against p and reports whether p is now
// dropped for this download.
func (d *Download) strike(p *peerState) bool {
	d.mu.Lock()
	p.strikes++
	newly := p.strikes >= maxStrikes && !p.dropped
	if newly {
		p.dropped = true
	}
	dropped := p.dropped
	d.mu.Unlock()
	if newly {
		d.chunks.notify()
	}
	return dropped
}

// latest returns the latest of ts.
func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}
