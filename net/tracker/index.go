package tracker

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/enxame/enxame/net/wire"
)

// The search index. One entry per (id, name) pair, with the set of peers
// holding it. Entries live in a slab addressed by slot number; three
// structures point into it:
//
//   - byID: content id → slots (exact id queries, and finding an entry by
//     its key),
//   - byBase: lower-cased last path element → slots (exact-name matches are
//     ranked first, so `get NAME` finds its file even when the answer is
//     truncated),
//   - grams: every distinct 3-byte substring (trigram) of the lower-cased
//     name → the slots whose name contains it. A substring query of three or
//     more bytes walks only the shortest posting list among its trigrams and
//     verifies each candidate, so a selective query touches few entries
//     whatever the size of the index.
//
// Posting lists are not edited in place on removal (that would cost a scan
// of a long list per trigram). A removed entry's slot is marked dead and
// stays referenced by its postings; a list is compacted when its dead
// postings outnumber its live ones, and dropped when it has no live posting
// left. A slot is reused only when no posting refers to it any more
// (entry.refs == 0), so a list never holds one slot twice and a candidate is
// never a stale entry in disguise. Total postings stay under twice the live
// ones plus a constant per list.

type holder struct {
	p        *peer
	complete bool
}

type entry struct {
	id      [32]byte
	name    string
	lower   string // strings.ToLower(name); shares name's bytes when equal
	size    int64
	holders []holder
	refs    int32 // postings that name this slot, live or dead
	live    bool
}

func (e *entry) base() string { return baseName(e.lower) }

type posting struct {
	slots []uint32
	live  int32
}

type index struct {
	entries []entry
	free    []uint32
	byID    map[[32]byte][]uint32
	byBase  map[string][]uint32
	grams   map[uint32]*posting
	live    int // live entries
	holders int // (peer, entry) pairs
}

func newIndex() *index {
	return &index{
		byID:   make(map[[32]byte][]uint32),
		byBase: make(map[string][]uint32),
		grams:  make(map[uint32]*posting),
	}
}

// fileKey is a file entry made ready for the index outside the lock.
type fileKey struct {
	id       [32]byte
	name     string
	lower    string
	size     int64
	complete bool
	grams    []uint32
}

// prepareFiles decodes ids, lower-cases names, computes trigrams and drops
// duplicate (id, name) pairs (a file counted once, complete if any copy is).
// Entries must have been validated (wire.ParseRequest does).
func prepareFiles(files []wire.FileEntry) []fileKey {
	keys := make([]fileKey, 0, len(files))
	seen := make(map[struct {
		id   [32]byte
		name string
	}]int, len(files))
	for _, f := range files {
		var k fileKey
		if _, err := hex.Decode(k.id[:], []byte(f.ID)); err != nil || len(f.ID) != 64 {
			continue // not reachable after validation
		}
		sk := struct {
			id   [32]byte
			name string
		}{k.id, f.Name}
		if i, dup := seen[sk]; dup {
			keys[i].complete = keys[i].complete || f.Complete
			continue
		}
		seen[sk] = len(keys)
		k.name = f.Name
		k.lower = strings.ToLower(f.Name)
		k.size = f.Size
		k.complete = f.Complete
		k.grams = trigrams(k.lower, nil)
		keys = append(keys, k)
	}
	return keys
}

// trigrams appends the distinct trigrams of s, sorted, to dst.
func trigrams(s string, dst []uint32) []uint32 {
	start := len(dst)
	for i := 0; i+3 <= len(s); i++ {
		dst = append(dst, gram(s, i))
	}
	g := dst[start:]
	slices.Sort(g)
	return append(dst[:start], slices.Compact(g)...)
}

func gram(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

func baseName(lower string) string {
	if i := strings.LastIndexByte(lower, '/'); i >= 0 {
		return lower[i+1:]
	}
	return lower
}

// lookup returns the slot of the live entry (id, name), or false.
func (ix *index) lookup(id [32]byte, name string) (uint32, bool) {
	for _, s := range ix.byID[id] {
		if ix.entries[s].name == name {
			return s, true
		}
	}
	return 0, false
}

// addHolder records that p holds k and returns the entry's slot.
func (ix *index) addHolder(p *peer, k *fileKey) uint32 {
	slot, ok := ix.lookup(k.id, k.name)
	if !ok {
		slot = ix.insert(k)
	}
	e := &ix.entries[slot]
	e.holders = append(e.holders, holder{p: p, complete: k.complete})
	ix.holders++
	return slot
}

// removeHolder forgets that p holds the entry at slot, and the entry itself
// when p was its last holder.
func (ix *index) removeHolder(p *peer, slot uint32) {
	e := &ix.entries[slot]
	for i := range e.holders {
		if e.holders[i].p == p {
			last := len(e.holders) - 1
			e.holders[i] = e.holders[last]
			e.holders[last] = holder{}
			e.holders = e.holders[:last]
			ix.holders--
			break
		}
	}
	if len(e.holders) == 0 {
		ix.remove(slot)
	}
}

func (ix *index) insert(k *fileKey) uint32 {
	var slot uint32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
	} else {
		ix.entries = append(ix.entries, entry{})
		slot = uint32(len(ix.entries) - 1)
	}
	e := &ix.entries[slot]
	*e = entry{id: k.id, name: k.name, lower: k.lower, size: k.size, live: true, holders: make([]holder, 0, 1)}
	ix.live++
	ix.byID[k.id] = append(ix.byID[k.id], slot)
	b := e.base()
	ix.byBase[b] = append(ix.byBase[b], slot)
	for _, g := range k.grams {
		p := ix.grams[g]
		if p == nil {
			p = &posting{}
			ix.grams[g] = p
		}
		p.slots = append(p.slots, slot)
		p.live++
		e.refs++
		if len(p.slots) > 2*int(p.live)+8 {
			ix.compact(p)
		}
	}
	return slot
}

