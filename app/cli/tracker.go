package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/secure"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

func init() {
	register("tracker", lang.L("run a headless tracker"), runTracker)
}

func runTracker(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("tracker", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	listen := fs.String("listen", fmt.Sprintf(":%d", wire.DefaultTrackerPort), "`address` to listen on")
	heartbeat := fs.Duration("heartbeat", wire.DefaultHeartbeatInterval, "heartbeat `interval` told to peers")
	timeout := fs.Duration("timeout", wire.DefaultPeerTimeout, "`silence` after which a peer is dropped")
	maxConns := fs.Int("max-conns", tracker.DefaultMaxConns, "most connections open at once")
	maxConnsIP := fs.Int("max-conns-per-ip", tracker.DefaultMaxConnsPerIP, "most connections open at once from one IP")
	maxFiles := fs.Int("max-files", tracker.DefaultMaxFilesPerPeer, "most files one peer may announce")
	maxPeers := fs.Int("max-peers", tracker.DefaultMaxPeers, "most peers registered at once")
	maxIndexed := fs.Int("max-indexed-files", tracker.DefaultMaxIndexedFiles, "most (peer, file) pairs indexed at once")
	maxIndexMiB := fs.Int64("max-index-mib", tracker.DefaultMaxIndexBytes>>20, "bound on the index's estimated memory, in MiB")
	maxPeersIP := fs.Int("max-peers-per-ip", 0, "most peers registered from one IP (default 1024, at most a twentieth of -max-peers)")
	maxIndexedIP := fs.Int("max-indexed-files-per-ip", 0, "most (peer, file) pairs indexed from one IP (default a twentieth of -max-indexed-files)")
	maxIndexMiBIP := fs.Int64("max-index-mib-per-ip", 0, "one IP's share of the index's estimated memory, in MiB (default a twentieth of -max-index-mib)")
	idle := fs.Duration("idle-timeout", 0, "close a connection silent this long (default max(60s, 3 × heartbeat))")
	lineTimeout := fs.Duration("line-timeout", tracker.DefaultLineTimeout, "time to finish a request line once started")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	name := fs.String("name", discovery.DefaultName(), "network `name` announced on the LAN")
	announce := fs.String("announce", "auto", "announce the network on the LAN: `auto` (unless listening on loopback only), on or off")
	var df discFlags
	df.register(fs)
	var sf secFlags
	sf.register(fs, false)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame tracker [-listen ADDR] [-heartbeat DUR] [-timeout DUR] [-name NAME] [-announce auto|on|off] [limits]")
		fmt.Fprintln(env.Stderr, "\nRuns a tracker in the foreground, logging to stderr. See docs/TRACKER.md.")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	lvl, err := logLevel(*level)
	bad := func(format string, a ...any) int { return usageError(env, fs, format, a...) }
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case err != nil:
		return bad("bad -log-level %q", *level)
	case *heartbeat < 10*time.Millisecond:
		return bad("-heartbeat must be at least 10ms")
	case *timeout <= *heartbeat:
		return bad("-timeout (%s) must be longer than -heartbeat (%s)", *timeout, *heartbeat)
	case *maxConns < 1 || *maxConnsIP < 1 || *maxFiles < 1 || *maxPeers < 1 || *maxIndexed < 1 || *maxIndexMiB < 1:
		return bad("limits must be positive")
	case *maxPeersIP < 0 || *maxIndexedIP < 0 || *maxIndexMiBIP < 0:
		return bad("per-IP limits must be positive (or 0 for the default)")
	case *maxFiles > wire.MaxFilesPerPeer:
		return bad("-max-files is at most %d", wire.MaxFilesPerPeer)
	case *idle < 0 || *lineTimeout <= 0:
		return bad("-idle-timeout and -line-timeout must be positive")
	case *announce != "auto" && *announce != "on" && *announce != "off":
		return bad("-announce must be auto, on or off")
	case df.check() != "":
		return bad("%s", df.check())
	}
	if err := discovery.ValidateName(*name); err != nil {
		return bad("bad -name: %v", err)
	}

	log := newLogger(env.Stderr, lvl)
	cred, err := sf.load()
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame tracker: %v\n", err)
		return ExitFailure
	}
	// No TCP keep-alive probes: the idle timeout already closes silent
	// connections, and each accepted connection saves four system calls.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame tracker: %v\n", err)
		return ExitFailure
	}
	srv := tracker.NewServer(tracker.Config{
		HeartbeatInterval: *heartbeat,
		PeerTimeout:       *timeout,
		MaxConns:          *maxConns,
		MaxConnsPerIP:     *maxConnsIP,
		IdleTimeout:       *idle,
		LineTimeout:       *lineTimeout,
		Registry: tracker.RegistryConfig{
			MaxFilesPerPeer: *maxFiles,
			MaxPeers:        *maxPeers,
			MaxIndexedFiles: *maxIndexed,
			MaxIndexBytes:   *maxIndexMiB << 20,
			MaxPeersPerIP:   *maxPeersIP,

			MaxIndexedFilesPerIP: *maxIndexedIP,
			MaxIndexBytesPerIP:   *maxIndexMiBIP << 20,
		},
		Credentials: secure.Credentials{Identity: cred.id, Key: cred.key},
		Logger:      log,
	})
	cfg := srv.Config()
	log.Info("Tracker listening", "addr", ln.Addr().String(), "heartbeat", cfg.HeartbeatInterval, "timeout", cfg.PeerTimeout,
		"maxConns", cfg.MaxConns, "maxConnsPerIP", cfg.MaxConnsPerIP, "maxFilesPerPeer", srv.Registry().Config().MaxFilesPerPeer,
		"private", cred.key != nil, "deviceID", cred.id.DeviceID().String())
	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if shouldAnnounce(*announce, ln.Addr()) {
		port := ln.Addr().(*net.TCPAddr).Port
		wg.Go(func() { announceTracker(ctx, *name, port, srv, cred.key, &df, log) })
	} else {
		log.Info("Not announcing the network on the LAN", "announce", *announce, "listen", ln.Addr().String())
	}
	err = srv.Serve(ctx, ln)
	stop()
	wg.Wait()
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame tracker: serving: %v\n", err)
		return ExitFailure
	}
	st := srv.Stats()
	log.Info("Tracker stopped", "peers", st.Peers, "indexedFiles", st.Files, "connections", st.ConnsTotal, "requests", st.Requests)
	return ExitOK
}

// shouldAnnounce applies -announce: auto announces unless the tracker
// listens on loopback only, where nobody on the LAN could reach it.
func shouldAnnounce(mode string, addr net.Addr) bool {
	switch mode {
	case "on":
		return true
	case "off":
		return false
	}
	ta, ok := addr.(*net.TCPAddr)
	return !ok || !ta.IP.IsLoopback()
}

// announceTracker announces srv on the LAN as name until ctx ends, with
// its live peer count; a private network's beacons (key set) carry their
// MAC. A failure is logged: the tracker keeps serving.
func announceTracker(ctx context.Context, name string, port int, srv *tracker.Server, key *secure.NetworkKey, df *discFlags, log *slog.Logger) {
	a := discovery.Announcement{Name: name, Port: port, Peers: func() int { return srv.Stats().Peers }}
	if secret, ok := srv.Secret(); ok && key != nil {
		a.MAC = secure.DeriveBeaconKey(key, secret).MAC
	}
	if err := discovery.Announce(ctx, a, log, df.options()...); err != nil {
		log.Warn("Not announcing the network on the LAN", "error", err)
	}
}
