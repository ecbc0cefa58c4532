package tracker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/enxame/enxame/net/wire"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func testID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func file(name string, content string) wire.FileEntry {
	return wire.FileEntry{Name: name, Size: int64(len(content)), ID: testID(content), Complete: true}
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

var (
	t0         = time.Now()
	remoteView = ViewFor(netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("192.0.2.1"))
	localView  = ViewFor(netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"))
)

func mustRegister(t testing.TB, r *Registry, addr string, files ...wire.FileEntry) string {
	t.Helper()
	tok, _, err := r.Register(ap(addr), files, t0)
	if err != nil {
		t.Fatalf("Register(%s): %v", addr, err)
	}
	return tok
}

func TestRegisterTokens(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	tok, addr, err := r.Register(ap("[::ffff:10.0.0.1]:9000"), nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if addr != "10.0.0.1:9000" {
		t.Errorf("recorded addr = %q, want the unmapped 10.0.0.1:9000", addr)
	}
	if len(tok) != 32 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Errorf("token %q is not 128-bit hex", tok)
	}
	tok2 := mustRegister(t, r, "10.0.0.2:9000")
	if tok == tok2 {
		t.Error("two registrations got the same token")
	}
	for _, op := range []func(string) error{
		func(tk string) error { return r.Heartbeat(tk, t0) },
		func(tk string) error { return r.Update(tk, nil, t0) },
		func(tk string) error { return r.Unregister(tk, t0) },
	} {
		if err := op("nope"); !errors.Is(err, wire.ErrUnknownPeer) {
			t.Errorf("unknown token: err = %v, want unknown_peer", err)
		}
	}
	if err := r.Heartbeat(tok, t0); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	if err := r.Unregister(tok, t0); err != nil {
		t.Errorf("Unregister: %v", err)
	}
	if err := r.Heartbeat(tok, t0); !errors.Is(err, wire.ErrUnknownPeer) {
		t.Errorf("heartbeat after unregister: %v, want unknown_peer", err)
	}
	if s := r.Snapshot(); s.Peers != 1 || s.Joins != 2 || s.Leaves != 1 {
		t.Errorf("snapshot = %+v", s)
	}
}

func TestReplacement(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	old := mustRegister(t, r, "10.0.0.1:9000", file("a.txt", "a"), file("b.txt", "b"))
	other := mustRegister(t, r, "10.0.0.1:9001", file("a.txt", "a"))
	tok := mustRegister(t, r, "10.0.0.1:9000", file("c.txt", "c"))
	if err := r.Heartbeat(old, t0); !errors.Is(err, wire.ErrUnknownPeer) {
		t.Errorf("replaced token still works: %v", err)
	}
	for _, tk := range []string{tok, other} {
		if err := r.Heartbeat(tk, t0); err != nil {
			t.Errorf("Heartbeat: %v", err)
		}
	}
	if got := searchNames(r, "b.txt"); len(got) != 0 {
		t.Errorf("replaced peer's file still found: %v", got)
	}
	res := r.Search("a.txt", remoteView).Results
	if len(res) != 1 || len(res[0].Peers) != 1 || res[0].Peers[0].Addr != "10.0.0.1:9001" {
		t.Errorf("a.txt holders after replacement = %+v", res)
	}
	if l := r.List(remoteView, t0); len(l.Peers) != 2 {
		t.Errorf("list = %+v, want 2 peers", l)
	}
	if s := r.Snapshot(); s.Files != 2 || s.Entries != 2 {
		t.Errorf("snapshot = %+v, want 2 files in 2 entries", s)
	}
}

func TestExpiry(t *testing.T) {
	r := NewRegistry(RegistryConfig{PeerTimeout: 10 * time.Second})
	quiet := mustRegister(t, r, "10.0.0.1:1", file("q.txt", "q"))
	beating := mustRegister(t, r, "10.0.0.2:1", file("b.txt", "b"))
	updating := mustRegister(t, r, "10.0.0.3:1", file("u.txt", "u"))
	for i := 1; i <= 3; i++ {
		now := t0.Add(time.Duration(i) * 4 * time.Second)
		if err := r.Heartbeat(beating, now); err != nil {
			t.Fatal(err)
		}
		if err := r.Update(updating, []wire.FileEntry{file("u.txt", "u")}, now); err != nil {
			t.Fatal(err)
		}
		if got := r.List(remoteView, now).Peers; i == 2 && len(got) != 3 {
			t.Errorf("at %ds: %d peers listed, want 3 (last_seen shows silence, not expiry)", 4*i, len(got))
		}
		n := r.Expire(now)
		if want := map[int]int{1: 0, 2: 0, 3: 1}[i]; n != want {
			t.Errorf("Expire at %ds = %d, want %d", 4*i, n, want)
		}
	}
	if err := r.Heartbeat(quiet, t0.Add(12*time.Second)); !errors.Is(err, wire.ErrUnknownPeer) {
		t.Errorf("expired peer's heartbeat = %v, want unknown_peer", err)
	}
	if got := searchNames(r, "q.txt"); len(got) != 0 {
		t.Errorf("expired peer's file still found")
	}
	if s := r.Snapshot(); s.Peers != 2 || s.Expired != 1 || s.Events[len(s.Events)-1].Kind != EventExpired {
		t.Errorf("snapshot = %+v", s)
	}
	l := r.List(remoteView, t0.Add(14*time.Second))
	for _, p := range l.Peers {
		if p.LastSeenS != 2 {
			t.Errorf("peer %s last_seen_s = %d, want 2", p.Addr, p.LastSeenS)
		}
	}
}

func searchNames(r *Registry, q string) []string {
	var names []string
	for _, res := range r.Search(q, remoteView).Results {
		names = append(names, res.Name)
	}
	return names
}

func TestSearch(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	mustRegister(t, r, "10.0.0.1:1",
		file("Music/Song.MP3", "song"),
		file("docs/song-notes.txt", "notes"),
		file("a/b/readme.md", "r1"),
		file("readme.md", "r2"),
		file("xreadme.md", "r3"),
		file("Ünïcode Ä.txt", "u"),
		file("ab", "short"),
	)
	mustRegister(t, r, "10.0.0.2:1",
		file("Music/Song.MP3", "song"),    // same file, same name: one result, two holders
		file("other/song.mp3", "song"),    // same file, other name: its own result
		file("Music/Song.MP3", "song v2"), // other file, same name: its own result
		wire.FileEntry{Name: "docs/song-notes.txt", Size: 5, ID: testID("notes"), Complete: false},
	)
	cases := []struct {
		q    string
		want []string // names, in order when ordered is set
	}{
		{"song", []string{"Music/Song.MP3", "Music/Song.MP3", "docs/song-notes.txt", "other/song.mp3"}},
		{"SONG.mp3", []string{"Music/Song.MP3", "Music/Song.MP3", "other/song.mp3"}},
		{"ä.t", []string{"Ünïcode Ä.txt"}},
		{"ab", []string{"ab"}},
		{"a", []string{"a/b/readme.md", "ab", "readme.md", "xreadme.md", "Ünïcode Ä.txt"}}, // Ä folds to a
		{"nothing here", nil},
		{testID("song"), []string{"Music/Song.MP3", "other/song.mp3"}},
		{strings.ToUpper(testID("song")), []string{"Music/Song.MP3", "other/song.mp3"}},
		{testID("song")[:10], nil},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			got := searchNames(r, c.q)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("search %q = %v, want %v", c.q, got, c.want)
			}
		})
	}
	// A query longer than any name matches nothing (and costs nothing).
	if got := searchNames(r, strings.Repeat("song", wire.MaxNameBytes)); len(got) != 0 {
		t.Errorf("over-long query found %v", got)
	}
	// Holders and completeness.
	for _, res := range r.Search("song-notes", remoteView).Results {
		if len(res.Peers) != 2 || !res.Peers[0].Complete || res.Peers[1].Complete {
			t.Errorf("song-notes holders = %+v, want the complete holder first then the partial one", res.Peers)
		}
	}
	// Exact names rank first: "readme.md" before "xreadme.md" for that query.
	got := searchNames(r, "README.md")
	if len(got) != 3 || got[2] != "xreadme.md" {
		t.Errorf("search README.md = %v, want the two exact matches then xreadme.md", got)
	}
	// Every result is complete: id, size.
	for _, res := range r.Search("", remoteView).Results {
		if !wire.ValidID(res.ID) || res.Size < 0 || len(res.Peers) == 0 {
			t.Errorf("bad result %+v", res)
		}
	}
}

