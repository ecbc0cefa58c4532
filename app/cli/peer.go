package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"fyne.io/fyne/v2/lang"
	"github.com/dustin/go-humanize"

	"github.com/enxame/enxame/app/i18n"
	"github.com/enxame/enxame/net/engine"
	"github.com/enxame/enxame/net/transfer"
	"github.com/enxame/enxame/net/wire"
)

func init() {
	register("peer", lang.L("an interactive peer: share a folder, list, search and download"), runPeer)
}

// Interactive peer limits.
const (
	// maxCommandBytes bounds one command line read from stdin.
	maxCommandBytes = 64 << 10
	// trackerAskTimeout bounds a list or search.
	trackerAskTimeout = 10 * time.Second
	// shortIDLen is how much of an id the REPL shows.
	shortIDLen = 12
	// registerWait bounds the wait for the first registration before the
	// first command runs (so a script's list or status sees it).
	registerWait = 10 * time.Second
)

const peerHelp = `commands:
  list                    peers registered with the tracker
  search <text>           files whose name holds every word of text, any order,
                          case and accents ignored (no text: everything)
  download <name or id>   fetch a file into the downloads folder
  status                  tracker, shared folder, chunk server and transfers
  help                    this text
  exit                    unregister and leave (end of input does the same)
`

// repl is the interactive peer's state. Commands run on one goroutine;
// finished downloads report from their own, through the locked out.
type repl struct {
	env       Env
	out       *lockedWriter
	e         *engine.Engine
	downloads string
	wg        sync.WaitGroup // download reporters
}

// lockedWriter serialises writes from the command loop and the download
// reporters so their lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func runPeer(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var nf nodeFlags
	nf.register(fs, "warn")
	nf.rates.register(fs, true)
	shareDir := fs.String("share", "", "`folder` to share, required")
	downloads := fs.String("downloads", "", "`folder` downloads are saved in (default: the shared folder)")
	maxActive := fs.Int("max-active", engine.DefaultMaxActive, "run at most `N` downloads at once; the others wait queued in the order asked")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame peer [-tracker ADDR | -network NAME] -share DIR [-downloads DIR] [-listen ADDR] [-max-upload RATE] [-max-download RATE] [-max-active N]")
		fmt.Fprintln(env.Stderr, "\nShares DIR like 'enxame share' and reads commands on stdin (type help).")
		fmt.Fprintln(env.Stderr, "Without -tracker the network is found on the LAN.")
		fmt.Fprintln(env.Stderr, "Logs (warnings and errors by default) go to stderr. See docs/PEER.md.")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	lvl, complaint := nf.check()
	switch {
	case complaint != "":
	case *shareDir == "":
		complaint = "-share is required"
	case fs.NArg() > 0:
		complaint = fmt.Sprintf("unexpected argument %q", fs.Arg(0))
	case *maxActive < 1:
		complaint = "-max-active must be at least 1"
	}
	if complaint != "" {
		return usageError(env, fs, "%s", complaint)
	}
	if *downloads == "" {
		*downloads = *shareDir
	}
	if fi, err := os.Stat(*downloads); err != nil || !fi.IsDir() {
		fmt.Fprintf(env.Stderr, "enxame peer: downloads folder %q is not a folder\n", *downloads)
		return ExitFailure
	}
	log := newLogger(env.Stderr, lvl)
	if err := nf.prepare(ctx, log); err != nil {
		if ctx.Err() != nil {
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "enxame peer: %v\n", err)
		return ExitFailure
	}
	cfg := nf.engineConfig(*shareDir, log)
	cfg.Downloads = *downloads
	cfg.MaxActive = *maxActive
	ectx, stop := context.WithCancel(ctx)
	defer stop()
	e, err := engine.Start(ectx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "enxame peer: %v\n", err)
		return ExitFailure
	}
	r := &repl{env: env, e: e, downloads: *downloads}
	r.out = &lockedWriter{w: env.Stdout}
	r.env.Stdout = r.out

	code := r.loop(ctx)
	// Unfinished downloads are paused with their state kept, so the next
	// run (or enxame get) resumes them.
	stop()
	e.Wait()
	r.wg.Wait()
	if err := e.Err(); err != nil && code == ExitOK {
		fmt.Fprintf(env.Stderr, "enxame peer: %v\n", err)
		code = ExitFailure
	}
	return code
}

