// Package vm holds the desktop app's view-models: the state the screens
// show, as data bindings fed from engine snapshots, and the commands the
// screens call, as plain methods. It imports the engine and Fyne's core,
// binding and storage packages, never widgets or dialogs.
package vm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/share"
)

// Refresh rates: progress reaches the screens at most 1/PollInterval times
// a second (4: lively enough, and each update repaints the whole window);
// the network list is asked of the tracker every ListInterval.
const (
	PollInterval = 250 * time.Millisecond
	ListInterval = 2 * time.Second
	// SearchDebounce is how long typing must pause before a search runs.
	SearchDebounce = 250 * time.Millisecond
	// SearchRefresh is how often the search on screen is asked again, so
	// that its results follow the network (files shared since, holders
	// that left).
	SearchRefresh = 3 * time.Second
	// RequestTimeout bounds one search or list round trip.
	RequestTimeout = 5 * time.Second
)

// ErrNotStarted is returned by commands used before Start.
var ErrNotStarted = errors.New("not connected to a network yet")

// App is the root view-model: the status bar's bindings, one view-model per
// tab, and the commands that change how the app is connected.
type App struct {
	fyne fyne.App
	log  *slog.Logger
	eng  *engine.Engine

	// Status bar.
	Tracker     binding.String // the tracker address in use
	Connection  binding.String // "Connected", "Connecting…", or what went wrong
	Connected   binding.Bool
	Hosting     binding.Bool
	CanHost     binding.Bool   // may take over hosting (the preference)
	NetworkName binding.String // the network followed by name, "" none
	PeersOnline binding.Int    // other computers the tracker lists (this one not counted)
	ShareDir    binding.String // the shared folder, a path
	ShareText   binding.String // "12 files · 1.2 GB" or "Indexing 3 of 12…"
	// ShareSkipped says what the shared folder holds that is not shared,
	// and why ("" nothing).
	ShareSkipped binding.String
	ShareHidden  binding.Bool // hidden files are shared too (the setting)
	// MaxUpload and MaxDownload are the rate limits (the settings) as
	// people type them: "2MiB/s", "0" for none.
	MaxUpload, MaxDownload binding.String
	Indexing               binding.Bool
	IndexFrac              binding.Float
	HostAddrs              binding.StringList  // what others type to join, when hosting
	DownloadsDir           binding.String      // where new downloads go (the setting)
	PeerErr                binding.Item[error] // why sharing stopped, nil while it runs

	// MaxActive is how many downloads run at once (the setting).
	MaxActive binding.Int

	Nearby Rows[NearbyRow] // networks heard on the LAN (see Browse)

	Search    *SearchVM
	Transfers *TransfersVM
	Network   *NetworkVM
	Share     *ShareVM

	// NoPoller leaves polling to the caller (tests call Poll themselves).
	// Set before Start.
	NoPoller bool
	// Inline runs what would run in the background on the caller's
	// goroutine instead, and searches without debounce. It is for tests
	// that drive the screens, where every widget update must stay on the
	// test's goroutine. Set before Start; implies NoPoller.
	Inline bool

	// Discovery tunes the LAN discovery (interfaces, port): for tests.
	// Set before Start and Browse.
	Discovery []discovery.Option

	// Identity is this device's identity; nil loads (or makes) the one in
	// the user's config folder at Start (engine.LoadIdentity). Set before
	// Start.
	Identity *secure.Identity

	// OnDone is called (from the poller; wrap widget work in fyne.Do) when
	// a download completes.
	OnDone func(TransferRow)

	keys keys // the private network's key, derived once per passphrase

	connMu sync.Mutex // setConnection's, held while it sets Connected and Connection

	mu         sync.Mutex
	settings   Settings
	parent     context.Context // what Start was given: a restart starts from it
	ctx        context.Context // the app's root, cancelled by Close
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	pollWG     sync.WaitGroup // the poller, stopped on a restart
	lastList   time.Time
	registered string              // the tracker registered with at the last poll, "" none
	heard      []discovery.Network // last heard on the LAN
	ownAddrs   []string            // the embedded tracker's addresses (LAN, and the one in use)
	// lost is the tracker that stopped answering the peer list, at lostAt
	// ("" none): the status says so before the session's next heartbeat
	// (seconds later) finds out.
	lost   string
	lostAt time.Time
	// reached is the last tracker that answered this app ("" none yet).
	reached string
}

