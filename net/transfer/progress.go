package transfer

import "time"

// State is where a download is in its life.
type State uint8

// Download states.
const (
	StatePlanning    State = iota // searching the tracker, fetching the manifest
	StateVerifying                // re-checking chunks on disk before resuming
	StateDownloading              // fetching chunks
	StateStalled                  // no source is delivering; waiting for one
	StatePaused                   // stopped by Pause; resumable
	StateDone                     // verified and saved under Path
	StateFailed                   // stopped with Err; resumable unless cancelled
	StateQueued                   // waiting for one of the Manager's free places (MaxActive)
)

var stateNames = [...]string{"planning", "verifying", "downloading", "stalled", "paused", "done", "failed", "queued"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ChunkState is one chunk's state, the low byte of its Cell.
type ChunkState uint8

// Chunk states.
const (
	ChunkMissing  ChunkState = iota // not fetched yet
	ChunkInFlight                   // requested from a peer, or verified and being written
	ChunkDone                       // verified and written
	ChunkFailed                     // last attempt failed (bad bytes or error); queued again
)

// Cell is one chunk as a grid draws it: the low byte is its ChunkState,
// the high byte the index into Progress.Peers of the peer that supplied
// it (or is supplying it), NoSource when none.
type Cell uint16

// NoSource is the source byte of a Cell no peer supplied: not asked for
// yet, or found on disk.
const NoSource = 0xFF

// MakeCell returns the cell of a chunk in state s supplied by the peer at
// index source of Progress.Peers; a source below 0 or above 254 is
// NoSource.
func MakeCell(s ChunkState, source int) Cell {
	if source < 0 || source > 254 {
		source = NoSource
	}
	return Cell(source)<<8 | Cell(s)
}

// State is the chunk's state.
func (c Cell) State() ChunkState { return ChunkState(c) }

// Source is the index into Progress.Peers of the peer that supplied the
// chunk (or is supplying it), -1 for NoSource.
func (c Cell) Source() int {
	if s := int(c >> 8); s != NoSource {
		return s
	}
	return -1
}

// PeerProgress is one source's share of a download.
type PeerProgress struct {
	Addr      string
	Complete  bool    // holds the whole file
	Connected bool    // a connection is open
	Dropped   bool    // struck out or no longer has the file
	Rate      float64 // bytes per second, smoothed
	Chunks    int     // verified chunks supplied
	Bytes     int64   // verified bytes supplied
	Strikes   int     // chunks that failed verification
}

// Alternative is another version (content id) shared under the same name.
type Alternative struct {
	ID    string
	Name  string
	Size  int64
	Peers int // registrations holding it
	Hosts int // distinct hosts (IP addresses) holding it: what versions are chosen by
}

// Progress is a value snapshot of a download; it shares nothing with the
// download, so a consumer can keep it.
type Progress struct {
	Name  string // the name asked for
	ID    string // content id, once planned
	Size  int64  // file size, once planned
	Dir   string // output folder
	Path  string // saved file, once done
	State State
	Err   error // why it failed or stalled

	Done    int64         // verified bytes
	Fetched int64         // bytes received this run, duplicates and bad chunks included
	Resumed int64         // verified bytes found on disk at start
	Rate    float64       // bytes per second, smoothed
	ETA     time.Duration // 0 when unknown
	Started time.Time
	Elapsed time.Duration

	// CellsVersion is the version of the chunk table this snapshot was
	// taken at: Download.Cells returns the cells when it differs from the
	// last one read.
	CellsVersion uint64
	Peers        []PeerProgress

	Alternatives []Alternative
}

// Fraction is Done/Size, 1 for an empty file.
func (p *Progress) Fraction() float64 {
	if p.Size <= 0 {
		if p.State == StateDone {
			return 1
		}
		return 0
	}
	return float64(p.Done) / float64(p.Size)
}
