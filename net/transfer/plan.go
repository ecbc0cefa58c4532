package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/enxame/enxame/net/wire"
)

// Searcher asks the tracker who shares what; *tracker.Client is one.
type Searcher interface {
	Search(ctx context.Context, q string) (*wire.SearchResponse, error)
}

// Request says what to download.
type Request struct {
	// Name is matched exactly against a shared name or its last path
	// element; a 64-hex content id is matched against ids as well.
	Name string
	// ID, if set, picks one version among several under Name: a full id
	// or a unique prefix of at least 8 hex characters.
	ID string
	// Dir is the output folder; empty means the Options' Dir.
	Dir string
	// Folder, when the download is one file of a folder fetched whole, is
	// that folder's local root (the downloads folder's <last element>):
	// the faces show the folder's files as one item. Empty for a file
	// asked for on its own. The download itself does not use it.
	Folder string
	// Offer, if set, is what a search just answered about this file (a
	// folder's files all come from one search): the first plan chooses
	// from it, by the same rules, instead of asking the tracker again.
	// Later plans, and a first one the offer does not settle, ask.
	Offer []wire.SearchResult
}

// maxSuggestions bounds the names offered when nothing matches.
const maxSuggestions = 8

// plan is the outcome of planning: which id to fetch and from whom.
type plan struct {
	ID           string
	Name         string // the shared name that matched
	Size         int64
	Holders      []wire.ResultPeer
	Hosts        int // distinct hosts (IP addresses) holding it
	Alternatives []Alternative
}

