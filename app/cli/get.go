package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

func init() {
	register("get", lang.L("download one file from every peer that has it"), runGet)
}

// Progress output pacing.
const (
	barInterval   = 100 * time.Millisecond // live bar redraw on a terminal
	plainInterval = time.Second            // plain-line check when not a terminal
	plainEvery    = 10 * time.Second       // at most one plain line per step or this long
	barWidth      = 24
)

func runGet(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	trackerAddr := fs.String("tracker", "", "tracker `address` (host:port); without it the network is found on the LAN")
	network := fs.String("network", "", "without -tracker: use the network with this `name` found on the LAN")
	var df discFlags
	df.register(fs)
	out := fs.String("o", ".", "output `folder`")
	id := fs.String("id", "", "content `id` (or a prefix of at least 8 hex characters) picking one version")
	stall := fs.Duration("stall-timeout", transfer.DefaultStallTimeout, "give up after no data for this `long` (the partial download is kept)")
	level := fs.String("log-level", "warn", "log `level`: debug, info, warn or error")
	serve := fs.Bool("serve", true, "register with the tracker and serve the verified chunks while downloading")
	listen := fs.String("listen", ":0", "`address` the chunk server listens on while serving (:0 picks a free port)")
	var sf secFlags
	sf.register(fs, true)
	var rf rateFlags
	rf.register(fs, true)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame get [-tracker ADDR | -network NAME] [-o DIR] [-id ID] [-stall-timeout DUR] [-serve=false] [-max-upload RATE] [-max-download RATE] NAME")
		fmt.Fprintln(env.Stderr, "\nDownloads NAME (a shared name, its last path element, or a content id) from every")
		fmt.Fprintln(env.Stderr, "peer that has it, verifies it and prints the saved path. When NAME is a shared")
		fmt.Fprintln(env.Stderr, "folder instead (its path, or its last element), every file under it is fetched")
		fmt.Fprintln(env.Stderr, "into -o/FOLDER/..., keeping the tree, and the folder's path is printed. While it")
		fmt.Fprintln(env.Stderr, "downloads it serves the chunks it has verified to the others. See docs/DOWNLOADS.md.")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	lvl, lerr := logLevel(*level)
	bad := func(format string, a ...any) int { return usageError(env, fs, format, a...) }
	switch {
	case fs.NArg() != 1:
		return bad("want exactly one NAME, got %d arguments", fs.NArg())
	case fs.Arg(0) == "":
		return bad("NAME is empty")
	case df.check() != "":
		return bad("%s", df.check())
	case lerr != nil:
		return bad("bad -log-level %q", *level)
	case *stall <= 0:
		return bad("-stall-timeout must be positive")
	case *id != "" && !validIDPrefix(*id):
		return bad("-id must be 8 to 64 lower-case hex characters")
	case *out == "":
		return bad("-o is empty")
	case sf.check() != "":
		return bad("%s", sf.check())
	case rf.check() != "":
		return bad("%s", rf.check())
	}

	log := newLogger(env.Stderr, lvl)
	if *trackerAddr == "" {
		f, err := findTracker(ctx, *network, &df, log)
		if err != nil {
			if ctx.Err() != nil {
				return ExitOK
			}
			fmt.Fprintf(env.Stderr, "enxame get: %v\n", err)
			return ExitFailure
		}
		*trackerAddr = f.addr
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.L("using network {{.Network}} (tracker {{.Addr}}, {{.Peers}}; found in {{.Took}})", vars{
			"Network": strconv.Quote(f.net.Name), "Addr": f.addr, "Peers": peerCount(f.net.Peers), "Took": f.took.Round(time.Millisecond)}))
	}
	cred, err := sf.load()
	if err == nil {
		err = cred.checkMembership(ctx, *trackerAddr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "enxame get: %s\n", wire.SafeText(oneLine(err)))
		return ExitFailure
	}
	ectx, stop := context.WithCancel(ctx)
	e, err := engine.Start(ectx, engine.Config{
		Identity:     cred.id,
		Key:          cred.key,
		DeviceName:   sf.device,
		Tracker:      *trackerAddr,
		Listen:       *listen,
		NoServe:      !*serve,
		Downloads:    *out,
		StallTimeout: *stall,
		// get runs its own few downloads at a time (folderConcurrency):
		// no queue of the engine's on top.
		MaxActive:   -1,
		MaxUpload:   rf.up,
		MaxDownload: rf.down,
		Logger:      log,
		// Serving is a courtesy to the others here: its complaints (a
		// tracker that does not answer) would drown the download's own
		// one-line reason, so only its errors are shown.
		ServeLogger: newLogger(env.Stderr, max(lvl, slog.LevelError)),
	})
	if err != nil {
		stop()
		fmt.Fprintf(env.Stderr, "enxame get: %v\n", err)
		return ExitFailure
	}
	// Leaving unregisters and stops serving; a download still running
	// (interrupted) is paused with its resume state kept.
	defer func() { stop(); e.Wait() }()
	if *id == "" {
		// NAME may be a folder (shared/CLI.md, "Folders"): only when no file
		// matches it. A tracker that cannot be asked now is left to the
		// download, which keeps trying it.
		// Exact names rank first, so a file shows on the first page; a
		// folder's files may fill many.
		if resp, err := e.Search(ctx, fs.Arg(0)); err == nil && !matchesFile(resp, fs.Arg(0)) {
			complete := !resp.Truncated
			if !complete {
				if all, c, err := e.SearchAll(ctx, fs.Arg(0), maxFolderFiles); err == nil {
					resp, complete = all, c
				}
			}
			switch dirs := folderPaths(resp, fs.Arg(0)); {
			case len(dirs) == 1 && !complete:
				fmt.Fprintln(env.Stderr, "enxame get: "+lang.L("folder {{.Folder}} has more files than the tracker lists ({{.Count}} read); fetch its subfolders one by one",
					vars{"Folder": wire.SafeText(dirs[0]), "Count": len(resp.Results)}))
				return ExitFailure
			case len(dirs) == 1:
				return getFolder(ctx, env, e, resp, dirs[0], *out)
			case len(dirs) > 1:
				listFolders(env.Stderr, fs.Arg(0), dirs)
				return ExitFailure
			}
		}
	}
	key, err := e.Download(engine.Request{Name: fs.Arg(0), ID: *id, Dir: *out})
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame get: %v\n", err)
		return ExitFailure
	}
	errc := make(chan error, 1)
	// The run ends by itself when ctx ends (the engine's context is its
	// child), keeping what it verified: wait for that, not for ctx.
	go func() { errc <- e.WaitDownload(context.WithoutCancel(ctx), key) }()
	progress := func() transfer.Progress {
		tr, _ := e.Transfer(key)
		return tr.Progress
	}

	pr := &progressPrinter{w: env.Stderr, live: isTerminal(env.Stderr)}
	interval := plainInterval
	if pr.live {
		interval = barInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
loop:
	for {
		select {
		case err = <-errc:
			break loop
		case <-tick.C:
			pr.update(progress())
		}
	}
	p := progress()
	pr.update(p)
	pr.finish()
	switch {
	case err == nil:
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.L("saved {{.Path}} ({{.Size}} in {{.Took}}, {{.Rate}}/s)", vars{
			"Path": p.Path, "Size": i18n.SizeIEC(p.Size), "Took": p.Elapsed.Round(time.Millisecond),
			"Rate": i18n.SizeIEC(int64(float64(p.Size-p.Resumed) / max(p.Elapsed.Seconds(), 1e-3)))}))
		fmt.Fprintln(env.Stdout, p.Path)
		return ExitOK
	case ctx.Err() != nil:
		fmt.Fprintln(env.Stderr, "enxame get: "+lang.L("interrupted at {{.Done}} of {{.Size}}; run the same command again to resume", vars{
			"Done": i18n.SizeIEC(p.Done), "Size": i18n.SizeIEC(p.Size)}))
		return ExitOK
	default:
		msg := wire.SafeText(oneLine(err))
		if p.Done > 0 && !strings.Contains(msg, "resume") {
			msg += "; " + lang.L("{{.Done}} verified and kept in {{.Dir}}, run the same command again to resume", vars{"Done": i18n.SizeIEC(p.Done), "Dir": p.Dir})
		}
		fmt.Fprintf(env.Stderr, "enxame get: %s\n", msg)
		return ExitFailure
	}
}