// loop reads and runs commands until exit, end of input, ctx's end or the
// node's failure.
func (r *repl) loop(ctx context.Context) int {
	interactive := isTerminalReader(r.env.Stdin)
	out := r.env.Stdout
	r.waitRegistered(ctx)
	if interactive {
		st := r.e.Snapshot()
		fmt.Fprintln(out, lang.L("Sharing {{.Dir}} on {{.Addr}}. Type help for commands.", vars{"Dir": st.ShareDir, "Addr": st.Listen}))
	}
	lines := make(chan string)
	readDone := make(chan struct{})
	defer close(readDone)
	go readCommands(r.env.Stdin, lines, readDone) // ends at EOF; at most blocked on stdin at exit
	for {
		if interactive {
			fmt.Fprint(out, "enxame> ")
		}
		select {
		case <-ctx.Done():
			return ExitOK
		case <-r.e.Failed():
			// The node stopped on its own: reported by the caller.
			return ExitFailure
		case line, ok := <-lines:
			if !ok {
				if interactive {
					fmt.Fprintln(out)
				}
				return ExitOK
			}
			if !r.run(ctx, line) {
				return ExitOK
			}
		}
	}
}

// waitRegistered waits, at most registerWait, until the session has
// registered or failed once.
func (r *repl) waitRegistered(ctx context.Context) {
	changed := r.e.SessionChanged()
	deadline := time.NewTimer(registerWait)
	defer deadline.Stop()
	for {
		st := r.e.Snapshot()
		if st.Registered || st.LastError != "" {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// readCommands sends stdin's lines to lines until EOF or done.
func readCommands(in io.Reader, lines chan<- string, done <-chan struct{}) {
	defer close(lines)
	if in == nil {
		return
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), maxCommandBytes)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-done:
			return
		}
	}
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run runs one command line; false means leave.
func (r *repl) run(ctx context.Context, line string) bool {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	var err error
	switch strings.ToLower(cmd) {
	case "":
	case "help", "?":
		fmt.Fprint(r.env.Stdout, peerHelp)
	case "exit", "quit":
		return false
	case "list":
		err = r.list(ctx)
	case "search":
		err = r.search(ctx, arg)
	case "download":
		if arg == "" {
			err = errors.New(lang.L("usage: download <name or id>"))
		} else {
			err = r.download(ctx, arg)
		}
	case "status":
		r.status()
	default:
		err = errors.New(lang.L("unknown command {{.Command}}; type help for the list", vars{"Command": strconv.Quote(cmd)}))
	}
	if err != nil {
		fmt.Fprintf(r.env.Stdout, "%s: %s\n", lang.L("error"), wire.SafeText(err.Error()))
	}
	return true
}

func (r *repl) list(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, trackerAskTimeout)
	defer cancel()
	resp, err := r.e.List(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", lang.L("asking the tracker for peers"), err)
	}
	out := r.env.Stdout
	if len(resp.Peers) == 0 {
		fmt.Fprintln(out, lang.L("no peers registered"))
		return nil
	}
	self := r.e.Snapshot().Addr
	peers := slices.Clone(resp.Peers)
	slices.SortFunc(peers, func(a, b wire.PeerInfo) int { return strings.Compare(a.Addr, b.Addr) })
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tNAME\tDEVICE\tFILES\tLAST SEEN\t")
	for _, p := range peers {
		me := ""
		if p.Addr == self {
			me = "(you)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%ds ago\t%s\n", p.Addr, cmp.Or(wire.SafeText(p.Name), "-"), shortDevice(p.Device),
			p.Files, p.LastSeenS, me)
	}
	tw.Flush()
	fmt.Fprint(out, peerCount(len(peers)))
	if resp.Truncated {
		fmt.Fprint(out, " "+lang.L("(more exist; the tracker sent the first ones)"))
	}
	fmt.Fprintln(out)
	return nil
}

