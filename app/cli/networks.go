package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/wire"
)

func init() {
	register("networks", lang.L("list the Enxame networks found on the LAN"), runNetworks)
}

// noNetwork says that no network (named name, unless "") was found in
// wait.
func noNetwork(name string, wait time.Duration) string {
	if name == "" {
		return lang.L("no Enxame network found nearby in {{.Wait}}", vars{"Wait": wait})
	}
	return lang.L("no Enxame network named {{.Network}} found nearby in {{.Wait}}", vars{"Network": strconv.Quote(name), "Wait": wait})
}

// DefaultNetworksWait is how long `enxame networks` listens by default:
// announcers answer a query at once; the wait covers a lost query and
// one periodic beacon.
const DefaultNetworksWait = 2500 * time.Millisecond

func runNetworks(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("networks", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	wait := fs.Duration("wait", DefaultNetworksWait, "how long to listen")
	name := fs.String("name", "", "list only the networks with this `name`")
	var df discFlags
	df.register(fs)
	fs.StringVar(&df.ifaces, "interface", "", "the same as -discovery-interface")
	level := fs.String("log-level", "warn", "log `level`: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: enxame networks [-wait DUR] [-name NAME]")
		fmt.Fprintln(env.Stderr, "\nLists the Enxame networks (trackers) announcing themselves on the LAN:")
		fmt.Fprintln(env.Stderr, "name, peers, open or private (a passphrase is needed), and the addresses\nto pass to -tracker. Exits 1 when none is")
		fmt.Fprintln(env.Stderr, "found. See docs/DISCOVERY.md.")
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
	case *wait <= 0 || *wait > time.Hour:
		return bad("-wait must be between 0 and 1h")
	case df.check() != "":
		return bad("%s", df.check())
	}

	nets, err := discovery.Find(ctx, *name, *wait, newLogger(env.Stderr, lvl), df.options()...)
	if err != nil {
		if ctx.Err() != nil {
			return ExitOK // interrupted: leave quietly
		}
		fmt.Fprintf(env.Stderr, "enxame networks: %v\n", err)
		return ExitFailure
	}
	if len(nets) == 0 {
		fmt.Fprintln(env.Stderr, "enxame networks: "+noNetwork(*name, *wait)+" "+
			lang.L("(is a tracker running on this LAN, with UDP port {{.Port}} open?)", vars{"Port": df.port}))
		return ExitFailure
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPEERS\tACCESS\tADDRESSES")
	for _, n := range nets {
		access := "open"
		if n.Private {
			access = "private" // its beacons carry a MAC: joining needs the passphrase
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", wire.SafeText(n.Name), n.Peers, access, strings.Join(n.Addrs, " "))
	}
	tw.Flush()
	return ExitOK
}
