package transfer

import (
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/enxame/enxame/net/wire"
)

// chunkTable is a download's chunk bookkeeping: each chunk's state and
// source (kept as the cells Progress hands out), the requests out for it,
// how many partial holders have it, and what each source holds. It has its
// own lock, held for a few lines at a time and never while calling out, so
// workers, writers, the ticker and Progress do not queue on the
// Download's. Lock order: Download.mu before chunkTable.mu.
//
// Which chunk to ask a source for is decided by nextLocked, a pure
// function of the table and the source's holding (chunks_test.go tests it
// without sockets); pick applies its answer.
type chunkTable struct {
	mu sync.Mutex

	// Per chunk.
	cells    []Cell        // state and source, as a grid draws them
	writing  []bool        // verified and handed to a writer (shown in flight)
	inflight []uint8       // requests out
	avail    []uint16      // partial holders with a known bitfield that have it
	have     wire.Bitfield // verified and written
	version  uint64        // changes whenever a cell changes, and only then

	// Per source, by peer index (the cells' source).
	holders  []holding
	partials int // holders with a known bitfield

	// order is the chunks in a random order, drawn at each reset: among
	// chunks equally rare, the one first in order is taken, so that
	// downloaders of one file ask for different chunks and soon have
	// something to give each other. rank is its inverse.
	order []int32
	rank  []int32
	rng   *rand.Rand // draws order; nil: math/rand/v2's own

	// share of shares: the chunks this download asks seeders for first
	// (i%shares == share), so that downloaders listed together split what
	// only seeders have rather than ask for the same chunks. shares < 2:
	// no split.
	share, shares int

	missing int // chunks not done
	queued  int // chunks missing or failed: neither done nor in flight
	cursor  int // every chunk in order[:cursor] is done or in flight

	done    int64 // verified bytes, found on disk included
	resumed int64 // verified bytes found on disk at start
	// before holds, after a reset of a table of the same size (a run
	// resumed in this process, after a pause), who supplied each chunk
	// done before: a chunk found again on disk keeps its source.
	before   []Cell
	fetched  int64     // bytes received this run, duplicates and bad chunks included
	recent   int64     // verified bytes since the last tick
	lastDone time.Time // when the last chunk was written
	dirty    bool      // have changed since the last resume record

	wake    chan struct{} // closed and replaced when an idle worker may find work
	allDone chan struct{} // closed when missing reaches 0
}

// holding is what one source holds.
type holding struct {
	complete bool
	have     wire.Bitfield // a partial holder's, once asked; nil unknown
}

func (h holding) has(i int) bool { return h.complete || h.have.Has(i) }

// reset sizes the table for n chunks, none of them held, at the start of
// a fetch. The sources stay, their bitfields unknown.
func (t *chunkTable) reset(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.before = nil
	if len(t.cells) == n {
		t.before = t.cells
	}
	t.cells = make([]Cell, n)
	for i := range t.cells {
		t.cells[i] = MakeCell(ChunkMissing, NoSource)
	}
	t.writing = make([]bool, n)
	t.inflight = make([]uint8, n)
	t.avail = make([]uint16, n)
	t.have = wire.NewBitfield(n)
	t.version++
	t.order, t.rank = make([]int32, n), make([]int32, n)
	for i := range t.order {
		t.order[i] = int32(i)
	}
	shuffle := rand.Shuffle
	if t.rng != nil {
		shuffle = t.rng.Shuffle
	}
	shuffle(n, func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
	for r, c := range t.order {
		t.rank[c] = int32(r)
	}
	for i := range t.holders {
		t.holders[i].have = nil
	}
	t.partials = 0
	t.missing, t.queued, t.cursor = n, n, 0
	t.done, t.resumed, t.fetched, t.recent = 0, 0, 0, 0
	t.dirty = false
	t.wake = make(chan struct{})
	t.allDone = make(chan struct{})
}

// newRun zeroes the bytes fetched, at the start of a run.
func (t *chunkTable) newRun() {
	t.mu.Lock()
	t.fetched = 0
	t.mu.Unlock()
}

func (t *chunkTable) setCellLocked(i int, c Cell) {
	if t.cells[i] != c {
		t.cells[i] = c
		t.version++
	}
}

// queuedLocked reports whether chunk i waits to be asked for.
func (t *chunkTable) queuedLocked(i int) bool {
	s := t.cells[i].State()
	return s == ChunkMissing || s == ChunkFailed
}

func (t *chunkTable) advanceLocked() {
	for t.cursor < len(t.order) && !t.queuedLocked(int(t.order[t.cursor])) {
		t.cursor++
	}
}

// requeueLocked puts chunk i, no longer in flight, back in the queue.
func (t *chunkTable) requeueLocked(i int, s ChunkState) {
	t.setCellLocked(i, MakeCell(s, t.cells[i].Source()))
	t.queued++
	t.cursor = min(t.cursor, int(t.rank[i]))
	t.notifyLocked()
}

// notifyLocked wakes idle workers: chunks were queued again, a holding
// changed, or the download ended.
func (t *chunkTable) notifyLocked() {
	close(t.wake)
	t.wake = make(chan struct{})
}

// notify wakes idle workers.
func (t *chunkTable) notify() {
	t.mu.Lock()
	t.notifyLocked()
	t.mu.Unlock()
}

// addHolder adds a source and returns its peer index.
func (t *chunkTable) addHolder(complete bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.holders = append(t.holders, holding{complete: complete})
	return len(t.holders) - 1
}

// holding returns a copy of what source src is known to hold.
func (t *chunkTable) holding(src int) holding {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.holders[src]
}

// setComplete records that src holds the whole file (the tracker said so).
func (t *chunkTable) setComplete(src int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.holders[src].complete {
		t.holders[src].complete = true
		t.notifyLocked()
	}
}

// setHave records a partial holder's bitfield (nil: unknown, as after it
// disconnects) and the availability counts that rarest-first reads.
func (t *chunkTable) setHave(src int, bf wire.Bitfield) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setHaveLocked(src, bf)
}

