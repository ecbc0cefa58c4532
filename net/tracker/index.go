package tracker

import (
	"encoding/hex"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/enxame/enxame/net/wire"
)

// The search index. One entry per (id, name) pair, with the set of peers
// holding it. Entries live in a slab addressed by slot number; four
// structures point into it:
//
//   - byID: hash of the content id → a chain of slots (exact id queries),
//   - byKey: hash of (id, name) → a chain of slots (finding an entry),
//   - byBase: hash of the folded last path element → a chain of slots
//     (exact-name matches are ranked first, so `get NAME` finds its file
//     even when the answer is truncated; a hash collision only lengthens a
//     chain, every member is compared),
//   - grams: every distinct 3-byte substring (trigram) of the folded name
//     (fold: lower-cased, accents dropped) → the slots whose name contains
//     it. A query with a word of three or more bytes walks only the
//     shortest posting list among its words' trigrams and verifies each
//     candidate, so a selective query touches few entries whatever the size
//     of the index.
//
// Posting lists are not edited in place on removal (that would cost a scan
// of a long list per trigram). A removed entry's slot is marked dead and
// stays referenced by its postings; a list is compacted when its dead
// postings outnumber its live ones, and dropped when it has no live posting
// left. A slot is reused only when no posting refers to it any more
// (entry.refs == 0), so a list never holds one slot twice and a candidate is
// never a stale entry in disguise. Total postings stay under twice the live
// ones plus a constant per list.
//
// The slab is paged (no copy of the whole slab when it grows) and the maps
// and chains hold plain numbers, so the garbage collector does not scan
// them.

type holder struct {
	p        *peer
	complete bool
}

type entry struct {
	id               [32]byte
	name             string
	folded           string // fold(name); shares name's bytes when equal
	size             int64
	holders          []holder
	hosts            int32 // distinct IPs among holders
	refs             int32 // postings that name this slot, live or dead
	id1, base1, key1 link  // chains: same id, same base hash, same key hash
	live             bool
}

const (
	noSlot   = ^uint32(0)
	pageBits = 12
	pageSize = 1 << pageBits
)

func (e *entry) base() string { return baseName(e.folded) }

type posting struct {
	slots []uint32
	live  int32
}

type index struct {
	pages   [][]entry // slot s is pages[s>>pageBits][s&(pageSize-1)]
	nSlots  uint32    // slots ever handed out
	free    []uint32
	byID    map[uint64]uint32 // first slot of the chain
	byBase  map[uint64]uint32 // first slot of the chain
	byKey   map[uint64]uint32 // hash of (id, name): first slot of the chain
	seed    maphash.Seed
	grams   map[uint32]*posting
	live    int // live entries
	holders int // (peer, entry) pairs
}

func newIndex() *index {
	return &index{
		byID:   make(map[uint64]uint32),
		byBase: make(map[uint64]uint32),
		byKey:  make(map[uint64]uint32),
		seed:   maphash.MakeSeed(),
		grams:  make(map[uint32]*posting),
	}
}

func (ix *index) at(s uint32) *entry { return &ix.pages[s>>pageBits][s&(pageSize-1)] }

func (ix *index) baseKey(base string) uint64 { return maphash.String(ix.seed, base) }

// link is a slot's place in a doubly linked chain of slots sharing a map
// key, so that removing a slot costs the same however long its chain is
// (a peer may announce thousands of files under one name or one id).
type link struct{ prev, next uint32 }

// chainRemove unlinks slot from the chain of key in m; at selects the link.
func chainRemove[K comparable](ix *index, m map[K]uint32, key K, slot uint32, at func(*entry) *link) {
	l := at(ix.at(slot))
	if l.prev == noSlot {
		if l.next == noSlot {
			delete(m, key)
		} else {
			m[key] = l.next
		}
	} else {
		at(ix.at(l.prev)).next = l.next
	}
	if l.next != noSlot {
		at(ix.at(l.next)).prev = l.prev
	}
	*l = link{noSlot, noSlot}
}

// chainPush puts slot at the head of the chain of key in m.
func chainPush[K comparable](ix *index, m map[K]uint32, key K, slot uint32, at func(*entry) *link) {
	l := at(ix.at(slot))
	*l = link{noSlot, noSlot}
	if head, ok := m[key]; ok {
		l.next = head
		at(ix.at(head)).prev = slot
	}
	m[key] = slot
}

