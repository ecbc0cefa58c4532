package vm

import (
	"os"
	"path/filepath"
	"strings"

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
			return "This is your whole home folder: everyone on the network could download your documents, photos and everything else in it."
		}
		if rel, err := filepath.Rel(abs, home); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return "This folder holds your home folder: everyone on the network could download your documents, photos and everything else in it."
		}
	}
	if filepath.Dir(abs) == abs {
		return "This is the root of a disk: everyone on the network could download everything on it."
	}
	return ""
}

// skippedText says what the index left out and why, "" when nothing.
func skippedText(s share.Skipped) string {
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, plural(n, one, many))
		}
	}
	add(s.Hidden, "hidden file or folder", "hidden files and folders")
	add(s.Ignored, "file excluded by .enxameignore", "files excluded by .enxameignore")
	add(s.Outside, "link leading outside the folder", "links leading outside the folder")
	add(s.DirLinks, "link to a folder", "links to folders")
	add(s.Special, "special file", "special files")
	add(s.Unreadable, "file Enxame may not read", "files Enxame may not read")
	add(s.Partial, "unfinished download", "unfinished downloads")
	add(s.BadName, "file whose name cannot be sent", "files whose names cannot be sent")
	add(s.Unsettled, "file still being written (shared once it stops changing)", "files still being written (shared once they stop changing)")
	if len(parts) == 0 {
		return ""
	}
	return "Not shared: " + strings.Join(parts, ", ") + "."
}
