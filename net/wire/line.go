package wire

import (
	"bufio"
	"errors"
	"io"
)

// ReadLine reads one '\n'-terminated line of at most max bytes (terminator
// included) and returns it without "\n" or "\r\n". The returned slice is
// valid until the next read on br.
//
// A longer line yields ErrLineTooLong after at most max bytes were consumed:
// the rest of it is left unread, so the caller must answer and close rather
// than read on (its tail is never taken as a request). A final line without
// a terminator yields io.ErrUnexpectedEOF; a clean end yields io.EOF.
// br's buffer must be at least max bytes for lines to be returned without
// copying; smaller buffers still work through an internal copy.
func ReadLine(br *bufio.Reader, max int) ([]byte, error) {
	var acc []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(acc)+len(frag) > max {
			return nil, ErrLineTooLong
		}
		switch {
		case err == nil:
			line := frag
			if acc != nil {
				line = append(acc, frag...)
			}
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			acc = append(acc, frag...)
		case errors.Is(err, io.EOF):
			if len(acc)+len(frag) == 0 {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}
