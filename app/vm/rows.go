package vm

import (
	"slices"
	"time"

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
}

// Peers words the holders, counted by computer: "3 computers",
// "2 computers + 1 with part of it".
func (r SearchRow) Peers() string {
	var s string
	switch {
	case r.Complete == 0 && r.Partial > 0:
		s = plural(r.Partial, "computer", "computers") + " with part of it"
	case r.Partial > 0:
		s = plural(r.Complete, "computer", "computers") + " + " + itoa(r.Partial) + " with part of it"
	case r.Complete == 0:
		s = "no computer"
	default:
		s = plural(r.Complete, "computer", "computers")
	}
	if r.More {
		s += " or more"
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
}

// StateText words the state for the list.
func (r TransferRow) StateText() string {
	switch r.State {
	case transfer.StatePlanning:
		return "Finding sources…"
	case transfer.StateVerifying:
		return "Checking what is on disk…"
	case transfer.StateDownloading:
		return "Downloading"
	case transfer.StateStalled:
		return "Waiting for a computer that has this file…"
	case transfer.StatePaused:
		return "Paused"
	case transfer.StateQueued:
		if r.Queue == 1 {
			return "Queued: starts next"
		}
		return "Queued: " + itoa(r.Queue-1) + " ahead"
	case transfer.StateDone:
		return "Done"
	case transfer.StateFailed:
		return "Failed"
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

// Detail is the line under the name: sizes, rate, ETA, sources.
func (r TransferRow) Detail() string {
	s := Size(r.Done)
	if r.Size > 0 {
		s += " of " + Size(r.Size)
	}
	switch r.State {
	case transfer.StateDownloading:
		if r.Rate >= MinShownRate {
			s += " · " + Rate(r.Rate)
			if eta := ETA(r.ETA); eta != "" && r.ETA <= MaxShownETA {
				s += " · " + eta + " left"
			}
		}
		s += " · from " + plural(r.Sources, "computer", "computers")
	case transfer.StateStalled:
		if r.Sources > 0 {
			s += " · " + plural(r.Sources, "computer", "computers") + " connected, sending nothing"
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
// finished takes off the list.
func (r TransferRow) Finished() bool {
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
	Key     string
	Cells   []widgets.Cell
	Version uint64 // of the engine's chunk table when Cells were read
	Sources []string
}

// gridEqual compares grids by key, version and sources: the cells of one
// version are the same cells.
func gridEqual(a, b Grid) bool {
	return a.Key == b.Key && a.Version == b.Version && len(a.Cells) == len(b.Cells) && slices.Equal(a.Sources, b.Sources)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}
