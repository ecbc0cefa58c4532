package vm

import (
	"github.com/enxame/enxame/net/transfer"
)

// Have says whether this computer already has a content (issue 14): in
// one of its shared folders, or among its finished downloads, which it
// shares too (engine.SharedFiles). A search marks its results with it, so
// that a file is not downloaded again without asking.
type Have uint8

const (
	HaveNone       Have = iota
	HaveShared          // in one of the shared folders
	HaveDownloaded      // a finished download (in the downloads folder)
)

// haveOf maps the contents this computer shares whole (files: what
// engine.SharedFiles lists, as ShareVM keeps it) to where they are: a
// content also among the finished downloads ts is HaveDownloaded, the
// others HaveShared; the contents of earlier runs' finished downloads
// (past, still where they were saved) are HaveDownloaded too.
func haveOf(files []ShareRow, ts []Transfer, past map[string]bool) map[string]Have {
	done := map[string]bool{}
	for _, tr := range ts {
		if tr.State == transfer.StateDone && tr.ID != "" {
			done[tr.ID] = true
		}
	}
	m := make(map[string]Have, len(files))
	for _, f := range files {
		if f.ID == "" {
			continue
		}
		if done[f.ID] {
			m[f.ID] = HaveDownloaded
		} else {
			m[f.ID] = HaveShared
		}
	}
	for id := range past {
		m[id] = HaveDownloaded
	}
	return m
}
