package transfer

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkDownload runs the whole download loop (pipelined GETs, hashing,
// direct writes, finish) over loopback from in-process seeders serving
// from memory. go test -run '^$' -bench Download -benchtime 3x ./net/transfer
func BenchmarkDownload(b *testing.B) {
	const size = 256 << 20
	data, m := randomFile(b, size)
	for _, seeders := range []int{1, 4} {
		b.Run(fmt.Sprintf("seeders=%d", seeders), func(b *testing.B) {
			var peers []*testPeer
			for range seeders {
				peers = append(peers, newTestPeer(data, m).start(b))
			}
			tr := &fakeTracker{}
			tr.set(result("f.bin", m, peers...))
			dir := b.TempDir()
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				d := New(Request{Name: "f.bin", Dir: dir}, testOptions(tr))
				if err := d.Run(b.Context()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.Remove(d.Progress().Path)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkProgress takes a snapshot of a download of 16,384 chunks (the
// most a file can have below 256 GiB) — what a face does ten times a
// second — and, as a grid does when the version changed, its cells.
func BenchmarkProgress(b *testing.B) {
	const n = 16384
	d := New(Request{Name: "x"}, Options{})
	d.chunks.reset(n)
	for range 8 {
		d.peers = append(d.peers, &peerState{idx: d.chunks.addHolder(true), addr: "127.0.0.1:1"})
	}
	b.Run("progress", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if p := d.Progress(); len(p.Peers) != 8 {
				b.Fatal(len(p.Peers))
			}
		}
	})
	b.Run("cells", func(b *testing.B) {
		b.ReportAllocs()
		var cells []Cell
		for b.Loop() {
			if cells, _ = d.Cells(cells); len(cells) != n {
				b.Fatal(len(cells))
			}
		}
	})
}
