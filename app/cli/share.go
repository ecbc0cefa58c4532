package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/dustin/go-humanize"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/share"
)

func init() {
	register("share", lang.L("share a folder: index it, serve its chunks, stay registered"), runShare)
}

// progressEvery is how often indexing progress is logged.
const progressEvery = 5 * time.Second

// nodeFlags are the flags share and peer have in common.
type nodeFlags struct {
	tracker, network, listen, cache, level string
	noCache, host, canHost                 bool
	hostListen                             string
	rescan                                 time.Duration
	disc                                   discFlags
	hidden                                 bool
	sec                                    secFlags
	rates                                  rateFlags   // registered by each subcommand
	cred                                   credentials // loaded by prepare
}

func (nf *nodeFlags) register(fs *flag.FlagSet, defaultLevel string) {
	fs.StringVar(&nf.tracker, "tracker", "", "tracker `address` (host:port); without it the network is found on the LAN")
	fs.StringVar(&nf.network, "network", "", "network `name`: without -tracker, join the one of this name found on the LAN; with -host, the name announced; with -can-host, the network kept alive")
	fs.StringVar(&nf.listen, "listen", ":0", "`address` the chunk server listens on (:0 picks a free port)")
	fs.StringVar(&nf.cache, "cache", "", "hash cache `file` (default: in the user cache folder, see docs/PEER.md)")
	fs.BoolVar(&nf.noCache, "no-cache", false, "do not keep a hash cache (hash everything at every start)")
	fs.BoolVar(&nf.hidden, "hidden", false, "share hidden files and folders too (names starting with '.'); .enxameignore files are never shared")
	fs.DurationVar(&nf.rescan, "rescan", share.DefaultRescanInterval, "`interval` of the safety-net full rescan")
	fs.StringVar(&nf.level, "log-level", defaultLevel, "log `level`: debug, info, warn or error")
	fs.BoolVar(&nf.host, "host", false, "host the network: run a tracker in this process, announced on the LAN under -network (default the host name)")
	fs.BoolVar(&nf.canHost, "can-host", false, "take over hosting the network if its tracker leaves (hand-over; see docs/DISCOVERY.md)")
	fs.StringVar(&nf.hostListen, "host-listen", ":0", "`address` a hosted tracker listens on (-host, -can-host)")
	nf.disc.register(fs)
	nf.sec.register(fs, true)
}

// check validates the flags; it returns a usage complaint or "".
func (nf *nodeFlags) check() (slog.Level, string) {
	lvl, err := logLevel(nf.level)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("bad -log-level %q", nf.level)
	case nf.rescan < time.Second:
		return 0, "-rescan must be at least 1s"
	case nf.disc.check() != "":
		return 0, nf.disc.check()
	case nf.sec.check() != "":
		return 0, nf.sec.check()
	case nf.rates.check() != "":
		return 0, nf.rates.check()
	case nf.host && nf.tracker != "":
		return 0, "-host and -tracker exclude each other (a host is its own tracker)"
	case nf.canHost && nf.tracker != "" && nf.network == "":
		return 0, "-can-host with -tracker needs -network NAME (the network to keep alive)"
	case nf.network != "" && discovery.ValidateName(nf.network) != nil:
		return 0, fmt.Sprintf("bad -network: %v", discovery.ValidateName(nf.network))
	}
	return lvl, ""
}

// resolve finds the tracker on the LAN when -tracker was not given.
func (nf *nodeFlags) resolve(ctx context.Context, log *slog.Logger) error {
	if nf.host && nf.network == "" {
		nf.network = discovery.DefaultName()
	}
	if nf.tracker != "" || nf.host {
		return nil
	}
	f, err := findTracker(ctx, nf.network, &nf.disc, log)
	if err != nil {
		return err
	}
	nf.tracker = f.addr
	if nf.network == "" {
		nf.network = f.net.Name
	}
	return nil
}

// prepare finds the tracker (resolve), loads the device identity and the
// network key, and, when joining a tracker, checks that the passphrase is
// welcome there, so that a wrong one fails at once.
func (nf *nodeFlags) prepare(ctx context.Context, log *slog.Logger) error {
	if err := nf.resolve(ctx, log); err != nil {
		return err
	}
	cred, err := nf.sec.load()
	if err != nil {
		return err
	}
	nf.cred = cred
	if nf.tracker != "" && !nf.host {
		return cred.checkMembership(ctx, nf.tracker)
	}
	return nil
}

