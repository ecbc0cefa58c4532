// Package throttle holds a process's rate limits: one Limiter for each
// direction, shared by every connection, built on golang.org/x/time/rate's
// token bucket. Bytes are paid for in steps of at most MaxStep, never one
// token a byte; the bucket holds little more than two steps (or 50 ms of
// the rate, whichever is more), so the limit holds over short windows too.
package throttle

import (
	"context"
	"io"
	"sync"

	"golang.org/x/time/rate"
)

const (
	// MaxStep is the most bytes paid for at once.
	MaxStep = 64 << 10
	// minStep is the least bytes paid for at once (low rates).
	minStep = 4 << 10
	// burstWindow is how much of the rate the bucket may hold, at least.
	burstWindow = 20 // 1/20 s = 50 ms
)

// Limiter limits a flow of bytes to a rate shared by all its users. The
// zero rate is no limit. The nil *Limiter limits nothing. It is safe for
// concurrent use; SetRate takes effect at once, also for waiters.
type Limiter struct {
	set sync.Mutex // serialises SetRate: a limit and its bucket go together
	l   *rate.Limiter
}

// New returns a limiter of bytesPerSec (0 or less: none).
func New(bytesPerSec int64) *Limiter {
	lim := &Limiter{l: rate.NewLimiter(rate.Inf, 0)}
	lim.SetRate(bytesPerSec)
	return lim
}

// step and burst are the payment step and bucket size for a rate.
func step(bytesPerSec int64) int {
	return int(min(max(bytesPerSec/burstWindow, minStep), MaxStep))
}

func burst(bytesPerSec int64) int {
	return int(max(2*int64(step(bytesPerSec)), bytesPerSec/burstWindow))
}

// SetRate changes the rate (0 or less: none).
func (lim *Limiter) SetRate(bytesPerSec int64) {
	lim.set.Lock()
	defer lim.set.Unlock()
	if bytesPerSec <= 0 {
		lim.l.SetLimit(rate.Inf)
		return
	}
	// A larger bucket first, a smaller one last: a waiter that read the
	// old size retries when the bucket shrank under it (Wait).
	lim.l.SetBurst(max(lim.l.Burst(), burst(bytesPerSec)))
	lim.l.SetLimit(rate.Limit(bytesPerSec))
	lim.l.SetBurst(burst(bytesPerSec))
}

// Rate is the current rate in bytes a second, 0 for none.
func (lim *Limiter) Rate() int64 {
	if lim == nil {
		return 0
	}
	r := lim.l.Limit()
	if r == rate.Inf {
		return 0
	}
	return int64(r)
}

// Step is how many bytes a user should move between Waits to pay in
// whole steps: MaxStep when unlimited.
func (lim *Limiter) Step() int {
	r := lim.Rate()
	if r == 0 {
		return MaxStep
	}
	return step(r)
}

// Wait blocks until n bytes may pass, or ctx ends.
func (lim *Limiter) Wait(ctx context.Context, n int) error {
	if lim == nil {
		return nil
	}
	for retries := 0; n > 0; {
		if lim.l.Limit() == rate.Inf {
			return nil
		}
		k := min(n, max(lim.l.Burst()/2, 1))
		if err := lim.l.WaitN(ctx, k); err != nil {
			// The bucket may have shrunk (SetRate) after Burst was read:
			// try again, a few times.
			if ctx.Err() != nil || retries == 3 {
				return err
			}
			retries++
			continue
		}
		retries = 0
		n -= k
	}
	return nil
}

// Reader returns r with every byte read paid for after the read: the
// wait falls between reads, so a deadline set before each read measures
// the peer, not the limit. ctx ends the waits.
func (lim *Limiter) Reader(ctx context.Context, r io.Reader) io.Reader {
	if lim == nil {
		return r
	}
	return &reader{ctx: ctx, lim: lim, r: r}
}

type reader struct {
	ctx context.Context // the owner's: an io adapter cannot take one per call
	lim *Limiter
	r   io.Reader
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if werr := r.lim.Wait(r.ctx, n); werr != nil && err == nil {
		err = werr
	}
	return n, err
}