func (r *repl) search(ctx context.Context, q string) error {
	ctx, cancel := context.WithTimeout(ctx, trackerAskTimeout)
	defer cancel()
	resp, err := r.e.Search(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", lang.L("searching"), err)
	}
	out := r.env.Stdout
	if len(resp.Results) == 0 {
		fmt.Fprintln(out, lang.L("nothing found for {{.Query}}", vars{"Query": strconv.Quote(q)}))
		return nil
	}
	results := slices.Clone(resp.Results)
	slices.SortFunc(results, func(a, b wire.SearchResult) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSIZE\tPEERS\tNAME")
	for _, res := range results {
		complete := 0
		for _, p := range res.Peers {
			if p.Complete {
				complete++
			}
		}
		peers := fmt.Sprint(len(res.Peers))
		if res.PeersTruncated {
			peers += "+"
		}
		if complete < len(res.Peers) {
			peers += fmt.Sprintf(" (%d complete)", complete)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.ID[:shortIDLen], humanize.IBytes(uint64(res.Size)), peers, wire.SafeText(res.Name))
		if from := holderNames(res.Peers); from != "" {
			fmt.Fprintf(tw, "\t\t\t  from %s\n", from)
		}
	}
	tw.Flush()
	fmt.Fprint(out, lang.N("{{.Count}} results", i18n.Plural(len(results)), vars{"Count": len(results)}))
	if resp.Truncated {
		fmt.Fprint(out, " "+lang.L("(more matched; narrow the search)"))
	}
	fmt.Fprintln(out)
	return nil
}

// download starts fetching a file by name or id in the background, so
// commands keep working; a line reports when it ends.
func (r *repl) download(ctx context.Context, what string) error {
	key, err := r.e.Download(engine.Request{Name: what})
	if err != nil {
		return fmt.Errorf("%s: %w", lang.L("starting download of {{.Name}}", vars{"Name": strconv.Quote(what)}), err)
	}
	fmt.Fprintln(r.env.Stdout, lang.L("downloading {{.Name}} in the background into {{.Dir}} (status shows progress)", vars{"Name": strconv.Quote(what), "Dir": r.downloads}))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := r.e.WaitDownload(context.WithoutCancel(ctx), key)
		tr, _ := r.e.Transfer(key)
		p := tr.Progress
		switch {
		case err == nil:
			fmt.Fprintln(r.env.Stdout, lang.L("downloaded {{.Path}} ({{.Size}})", vars{"Path": p.Path, "Size": i18n.SizeIEC(p.Size)}))
		case errors.Is(err, transfer.ErrPaused), errors.Is(err, transfer.ErrClosed), ctx.Err() != nil:
			// Leaving: the partial state is kept and resumes next time.
		default:
			fmt.Fprintf(r.env.Stdout, "%s: %s\n", lang.L("download of {{.Name}} failed", vars{"Name": strconv.Quote(what)}), wire.SafeText(err.Error()))
		}
	}()
	return nil
}

func (r *repl) status() {
	out := r.env.Stdout
	st := r.e.Snapshot()
	fmt.Fprintf(out, "tracker    %s: ", cmp.Or(st.Tracker, "none"))
	switch {
	case st.Registered:
		fmt.Fprintf(out, "registered as %s, %d file%s announced, last contact %s ago\n",
			st.Addr, st.Announced, sIfMany(st.Announced), time.Since(st.LastContact).Round(time.Second))
	case st.LastError != "":
		fmt.Fprintf(out, "not registered (%s); retrying\n", wire.SafeText(st.LastError))
	default:
		fmt.Fprintln(out, "registering…")
	}
	p := st.Share
	fmt.Fprintf(out, "share      %s: %d file%s, %s", st.ShareDir, p.Files, sIfMany(p.Files), humanize.IBytes(uint64(p.Bytes)))
	if p.Scanning && p.HashBytesDone < p.HashBytes {
		fmt.Fprintf(out, "; indexing %s of %s", humanize.IBytes(uint64(p.HashBytesDone)), humanize.IBytes(uint64(p.HashBytes)))
	}
	fmt.Fprintln(out)
	if s := p.Skipped; s.Hidden+s.Ignored+s.Outside+s.DirLinks+s.Special+s.Unreadable+s.Partial+s.BadName+s.Unsettled > 0 {
		fmt.Fprintf(out, "           skipped: %s\n", skippedSummary(s))
	}
	fmt.Fprintf(out, "serving    on %s: %d connections open, %s sent in %d requests\n",
		st.Listen, st.Server.Active, humanize.IBytes(uint64(st.Server.BytesServed)), st.Server.Requests)
	if len(st.Transfers) == 0 {
		fmt.Fprintf(out, "transfers  none; downloads go to %s\n", r.downloads)
		return
	}
	fmt.Fprintf(out, "transfers  %d; downloads go to %s\n", len(st.Transfers), r.downloads)
	for _, tr := range st.Transfers {
		name := cmp.Or(tr.Path, tr.Name)
		line := progressLine(tr.Progress)
		if tr.Queue > 0 {
			line += fmt.Sprintf(" (%d in the queue)", tr.Queue)
		}
		fmt.Fprintf(out, "           %s: %s\n", wire.SafeText(name), wire.SafeText(line))
	}
}

// maxHoldersShown bounds the holders named under a search result.
const maxHoldersShown = 3

// holderNames names a result's first holders by device name and short
// device id ("" when none registered a name).
func holderNames(peers []wire.ResultPeer) string {
	var names []string
	named := false
	for _, p := range peers[:min(len(peers), maxHoldersShown)] {
		named = named || p.Name != ""
		names = append(names, fmt.Sprintf("%s [%s]", cmp.Or(wire.SafeText(p.Name), p.Addr), shortDevice(p.Device)))
	}
	if !named {
		return ""
	}
	s := strings.Join(names, ", ")
	if len(peers) > maxHoldersShown {
		s += fmt.Sprintf(" and %d more", len(peers)-maxHoldersShown)
	}
	return s
}

// shortDevice is the first two groups of a device id (the tracker client
// checked its spelling), enough to tell devices apart; "-" for none.
func shortDevice(d string) string {
	if len(d) < 9 {
		return "-"
	}
	return d[:9]
}

func sIfMany(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