func TestLoopbackView(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	mustRegister(t, r, "127.0.0.1:9000", file("a", "a"))
	mustRegister(t, r, "[::1]:9001", file("a", "a"))
	mustRegister(t, r, "10.0.0.5:9002", file("a", "a"))
	addrs := func(v View) []string {
		var out []string
		for _, p := range r.List(v, t0).Peers {
			out = append(out, p.Addr)
		}
		for _, p := range r.Search("a", v).Results[0].Peers {
			out = append(out, p.Addr)
		}
		slices.Sort(out)
		return out
	}
	if got, want := addrs(localView), []string{"10.0.0.5:9002", "10.0.0.5:9002", "127.0.0.1:9000", "127.0.0.1:9000", "[::1]:9001", "[::1]:9001"}; !slices.Equal(got, want) {
		t.Errorf("loopback asker sees %v, want %v", got, want)
	}
	want := []string{"10.0.0.5:9002", "10.0.0.5:9002", "192.0.2.1:9000", "192.0.2.1:9000", "192.0.2.1:9001", "192.0.2.1:9001"}
	if got := addrs(remoteView); !slices.Equal(got, want) {
		t.Errorf("remote asker sees %v, want %v (loopback replaced by the tracker's address)", got, want)
	}
	v6 := ViewFor(netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("2001:db8::1"))
	for _, a := range addrs(v6) {
		if strings.HasPrefix(a, "127.") || strings.HasPrefix(a, "[::1]") {
			t.Errorf("IPv6 remote asker handed loopback %s", a)
		}
	}
}