// New returns the view-model for app a, not yet connected.
func New(a fyne.App, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &App{
		fyne:         a,
		log:          log,
		Tracker:      binding.NewString(),
		Connection:   binding.NewString(),
		Connected:    binding.NewBool(),
		Hosting:      binding.NewBool(),
		CanHost:      binding.NewBool(),
		NetworkName:  binding.NewString(),
		PeersOnline:  binding.NewInt(),
		ShareDir:     binding.NewString(),
		ShareText:    binding.NewString(),
		ShareSkipped: binding.NewString(),
		ShareHidden:  binding.NewBool(),
		MaxUpload:    binding.NewString(),
		MaxDownload:  binding.NewString(),
		MaxActive:    binding.NewInt(),
		Indexing:     binding.NewBool(),
		IndexFrac:    binding.NewFloat(),
		HostAddrs:    binding.NewStringList(),
		DownloadsDir: binding.NewString(),
		PeerErr:      binding.NewItem(func(a, b error) bool { return errText(a) == errText(b) }),
		Nearby:       newRows(nearbyEqual),
	}
	v.Search = newSearchVM(v)
	v.Transfers = newTransfersVM(v)
	v.Network = newNetworkVM(v)
	v.Share = newShareVM(v)
	_ = v.Connection.Set(lang.L("Not connected"))
	return v
}

// Settings returns the settings the app runs with.
func (v *App) Settings() Settings {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settings
}

