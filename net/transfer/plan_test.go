package transfer

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/enxame/enxame/net/wire"
)

func id(c byte) string { return strings.Repeat(string(c), 64) }

func peers(n int, complete bool) []wire.ResultPeer {
	var out []wire.ResultPeer
	for i := range n {
		out = append(out, wire.ResultPeer{Addr: "10.0.0." + string(rune('1'+i)) + ":1", Complete: complete})
	}
	return out
}

func TestChoose(t *testing.T) {
	resp := &wire.SearchResponse{Results: []wire.SearchResult{
		{ID: id('a'), Name: "docs/report.pdf", Size: 10, Peers: peers(1, true)},
		{ID: id('b'), Name: "report.pdf", Size: 20, Peers: peers(3, true)},
		{ID: id('b'), Name: "old/report.pdf", Size: 20, Peers: peers(4, false)},
		{ID: id('c'), Name: "report.pdf.bak", Size: 30, Peers: peers(5, true)},
		{ID: id('d'), Name: "reports/report", Size: 40, Peers: peers(1, true)},
	}}
	cases := []struct {
		name    string
		req     Request
		wantID  string
		alts    []string
		wantErr error
		suggest []string
	}{
		{"most peers wins", Request{Name: "report.pdf"}, id('b'), []string{id('a')}, nil, nil},
		{"id picks", Request{Name: "report.pdf", ID: id('a')}, id('a'), []string{id('b')}, nil, nil},
		{"id prefix picks", Request{Name: "report.pdf", ID: "aaaaaaaa"}, id('a'), []string{id('b')}, nil, nil},
		{"short prefix refused", Request{Name: "report.pdf", ID: "aaaa"}, "", nil, ErrNotFound, nil},
		{"id of another name", Request{Name: "report.pdf", ID: id('c')}, "", nil, ErrNotFound, nil},
		{"full path", Request{Name: "docs/report.pdf"}, id('a'), nil, nil, nil},
		{"last element", Request{Name: "report"}, id('d'), nil, nil, nil},
		{"by id", Request{Name: id('c')}, id('c'), nil, nil, nil},
		{"substring only", Request{Name: "report.pd"}, "", nil, ErrNotFound, []string{"docs/report.pdf", "report.pdf", "old/report.pdf", "report.pdf.bak", "reports/report"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := choose(resp, c.req)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err %v, want %v", err, c.wantErr)
				}
				var nf *NotFoundError
				if c.suggest != nil && (!errors.As(err, &nf) || !slices.Equal(nf.Suggestions, c.suggest)) {
					t.Fatalf("suggestions %v, want %v", nf, c.suggest)
				}
				return
			}
			if err != nil || p.ID != c.wantID {
				t.Fatalf("got %s, %v; want %s", p.ID, err, c.wantID)
			}
			var alts []string
			for _, a := range p.Alternatives {
				alts = append(alts, a.ID)
			}
			if !slices.Equal(alts, c.alts) {
				t.Fatalf("alternatives %v, want %v", alts, c.alts)
			}
			for i := 1; i < len(p.Holders); i++ {
				if p.Holders[i].Complete && !p.Holders[i-1].Complete {
					t.Fatal("complete holders must come first")
				}
			}
		})
	}
	// Union of holders across names of one id: 3 + 4 distinct.
	p, _ := choose(resp, Request{Name: "report.pdf"})
	if len(p.Holders) != 4 {
		// peers(3) and peers(4) share addresses 1-3: 4 distinct in all
		t.Fatalf("%d holders, want 4 distinct", len(p.Holders))
	}
	if !p.Holders[0].Complete || !p.Holders[2].Complete || p.Holders[3].Complete {
		t.Fatalf("holders %+v", p.Holders)
	}
}