func TestBounds(t *testing.T) {
	// The per-IP quotas are as large as the global limits here: this test
	// is about the global ones (TestOneHostCannotFillIndex about the others).
	r := NewRegistry(RegistryConfig{MaxFilesPerPeer: 300, MaxPeers: 1100, MaxIndexedFiles: 500, MaxIndexedFilesPerIP: 500})
	cfg := r.Config()
	if cfg.MaxListPeers < 1000 || cfg.MaxSearchResults < 100 || cfg.MaxResultPeers < 50 {
		t.Fatalf("default bounds below the contract: %+v", cfg)
	}
	many := make([]wire.FileEntry, 250)
	for i := range many {
		many[i] = file(fmt.Sprintf("common/file %03d.bin", i), fmt.Sprint("c", i))
	}
	mustRegister(t, r, "10.0.0.1:1", many...)
	for i := 0; i < 1050; i++ {
		addr := fmt.Sprintf("10.1.%d.%d:7", i/250, i%250)
		if i < 150 {
			mustRegister(t, r, addr, file("popular.iso", "pop"))
		} else {
			mustRegister(t, r, addr)
		}
	}
	l := r.List(remoteView, t0)
	if len(l.Peers) != cfg.MaxListPeers || !l.Truncated {
		t.Errorf("list of 1051 peers: %d peers, truncated %v; want %d, true", len(l.Peers), l.Truncated, cfg.MaxListPeers)
	}
	s := r.Search("file", remoteView)
	if len(s.Results) != cfg.MaxSearchResults || !s.Truncated {
		t.Errorf("search of 250 matches: %d results, truncated %v", len(s.Results), s.Truncated)
	}
	if s := r.Search("", remoteView); len(s.Results) != cfg.MaxSearchResults || !s.Truncated {
		t.Errorf("empty query: %d results, truncated %v", len(s.Results), s.Truncated)
	}
	p := r.Search("popular", remoteView).Results
	if len(p) != 1 || len(p[0].Peers) != cfg.MaxResultPeers || !p[0].PeersTruncated {
		t.Errorf("150 holders: %d listed, truncated %v", len(p[0].Peers), p[0].PeersTruncated)
	}
	if f := r.Search("common/file 007", remoteView); len(f.Results) != 1 || f.Truncated {
		t.Errorf("selective query: %+v", f)
	}

	if _, _, err := r.Register(ap("10.9.0.1:1"), make([]wire.FileEntry, 301), t0); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("301 files: %v, want too_large", err)
	}
	for i := 0; i < 49; i++ {
		mustRegister(t, r, fmt.Sprintf("10.9.0.%d:1", i+1))
	}
	if _, _, err := r.Register(ap("10.9.1.1:1"), nil, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("peer 1101: %v, want limit", err)
	}
	mustRegister(t, r, "10.9.0.1:1") // replacing is not a new peer
	tok := mustRegister(t, r, "10.9.0.2:1")
	if err := r.Update(tok, many[:101], t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("indexed files over 500: %v, want limit", err)
	}
	if err := r.Update(tok, many[:100], t0); err != nil {
		t.Errorf("indexed files at 500: %v", err)
	}
}

