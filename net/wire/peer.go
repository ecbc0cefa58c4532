package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Peer protocol verbs.
const (
	VerbGet      = "GET"
	VerbManifest = "MANIFEST"
	VerbHave     = "HAVE"
)

// PeerRequest is a validated peer request line.
type PeerRequest struct {
	Verb   string
	ID     string
	Offset int64 // GET only
	Size   int64 // GET only
}

// String renders the request as its wire line, without the terminator.
func (r PeerRequest) String() string {
	if r.Verb == VerbGet {
		return fmt.Sprintf("%s %s %d %d", r.Verb, r.ID, r.Offset, r.Size)
	}
	return r.Verb + " " + r.ID
}

// AppendLine appends the request's wire line with its '\n'.
func (r PeerRequest) AppendLine(b []byte) []byte {
	b = append(b, r.Verb...)
	b = append(b, ' ')
	b = append(b, r.ID...)
	if r.Verb == VerbGet {
		b = append(b, ' ')
		b = strconv.AppendInt(b, r.Offset, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, r.Size, 10)
	}
	return append(b, '\n')
}

// ParsePeerRequest parses one request line (without its terminator).
// Words are separated by exactly one space and numbers are plain decimal
// without a leading zero, so a line has one spelling (AppendLine gives it
// back byte for byte). A malformed line, id or number is bad_request; a number that is negative, zero (size) or beyond int64 is
// range, as is a size above MaxRequestSize. Whether the range lies inside
// the file is for the server to check.
func ParsePeerRequest(line []byte) (PeerRequest, error) {
	var req PeerRequest
	if len(line) >= MaxPeerLineBytes {
		return req, Errorf(CodeBadRequest, "request line over %d bytes", MaxPeerLineBytes)
	}
	words := bytes.Split(line, []byte{' '})
	verb := string(words[0])
	want := 2
	switch verb {
	case VerbGet:
		want = 4
	case VerbManifest, VerbHave:
	default:
		return req, Errorf(CodeBadRequest, "unknown request %q", trimForMsg(verb))
	}
	if len(words) != want {
		return req, Errorf(CodeBadRequest, "%s takes %d arguments separated by single spaces", verb, want-1)
	}
	req.Verb = verb
	if !ValidID(string(words[1])) {
		return req, Errorf(CodeBadRequest, "id is not 64 lower-case hex characters")
	}
	req.ID = string(words[1])
	if verb != VerbGet {
		return req, nil
	}
	var err error
	if req.Offset, err = parseNumber(words[2], "offset"); err != nil {
		return req, err
	}
	if req.Size, err = parseNumber(words[3], "size"); err != nil {
		return req, err
	}
	if req.Size < 1 || req.Size > MaxRequestSize {
		return req, Errorf(CodeRange, "size %d is not in 1-%d", req.Size, MaxRequestSize)
	}
	return req, nil
}

// parseNumber accepts an optional '-' and decimal digits in canonical form
// (no leading zero, so every request has exactly one spelling): anything
// else is bad_request, a negative or overflowing value is range.
func parseNumber(w []byte, what string) (int64, error) {
	digits := w
	neg := len(w) > 0 && w[0] == '-'
	if neg {
		digits = w[1:]
	}
	if len(digits) == 0 {
		return 0, Errorf(CodeBadRequest, "%s is not a number", what)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, Errorf(CodeBadRequest, "%s is not a number", what)
		}
	}
	if len(digits) > 1 && digits[0] == '0' {
		return 0, Errorf(CodeBadRequest, "%s has a leading zero", what)
	}
	if neg {
		return 0, Errorf(CodeRange, "%s is negative", what)
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, Errorf(CodeRange, "%s is too large", what)
	}
	return n, nil
}

// WriteOK writes "OK <n>\n".
func WriteOK(w io.Writer, n int64) error {
	var b [32]byte
	out := append(b[:0], "OK "...)
	out = strconv.AppendInt(out, n, 10)
	out = append(out, '\n')
	_, err := w.Write(out)
	return err
}

// WriteErr writes "ERR <code> <message>\n"; the message is made one line.
func WriteErr(w io.Writer, code Code, msg string) error {
	_, err := io.WriteString(w, "ERR "+string(code)+" "+oneLine(msg)+"\n")
	return err
}

// maxStatusLine bounds a peer's status line ("OK n" or "ERR code msg").
const maxStatusLine = 1024

// ReadStatus reads a peer's response status line. It returns the payload
// length of an OK (at most limit, else too_large), or the *Error of an ERR.
func ReadStatus(br *bufio.Reader, limit int64) (int64, error) {
	line, err := ReadLine(br, maxStatusLine)
	if err != nil {
		return 0, fmt.Errorf("reading status line: %w", err)
	}
	switch {
	case bytes.HasPrefix(line, []byte("OK ")):
		n, err := strconv.ParseInt(string(line[3:]), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("malformed status line %q", trimForMsg(string(line)))
		}
		if n > limit {
			return 0, Errorf(CodeTooLarge, "response of %d bytes is over %d", n, limit)
		}
		return n, nil
	case bytes.HasPrefix(line, []byte("ERR ")):
		rest := line[4:]
		code, msg, _ := bytes.Cut(rest, []byte{' '})
		return 0, &Error{Code: Code(code), Msg: string(msg)}
	default:
		return 0, fmt.Errorf("malformed status line %q", trimForMsg(string(line)))
	}
}
