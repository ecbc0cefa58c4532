package wire

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Invisible reports characters that show nothing or change how the text
// around them is shown: control characters (C0, DEL, C1), format
// characters (Unicode category Cf: bidi embeddings, overrides and
// isolates, zero-width space and joiners, the byte order mark…), line and
// paragraph separators, variation selectors and the other default
// ignorable code points (Hangul fillers, U+034F and the like). A name
// holding one can pass for another name: "invoice\u202egpj.exe" shows
// as "invoiceexe.jpg".
func Invisible(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0xa0:
		return r >= 0x80
	case r < 0x300:
		return r == 0xad // soft hyphen (Cf)
	}
	return unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// SafeText makes a string from the network safe to print or show: control
// characters become their visible Unicode control pictures (␇, ␛, …),
// other invisible characters (see Invisible) become ⟨U+202E⟩, and invalid
// UTF-8 becomes U+FFFD. The result never reorders or hides text around it
// and holds no terminal escape sequence. A clean string is returned as is.
func SafeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || Invisible(r) {
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
		case Invisible(r):
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteRune(r) // includes U+FFFD for invalid bytes
		}
	}
	return b.String()
}

// MaxDeviceNameBytes is the longest device name (protocol version 2).
const MaxDeviceNameBytes = 64

// ValidateDeviceName checks a device's name for people (the "name" of
// register): 1–64 bytes of valid UTF-8 with no invisible character (no
// control, format or bidi character; see Invisible). Every error is a
// bad_request *Error.
func ValidateDeviceName(name string) error {
	switch {
	case name == "":
		return Errorf(CodeBadRequest, "device name is empty")
	case len(name) > MaxDeviceNameBytes:
		return Errorf(CodeBadRequest, "device name is over %d bytes", MaxDeviceNameBytes)
	case !utf8.ValidString(name):
		return Errorf(CodeBadRequest, "device name is not valid UTF-8")
	}
	for _, r := range name {
		if Invisible(r) {
			return Errorf(CodeBadRequest, "device name contains an invisible or control character")
		}
	}
	return nil
}

// SanitizeDeviceName makes a valid device name of s (a host name, say):
// invisible characters dropped, white space at the ends trimmed, cut to
// MaxDeviceNameBytes on a character boundary. It returns "" when nothing
// is left.
func SanitizeDeviceName(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == utf8.RuneError || Invisible(r) {
			return -1
		}
		return r
	}, s))
	for len(s) > MaxDeviceNameBytes {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return strings.TrimSpace(s)
}
