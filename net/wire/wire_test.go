package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/enxame/enxame/net/enxametest"
)

func TestChunkSizeFor(t *testing.T) {
	cases := []struct {
		size      int64
		chunk     int64
		numChunks int
	}{
		{0, 256 << 10, 0},
		{1, 256 << 10, 1},
		{100 << 20, 256 << 10, 400},
		{512 << 20, 256 << 10, 2048},
		{512<<20 + 1, 512 << 10, 1025},
		{1 << 30, 512 << 10, 2048},
		{32 << 30, 16 << 20, 2048},
		{1 << 40, 16 << 20, 65536},
	}
	for _, c := range cases {
		if got := ChunkSizeFor(c.size); got != c.chunk {
			t.Errorf("ChunkSizeFor(%d) = %d, want %d", c.size, got, c.chunk)
		}
		if got := NumChunksFor(c.size, c.chunk); got != c.numChunks {
			t.Errorf("NumChunksFor(%d) = %d, want %d", c.size, got, c.numChunks)
		}
	}
}

func TestManifestOfMatchesContract(t *testing.T) {
	for _, size := range []int{0, 1, 256<<10 - 1, 256 << 10, 256<<10 + 1, 3*256<<10 + 17} {
		data := bytes.Repeat([]byte("enxame!"), size/7+1)[:size]
		m, err := ManifestOf(bytes.NewReader(data), int64(size), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.ID(), enxametest.ContentID(data); got != want {
			t.Errorf("size %d: id %s, want %s", size, got, want)
		}
		js, _ := json.Marshal(m)
		back, err := ParseManifest(js, m.ID())
		if err != nil {
			t.Fatalf("size %d: round trip: %v", size, err)
		}
		if back.ID() != m.ID() {
			t.Errorf("size %d: round trip changed the id", size)
		}
	}
}

func TestManifestOfShortReader(t *testing.T) {
	_, err := ManifestOf(strings.NewReader("abc"), 10, nil, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	good, _ := ManifestOf(strings.NewReader("hello"), 5, nil, nil)
	gj, _ := json.Marshal(good)
	id := good.ID()
	d := hex.EncodeToString(good.Digests[0][:])
	cases := map[string]string{
		"wrong id":         strings.Replace(string(gj), d, strings.Repeat("0", 64), 1),
		"missing size":     `{"chunk_size":262144,"chunks":["` + d + `"]}`,
		"string size":      `{"size":"5","chunk_size":262144,"chunks":["` + d + `"]}`,
		"wrong chunk size": `{"size":5,"chunk_size":1024,"chunks":["` + d + `"]}`,
		"zero chunk size":  `{"size":5,"chunk_size":0,"chunks":["` + d + `"]}`,
		"too many chunks":  `{"size":5,"chunk_size":262144,"chunks":["` + d + `","` + d + `"]}`,
		"upper hex":        `{"size":5,"chunk_size":262144,"chunks":["` + strings.ToUpper(d) + `"]}`,
		"negative size":    `{"size":-5,"chunk_size":262144,"chunks":[]}`,
		"not json":         `{"size":5,`,
		"null":             `null`,
	}
	for name, js := range cases {
		if _, err := ParseManifest([]byte(js), id); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseManifest(gj, id); err != nil {
		t.Fatalf("good manifest rejected: %v", err)
	}
}

func TestReadLine(t *testing.T) {
	in := "one\r\ntwo\n" + strings.Repeat("x", 40) + "\nthree\npartial"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	for _, want := range []string{"one", "two"} {
		got, err := ReadLine(br, 32)
		if err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadLine(br, 32); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long line: err = %v", err)
	}
	br = bufio.NewReader(strings.NewReader("partial"))
	if _, err := ReadLine(br, 32); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("partial: err = %v", err)
	}
	if _, err := ReadLine(bufio.NewReader(strings.NewReader("")), 32); err != io.EOF {
		t.Fatalf("empty: err = %v", err)
	}
	// A line of exactly max bytes, terminator included, is accepted.
	line := strings.Repeat("y", 31) + "\n"
	got, err := ReadLine(bufio.NewReaderSize(strings.NewReader(line), 16), 32)
	if err != nil || len(got) != 31 {
		t.Fatalf("max line: %d bytes, %v", len(got), err)
	}
}

var id64 = strings.Repeat("ab", 32)

var trackerCases = []struct {
	line string
	code Code // "" for success
}{
	{`{"op":"register","port":7000,"files":[]}`, ""},
	{`{"op":"register","port":7000,"files":[{"name":"a/b.txt","size":3,"id":"` + id64 + `"}]}`, ""},
	{`{"op":"register","port":7000,"files":[{"name":"a","size":3,"id":"` + id64 + `","complete":false}]}`, ""},
	{`{"op":"register","port":7000,"files":[],"can_host":true}`, ""},
	{`{"op":"register","port":7000,"files":[],"can_host":false}`, ""},
	{`{"op":"register","port":7000,"files":[],"can_host":"yes"}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[],"can_host":1}`, CodeBadRequest},
	{`{"op":"register","port":0,"files":[]}`, CodeBadRequest},
	{`{"op":"register","port":65536,"files":[]}`, CodeBadRequest},
	{`{"op":"register","port":"7000","files":[]}`, CodeBadRequest},
	{`{"op":"register","port":7000.5,"files":[]}`, CodeBadRequest},
	{`{"op":"register","files":[]}`, CodeBadRequest},
	{`{"op":"register","port":7000}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":null}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":{}}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[5]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"","size":3,"id":"` + id64 + `"}]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"a\u0007","size":3,"id":"` + id64 + `"}]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"a","size":-1,"id":"` + id64 + `"}]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"a","size":3,"id":"ABC"}]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"a","size":3,"id":"` + id64 + `","complete":"no"}]}`, CodeBadRequest},
	{`{"op":"register","port":7000,"files":[{"name":"a","size":3}]}`, CodeBadRequest},
	{`{"op":"heartbeat","token":"t"}`, ""},
	{`{"op":"heartbeat"}`, CodeBadRequest},
	{`{"op":"heartbeat","token":5}`, CodeBadRequest},
	{`{"op":"heartbeat","token":""}`, CodeBadRequest},
	{`{"op":"update","token":"t","files":[]}`, ""},
	{`{"op":"update","token":"t"}`, CodeBadRequest},
	{`{"op":"unregister","token":"t"}`, ""},
	{`{"op":"list"}`, ""},
	{`{"op":"list","extra":[1,2]}`, ""},
	{`{"op":"search","q":""}`, ""},
	{`{"op":"search","q":"Report"}`, ""},
	{`{"op":"search"}`, CodeBadRequest},
	{`{"op":"search","q":1}`, CodeBadRequest},
	{`{"op":"search","q":"a","offset":0}`, ""},
	{`{"op":"search","q":"a","offset":400}`, ""},
	{`{"op":"search","q":"a","offset":-1}`, CodeBadRequest},
	{`{"op":"search","q":"a","offset":1000001}`, CodeBadRequest},
	{`{"op":"search","q":"a","offset":"5"}`, CodeBadRequest},
	{`{"op":"search","q":"a","offset":1.5}`, CodeBadRequest},
	{`{"op":"search","q":"a","offset":null}`, CodeBadRequest},
	{`{"op":"fly"}`, CodeUnknownOp},
	{`{"op":5}`, CodeBadRequest},
	{`{}`, CodeBadRequest},
	{`[]`, CodeBadRequest},
	{`null`, CodeBadRequest},
	{`"op"`, CodeBadRequest},
	{`{"op":"list"`, CodeBadRequest},
	{"{\"op\":\"search\",\"q\":\"\xff\"}", CodeBadRequest},
	{``, CodeBadRequest},
}

func TestParseRequest(t *testing.T) {
	for _, c := range trackerCases {
		t.Run(c.line, func(t *testing.T) {
			req, err := ParseRequest([]byte(c.line))
			if got := CodeOf(err); got != c.code {
				t.Fatalf("code %q (%v), want %q", got, err, c.code)
			}
			if c.code == "" && req.Op == "" {
				t.Fatal("no op on success")
			}
		})
	}
	if req, err := ParseRequest([]byte(`{"op":"search","q":"a","offset":400}`)); err != nil || req.Offset != 400 || req.Q != "a" {
		t.Fatalf("search with offset parsed as %+v, %v", req, err)
	}
	req, _ := ParseRequest([]byte(trackerCases[1].line))
	if len(req.Files) != 1 || !req.Files[0].Complete || req.Files[0].Name != "a/b.txt" || req.Port != 7000 {
		t.Fatalf("register parsed as %+v", req)
	}
	if req.CanHost {
		t.Fatal("can_host absent parsed as true")
	}
	if req, _ := ParseRequest([]byte(trackerCases[3].line)); !req.CanHost {
		t.Fatalf("can_host:true parsed as %+v", req)
	}
	req, _ = ParseRequest([]byte(trackerCases[2].line))
	if req.Files[0].Complete {
		t.Fatal("complete:false parsed as true")
	}
}

func FuzzTrackerLine(f *testing.F) {
	for _, c := range trackerCases {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := ParseRequest(line)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) || we.Code == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		for _, f := range req.Files {
			if err := f.Validate(); err != nil {
				t.Fatalf("accepted invalid file %+v: %v", f, err)
			}
		}
	})
}