// engineConfig is the engine configuration of the common flags, sharing
// dir ("" none).
func (nf *nodeFlags) engineConfig(dir string, log *slog.Logger) engine.Config {
	return engine.Config{
		Tracker:     nf.tracker,
		Network:     nf.network,
		Host:        nf.host,
		HostListen:  nf.hostListen,
		CanHost:     nf.canHost,
		ShareDir:    dir,
		Share:       engine.ShareOptions{CacheFile: nf.cache, NoCache: nf.noCache, RescanInterval: nf.rescan, Hidden: nf.hidden},
		Listen:      nf.listen,
		Discovery:   nf.disc.options(),
		Logger:      log,
		Identity:    nf.cred.id,
		Key:         nf.cred.key,
		DeviceName:  nf.sec.device,
		MaxUpload:   nf.rates.up,
		MaxDownload: nf.rates.down,
	}
}

// runEngine waits until ctx ends or the engine fails, logging indexing
// progress sparsely, then waits for the engine to stop. It returns the
// engine's failure, if any.
func runEngine(ctx context.Context, e *engine.Engine, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { reportProgress(ctx, e, log) })
	select {
	case <-ctx.Done():
	case <-e.Failed():
	}
	cancel()
	wg.Wait()
	return e.Err()
}

// reportProgress logs hashing progress every progressEvery while a scan
// hashes, and once when the first scan is done.
func reportProgress(ctx context.Context, e *engine.Engine, log *slog.Logger) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	ready := false
	var lastLog time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p := e.Snapshot().Share
		if p.Scanning && p.HashBytes > 0 && time.Since(lastLog) >= progressEvery {
			lastLog = time.Now()
			log.Info("Indexing", "done", humanize.IBytes(uint64(p.HashBytesDone)), "total", humanize.IBytes(uint64(p.HashBytes)),
				"files", fmt.Sprintf("%d/%d", p.HashFilesDone, p.HashFiles))
		}
		if !ready && !p.Scanning && !p.LastScan.IsZero() {
			ready = true
			log.Info("Index ready", "files", p.Files, "size", humanize.IBytes(uint64(p.Bytes)), "skipped", skippedSummary(p.Skipped))
		}
	}
}

func skippedSummary(s share.Skipped) string {
	return fmt.Sprintf("hidden=%d ignored=%d outside-links=%d folder-links=%d special=%d unreadable=%d partial=%d bad-names=%d still-writing=%d",
		s.Hidden, s.Ignored, s.Outside, s.DirLinks, s.Special, s.Unreadable, s.Partial, s.BadName, s.Unsettled)
}

func runShare(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("share", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var nf nodeFlags
	nf.register(fs, "info")
	nf.rates.register(fs, false)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame share [-tracker ADDR | -network NAME] [-listen ADDR] [-max-upload RATE] DIR")
		fmt.Fprintln(env.Stderr, "\nShares DIR (subfolders included): indexes it, serves its chunks, registers")
		fmt.Fprintln(env.Stderr, "with the tracker and announces changes. Without -tracker the network is found")
		fmt.Fprintln(env.Stderr, "on the LAN. Logs to stderr. See docs/PEER.md and docs/CLI.md.")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	lvl, complaint := nf.check()
	if complaint == "" && fs.NArg() != 1 {
		complaint = "exactly one folder to share is required"
	}
	if complaint != "" {
		return usageError(env, fs, "%s", complaint)
	}
	log := newLogger(env.Stderr, lvl)
	if err := nf.prepare(ctx, log); err != nil {
		if ctx.Err() != nil {
			return ExitOK // interrupted while looking: leave quietly
		}
		fmt.Fprintf(env.Stderr, "enxame share: %v\n", err)
		return ExitFailure
	}
	ectx, stop := context.WithCancel(ctx)
	defer stop()
	e, err := engine.Start(ectx, nf.engineConfig(fs.Arg(0), log))
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame share: %v\n", err)
		return ExitFailure
	}
	st := e.Snapshot()
	log.Info("Sharing", "dir", st.ShareDir, "listen", st.Listen, "tracker", nf.tracker, "network", nf.network,
		"host", nf.host, "canHost", nf.canHost, "private", nf.cred.key != nil, "device", nf.sec.device, "deviceID", e.DeviceID().String())
	err = runEngine(ctx, e, log)
	stop()
	e.Wait()
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame share: %v\n", err)
		return ExitFailure
	}
	st = e.Snapshot()
	log.Info("Stopped", "served", humanize.IBytes(uint64(st.Server.BytesServed)), "connections", st.Server.Accepted)
	return ExitOK
}