func (t *chunkTable) setHaveLocked(src int, bf wire.Bitfield) {
	h := &t.holders[src]
	changed := (h.have == nil) != (bf == nil)
	for i := range t.avail {
		had, has := h.have.Has(i), bf.Has(i)
		switch {
		case had && !has:
			t.avail[i]--
			changed = true
		case has && !had:
			t.avail[i]++
			changed = true
		}
	}
	switch {
	case h.have == nil && bf != nil:
		t.partials++
	case h.have != nil && bf == nil:
		t.partials--
	}
	h.have = bf
	if changed {
		t.notifyLocked()
	}
}

// lacks records that src answered "missing" for chunk i.
func (t *chunkTable) lacks(src, i int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := &t.holders[src]
	if h.complete {
		// It said it had everything; from now on trust only its HAVE.
		h.complete = false
		return
	}
	if h.have.Has(i) {
		h.have[i/8] &^= 0x80 >> (i % 8)
		t.avail[i]--
	}
}

// nextLocked chooses the chunk to ask a source holding h for, with
// pending already asked of it, or -1. It changes nothing: its answer
// depends on the table and its arguments alone.
//
// Queued chunks come first, the one fewest connected partial holders have
// (rarest first), the first in the table's random order among equals. A
// complete holder (a seeder) is asked only for chunks no partial holder
// has, so its upload goes to what the swarm lacks rather than to copies
// the downloaders can give each other, and for those in this download's
// share first. With nothing queued (the endgame)
// it names a chunk in flight elsewhere, dup true, asked of fewer than
// maxDuplicates sources: the least asked, first in order among equals.
func (t *chunkTable) nextLocked(h holding, pending []int) (chunk int, dup bool) {
	if t.queued > 0 {
		floor := 1 // a partial holder counts itself
		if h.complete {
			floor = 0
		}
		best, bestAvail := -1, 1<<30
		for _, c := range t.order[t.cursor:] {
			i := int(c)
			if !t.queuedLocked(i) || !h.has(i) {
				continue
			}
			a := int(t.avail[i])
			switch {
			case a <= floor && (!h.complete || t.shares < 2 || i%t.shares == t.share):
				return i, false
			case a <= floor && best < 0:
				best, bestAvail = i, a // another's share, if this one is taken
			case a < bestAvail && !h.complete:
				best, bestAvail = i, a
			}
		}
		return best, false
	}
	best, bestCount := -1, maxDuplicates
	for _, c := range t.order {
		i := int(c)
		if t.cells[i].State() != ChunkInFlight || t.writing[i] || int(t.inflight[i]) >= bestCount ||
			!h.has(i) || slices.Contains(pending, i) {
			continue
		}
		best, bestCount = i, int(t.inflight[i])
		if bestCount <= 1 {
			break
		}
	}
	return best, best >= 0
}

// setShare sets the chunks this download asks seeders for first: those
// with i%shares == share (shares < 2: no split).
func (t *chunkTable) setShare(share, shares int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.share, t.shares = share, shares
}

// pick asks nextLocked for chunks for source src until pending holds depth of
// them or nothing is left, marks them in flight, and returns pending with
// them appended, and the channel an idle worker waits on for more.
func (t *chunkTable) pick(src int, pending []int, depth int) ([]int, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.holders[src]
	for len(pending) < depth {
		c, dup := t.nextLocked(h, pending)
		if c < 0 {
			break
		}
		t.inflight[c]++
		if !dup {
			t.setCellLocked(c, MakeCell(ChunkInFlight, src))
			t.queued--
			t.advanceLocked()
			if t.queued == 0 {
				t.notifyLocked() // the endgame: idle sources may duplicate
			}
		}
		pending = append(pending, c)
	}
	return pending, t.wake
}