var peerCases = []struct {
	line string
	code Code
}{
	{"GET " + id64 + " 0 1", ""},
	{"GET " + id64 + " 1048576 16777216", ""},
	{"MANIFEST " + id64, ""},
	{"HAVE " + id64, ""},
	{"GET " + id64 + " 0 16777217", CodeRange},
	{"GET " + id64 + " 0 0", CodeRange},
	{"GET " + id64 + " -1 5", CodeRange},
	{"GET " + id64 + " 0 -5", CodeRange},
	{"GET " + id64 + " 99999999999999999999 5", CodeRange},
	{"GET " + id64 + " 0x10 5", CodeBadRequest},
	{"GET " + id64 + " 00 1", CodeBadRequest},
	{"GET " + id64 + " 0 01", CodeBadRequest},
	{"GET " + id64 + " 007 5", CodeBadRequest},
	{"GET " + id64 + " +1 5", CodeBadRequest},
	{"GET " + id64 + " - 5", CodeBadRequest},
	{"GET " + id64 + "  0 5", CodeBadRequest},
	{"GET " + id64 + " 0 5 ", CodeBadRequest},
	{"GET " + id64 + " 0", CodeBadRequest},
	{"GET ../../etc/passwd 0 5", CodeBadRequest},
	{"GET " + strings.ToUpper(id64) + " 0 5", CodeBadRequest},
	{"MANIFEST", CodeBadRequest},
	{"MANIFEST " + id64 + " x", CodeBadRequest},
	{"get " + id64 + " 0 5", CodeBadRequest},
	{"PUT " + id64, CodeBadRequest},
	{"", CodeBadRequest},
	{strings.Repeat("G", 2000), CodeBadRequest},
}

