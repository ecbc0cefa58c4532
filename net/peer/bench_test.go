package peer_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/peer"
	"github.com/enxame/enxame/net/share"
	"github.com/enxame/enxame/net/tracker"
	"github.com/enxame/enxame/net/wire"
)

// fetchAll reads [0, size) of id from addr over one connection: every GET
// (wire.MaxRequestSize each) is sent first, then the answers are read and
// discarded in order.
func fetchAll(ctx context.Context, addr, id string, size int64) error {
	c, err := enxametest.DialTLS(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	go func() {
		var line []byte
		for off := int64(0); off < size; off += wire.MaxRequestSize {
			req := wire.PeerRequest{Verb: wire.VerbGet, ID: id, Offset: off, Size: min(wire.MaxRequestSize, size-off)}
			line = req.AppendLine(line)
		}
		c.Write(line)
	}()
	// Reads of at least the bufio buffer's size bypass it: payload bytes
	// land in buf straight from the socket, as curl's do.
	br := bufio.NewReaderSize(c, 64<<10)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += wire.MaxRequestSize {
		n, err := wire.ReadStatus(br, wire.MaxRequestSize)
		if err != nil {
			return err
		}
		for n > 0 {
			k, err := br.Read(buf[:min(n, int64(len(buf)))])
			if err != nil {
				return err
			}
			n -= int64(k)
		}
	}
	return nil
}

// BenchmarkServe streams a 64 MiB file over loopback from an in-process
// server (one connection, pipelined 16 MiB GETs).
func BenchmarkServe(b *testing.B) {
	dir := b.TempDir()
	data := randomBytes(1, 64<<20)
	writeOld(b, filepath.Join(dir, "f"), data)
	ix, err := share.New(share.Config{Dir: dir, NoCache: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	if _, err := ix.Scan(b.Context()); err != nil {
		b.Fatal(err)
	}
	_, addr := serve(b, peer.Config{Catalog: ix, Logger: slog.New(slog.DiscardHandler)})
	id := idOf(b, data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := fetchAll(b.Context(), addr, id, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetch downloads the file named $ENXAME_BENCH_NAME from the peer
// the tracker $ENXAME_BENCH_TRACKER lists for it, discarding the bytes.
// scripts/bench-peer.sh runs it against a real `enxame share`.
func BenchmarkFetch(b *testing.B) {
	trackerAddr, name := os.Getenv("ENXAME_BENCH_TRACKER"), os.Getenv("ENXAME_BENCH_NAME")
	if trackerAddr == "" || name == "" {
		b.Skip("ENXAME_BENCH_TRACKER / ENXAME_BENCH_NAME not set (see scripts/bench-peer.sh)")
	}
	tc := tracker.NewClient(trackerAddr)
	defer tc.Close()
	resp, err := tc.Search(b.Context(), name)
	if err != nil {
		b.Fatal(err)
	}
	var res *wire.SearchResult
	for i := range resp.Results {
		if resp.Results[i].Name == name && len(resp.Results[i].Peers) > 0 {
			res = &resp.Results[i]
		}
	}
	if res == nil {
		b.Fatal(fmt.Sprintf("%q not found on the tracker", name))
	}
	b.SetBytes(res.Size)
	for b.Loop() {
		if err := fetchAll(b.Context(), res.Peers[0].Addr, res.ID, res.Size); err != nil {
			b.Fatal(err)
		}
	}
}
