package vm

import (
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/share"
)

// ShareRisk says why sharing dir deserves a second thought, "" when it
// does not: a whole home folder holds private files (hidden ones are left
// out by default, but documents, photos and the rest are not), and the
// root of a file system holds everything.
func ShareRisk(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	abs = filepath.Clean(abs)
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if home, err := os.UserHomeDir(); err == nil {
		home = filepath.Clean(home)
		if real, err := filepath.EvalSymlinks(home); err == nil {
			home = real
		}
		if abs == home {
			return lang.L("This is your whole home folder: everyone on the network could download your documents, photos and everything else in it.")
		}
		if rel, err := filepath.Rel(abs, home); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return lang.L("This folder holds your home folder: everyone on the network could download your documents, photos and everything else in it.")
		}
	}
	if filepath.Dir(abs) == abs {
		return lang.L("This is the root of a disk: everyone on the network could download everything on it.")
	}
	return ""
}

// skippedText says what the index left out and why, "" when nothing.
func skippedText(s share.Skipped) string {
	var parts []string
	add := func(n int, words func(int) string) {
		if n > 0 {
			parts = append(parts, words(n))
		}
	}
	add(s.Hidden, func(n int) string { return lang.N("{{.Count}} hidden files and folders", i18n.Plural(n), counted(n)) })
	add(s.Ignored, func(n int) string {
		return lang.N("{{.Count}} files excluded by .enxameignore", i18n.Plural(n), counted(n))
	})
	add(s.Outside, func(n int) string {
		return lang.N("{{.Count}} links leading outside the folder", i18n.Plural(n), counted(n))
	})
	add(s.DirLinks, func(n int) string { return lang.N("{{.Count}} links to folders", i18n.Plural(n), counted(n)) })
	add(s.Special, func(n int) string { return lang.N("{{.Count}} special files", i18n.Plural(n), counted(n)) })
	add(s.Unreadable, func(n int) string { return lang.N("{{.Count}} files Enxame may not read", i18n.Plural(n), counted(n)) })
	add(s.Partial, func(n int) string { return lang.N("{{.Count}} unfinished downloads", i18n.Plural(n), counted(n)) })
	add(s.BadName, func(n int) string {
		return lang.N("{{.Count}} files whose names cannot be sent", i18n.Plural(n), counted(n))
	})
	add(s.Unsettled, func(n int) string {
		return lang.N("{{.Count}} files still being written (shared once they stop changing)", i18n.Plural(n), counted(n))
	})
	if len(parts) == 0 {
		return ""
	}
	return lang.L("Not shared: {{.What}}.", map[string]any{"What": strings.Join(parts, ", ")})
}
