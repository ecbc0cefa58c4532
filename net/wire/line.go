package wire

import (
	"bufio"
	"errors"
	"io"
)

// ReadLine reads one '\n'-terminated line of at most limit bytes (terminator
// included) and returns it without "\n" or "\r\n". The returned slice is
// valid until the next read on br.
//
// A longer line yields ErrLineTooLong after at most limit bytes were consumed:
// the rest of it is left unread, so the caller must answer and close rather
// than read on (its tail is never taken as a request). A final line without
// a terminator yields io.ErrUnexpectedEOF; a clean end yields io.EOF.
// Lines that fit br's buffer are returned without copying; longer ones are
// copied into a growing buffer.
func ReadLine(br *bufio.Reader, limit int) ([]byte, error) {
	return ReadLineBudget(br, limit, nil)
}

// ErrLineBudget is returned by ReadLineBudget when reserve refuses the
// memory a long line needs.
var ErrLineBudget = errors.New("line memory budget exhausted")

// ReadLineBudget is ReadLine for servers that pay for long lines: before
// its copy of a line longer than br's buffer grows by n bytes it calls
// reserve(n), and it stops with ErrLineBudget when reserve says no. The
// caller accounts for (and later releases) what it granted. A nil reserve
// grants everything.
func ReadLineBudget(br *bufio.Reader, limit int, reserve func(n int64) bool) ([]byte, error) {
	var acc []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(acc)+len(frag) > limit {
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
			if len(acc)+len(frag) > cap(acc) {
				grow := int64(min(max(2*cap(acc), len(acc)+len(frag), 2*br.Size()), limit+1) - cap(acc))
				if reserve != nil && !reserve(grow) {
					return nil, ErrLineBudget
				}
				acc = append(make([]byte, 0, int64(cap(acc))+grow), acc...)
			}
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