// TestIndexChurn checks the index against a brute-force model through random
// registrations, updates and removals, and its internal invariants after.
func TestIndexChurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "Beta", "gamma", "déjà", "vu", "x", "song", "readme.md", "Ab", "zz top"}
	randFiles := func() []wire.FileEntry {
		n := rng.IntN(8)
		out := make([]wire.FileEntry, n)
		for i := range out {
			name := words[rng.IntN(len(words))]
			if rng.IntN(2) == 0 {
				name += "/" + words[rng.IntN(len(words))]
			}
			out[i] = file(name, fmt.Sprint(rng.IntN(6)))
			out[i].Complete = rng.IntN(3) > 0
		}
		return out
	}
	r := NewRegistry(RegistryConfig{MaxSearchResults: 10000, MaxResultPeers: 10000})
	model := map[string][]wire.FileEntry{} // token → files
	var tokens []string
	for step := 0; step < 3000; step++ {
		switch op := rng.IntN(10); {
		case op < 4 || len(tokens) == 0:
			files := randFiles()
			tok := mustRegister(t, r, fmt.Sprintf("10.0.0.%d:1", rng.IntN(40)), files...)
			// A replaced registration leaves the model too.
			for k := range model {
				if r.Heartbeat(k, t0) != nil {
					delete(model, k)
				}
			}
			model[tok] = files
		case op < 7:
			tok := tokens[rng.IntN(len(tokens))]
			files := randFiles()
			if r.Update(tok, files, t0) == nil {
				model[tok] = files
			}
		default:
			tok := tokens[rng.IntN(len(tokens))]
			if r.Unregister(tok, t0) == nil {
				delete(model, tok)
			}
		}
		tokens = tokens[:0]
		for k := range model {
			tokens = append(tokens, k)
		}
		slices.Sort(tokens)
		if step%50 == 0 {
			checkIndex(t, r)
			for _, q := range append(slices.Clone(words), "", "a", "e", "ta", "/", testID("3"), "ong") {
				checkSearch(t, r, model, q)
			}
		}
	}
	checkIndex(t, r)
}

// oracleFold is search's rule written another way (a transform chain over
// the whole string): lower case, no accents.
func oracleFold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		panic(err)
	}
	return out
}

