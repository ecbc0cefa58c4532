package transfer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/enxame/enxame/net/wire"
)

var safeNameCases = []struct{ in, want string }{
	{"song.ogg", "song.ogg"},
	{"music/rock/song.ogg", "song.ogg"},
	{"../../etc/passwd", "passwd"},
	{"/etc/shadow", "shadow"},
	{`C:\Windows\system.ini`, "system.ini"},
	{"C:", "C_"},
	{"", fallbackName},
	{".", fallbackName},
	{"..", fallbackName},
	{"dir/", fallbackName},
	{"a\x00b\x1fc\x7f", "abc"},
	{"CON", "_CON"},
	{"con.txt", "_con.txt"},
	{"COM1.log", "_COM1.log"},
	{"LPT9", "_LPT9"},
	{"COMx", "COMx"},
	{"console.txt", "console.txt"},
	{"name. . ", "name"},
	{"  spaced.txt", "spaced.txt"},
	{"what?<>|*.txt", "what_____.txt"},
	{".profile", ".profile"},
	{".enxame-abc.part", "_.enxame-abc.part"},
	{strings.Repeat("é", 200) + ".mkv", strings.Repeat("é", 98) + ".mkv"},
	{"bad\xffutf8", "badutf8"},
	// Names that lie (issue 13): what shows must be what it is.
	{"invoice\u202egpj.exe", "invoicegpj.exe"},
	{"photo\u2066.jpg\u2069.exe", "photo.jpg.exe"},
	{"zero\u200bwidth\u200c\u200d.txt", "zerowidth.txt"},
	{"\ufeffbom.txt", "bom.txt"},
	{"soft\u00adhyphen.txt", "softhyphen.txt"},
	{"hangul\u3164filler.txt", "hangulfiller.txt"},
	{"\u202e", fallbackName},
	{"name\u200b.", "name"},
	{"report.pdf . .", "report.pdf"},
	{"tail\u00a0", "tail"},
	// Windows device names, superscript digits included.
	{"COM¹.txt", "_COM¹.txt"},
	{"lpt².log", "_lpt².log"},
	{"LPT³", "_LPT³"},
	{"com0", "_com0"},
	{"COM⁴.txt", "COM⁴.txt"},
	{"COM10", "COM10"},
	{"CONIN$", "_CONIN$"},
	{"nul .tar.gz", "_nul .tar.gz"},
	{"aux\u200b.txt", "_aux.txt"},
	{`a<b>c:d"e|f?g*h`, "a_b_c_d_e_f_g_h"},
}

func TestSafeName(t *testing.T) {
	for _, c := range safeNameCases {
		if got := SafeName(c.in); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzSafeName(f *testing.F) {
	for _, c := range safeNameCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := SafeName(in)
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\:`) || len(s) > maxBaseBytes || !utf8.ValidString(s) {
			t.Fatalf("SafeName(%q) = %q", in, s)
		}
		if strings.HasPrefix(s, hiddenPrefix) || isReserved(s) {
			t.Fatalf("SafeName(%q) = %q is reserved", in, s)
		}
		for _, r := range s {
			if wire.Invisible(r) || strings.ContainsRune(`<>"|?*`, r) {
				t.Fatalf("SafeName(%q) = %q has %U", in, s, r)
			}
		}
		if strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") {
			t.Fatalf("SafeName(%q) = %q ends with a dot or space", in, s)
		}
		if SafeName(s) != s {
			t.Fatalf("SafeName not idempotent on %q", s)
		}
	})
}

func TestCandidateName(t *testing.T) {
	for _, c := range []struct {
		name string
		i    int
		want string
	}{
		{"a.txt", 0, "a.txt"},
		{"a.txt", 1, "a (1).txt"},
		{"a.tar.gz", 2, "a.tar (2).gz"},
		{".profile", 1, ".profile (1)"},
		{"noext", 3, "noext (3)"},
	} {
		if got := candidateName(c.name, c.i); got != c.want {
			t.Errorf("candidateName(%q, %d) = %q, want %q", c.name, c.i, got, c.want)
		}
	}
}
