package engine

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/enxametest/live"
)

// rateRun downloads a file of rate×d bytes between two engines on
// loopback, the seeder limited to up and the downloader to down (bytes a
// second, 0 none), and returns the rate achieved, in bytes a second, from
// asking for the download to its end.
func rateRun(tb testing.TB, up, down int64, d time.Duration) float64 {
	tb.Helper()
	size := int64(float64(max(up, down)) * d.Seconds())
	dir := tb.TempDir()
	f, err := os.Create(filepath.Join(dir, "limited.bin"))
	if err != nil {
		tb.Fatal(err)
	}
	src := rand.NewChaCha8([32]byte{byte(size), byte(size >> 8), byte(size >> 16)})
	if _, err := io.CopyN(f, src, size); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	old := time.Now().Add(-time.Hour)
	os.Chtimes(f.Name(), old, old)

	tr := live.StartTracker(tb)
	seeder := startTB(tb, Config{Tracker: tr, ShareDir: dir, Share: ShareOptions{NoCache: true}, MaxUpload: up})
	leecher := startTB(tb, Config{Tracker: tr, NoServe: true, MaxDownload: down})
	enxametest.WaitFor(tb, 30*time.Second, "the tracker to list the seeder's file", func() bool {
		resp, err := seeder.Search(tb.Context(), "limited")
		return err == nil && len(resp.Results) == 1
	})
	start := time.Now()
	key, err := leecher.Download(Request{Name: "limited.bin"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := leecher.WaitDownload(tb.Context(), key); err != nil {
		tb.Fatalf("download: %v", err)
	}
	return float64(size) / time.Since(start).Seconds()
}

// TestRateLimits: with 2 MB/s and 5 MB/s limits each way, a 5-second
// transfer never runs over the limit by more than 10 %, and is not far
// under it. The tight lower bound (within 10 %) is measured by
// BenchmarkRateLimit, not asserted here: this machine is shared.
func TestRateLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("5-second transfers")
	}
	for _, limit := range []int64{2_000_000, 5_000_000} {
		for _, dir := range []string{"upload", "download"} {
			t.Run(fmt.Sprintf("%s/%dMBps", dir, limit/1_000_000), func(t *testing.T) {
				t.Parallel()
				up, down := limit, int64(0)
				if dir == "download" {
					up, down = 0, limit
				}
				got := rateRun(t, up, down, 5*time.Second)
				t.Logf("%s limit %d B/s: %.0f B/s (%+.1f %%)", dir, limit, got, 100*(got/float64(limit)-1))
				if got > 1.1*float64(limit) {
					t.Errorf("%s at %.0f B/s, over the limit of %d by more than 10 %%", dir, got, limit)
				}
				if got < 0.5*float64(limit) {
					t.Errorf("%s at %.0f B/s, under half the limit of %d", dir, got, limit)
				}
			})
		}
	}
}

// BenchmarkRateLimit measures how close transfers of 5 s come to upload
// and download limits of 1, 10 and 100 MB/s: each b.N transfers, it
// reports the median rate and its error against the limit. Run with
// -benchtime=5x (see docs/BENCHMARKS.md).
func BenchmarkRateLimit(b *testing.B) {
	for _, limit := range []int64{1_000_000, 10_000_000, 100_000_000} {
		for _, dir := range []string{"upload", "download"} {
			b.Run(fmt.Sprintf("%s/%dMBps", dir, limit/1_000_000), func(b *testing.B) {
				up, down := limit, int64(0)
				if dir == "download" {
					up, down = 0, limit
				}
				var rates []float64
				for b.Loop() {
					rates = append(rates, rateRun(b, up, down, 5*time.Second))
				}
				slices.Sort(rates)
				med := rates[len(rates)/2]
				b.ReportMetric(med/1e6, "MB/s")
				b.ReportMetric(100*(med/float64(limit)-1), "%err")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// TestSetRateLimitsLive: lifting the download limit in the middle of a
// transfer that would take 8 s at it lets the transfer finish at once, and
// a limit set live holds on the transfers already running.
func TestSetRateLimitsLive(t *testing.T) {
	const size = 4_000_000
	dir := t.TempDir()
	data := randomData(size)
	p := filepath.Join(dir, "live.bin")
	os.WriteFile(p, data, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	tr := live.StartTracker(t)
	seeder := start(t, Config{Tracker: tr, ShareDir: dir, Share: ShareOptions{NoCache: true}})
	leecher := start(t, Config{Tracker: tr, NoServe: true, MaxDownload: size / 8})
	enxametest.WaitFor(t, 10*time.Second, "the tracker to list the seeder's file", func() bool {
		resp, err := seeder.Search(t.Context(), "live")
		return err == nil && len(resp.Results) == 1
	})
	if up, down := leecher.RateLimits(); up != 0 || down != size/8 {
		t.Fatalf("limits at start %d, %d", up, down)
	}
	start := time.Now()
	key, err := leecher.Download(Request{Name: "live.bin"})
	if err != nil {
		t.Fatal(err)
	}
	enxametest.WaitFor(t, 10*time.Second, "the first bytes", func() bool {
		tr, _ := leecher.Transfer(key)
		return tr.Done > 0
	})
	if err := leecher.SetRateLimits(0, 0); err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, leecher, key), data)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %v after the limit was lifted (8 s at the limit)", took)
	}

	// Now the other way: a limit set on the seeder live.
	if err := seeder.SetRateLimits(size/2, 0); err != nil {
		t.Fatal(err)
	}
	os.Remove(waitDonePath(t, leecher, key))
	start = time.Now()
	key, err = leecher.Download(Request{Name: "live.bin"})
	if err != nil {
		t.Fatal(err)
	}
	sameFile(t, waitDone(t, leecher, key), data)
	if rate := size / time.Since(start).Seconds(); rate > 1.1*size/2 {
		t.Errorf("downloaded at %.0f B/s from a seeder limited to %d", rate, size/2)
	}
}

func waitDonePath(t *testing.T, e *Engine, key string) string {
	t.Helper()
	tr, ok := e.Transfer(key)
	if !ok {
		t.Fatalf("no transfer %s", key)
	}
	return tr.Path
}
