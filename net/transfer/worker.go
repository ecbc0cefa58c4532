package transfer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// worker fetches chunks from one peer for as long as the fetch phase
// lasts, reconnecting with a growing backoff after failures, until the
// peer is dropped.
func (d *Download) worker(ctx context.Context, p *peerState) {
	defer func() {
		d.mu.Lock()
		p.running = false
		d.mu.Unlock()
	}()
	backoff := backoffMin
	for {
		progressed, err := d.session(ctx, p)
		if ctx.Err() != nil {
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
		case <-t.C:
		}
		backoff = min(backoff*2, backoffMax)
	}
}

// pipelineDepth is how many GETs are kept in flight on one connection.
func (d *Download) pipelineDepth() int {
	return int(min(max(d.opts.PipelineBytes/d.m.ChunkSize, minPipeline), maxPipeline))
}

// session runs one connection to p: it keeps up to pipelineDepth GETs in
// flight, verifies each answer as it arrives and writes it. It returns
// when the connection fails or ctx ends; the chunks it had in flight go
// back to the queue.
func (d *Download) session(ctx context.Context, p *peerState) (progressed bool, err error) {
	pc, err := dialPeer(ctx, p.addr, d.opts.DialTimeout, d.opts.RequestTimeout)
	if err != nil {
		return false, err
	}
	defer pc.close()

	d.mu.Lock()
	p.connected = true
	id, m, writeq := d.id, d.m, d.writeq
	needHave := !p.complete
	d.mu.Unlock()

	pending := make([]int, 0, maxPipeline)
	defer func() {
		d.mu.Lock()
		failed := err != nil && ctx.Err() == nil
		for _, c := range pending {
			d.releaseLocked(c, failed)
		}
		p.connected = false
		if p.have != nil {
			d.setHaveLocked(p, nil)
		}
		d.mu.Unlock()
	}()

	depth := d.pipelineDepth()
	h := sha256.New()
	var sum wire.Digest
	var bp *[]byte // a chunk buffer, taken when a body is about to arrive
	defer func() {
		if bp != nil {
			d.bufs.put(bp)
		}
	}()
	pc.onData = &d.lastByte
	var haveAt time.Time

	for {
		if needHave && len(pending) == 0 {
			bf, err := pc.have(id, m.NumChunks())
			if err != nil {
				return progressed, fmt.Errorf("asking %s what it has: %w", p.addr, err)
			}
			d.mu.Lock()
			d.setHaveLocked(p, bf)
			d.mu.Unlock()
			needHave, haveAt = false, time.Now()
		}

		d.mu.Lock()
		for len(pending) < depth && !needHave {
			c := d.pickLocked(p, pending)
			if c < 0 {
				break
			}
			off, size := m.Chunk(c)
			pc.queue(wire.PeerRequest{Verb: wire.VerbGet, ID: id, Offset: off, Size: size})
			pending = append(pending, c)
		}
		wake, partial := d.wake, !p.complete
		d.mu.Unlock()
		if err := pc.flush(); err != nil {
			return progressed, err
		}

		if len(pending) == 0 {
			if needHave {
				continue
			}
			var timeout <-chan time.Time
			var t *time.Timer
			if partial {
				t = time.NewTimer(max(d.opts.HaveInterval-time.Since(haveAt), 0))
				timeout = t.C
			}
			select {
			case <-ctx.Done():
			case <-wake:
			case <-timeout:
				needHave = true
			}
			if t != nil {
				t.Stop()
			}
			if ctx.Err() != nil {
				return progressed, ctx.Err()
			}
			continue
		}

		c := pending[0]
		_, size := m.Chunk(c)
		got, err := pc.status(size)
		if err != nil {
			if wire.CodeOf(err) == wire.CodeMissing {
				pending = pending[1:]
				d.mu.Lock()
				d.lacksLocked(p, c)
				d.releaseLocked(c, false)
				d.mu.Unlock()
				needHave = true
				continue
			}
			return progressed, fmt.Errorf("chunk %d from %s: %w", c, p.addr, err)
		}
		if got != size {
			d.strike(p)
			return progressed, fmt.Errorf("peer %s answered %d bytes for a %d-byte chunk", p.addr, got, size)
		}

		d.mu.Lock()
		dup := d.chunks[c] == ChunkDone
		d.mu.Unlock()
		if dup {
			// Another peer's copy won the endgame race: skip the bytes.
			if err := pc.discard(size); err != nil {
				return progressed, err
			}
			pending = pending[1:]
			d.mu.Lock()
			d.receivedLocked(p, c, size, false)
			d.mu.Unlock()
			continue
		}

		if bp == nil {
			if bp, err = d.bufs.get(ctx); err != nil {
				return progressed, err
			}
		}
		h.Reset()
		if err := pc.body((*bp)[:size], h); err != nil {
			return progressed, err
		}
		pending = pending[1:]
		if h.Sum(sum[:0]); sum != m.Digests[c] {
			d.mu.Lock()
			d.fetched += size
			d.releaseLocked(c, true)
			d.mu.Unlock()
			p.log.Warn("Chunk failed verification", "chunk", c)
			if d.strike(p) {
				return progressed, fmt.Errorf("%w: %s", ErrPeerDropped, p.addr)
			}
			continue
		}

		// Verified: hand it to the writers and read on with a fresh buffer.
		d.mu.Lock()
		needed := d.receivedLocked(p, c, size, true)
		d.mu.Unlock()
		progressed = true
		if !needed {
			continue // another peer's copy won
		}
		select {
		case writeq <- writeJob{chunk: c, peer: p, buf: bp, n: size}:
		case <-ctx.Done():
			d.mu.Lock()
			d.unwrittenLocked(c)
			d.mu.Unlock()
			return progressed, ctx.Err()
		}
		bp = nil
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

// writeQueueLen bounds the verified chunks waiting for a writer (memory:
// about 8 MiB of chunk buffers).
func (d *Download) writeQueueLen() int {
	return int(min(max((8<<20)/d.m.ChunkSize, 2), 16))
}

// writer writes verified chunks until q is closed, then records them done.
// A write error stops the download (setFatal) with the chunk queued again.
func (d *Download) writer(q <-chan writeJob) {
	for j := range q {
		d.mu.Lock()
		failed := d.fatal != nil
		st := d.store
		d.mu.Unlock()
		var err error
		if !failed {
			err = st.writeChunk(j.chunk, (*j.buf)[:j.n])
		}
		first := false
		d.mu.Lock()
		if err != nil || failed {
			d.unwrittenLocked(j.chunk)
		} else {
			first = d.writtenLocked(j.peer, j.chunk, j.n)
		}
		d.mu.Unlock()
		d.bufs.put(j.buf)
		if err != nil {
			d.setFatal(err)
		}
		if first {
			d.log.Info("First chunk verified", "sinceStart", time.Since(d.startedAt()))
			d.opts.onChange()
		}
	}
}

// strike counts a bad answer against p and reports whether p is now
// dropped for this download.
func (d *Download) strike(p *peerState) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p.strikes++
	if p.strikes >= maxStrikes && !p.dropped {
		p.dropped = true
		d.notifyLocked()
	}
	return p.dropped
}
