package vm

import (
	"slices"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/app/widgets"
	"github.com/enxame/enxame/net/transfer"
)

// SearchRow is one search result as the Search tab shows it.
type SearchRow struct {
	ID       string
	Name     string // the shared name, raw: for downloading
	Display  string // SafeText(Name)
	Size     int64
	Complete int // peers holding the whole file
	Partial  int // peers still downloading it
	More     bool
	Have     Have // this computer has it already: in a shared folder or its downloads
	// Elsewhere: a holder other than this computer is listed, so another
	// copy can be downloaded (this computer never downloads from itself).
	Elsewhere bool
}

// Peers words the holders, counted by computer: "3 computers",
// "2 computers + 1 with part of it".
func (r SearchRow) Peers() string {
	var s string
	switch {
	case r.Complete == 0 && r.Partial > 0:
		s = lang.N("{{.Count}} computers with part of it", i18n.Plural(r.Partial), counted(r.Partial))
	case r.Partial > 0:
		s = lang.L("{{.Complete}} + {{.Partial}} with part of it", map[string]any{
			"Complete": computers(r.Complete), "Partial": r.Partial})
	case r.Complete == 0:
		s = lang.L("no computer")
	default:
		s = computers(r.Complete)
	}
	if r.More {
		s = lang.L("{{.Computers}} or more", map[string]any{"Computers": s})
	}
	return s
}

// TransferRow is one download as the Transfers tab lists it.
type TransferRow struct {
	Key      string // what Pause/Resume/Cancel take
	Name     string // SafeText of the name
	ID       string
	State    transfer.State
	Err      error
	Fraction float64
	Done     int64
	Size     int64
	Rate     float64
	ETA      time.Duration
	Sources  int // peers connected now
	Peers    int // peers known
	Path     string
	Dir      string
	Queue    int // place in the queue while queued (1 starts next), else 0

	// A folder fetched whole (issue 14) is one row of Kind RowFolder:
	// Key is FolderKey(root), Path and Dir are its root, the sizes, rate
	// and state are its files' together, Files counts them and Ended
	// those done or failed. While it is Expanded its files follow it as
	// RowChild rows (named by their path in the folder).
	Kind     RowKind
	Folder   string // the root of the folder the row is or belongs to, "" none
	Files    int
	Ended    int
	Expanded bool
}

// RowKind tells a download of its own, a folder and a folder's file apart.
type RowKind uint8

const (
	RowFile   RowKind = iota // a file downloaded on its own
	RowFolder                // a folder downloaded whole, one row for all its files
	RowChild                 // one file of an expanded folder, under its row
)

// StateText words the state for the list.
func (r TransferRow) StateText() string {
	switch r.State {
	case transfer.StatePlanning:
		return lang.L("Finding sources…")
	case transfer.StateVerifying:
		return lang.L("Checking what is on disk…")
	case transfer.StateDownloading:
		return lang.L("Downloading")
	case transfer.StateStalled:
		return lang.L("Waiting for a computer that has this file…")
	case transfer.StatePaused:
		return lang.L("Paused")
	case transfer.StateQueued:
		if r.Queue == 1 {
			return lang.L("Queued: starts next")
		}
		return lang.N("Queued: {{.Count}} ahead", i18n.Plural(r.Queue-1), counted(r.Queue-1))
	case transfer.StateDone:
		return lang.L("Done")
	case transfer.StateFailed:
		return lang.L("Failed")
	}
	return r.State.String()
}

// The rate and time left are shown only while they mean something: a
// download slower than MinShownRate is waiting more than moving ("2 B/s ·
// 13211 h left" helps nobody), and a time left over MaxShownETA is no
// promise.
const (
	MinShownRate = 1 << 10 // bytes a second
	MaxShownETA  = 100 * time.Hour
)

