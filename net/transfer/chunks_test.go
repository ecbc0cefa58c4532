package transfer

import (
	"testing"

	"github.com/enxame/enxame/net/wire"
)

func TestCell(t *testing.T) {
	cases := []struct {
		s          ChunkState
		source     int
		wantSource int
	}{
		{ChunkMissing, -1, -1},
		{ChunkInFlight, 0, 0},
		{ChunkDone, 7, 7},
		{ChunkFailed, 254, 254},
		{ChunkDone, 255, -1},
		{ChunkDone, 1000, -1},
		{ChunkInFlight, -5, -1},
	}
	for _, c := range cases {
		cell := MakeCell(c.s, c.source)
		if cell.State() != c.s || cell.Source() != c.wantSource {
			t.Errorf("MakeCell(%d, %d) = %#04x: state %d source %d, want %d %d", c.s, c.source, uint16(cell), cell.State(), cell.Source(), c.s, c.wantSource)
		}
	}
	if got := MakeCell(ChunkDone, 3); got != 0x0302 {
		t.Errorf("MakeCell(done, 3) = %#04x, want 0x0302 (state low, source high)", uint16(got))
	}
	if got := MakeCell(ChunkMissing, -1); got != NoSource<<8 {
		t.Errorf("MakeCell(missing, none) = %#04x, want %#04x", uint16(got), NoSource<<8)
	}
}

// bits returns an n-chunk bitfield with the given chunks set.
func bits(n int, chunks ...int) wire.Bitfield {
	b := wire.NewBitfield(n)
	for _, c := range chunks {
		b.Set(c)
	}
	return b
}

// newTestTable returns an n-chunk table in file order with these sources
// (peer index = position), their bitfields known.
func newTestTable(n int, holders ...holding) *chunkTable {
	t := &chunkTable{}
	for _, h := range holders {
		t.addHolder(h.complete)
	}
	t.reset(n)
	for i := range n {
		t.order[i], t.rank[i] = int32(i), int32(i)
	}
	for i, h := range holders {
		if h.have != nil {
			t.setHave(i, h.have)
		}
	}
	return t
}

// setOrder replaces the table's random order.
func (t *chunkTable) setOrder(order ...int) {
	for r, c := range order {
		t.order[r], t.rank[c] = int32(c), int32(r)
	}
	t.cursor = 0
	t.advanceLocked()
}

// setInFlight marks chunks asked of src (again, for one in flight).
func (t *chunkTable) setInFlight(src int, chunks ...int) {
	for _, c := range chunks {
		if t.queuedLocked(c) {
			t.queued--
			t.setCellLocked(c, MakeCell(ChunkInFlight, src))
		}
		t.inflight[c]++
	}
	t.advanceLocked()
}

func (t *chunkTable) setDone(chunks ...int) {
	for _, c := range chunks {
		t.found(c, 1)
	}
}

