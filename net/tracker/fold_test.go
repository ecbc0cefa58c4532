package tracker

import (
	"slices"
	"strings"
	"testing"

	"github.com/enxame/enxame/net/wire"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"Lecture 05.MP4":         "lecture 05.mp4",
		"Introdução":             "introducao",
		"INTRODUÇÃO":             "introducao",
		"Introduc\u0327a\u0303o": "introducao", // decomposed input
		"Smörgås Über naïve":     "smorgas uber naive",
		"Ærø ß":                  "ærø ß", // letters, not accents: kept
		"한국어":                    "한국어",   // Hangul syllables stay whole
		"Ωμέγα":                  "ωμεγα",
		"bad\xffbyte":            "bad\ufffdbyte",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFoldPerRune checks what keeps old queries matching: folding a string
// is folding its runes one by one, so a substring folds to a substring.
func TestFoldPerRune(t *testing.T) {
	s := "Ünïcode Ä.txt Introdução ǅ İstanbul ﬁ Σσς e\u0301 \u0301 한국어 が"
	var joined strings.Builder
	for _, r := range s {
		joined.WriteString(fold(string(r)))
	}
	if got := fold(s); got != joined.String() {
		t.Errorf("fold(%q) = %q, rune by rune %q", s, got, joined.String())
	}
}

func TestSearchWordsAnyOrderNoAccents(t *testing.T) {
	r := NewRegistry(RegistryConfig{})
	mustRegister(t, r, "10.0.0.1:1",
		file("aulas/Introdução à física.pdf", "intro"),
		file("aulas/Lecture 05.mp4", "lecture"),
		file("aulas/Lecture 05 notes.txt", "notes"),
		file("video/other.mp4", "other"),
		file("Café/naïve.txt", "cafe"),
	)
	cases := []struct {
		q    string
		want []string
	}{
		{"introducao", []string{"aulas/Introdução à física.pdf"}},
		{"INTRODUCAO FISICA", []string{"aulas/Introdução à física.pdf"}},
		{"fisica introdução", []string{"aulas/Introdução à física.pdf"}},
		{"lecture mp4", []string{"aulas/Lecture 05.mp4"}},
		{"mp4 lecture", []string{"aulas/Lecture 05.mp4"}},
		{"05 lecture", []string{"aulas/Lecture 05 notes.txt", "aulas/Lecture 05.mp4"}},
		{"  lecture   notes ", []string{"aulas/Lecture 05 notes.txt"}},
		{"cafe naive", []string{"Café/naïve.txt"}},
		{"É", []string{"Café/naïve.txt", "aulas/Lecture 05 notes.txt", "aulas/Lecture 05.mp4", "video/other.mp4"}}, // one byte once folded: the scan
		{"tu mp", []string{"aulas/Lecture 05.mp4"}},                                                                // two-byte words
		{"lecture zzz", nil},
		{"   ", []string{"Café/naïve.txt", "aulas/Introdução à física.pdf", "aulas/Lecture 05 notes.txt", "aulas/Lecture 05.mp4", "video/other.mp4"}},
	}
	for _, c := range cases {
		got := searchNames(r, c.q)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
	// An exact name, accents or not, ranks first.
	if got := searchNames(r, "lecture 05.mp4"); len(got) == 0 || got[0] != "aulas/Lecture 05.mp4" {
		t.Errorf("search %q = %v, want the exact name first", "lecture 05.mp4", got)
	}
}

// FuzzSearchKeepsOldMatches checks the two rules against every name: a
// name the old rule matched (case-insensitive substring) is still found,
// and every name found holds each folded word of the query.
func FuzzSearchKeepsOldMatches(f *testing.F) {
	f.Add("Introdução à Física.pdf", "ção à")
	f.Add("Lecture 05.mp4", "ture 05")
	f.Add("Ünïcode Ä.txt", "ä.t")
	f.Add("a b", " ")
	f.Add("Ωμέγα e\u0301", "έγα e\u0301")
	f.Fuzz(func(t *testing.T, name, q string) {
		if wire.ValidateName(name) != nil {
			t.Skip()
		}
		r := NewRegistry(RegistryConfig{})
		mustRegister(t, r, "10.0.0.1:1", file(name, "x"), file("other name.txt", "y"))
		found := slices.Contains(searchNames(r, q), name)
		if strings.Contains(strings.ToLower(name), strings.ToLower(q)) && !found {
			t.Errorf("search %q no longer finds %q", q, name)
		}
		if found && !containsAll(fold(name), queryWords(fold(q))) && !strings.EqualFold(q, testID("x")) {
			t.Errorf("search %q found %q, which lacks a word", q, name)
		}
	})
}
