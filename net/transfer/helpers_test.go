package transfer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/net/enxametest"
	"github.com/enxame/enxame/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeTracker answers searches from a list of files it is told about.
type fakeTracker struct {
	mu      sync.Mutex
	results []wire.SearchResult
	err     error
	calls   atomic.Int64
}

func (f *fakeTracker) set(results ...wire.SearchResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results = results
}

func (f *fakeTracker) Search(ctx context.Context, q string) (*wire.SearchResponse, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	resp := &wire.SearchResponse{OK: true, Results: []wire.SearchResult{}}
	for _, r := range f.results {
		if r.ID == q || strings.Contains(strings.ToLower(r.Name), strings.ToLower(q)) {
			resp.Results = append(resp.Results, r)
		}
	}
	return resp, nil
}

// result builds a search result for a file held by peers.
func result(name string, m *wire.Manifest, peers ...*testPeer) wire.SearchResult {
	r := wire.SearchResult{ID: m.ID(), Name: name, Size: m.Size}
	for _, p := range peers {
		r.Peers = append(r.Peers, wire.ResultPeer{Addr: p.addr(), Complete: p.have == nil})
	}
	return r
}

// randomFile returns size random bytes and their manifest.
func randomFile(t testing.TB, size int) ([]byte, *wire.Manifest) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	m, err := wire.ManifestOf(bytes.NewReader(data), int64(size), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data, m
}

// testPeer is a chunk server double speaking PROTOCOL §3, with faults.
type testPeer struct {
	data []byte
	m    *wire.Manifest
	id   string
	// have, if not nil, makes it a partial holder of these chunks.
	have wire.Bitfield
	// corrupt chunks are served with one byte flipped.
	corrupt func(chunk int) bool
	// hangGet answers MANIFEST and HAVE but never a GET.
	hangGet bool
	// killAfter closes every connection and the listener once this many
	// payload bytes were served (0: never).
	killAfter int64
	// delay is slept before each GET answer (a slow peer).
	delay time.Duration
	// drip, if set, sends each GET answer (status line and body) one byte
	// every drip; with dripManifest the manifest too.
	drip         time.Duration
	dripManifest bool

	ln     net.Listener
	served atomic.Int64
	gets   atomic.Int64
	// getConns counts the connections that asked for a chunk.
	getConns atomic.Int64
	// accepted counts the connections accepted.
	accepted atomic.Int64
	stop     chan struct{}
	once     sync.Once
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
	killed   chan struct{}
}

func newTestPeer(data []byte, m *wire.Manifest) *testPeer {
	return &testPeer{data: data, m: m, id: m.ID(), stop: make(chan struct{}), conns: map[net.Conn]bool{}, killed: make(chan struct{})}
}

// start listens on loopback and serves until the test ends or kill.
func (p *testPeer) start(t testing.TB) *testPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = enxametest.TLSListener(ln) // a fake peer of protocol version 2
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			p.mu.Lock()
			p.conns[c] = true
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
				c.Close()
			}()
		}
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *testPeer) addr() string { return p.ln.Addr().String() }

// kill closes the listener and every connection, and waits for them.
func (p *testPeer) kill() {
	p.once.Do(func() {
		close(p.stop)
		p.ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		close(p.killed)
	})
	p.wg.Wait()
}

// dropConns closes every open connection, listening on (a peer that
// evicted its idle connections, or restarted).
func (p *testPeer) dropConns() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// open is how many connections are open.
func (p *testPeer) open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *testPeer) serve(c net.Conn) {
	br := bufio.NewReader(c)
	asked := false
	for {
		line, err := wire.ReadLine(br, wire.MaxPeerLineBytes)
		if err != nil {
			return
		}
		req, err := wire.ParsePeerRequest(line)
		if err != nil {
			wire.WriteErr(c, wire.CodeOf(err), err.Error())
			return
		}
		if req.ID != p.id {
			wire.WriteErr(c, wire.CodeNotFound, "not shared")
			continue
		}
		switch req.Verb {
		case wire.VerbManifest:
			js, _ := p.m.MarshalJSON()
			if p.dripManifest {
				if !p.dripAnswer(c, js) {
					return
				}
				continue
			}
			wire.WriteOK(c, int64(len(js)))
			c.Write(js)
		case wire.VerbHave:
			bf := p.have
			if bf == nil {
				bf = wire.NewBitfield(p.m.NumChunks())
				for i := range p.m.NumChunks() {
					bf.Set(i)
				}
			}
			wire.WriteOK(c, int64(len(bf)))
			c.Write(bf)
		case wire.VerbGet:
			p.gets.Add(1)
			if !asked {
				asked = true
				p.getConns.Add(1)
			}
			if p.hangGet {
				<-p.stop
				return
			}
			if p.delay > 0 {
				select {
				case <-p.stop:
					return
				case <-time.After(p.delay):
				}
			}
			if req.Offset+req.Size > int64(len(p.data)) {
				wire.WriteErr(c, wire.CodeRange, "outside the file")
				continue
			}
			chunk := int(req.Offset / p.m.ChunkSize)
			if p.have != nil && !p.have.Has(chunk) {
				wire.WriteErr(c, wire.CodeMissing, "not yet")
				continue
			}
			body := p.data[req.Offset : req.Offset+req.Size]
			if p.corrupt != nil && p.corrupt(chunk) {
				body = append([]byte(nil), body...)
				body[len(body)/2] ^= 0xff
			}
			if p.drip > 0 {
				if !p.dripAnswer(c, body) {
					return
				}
				continue
			}
			wire.WriteOK(c, req.Size)
			if _, err := c.Write(body); err != nil {
				return
			}
			if n := p.served.Add(req.Size); p.killAfter > 0 && n >= p.killAfter {
				go p.kill()
				return
			}
		}
	}
}