// TestNext: the scheduling decision as a pure function of the table and
// the asking source.
func TestNext(t *testing.T) {
	const n = 6
	seed := holding{complete: true}
	cases := []struct {
		name    string
		holders []holding
		setup   func(*chunkTable)
		src     int
		pending []int
		want    int
		wantDup bool
	}{
		{
			name:    "complete holder, no partial holder known: the table's order",
			holders: []holding{seed},
			setup:   func(t *chunkTable) { t.setOrder(4, 1, 5, 0, 2, 3); t.setDone(4); t.setInFlight(0, 1) },
			want:    5,
		},
		{
			name:    "complete holder: the chunk no partial holder has",
			holders: []holding{seed, {have: bits(n, 0, 1, 2, 3)}, {have: bits(n, 1, 2, 3, 5)}},
			want:    4,
		},
		{
			name:    "complete holder: the first in order of those no partial holder has",
			holders: []holding{seed, {have: bits(n, 0, 1, 2)}},
			setup:   func(t *chunkTable) { t.setOrder(1, 5, 0, 3, 4, 2) },
			want:    5,
		},
		{
			name:    "complete holder: never a chunk a partial holder can give",
			holders: []holding{seed, {have: bits(n, 0, 1, 2)}, {have: bits(n, 3, 4, 5)}},
			want:    -1,
		},
		{
			name:    "complete holder: this download's share first",
			holders: []holding{seed},
			setup:   func(t *chunkTable) { t.setOrder(0, 2, 4, 1, 3, 5); t.setShare(1, 2) },
			want:    1,
		},
		{
			name:    "complete holder: another's share once this one's is taken",
			holders: []holding{seed, {have: bits(n, 5)}},
			setup: func(t *chunkTable) {
				t.setOrder(0, 2, 4, 1, 3, 5)
				t.setShare(1, 3) // 1 and 4; 4 is done, 1 in flight
				t.setDone(4)
				t.setInFlight(0, 1)
			},
			want: 0,
		},
		{
			name:    "partial holder: shares do not matter",
			holders: []holding{{have: bits(n, 0, 1, 2, 3, 4, 5)}},
			setup:   func(t *chunkTable) { t.setShare(1, 2) },
			want:    0,
		},
		{
			name:    "partial holder: the first in order among equally rare",
			holders: []holding{{have: bits(n, 0, 1, 2, 3, 4, 5)}},
			setup:   func(t *chunkTable) { t.setOrder(3, 0, 1, 2, 4, 5) },
			want:    3,
		},
		{
			name:    "partial holder: rarest first",
			holders: []holding{seed, {have: bits(n, 1, 2, 3)}, {have: bits(n, 1, 3, 4)}},
			src:     2,
			want:    4, // 1 and 3 are held by both
		},
		{
			name:    "partial holder: rarest among what it has",
			holders: []holding{{have: bits(n, 0, 1)}, {have: bits(n, 0, 1, 2)}, {have: bits(n, 1, 2)}},
			src:     1,
			want:    0, // 0 and 2 by two holders, 1 by three: the first of the rarest
		},
		{
			name:    "failed chunk is queued again",
			holders: []holding{seed},
			setup: func(t *chunkTable) {
				t.setDone(0, 1)
				t.setInFlight(0, 2, 3)
				t.release(2, true)
			},
			want: 2,
		},
		{
			name:    "nothing queued that the holder has",
			holders: []holding{seed, {have: bits(n, 0, 1)}},
			setup:   func(t *chunkTable) { t.setDone(0); t.setInFlight(0, 1) },
			src:     1,
			want:    -1,
		},
		{
			name:    "partial holder not asked HAVE yet",
			holders: []holding{seed, {}},
			src:     1,
			want:    -1,
		},
		{
			name:    "endgame: a chunk in flight elsewhere, least asked first",
			holders: []holding{seed, seed},
			setup: func(t *chunkTable) {
				t.setDone(0, 1, 2)
				t.setInFlight(0, 3, 4, 5)
				t.setInFlight(1, 3)
			},
			src:     1,
			pending: []int{3},
			want:    4,
			wantDup: true,
		},
		{
			name:    "endgame: never a chunk already asked of this source",
			holders: []holding{seed, {have: bits(n, 3, 4)}},
			setup: func(t *chunkTable) {
				t.setDone(0, 1, 2)
				t.setInFlight(0, 3, 5)
				t.setInFlight(1, 4)
			},
			src:     1,
			pending: []int{4},
			want:    3,
			wantDup: true,
		},
		{
			name:    "endgame: the first in order among the least asked",
			holders: []holding{seed, seed},
			setup: func(t *chunkTable) {
				t.setOrder(2, 5, 4, 0, 1, 3)
				t.setDone(0, 1, 2)
				t.setInFlight(0, 3, 4, 5)
			},
			src:     1,
			want:    5,
			wantDup: true,
		},
		{
			name:    "endgame: at most maxDuplicates requests for a chunk",
			holders: []holding{seed, seed, seed},
			setup: func(t *chunkTable) {
				t.setDone(0, 1, 2, 3, 4)
				t.setInFlight(0, 5)
				t.setInFlight(1, 5)
			},
			src:  2,
			want: -1,
		},
		{
			name:    "endgame: not a chunk already verified and being written",
			holders: []holding{seed, seed},
			setup: func(t *chunkTable) {
				t.setDone(0, 1, 2, 3, 4)
				t.setInFlight(0, 5)
				t.writing[5] = true
			},
			src:  1,
			want: -1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := newTestTable(n, c.holders...)
			if c.setup != nil {
				c.setup(tab)
			}
			before, version := tab.appendCells(nil)
			got, dup := tab.nextLocked(tab.holders[c.src], c.pending)
			if got != c.want || dup != c.wantDup {
				t.Fatalf("next = %d (dup %v), want %d (dup %v)", got, dup, c.want, c.wantDup)
			}
			if after, v := tab.appendCells(nil); v != version || string(cellBytes(after)) != string(cellBytes(before)) {
				t.Fatal("next changed the table")
			}
		})
	}
}

