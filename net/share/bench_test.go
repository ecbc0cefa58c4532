package share

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkIndexSegments hashes a 64 MiB file with all cores (the hot path
// of indexing; the file is in the page cache after the first pass).
func BenchmarkIndexSegments(b *testing.B) {
	dir := b.TempDir()
	data := randomBytes(1, 64<<20)
	if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "f"), old, old)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		benchScan(b, dir, 0)
	}
}

// BenchmarkIndexFolder indexes $ENXAME_BENCH_DIR from scratch (no cache)
// with $ENXAME_BENCH_WORKERS hashing goroutines (default: GOMAXPROCS).
// scripts/bench-peer.sh runs it; it is skipped otherwise.
func BenchmarkIndexFolder(b *testing.B) {
	dir := os.Getenv("ENXAME_BENCH_DIR")
	if dir == "" {
		b.Skip("ENXAME_BENCH_DIR not set (see scripts/bench-peer.sh)")
	}
	workers, _ := strconv.Atoi(os.Getenv("ENXAME_BENCH_WORKERS"))
	var total int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	b.SetBytes(total)
	for b.Loop() {
		benchScan(b, dir, workers)
	}
}

func benchScan(b *testing.B, dir string, workers int) {
	ix, err := New(Config{Dir: dir, NoCache: true, Workers: workers, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Scan(b.Context()); err != nil {
		b.Fatal(err)
	}
	if p := ix.Progress(); p.HashBytesDone != p.HashBytes || p.Files == 0 {
		b.Fatalf("indexed %+v", p)
	}
}