// Start joins (or hosts) the network with s and starts the poller that
// feeds the bindings. It returns when the engine is up or failed to start;
// everything stops when ctx ends or Close is called.
func (v *App) Start(ctx context.Context, s Settings) error {
	v.mu.Lock()
	if v.cancel != nil {
		v.mu.Unlock()
		return errors.New("already started")
	}
	v.parent = ctx
	ctx, cancel := context.WithCancel(ctx)
	v.cancel = cancel
	v.ctx = ctx
	s.Passphrase = NormalizePassphrase(s.Passphrase)
	v.settings = s
	v.mu.Unlock()

	cfg := v.configOf(s)
	var err error
	cfg.Identity, err = v.identity()
	if err == nil {
		cfg.Key, err = v.keys.of(s.Passphrase)
	}
	if err == nil && !s.Host && s.Tracker != "" {
		// A wrong passphrase fails here, at once, in words.
		err = engine.CheckMembership(ctx, s.Tracker, cfg.Identity, cfg.Key)
	}
	var n *engine.Engine
	if err == nil {
		n, err = engine.Start(ctx, cfg)
	}
	if err != nil && s.Host && s.Network != "" && IsAddrInUse(err) {
		// A host that comes back while another computer hosts its network
		// (it took over; here, on the same computer, it holds the port):
		// rejoin the network by name instead of failing.
		v.log.Warn("Cannot host the network again (the port is taken); following it by name", "network", s.Network, "error", err)
		s.Host, cfg.Host = false, false
		v.mu.Lock()
		v.settings = s
		v.mu.Unlock()
		n, err = engine.Start(ctx, cfg)
	}
	if err != nil {
		cancel()
		v.mu.Lock()
		v.cancel = nil
		v.mu.Unlock()
		return err
	}
	v.mu.Lock()
	v.eng = n
	heard := v.heard
	v.mu.Unlock()
	_ = v.CanHost.Set(s.CanHost)
	_ = v.ShareHidden.Set(s.ShareHidden)
	_ = v.MaxUpload.Set(FormatRate(s.MaxUpload))
	_ = v.MaxDownload.Set(FormatRate(s.MaxDownload))
	_ = v.DownloadsDir.Set(s.Downloads)
	_ = v.MaxActive.Set(ClampMaxActive(s.MaxActive))
	// A network already heard at the tracker's address is followed by name.
	n.FollowHeard(heard)
	v.SavePrefs() // a tracker typed by address only once it answers:
	if !s.Host && s.Network == "" && s.Tracker != "" {
		v.Background(func() {
			pctx, cancel := context.WithTimeout(ctx, RequestTimeout)
			defer cancel()
			if n.Probe(pctx, s.Tracker) == nil {
				v.noteReached(s.Tracker)
			}
		})
	}
	if err := savePassphrase(s.Passphrase); err != nil {
		v.log.Warn("Cannot remember the network's passphrase; it will be asked again", "error", err)
	}
	// Downloads left unfinished last time resume from the chunks on disk;
	// those the user had paused come back paused.
	if kept := v.Transfers.loadFinished(LoadDone(v.fyne.Preferences())); kept != nil {
		prefs := v.fyne.Preferences()
		fyne.Do(func() { SaveDone(prefs, kept) }) // forget the files gone or changed since
	}
	pending := LoadPending(v.fyne.Preferences())
	v.Transfers.mu.Lock()
	v.Transfers.pending = pending // what Preferences hold now
	v.Transfers.mu.Unlock()
	for _, p := range pending {
		start := n.Download
		if p.Paused {
			start = n.AddPaused
		}
		v.Transfers.noteSize(p.ID, p.Size)
		if _, err := start(engine.Request{Name: p.Name, ID: p.ID, Dir: p.Dir, Folder: p.Folder}); err != nil {
			v.log.Warn("Cannot resume a download", "name", p.Name, "error", err)
		}
	}
	v.Poll(ctx, time.Now())
	if !v.NoPoller && !v.Inline {
		v.pollWG.Go(func() { v.pollLoop(ctx) })
	}
	return nil
}

// IsAddrInUse reports a listener's "address already in use", on Unix
// (EADDRINUSE) and on Windows (WSAEADDRINUSE, 10048), whose numbers
// differ. The window's words (ui.Describe) use it too.
func IsAddrInUse(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == syscall.EADDRINUSE || errno == 10048)
}

// restart stops the engine and starts a new one with s: how the app
// changes to a network with another passphrase (every connection's
// credentials change). Unfinished downloads stop resumable and come back
// from the chunks on disk, as after a restart of the app. When s cannot
// start, the settings before are started again and the error returned.
func (v *App) restart(s Settings) error {
	v.mu.Lock()
	cancel, n, parent, old := v.cancel, v.eng, v.parent, v.settings
	v.mu.Unlock()
	if cancel == nil {
		return ErrNotStarted
	}
	cancel()
	v.pollWG.Wait()
	if n != nil {
		n.Wait()
	}
	v.mu.Lock()
	v.cancel, v.eng = nil, nil
	v.mu.Unlock()
	v.networkChanged()
	err := v.Start(parent, s)
	if err == nil {
		return nil
	}
	v.log.Warn("Cannot change network; back to the one before", "error", err)
	if err2 := v.Start(parent, old); err2 != nil {
		v.log.Error("Cannot rejoin the network before either", "error", err2)
	}
	return err
}

// Close leaves the network (unregistering, keeping partial downloads
// resumable) and waits for every goroutine the view-model started.
func (v *App) Close() {
	v.mu.Lock()
	cancel, n := v.cancel, v.eng
	v.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	v.Search.stop()
	v.pollWG.Wait()
	v.wg.Wait()
	if n != nil {
		n.Wait()
	}
}

