package discovery

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Option adjusts Announce, NewBrowser and Find; the defaults suit a LAN.
type Option func(*options)

type options struct {
	port       int
	interfaces []string         // nil: every up, multicast-capable, non-loopback interface
	now        func() time.Time // clock, injectable in tests
	ready      func()           // called once the sockets are open (tests)
	settle     time.Duration    // Find: stop this long after the first match, even for any name
	instanceID string           // Announce: the instance id to announce ("" random)
	check      BeaconCheck      // Browser: which beacons to believe (nil: all)
}

func newOptions(opts []Option) options {
	o := options{port: DefaultPort, now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithPort uses UDP port instead of DefaultPort (announcer and browser
// must agree). Tests use it to stay apart from a real network.
func WithPort(port int) Option {
	return func(o *options) { o.port = port }
}

// WithInterfaces restricts discovery to the named interfaces, loopback
// included when named (by default loopback is never used). Tests use
// WithInterfaces("lo") to run without any LAN.
func WithInterfaces(names ...string) Option {
	return func(o *options) { o.interfaces = slices.Clone(names) }
}

// FlagOptions turns the values of the -discovery-interface and
// -discovery-port flags (CLI and desktop app alike) into options: ifaces
// is a comma-separated list of interface names ("" every LAN interface),
// port 0 means DefaultPort.
func FlagOptions(ifaces string, port int) ([]Option, error) {
	var opts []Option
	if ifaces != "" {
		names := strings.Split(ifaces, ",")
		if slices.ContainsFunc(names, func(n string) bool { return strings.TrimSpace(n) == "" }) {
			return nil, fmt.Errorf("empty interface name in %q", ifaces)
		}
		opts = append(opts, WithInterfaces(names...))
	}
	if port != 0 {
		if port < 1 || port > 65535 {
			return nil, fmt.Errorf("discovery port %d is not in 1-65535", port)
		}
		opts = append(opts, WithPort(port))
	}
	return opts, nil
}

// WithSettle makes Find return d after the first matching network even
// when it looks for every name (by default it then listens for the whole
// wait). Announcers answer a browser's query at once and the query is
// repeated after a second, so d a little over a second finds every
// network that would answer, without waiting the whole bound.
func WithSettle(d time.Duration) Option {
	return func(o *options) { o.settle = d }
}

// WithInstanceID makes Announce use id (16 lower-case hex characters) as
// its instance id instead of a random one, so the caller can recognise its
// own announcement in a Browser's list.
func WithInstanceID(id string) Option {
	return func(o *options) { o.instanceID = id }
}

// BeaconCheck decides whether a Browser believes a beacon: an announce of
// the network name, or a goodbye of a network heard under that name. A
// private network's beacon has private set, its MAC, and signed, the bytes
// the MAC covers; an open network's has neither. It is called with the
// Browser's lock held, for every such datagram: it must be quick and must
// not call the Browser.
type BeaconCheck func(name string, private bool, signed, mac []byte) bool

// WithBeaconCheck makes a Browser drop the beacons check refuses, before
// they change anything: a member of a private network refuses those of its
// network's name whose MAC fails (net/handover).
func WithBeaconCheck(check BeaconCheck) Option {
	return func(o *options) { o.check = check }
}

// withClock replaces time.Now (tests).
func withClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// withReady registers f to be called once the sockets are open (tests).
func withReady(f func()) Option {
	return func(o *options) { o.ready = f }
}

// orDiscard returns logger, or a logger that drops everything when nil.
func orDiscard(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logger
}
