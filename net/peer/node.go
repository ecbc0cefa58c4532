package peer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// Index is a shared-folder index a Node serves and announces;
// *share.Index implements it.
type Index interface {
	Catalog
	// Files is the announced list of complete files.
	Files() []wire.FileEntry
	// Changed is signalled (coalesced) when Files changed.
	Changed() <-chan struct{}
	// Run indexes and watches until ctx ends.
	Run(ctx context.Context) error
}

// NodeConfig configures a Node.
type NodeConfig struct {
	// Index is the shared folder; nil shares nothing (extra catalogs only).
	Index Index
	// Tracker is the tracker's host:port; empty runs without a tracker
	// (until SetTracker).
	Tracker string
	// CanHost registers with the can_host extension: this peer may take
	// over hosting the network's tracker (see net/handover).
	CanHost bool
	// Listen is the chunk server's address; empty means ":0" (any port).
	Listen string
	// Server configures the chunk server; its Catalog is the Node's, and
	// its Credentials the Node's.
	Server Config
	// Credentials secure the chunk server and the tracker session: one
	// identity and network key for both.
	Credentials secure.Credentials
	// Name is the device's name registered with the tracker ("" none).
	Name   string
	Logger *slog.Logger
}

// NodeStatus is a snapshot of a Node for the faces.
type NodeStatus struct {
	// Listen is the chunk server's local address.
	Listen string
	// Session is the tracker session's state (zero without a tracker).
	Session tracker.SessionStatus
	// Server holds the chunk server's counters.
	Server Stats
	// Files is the number of files announced.
	Files int
}

// Node is a running peer: the shared-folder index and its watcher, the
// chunk server, and the tracker session that announces what the index (and
// any extra catalog, such as downloads in progress) holds. The CLI's share
// and peer commands and the desktop app all run one.
type Node struct {
	cfg NodeConfig
	log *slog.Logger
	ln  net.Listener
	srv *Server

	mu         sync.Mutex
	extras     []Catalog
	extraFiles func() []wire.FileEntry
	session    *tracker.Session // the current one; nil without a tracker
	target     target           // the tracker wanted (SetTracker)

	announce       chan struct{} // cap 1
	retarget       chan struct{} // cap 1: target changed
	sessionChanged chan struct{} // cap 1: forwarded from the current session
}

// target is a tracker to stay registered with.
type target struct {
	addr    string
	canHost bool
}

// NewNode starts listening (so Addr is known at once) and prepares the
// server and session; Run runs them.
func NewNode(cfg NodeConfig) (*Node, error) {
	if cfg.Listen == "" {
		cfg.Listen = ":0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listening for peers on %s: %w", cfg.Listen, err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger, ln: ln, announce: make(chan struct{}, 1),
		retarget: make(chan struct{}, 1), sessionChanged: make(chan struct{}, 1),
		target: target{addr: cfg.Tracker, canHost: cfg.CanHost}}
	sc := cfg.Server
	sc.Catalog = n
	sc.Credentials = cfg.Credentials
	if sc.Logger == nil {
		sc.Logger = cfg.Logger
	}
	n.srv = NewServer(sc)
	n.session = n.newSession(n.target, n.Files())
	return n, nil
}

// newSession returns a session with t, or nil when t has no address.
func (n *Node) newSession(t target, files []wire.FileEntry) *tracker.Session {
	if t.addr == "" {
		return nil
	}
	return tracker.NewSession(tracker.SessionConfig{
		Tracker:     t.addr,
		Port:        n.ln.Addr().(*net.TCPAddr).Port,
		CanHost:     t.canHost,
		Name:        n.cfg.Name,
		Credentials: n.cfg.Credentials,
		Logger:      n.cfg.Logger,
	}, files)
}

// SetTracker moves the node to the tracker at addr ("" leaves trackers
// altogether), registering with canHost: the current session says
// goodbye in the background and a new one registers at once. It never
// blocks; a call with the current tracker and canHost does nothing.
func (n *Node) SetTracker(addr string, canHost bool) {
	t := target{addr: addr, canHost: canHost}
	n.mu.Lock()
	same := n.target == t
	n.target = t
	n.mu.Unlock()
	if same {
		return
	}
	select {
	case n.retarget <- struct{}{}:
	default:
	}
}

// Tracker returns the tracker the node is (or is trying to be)
// registered with, "" for none.
func (n *Node) Tracker() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.target.addr
}

func (n *Node) currentSession() *tracker.Session {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.session
}

func (n *Node) notifySession() {
	select {
	case n.sessionChanged <- struct{}{}:
	default:
	}
}

// Addr is the chunk server's listening address.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Server is the node's chunk server (for its Stats).
func (n *Node) Server() *Server { return n.srv }

// SessionChanged is signalled (coalesced) when the tracker session's status
// may have changed, the tracker included (SetTracker). It has one consumer.
func (n *Node) SessionChanged() <-chan struct{} { return n.sessionChanged }

// Close releases the listener of a Node whose Run was never called.
func (n *Node) Close() error { return n.ln.Close() }

// Lookup finds id in the index, then in the extra catalogs (Catalog).
func (n *Node) Lookup(id string) (Item, bool) {
	if n.cfg.Index != nil {
		if it, ok := n.cfg.Index.Lookup(id); ok {
			return it, true
		}
	}
	n.mu.Lock()
	extras := Catalogs(slices.Clone(n.extras))
	n.mu.Unlock()
	return extras.Lookup(id)
}