// SavePrefs remembers the current settings. A tracker typed by address
// is remembered only once it answered (this peer registered with it, or
// Join asked it): a dead address would otherwise be the next start's.
func (v *App) SavePrefs() {
	s := v.Settings()
	v.mu.Lock()
	reached := v.reached
	v.mu.Unlock()
	if !s.Host && s.Network == "" && s.Tracker != reached {
		s.Tracker = "" // SaveSettings keeps the one remembered before
	}
	fyne.Do(func() { SaveSettings(v.fyne.Preferences(), s) })
}

// noteReached records that the tracker at addr answered, and remembers
// the settings when it is the one they name.
func (v *App) noteReached(addr string) {
	v.mu.Lock()
	changed := addr != "" && addr != v.reached
	if changed {
		v.reached = addr
	}
	named := addr == v.settings.Tracker
	v.mu.Unlock()
	if changed && named {
		v.SavePrefs()
	}
}

// rememberNetwork keeps the remembered network current with the engine:
// the name of the network followed ("" for a tracker joined by address
// only), its instance id, and, after a hand-over, the tracker now in use
// (not while the user hosts: Tracker then stays the network used before),
// so that the next start finds the network even if its host left while
// the app was closed. Preferences are written only when they change.
func (v *App) rememberNetwork(st Snapshot) {
	v.mu.Lock()
	s := &v.settings
	changed := false
	set := func(p *string, to string) {
		if *p != to {
			*p, changed = to, true
		}
	}
	if st.Network != s.Network {
		set(&s.Network, st.Network)
		set(&s.NetworkID, "")
	}
	if st.Network == "" {
		set(&s.NetworkID, "")
	} else if st.Instance != "" {
		set(&s.NetworkID, st.Instance)
	}
	if st.Network != "" && !s.Host && st.Tracker != "" {
		set(&s.Tracker, st.Tracker)
	}
	v.mu.Unlock()
	if changed {
		v.SavePrefs()
	}
}

func (v *App) engine() (*engine.Engine, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.eng == nil {
		return nil, ErrNotStarted
	}
	return v.eng, nil
}

// isSelf reports whether addr is this computer's own chunk server
// (false before the engine starts).
func (v *App) isSelf(addr string) bool {
	e, err := v.engine()
	return err == nil && e.IsSelf(addr)
}

// pollLoop takes engine snapshots every PollInterval until ctx ends. This
// is the coalescing point: however fast the engine changes, the screens
// see at most four updates a second (PollInterval): each one repaints
// the whole window, which costs real CPU under software OpenGL (see
// docs/BENCHMARKS.md, "Desktop app").
func (v *App) pollLoop(ctx context.Context) {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			v.Poll(ctx, now)
		}
	}
}

// Poll takes one round of snapshots and sets the bindings that changed.
// The poller calls it; tests call it directly.
func (v *App) Poll(ctx context.Context, now time.Time) {
	n, err := v.engine()
	if err != nil {
		return
	}
	st := n.Snapshot()
	if st.Registered {
		v.noteReached(st.RegisteredWith)
	}
	v.rememberNetwork(st)
	_ = v.Tracker.Set(st.Tracker)
	_ = v.Hosting.Set(st.Hosting)
	_ = v.NetworkName.Set(SafeText(st.Network))
	v.setConnection(st)
	_ = v.PeerErr.Set(st.PeerErr)
	if st.Hosting {
		_ = v.HostAddrs.Set(st.HostAddrs)
	} else {
		_ = v.HostAddrs.Set(nil)
	}
	v.mu.Lock()
	own := st.HostAddrs
	if st.Hosting && st.Tracker != "" {
		own = append(slices.Clone(own), st.Tracker) // heard so on loopback
	}
	ownChanged := !slices.Equal(v.ownAddrs, own)
	v.ownAddrs = own
	v.mu.Unlock()
	if ownChanged {
		v.updateNearby()
	}

	sp := st.Share
	_ = v.ShareDir.Set(st.ShareDir)
	_ = v.Indexing.Set(sp.Scanning)
	frac := 1.0
	if sp.Scanning && sp.HashBytes > 0 {
		frac = float64(sp.HashBytesDone) / float64(sp.HashBytes)
	}
	_ = v.IndexFrac.Set(frac)
	files, bytes := v.Share.update(n, st)
	_ = v.ShareText.Set(shareText(st.ShareDir, sp, files, bytes))
	_ = v.ShareSkipped.Set(skippedText(sp.Skipped))
	v.Share.updateFolders(st)

	v.Transfers.update(st.Transfers)
	v.Network.updateHost(st.Host)

	v.mu.Lock()
	// Ask for the peers every ListInterval, and at once when this peer
	// (re)registers, with this tracker or a new one (a hand-over): the
	// list then changed for sure.
	regWith := ""
	if st.Registered {
		regWith = cmp.Or(st.RegisteredWith, st.Tracker)
	}
	newSession := regWith != "" && regWith != v.registered
	due := now.Sub(v.lastList) >= ListInterval || newSession
	v.registered = regWith
	if due {
		v.lastList = now
	}
	v.mu.Unlock()
	if due {
		v.Background(func() { _ = v.Network.Refresh(ctx) })
	}
	if v.Search.refreshDue(now, newSession) {
		v.Background(func() { v.Search.refresh(ctx) })
	}
}