// oracleMatch reports whether name holds every word, in any order.
func oracleMatch(name string, words []string) bool {
	name = oracleFold(name)
	for _, w := range words {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}

func checkSearch(t *testing.T, r *Registry, model map[string][]wire.FileEntry, q string) {
	t.Helper()
	type key struct{ id, name string }
	type count struct{ holders, complete int }
	want := map[key]count{}
	lq := strings.ToLower(q)
	words := strings.Fields(oracleFold(q))
	for _, files := range model {
		complete := map[key]bool{} // a file listed twice is complete if any copy is
		for _, f := range files {
			k := key{f.ID, f.Name}
			complete[k] = complete[k] || f.Complete
		}
		for k, c := range complete {
			if oracleMatch(k.name, words) || k.id == lq {
				w := want[k]
				w.holders++
				if c {
					w.complete++
				}
				want[k] = w
			}
		}
	}
	got := map[key]count{}
	for _, res := range r.Search(q, remoteView).Results {
		k := key{res.ID, res.Name}
		if _, dup := got[k]; dup {
			t.Fatalf("search %q: (id, name) %v twice", q, k)
		}
		c := count{holders: len(res.Peers)}
		for _, p := range res.Peers {
			if p.Complete {
				c.complete++
			}
		}
		got[k] = c
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("search %q:\n got %v\nwant %v", q, got, want)
	}
}

func checkIndex(t *testing.T, r *Registry) {
	t.Helper()
	ix := r.ix
	refs := make([]int32, ix.nSlots)
	for g, p := range ix.grams {
		live := 0
		seen := map[uint32]bool{}
		for _, s := range p.slots {
			if seen[s] {
				t.Fatalf("gram %06x lists slot %d twice", g, s)
			}
			seen[s] = true
			refs[s]++
			if e := ix.at(s); e.live {
				live++
				if !slices.Contains(trigrams(e.folded, nil), g) {
					t.Fatalf("gram %06x lists live slot %d (%q) without that gram", g, s, e.name)
				}
			}
		}
		if live != int(p.live) || live == 0 {
			t.Fatalf("gram %06x: %d live postings, counted %d", g, live, p.live)
		}
	}
	free := map[uint32]bool{}
	for _, s := range ix.free {
		if free[s] || refs[s] != 0 || ix.at(s).live {
			t.Fatalf("free slot %d: twice %v, refs %d, live %v", s, free[s], refs[s], ix.at(s).live)
		}
		free[s] = true
	}
	live, holders := 0, 0
	for s := range ix.nSlots {
		e := ix.at(s)
		if e.refs != refs[s] {
			t.Fatalf("slot %d: refs %d, postings %d", s, e.refs, refs[s])
		}
		if !e.live && e.refs == 0 && !free[s] {
			t.Fatalf("slot %d leaked: dead, unreferenced, not free", s)
		}
		if e.live {
			live++
			holders += len(e.holders)
			ips := map[netip.Addr]bool{}
			for _, h := range e.holders {
				ips[h.p.addr.Addr()] = true
			}
			if int(e.hosts) != len(ips) {
				t.Fatalf("slot %d (%q): hosts %d, holders from %d IPs", s, e.name, e.hosts, len(ips))
			}
		}
	}
	chained := 0
	walk := func(what string, head uint32, at func(*entry) *link, belongs func(*entry) bool) {
		prev := noSlot
		for s := head; s != noSlot; s = at(ix.at(s)).next {
			e := ix.at(s)
			if !e.live || !belongs(e) || at(e).prev != prev {
				t.Fatalf("%s chain: slot %d (live %v, prev %d want %d)", what, s, e.live, at(e).prev, prev)
			}
			prev = s
			chained++
		}
	}
	for key, head := range ix.byID {
		walk("id", head, idLink, func(e *entry) bool { return ix.idKey(&e.id) == key })
	}
	for key, head := range ix.byBase {
		walk("base", head, baseLink, func(e *entry) bool { return ix.baseKey(e.base()) == key })
	}
	for key, head := range ix.byKey {
		walk("key", head, keyLink, func(e *entry) bool { return ix.keyOf(&e.id, e.name) == key })
	}
	if chained != 3*live {
		t.Fatalf("%d slots in chains, want %d", chained, 3*live)
	}
	if live != ix.live || holders != ix.holders {
		t.Fatalf("counted %d live / %d holders, index says %d / %d", live, holders, ix.live, ix.holders)
	}
}

// TestSearchLongLists checks the intersection path (posting lists longer
// than directVerify) against brute force.
func TestSearchLongLists(t *testing.T) {
	r := NewRegistry(RegistryConfig{MaxSearchResults: 1 << 20, MaxResultPeers: 1 << 20})
	model := map[string][]wire.FileEntry{}
	words := []string{"river", "cedar", "cello", "olive", "ever", "rive", "oliver"}
	for i := range 40 {
		files := make([]wire.FileEntry, 150)
		for j := range files {
			name := fmt.Sprintf("%s %s/%s %d", words[(i+j)%len(words)], words[(i*j)%len(words)], words[j%3], i*1000+j)
			files[j] = file(name, name)
		}
		model[mustRegister(t, r, fmt.Sprintf("10.0.1.%d:1", i), files...)] = files
	}
	for _, q := range []string{"river", "cedar cello", "r cedar", "oliver/cello", "ver ol", "e 1", "ive", "ce", "7", "er/r", "r olive",
		"cello cedar", "olivé 7 RÍVER", "ce 1", "r e", "  "} {
		checkSearch(t, r, model, q)
	}
	checkIndex(t, r)
}

func TestPeerAndByteLimits(t *testing.T) {
	budget := 3*fileCost("x") + 8*100
	r := NewRegistry(RegistryConfig{MaxPeersPerIP: 2, MaxIndexBytes: budget, MaxIndexBytesPerIP: budget})
	mustRegister(t, r, "10.0.0.1:1", file("x", "1"))
	tok := mustRegister(t, r, "10.0.0.1:2", file("y", "2"))
	if _, _, err := r.Register(ap("10.0.0.1:3"), nil, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("third peer from one IP: %v, want limit", err)
	}
	mustRegister(t, r, "10.0.0.1:2", file("y", "2")) // replacing is not one more
	mustRegister(t, r, "10.0.0.2:1")                 // another IP is fine
	long := strings.Repeat("n", 200)
	if _, _, err := r.Register(ap("10.0.0.3:1"), []wire.FileEntry{file(long, "3")}, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("a long name over the index byte budget: %v, want limit", err)
	}
	mustRegister(t, r, "10.0.0.3:1", file("z", "3"))
	if err := r.Update(tok, []wire.FileEntry{file(long, "3")}, t0); !errors.Is(err, wire.ErrUnknownPeer) {
		t.Errorf("replaced token: %v", err)
	}
	if r.Unregister(mustRegister(t, r, "10.0.0.4:1"), t0) != nil || r.cost != 3*fileCost("x") {
		t.Errorf("cost %d after churn, want %d", r.cost, 3*fileCost("x"))
	}
}

// TestUpdateKeepsEntries checks that an update only touches what changed.
func TestUpdateKeepsEntries(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	a, b := file("a.txt", "a"), file("b.txt", "b")
	tok := mustRegister(t, r, "10.0.0.1:1", a, b)
	slotA := r.byToken[tok].slots[0]
	a.Complete = false
	if err := r.Update(tok, []wire.FileEntry{file("c.txt", "c"), a}, t0); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.byToken[tok].slots, slotA) {
		t.Error("a kept file got a new entry")
	}
	res := r.Search("a.txt", remoteView).Results
	if len(res) != 1 || res[0].Peers[0].Complete {
		t.Errorf("a.txt after marking it partial: %+v", res)
	}
	if got := searchNames(r, ".txt"); len(got) != 2 || slices.Contains(got, "b.txt") {
		t.Errorf("names after update: %v", got)
	}
	checkIndex(t, r)
}

