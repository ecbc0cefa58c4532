package vm

import (
	"cmp"

	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/throttle"
	"github.com/enxame/enxame/net/transfer"
)

// The engine's types and rules the screens use, re-exported so that the
// window reaches the engine through the view-models only.
type (
	// Snapshot is the engine's state at one poll.
	Snapshot = engine.Snapshot
	// Transfer is one download in a Snapshot.
	Transfer = engine.Transfer
	// AddrError is a tracker address that is not host:port.
	AddrError = engine.AddrError
	// TransferState is where a download is in its life.
	TransferState = transfer.State
)

// Download states, for the screens.
const (
	StatePlanning    = transfer.StatePlanning
	StateVerifying   = transfer.StateVerifying
	StateDownloading = transfer.StateDownloading
	StateStalled     = transfer.StateStalled
	StatePaused      = transfer.StatePaused
	StateDone        = transfer.StateDone
	StateFailed      = transfer.StateFailed
	StateQueued      = transfer.StateQueued
)

// The engine's errors the screens put into words (ui/errors.go).
var (
	ErrFileNotFound = transfer.ErrNotFound
	ErrNoSource     = transfer.ErrNoSource
	ErrStalled      = transfer.ErrStalled
	ErrBadManifest  = transfer.ErrBadManifest
	ErrBusy         = transfer.ErrBusy
	ErrCanceled     = transfer.ErrCanceled
	ErrPaused       = transfer.ErrPaused
	ErrClosed       = transfer.ErrClosed
	// ErrBadRate is a rate limit ParseRate cannot read.
	ErrBadRate = throttle.ErrBadRate
)

// ValidateTrackerAddr checks that addr is host:port with a port in range.
func ValidateTrackerAddr(addr string) error { return engine.ValidateTrackerAddr(addr) }

// ParseRate reads a rate limit as people type it ("10MB/s", "500KiB/s",
// "0" for none) in bytes a second; FormatRate writes one back.
func ParseRate(s string) (int64, error) { return throttle.ParseRate(s) }

// FormatRate writes a rate limit in bytes a second as ParseRate reads it.
func FormatRate(bytesPerSec int64) string { return throttle.FormatRate(bytesPerSec) }

// LANAddrs lists the addresses others can type to reach port here.
func LANAddrs(port int) []string { return engine.LANAddrs(port) }

// configOf is the engine configuration the app runs with s.
func (v *App) configOf(s Settings) engine.Config {
	return engine.Config{
		Tracker:     s.Tracker,
		Network:     s.Network,
		NetworkID:   s.NetworkID,
		Host:        s.Host,
		HostListen:  cmp.Or(s.HostListen, DefaultHostListen),
		CanHost:     s.CanHost,
		ShareDir:    s.ShareDir,
		ShareDirs:   s.ShareDirs,
		Share:       engine.ShareOptions{Hidden: s.ShareHidden},
		Listen:      s.PeerListen,
		Downloads:   s.Downloads,
		MaxUpload:   s.MaxUpload,
		MaxDownload: s.MaxDownload,
		MaxActive:   s.MaxActive,
		Discovery:   v.Discovery,
		Logger:      v.log,
		// Identity and Key are filled by Start.
	}
}
