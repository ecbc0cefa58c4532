package vm

import (
	"strings"
	"testing"

	"github.com/enxame/enxame/net/tracker"
)

// TestHostSummaryLeavesOutZeroDropped: the tracker summary mentions
// computers dropped for silence only when there are some.
func TestHostSummaryLeavesOutZeroDropped(t *testing.T) {
	nv := newNetworkVM(New(nil, nil))
	nv.updateHost(&tracker.Stats{Snapshot: tracker.Snapshot{Peers: 3, Entries: 5, Joins: 3}, Conns: 4})
	s, _ := nv.HostSummary.Get()
	if strings.Contains(s, "dropped") || !strings.Contains(s, "3 computers registered") {
		t.Errorf("summary %q", s)
	}
	nv.updateHost(&tracker.Stats{Snapshot: tracker.Snapshot{Peers: 3, Entries: 5, Joins: 3, Expired: 2}, Conns: 4})
	s, _ = nv.HostSummary.Get()
	if !strings.Contains(s, "2 computers dropped for going silent") {
		t.Errorf("summary %q lacks the 2 dropped", s)
	}
}