// TestOneHostCannotFillIndex is the attack "one host fills the tracker"
// (issue 13): one address registers peer after peer, each with as many
// files as allowed, until the tracker refuses; another address must still
// get in. Only the global limits are set: the per-IP quotas are their
// defaults (a twentieth of each).
func TestOneHostCannotFillIndex(t *testing.T) {
	r := NewRegistry(RegistryConfig{MaxFilesPerPeer: 50, MaxIndexedFiles: 1000, MaxPeers: 200})
	attacker := 0
	for port := 1; port <= 200; port++ {
		files := make([]wire.FileEntry, 50)
		for i := range files {
			files[i] = file(fmt.Sprintf("junk %d-%d", port, i), fmt.Sprint("junk", port, i))
		}
		if _, _, err := r.Register(ap(fmt.Sprintf("10.6.6.6:%d", port)), files, t0); err != nil {
			if !errors.Is(err, wire.ErrLimit) {
				t.Fatalf("attacker refused with %v, want limit", err)
			}
			break
		}
		attacker += len(files)
	}
	// Small registrations from the same host are refused too once its
	// share is used, however they are spread.
	for port := 1000; port < 1100; port++ {
		if _, _, err := r.Register(ap(fmt.Sprintf("10.6.6.6:%d", port)), []wire.FileEntry{file(fmt.Sprint("one more ", port), fmt.Sprint("more", port))}, t0); err != nil {
			break
		}
		attacker++
	}
	if attacker > 1000/DefaultIPShare {
		t.Errorf("one host indexed %d files, more than its share of %d", attacker, 1000/DefaultIPShare)
	}
	victim := make([]wire.FileEntry, 40)
	for i := range victim {
		victim[i] = file(fmt.Sprintf("holiday %d.jpg", i), fmt.Sprint("holiday", i))
	}
	if _, _, err := r.Register(ap("10.0.0.9:7"), victim, t0); err != nil {
		t.Fatalf("another host after the attack: %v", err)
	}
	// Its exact name first, then the names holding both words ("holiday 17.jpg").
	if res := r.Search("holiday 7.jpg", remoteView).Results; len(res) != 4 || res[0].Name != "holiday 7.jpg" {
		t.Fatalf("the victim's file is not found: %+v", res)
	}
	checkIndex(t, r)
}

