// Package engine is the one Enxame engine every face drives: the shared
// folder's index, the chunk server and tracker session (a peer.Node), the
// hand-over keeper that hosts or follows a network by name, the download
// manager, the announcing of partial downloads and the rule that a download
// never asks this process for chunks. The desktop app's view-models and the
// share, peer and get subcommands are thin shells over it: they send
// commands (Host, Join, SetShareDir, Download, Pause, Resume, Cancel,
// Forget) and read value snapshots (Snapshot, Cells).
//
// Locking: cmd serialises commands, which may wait (for a keeper or a node
// to stop); mu guards the fields and is held only briefly, never across a
// call out or a wait, so the keeper's callbacks (Join, Self), which take
// only mu, never wait for a command. Order: cmd, then mu.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/throttle"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

// DefaultHostListen is where a hosted tracker listens unless told: the
// port people type.
const DefaultHostListen = ":7077"

// ErrClosed is returned by commands after the engine's context ended.
var ErrClosed = errors.New("the engine has stopped")

// Config says how to start an Engine. Only Downloads matters to a face
// that shares nothing; everything else has a working zero value.
type Config struct {
	// Tracker is the tracker joined by address ("" none yet). With
	// Network it is the first guess of where that network is hosted.
	Tracker string
	// Network is the name of the network followed from tracker to tracker
	// through hand-overs ("" follows none: Tracker is used as it is). With
	// Host it is the name announced (default: the computer's name).
	Network string
	// NetworkID is the discovery instance id last heard for Network at
	// Tracker: Tracker is kept only while it still hosts that instance.
	NetworkID string
	// Host hosts the network here: a tracker on HostListen, announced on
	// the LAN, which this peer joins.
	Host bool
	// HostListen is where a hosted tracker listens (DefaultHostListen if
	// empty).
	HostListen string
	// CanHost lets this peer take over hosting when the network's tracker
	// leaves (net/handover).
	CanHost bool
	// HostTracker configures a hosted tracker (limits, intervals).
	HostTracker tracker.Config

	// ShareDir is the folder shared ("" shares none: only downloads are
	// served).
	ShareDir string
	// ShareDirs are more folders shared beside ShareDir; AddShareDir and
	// RemoveShareDir change them at run time. With several folders every
	// shared name starts with its folder's label: its base name, made
	// unique ("docs", "docs (2)") in the order given.
	ShareDirs []string
	// Share tunes the index (hash cache, rescan interval); Dir and Logger
	// are the engine's.
	Share ShareOptions
	// Listen is the chunk server's address ("" any port).
	Listen string
	// NoServe runs neither a chunk server nor a tracker session: the
	// engine only downloads (enxame get -serve=false).
	NoServe bool

	// Downloads is the folder downloads are saved in ("." if empty).
	Downloads string
	// StallTimeout overrides transfer.DefaultStallTimeout.
	StallTimeout time.Duration
	// MaxActive is how many downloads run at once (0 DefaultMaxActive,
	// below 0 no limit); the others wait queued, in the list's order.
	// SetMaxActive changes it.
	MaxActive int

	// MaxUpload limits, in bytes a second, what the chunk server sends to
	// every peer together (0 none); SetRateLimits changes it.
	MaxUpload int64
	// MaxDownload limits, in bytes a second, what every download reads
	// from peers together (0 none); SetRateLimits changes it.
	MaxDownload int64

	// Identity is this device's identity, shown on every connection (the
	// faces load it from the user's config folder, LoadIdentity); nil uses
	// secure.DefaultIdentity, one made in memory for this process.
	Identity *secure.Identity
	// Key is the private network's key (secure.DeriveNetworkKey, derived
	// once per process); nil for an open network.
	Key *secure.NetworkKey
	// DeviceName is this device's name for people, registered with the
	// tracker ("" DefaultDeviceName()). It must pass
	// wire.ValidateDeviceName.
	DeviceName string

	// Discovery tunes LAN discovery (interfaces, port) for hosting and
	// following a network by name.
	Discovery []discovery.Option
	Logger    *slog.Logger
	// ServeLogger, if set, logs the node (index, chunk server, tracker
	// session) instead of Logger: enxame get keeps its serving quiet.
	ServeLogger *slog.Logger
}

// ShareOptions tune the shared folder's index.
type ShareOptions struct {
	CacheFile      string        // hash cache file ("" the default one)
	NoCache        bool          // keep no hash cache
	RescanInterval time.Duration // safety-net rescan (0 the default)
	Hidden         bool          // share hidden files and folders too
}

// Engine is a running peer. Its goroutines stop when the context given to
// Start ends; Wait waits for them.
type Engine struct {
	log       *slog.Logger
	ctx       context.Context    // the root: parent of every part's context
	cred      secure.Credentials // every server and client of this engine
	disc      []discovery.Option
	downloads *transfer.Manager // outlives node restarts
	// up and down are the process's rate limits, shared by every
	// connection; they outlive node restarts too.
	up, down *throttle.Limiter
	wg       sync.WaitGroup

	// failed is closed when a part (the node, the keeper) stopped on its
	// own with failure, before the context ended.
	failed   chan struct{}
	failOnce sync.Once
	failErr  error // set before failed is closed

	cmd sync.Mutex // serialises commands (see the package comment)

	mu      sync.Mutex
	cfg     Config            // as changed by commands
	client  *tracker.Client   // the tracker joined by address (no keeper)
	keeper  *keeperRun        // nil: joined by address only
	node    *nodeRun          // nil with NoServe
	target  target            // where the node registers
	entries map[string]*entry // downloads by key (the order is the Manager's)
	nextKey int
}

