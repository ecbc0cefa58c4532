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