func TestIPQuotas(t *testing.T) {
	r := NewRegistry(RegistryConfig{MaxIndexedFilesPerIP: 3, MaxIndexBytesPerIP: 3*fileCost("x") + 8*10, MaxPeersPerIP: 4})
	tok := mustRegister(t, r, "10.0.0.1:1", file("a", "1"), file("b", "2"))
	if _, _, err := r.Register(ap("10.0.0.1:2"), []wire.FileEntry{file("c", "3"), file("d", "4")}, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("a fourth file from one IP on another port: %v, want limit", err)
	}
	mustRegister(t, r, "10.0.0.1:2", file("c", "3"))
	if err := r.Update(tok, []wire.FileEntry{file("a", "1"), file("b", "2"), file("e", "5")}, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("an update past the quota: %v, want limit", err)
	}
	if err := r.Update(tok, []wire.FileEntry{file("e", "5")}, t0); err != nil {
		t.Errorf("an update that shrinks: %v", err)
	}
	mustRegister(t, r, "10.0.0.1:1", file("f", "6"), file("g", "7")) // replacing frees the old files first
	long := strings.Repeat("n", 40)
	if _, _, err := r.Register(ap("10.0.0.2:1"), []wire.FileEntry{file(long, "8"), file(long+"2", "9")}, t0); !errors.Is(err, wire.ErrLimit) {
		t.Errorf("long names past the byte quota: %v, want limit", err)
	}
	mustRegister(t, r, "10.0.0.2:1", file(long, "8"))
	if u := r.usageLocked(ap("10.0.0.1:1").Addr()); u.peers != 2 || u.files != 3 || u.cost != 3*fileCost("x") {
		t.Errorf("usage of 10.0.0.1: %+v", u)
	}
	for _, tok := range []string{mustRegister(t, r, "10.0.0.3:1", file("h", "h")), mustRegister(t, r, "10.0.0.3:2")} {
		r.Unregister(tok, t0)
	}
	if _, ok := r.perIP[ap("10.0.0.3:1").Addr()]; ok {
		t.Error("an IP with no registration left keeps a usage record")
	}
	checkIndex(t, r)
}

