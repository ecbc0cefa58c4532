package transfer

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// TestDripStalls: a source that drips (one byte every 100 ms, the stall
// and request timeouts never reached by a single gap) is cut at the end
// of the rate window, retried after a backoff, and when it is the only
// source the download fails with the stall timeout as if nothing had
// arrived. Before the minimum rate, every dripped byte held the stall
// timeout off and the download ran for as long as the peer liked.
func TestDripStalls(t *testing.T) {
	for _, c := range []struct {
		name         string
		dripManifest bool
	}{
		{"chunks", false},
		{"manifest", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, m := randomFile(t, 2*chunk)
			drip := newTestPeer(data, m)
			drip.drip = 100 * time.Millisecond
			drip.dripManifest = c.dripManifest
			drip.start(t)
			tr := &fakeTracker{}
			tr.set(result("f.bin", m, drip))
			opts := testOptions(tr)
			opts.StallTimeout = 3 * time.Second
			opts.RequestTimeout = 2 * time.Second
			opts.rateWindow = 500 * time.Millisecond
			d := New(Request{Name: "f.bin", Dir: t.TempDir()}, opts)

			ctx, cancel := context.WithTimeout(t.Context(), 4*opts.StallTimeout)
			defer cancel()
			start := time.Now()
			err := d.Run(ctx)
			el := time.Since(start)
			if !errors.Is(err, ErrStalled) {
				t.Fatalf("after %v: got %v, want ErrStalled", el.Round(time.Millisecond), err)
			}
			if el > opts.StallTimeout+2*time.Second {
				t.Fatalf("stalled after %v, want about the stall timeout (%v)", el, opts.StallTimeout)
			}
			if !c.dripManifest {
				if n := drip.getConns.Load(); n < 2 {
					t.Fatalf("the dripping source was asked on %d connection(s): never cut and retried", n)
				}
				if p := d.Progress(); p.Done != 0 {
					t.Fatalf("%d bytes done from a drip", p.Done)
				}
			}
		})
	}
}

// fakeSource is a reader on a fake clock: each Read takes the next step's
// time and returns its bytes.
type fakeSource struct {
	clock time.Time
	steps []guardStep
	i     int
}

type guardStep struct {
	wait    time.Duration
	n       int
	restart bool // the pipeline was empty before this read
}

func (f *fakeSource) Read(p []byte) (int, error) {
	if f.i >= len(f.steps) {
		return 0, io.EOF
	}
	s := f.steps[f.i]
	f.i++
	f.clock = f.clock.Add(s.wait)
	return min(s.n, len(p)), nil
}

func repeat(n int, s guardStep) []guardStep {
	out := make([]guardStep, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestRateGuard: the minimum-rate judgement, on a fake clock (16 KiB/s
// over 5 s, as by default).
func TestRateGuard(t *testing.T) {
	cases := []struct {
		name    string
		steps   []guardStep
		slowAt  int // index of the read that fails; -1 none
		stamped bool
	}{
		{"drip: a byte every 4 s", repeat(10, guardStep{wait: 4 * time.Second, n: 1}), 1, false},
		{"a byte every 9 s, under the request timeout", repeat(3, guardStep{wait: 9 * time.Second, n: 1}), 0, false},
		{"just under the rate", repeat(20, guardStep{wait: time.Second, n: 15 << 10}), 4, false},
		{"steady at the rate", repeat(40, guardStep{wait: time.Second, n: 17 << 10}), -1, true},
		{"fast", repeat(200, guardStep{wait: 10 * time.Millisecond, n: 16 << 10}), -1, true},
		{"silent 9 s, then a burst", []guardStep{{wait: 9 * time.Second, n: 1 << 20}}, -1, true},
		{"silent 9 s, then too little", []guardStep{{wait: 9 * time.Second, n: 16 << 10}}, 0, false},
		{"small answers, each asked with an empty pipeline", repeat(400, guardStep{wait: 50 * time.Millisecond, n: 100, restart: true}), -1, false},
		{"small answers back to back", repeat(400, guardStep{wait: 50 * time.Millisecond, n: 100}), 99, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := &fakeSource{clock: time.Unix(1e9, 0), steps: c.steps}
			var stamp atomic.Int64
			g := newRateGuard(src, DefaultMinRate, DefaultRateWindow, &stamp)
			g.now = func() time.Time { return src.clock }
			buf := make([]byte, 1<<20)
			slowAt := -1
			for i, s := range c.steps {
				if s.restart {
					g.restart()
				}
				if _, err := g.Read(buf); errors.Is(err, errTooSlow) {
					slowAt = i
					break
				}
			}
			if slowAt != c.slowAt {
				t.Errorf("cut at read %d, want %d", slowAt, c.slowAt)
			}
			if got := stamp.Load() != 0; got != c.stamped {
				t.Errorf("stamped progress: %v, want %v", got, c.stamped)
			}
		})
	}
}
