package transfer

import (
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// The minimum rate (PROTOCOL §4, "Room for everyone"): a source that owes
// answers and delivers less than DefaultMinRate, averaged over
// DefaultRateWindow of waiting for it, is treated as stalled, however
// steadily it drips.
const (
	DefaultMinRate    = 16 << 10 // bytes a second
	DefaultRateWindow = 5 * time.Second
)

// errTooSlow ends a connection whose peer delivers under the minimum rate.
var errTooSlow = errors.New("peer delivers under the minimum rate")

// rateGuard sits beneath a peer connection's buffered reader and holds
// the peer to a minimum rate while it owes answers.
//
// It counts only the time spent waiting in Read, and the bytes that
// arrive: the time the downloader spends on its own business (hashing,
// waiting for a buffer or the disk) is not the peer's. Once the wait
// reaches window, the bytes must reach minRate times the wait, or Read
// fails with errTooSlow; either way a new window starts. restart starts
// one too: a session calls it when its pipeline was empty, because a
// peer that has answered everything it was asked is not slow, however
// small (and so latency-bound) the answers were.
//
// While the bytes of a window keep up with the rate and at least
// minRate×window of them have arrived, each read stamps progress (the
// download's stall clock, unix ns): steady data keeps a download from
// stalling, a drip never does.
type rateGuard struct {
	r        io.Reader
	minRate  float64
	window   time.Duration
	progress *atomic.Int64 // nil: nothing to stamp
	now      func() time.Time

	wait time.Duration // spent in Read this window
	got  int64         // bytes this window
}

func newRateGuard(r io.Reader, minRate int64, window time.Duration, progress *atomic.Int64) *rateGuard {
	return &rateGuard{r: r, minRate: float64(minRate), window: window, progress: progress, now: time.Now}
}

// guard puts a rate guard beneath pc's reader (and beneath the download
// limit, whose waits are not the peer's). It is called right after
// dialling, before anything was read.
func guard(pc *peerConn, minRate int64, window time.Duration, progress *atomic.Int64) *rateGuard {
	g := newRateGuard(pc.c, minRate, window, progress)
	pc.br.Reset(pc.limit(g))
	return g
}

// restart starts a new window.
func (g *rateGuard) restart() { g.wait, g.got = 0, 0 }

func (g *rateGuard) Read(p []byte) (int, error) {
	t0 := g.now()
	n, err := g.r.Read(p)
	t1 := g.now()
	g.wait += t1.Sub(t0)
	g.got += int64(n)
	need := g.minRate * g.wait.Seconds()
	if g.progress != nil && n > 0 && float64(g.got) >= max(need, g.minRate*g.window.Seconds()) {
		g.progress.Store(t1.UnixNano())
	}
	if g.wait >= g.window {
		slow := float64(g.got) < need
		g.restart()
		if slow {
			return n, errTooSlow
		}
	}
	return n, err
}