// Detail is the line under the name: sizes, rate, ETA, sources (and a
// folder's file count first).
func (r TransferRow) Detail() string {
	s := Size(r.Done)
	if r.Kind == RowFolder {
		s = files(r.Files) + " · " + s
	}
	if r.Size > 0 {
		s = lang.L("{{.Done}} of {{.Size}}", map[string]any{"Done": s, "Size": Size(r.Size)})
	}
	switch r.State {
	case transfer.StateDownloading:
		if r.Rate >= MinShownRate {
			s += " · " + Rate(r.Rate)
			if r.ETA > 0 && r.ETA <= MaxShownETA {
				s += " · " + i18n.Remaining(r.ETA)
			}
		}
		s += " · " + lang.N("from {{.Count}} computers", i18n.Plural(r.Sources), counted(r.Sources))
	case transfer.StateStalled:
		if r.Sources > 0 {
			s += " · " + lang.N("{{.Count}} computers connected, sending nothing", i18n.Plural(r.Sources), counted(r.Sources))
		}
	}
	return s
}

// Active reports whether Pause makes sense: the download runs or waits
// queued.
func (r TransferRow) Active() bool {
	switch r.State {
	case transfer.StatePlanning, transfer.StateVerifying, transfer.StateDownloading, transfer.StateStalled, transfer.StateQueued:
		return true
	}
	return false
}

// Finished reports whether the download is done or failed: what Clear
// finished takes off the list. A folder is finished when each of its
// files is.
func (r TransferRow) Finished() bool {
	if r.Kind == RowFolder {
		return r.Ended == r.Files
	}
	return r.State == transfer.StateDone || r.State == transfer.StateFailed
}

// Resumable reports whether Resume makes sense.
func (r TransferRow) Resumable() bool {
	return r.State == transfer.StatePaused || r.State == transfer.StateFailed
}

// PeerRow is one source of the selected download.
type PeerRow struct {
	Addr    string
	Rate    float64
	Chunks  int // chunks it supplied that the grid shows as its own (its legend count)
	Strikes int
	State   string // "connected", "idle", "dropped"
	Color   int    // index into the chunk grid's palette
}

// NetPeerRow is one peer of the network list.
type NetPeerRow struct {
	Addr     string
	Name     string // the device name it registered with (SafeText), "" unknown
	Files    int
	LastSeen int64 // seconds
	Me       bool
}

// EventRow is one change in the embedded tracker's registry.
type EventRow struct {
	Time  time.Time
	Kind  string
	Addr  string
	Files int
}

// ShareRow is one shared file.
type ShareRow struct {
	Name string // SafeText
	Size int64
	ID   string
}

// Grid is the chunk map of the selected download, as the chunk grid draws
// it: per chunk its state and the index in Sources of the peer that
// supplied it.
type Grid struct {
	Key string
	// Per is how many chunks each cell stands for when the view-model
	// folded a folder's chunks (MaxFolderCells), else 1; Files is true
	// when each cell stands for Per whole files instead (a folder of more
	// files than MaxFolderCells).
	Per     int
	Files   bool
	Cells   []widgets.Cell
	Version uint64 // of the engine's chunk table when Cells were read
	Sources []string
}

// gridEqual compares grids by key, version and sources: the cells of one
// version are the same cells.
func gridEqual(a, b Grid) bool {
	return a.Key == b.Key && a.Version == b.Version && a.Per == b.Per && a.Files == b.Files && len(a.Cells) == len(b.Cells) && slices.Equal(a.Sources, b.Sources)
}

// counted is the template data of a message counting n things.
func counted(n int) map[string]any { return map[string]any{"Count": n} }

// computers words a number of computers: "1 computer", "3 computers".
func computers(n int) string {
	return lang.N("{{.Count}} computers", i18n.Plural(n), counted(n))
}

// files words a number of files: "1 file", "3 files".
func files(n int) string {
	return lang.N("{{.Count}} files", i18n.Plural(n), counted(n))
}
