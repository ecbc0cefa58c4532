package vm

import (
	"context"
	"slices"

	"github.com/enxame/enxame/net/discovery"
)

// NearbyRow is an Enxame network heard on the LAN.
type NearbyRow struct {
	ID    string
	Name  string // SafeText
	Addr  string // the address to join (the browser's first, IPv4 first)
	Peers int
	// Private: the network has a passphrase (shown with a lock).
	Private bool
}

func nearbyEqual(a, b NearbyRow) bool { return a == b }

// MaxNearby bounds the networks listed.
const MaxNearby = 8

// Browse listens for networks announced on the LAN and keeps Nearby
// current until ctx ends. It starts a goroutine Close waits for.
func (v *App) Browse(ctx context.Context) {
	b := discovery.NewBrowser(v.log, v.Discovery...)
	v.wg.Go(func() {
		if err := b.Run(ctx); err != nil {
			v.log.Warn("Not looking for networks on the LAN", "error", err)
		}
	})
	v.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.Changed():
				heard := b.Networks()
				v.mu.Lock()
				v.heard = heard
				n := v.eng
				v.mu.Unlock()
				v.updateNearby()
				if n != nil {
					n.FollowHeard(heard)
				}
			}
		}
	})
}

// updateNearby lists the networks heard, leaving out the one this app
// hosts.
func (v *App) updateNearby() {
	v.mu.Lock()
	heard, own := v.heard, v.ownAddrs
	v.mu.Unlock()
	rows := nearbyRows(heard)
	rows = slices.DeleteFunc(rows, func(r NearbyRow) bool { return slices.Contains(own, r.Addr) })
	_ = v.Nearby.Set(rows)
}

func nearbyRows(nets []discovery.Network) []NearbyRow {
	rows := make([]NearbyRow, 0, min(len(nets), MaxNearby))
	for _, n := range nets {
		if len(n.Addrs) == 0 || n.Version != discovery.ProtocolVersion {
			continue
		}
		rows = append(rows, NearbyRow{ID: n.ID, Name: SafeText(n.Name), Addr: n.Addrs[0], Peers: n.Peers, Private: n.Private})
		if len(rows) == MaxNearby {
			break
		}
	}
	slices.SortStableFunc(rows, func(a, b NearbyRow) int { return b.Peers - a.Peers })
	return rows
}
