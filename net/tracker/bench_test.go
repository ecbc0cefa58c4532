package tracker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/tracker/internal/corpus"
	"github.com/enxame/enxame/net/wire"
)

const (
	benchPeers        = 10_000
	benchFilesPerPeer = 100
)

var (
	bigOnce     sync.Once
	bigRegistry *Registry
	bigTokens   []string
	bigHeap     uint64 // live heap bytes of the registry, measured after a GC
)

// bigIndex registers 10,000 peers × 100 files (1,000,000 indexed files).
func bigIndex(b *testing.B) *Registry {
	bigOnce.Do(func() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := NewRegistry(RegistryConfig{})
		start := time.Now()
		for i := range benchPeers {
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 7000)
			tok, _, err := r.Register(addr, corpus.Files(i, benchFilesPerPeer), start)
			if err != nil {
				panic(err)
			}
			bigTokens = append(bigTokens, tok)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		bigHeap = after.HeapAlloc - before.HeapAlloc
		bigRegistry = r
		s := r.Snapshot()
		fmt.Printf("indexed %d files (%d distinct) of %d peers in %v; live heap %d MiB, %d bytes per indexed file\n",
			s.Files, s.Entries, s.Peers, time.Since(start).Round(time.Millisecond), bigHeap>>20, bigHeap/uint64(s.Files))
	})
	return bigRegistry
}

// BenchmarkSearch1M searches an index of 1,000,000 files.
func BenchmarkSearch1M(b *testing.B) {
	r := bigIndex(b)
	cases := []struct{ name, q string }{
		{"selective-number", corpus.SelectiveQuery(4321, 57)},
		{"selective-words", "cedar cello"},
		{"id", corpus.File(777, 42).ID},
		{"exact-name", corpus.File(1234, 56).Name},
		{"common-word-truncated", "river"},
		{"empty-truncated", ""},
		{"no-match", "zzzq"},
		{"two-chars-rare", "q7"},
		{"words-any-order", "cello cedar"},
		{"no-accents", "smorgas cafe"},
	}
	b.Run("selective-number-mix", func(b *testing.B) {
		// The load generator's query mix: one file number each.
		qs := make([]string, 4096)
		for i := range qs {
			qs[i] = corpus.SelectiveQuery(i*7919%benchPeers, corpus.PopularPerPeer+i*31%(benchFilesPerPeer-corpus.PopularPerPeer))
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if n := len(r.Search(qs[i%len(qs)], remoteView).Results); n != 1 {
				b.Fatalf("%q: %d results", qs[i%len(qs)], n)
			}
			i++
		}
	})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				n = len(r.Search(c.q, remoteView).Results)
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	r := bigIndex(b)
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := r.Heartbeat(bigTokens[i%len(bigTokens)], now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkHandleHeartbeat measures one heartbeat line through the server's
// handler: parsing, registry, answer.
func BenchmarkHandleHeartbeat(b *testing.B) {
	s := NewServer(Config{})
	tok, _, err := s.reg.Register(ap("10.0.0.1:1"), nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(`{"op":"heartbeat","token":"` + tok + `"}`)
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		out = s.handle(out[:0], line, localView)
	}
}

func BenchmarkUpdate100(b *testing.B) {
	r := NewRegistry(RegistryConfig{})
	files := corpus.Files(1, 100)
	tok, _, err := r.Register(ap("10.0.0.1:1"), files, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Update(tok, files, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerTCP measures requests over persistent loopback
// connections against the 1M-file index, client and server in-process.
func BenchmarkServerTCP(b *testing.B) {
	reg := bigIndex(b)
	for _, c := range []struct {
		name string
		line func(i int) string
	}{
		{"heartbeat", func(i int) string { return `{"op":"heartbeat","token":"` + bigTokens[i%len(bigTokens)] + `"}` }},
		{"search", func(i int) string {
			return `{"op":"search","q":"` + corpus.SelectiveQuery(i*7919%benchPeers, 10+i%90) + `"}`
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := NewServer(Config{})
			s.reg = reg
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { s.Serve(ctx, ln); close(done) }()
			defer func() { cancel(); <-done }()
			var seq atomic.Int64
			b.SetParallelism(8)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := enxametest.DialTLS(context.Background(), ln.Addr().String())
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				for pb.Next() {
					i := int(seq.Add(1))
					if _, err := io.WriteString(conn, c.line(i)+"\n"); err != nil {
						b.Error(err)
						return
					}
					ans, err := br.ReadSlice('\n')
					if err != nil || !bytes.HasPrefix(ans, []byte(`{"ok":true`)) {
						b.Errorf("answer %q %v", ans, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkServerConnect opens one connection per heartbeat.
func BenchmarkServerConnect(b *testing.B) {
	s := NewServer(Config{MaxConnsPerIP: 4096})
	tok, _, err := s.reg.Register(ap("10.0.0.1:1"), nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(`{"op":"heartbeat","token":"` + tok + `"}` + "\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done }()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 64)
		for pb.Next() {
			c, err := enxametest.DialTLS(context.Background(), ln.Addr().String())
			if err != nil {
				b.Error(err)
				return
			}
			c.Write(line)
			n, err := io.ReadAtLeast(c, buf, len(okLine))
			c.Close()
			if err != nil || !bytes.Equal(buf[:n], okLine) {
				b.Errorf("answer %q %v", buf[:n], err)
				return
			}
		}
	})
}

// BenchmarkRegisterOneName registers and drops a peer announcing 20,000
// files under one name (and 20,000 names of one id): chains must not make
// that quadratic.
func BenchmarkRegisterOneName(b *testing.B) {
	sameName := make([]wire.FileEntry, wire.MaxFilesPerPeer)
	sameID := make([]wire.FileEntry, wire.MaxFilesPerPeer)
	for i := range sameName {
		sameName[i] = file("same.txt", fmt.Sprint(i))
		sameID[i] = file(fmt.Sprint("name ", i), "same")
	}
	r := NewRegistry(RegistryConfig{})
	b.ReportAllocs()
	for b.Loop() {
		for _, files := range [][]wire.FileEntry{sameName, sameID} {
			tok, _, err := r.Register(ap("10.0.0.1:1"), files, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Unregister(tok, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
}
