package secure

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"time"
)

// The AUTH exchange of a private network (docs/PROTOCOL.md, "Version 2"):
//
//	client: AUTH\n
//	server: AUTH <base64 HMAC-SHA256(K, "enxame/2 server" || EKM)>\n
//	client: AUTH <base64 HMAC-SHA256(K, "enxame/2 client" || EKM)>\n
//
// EKM is the connection's TLS 1.3 exporter secret (RFC 8446 §7.5) for
// exporterLabel, no context, 32 bytes: both ends of one TLS connection
// compute the same EKM, and no two connections share one, so a proof is
// worth nothing on any other connection (a relay in the middle holds two
// connections with two EKMs).
const (
	exporterLabel = "EXPERIMENTAL enxame/2 membership"
	ekmBytes      = 32
	proofBytes    = 32 // HMAC-SHA256
	authVerb      = "AUTH"

	// MaxAuthLineBytes bounds a line a server reads during the exchange,
	// terminator included (ours are 5 and 50 bytes).
	MaxAuthLineBytes = 128
	// maxAnswerLineBytes bounds the first answer a client reads: an AUTH
	// line, or an open server's error in its own dialect.
	maxAnswerLineBytes = 1024
)

// proofTextLen is the length of a proof in standard, padded base64.
var proofTextLen = base64.StdEncoding.EncodedLen(proofBytes) // 44

var (
	errLineTooLong = errors.New("line too long")
	errNotAuth     = errors.New("not an AUTH line")
)

// exporter returns the connection's EKM.
func exporter(tc *tls.Conn) ([]byte, error) {
	cs := tc.ConnectionState()
	return cs.ExportKeyingMaterial(exporterLabel, nil, ekmBytes)
}

// authLine returns "AUTH <base64 proof>\n", or "AUTH\n" for a nil proof.
func authLine(proof []byte) []byte {
	if proof == nil {
		return []byte(authVerb + "\n")
	}
	b := make([]byte, 0, len(authVerb)+1+proofTextLen+1)
	b = append(b, authVerb+" "...)
	b = base64.StdEncoding.AppendEncode(b, proof)
	return append(b, '\n')
}

// parseAuthLine parses a line (terminator removed) of the exchange: "AUTH"
// gives a nil proof; "AUTH " and exactly 44 characters of padded standard
// base64 give the 32-byte proof. Anything else is errNotAuth.
func parseAuthLine(line []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(line, []byte(authVerb))
	switch {
	case !ok:
		return nil, errNotAuth
	case len(rest) == 0:
		return nil, nil
	}
	text, ok := bytes.CutPrefix(rest, []byte(" "))
	if !ok || len(text) != proofTextLen {
		return nil, errNotAuth
	}
	// 44 characters decode to up to 33 bytes: Decode needs the room.
	proof := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(proof, text)
	if err != nil || n != proofBytes {
		return nil, errNotAuth
	}
	return proof[:n:n], nil
}

// readLine reads one '\n'-terminated line of at most limit bytes
// (terminator included) from r, one byte at a time so that nothing after
// the line is consumed: the server's own reader takes over from there.
// A trailing '\r' is dropped. The caller sets the deadline.
func readLine(r io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 64))
	var b [1]byte
	for len(buf) < limit {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if b[0] == '\n' {
			return bytes.TrimSuffix(buf, []byte("\r")), nil
		}
		buf = append(buf, b[0])
	}
	return nil, errLineTooLong
}

// classifyAnswer tells what a server's first answer to "AUTH" means, when
// it is not an AUTH line: an open server's usual protocol error, a
// refusal, or something else.
func classifyAnswer(line []byte) error {
	if rest, ok := bytes.CutPrefix(line, []byte("ERR ")); ok {
		if code, _, _ := bytes.Cut(rest, []byte(" ")); string(code) == "forbidden" {
			return ErrRefused
		}
		return ErrNotPrivate
	}
	var js struct {
		OK   *bool  `json:"ok"`
		Code string `json:"code"`
	}
	if json.Unmarshal(line, &js) == nil && js.OK != nil && !*js.OK {
		if js.Code == "forbidden" {
			return ErrRefused
		}
		return ErrNotPrivate
	}
	return ErrBadAnswer
}

// lingerClose half-closes c after a refusal, reads and drops what the
// client still sends for a moment, then closes: closing with unread data
// would reset the connection and the client could lose the refusal.
func lingerClose(c net.Conn, d time.Duration) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		c.SetWriteDeadline(time.Now().Add(d))
		cw.CloseWrite()
		c.SetReadDeadline(time.Now().Add(d))
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
	c.Close()
}