// AddCatalog serves c's items too (after the index's), e.g. the verified
// chunks of downloads in progress.
func (n *Node) AddCatalog(c Catalog) {
	n.mu.Lock()
	n.extras = append(n.extras, c)
	n.mu.Unlock()
}

// RemoveCatalog stops serving c.
func (n *Node) RemoveCatalog(c Catalog) {
	n.mu.Lock()
	n.extras = slices.DeleteFunc(n.extras, func(x Catalog) bool { return x == c })
	n.mu.Unlock()
}

// SetExtraFiles sets a provider of more files to announce, e.g. downloads
// in progress with Complete false; it is called on every announcement and
// must not block. Call Announce when what it returns changes.
func (n *Node) SetExtraFiles(f func() []wire.FileEntry) {
	n.mu.Lock()
	n.extraFiles = f
	n.mu.Unlock()
	n.Announce()
}

// Announce asks for the file list to be sent to the tracker again soon
// (coalesced); it never blocks.
func (n *Node) Announce() {
	select {
	case n.announce <- struct{}{}:
	default:
	}
}

// Files is the list announced: the index's files, then the extra files,
// capped to what one tracker update may carry.
func (n *Node) Files() []wire.FileEntry {
	var files []wire.FileEntry
	if n.cfg.Index != nil {
		files = n.cfg.Index.Files()
	}
	n.mu.Lock()
	extra := n.extraFiles
	n.mu.Unlock()
	if extra != nil {
		files = append(files, extra()...)
	}
	if capped := CapAnnounce(files); len(capped) < len(files) {
		n.log.Warn("Too many files to announce; the rest are served by id only", "files", len(files), "announced", len(capped))
		files = capped
	}
	return files
}

// MaxAnnounceBytes bounds the JSON of the announced list, so a register or
// update line stays well under the tracker's 4 MiB line limit.
const MaxAnnounceBytes = 3 << 20

// CapAnnounce truncates files to at most wire.MaxFilesPerPeer entries and
// about MaxAnnounceBytes of JSON.
func CapAnnounce(files []wire.FileEntry) []wire.FileEntry {
	total := 0
	for i, f := range files {
		total += len(f.Name) + 120 // id, size, keys and escaping slack
		if i >= wire.MaxFilesPerPeer || total > MaxAnnounceBytes {
			return files[:i]
		}
	}
	return files
}

// Status returns a snapshot of the node.
func (n *Node) Status() NodeStatus {
	st := NodeStatus{Listen: n.ln.Addr().String(), Server: n.srv.Stats()}
	if s := n.currentSession(); s != nil {
		st.Session = s.Status()
		st.Files = st.Session.Files
	} else {
		st.Files = len(n.Files())
	}
	return st
}

// Run serves, indexes, watches and stays registered until ctx ends, then
// unregisters and returns nil. It returns early with an error when the
// folder cannot be indexed at all or the listener fails.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	fail := func(err error) {
		if err != nil {
			cancel(err)
		}
	}
	wg.Go(func() { fail(n.srv.Serve(ctx, n.ln)) })
	if n.cfg.Index != nil {
		wg.Go(func() {
			if err := n.cfg.Index.Run(ctx); err != nil {
				fail(fmt.Errorf("indexing the shared folder: %w", err))
			}
		})
	}
	wg.Go(func() {
		// Register with what the index already knows (unchanged and
		// cached files) rather than with an empty list.
		if r, ok := n.cfg.Index.(interface{ Ready() <-chan struct{} }); ok {
			select {
			case <-r.Ready():
				n.publish()
			case <-ctx.Done():
				return
			}
		}
		fail(n.runSessions(ctx, &wg))
	})
	var changed <-chan struct{}
	if n.cfg.Index != nil {
		changed = n.cfg.Index.Changed()
	}
	// Announcements are coalesced over AnnounceDelay: a burst of changes
	// (a folder of a thousand downloads finishing one by one) costs one
	// list, not a thousand — each list looks at every download.
	var due <-chan time.Time
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-changed:
			n.publish()
		case <-n.announce:
			if due == nil {
				due = time.After(AnnounceDelay)
			}
		case <-due:
			due = nil
			n.publish()
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// AnnounceDelay is how long Announce's changes are gathered before the
// file list is made again (the tracker session batches its updates over
// tracker.UpdateDelay after that).
const AnnounceDelay = 200 * time.Millisecond

func (n *Node) publish() {
	if s := n.currentSession(); s != nil {
		s.SetFiles(n.Files())
	}
}

// runSessions runs the current tracker session until ctx ends, replacing
// it when SetTracker changes the target. A replaced session's goodbye runs
// in the background (in wg), so a vanished tracker does not delay the new
// registration.
func (n *Node) runSessions(ctx context.Context, wg *sync.WaitGroup) error {
	for {
		s := n.currentSession()
		if s == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-n.retarget:
				n.switchSession()
				continue
			}
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		wg.Go(func() { done <- s.Run(sctx) })
		n.notifySession()
	running:
		for {
			select {
			case <-s.Changed():
				n.notifySession()
			case err := <-done:
				cancel()
				return err // nil once ctx ended
			case <-n.retarget:
				cancel() // the old session says goodbye in its goroutine
				n.switchSession()
				break running
			}
		}
	}
}

// switchSession replaces the current session with one for the target.
func (n *Node) switchSession() {
	files := n.Files()
	n.mu.Lock()
	t := n.target
	n.session = n.newSession(t, files)
	n.mu.Unlock()
	n.log.Info("Changing tracker", "tracker", t.addr, "canHost", t.canHost)
	n.notifySession()
}