func cellBytes(cs []Cell) []byte {
	b := make([]byte, 0, 2*len(cs))
	for _, c := range cs {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// TestChunkLife follows chunks through pick, received, written,
// unwritten and release, with the cells and their version.
func TestChunkLife(t *testing.T) {
	tab := newTestTable(3, holding{complete: true}, holding{complete: true})
	_, v0 := tab.appendCells(nil)
	version := func() uint64 { _, v := tab.appendCells(nil); return v }
	cell := func(i int) Cell { cs, _ := tab.appendCells(nil); return cs[i] }

	pending, _ := tab.pick(0, nil, 2)
	if len(pending) != 2 || pending[0] != 0 || pending[1] != 1 {
		t.Fatalf("picked %v, want [0 1]", pending)
	}
	if cell(0) != MakeCell(ChunkInFlight, 0) || version() == v0 {
		t.Fatalf("cell 0 %#04x at version %d", uint16(cell(0)), version())
	}
	// Source 1 gets the last one; then the endgame duplicates 0.
	p1, _ := tab.pick(1, nil, 2)
	if len(p1) != 2 || p1[0] != 2 || p1[1] != 0 {
		t.Fatalf("source 1 picked %v, want [2 0]", p1)
	}

	// Chunk 0 arrives verified from source 1: writing, still shown in
	// flight from source 0, version unchanged.
	v := version()
	if !tab.received(0, 10, true) {
		t.Fatal("the first verified copy is not needed")
	}
	if cell(0) != MakeCell(ChunkInFlight, 0) || version() != v {
		t.Fatalf("writing changed the cell: %#04x", uint16(cell(0)))
	}
	// Source 0's copy is not needed any more.
	if tab.received(0, 10, true) {
		t.Fatal("a second copy is needed")
	}
	if first := tab.written(1, 0, 10); !first {
		t.Fatal("the first written chunk is not first")
	}
	if cell(0) != MakeCell(ChunkDone, 1) || version() == v {
		t.Fatalf("written chunk %#04x", uint16(cell(0)))
	}

	// Chunk 1 fails verification: failed, queued, picked again.
	tab.received(1, 10, false)
	if cell(1).State() != ChunkFailed {
		t.Fatalf("bad chunk %#04x", uint16(cell(1)))
	}
	if again, _ := tab.pick(1, nil, 1); len(again) != 1 || again[0] != 1 {
		t.Fatalf("picked %v after a bad chunk, want [1]", again)
	}

	// Chunk 2's write fails: failed and queued again.
	tab.received(2, 10, true)
	tab.unwritten(2)
	if cell(2) != MakeCell(ChunkFailed, 1) || tab.queued != 1 {
		t.Fatalf("unwritten chunk %#04x, %d queued", uint16(cell(2)), tab.queued)
	}

	// A connection ends: its chunks go back, its bitfield is forgotten.
	tab.disconnected(1, []int{1}, true)
	if cell(1).State() != ChunkFailed || tab.queued != 2 {
		t.Fatalf("released chunk %#04x, %d queued", uint16(cell(1)), tab.queued)
	}
	c := tab.counts()
	if c.done != 10 || c.fetched != 40 {
		t.Fatalf("done %d fetched %d, want 10 and 40", c.done, c.fetched)
	}
	select {
	case <-tab.finished():
		t.Fatal("finished with chunks missing")
	default:
	}
}

func TestShareOf(t *testing.T) {
	self := func(addr string) bool { return addr == "10.0.0.5:7000" }
	peer := func(addr string, complete bool) wire.ResultPeer {
		return wire.ResultPeer{Addr: addr, Complete: complete}
	}
	cases := []struct {
		name          string
		holders       []wire.ResultPeer
		share, shares int
	}{
		{"not listed", []wire.ResultPeer{peer("10.0.0.1:7000", false), peer("10.0.0.2:7000", false)}, 0, 0},
		{"listed alone", []wire.ResultPeer{peer("10.0.0.5:7000", false), peer("10.0.0.9:7000", true)}, 0, 0},
		{"in address order", []wire.ResultPeer{peer("10.0.0.7:7000", false), peer("10.0.0.5:7000", false), peer("10.0.0.1:7000", false)}, 1, 3},
		{"complete holders take no share", []wire.ResultPeer{peer("10.0.0.1:7000", true), peer("10.0.0.5:7000", false), peer("10.0.0.6:7000", false)}, 0, 2},
		{"listed complete: done, no share", []wire.ResultPeer{peer("10.0.0.5:7000", true), peer("10.0.0.6:7000", false), peer("10.0.0.7:7000", false)}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if share, shares := shareOf(c.holders, self); share != c.share || shares != c.shares {
				t.Fatalf("share %d of %d, want %d of %d", share, shares, c.share, c.shares)
			}
		})
	}
}
