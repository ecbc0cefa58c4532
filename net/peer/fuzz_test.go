package peer

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/enxame/enxame/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scriptConn is a net.Conn that reads a fixed script and records what is
// written: it lets the fuzzer drive one connection synchronously.
type scriptConn struct {
	r   *bytes.Reader
	out bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

type mapCatalog map[string]Item

func (m mapCatalog) Lookup(id string) (Item, bool) { it, ok := m[id]; return it, ok }

// countingHandler is a slog handler that counts error records (a
// recovered panic is logged at Error).
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

func fuzzCatalog(tb testing.TB) (mapCatalog, string) {
	dir := tb.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), (300<<10)/16)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	m, err := wire.ManifestOf(bytes.NewReader(data), int64(len(data)), nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	id := m.ID()
	partial := *m
	partialID := strings.Repeat("ab", 32)
	return mapCatalog{
		id: {Manifest: m, Open: func() (*os.File, error) { return os.Open(path) }},
		partialID: {Manifest: &partial, Open: func() (*os.File, error) { return os.Open(path) },
			Have: func() wire.Bitfield { return wire.Bitfield{0x80} }},
	}, id
}

var fuzzSeeds = []string{
	"GET %ID 0 1\n",
	"GET %ID 0 307200\nHAVE %ID\nMANIFEST %ID\n",
	"GET %ID 307199 1\nGET %ID 307200 1\n",
	"GET %ID -1 1\nGET %ID 0 -1\nGET %ID 0 0\nGET %ID 99999999999999999999 1\n",
	"GET %ID 9223372036854775807 9223372036854775807\n",
	"GET ../../etc/passwd 0 1\nMANIFEST ../../etc/passwd\n",
	"GET abababababababababababababababababababababababababababababababab 262144 1\n",
	"HAVE abababababababababababababababababababababababababababababababab\n",
	"HELLO\n\n \r\nGET\nGET  %ID 0 1\n",
	"\x00\xff\xfe garbage\n",
	strings.Repeat("A", 2000) + "\nGET %ID 0 1\n",
	"GET %ID 0 1",
}

func FuzzServeConn(f *testing.F) {
	cat, id := fuzzCatalog(f)
	for _, s := range fuzzSeeds {
		f.Add([]byte(strings.ReplaceAll(s, "%ID", id)))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		var errorsLogged atomic.Int64
		s := NewServer(Config{Catalog: cat, Logger: slog.New(countingHandler{&errorsLogged})})
		c := &scriptConn{r: bytes.NewReader(script)}
		slot, _ := s.slots.Acquire(netip.MustParseAddr("127.0.0.1"), c)
		s.serveConn(t.Context(), c, slot)
		slot.Release()
		if errorsLogged.Load() != 0 {
			t.Fatalf("server logged an error (panic?) for %q", script)
		}
		lines := bytes.Count(script, []byte{'\n'})
		if tail := script[bytes.LastIndexByte(script, '\n')+1:]; len(tail) >= wire.MaxPeerLineBytes {
			lines++ // an over-long fragment is answered before its end
		}
		checkFrames(t, c.out.Bytes(), lines)
	})
}

// checkFrames checks out is a sequence of well-formed answers, at most one
// per request line.
func checkFrames(t *testing.T, out []byte, lines int) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	answers := 0
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil {
			t.Fatalf("truncated answer line %q", line)
		}
		answers++
		switch {
		case strings.HasPrefix(line, "OK "):
			n, err := strconv.ParseInt(strings.TrimSuffix(line[3:], "\n"), 10, 64)
			if err != nil || n < 0 {
				t.Fatalf("bad OK line %q", line)
			}
			if _, err := io.CopyN(io.Discard, br, n); err != nil {
				t.Fatalf("OK %d with a short payload", n)
			}
		case strings.HasPrefix(line, "ERR "):
			code, _, _ := strings.Cut(line[4:], " ")
			switch wire.Code(code) {
			case wire.CodeBadRequest, wire.CodeNotFound, wire.CodeRange, wire.CodeMissing, wire.CodeBusy:
			default:
				t.Fatalf("ERR with code %q outside the peer protocol", code)
			}
		default:
			t.Fatalf("answer %q is neither OK nor ERR", line)
		}
	}
	if answers > lines {
		t.Fatalf("%d answers for %d request lines", answers, lines)
	}
}
