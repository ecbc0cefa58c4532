// Package ui holds the desktop app's windows, screens and dialogs. It draws
// what app/vm holds and calls app/vm's commands; it never talks to the
// network itself.
//
// Every function and method here runs on the Fyne goroutine (widget
// callbacks, binding listeners, fyne.Do) unless its comment says
// otherwise. Commands that may block start with vm.App.Background and
// bring their result back with one fyne.Do.
package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/enxame/enxame/app/vm"
	"github.com/enxame/enxame/assets"
)

// AppID is the application id, as in FyneApp.toml; it names the
// Preferences file.
const AppID = "io.github.enxame"

// options is the scriptable start: flags that skip the first-run screen.
type options struct {
	settings   vm.Settings
	scripted   bool // -tracker or -host given: go straight to the main window
	logLevel   slog.Level
	set        map[string]bool // flags given
	profile    string          // write a CPU profile here (for benchmarks)
	discIfaces string          // LAN discovery interfaces ("" = every LAN interface)
	discPort   int             // LAN discovery port (0 = default)
}

// parseFlags reads the desktop app's flags. Bad usage prints the usage to
// stderr and returns an error (flag.ErrHelp for -h).
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("enxame", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.settings.Tracker, "tracker", "", "join the tracker at `ADDR` (host:port)")
	fs.StringVar(&o.settings.ShareDir, "share", "", "share the folder `DIR`")
	fs.StringVar(&o.settings.Downloads, "downloads", "", "save downloads in `DIR` (default ~/Downloads/Enxame)")
	fs.BoolVar(&o.settings.Host, "host", false, "host a network: run a tracker in the app and join it")
	fs.StringVar(&o.settings.HostListen, "host-listen", vm.DefaultHostListen, "with -host, the tracker listens on `ADDR`")
	fs.StringVar(&o.settings.PeerListen, "listen", "", "serve chunks on `ADDR` (default any free port)")
	level := fs.String("log-level", "warn", "log `LEVEL` on stderr: debug, info, warn, error")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the whole run to `FILE` (for benchmarks)")
	fs.StringVar(&o.discIfaces, "discovery-interface", "", "comma-separated interface `names` LAN discovery uses (default every LAN interface; lo keeps it on this machine)")
	fs.IntVar(&o.discPort, "discovery-port", 0, "UDP `port` of LAN discovery (default 7078)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: enxame [-tracker ADDR | -host] [-share DIR] [-downloads DIR] [-listen ADDR] [-host-listen ADDR]")
		fmt.Fprintln(stderr, "Opens the desktop app. With -tracker or -host it skips the first-run screen.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "enxame: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return o, errors.New("unexpected argument")
	}
	if err := o.logLevel.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "enxame: bad -log-level %q\n", *level)
		fs.Usage()
		return o, err
	}
	if _, err := vm.DiscoveryOptions(o.discIfaces, o.discPort); err != nil {
		fmt.Fprintf(stderr, "enxame: %v\n", err)
		fs.Usage()
		return o, err
	}
	if o.settings.Tracker != "" {
		if err := vm.ValidateTrackerAddr(o.settings.Tracker); err != nil {
			fmt.Fprintf(stderr, "enxame: %v\n", err)
			fs.Usage()
			return o, err
		}
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	o.scripted = o.settings.Host || o.settings.Tracker != ""
	return o, nil
}

// Usage prints the desktop app's flags to w.
func Usage(w io.Writer) {
	parseFlags([]string{"-h"}, w)
}

// merge fills what the flags left unset from the remembered settings.
func (o options) merge(saved vm.Settings) vm.Settings {
	s := o.settings
	if !o.set["tracker"] && !o.set["host"] {
		s.Tracker, s.Host = saved.Tracker, saved.Host
		// The network followed by name, only with its remembered tracker.
		s.Network, s.NetworkID = saved.Network, saved.NetworkID
	}
	if !o.set["share"] {
		s.ShareDir = saved.ShareDir
	}
	if !o.set["downloads"] {
		s.Downloads = saved.Downloads
	}
	if !o.set["host-listen"] {
		s.HostListen = saved.HostListen
	}
	if !o.set["listen"] {
		s.PeerListen = saved.PeerListen
	}
	s.CanHost = saved.CanHost
	return s
}

// Main runs the desktop app until its window closes or ctx ends (SIGINT,
// SIGTERM), then leaves the network cleanly. It returns the exit status.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: opts.logLevel}))

	if opts.profile != "" {
		f, err := os.Create(opts.profile)
		if err != nil {
			fmt.Fprintf(stderr, "enxame: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "enxame: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	a := app.NewWithID(AppID)
	a.SetIcon(assets.Icon)
	vm.ApplyLanguage(a.Preferences()) // before anything is worded
	u := newUI(ctx, a, log)
	u.vm.Discovery, _ = vm.DiscoveryOptions(opts.discIfaces, opts.discPort) // checked by parseFlags
	quitOnSignal := context.AfterFunc(ctx, func() { fyne.Do(a.Quit) })
	defer quitOnSignal()

	u.start(opts)
	u.win.ShowAndRun()
	u.shutdown()
	return 0
}
