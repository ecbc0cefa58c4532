package throttle

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{" 0 ", 0, true},
		{"10MB/s", 10_000_000, true},
		{"500KiB/s", 500 << 10, true},
		{"1.5MiB/s", 3 << 19, true},
		{"2 MB/s", 2_000_000, true},
		{"10mb/s", 10_000_000, true},
		{"1KiB/s", 1024, true},
		{"100GB/s", 100_000_000_000, true},
		{"", 0, false},
		{"10MB", 0, false},
		{"10", 0, false},
		{"/s", 0, false},
		{"abc/s", 0, false},
		{"-5MB/s", 0, false},
		{"0MB/s", 0, false},
		{"100B/s", 0, false},
		{"10MB/h", 0, false},
		{"1e3/s", 0, false},
		{"99999999999999999999PB/s", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseRate(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrBadRate) {
				t.Fatalf("error %v is not ErrBadRate", err)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {-1, "0"}, {1024, "1KiB/s"}, {1500, "1500B/s"}, {2000, "2KB/s"}, {500 << 10, "500KiB/s"},
		{2 << 20, "2MiB/s"}, {2_000_000, "2MB/s"}, {1_024_000, "1000KiB/s"}, {3 << 19, "1536KiB/s"}, {10 << 30, "10GiB/s"},
	} {
		got := FormatRate(tc.in)
		if got != tc.want {
			t.Errorf("FormatRate(%d) = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := ParseRate(got); err != nil || back != max(tc.in, 0) {
			t.Errorf("ParseRate(%q) = %d, %v", got, back, err)
		}
	}
}

func TestStepAndBurst(t *testing.T) {
	for _, r := range []int64{MinRate, 100 << 10, 2_000_000, 100_000_000, 10_000_000_000} {
		s, b := step(r), burst(r)
		if s < 1 || s > MaxStep || b < 2*s {
			t.Errorf("rate %d: step %d, burst %d", r, s, b)
		}
		// The bucket never holds more than 50 ms of the rate, or two steps.
		if int64(b) > max(r/burstWindow, 2*int64(s)) {
			t.Errorf("rate %d: burst %d too large", r, b)
		}
	}
}

func TestNilAndUnlimited(t *testing.T) {
	var nl *Limiter
	if err := nl.Wait(t.Context(), 1<<30); err != nil || nl.Rate() != 0 {
		t.Fatal("nil limiter limits")
	}
	l := New(0)
	start := time.Now()
	if err := l.Wait(t.Context(), 1<<30); err != nil || time.Since(start) > time.Second {
		t.Fatal("unlimited limiter waited")
	}
}

// TestReaderLimits reads through a limiter and checks the rate never runs
// over (the upper bound only: the machine may be slow).
func TestReaderLimits(t *testing.T) {
	const rate = 4 << 20
	l := New(rate)
	l.Wait(t.Context(), burst(rate)) // empty the full bucket first
	r := l.Reader(t.Context(), io.LimitReader(zeros{}, 2<<20))
	start := time.Now()
	n, err := io.Copy(io.Discard, r)
	el := time.Since(start)
	if err != nil || n != 2<<20 {
		t.Fatal(n, err)
	}
	if got := float64(n) / el.Seconds(); got > rate*1.1 {
		t.Fatalf("read at %.0f B/s, limit %d", got, rate)
	}
}

func TestSetRateWakesWaiter(t *testing.T) {
	const rate = 64 << 10
	l := New(rate)
	l.Wait(t.Context(), burst(rate))
	done := make(chan error, 1)
	go func() { done <- l.Wait(t.Context(), 1<<20) }() // 16 s at this rate
	l.SetRate(0)
	// A waiter pays step by step: the step it has reserved (62 ms here)
	// is waited for at the old rate, the next ones see the new one.
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not released by SetRate(0)")
	}
}

// TestSetRateConcurrent: rates set from several goroutines while others
// wait leave a limit and its bucket that go together, and a waiter fails
// only when its context ends.
func TestSetRateConcurrent(t *testing.T) {
	l := New(100 << 20)
	ctx, cancel := context.WithCancel(t.Context())
	var setters, waiters sync.WaitGroup
	for i := range 4 {
		setters.Go(func() {
			for j := range 200 {
				l.SetRate(int64(MinRate << ((i + j) % 18)))
			}
		})
	}
	for range 2 {
		waiters.Go(func() {
			for ctx.Err() == nil {
				if err := l.Wait(ctx, l.Step()); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		})
	}
	setters.Wait()
	cancel()
	waiters.Wait()
	if s, b := step(l.Rate()), l.l.Burst(); b != burst(l.Rate()) || b < 2*s {
		t.Fatalf("rate %d left burst %d", l.Rate(), b)
	}
}

func TestWaitCancelled(t *testing.T) {
	l := New(MinRate)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Wait(ctx, 1<<20); err == nil {
		t.Fatal("Wait with a cancelled context returned nil")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