func TestParsePeerRequest(t *testing.T) {
	for _, c := range peerCases {
		t.Run(c.line[:min(len(c.line), 40)], func(t *testing.T) {
			req, err := ParsePeerRequest([]byte(c.line))
			if got := CodeOf(err); got != c.code {
				t.Fatalf("code %q (%v), want %q", got, err, c.code)
			}
			if err == nil && string(req.AppendLine(nil)) != c.line+"\n" {
				t.Fatalf("round trip %q", req.AppendLine(nil))
			}
		})
	}
}

func FuzzPeerRequest(f *testing.F) {
	for _, c := range peerCases {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := ParsePeerRequest(line)
		if err != nil {
			if CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if !ValidID(req.ID) || req.Offset < 0 || (req.Verb == VerbGet && (req.Size < 1 || req.Size > MaxRequestSize)) {
			t.Fatalf("accepted %+v", req)
		}
		if string(req.AppendLine(nil)) != string(line)+"\n" {
			t.Fatalf("not canonical: %q", line)
		}
	})
}

func FuzzManifest(f *testing.F) {
	m, _ := ManifestOf(strings.NewReader("hello"), 5, nil, nil)
	js, _ := json.Marshal(m)
	f.Add(js, m.ID())
	f.Add([]byte(`{"size":0,"chunk_size":262144,"chunks":[]}`), "")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		got, err := ParseManifest(data, id)
		if err != nil {
			return
		}
		if got.ID() != id || got.Validate() != nil {
			t.Fatalf("accepted a manifest that does not match %s", id)
		}
	})
}