func TestSelfPort(t *testing.T) {
	self := SelfPort(4242)
	for addr, want := range map[string]bool{
		"127.0.0.1:4242":   true,
		"[::1]:4242":       true,
		"127.0.0.1:4243":   false,
		"203.0.113.9:4242": false,
		"garbage":          false,
	} {
		if got := self(addr); got != want {
			t.Errorf("SelfPort(4242)(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestChooseByHosts is the attack "poisoning by count" (issue 13): three
// registrations from one host announcing ubuntu.iso with the attacker's
// id must not beat the one real holder. Versions are counted by distinct
// hosts (PROTOCOL §4): one host against one host is a tie, and a tie
// picks nothing (the versions are listed for -id); one more host wins.
func TestChooseByHosts(t *testing.T) {
	real, poison := id('a'), id('f')
	attacker := []wire.ResultPeer{{Addr: "10.6.6.6:1", Complete: true}, {Addr: "10.6.6.6:2", Complete: true}, {Addr: "10.6.6.6:3", Complete: true}}
	holder := func(addrs ...string) []wire.ResultPeer {
		var out []wire.ResultPeer
		for _, a := range addrs {
			out = append(out, wire.ResultPeer{Addr: a, Complete: true})
		}
		return out
	}
	cases := []struct {
		name    string
		results []wire.SearchResult
		want    string // "" for ErrAmbiguous
		hosts   int
	}{
		{"three ports of one host against one holder", []wire.SearchResult{
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: attacker},
			{ID: real, Name: "ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:7000")},
		}, "", 1},
		{"three ports of one host against two holders", []wire.SearchResult{
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: attacker},
			{ID: real, Name: "ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:7000", "10.0.0.2:7000")},
		}, real, 2},
		{"the attacker spread over names", []wire.SearchResult{
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: attacker[:2]},
			{ID: poison, Name: "isos/ubuntu.iso", Size: 1, Peers: attacker[2:]},
			{ID: real, Name: "mirror/ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:7000", "10.0.0.2:1")},
		}, real, 2},
		{"IPv4-mapped and IPv6 forms are one host each", []wire.SearchResult{
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: holder("[::ffff:10.6.6.6]:1", "10.6.6.6:2", "[2001:db8::6]:1", "[2001:db8::6]:2")},
			{ID: real, Name: "ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:1", "10.0.0.2:1", "[2001:db8::1]:1")},
		}, real, 3},
		{"the tracker's count beyond a cut listing", []wire.SearchResult{
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: attacker, Hosts: 1},
			{ID: real, Name: "ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:1", "10.0.0.1:2"), PeersTruncated: true, Hosts: 40},
		}, real, 40},
		{"more hosts win however few registrations", []wire.SearchResult{
			{ID: real, Name: "ubuntu.iso", Size: 2, Peers: holder("10.0.0.1:1", "10.0.0.2:1")},
			{ID: poison, Name: "ubuntu.iso", Size: 1, Peers: append(slices.Clone(attacker), holder("10.6.6.7:1", "10.6.6.7:2", "10.6.6.8:1")...)},
		}, poison, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := choose(&wire.SearchResponse{Results: c.results}, Request{Name: "ubuntu.iso"})
			if c.want == "" {
				var amb *AmbiguousError
				if !errors.As(err, &amb) || !errors.Is(err, ErrAmbiguous) || len(amb.Versions) != 2 {
					t.Fatalf("chose %.8s (%v); want the versions listed, none chosen", p.ID, err)
				}
				for _, v := range amb.Versions {
					if v.Hosts != c.hosts {
						t.Errorf("version %.8s: %d hosts, want %d", v.ID, v.Hosts, c.hosts)
					}
				}
				if !strings.Contains(err.Error(), "3 registrations") || !strings.Contains(err.Error(), real[:16]) {
					t.Errorf("message %q", err)
				}
				return
			}
			if err != nil || p.ID != c.want || p.Hosts != c.hosts {
				t.Fatalf("chose %.8s with %d hosts (%v), want %.8s with %d", p.ID, p.Hosts, err, c.want, c.hosts)
			}
			if len(p.Alternatives) != 1 || p.Alternatives[0].Hosts < 1 || p.Alternatives[0].Peers < p.Alternatives[0].Hosts {
				t.Fatalf("alternatives %+v", p.Alternatives)
			}
			// -id still picks any version, the attacker's too.
			if q, err := choose(&wire.SearchResponse{Results: c.results}, Request{Name: "ubuntu.iso", ID: poison[:8]}); err != nil || q.ID != poison {
				t.Fatalf("-id %.8s chose %.8s, %v", poison, q.ID, err)
			}
		})
	}
}

// TestChooseIgnoresBadIDs: a result whose id is not a content id (a
// hostile or broken tracker) is never chosen, so no caller slices a short
// id.
func TestChooseIgnoresBadIDs(t *testing.T) {
	resp := &wire.SearchResponse{Results: []wire.SearchResult{
		{ID: "ab", Name: "x.iso", Size: 1, Peers: peers(5, true)},
		{ID: strings.ToUpper(id('a')), Name: "x.iso", Size: 1, Peers: peers(5, true)},
	}}
	if p, err := choose(resp, Request{Name: "x.iso"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("chose %q, %v; want not found", p.ID, err)
	}
	resp.Results = append(resp.Results, wire.SearchResult{ID: id('b'), Name: "x.iso", Size: 1, Peers: peers(1, true)})
	if p, err := choose(resp, Request{Name: "x.iso"}); err != nil || p.ID != id('b') || len(p.Alternatives) != 0 {
		t.Fatalf("chose %q (%d alternatives), %v", p.ID, len(p.Alternatives), err)
	}
}
