package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a protocol error code, shared by the tracker and peer protocols.
type Code string

// Error codes of protocol version 1.
const (
	CodeBadRequest  Code = "bad_request"
	CodeUnknownOp   Code = "unknown_op"
	CodeUnknownPeer Code = "unknown_peer"
	CodeTooLarge    Code = "too_large"
	CodeLimit       Code = "limit"
	CodeInternal    Code = "internal"
	CodeNotFound    Code = "not_found"
	CodeRange       Code = "range"
	CodeMissing     Code = "missing"
	CodeBusy        Code = "busy"
)

// Error codes of protocol version 2.
const (
	// CodeForbidden refuses a connection that has not proven membership
	// of a private network (the only answer it ever gets).
	CodeForbidden Code = "forbidden"
)

// Error is an error that travels on the wire: a code and a human message.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg }

// Is lets errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
	}
	return false
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the wire code carried by err, or "" when it has none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Sentinels for errors.Is: each matches any *Error with its code.
var (
	ErrBadRequest  = &Error{Code: CodeBadRequest}
	ErrUnknownOp   = &Error{Code: CodeUnknownOp}
	ErrUnknownPeer = &Error{Code: CodeUnknownPeer}
	ErrTooLarge    = &Error{Code: CodeTooLarge}
	ErrLimit       = &Error{Code: CodeLimit}
	ErrInternal    = &Error{Code: CodeInternal}
	ErrNotFound    = &Error{Code: CodeNotFound}
	ErrRange       = &Error{Code: CodeRange}
	ErrMissing     = &Error{Code: CodeMissing}
	ErrBusy        = &Error{Code: CodeBusy}
	ErrForbidden   = &Error{Code: CodeForbidden}
)

// ErrLineTooLong is returned by ReadLine when a line exceeds its limit.
var ErrLineTooLong = errors.New("line too long")

// oneLine makes a message safe to put on a single protocol line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