func (ix *index) remove(slot uint32) {
	e := &ix.entries[slot]
	e.live = false
	e.holders = nil
	ix.live--
	ix.byID[e.id] = removeSlot(ix.byID[e.id], slot)
	if len(ix.byID[e.id]) == 0 {
		delete(ix.byID, e.id)
	}
	b := e.base()
	ix.byBase[b] = removeSlot(ix.byBase[b], slot)
	if len(ix.byBase[b]) == 0 {
		delete(ix.byBase, b)
	}
	if e.refs == 0 {
		// A name under three bytes has no posting: nothing refers to it.
		ix.release(slot)
		return
	}
	// The slot is released by unref when its last posting goes, possibly
	// during this loop: e must not be used after it.
	var buf [64]uint32
	for _, g := range trigrams(e.lower, buf[:0]) {
		p := ix.grams[g]
		p.live--
		switch {
		case p.live == 0:
			for _, s := range p.slots {
				ix.unref(s)
			}
			delete(ix.grams, g)
		case len(p.slots) > 2*int(p.live)+8:
			ix.compact(p)
		}
	}
}

// compact drops the dead slots of a posting list.
func (ix *index) compact(p *posting) {
	out := p.slots[:0]
	for _, s := range p.slots {
		if ix.entries[s].live {
			out = append(out, s)
		} else {
			ix.unref(s)
		}
	}
	clear(p.slots[len(out):])
	p.slots = out
	if cap(p.slots) > 4*len(p.slots)+16 {
		p.slots = slices.Clip(slices.Clone(p.slots))
	}
}

// unref drops one dead posting of slot and frees the slot when it was the
// last one.
func (ix *index) unref(slot uint32) {
	e := &ix.entries[slot]
	e.refs--
	if e.refs == 0 && !e.live {
		ix.release(slot)
	}
}

func (ix *index) release(slot uint32) {
	ix.entries[slot] = entry{}
	ix.free = append(ix.free, slot)
}

func removeSlot(s []uint32, slot uint32) []uint32 {
	for i, v := range s {
		if v == slot {
			s[i] = s[len(s)-1]
			return s[:len(s)-1]
		}
	}
	return s
}

// search calls emit with the slot of each live entry matching q (already
// lower-cased), best matches first: the exact id, then names equal to q or
// whose last element equals q, then any name containing q. Each slot is
// emitted once. It stops when emit returns false.
func (ix *index) search(q string, emit func(slot uint32) bool) {
	var firsts []uint32 // slots already emitted by the exact phases
	if len(q) == 64 {
		var id [32]byte
		if _, err := hex.Decode(id[:], []byte(q)); err == nil {
			for _, s := range ix.byID[id] {
				firsts = append(firsts, s)
				if !emit(s) {
					return
				}
			}
		}
	}
	if q != "" {
		for _, s := range ix.byBase[baseName(q)] {
			e := &ix.entries[s]
			if (e.lower == q || e.base() == q) && !slices.Contains(firsts, s) {
				firsts = append(firsts, s)
				if !emit(s) {
					return
				}
			}
		}
	}
	visit := func(s uint32) bool {
		e := &ix.entries[s]
		if !e.live || !strings.Contains(e.lower, q) {
			return true
		}
		if len(firsts) > 0 && slices.Contains(firsts, s) {
			return true
		}
		return emit(s)
	}
	if len(q) < 3 {
		for s := range ix.entries {
			if !visit(uint32(s)) {
				return
			}
		}
		return
	}
	var best *posting
	for i := 0; i+3 <= len(q); i++ {
		p := ix.grams[gram(q, i)]
		if p == nil {
			return // some trigram of q is in no name
		}
		if best == nil || len(p.slots) < len(best.slots) {
			best = p
		}
	}
	for _, s := range best.slots {
		if !visit(s) {
			return
		}
	}
}
