package vm

import (
	"strings"
	"unicode/utf8"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/wire"
)

// SafeText makes a string from the network safe to show (wire.SafeText:
// invisible and control characters become visible codes).
func SafeText(s string) string { return wire.SafeText(s) }

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

// NetworkName turns what a person typed into the name a hosted network
// is announced with: "" (the computer's name) when nothing is typed,
// else the text with forbidden characters dropped and cut to size.
func NetworkName(typed string) string {
	if strings.TrimSpace(typed) == "" {
		return ""
	}
	return discovery.SanitizeName(typed)
}
