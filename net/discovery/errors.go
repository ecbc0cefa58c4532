package discovery

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrMalformed wraps every reason a datagram is ignored.
	ErrMalformed = errors.New("malformed announcement")
	// ErrInvalid is returned by Announce for an Announcement it cannot send.
	ErrInvalid = errors.New("invalid announcement")
	// ErrNoSocket is returned when no multicast socket could be opened at all.
	ErrNoSocket = errors.New("no discovery socket")
)