// setConnection sets the status bar's connection from st and from what
// the last peer list found (a tracker that no longer answers).
func (v *App) setConnection(st Snapshot) {
	// The poller and a failed peer list both set the pair: one at a time,
	// so the light and the words never disagree.
	v.connMu.Lock()
	defer v.connMu.Unlock()
	v.mu.Lock()
	lost := v.lost != "" && v.lost == st.Tracker && !st.LastContact.After(v.lostAt)
	if !lost {
		v.lost = ""
	}
	v.mu.Unlock()
	if lost && st.PeerErr == nil {
		_ = v.Connected.Set(false)
		_ = v.Connection.Set(lostText(st))
		return
	}
	_ = v.Connected.Set(st.Registered)
	_ = v.Connection.Set(connectionText(st))
}

// trackerLost records that the tracker at addr did not answer at all, and
// shows it at once.
func (v *App) trackerLost(addr string) {
	if addr == "" {
		return
	}
	v.mu.Lock()
	if v.lost != addr {
		v.lost, v.lostAt = addr, time.Now()
	}
	n := v.eng
	v.mu.Unlock()
	if n != nil {
		v.setConnection(n.Snapshot())
	}
}

// trackerAnswered forgets a lost tracker: the peer list came back.
func (v *App) trackerAnswered() {
	v.mu.Lock()
	v.lost = ""
	v.mu.Unlock()
}

func lostText(st Snapshot) string {
	if st.Network != "" {
		return lang.L("Lost the host of {{.Network}}… looking for it", map[string]any{"Network": SafeText(st.Network)})
	}
	return lang.L("Lost the host at {{.Addr}}… Enxame keeps trying.", map[string]any{"Addr": st.Tracker})
}

func connectionText(st Snapshot) string {
	switch {
	case st.PeerErr != nil:
		return lang.L("Not sharing or connected: the shared folder could not be used (see My share)")
	case st.Tracker == "" && st.Network != "":
		return lang.L("The host of {{.Network}} left; waiting for another computer to host it…", map[string]any{"Network": SafeText(st.Network)})
	case st.Tracker == "":
		return lang.L("Not connected to a tracker")
	case st.Registered:
		return lang.L("Connected")
	case st.LastError != "" && st.Addr != "":
		return lostText(st) // it was registered there before
	case st.LastError != "":
		return lang.L("Cannot reach the tracker at {{.Addr}}; Enxame keeps trying.", map[string]any{"Addr": st.Tracker})
	}
	return lang.L("Connecting to {{.Addr}}…", map[string]any{"Addr": st.Tracker})
}

