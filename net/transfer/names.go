package transfer

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enxame/enxame/net/wire"
)

// Hidden files the downloader keeps in the output folder start with this;
// the share index skips them.
const hiddenPrefix = ".enxame-"

// maxBaseBytes bounds a saved file's name, leaving room for " (N)" under
// the usual 255-byte file system limit.
const maxBaseBytes = 200

// fallbackName is used when nothing usable is left of a name.
const fallbackName = "download"

// SafeName reduces a name from the network to a plain file name that is
// safe to create in the output folder on any OS and that shows what it
// is: its last path element (either separator), without invalid UTF-8 or
// invisible characters (control, format such as bidi overrides and
// zero-width joiners, and the other default ignorables: see
// wire.Invisible), with the characters Windows forbids replaced by '_',
// not ".", "..", empty, a drive letter, a reserved device name (CON, NUL,
// COM1, LPT¹…) or one of the downloader's own hidden names, without the
// trailing dots and spaces Windows drops, and at most maxBaseBytes long
// (the extension is kept when cutting).
func SafeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, wire.Invisible(r):
			// dropped: invalid UTF-8 and invisible characters
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = fit(b.String(), maxBaseBytes)
	if name == "" {
		return fallbackName
	}
	if strings.HasPrefix(name, hiddenPrefix) || isReserved(name) {
		name = "_" + fit(name, maxBaseBytes-1)
	}
	return name
}

// fit cuts name to at most limit bytes, keeping a short extension, and
// trims spaces around it and dots at its end.
func fit(name string, limit int) string {
	if len(name) > limit {
		base, ext := splitExt(name)
		if len(ext) > 32 {
			base, ext = name, ""
		}
		name = truncUTF8(base, limit-len(ext)) + ext
	}
	name = strings.TrimRightFunc(name, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	return strings.TrimLeftFunc(name, unicode.IsSpace)
}

// isReserved reports Windows device names, with or without an extension.
func isReserved(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if rest, ok := strings.CutPrefix(stem, "COM"); ok {
		return isDeviceDigit(rest)
	}
	if rest, ok := strings.CutPrefix(stem, "LPT"); ok {
		return isDeviceDigit(rest)
	}
	return false
}

// isDeviceDigit reports the suffixes that make COM and LPT device names:
// one ASCII digit, or the superscripts ¹ ² ³, which Windows takes as
// digits there too.
func isDeviceDigit(s string) bool {
	switch s {
	case "¹", "²", "³":
		return true
	}
	return len(s) == 1 && s[0] >= '0' && s[0] <= '9'
}

// splitExt splits "a.tar.gz" into "a.tar" and ".gz"; a leading dot is not
// an extension (".profile" has none).
func splitExt(name string) (base, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// candidateName returns the i-th name tried for a saved file: name itself,
// then "base (1).ext", "base (2).ext", …
func candidateName(name string, i int) string {
	if i == 0 {
		return name
	}
	base, ext := splitExt(name)
	return base + " (" + strconv.Itoa(i) + ")" + ext
}

// FolderDir is where a file at rel (a '/'-separated path inside a shared
// folder, the file's name last) is saved under root: every folder element
// made a safe file name (SafeName), so that nothing from the network
// climbs out of root or names a device.
func FolderDir(root, rel string) string {
	dir := root
	for _, p := range strings.Split(path.Dir(rel), "/") {
		if p == "." || p == "" {
			continue
		}
		dir = filepath.Join(dir, SafeName(p))
	}
	return dir
}
