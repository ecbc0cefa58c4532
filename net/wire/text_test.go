package wire

import (
	"testing"
	"unicode/utf8"
)

var safeTextCases = []struct{ in, want string }{
	{"report.pdf", "report.pdf"},
	{"ação/café.txt", "ação/café.txt"},
	{"bell\x07.txt", "bell␇.txt"},
	{"esc\x1b[31mred\x1b]0;title\x07", "esc␛[31mred␛]0;title␇"},
	{"new\nline\r", "new␊line␍"},
	{"del\x7f", "del␡"},
	{"c1\u0085\u009b", "c1⟨U+0085⟩⟨U+009B⟩"},
	{"invoice\u202egpj.exe", "invoice⟨U+202E⟩gpj.exe"},
	{"iso\u2066late\u2069", "iso⟨U+2066⟩late⟨U+2069⟩"},
	{"zero\u200bwidth\u200d", "zero⟨U+200B⟩width⟨U+200D⟩"},
	{"bom\ufeff", "bom⟨U+FEFF⟩"},
	{"soft\u00adhyphen", "soft⟨U+00AD⟩hyphen"},
	{"filler\u3164", "filler⟨U+3164⟩"},
	{"vs\ufe0f", "vs⟨U+FE0F⟩"},
	{"line\u2028sep", "line⟨U+2028⟩sep"},
	{"bad\xffutf8", "bad\uFFFDutf8"},
	{"lrm\u200e", "lrm⟨U+200E⟩"},
}

func TestSafeText(t *testing.T) {
	for _, c := range safeTextCases {
		if got := SafeText(c.in); got != c.want {
			t.Errorf("SafeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzSafeText(f *testing.F) {
	for _, c := range safeTextCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SafeText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("SafeText(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if Invisible(r) {
				t.Fatalf("SafeText(%q) = %q keeps %U", s, out, r)
			}
		}
		if SafeText(out) != out {
			t.Fatalf("SafeText not idempotent on %q", out)
		}
	})
}
