package vm

import (
	"strings"
	"testing"

	"github.com/enxame/enxame/net/wire"
)

func TestSafeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"ação/café.txt", "ação/café.txt"},
		{"bell\x07.txt", "bell␇.txt"},
		{"esc\x1b[31mred", "esc␛[31mred"},
		{"new\nline", "new␊line"},
		{"del\x7f", "del␡"},
		{"c1\u0085", "c1⟨U+0085⟩"},
		{"invoice\u202Efdp.exe", "invoice⟨U+202E⟩fdp.exe"},
		{"iso\u2066late\u2069", "iso⟨U+2066⟩late⟨U+2069⟩"},
		{"zero\u200bwidth", "zero⟨U+200B⟩width"},
		{"bom\ufeff", "bom⟨U+FEFF⟩"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"lrm\u200e", "lrm⟨U+200E⟩"},
	}
	for _, tt := range tests {
		if got := SafeText(tt.in); got != tt.want {
			t.Errorf("SafeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEllipsize(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"a longer name", 5, "a lo…"},
		{"çãõéü", 3, "çã…"},
	}
	for _, tt := range tests {
		if got := Ellipsize(tt.in, tt.n); got != tt.want {
			t.Errorf("Ellipsize(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestSearchRowsTellVersionsApart(t *testing.T) {
	resp := &wire.SearchResponse{Results: []wire.SearchResult{
		{ID: "aaaaaaaa11111111", Name: "report.pdf", Size: 1, Peers: []wire.ResultPeer{{Addr: "a", Complete: true}}},
		{ID: "bbbbbbbb22222222", Name: "report.pdf", Size: 2, Peers: []wire.ResultPeer{{Addr: "b", Complete: false}}},
		{ID: "cccccccc33333333", Name: "bell\x07.txt", Size: 3},
	}}
	rows := searchRows(resp, nil)
	want := []string{"report.pdf  · version aaaaaaaa", "report.pdf  · version bbbbbbbb", "bell␇.txt"}
	for i, r := range rows {
		if r.Display != want[i] {
			t.Errorf("row %d Display %q, want %q", i, r.Display, want[i])
		}
	}
	if rows[1].Complete != 0 || rows[1].Partial != 1 || rows[1].Peers() != "1 computer with part of it" {
		t.Errorf("row 1 holders %+v %q", rows[1], rows[1].Peers())
	}
	if rows[2].Name != "bell\x07.txt" {
		t.Error("the raw name (for downloading) was changed")
	}
}

func TestSearchRowPeers(t *testing.T) {
	tests := []struct {
		c, p int
		more bool
		want string
	}{
		{1, 0, false, "1 computer"},
		{3, 0, false, "3 computers"},
		{2, 1, false, "2 computers + 1 with part of it"},
		{0, 2, false, "2 computers with part of it"},
		{0, 0, false, "no computer"},
		{50, 0, true, "50 computers or more"},
	}
	for _, tt := range tests {
		if got := (SearchRow{Complete: tt.c, Partial: tt.p, More: tt.more}).Peers(); got != tt.want {
			t.Errorf("Peers(%d, %d, %v) = %q, want %q", tt.c, tt.p, tt.more, got, tt.want)
		}
	}
}

// TestSearchRowsCountHosts: holders are counted by computer (IP address),
// never by registration: one host announcing a file from three ports is
// one holder (the poisoning-by-count attack, issue 13).
func TestSearchRowsCountHosts(t *testing.T) {
	id := strings.Repeat("a", 64)
	resp := &wire.SearchResponse{Results: []wire.SearchResult{{ID: id, Name: "ubuntu.iso", Size: 9, Peers: []wire.ResultPeer{
		{Addr: "10.0.0.66:4001", Complete: true}, {Addr: "10.0.0.66:4002", Complete: true}, {Addr: "10.0.0.66:4003", Complete: true},
		{Addr: "10.0.0.7:7000", Complete: false}, {Addr: "10.0.0.7:7001", Complete: true},
		{Addr: "[fd00::8]:7000", Complete: false},
	}}}}
	rows := searchRows(resp, nil)
	if len(rows) != 1 || rows[0].Complete != 2 || rows[0].Partial != 1 {
		t.Fatalf("rows %+v, want 2 computers with the file and 1 with part of it", rows)
	}
	// A cut list: the tracker's count of hosts stands for the rest.
	resp.Results[0].PeersTruncated, resp.Results[0].Hosts = true, 40
	if rows := searchRows(resp, nil); rows[0].Complete != 39 || rows[0].Partial != 1 || !rows[0].More {
		t.Errorf("truncated rows %+v, want 39 + 1 partial, more", rows)
	}
}