// shareText words what is shared: files and bytes counts the shared
// folder's files and the finished downloads served with them.
func shareText(dir string, p share.Progress, nfiles int, bytes int64) string {
	if dir == "" && nfiles == 0 {
		return lang.L("Not sharing a folder")
	}
	s := fmt.Sprintf("%s · %s", files(nfiles), Size(bytes))
	if p.Scanning && p.HashFiles > 0 {
		s += " · " + lang.L("indexing {{.Done}} of {{.Total}}", map[string]any{"Done": p.HashFilesDone, "Total": p.HashFiles})
	} else if p.Scanning {
		s += " · " + lang.L("looking for files…")
	}
	return s
}

// SetHosting starts or stops the embedded tracker. Call from a goroutine:
// it waits for the network to reconnect.
func (v *App) SetHosting(on bool) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := n.Host(on); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.Host = on
	heard := v.heard
	v.mu.Unlock()
	if !on {
		n.FollowHeard(heard) // back in a network heard by name
	}
	v.networkChanged()
	v.SavePrefs()
	v.Poll(v.rootCtx(), time.Now())
	return nil
}

// Join switches to the tracker at addr (and stops hosting), with the
// passphrase in use. A network heard on the LAN at addr is followed by
// its name through hand-overs. A private network this app has no (or the
// wrong) passphrase for fails at once (ErrNeedsPassphrase,
// ErrWrongPassphrase), and a tracker that does not answer is not joined
// (nor remembered): the app stays where it was and the error says why.
// Call from a goroutine.
func (v *App) Join(addr string) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	if err := v.checkMembership(v.rootCtx(), addr, v.Settings().Passphrase); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(v.rootCtx(), RequestTimeout)
	err = n.Probe(ctx, addr)
	cancel()
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.reached = addr
	v.mu.Unlock()
	if err := n.Join(addr, v.heardAt(addr)); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.Host = false
	v.settings.Tracker = addr
	v.mu.Unlock()
	v.networkChanged()
	v.SavePrefs()
	v.Poll(v.rootCtx(), time.Now())
	return nil
}

// JoinNetwork switches to the tracker at addr with passphrase ("" an
// open network). The same passphrase as now is Join; another one restarts
// the engine with the new key, after the tracker accepted it: a wrong one
// fails at once (ErrWrongPassphrase, ErrNeedsPassphrase, ErrNotPrivate),
// nothing changed.
func (v *App) JoinNetwork(addr, passphrase string) error {
	passphrase = NormalizePassphrase(passphrase)
	if err := ValidateTrackerAddr(addr); err != nil {
		return err
	}
	s := v.Settings()
	if passphrase == s.Passphrase {
		return v.Join(addr)
	}
	if err := v.checkMembership(v.rootCtx(), addr, passphrase); err != nil {
		return err
	}
	s.Host, s.Tracker, s.Passphrase = false, addr, passphrase
	s.Network, s.NetworkID = "", ""
	if h := v.heardAt(addr); h != nil {
		s.Network, s.NetworkID = h.Name, h.ID
	}
	return v.restart(s)
}

// HostNetwork hosts a network here with passphrase ("" open), restarting
// the engine when the passphrase changes (see SetHosting otherwise).
func (v *App) HostNetwork(passphrase string) error {
	passphrase = NormalizePassphrase(passphrase)
	s := v.Settings()
	if passphrase == s.Passphrase {
		return v.SetHosting(true)
	}
	if _, err := v.keys.of(passphrase); err != nil {
		return err
	}
	s.Host, s.Passphrase, s.Network, s.NetworkID = true, passphrase, "", ""
	return v.restart(s)
}

// Private reports whether the app is on a private network (it has a
// passphrase).
func (v *App) Private() bool { return v.Settings().Passphrase != "" }

