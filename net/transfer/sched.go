package transfer

import (
	"slices"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// pickLocked chooses the next chunk to ask p for, or -1. Queued chunks
// come first: in order when every source is complete, else the one fewest
// partial holders have (rarest first). With nothing queued (the endgame),
// a chunk in flight elsewhere is asked of p too.
func (d *Download) pickLocked(p *peerState, pending []int) int {
	n := len(d.chunks)
	for d.cursor < n && d.chunks[d.cursor] != ChunkMissing && d.chunks[d.cursor] != ChunkFailed {
		d.cursor++
	}
	if d.queued > 0 {
		best, bestAvail := -1, 1<<30
		floor := 1
		if p.complete {
			floor = 0
		}
		for i := d.cursor; i < n; i++ {
			if s := d.chunks[i]; s != ChunkMissing && s != ChunkFailed || !p.hasLocked(i) {
				continue
			}
			if d.partials == 0 {
				best = i
				break
			}
			if a := int(d.avail[i]); a < bestAvail {
				best, bestAvail = i, a
				if a <= floor {
					break
				}
			}
		}
		if best >= 0 {
			d.chunks[best] = ChunkInFlight
			d.from[best] = uint8(p.idx + 1)
			d.inflight[best]++
			d.queued--
			return best
		}
		return -1
	}
	// Endgame: duplicate the least-asked chunk in flight that p has and
	// has not been asked for yet.
	best, bestCount := -1, maxDuplicates
	for i := range n {
		if d.chunks[i] != ChunkInFlight || int(d.inflight[i]) >= bestCount || !p.hasLocked(i) || slices.Contains(pending, i) {
			continue
		}
		best, bestCount = i, int(d.inflight[i])
		if bestCount <= 1 {
			break
		}
	}
	if best >= 0 {
		d.inflight[best]++
	}
	return best
}

// releaseLocked puts chunk i back in the queue after a request for it
// ended without a verified copy (failed: the attempt went wrong).
func (d *Download) releaseLocked(i int, failed bool) {
	if d.inflight[i] > 0 {
		d.inflight[i]--
	}
	if d.chunks[i] != ChunkInFlight || d.inflight[i] > 0 {
		return
	}
	d.chunks[i] = ChunkMissing
	if failed {
		d.chunks[i] = ChunkFailed
	}
	d.queued++
	d.cursor = min(d.cursor, i)
	d.notifyLocked()
}

// setHaveLocked records a partial holder's bitfield and the availability
// counts that rarest-first reads.
func (d *Download) setHaveLocked(p *peerState, bf wire.Bitfield) {
	if p.have != nil {
		d.partials--
		for i := range d.avail {
			if p.have.Has(i) {
				d.avail[i]--
			}
		}
	}
	p.have = bf
	if bf != nil {
		d.partials++
		for i := range d.avail {
			if bf.Has(i) {
				d.avail[i]++
			}
		}
	}
	d.notifyLocked()
}

// lacksLocked records that p answered "missing" for chunk i.
func (d *Download) lacksLocked(p *peerState, i int) {
	if p.complete {
		// It said it had everything; from now on trust only its HAVE.
		p.complete = false
		return
	}
	if p.have.Has(i) {
		p.have[i/8] &^= 0x80 >> (i % 8)
		d.avail[i]--
	}
}

// receivedLocked accounts n bytes received from p for chunk i, verified
// or not, and ends that request. It reports whether the chunk still needs
// these bytes: it then moves to chunkWriting, owned by the caller until
// writtenLocked or unwrittenLocked.
func (d *Download) receivedLocked(p *peerState, i int, n int64, verified bool) bool {
	if d.inflight[i] > 0 {
		d.inflight[i]--
	}
	p.recent += n
	d.fetched += n
	if !verified || d.chunks[i] != ChunkInFlight {
		return false
	}
	d.chunks[i] = chunkWriting
	return true
}

// writtenLocked records chunk i, n bytes, verified from p and written.
// first is true for the download's first verified chunk.
func (d *Download) writtenLocked(p *peerState, i int, n int64) (first bool) {
	first = d.done == 0
	d.markDoneLocked(i, uint8(p.idx+1), n)
	d.recent += n
	p.chunks++
	p.bytes += n
	d.lastProgress = time.Now()
	return first
}

// unwrittenLocked queues chunk i again after its write failed.
func (d *Download) unwrittenLocked(i int) {
	if d.chunks[i] != chunkWriting {
		return
	}
	d.chunks[i] = ChunkFailed
	d.queued++
	d.cursor = min(d.cursor, i)
	d.notifyLocked()
}