// TestSearchCountsHosts checks the hosts of each result: distinct IPs among
// all its holders, listed or not, kept right through churn.
func TestSearchCountsHosts(t *testing.T) {
	r := NewRegistry(RegistryConfig{MaxResultPeers: 50})
	real, poison := file("ubuntu.iso", "real"), file("ubuntu.iso", "poison")
	var toks []string
	for port := 1; port <= 80; port++ {
		toks = append(toks, mustRegister(t, r, fmt.Sprintf("10.6.6.6:%d", port), poison))
	}
	mustRegister(t, r, "10.0.0.1:1", real)
	mustRegister(t, r, "10.0.0.2:1", real)
	mustRegister(t, r, "10.0.0.2:2", real)
	hosts := func() map[string]wire.SearchResult {
		out := map[string]wire.SearchResult{}
		for _, res := range r.Search("ubuntu.iso", remoteView).Results {
			out[res.ID] = res
		}
		return out
	}
	got := hosts()
	if p := got[poison.ID]; p.Hosts != 1 || len(p.Peers) != 50 || !p.PeersTruncated {
		t.Errorf("80 registrations from one host: hosts %d, %d listed, truncated %v", p.Hosts, len(p.Peers), p.PeersTruncated)
	}
	if g := got[real.ID]; g.Hosts != 2 || len(g.Peers) != 3 {
		t.Errorf("three registrations from two hosts: hosts %d, %d listed", g.Hosts, len(g.Peers))
	}
	for _, tok := range toks[:79] {
		r.Unregister(tok, t0)
	}
	if p := hosts()[poison.ID]; p.Hosts != 1 {
		t.Errorf("after 79 of 80 left: hosts %d", p.Hosts)
	}
	r.Unregister(toks[79], t0)
	if _, ok := hosts()[poison.ID]; ok {
		t.Error("the poison is still listed after its last holder left")
	}
	checkIndex(t, r)
}

// TestSearchPages: a truncated answer is read page by page with the
// offset extension, through a real server and client: 450 matches come
// as 200, 200 and 50, together every file once; an offset past the end
// is an empty, complete page.
func TestSearchPages(t *testing.T) {
	ts := startServer(t, Config{})
	c := NewClient(ts.addr)
	defer c.Close()
	files := make([]wire.FileEntry, 450)
	for i := range files {
		files[i] = file(fmt.Sprintf("course/slides/part-%03d.pdf", i), fmt.Sprintf("part %d", i))
	}
	ctx := t.Context()
	if _, err := c.Register(ctx, 4000, files); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var sizes []int
	var truncated []bool
	for offset := 0; offset < 1000; {
		page, err := c.SearchFrom(ctx, "slides", offset)
		if err != nil {
			t.Fatal(err)
		}
		sizes, truncated = append(sizes, len(page.Results)), append(truncated, page.Truncated)
		for _, r := range page.Results {
			if seen[r.Name] {
				t.Fatalf("%s on two pages", r.Name)
			}
			seen[r.Name] = true
		}
		if !page.Truncated {
			break
		}
		offset += len(page.Results)
	}
	if !slices.Equal(sizes, []int{200, 200, 50}) || !slices.Equal(truncated, []bool{true, true, false}) || len(seen) != 450 {
		t.Fatalf("pages of %v (truncated %v), %d distinct; want 200, 200, 50 and all 450", sizes, truncated, len(seen))
	}
	if page, err := c.SearchFrom(ctx, "slides", 450); err != nil || len(page.Results) != 0 || page.Truncated {
		t.Fatalf("past the end: %+v, %v", page, err)
	}
	if _, err := c.SearchFrom(ctx, "slides", -1); err == nil {
		t.Fatal("a negative offset was sent")
	}
}
