package vm

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SafeText makes a string from the network safe to show: control
// characters become their visible Unicode control pictures (␇, ␛, …), bidi
// and other invisible formatting characters become ⟨U+202E⟩, and invalid
// UTF-8 becomes �. The result never reorders or hides text around it.
func SafeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r < 0x20:
			b.WriteRune(0x2400 + r) // ␀ … ␟
		case r == 0x7f:
			b.WriteRune('␡')
		case needsEscape(r):
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteRune(r) // includes U+FFFD for invalid bytes
		}
	}
	return b.String()
}

// needsEscape reports characters that are invisible or change how the text
// around them is laid out: controls, bidi embeddings, overrides and
// isolates, zero-width joiners and the like (Unicode category Cf), line
// and paragraph separators.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029
}

// Ellipsize cuts s to at most n runes, ending with … when cut.
func Ellipsize(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + "…"
}
