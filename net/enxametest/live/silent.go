package live

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// StartSilentHolder registers a peer holding name (as id, 5 MiB) that
// accepts connections and never answers, so that a download of it keeps
// running (planning, then stalled) until it is paused: no race with
// completion. It waits until the tracker lists it.
func StartSilentHolder(t testing.TB, trackerAddr, name, id string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := tracker.NewSession(tracker.SessionConfig{Tracker: trackerAddr, Port: ln.Addr().(*net.TCPAddr).Port},
		[]wire.FileEntry{{Name: name, Size: 5 << 20, ID: id, Complete: true}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait(); ln.Close() })
	c := tracker.NewClient(trackerAddr)
	defer c.Close()
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the silent holder", func() bool {
		resp, err := c.Search(t.Context(), name)
		return err == nil && len(resp.Results) == 1
	})
}