// target is where the node registers.
type target struct {
	addr    string
	canHost bool
}

// Start starts an engine with cfg. It fails (and leaves nothing running)
// when a listener cannot be opened or the shared folder is unusable.
func Start(ctx context.Context, cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DeviceName == "" {
		cfg.DeviceName = DefaultDeviceName()
	}
	if err := wire.ValidateDeviceName(cfg.DeviceName); err != nil {
		return nil, fmt.Errorf("device name %q: %w", wire.SafeText(cfg.DeviceName), err)
	}
	e := &Engine{log: log, ctx: ctx, disc: cfg.Discovery, cfg: cfg, failed: make(chan struct{}),
		cred: secure.Credentials{Identity: cfg.Identity, Key: cfg.Key, Limiter: secure.NewLimiter(0, 0, 0)},
		up:   throttle.New(cfg.MaxUpload), down: throttle.New(cfg.MaxDownload)}
	e.downloads = transfer.NewManager(transfer.Options{
		Credentials:  e.cred,
		Dir:          cmp.Or(cfg.Downloads, "."),
		Tracker:      searcher{e},
		Logger:       log.With("component", "transfer"),
		StallTimeout: cfg.StallTimeout,
		Self:         e.isSelf,
		Download:     e.down,
	})
	e.downloads.SetMaxActive(maxActiveOf(cfg.MaxActive))
	e.target = target{addr: cfg.Tracker}
	e.client = tracker.NewClientWith(cfg.Tracker, e.cred)
	fail := func(err error) (*Engine, error) {
		e.stopKeeper()
		e.client.Close()
		e.downloads.Close()
		return nil, err
	}
	switch {
	case cfg.Host:
		if err := e.startHost(); err != nil {
			return fail(err)
		}
	case cfg.Network != "":
		e.followRemembered()
	}
	if !cfg.NoServe {
		if err := e.restartNode(); err != nil {
			return fail(err)
		}
	}
	e.wg.Go(func() { e.announceLoop(ctx) })
	context.AfterFunc(ctx, func() {
		e.mu.Lock()
		c := e.client
		e.mu.Unlock()
		c.Close()
	})
	return e, nil
}

// SetRateLimits changes the upload and download limits, in bytes a second
// (0 none), at once for every connection, including those in the middle of
// an answer.
func (e *Engine) SetRateLimits(up, down int64) error {
	if e.closed() {
		return ErrClosed
	}
	e.up.SetRate(up)
	e.down.SetRate(down)
	e.mu.Lock()
	e.cfg.MaxUpload, e.cfg.MaxDownload = max(up, 0), max(down, 0)
	e.mu.Unlock()
	return nil
}

// RateLimits returns the upload and download limits, in bytes a second (0
// none).
func (e *Engine) RateLimits() (up, down int64) { return e.up.Rate(), e.down.Rate() }

// DefaultDeviceName is the device name used when none is given: the host
// name, cleaned to a valid device name, or "enxame".
func DefaultDeviceName() string {
	host, _ := os.Hostname()
	return cmp.Or(wire.SanitizeDeviceName(host), "enxame")
}

// DeviceID is this engine's device id, as others see it.
func (e *Engine) DeviceID() secure.DeviceID {
	if e.cred.Identity != nil {
		return e.cred.Identity.DeviceID()
	}
	return secure.DefaultIdentity().DeviceID()
}

// Wait waits for every goroutine of the engine; call after the context
// given to Start ended. Unfinished downloads are then paused with their
// resume state kept.
func (e *Engine) Wait() { e.wg.Wait() }

// announceLoop has the node announce again whenever the downloads'
// announceable files change, until ctx ends; then it pauses every download
// (keeping it resumable) and waits for them.
func (e *Engine) announceLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			e.downloads.Close()
			return
		case <-e.downloads.Changes():
			e.mu.Lock()
			nr := e.node
			e.mu.Unlock()
			if nr != nil {
				nr.node.Announce()
			}
		}
	}
}

// Failed is closed when a part of the engine stopped on its own: the node
// (the shared folder became unusable, its listener failed) or the hand-over
// keeper. Err then says why. A face that has nothing else to do (enxame
// share) leaves on it; the desktop app shows the error and carries on.
func (e *Engine) Failed() <-chan struct{} { return e.failed }

// Err is why the engine failed (see Failed), nil while it has not.
func (e *Engine) Err() error {
	select {
	case <-e.failed:
		return e.failErr
	default:
		return nil
	}
}

// fail records a part's failure, unless the engine is stopping anyway.
func (e *Engine) fail(err error) {
	if err == nil || e.closed() {
		return
	}
	e.failOnce.Do(func() {
		e.failErr = err
		close(e.failed)
	})
}

// closed reports whether the engine's context ended.
func (e *Engine) closed() bool { return e.ctx.Err() != nil }

// ensure the node's catalog type stays what the manager provides.
var _ peer.Catalog = (*transfer.Manager)(nil)
