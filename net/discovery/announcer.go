package discovery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Announcement is what a tracker advertises.
type Announcement struct {
	// Name is the network's name; "" means DefaultName(). It must pass
	// ValidateName.
	Name string
	// Port is the tracker's TCP port (1-65535).
	Port int
	// Version is the tracker protocol version; 0 means ProtocolVersion.
	Version int
	// Peers returns the live peer count; nil announces 0. It is called
	// from the announcer's goroutine before each beacon, so it must be
	// quick and safe to call concurrently with the tracker.
	Peers func() int
	// MAC, for a private network, returns the MAC of a beacon's bytes
	// (HMAC-SHA256 with the network's beacon key, secure.BeaconKey.MAC):
	// its beacons then say "private" and carry it. nil for an open network.
	MAC func(signed []byte) []byte
}

// Announce advertises one tracker on every LAN interface (see Option)
// until ctx ends: a beacon at once, another after a second, then every
// AnnounceInterval, and in answer to browsers' queries (see ReplyBurst).
// When ctx ends it sends a goodbye so browsers drop the network at once,
// and returns nil. Interfaces that come and go are followed; a host with
// no LAN interface announces nothing, quietly. It returns an error only
// for an invalid Announcement or when no socket can be opened at all.
// A nil logger logs nothing.
func Announce(ctx context.Context, a Announcement, logger *slog.Logger, opts ...Option) error {
	o := newOptions(opts)
	if a.Name == "" {
		a.Name = DefaultName()
	}
	if a.Version == 0 {
		a.Version = ProtocolVersion
	}
	if err := ValidateName(a.Name); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if a.Port < 1 || a.Port > 65535 {
		return fmt.Errorf("%w: port %d out of range", ErrInvalid, a.Port)
	}
	if a.Version < 1 || a.Version > MaxVersion {
		return fmt.Errorf("%w: version %d out of range", ErrInvalid, a.Version)
	}
	id := o.instanceID
	if id == "" {
		id = NewInstanceID()
	} else if !validID(id) {
		return fmt.Errorf("%w: instance id %q is not %d lower-case hex characters", ErrInvalid, id, idHexLen)
	}
	logger = orDiscard(logger).With("component", "discovery", "network", a.Name, "instance", id)
	beacon := func() []byte {
		peers := 0
		if a.Peers != nil {
			peers = min(max(a.Peers(), 0), MaxPeers)
		}
		b, err := message{Kind: kindAnnounce, ID: id, Name: a.Name, Port: a.Port, Version: a.Version, Peers: peers}.encode(a.MAC)
		if err != nil {
			panic("discovery: validated announcement failed to encode: " + err.Error())
		}
		return b
	}
	bye, err := message{Kind: kindBye, ID: id}.encode(a.MAC)
	if err != nil {
		return err
	}

	c, err := openConn(ctx, o, logger)
	if err != nil {
		return fmt.Errorf("announcing %q: %w", a.Name, err)
	}
	queried := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		c.read(func(d datagram) {
			if d.msg.Kind == kindQuery {
				select {
				case queried <- struct{}{}:
				default:
				}
			}
		})
	})
	defer func() {
		c.close()
		wg.Wait()
	}()

	c.refresh()
	if ifs := c.interfaces(); len(ifs) > 0 {
		logger.Info("Announcing network", "port", a.Port, "interfaces", ifs)
	} else {
		logger.Debug("No LAN interface to announce on yet")
	}
	if o.ready != nil {
		o.ready()
	}

	send := func() { c.send(beacon()) }
	// Replies to queries are rate-limited on their own (a token bucket:
	// ReplyBurst at once, then one per MinReplyGap), so browsers starting
	// together are all answered at once, and a flood of queries is not
	// turned into a flood of beacons.
	tokens, refilled := float64(ReplyBurst), time.Now()
	reply := func() {
		now := time.Now()
		tokens = min(ReplyBurst, tokens+float64(now.Sub(refilled))/float64(MinReplyGap))
		refilled = now
		tokens--
		send()
	}
	// wait returns how long until a reply may be sent.
	wait := func() time.Duration {
		have := tokens + float64(time.Since(refilled))/float64(MinReplyGap)
		if have >= 1 {
			return 0
		}
		return time.Duration((1 - have) * float64(MinReplyGap))
	}
	send()
	tick := time.NewTimer(time.Second) // the second beacon covers a lost first one
	defer tick.Stop()
	var replyDue <-chan time.Time // armed while a query waits for MinReplyGap
	for {
		select {
		case <-ctx.Done():
			c.send(bye)
			logger.Debug("Stopped announcing")
			return nil
		case <-tick.C:
			if c.refresh() {
				logger.Info("Announcing network", "port", a.Port, "interfaces", c.interfaces())
			}
			send()
			tick.Reset(AnnounceInterval)
		case <-queried:
			if replyDue != nil {
				continue
			}
			if d := wait(); d > 0 {
				replyDue = time.After(d)
				continue
			}
			reply()
		case <-replyDue:
			replyDue = nil
			reply()
		}
	}
}

// NewInstanceID returns 8 random bytes in hex: one per Announce call, so
// browsers tell apart two trackers of the same name (see WithInstanceID).
func NewInstanceID() string {
	var b [idHexLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