// SetDownloads makes dir (created if needed) the folder new downloads go
// to, and remembers it; downloads already started finish where they are
// (their folder is part of their request, kept across restarts).
func (v *App) SetDownloads(dir string) error {
	if dir == "" {
		return errors.New("no downloads folder given")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.Downloads = dir
	v.mu.Unlock()
	_ = v.DownloadsDir.Set(dir)
	v.SavePrefs()
	return nil
}

// SetCanHost allows or forbids this computer to take over hosting when
// the host of its network leaves, at once, and remembers it.
func (v *App) SetCanHost(on bool) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	n.SetCanHost(on)
	v.mu.Lock()
	v.settings.CanHost = on
	v.mu.Unlock()
	_ = v.CanHost.Set(on)
	v.SavePrefs()
	return nil
}

// heardAt is the network heard on the LAN at addr, nil none.
func (v *App) heardAt(addr string) *discovery.Network {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, h := range v.heard {
		if h.Version == discovery.ProtocolVersion && slices.Contains(h.Addrs, addr) {
			return &h
		}
	}
	return nil
}

// networkChanged forgets the old network's peers and errors and asks the
// new tracker at the next poll (the peers, and the search on screen).
func (v *App) networkChanged() {
	v.mu.Lock()
	v.lastList = time.Time{}
	v.registered = ""
	v.mu.Unlock()
	_ = v.Network.Err.Set(nil)
	_ = v.Search.Err.Set(nil)
	_ = v.Network.Peers.Set(nil)
	_ = v.PeersOnline.Set(0)
	_ = v.Network.Status.Set(lang.L("Asking the tracker…"))
}

// SetShareDir shares dir instead of the current folders.
func (v *App) SetShareDir(dir string) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := n.SetShareDir(dir); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.ShareDir, v.settings.ShareDirs = dir, nil
	v.mu.Unlock()
	v.SavePrefs()
	v.Poll(v.rootCtx(), time.Now())
	return nil
}

// SetShareHidden shares the hidden files and folders of the shared folder
// too, or stops sharing them, and remembers it. Call from a goroutine: the
// folder is indexed again.
func (v *App) SetShareHidden(on bool) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	if err := n.SetShareHidden(on); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.ShareHidden = on
	v.mu.Unlock()
	_ = v.ShareHidden.Set(on)
	v.SavePrefs()
	v.Poll(v.rootCtx(), time.Now())
	return nil
}

// SetRateLimits changes the upload and download limits (bytes a second,
// 0 none) at once, for every connection, and remembers them.
func (v *App) SetRateLimits(up, down int64) error {
	n, err := v.engine()
	if err != nil {
		return err
	}
	up, down = max(up, 0), max(down, 0)
	if err := n.SetRateLimits(up, down); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.MaxUpload, v.settings.MaxDownload = up, down
	v.mu.Unlock()
	_ = v.MaxUpload.Set(FormatRate(up))
	_ = v.MaxDownload.Set(FormatRate(down))
	v.SavePrefs()
	return nil
}

// SetMaxActive runs at most n downloads at once (clamped to 1 to
// MaxMaxActive), the others waiting queued, and remembers it. Raising it
// starts queued downloads at once; lowering it stops none.
func (v *App) SetMaxActive(n int) error {
	eng, err := v.engine()
	if err != nil {
		return err
	}
	n = ClampMaxActive(n)
	if err := eng.SetMaxActive(n); err != nil {
		return err
	}
	v.mu.Lock()
	v.settings.MaxActive = n
	v.mu.Unlock()
	_ = v.MaxActive.Set(n)
	v.SavePrefs()
	v.Transfers.update(eng.Snapshot().Transfers)
	return nil
}

// Background runs f in a goroutine Close waits for (inline with Inline).
func (v *App) Background(f func()) {
	if v.Inline {
		f()
		return
	}
	v.wg.Go(f)
}

// rootCtx is the context Start was given (cancelled by Close).
func (v *App) rootCtx() context.Context {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ctx == nil {
		return context.Background()
	}
	return v.ctx
}

func itoa(n int) string { return fmt.Sprint(n) }
