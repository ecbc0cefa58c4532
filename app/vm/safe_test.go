package vm

import "testing"

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

func FuzzSafeText(f *testing.F) {
	for _, s := range []string{"a", "\u202e", "\x00\xff", "x\u2066y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SafeText(s)
		for _, r := range out {
			if needsEscape(r) {
				t.Fatalf("SafeText(%q) = %q keeps %U", s, out, r)
			}
		}
	})
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