func idLink(e *entry) *link   { return &e.id1 }
func baseLink(e *entry) *link { return &e.base1 }
func keyLink(e *entry) *link  { return &e.key1 }

// idKey hashes a content id for byID (ids are chosen by peers: they are
// hashed with the index's secret seed like everything else).
func (ix *index) idKey(id *[32]byte) uint64 { return maphash.Bytes(ix.seed, id[:]) }

// keyOf hashes an (id, name) pair for byKey.
func (ix *index) keyOf(id *[32]byte, name string) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.Write(id[:])
	h.WriteString(name)
	return h.Sum64()
}

// fileKey is a file entry made ready for the index outside the lock.
type fileKey struct {
	id       [32]byte
	name     string
	folded   string
	size     int64
	complete bool
	grams    []uint32
}

type nameKey struct {
	id   [32]byte
	name string
}

// fileCost estimates the memory one indexed file may cost, to bound the
// index in bytes as well as in files: the entry and its map and chain
// slots, the name (twice when folding changes it) and one 4-byte
// posting per byte of name with list slack. It is charged per holder, so a
// file many peers share is over-counted: a bound, not a measure.
func fileCost(name string) int64 { return 256 + 8*int64(len(name)) }

// prepareFiles decodes ids, folds names, computes trigrams and drops
// duplicate (id, name) pairs (a file counted once, complete if any copy is).
// Entries must have been validated (wire.ParseRequest does).
func prepareFiles(files []wire.FileEntry) []fileKey {
	keys := make([]fileKey, 0, len(files))
	seen := make(map[nameKey]int, len(files))
	for _, f := range files {
		var k fileKey
		if _, err := hex.Decode(k.id[:], []byte(f.ID)); err != nil || len(f.ID) != 64 {
			continue // not reachable after validation
		}
		sk := nameKey{k.id, f.Name}
		if i, dup := seen[sk]; dup {
			keys[i].complete = keys[i].complete || f.Complete
			continue
		}
		seen[sk] = len(keys)
		k.name = f.Name
		k.folded = fold(f.Name)
		k.size = f.Size
		k.complete = f.Complete
		k.grams = trigrams(k.folded, nil)
		keys = append(keys, k)
	}
	return keys
}

// trigrams appends the distinct trigrams of s+"\x00", sorted, to dst. The
// final NUL (never in a name) lets a two-byte query find the names that end
// with it.
func trigrams(s string, dst []uint32) []uint32 {
	start := len(dst)
	for i := 0; i+3 <= len(s); i++ {
		dst = append(dst, gram(s, i))
	}
	if n := len(s); n >= 2 {
		dst = append(dst, uint32(s[n-2])<<16|uint32(s[n-1])<<8)
	}
	g := dst[start:]
	slices.Sort(g)
	return append(dst[:start], slices.Compact(g)...)
}

func gram(s string, i int) uint32 {
	return uint32(s[i])<<16 | uint32(s[i+1])<<8 | uint32(s[i+2])
}

func baseName(folded string) string {
	if i := strings.LastIndexByte(folded, '/'); i >= 0 {
		return folded[i+1:]
	}
	return folded
}

// lookup returns the slot of the live entry (id, name), or false.
func (ix *index) lookup(id [32]byte, name string) (uint32, bool) {
	s, ok := ix.byKey[ix.keyOf(&id, name)]
	for ok && s != noSlot {
		e := ix.at(s)
		if e.id == id && e.name == name {
			return s, true
		}
		s = e.key1.next
	}
	return 0, false
}

// addHolder records that p holds k and returns the entry's slot.
func (ix *index) addHolder(p *peer, k *fileKey) uint32 {
	slot, ok := ix.lookup(k.id, k.name)
	if !ok {
		slot = ix.insert(k)
	}
	e := ix.at(slot)
	if !e.heldFrom(p.addr.Addr()) {
		e.hosts++
	}
	e.holders = append(e.holders, holder{p: p, complete: k.complete})
	ix.holders++
	return slot
}

