package tracker

import (
	"errors"

	"github.com/enxame/enxame/net/wire"
)

// Errors the registry answers with. Each is a *wire.Error, so the code that
// goes on the wire is fixed here, in one place, and errors.Is matches the
// wire sentinels (errors.Is(err, wire.ErrUnknownPeer)).
var (
	errUnknownPeer    = wire.Errorf(wire.CodeUnknownPeer, "token not known: register again")
	errTooManyFiles   = wire.Errorf(wire.CodeTooLarge, "too many files for one peer")
	errFull           = wire.Errorf(wire.CodeLimit, "tracker is full")
	errTooManyPeersIP = wire.Errorf(wire.CodeLimit, "too many peers registered from this IP")
	errIPQuota        = wire.Errorf(wire.CodeLimit, "this IP's share of the tracker's index is used up (files or index memory)")
	errTooManyConns   = wire.Errorf(wire.CodeLimit, "too many connections")
	errShuttingDown   = wire.Errorf(wire.CodeLimit, "tracker is shutting down")
	errLineBudget     = wire.Errorf(wire.CodeLimit, "too many large requests in progress, retry later")
	errLineTooLong    = wire.Errorf(wire.CodeTooLarge, "request line too long")
	errInternal       = wire.Errorf(wire.CodeInternal, "internal error")
)

// ErrClientClosed is returned by a Client used after Close.
var ErrClientClosed = errors.New("tracker client closed")