func validIDPrefix(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	return wire.ValidID(s + strings.Repeat("0", 64-len(s)))
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// progressPrinter draws a download's progress on stderr: a bar redrawn in
// place on a terminal, sparse lines otherwise.
type progressPrinter struct {
	w           io.Writer
	live        bool
	planned     bool
	resumeShown bool
	drawn       bool // a live bar is on the current line
	lastState   transfer.State
	lastStep    int // tenths printed (plain)
	lastLine    time.Time
}

func (pr *progressPrinter) update(p transfer.Progress) {
	if !pr.planned && p.ID != "" && p.Size >= 0 && (p.State != transfer.StatePlanning || p.CellsVersion != 0) {
		pr.planned = true
		pr.clear()
		fmt.Fprintf(pr.w, "enxame get: %s (%s, id %s)\n", wire.SafeText(p.Name), i18n.SizeIEC(p.Size), p.ID[:16])
		for _, a := range p.Alternatives {
			fmt.Fprintln(pr.w, "enxame get: "+lang.N("another version: id {{.ID}}, {{.Size}}, {{.Count}} hosts (pick it with -id {{.ID}})", i18n.Plural(a.Hosts), vars{
				"ID": a.ID[:16], "Size": i18n.SizeIEC(a.Size), "Count": a.Hosts}))
		}
	}
	if !pr.planned {
		return
	}
	if !pr.resumeShown && p.State != transfer.StatePlanning && p.State != transfer.StateVerifying {
		pr.resumeShown = true
		if p.Resumed > 0 {
			pr.clear()
			fmt.Fprintln(pr.w, "enxame get: "+lang.L("resuming with {{.Size}} already verified on disk", vars{"Size": i18n.SizeIEC(p.Resumed)}))
		}
	}
	if pr.live {
		pr.clear()
		fmt.Fprint(pr.w, "\r"+pr.bar(p)+"\x1b[K")
		pr.drawn = true
		return
	}
	step := int(p.Fraction() * 10)
	now := time.Now()
	if p.State != pr.lastState || step > pr.lastStep || now.Sub(pr.lastLine) >= plainEvery {
		pr.lastState, pr.lastStep, pr.lastLine = p.State, step, now
		fmt.Fprintln(pr.w, pr.line(p))
	}
}

func (pr *progressPrinter) clear() {
	if pr.drawn {
		fmt.Fprint(pr.w, "\r\x1b[K")
		pr.drawn = false
	}
}

func (pr *progressPrinter) finish() {
	if pr.drawn {
		fmt.Fprintln(pr.w)
		pr.drawn = false
	}
}

func (pr *progressPrinter) bar(p transfer.Progress) string {
	filled := int(p.Fraction() * barWidth)
	return fmt.Sprintf("[%s%s] %s", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), progressLine(p))
}

