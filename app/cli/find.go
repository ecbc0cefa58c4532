package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/enxame/enxame/net/discovery"
	"github.com/enxame/enxame/net/wire"
)

// Finding a tracker without -tracker.
const (
	// FindWait bounds how long share, get and peer listen for networks
	// when -tracker is omitted (stopping early with -network NAME).
	FindWait = 3 * time.Second
	// FindSettle is how long share, get and peer keep listening after the
	// first network is heard, for others: past the browser's second query
	// (at 1 s), which every announcer answers at once.
	FindSettle = 1200 * time.Millisecond
	// findDialTimeout bounds the reachability check of each address.
	findDialTimeout = 2 * time.Second
)

// errNoNetwork and errSeveralNetworks are why discovery picked nothing.
var (
	errNoNetwork       = errors.New(lang.L("no Enxame network found nearby"))
	errSeveralNetworks = errors.New(lang.L("several Enxame networks found nearby"))
)

// discFlags are the discovery flags of tracker, share, get and peer.
type discFlags struct {
	ifaces string
	port   int
}

func (df *discFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&df.ifaces, "discovery-interface", "", "comma-separated `names` of the interfaces LAN discovery uses (default every LAN interface; lo for tests)")
	fs.IntVar(&df.port, "discovery-port", discovery.DefaultPort, "UDP `port` of the LAN discovery beacons")
}

// check returns a usage complaint or "".
func (df *discFlags) check() string {
	if _, err := discovery.FlagOptions(df.ifaces, df.port); err != nil || df.port == 0 {
		return "-discovery-port must be 1-65535 and -discovery-interface a list of interface names"
	}
	return ""
}

// options are the discovery options the flags ask for (checked by check).
func (df *discFlags) options() []discovery.Option {
	opts, _ := discovery.FlagOptions(df.ifaces, df.port)
	return opts
}

// found is the network discovery chose and the address that answered.
type found struct {
	net  discovery.Network
	addr string
	took time.Duration // from the start of browsing to the address checked
}

// findTracker browses the LAN for the network named name (any when ""):
// FindSettle after the first network heard (discovery.FindSettle with a
// name), at most FindWait. It returns the only one found with the first of
// its addresses that accepts a connection. None or several is an error
// whose text (several lines when several) tells the user what to type.
func findTracker(ctx context.Context, name string, df *discFlags, log *slog.Logger) (found, error) {
	start := time.Now()
	nets, err := discovery.Find(ctx, name, FindWait, log, append(df.options(), discovery.WithSettle(FindSettle))...)
	if err != nil {
		return found{}, fmt.Errorf("%s: %w", lang.L("looking for networks nearby"), err)
	}
	switch len(nets) {
	case 0:
		what := noNetwork(name, FindWait)
		return found{}, fmt.Errorf("%w: %s; %s", errNoNetwork, what,
			lang.L("give the tracker's address with -tracker HOST:PORT (or check that UDP port {{.Port}} is open)", vars{"Port": df.port}))
	case 1:
	default:
		return found{}, fmt.Errorf("%w:\n%s%s", errSeveralNetworks, networkTable(nets), lang.L("pick one with -network NAME or -tracker ADDR"))
	}
	n := nets[0]
	var d net.Dialer
	var last error
	for _, a := range n.Addrs {
		dctx, cancel := context.WithTimeout(ctx, findDialTimeout)
		c, err := d.DialContext(dctx, "tcp", a)
		cancel()
		if err != nil {
			log.Debug("Tracker address not reachable", "network", n.Name, "addr", a, "error", err)
			last = err
			continue
		}
		c.Close()
		f := found{net: n, addr: a, took: time.Since(start)}
		log.Info("Using network found nearby", "network", n.Name, "tracker", a, "peers", n.Peers, "took", f.took.Round(time.Millisecond))
		return f, nil
	}
	return found{}, fmt.Errorf("%s: %v", lang.L("network {{.Network}} found nearby, but none of its addresses ({{.Addrs}}) answers",
		vars{"Network": strconv.Quote(n.Name), "Addrs": strings.Join(n.Addrs, " ")}), last)
}

// networkTable lists networks, one per line, indented: name, peers,
// addresses, and the start of the instance id when two share a name.
func networkTable(nets []discovery.Network) string {
	names := map[string]int{}
	for _, n := range nets {
		names[n.Name]++
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, n := range nets {
		id := ""
		if names[n.Name] > 1 {
			id = "id " + n.ID[:8]
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", wire.SafeText(n.Name), peerCount(n.Peers), strings.Join(n.Addrs, " "), id)
	}
	tw.Flush()
	// tabwriter pads the last column too; trim trailing blanks per line.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
