package engine

import (
	"time"

	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// Snapshot is everything a face shows, as values that share nothing with
// the engine: a face may keep it.
type Snapshot struct {
	// Tracker is the tracker in use ("" none).
	Tracker string
	// Network is the network followed by name ("" joined by address only),
	// Instance its discovery instance id ("" until heard).
	Network  string
	Instance string
	// Hosting: the tracker runs in this process. TookOver counts the
	// hand-overs that made this peer the host. HostAddrs are what others
	// type to join (LAN addresses of the hosted tracker).
	Hosting   bool
	TookOver  int
	HostAddrs []string
	// Candidates is how many peers may take over hosting, as the tracker
	// listed them last (this one included when it may).
	Candidates int
	// Host is the hosted tracker's own view, nil when not hosting.
	Host *tracker.Stats

	// Registered: the tracker session is registered, with RegisteredWith,
	// as Addr (this peer as the tracker recorded it). LastError is the
	// session's last failure; PeerErr why the node stopped (the shared
	// folder became unusable), nil while it runs.
	Registered     bool
	RegisteredWith string
	Addr           string
	LastContact    time.Time
	LastError      string
	PeerErr        error

	// Listen is the chunk server's address ("" with NoServe); Server its
	// counters; Announced the number of files announced.
	Listen    string
	Server    peer.Stats
	Announced int

	// ShareDir is the (first) shared folder ("" none) and Share the
	// state of every shared folder's index summed up; ShareDirs has each
	// folder's, in the order they were added.
	ShareDir  string
	Share     share.Progress
	ShareDirs []FolderStatus
	// Downloads is the downloads folder.
	Downloads string
	// Transfers are the downloads in the list's order, the queue's (the
	// order they were added, as Move changed it).
	Transfers []Transfer
}

// Snapshot takes a snapshot of the engine.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	kr, nr := e.keeper, e.node
	st := Snapshot{Tracker: e.target.addr, ShareDir: e.cfg.ShareDir, Downloads: e.cfg.Downloads}
	e.mu.Unlock()
	port := 0
	if kr != nil {
		ks := kr.k.Status()
		st.Tracker, st.Network, st.Hosting, st.TookOver = ks.Tracker, ks.Network, ks.Hosting, ks.TookOver
		st.Instance, st.Candidates, port = ks.Instance, ks.Candidates, ks.HostPort
		if hs, ok := kr.k.HostStats(); ok {
			st.Host = &hs
		}
	}
	if port != 0 {
		st.HostAddrs = LANAddrs(port)
	}
	if nr != nil {
		ns := nr.node.Status()
		st.Listen, st.Server, st.Announced = ns.Listen, ns.Server, ns.Files
		ss, err := nr.sessionStatus()
		st.Registered, st.Addr, st.LastError, st.PeerErr = ss.Registered, ss.Addr, ss.LastError, err
		st.RegisteredWith, st.LastContact = ss.Tracker, ss.LastContact
		st.ShareDirs, st.Share = nr.index.status()
	}
	st.Transfers = e.transfers()
	return st
}

// SharedFiles lists the files this engine shares whole, as announced: the
// shared folder's, then the finished downloads it serves from the
// downloads folder (those not in the shared folder already).
func (e *Engine) SharedFiles() []wire.FileEntry {
	e.mu.Lock()
	nr := e.node
	e.mu.Unlock()
	var files []wire.FileEntry
	if nr != nil {
		files = nr.index.Files()
	}
	have := make(map[string]bool, len(files))
	for _, f := range files {
		have[f.ID] = true
	}
	for _, f := range e.downloads.Files() {
		if f.Complete && !have[f.ID] {
			have[f.ID] = true
			files = append(files, f)
		}
	}
	return files
}

// SessionChanged is signalled (coalesced) when the tracker session's
// state changed; nil with NoServe. A node restart (SetShareDir) replaces
// it.
func (e *Engine) SessionChanged() <-chan struct{} {
	e.mu.Lock()
	nr := e.node
	e.mu.Unlock()
	if nr == nil {
		return nil
	}
	return nr.node.SessionChanged()
}