// dripAnswer sends an OK answer with body one byte every p.drip (paced
// by a ticker, bounded by the peer's life); false once the connection or
// the peer ended.
func (p *testPeer) dripAnswer(c net.Conn, body []byte) bool {
	var b bytes.Buffer
	wire.WriteOK(&b, int64(len(body)))
	b.Write(body)
	t := time.NewTicker(p.drip)
	defer t.Stop()
	for _, x := range b.Bytes() {
		select {
		case <-p.stop:
			return false
		case <-t.C:
		}
		if _, err := c.Write([]byte{x}); err != nil {
			return false
		}
	}
	return true
}

// testOptions are short timeouts for tests; every download made with
// them signals progressed.
func testOptions(tr Searcher) Options {
	return Options{
		Tracker:         tr,
		StallTimeout:    10 * time.Second,
		RefreshInterval: 100 * time.Millisecond,
		RequestTimeout:  2 * time.Second,
		DialTimeout:     time.Second,
		HaveInterval:    100 * time.Millisecond,
		onProgress:      progressed.notify,
	}
}

// progressed is signalled at every state change and verified chunk of
// the downloads made with testOptions.
var progressed = &broadcast{ch: make(chan struct{})}

// broadcast wakes every waiter at once: next returns a channel closed at
// the following notify.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

func (b *broadcast) next() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// waitFor waits, bounded, until cond holds for d's progress. d must have
// been made with testOptions.
func waitFor(t *testing.T, d *Download, what string, cond func(Progress) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ch := progressed.next()
		if cond(d.Progress()) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// hiddenFiles lists the downloader's hidden files left in dir.
func hiddenFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), hiddenPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// checkSaved asserts the download saved exactly data at dir/name.
func checkSaved(t testing.TB, path, wantPath string, data []byte) {
	t.Helper()
	if path != wantPath {
		t.Fatalf("saved at %q, want %q", path, wantPath)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("saved file differs from the original (%d vs %d bytes)", len(got), len(data))
	}
	if h := hiddenFiles(t, filepath.Dir(path)); len(h) != 0 {
		t.Fatalf("hidden files left after success: %v", h)
	}
}

// run runs a download to its end with a bound.
func run(t testing.TB, d *Download) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	return d.Run(ctx)
}

// diskFull fails writes with ENOSPC once left writes were made, through
// every handle it wraps (counted in handles).
type diskFull struct {
	left    atomic.Int64
	handles atomic.Int64
}

func (d *diskFull) wrap(w io.WriterAt) io.WriterAt {
	d.handles.Add(1)
	return &fullFile{w: w, d: d}
}

type fullFile struct {
	w io.WriterAt
	d *diskFull
}

func (f *fullFile) WriteAt(p []byte, off int64) (int, error) {
	if f.d.left.Add(-1) < 0 {
		return 0, &os.PathError{Op: "write", Path: "part", Err: syscall.ENOSPC}
	}
	return f.w.WriteAt(p, off)
}

// readState decodes a resume record.
func readStateFile(t testing.TB, path string) stateRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec stateRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

var errTest = errors.New("test error")

// testStem is the part-file stem tests plant for m.
func testStem(m *wire.Manifest) string { return hiddenPrefix + m.ID()[:16] + "-0123456789abcdef" }

// writePart writes a part file of data under testStem in dir, holding the
// bytes of chunks (zeros elsewhere), and, unless record is nil, a resume
// record claiming record's chunks.
func writePart(t testing.TB, dir string, m *wire.Manifest, data []byte, chunks []int, record []int) {
	t.Helper()
	part := make([]byte, len(data))
	for _, i := range chunks {
		off, size := m.Chunk(i)
		copy(part[off:off+size], data[off:off+size])
	}
	stem := testStem(m)
	if err := os.WriteFile(filepath.Join(dir, stem+partSuffix), part, 0o644); err != nil {
		t.Fatal(err)
	}
	if record == nil {
		return
	}
	have := wire.NewBitfield(m.NumChunks())
	for _, i := range record {
		have.Set(i)
	}
	rec, _ := json.Marshal(stateRecord{V: 1, ID: m.ID(), Size: m.Size, Name: "f.bin", Have: have})
	if err := os.WriteFile(filepath.Join(dir, stem+stateSuffix), rec, 0o644); err != nil {
		t.Fatal(err)
	}
}