// heldFrom reports whether a holder of e registered from ip. Like the
// other holder operations it walks the holders: lists are short but for
// the most popular files, where it is one pass of pointer loads.
func (e *entry) heldFrom(ip netip.Addr) bool {
	for i := range e.holders {
		if e.holders[i].p.addr.Addr() == ip {
			return true
		}
	}
	return false
}

// setComplete records whether p holds the entry at slot in full.
func (ix *index) setComplete(p *peer, slot uint32, complete bool) {
	e := ix.at(slot)
	for i := range e.holders {
		if e.holders[i].p == p {
			e.holders[i].complete = complete
			return
		}
	}
}

// removeHolder forgets that p holds the entry at slot, and the entry itself
// when p was its last holder.
func (ix *index) removeHolder(p *peer, slot uint32) {
	e := ix.at(slot)
	for i := range e.holders {
		if e.holders[i].p == p {
			last := len(e.holders) - 1
			e.holders[i] = e.holders[last]
			e.holders[last] = holder{}
			e.holders = e.holders[:last]
			ix.holders--
			if !e.heldFrom(p.addr.Addr()) {
				e.hosts--
			}
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
		if ix.nSlots%pageSize == 0 {
			ix.pages = append(ix.pages, make([]entry, pageSize))
		}
		slot = ix.nSlots
		ix.nSlots++
	}
	e := ix.at(slot)
	*e = entry{id: k.id, name: k.name, folded: k.folded, size: k.size, live: true, holders: make([]holder, 0, 1)}
	ix.live++
	chainPush(ix, ix.byID, ix.idKey(&k.id), slot, idLink)
	chainPush(ix, ix.byBase, ix.baseKey(e.base()), slot, baseLink)
	chainPush(ix, ix.byKey, ix.keyOf(&k.id, k.name), slot, keyLink)
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
	e := ix.at(slot)
	e.live = false
	e.holders = nil
	ix.live--
	chainRemove(ix, ix.byID, ix.idKey(&e.id), slot, idLink)
	chainRemove(ix, ix.byBase, ix.baseKey(e.base()), slot, baseLink)
	chainRemove(ix, ix.byKey, ix.keyOf(&e.id, e.name), slot, keyLink)
	if e.refs == 0 {
		// A one-byte name has no posting: nothing refers to it.
		ix.release(slot)
		return
	}
	// The slot is released by unref when its last posting goes, possibly
	// during this loop: e must not be used after it.
	var buf [64]uint32
	for _, g := range trigrams(e.folded, buf[:0]) {
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
		if ix.at(s).live {
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
	e := ix.at(slot)
	e.refs--
	if e.refs == 0 && !e.live {
		ix.release(slot)
	}
}

func (ix *index) release(slot uint32) {
	*ix.at(slot) = entry{}
	ix.free = append(ix.free, slot)
}

// search calls emit with the slot of each live entry matching the query,
// best matches first: the exact id, then names equal to q or whose last
// element equals q, then any name containing every one of words, in any
// order. q is the folded query, words its words (queryWords(q)). Each slot
// is emitted once. It stops when emit returns false. It returns false when
// it gave up before visiting every candidate (see maxScan).
func (ix *index) search(q string, words []string, emit func(slot uint32) bool) bool {
	var firsts []uint32 // slots already emitted by the exact phases
	if len(q) == 64 {
		var id [32]byte
		if _, err := hex.Decode(id[:], []byte(q)); err == nil {
			for s, ok := ix.byID[ix.idKey(&id)]; ok && s != noSlot; s = ix.at(s).id1.next {
				if ix.at(s).id != id {
					continue // another id with the same hash
				}
				firsts = append(firsts, s)
				if !emit(s) {
					return true
				}
			}
		}
	}
	if q != "" {
		for s, ok := ix.byBase[ix.baseKey(baseName(q))]; ok && s != noSlot; s = ix.at(s).base1.next {
			e := ix.at(s)
			if (e.folded == q || e.base() == q) && !slices.Contains(firsts, s) {
				firsts = append(firsts, s)
				if !emit(s) {
					return true
				}
			}
		}
	}
	matched := 0 // names verified to contain every word
	visit := func(s uint32) bool {
		e := ix.at(s)
		if !e.live || !containsAll(e.folded, words) {
			return true
		}
		matched++
		if len(firsts) > 0 && slices.Contains(firsts, s) {
			return true
		}
		return emit(s)
	}
	longest := ""
	for _, w := range words {
		if len(w) > len(longest) {
			longest = w
		}
	}
	switch {
	case len(longest) >= 3:
		lists := ix.postings(words)
		if len(lists) == 0 {
			return true
		}
		// Verify the head of the shortest list directly: a common query
		// fills its answer from there. What remains is narrowed first.
		first := lists[0].slots
		head := first[:min(len(first), directVerify)]
		for _, s := range head {
			if !visit(s) {
				return true
			}
		}
		if len(head) == len(first) {
			return true
		}
		rest := first[len(head):]
		if matched*4 < len(head) {
			// Few candidates match: narrow the rest before verifying it.
			rest = ix.intersect(rest, lists[1:])
		}
		for _, s := range rest {
			if !visit(s) {
				return true
			}
		}
	case len(longest) == 2:
		// Names containing a two-byte word hold a trigram starting with it
		// (the NUL sentinel covers the word at the end). A name may be in
		// several of these lists: visited slots are remembered.
		seen := map[uint32]bool{}
		for c := 0; c < 256; c++ {
			p := ix.grams[uint32(longest[0])<<16|uint32(longest[1])<<8|uint32(c)]
			if p == nil {
				continue
			}
			for _, s := range p.slots {
				if seen[s] {
					continue
				}
				seen[s] = true
				if !visit(s) {
					return true
				}
			}
		}
	default:
		// The empty query and single bytes: most names match, so a scan
		// stops early. A rare byte would scan the whole slab: the scan is
		// capped and the answer then marked incomplete.
		for s := range ix.nSlots {
			if s == maxScan {
				return false
			}
			if !visit(s) {
				return true
			}
		}
	}
	return true
}

// containsAll reports whether name contains every word.
func containsAll(name string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// maxScan caps the entries a one-byte query visits.
const maxScan = 1 << 18

// Intersection tuning: the first directVerify postings of the shortest
// list are verified as they are. When under a quarter of them matched, the
// rest is intersected with the next shortest lists, while those are at
// most intersectRatio times longer than
// the candidates left (reading a posting costs far less than verifying a
// candidate, which touches its name), reading at most intersectBudget
// postings in all.
const (
	directVerify    = 32
	intersectRatio  = 16
	intersectBudget = 1 << 20
)

var bitsetPool sync.Pool

// postings returns the distinct posting lists of the trigrams of the words
// of three or more bytes, shortest first, or nil when some trigram is in no
// name.
func (ix *index) postings(words []string) []*posting {
	var lists []*posting
	for _, w := range words {
		for i := 0; i+3 <= len(w); i++ {
			p := ix.grams[gram(w, i)]
			if p == nil {
				return nil
			}
			if !slices.Contains(lists, p) {
				lists = append(lists, p)
			}
		}
	}
	slices.SortFunc(lists, func(a, b *posting) int { return len(a.slots) - len(b.slots) })
	return lists
}

// intersect narrows cand to the slots also present in the given posting
// lists (shortest first), through a bitset over slots. Each slot appears
// once in the result, as in cand.
func (ix *index) intersect(cand []uint32, lists []*posting) []uint32 {
	var bits []uint64
	budget := intersectBudget
	for _, p := range lists {
		if len(cand) <= 64 || len(p.slots) > intersectRatio*len(cand) || len(p.slots) > budget {
			break
		}
		budget -= len(p.slots)
		if bits == nil {
			words := (int(ix.nSlots) + 63) / 64
			bp, _ := bitsetPool.Get().(*[]uint64)
			if bp == nil || len(*bp) < words {
				bp = new([]uint64)
				*bp = make([]uint64, words)
			}
			defer bitsetPool.Put(bp)
			bits = *bp
		}
		for _, s := range cand {
			bits[s>>6] |= 1 << (s & 63)
		}
		next := make([]uint32, 0, min(len(cand), len(p.slots), 1024))
		for _, s := range p.slots {
			if bits[s>>6]&(1<<(s&63)) != 0 {
				next = append(next, s)
			}
		}
		for _, s := range cand {
			bits[s>>6] = 0
		}
		cand = next
	}
	return cand
}