// choose picks the content id for req from a search answer, by the rules
// of docs/CLI.md: exact name (or last path element) match; with several
// ids, req.ID picks, else the one held by the most distinct hosts (IP
// addresses, PROTOCOL §4). Registrations are never counted: one host that
// registers a few ports with its own content under a popular name would
// win over the real file. When the most hosts are a tie there is nothing
// to tell the versions apart by, so none is picked (*AmbiguousError).
// Results whose id is not a content id are ignored.
func choose(resp *wire.SearchResponse, req Request) (plan, error) {
	type cand struct {
		plan
		peers map[string]bool
		hosts map[string]bool // distinct IPs among the listed holders
		told  int             // the most hosts the tracker counted for one result
	}
	byID := map[string]*cand{}
	var order []string
	isID := wire.ValidID(req.Name)
	for _, r := range resp.Results {
		if !wire.ValidID(r.ID) {
			continue
		}
		if r.Name != req.Name && path.Base(r.Name) != req.Name && !(isID && r.ID == req.Name) {
			continue
		}
		c := byID[r.ID]
		if c == nil {
			c = &cand{plan: plan{ID: r.ID, Name: r.Name, Size: r.Size}, peers: map[string]bool{}, hosts: map[string]bool{}}
			byID[r.ID] = c
			order = append(order, r.ID)
		}
		c.told = max(c.told, r.Hosts)
		for _, p := range r.Peers {
			c.hosts[hostOf(p.Addr)] = true
			if !c.peers[p.Addr] {
				c.peers[p.Addr] = true
				c.Holders = append(c.Holders, p)
			} else if p.Complete {
				for i := range c.Holders {
					if c.Holders[i].Addr == p.Addr {
						c.Holders[i].Complete = true
					}
				}
			}
		}
	}
	if len(order) == 0 {
		nf := &NotFoundError{Name: req.Name}
		seen := map[string]bool{}
		for _, r := range resp.Results {
			if !seen[r.Name] && len(nf.Suggestions) < maxSuggestions {
				seen[r.Name] = true
				nf.Suggestions = append(nf.Suggestions, r.Name)
			}
		}
		return plan{}, nf
	}
	cands := make([]*cand, len(order))
	for i, id := range order {
		c := byID[id]
		// The listing may be cut (peers_truncated): the tracker's count
		// covers every holder of one name, the listing the union of names.
		c.Hosts = max(len(c.hosts), c.told)
		cands[i] = c
	}
	slices.SortStableFunc(cands, func(a, b *cand) int {
		if c := cmp.Compare(b.Hosts, a.Hosts); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	pick := 0
	if req.ID == "" && len(cands) > 1 && cands[0].Hosts == cands[1].Hosts {
		amb := &AmbiguousError{Name: req.Name}
		for _, c := range cands {
			amb.Versions = append(amb.Versions, Alternative{ID: c.ID, Name: c.Name, Size: c.Size, Peers: len(c.Holders), Hosts: c.Hosts})
		}
		return plan{}, amb
	}
	if req.ID != "" {
		pick = -1
		for i, c := range cands {
			if c.ID == req.ID || (len(req.ID) >= 8 && strings.HasPrefix(c.ID, req.ID)) {
				if pick >= 0 {
					return plan{}, fmt.Errorf("%w: id prefix %q is ambiguous for %q", ErrNotFound, req.ID, req.Name)
				}
				pick = i
			}
		}
		if pick < 0 {
			return plan{}, fmt.Errorf("%w: no file named %q has id %q", ErrNotFound, req.Name, req.ID)
		}
	}
	p := cands[pick].plan
	for i, c := range cands {
		if i != pick {
			p.Alternatives = append(p.Alternatives, Alternative{ID: c.ID, Name: c.Name, Size: c.Size, Peers: len(c.Holders), Hosts: c.Hosts})
		}
	}
	// Complete holders first: they can answer MANIFEST and every GET.
	slices.SortStableFunc(p.Holders, func(a, b wire.ResultPeer) int {
		switch {
		case a.Complete == b.Complete:
			return 0
		case a.Complete:
			return -1
		default:
			return 1
		}
	})
	return p, nil
}

// ErrAmbiguous: several versions (content ids) of a name are held by as
// many hosts, the most of any, and no id was given to pick one.
var ErrAmbiguous = errors.New("several versions are held by as many hosts")

// AmbiguousError lists the versions of a name when none is held by more
// hosts than every other; it matches ErrAmbiguous. Versions are in order
// of hosts, most first.
type AmbiguousError struct {
	Name     string
	Versions []Alternative
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d versions of %q are held by as many hosts; pick one with its id:", len(e.Versions), e.Name)
	for i, v := range e.Versions {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%d bytes, %d %s", v.ID[:16], v.Size, v.Hosts, plural(v.Hosts, "host", "hosts"))
		if v.Peers != v.Hosts {
			fmt.Fprintf(&b, ", %d registrations", v.Peers)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// hostOf returns the host (IP address) part of a holder's address, which
// is what versions are counted by; an address that does not parse counts
// as a host of its own.
func hostOf(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	return addr
}

// holdersOf returns the holders of id from a search answer.
func holdersOf(resp *wire.SearchResponse, id string) []wire.ResultPeer {
	var out []wire.ResultPeer
	seen := map[string]int{}
	for _, r := range resp.Results {
		if r.ID != id {
			continue
		}
		for _, p := range r.Peers {
			if i, ok := seen[p.Addr]; ok {
				out[i].Complete = out[i].Complete || p.Complete
				continue
			}
			seen[p.Addr] = len(out)
			out = append(out, p)
		}
	}
	return out
}

// emptyManifest is the manifest of a 0-byte file, which needs no peer.
func emptyManifest() *wire.Manifest {
	return &wire.Manifest{Size: 0, ChunkSize: wire.ChunkSizeFor(0), Digests: []wire.Digest{}}
}

// manifestBatch is how many holders are asked for the manifest at once.
const manifestBatch = 4

// fetchManifest asks holders for id's manifest, a few at a time, and
// returns the first one that matches the id.
func fetchManifest(ctx context.Context, id string, size int64, holders []wire.ResultPeer, skip func(string) bool, opts Options) (*wire.Manifest, error) {
	if size == 0 {
		if m := emptyManifest(); m.ID() == id {
			return m, nil
		}
	}
	var lastErr error = ErrNoSource
	for start := 0; start < len(holders); start += manifestBatch {
		batch := holders[start:min(start+manifestBatch, len(holders))]
		bctx, cancel := context.WithCancel(ctx)
		type answer struct {
			m   *wire.Manifest
			err error
		}
		answers := make(chan answer, len(batch))
		asked := 0
		for _, h := range batch {
			if skip != nil && skip(h.Addr) {
				continue
			}
			asked++
			go func(addr string) {
				pd := opts.dialer()
				pc, err := pd.dial(bctx, addr)
				if err != nil {
					answers <- answer{err: err}
					return
				}
				guard(pc, opts.MinRate, opts.rateWindow, nil)
				m, err := pc.manifest(id)
				if err != nil && wire.CodeOf(err) == "" && !errors.Is(err, ErrBadManifest) {
					if fresh := pd.redial(bctx, pc); fresh != nil {
						pc = fresh
						guard(pc, opts.MinRate, opts.rateWindow, nil)
						m, err = pc.manifest(id)
					}
				}
				if err != nil {
					pc.close()
					err = fmt.Errorf("manifest from %s: %w", addr, err)
				} else {
					pd.release(pc) // for the chunks, or the next file
				}
				answers <- answer{m: m, err: err}
			}(h.Addr)
		}
		var found *wire.Manifest
		for range asked {
			a := <-answers
			if a.err != nil {
				lastErr = a.err
				continue
			}
			if found == nil {
				found = a.m
				cancel()
			}
		}
		cancel()
		if found != nil {
			return found, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, lastErr
}