func (pr *progressPrinter) line(p transfer.Progress) string { return progressLine(p) }

// progressLine describes a download's progress in one line: percent, bytes,
// then rate, peers and ETA while downloading, or the state. The
// interactive peer's status can show it too.
func progressLine(p transfer.Progress) string {
	peers := 0
	for _, pp := range p.Peers {
		if pp.Connected {
			peers++
		}
	}
	s := fmt.Sprintf("%5s%% ", i18n.Decimal(100*p.Fraction(), 1)) + lang.L("{{.Done}} of {{.Size}}", vars{"Done": i18n.SizeIEC(p.Done), "Size": i18n.SizeIEC(p.Size)})
	switch p.State {
	case transfer.StateDownloading:
		s += fmt.Sprintf(", %s/s, %s", i18n.SizeIEC(int64(p.Rate)), peerCount(peers))
		if p.ETA > 0 {
			s += ", " + lang.L("ETA {{.Time}}", vars{"Time": p.ETA.Round(time.Second)})
		}
	case transfer.StateStalled:
		s += ", " + lang.L("stalled")
		if p.Err != nil {
			s += ": " + oneLine(p.Err)
		}
	default:
		s += ", " + p.State.String()
	}
	return s
}

// peerCount words a number of peers: "1 peer", "3 peers".
func peerCount(n int) string {
	return lang.N("{{.Count}} peers", i18n.Plural(n), vars{"Count": n})
}