// release puts chunk i back in the queue after a request for it ended
// without a verified copy (failed: the attempt went wrong), unless another
// request for it is still out.
func (t *chunkTable) release(i int, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.releaseLocked(i, failed)
}

func (t *chunkTable) releaseLocked(i int, failed bool) {
	if t.inflight[i] > 0 {
		t.inflight[i]--
	}
	c := t.cells[i]
	if c.State() != ChunkInFlight || t.writing[i] || t.inflight[i] > 0 {
		return
	}
	s := ChunkMissing
	if failed {
		s = ChunkFailed
	}
	t.requeueLocked(i, s)
}

// isDone reports whether chunk i is verified and written.
func (t *chunkTable) isDone(i int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cells[i].State() == ChunkDone
}

// received ends a request for chunk i that brought n bytes. A verified
// copy the chunk still needs moves it to writing and returns true: the
// caller then owes written or unwritten. A bad copy puts the chunk back
// in the queue as failed.
func (t *chunkTable) received(i int, n int64, verified bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fetched += n
	if !verified {
		t.releaseLocked(i, true)
		return false
	}
	if t.inflight[i] > 0 {
		t.inflight[i]--
	}
	if t.cells[i].State() != ChunkInFlight || t.writing[i] {
		return false // another source's copy won
	}
	t.writing[i] = true
	return true
}

// written records chunk i, n bytes, verified from src and written.
// first is true for the download's first verified chunk.
func (t *chunkTable) written(src, i int, n int64) (first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	first = t.done == 0
	t.writing[i] = false
	t.markDoneLocked(i, src, n)
	t.recent += n
	t.lastDone = time.Now()
	return first
}

// unwritten queues chunk i again after its write failed.
func (t *chunkTable) unwritten(i int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.writing[i] {
		return
	}
	t.writing[i] = false
	t.requeueLocked(i, ChunkFailed)
}

// found records chunk i, n bytes, verified on disk at resume.
func (t *chunkTable) found(i int, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	src := NoSource
	if i < len(t.before) && t.before[i].State() == ChunkDone {
		src = int(t.before[i] >> 8) // supplied before the pause
	}
	t.markDoneLocked(i, src, n)
	t.resumed += n
	t.advanceLocked()
}

func (t *chunkTable) markDoneLocked(i, src int, n int64) {
	if t.queuedLocked(i) {
		t.queued--
	}
	t.setCellLocked(i, MakeCell(ChunkDone, src))
	t.have.Set(i)
	t.missing--
	t.done += n
	t.dirty = true
	if t.missing == 0 {
		close(t.allDone)
	}
}

// finished returns the channel closed when every chunk is done.
func (t *chunkTable) finished() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.allDone
}

// complete reports whether every chunk is done.
func (t *chunkTable) complete() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.missing == 0
}

// haveCopy returns a copy of the verified-chunk bitfield.
func (t *chunkTable) haveCopy() wire.Bitfield {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(wire.Bitfield(nil), t.have...)
}

// haveIfDirty returns a copy of the verified-chunk bitfield if it changed
// since the last call (for the resume record), else nil.
func (t *chunkTable) haveIfDirty() wire.Bitfield {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.dirty {
		return nil
	}
	t.dirty = false
	return append(wire.Bitfield(nil), t.have...)
}

// tick takes the verified bytes since the last tick and when the last
// chunk was written.
func (t *chunkTable) tick() (recent int64, lastDone time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent, t.recent = t.recent, 0
	return recent, t.lastDone
}

// counts is the table's share of a Progress snapshot.
type counts struct {
	done, fetched, resumed int64
	version                uint64
}

func (t *chunkTable) counts() counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return counts{done: t.done, fetched: t.fetched, resumed: t.resumed, version: t.version}
}

// completeHolders reports, by peer index, which sources hold the whole file.
func (t *chunkTable) completeHolders(dst []bool) []bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	dst = dst[:0]
	for _, h := range t.holders {
		dst = append(dst, h.complete)
	}
	return dst
}

// appendCells appends the cells to dst[:0] and returns them with the
// version they were read at.
func (t *chunkTable) appendCells(dst []Cell) ([]Cell, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(dst[:0], t.cells...), t.version
}

// disconnected records the end of a connection to src: the chunks still
// asked of it go back to the queue (failed: the connection went wrong)
// and its bitfield is unknown until asked again.
func (t *chunkTable) disconnected(src int, pending []int, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range pending {
		t.releaseLocked(c, failed)
	}
	if t.holders[src].have != nil {
		t.setHaveLocked(src, nil)
	}
}