func TestReadStatus(t *testing.T) {
	cases := []struct {
		in   string
		n    int64
		code Code
		bad  bool
	}{
		{"OK 5\n", 5, "", false},
		{"OK 0\r\n", 0, "", false},
		{"OK 99\n", 0, CodeTooLarge, true},
		{"OK -1\n", 0, "", true},
		{"ERR not_found no such id\n", 0, CodeNotFound, true},
		{"HELLO\n", 0, "", true},
	}
	for _, c := range cases {
		n, err := ReadStatus(bufio.NewReader(strings.NewReader(c.in)), 10)
		if (err != nil) != c.bad || n != c.n || CodeOf(err) != c.code {
			t.Errorf("%q: n=%d err=%v", c.in, n, err)
		}
	}
}

func TestBitfield(t *testing.T) {
	b := NewBitfield(10)
	b.Set(0)
	b.Set(9)
	if !b.Has(0) || !b.Has(9) || b.Has(1) || b.Has(10) || b.Has(-1) {
		t.Fatal("Has wrong")
	}
	if b[0] != 0x80 || b[1] != 0x40 || b.Count(10) != 2 || !b.ValidFor(10) {
		t.Fatalf("layout %x", []byte(b))
	}
	if (Bitfield{0x80, 0x20}).ValidFor(10) || (Bitfield{0}).ValidFor(10) {
		t.Fatal("bad padding or length accepted")
	}
}

func BenchmarkParseHeartbeat(b *testing.B) {
	line := []byte(`{"op":"heartbeat","token":"0123456789abcdef0123456789abcdef"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseRequest(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkManifestOf(b *testing.B) {
	data := make([]byte, 8<<20)
	buf := make([]byte, MaxChunkSize)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ManifestOf(bytes.NewReader(data), int64(len(data)), buf, nil)
	}
}

func TestReadLineBudget(t *testing.T) {
	long := strings.Repeat("z", 100) + "\n"
	var granted int64
	grant := func(n int64) bool { granted += n; return granted <= 64 }
	_, err := ReadLineBudget(bufio.NewReaderSize(strings.NewReader(long), 16), 1000, grant)
	if !errors.Is(err, ErrLineBudget) {
		t.Fatalf("err = %v, want ErrLineBudget", err)
	}
	granted = 0
	got, err := ReadLineBudget(bufio.NewReaderSize(strings.NewReader(long), 16), 1000, func(n int64) bool { granted += n; return true })
	if err != nil || len(got) != 100 || granted < 100 {
		t.Fatalf("got %d bytes, %v, %d granted", len(got), err, granted)
	}
	short, err := ReadLineBudget(bufio.NewReaderSize(strings.NewReader("ok\n"), 16), 1000, func(int64) bool {
		t.Fatal("a line within the buffer asked for budget")
		return false
	})
	if err != nil || string(short) != "ok" {
		t.Fatalf("short line: %q, %v", short, err)
	}
}
