package secure

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
)

var proofText = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, proofBytes))

// authLineCases seed FuzzParseAuthLine as well.
var authLineCases = []struct {
	name  string
	line  string
	proof bool // a 32-byte proof
	ok    bool
}{
	{"bare", "AUTH", false, true},
	{"proof", "AUTH " + proofText, true, true},
	{"lower case", "auth", false, false},
	{"empty", "", false, false},
	{"trailing space", "AUTH ", false, false},
	{"two spaces", "AUTH  " + proofText, false, false},
	{"tab", "AUTH\t" + proofText, false, false},
	{"longer verb", "AUTHX", false, false},
	{"short proof", "AUTH " + proofText[:40], false, false},
	{"long proof", "AUTH " + proofText + "AAAA", false, false},
	{"33 bytes, no padding", "AUTH " + strings.Repeat("0", 44), false, false},
	{"unpadded", "AUTH " + strings.TrimRight(proofText, "="), false, false},
	{"url alphabet", "AUTH " + strings.Repeat("_", 43) + "=", false, false},
	{"not base64", "AUTH " + strings.Repeat("!", 44), false, false},
	{"non-zero padding bits", "AUTH " + proofText[:42] + "r=", false, false},
	{"trailing word", "AUTH " + proofText + " x", false, false},
	{"json", `{"op":"list"}`, false, false},
	{"peer request", "HAVE " + strings.Repeat("a", 64), false, false},
	{"NUL", "AUTH\x00", false, false},
}

func TestParseAuthLine(t *testing.T) {
	for _, tc := range authLineCases {
		t.Run(tc.name, func(t *testing.T) {
			proof, err := parseAuthLine([]byte(tc.line))
			if tc.ok != (err == nil) {
				t.Fatalf("parseAuthLine(%q) error = %v, want ok=%v", tc.line, err, tc.ok)
			}
			if got := proof != nil; got != tc.proof {
				t.Fatalf("parseAuthLine(%q) proof = %x, want one: %v", tc.line, proof, tc.proof)
			}
			if tc.proof && !bytes.Equal(authLine(proof), []byte(tc.line+"\n")) {
				t.Fatalf("authLine does not give back %q", tc.line)
			}
		})
	}
}

// FuzzParseAuthLine: the parser (and the client's reading of a non-AUTH
// answer) never panics, accepts only the two forms, and what it accepts
// authLine writes back byte for byte.
func FuzzParseAuthLine(f *testing.F) {
	for _, tc := range authLineCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		classifyAnswer(line) // must not panic either
		proof, err := parseAuthLine(line)
		if err != nil {
			if proof != nil {
				t.Fatal("a proof with an error")
			}
			return
		}
		if proof != nil && len(proof) != proofBytes {
			t.Fatalf("proof of %d bytes", len(proof))
		}
		if got := authLine(proof); !bytes.Equal(got, append(append([]byte{}, line...), '\n')) {
			t.Fatalf("accepted %q but writes %q", line, got)
		}
	})
}

func TestReadLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int
		want     string
		err      error
		rest     string // left unread
	}{
		{"line", "AUTH\nGET x\n", 128, "AUTH", nil, "GET x\n"},
		{"crlf", "AUTH\r\nnext", 128, "AUTH", nil, "next"},
		{"empty line", "\nx", 128, "", nil, "x"},
		{"exactly the limit", "abc\n", 4, "abc", nil, ""},
		{"over the limit", "abcd\n", 4, "", errLineTooLong, "\n"},
		{"eof", "", 128, "", io.EOF, ""},
		{"cut short", "AUT", 128, "", io.ErrUnexpectedEOF, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := strings.NewReader(tc.in)
			got, err := readLine(r, tc.limit)
			if !errors.Is(err, tc.err) || string(got) != tc.want {
				t.Fatalf("readLine = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
			if rest, _ := io.ReadAll(r); string(rest) != tc.rest {
				t.Fatalf("left %q unread, want %q", rest, tc.rest)
			}
		})
	}
}

func TestClassifyAnswer(t *testing.T) {
	for _, tc := range []struct {
		line string
		want error
	}{
		{`{"ok":false,"code":"bad_request","error":"request is not valid JSON"}`, ErrNotPrivate},
		{`{"ok":false,"code":"unknown_op","error":"unknown op"}`, ErrNotPrivate},
		{`ERR bad_request unknown request "AUTH"`, ErrNotPrivate},
		{`{"ok":false,"code":"forbidden","error":"too many failed attempts"}`, ErrRefused},
		{`ERR forbidden too many failed attempts`, ErrRefused},
		{`{"ok":true}`, ErrBadAnswer},
		{`{"code":"forbidden"}`, ErrBadAnswer},
		{`HELLO`, ErrBadAnswer},
		{``, ErrBadAnswer},
		{`ERRforbidden`, ErrBadAnswer},
	} {
		if got := classifyAnswer([]byte(tc.line)); got != tc.want {
			t.Errorf("classifyAnswer(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
