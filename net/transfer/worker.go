package transfer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// worker fetches chunks from one peer for as long as the fetch phase
// lasts, reconnecting with a growing backoff after failures, until the
// peer is dropped.
func (d *Download) worker(ctx context.Context, r *fetchRun, p *peerState) {
	defer func() {
		d.mu.Lock()
		p.running = false
		d.mu.Unlock()
	}()
	backoff := backoffMin
	for {
		progressed, err := d.session(ctx, r, p)
		if ctx.Err() != nil || errors.Is(err, errFetchDone) {
			return
		}
		d.mu.Lock()
		dropped := p.dropped
		d.mu.Unlock()
		if dropped {
			p.log.Warn("Peer dropped", "error", err)
			return
		}
		if progressed {
			backoff = backoffMin
		}
		p.log.Info("Peer connection ended", "error", err, "retryIn", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.done:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// pipelineDepth is how many GETs to keep in flight on a connection that
// delivers rate bytes a second: one, plus those that arrive within
// pipelineLatency, at most limit; startPipeline while the rate is unknown.
func pipelineDepth(rate float64, chunkSize int64, limit int) int {
	d := startPipeline
	if rate > 0 {
		d = 1 + int(rate*pipelineLatency.Seconds()/float64(chunkSize))
	}
	return max(1, min(d, limit))
}

// session is one connection to a peer. Requests go out pipelined and
// their answers come back in the same order: pending lists the chunks
// asked for, oldest first. A session is owned by its worker goroutine.
type session struct {
	d  *Download
	r  *fetchRun
	p  *peerState
	pc *peerConn
	// guard holds p to the minimum rate while it owes answers.
	guard *rateGuard

	pending    []int           // chunks asked for (haveReq: a HAVE), oldest first
	partial    bool            // p may hold part of the file: ask its HAVE every HaveInterval
	haveOut    bool            // a HAVE is in pending
	haveNext   time.Time       // when p's HAVE is due again
	rate       float64         // bytes a second p delivers, smoothed; 0 unknown
	since      time.Time       // when the answer at the head of pending began to come
	wake       <-chan struct{} // from the last pick: closed when there may be more
	h          hash.Hash
	sum        wire.Digest
	buf        *[]byte // a chunk buffer, taken when a body is about to arrive
	progressed bool    // a chunk arrived verified
}

// haveReq in a session's pending is a HAVE request.
const haveReq = -1

// session runs one connection to p: connect, then until the connection
// fails or ctx ends, fill the pipeline and read one answer, or wait when
// there is nothing to ask p for. The chunks still in flight when it ends
// go back to the queue.
func (d *Download) session(ctx context.Context, r *fetchRun, p *peerState) (progressed bool, err error) {
	s, err := d.connect(ctx, r, p)
	if err != nil {
		return false, err
	}
	defer func() { s.close(err, ctx.Err() == nil) }()
	for {
		err := s.fill()
		if err == nil && len(s.pending) == 0 {
			err = s.idle(ctx)
		} else if err == nil {
			err = s.readOne(ctx)
		}
		if err == nil {
			continue
		}
		if wire.CodeOf(err) == "" && s.redial(ctx) {
			continue
		}
		return s.progressed, err
	}
}

// errFetchDone ends a session that is idle when every chunk is verified:
// its connection goes back to the pool.
var errFetchDone = errors.New("every chunk is verified")

// redial replaces a pooled connection that failed before it answered
// anything (it died while idle) with a new one, at once: the requests
// sent on it go back to the queue. It reports whether it did.
func (s *session) redial(ctx context.Context) bool {
	fresh := s.d.opts.dialer().redial(ctx, s.pc)
	if fresh == nil {
		return false
	}
	s.p.log.Debug("Pooled connection was dead; dialled again")
	s.pending = slices.DeleteFunc(s.pending, func(c int) bool { return c == haveReq })
	s.d.chunks.disconnected(s.p.idx, s.pending, false)
	s.pending, s.haveOut = s.pending[:0], false
	s.haveNext = time.Time{} // its bitfield was forgotten: ask again now
	s.pc = fresh
	s.guard = guard(fresh, s.d.opts.MinRate, s.d.opts.rateWindow, &s.d.lastByte)
	return true
}

// connect dials p and starts a session; a partial holder's HAVE is due
// at once.
func (d *Download) connect(ctx context.Context, r *fetchRun, p *peerState) (*session, error) {
	pc, err := d.opts.dialer().dial(ctx, p.addr)
	if err != nil {
		return nil, err
	}
	g := guard(pc, d.opts.MinRate, d.opts.rateWindow, &d.lastByte)
	d.mu.Lock()
	p.connected = true
	d.mu.Unlock()
	return &session{
		d: d, r: r, p: p, pc: pc, guard: g,
		pending: make([]int, 0, maxPipeline+1),
		partial: !d.chunks.holding(p.idx).complete,
		h:       sha256.New(),
	}, nil
}

// close ends the session after err: the chunks still asked of p go back
// to the queue (failed when the connection went wrong while the fetch
// goes on) and p's bitfield is forgotten until it is asked again. A
// session that ended idle because every chunk is verified gives its
// connection back to the pool.
func (s *session) close(err error, going bool) {
	failed := err != nil && going
	if errors.Is(err, errFetchDone) && len(s.pending) == 0 {
		s.d.opts.dialer().release(s.pc)
		failed = false
	} else {
		s.pc.close()
	}
	s.pending = slices.DeleteFunc(s.pending, func(c int) bool { return c == haveReq })
	s.d.chunks.disconnected(s.p.idx, s.pending, failed)
	s.d.mu.Lock()
	s.p.connected = false
	s.d.mu.Unlock()
	if s.buf != nil {
		s.r.bufs.put(s.buf)
	}
}

// fill tops the pipeline up and sends it: a partial holder's HAVE when it
// is due, then GETs for the chunks the table picks for p. Answers come
// in order, so a HAVE waits behind the GETs before it, never the reverse.
func (s *session) fill() error {
	if len(s.pending) == 0 {
		s.since = time.Now()
		s.guard.restart()
	}
	depth := pipelineDepth(s.rate, s.r.m.ChunkSize, s.r.depth)
	if s.partial && !s.haveOut && !time.Now().Before(s.haveNext) {
		s.pc.queue(wire.PeerRequest{Verb: wire.VerbHave, ID: s.r.id})
		s.pending = append(s.pending, haveReq)
		s.haveOut = true
	}
	if s.haveOut {
		depth++
	}
	n := len(s.pending)
	s.pending, s.wake = s.d.chunks.pick(s.p.idx, s.pending, depth)
	for _, c := range s.pending[n:] {
		off, size := s.r.m.Chunk(c)
		s.pc.queue(wire.PeerRequest{Verb: wire.VerbGet, ID: s.r.id, Offset: off, Size: size})
	}
	return s.pc.flush()
}

// idle waits, with nothing in flight, until there may be chunks for p
// (wake) or, for a partial holder, until its HAVE is due again.
func (s *session) idle(ctx context.Context) error {
	var due <-chan time.Time
	if s.partial {
		t := time.NewTimer(max(time.Until(s.haveNext), 0))
		defer t.Stop()
		due = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.r.done:
		return errFetchDone
	case <-s.wake:
	case <-due:
	}
	return nil
}

// readOne reads the answer to the oldest request: an error, a copy
// another peer's already won, or a chunk to verify and deliver.
func (s *session) readOne(ctx context.Context) error {
	c := s.pending[0]
	if c == haveReq {
		return s.readHave()
	}
	_, size := s.r.m.Chunk(c)
	got, err := s.pc.status(size)
	if err != nil {
		return s.refused(c, err)
	}
	if got != size {
		s.d.strike(s.p)
		return fmt.Errorf("peer %s answered %d bytes for a %d-byte chunk", s.p.addr, got, size)
	}
	s.p.recent.Add(size)
	if s.d.chunks.isDone(c) {
		// Another peer's copy won the endgame race: skip the bytes.
		if err := s.pc.discard(size); err != nil {
			return err
		}
		s.measure(size)
		s.pending = slices.Delete(s.pending, 0, 1)
		s.d.chunks.received(c, size, false)
		return nil
	}
	if s.buf == nil {
		if s.buf, err = s.r.bufs.get(ctx); err != nil {
			return err
		}
	}
	s.h.Reset()
	if err := s.pc.body((*s.buf)[:size], s.h); err != nil {
		return err
	}
	s.measure(size)
	s.pending = slices.Delete(s.pending, 0, 1)
	return s.deliver(ctx, c, size)
}

// readHave reads p's bitfield and hands it to the table.
func (s *session) readHave() error {
	bf, err := s.pc.readHave(s.r.m.NumChunks())
	if err != nil {
		return fmt.Errorf("asking %s what it has: %w", s.p.addr, err)
	}
	s.pending = slices.Delete(s.pending, 0, 1)
	s.since = time.Now()
	s.haveOut, s.haveNext = false, s.since.Add(s.d.opts.HaveInterval)
	s.d.chunks.setHave(s.p.idx, bf)
	return nil
}

// measure folds an answer of n bytes, just arrived, into p's rate.
func (s *session) measure(n int64) {
	now := time.Now()
	if dt := now.Sub(s.since).Seconds(); dt > 0 {
		s.rate = ewma(s.rate, float64(n)/dt)
	}
	s.since = now
}

// refused handles an ERR answer to the GET of chunk c: "missing" puts c
// back in the queue and makes p's HAVE due; any other ends the session.
func (s *session) refused(c int, err error) error {
	if wire.CodeOf(err) != wire.CodeMissing {
		return fmt.Errorf("chunk %d from %s: %w", c, s.p.addr, err)
	}
	s.pending = slices.Delete(s.pending, 0, 1)
	s.since = time.Now()
	s.d.chunks.lacks(s.p.idx, c)
	s.d.chunks.release(c, false)
	s.partial, s.haveNext = true, time.Time{}
	return nil
}

// deliver checks chunk c's digest. A bad copy goes back to the queue and
// costs p a strike; a good one the chunk still needs goes to the writers
// with the buffer, and the next body is read into a fresh one.
func (s *session) deliver(ctx context.Context, c int, size int64) error {
	if s.h.Sum(s.sum[:0]); s.sum != s.r.m.Digests[c] {
		s.d.chunks.received(c, size, false)
		s.p.log.Warn("Chunk failed verification", "chunk", c)
		if s.d.strike(s.p) {
			return fmt.Errorf("%d chunks from %s failed verification", maxStrikes, s.p.addr)
		}
		return nil
	}
	s.progressed = true
	if !s.d.chunks.received(c, size, true) {
		return nil // another peer's copy won
	}
	select {
	case s.r.writeq <- writeJob{chunk: c, peer: s.p, buf: s.buf, n: size}:
		s.buf = nil
		return nil
	case <-ctx.Done():
		s.d.chunks.unwritten(c)
		return ctx.Err()
	}
}

// maxBufBytes bounds the chunk buffers of one download (workers reading,
// chunks queued for the disk, writers writing); at least minBufs exist.
const (
	maxBufBytes = 32 << 20
	minBufs     = writers + 1
)

// chunkBufs hands out aligned chunk buffers, at most cap(sem) at once,
// so memory stays bounded whatever the number of peers or chunk size.
type chunkBufs struct {
	pool sync.Pool
	sem  chan struct{}
}

func newChunkBufs(chunkSize int64) *chunkBufs {
	b := &chunkBufs{sem: make(chan struct{}, max(minBufs, int(maxBufBytes/chunkSize)))}
	b.pool.New = func() any { buf := alignedBuf(chunkSize); return &buf }
	return b
}

// get waits for a free buffer.
func (b *chunkBufs) get(ctx context.Context) (*[]byte, error) {
	select {
	case b.sem <- struct{}{}:
		return b.pool.Get().(*[]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *chunkBufs) put(p *[]byte) {
	b.pool.Put(p)
	<-b.sem
}

// writeJob is a verified chunk waiting to be written.
type writeJob struct {
	chunk int
	peer  *peerState
	buf   *[]byte
	n     int64
}

// writers is how many goroutines write verified chunks; with direct I/O a
// write blocks until the disk has it, so two keep the disk busy while the
// workers read and hash.
const writers = 2

// writeQueueLen bounds the verified chunks waiting for a writer: 8 MiB
// of them, but at least 2 and at most 16 chunks (4 MiB of 256 KiB chunks,
// 32 MiB of 16 MiB ones). Their buffers come from chunkBufs, whose bound
// holds whatever the queue's.
func writeQueueLen(chunkSize int64) int {
	return int(min(max((8<<20)/chunkSize, 2), 16))
}

// writer writes verified chunks until r.writeq is closed, then records
// them done. A write error stops the download (setFatal) with the chunk
// queued again.
func (d *Download) writer(r *fetchRun) {
	for j := range r.writeq {
		var err error
		failed := r.failed()
		if !failed {
			err = r.store.writeChunk(j.chunk, (*j.buf)[:j.n])
		}
		first := false
		if err != nil || failed {
			d.chunks.unwritten(j.chunk)
		} else {
			j.peer.chunks.Add(1)
			j.peer.bytes.Add(j.n)
			first = d.chunks.written(j.peer.idx, j.chunk, j.n)
		}
		r.bufs.put(j.buf)
		if err != nil {
			r.setFatal(err)
			continue
		}
		if !failed {
			d.opts.onProgress()
		}
		if first {
			d.log.Info("First chunk verified", "sinceStart", time.Since(d.startedAt()))
			d.opts.onChange()
		}
	}
}
