package tracker

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold returns s as search compares it: lower-cased and without accents
// ("Introdução" → "introducao"). Each rune is lower-cased, decomposed
// (canonical decomposition, golang.org/x/text/unicode/norm) and stripped of
// its nonspacing marks (category Mn).
//
// It works rune by rune, never across runes: fold(a+b) == fold(a)+fold(b).
// So a query that is a substring of a name folds to a substring of the
// folded name, and every query that matched under the old rule
// (strings.ToLower of both) still matches. An invalid byte folds to U+FFFD,
// as strings.ToLower turns it. A name that is ASCII costs one
// strings.ToLower, which returns s itself when nothing changes.
func fold(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(strings.ToLower(s[:i]))
	for _, r := range s[i:] {
		if r < utf8.RuneSelf {
			b.WriteByte(byte(unicode.ToLower(r)))
			continue
		}
		foldRune(&b, r)
	}
	return b.String()
}

// foldRune writes the folded form of one non-ASCII rune.
func foldRune(b *strings.Builder, r rune) {
	r = unicode.ToLower(r)
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Properties(buf[:n]).Decomposition()
	if d == nil {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
		return
	}
	for len(d) > 0 {
		c, size := utf8.DecodeRune(d)
		d = d[size:]
		if !unicode.Is(unicode.Mn, c) {
			b.WriteRune(unicode.ToLower(c))
		}
	}
}

// queryWords splits a folded query into the words a name must all contain,
// in any order. A query of only spaces has none: it matches every name.
func queryWords(folded string) []string { return strings.Fields(folded) }
