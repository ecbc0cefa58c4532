package secure

import "errors"

// Errors of identities and passphrases.
var (
	// ErrNoIdentity: the folder holds no identity yet.
	ErrNoIdentity = errors.New("no device identity")
	// ErrBadIdentity: the identity file exists but is not one this package
	// wrote (damaged, or another program's). It is never replaced silently.
	ErrBadIdentity = errors.New("device identity file is damaged or not Enxame's")
	// ErrEmptyPassphrase: a passphrase with no words.
	ErrEmptyPassphrase = errors.New("the passphrase is empty")
	// ErrBadDeviceID: text that is not a device id.
	ErrBadDeviceID = errors.New("not a device id")
	// ErrBadSecret: text that is not a network secret.
	ErrBadSecret = errors.New("not a network secret")
)

// Errors a client's membership check ends with, inside an *AuthError.
// Their messages complete a sentence that starts with the server's role
// and address ("the tracker at 10.0.0.5:7077 …").
var (
	// ErrNotMember: the server's proof is wrong or missing: it does not
	// know the passphrase this client has (a typo on either side, or a
	// server that is not a member). The client has not sent its own proof.
	ErrNotMember = errors.New("does not know this network's passphrase (check yours; if it is right, that server is not a member)")
	// ErrNotPrivate: the server answered AUTH with its ordinary protocol
	// error: it runs an open network, not a private one.
	ErrNotPrivate = errors.New("says this network is not private (it has no passphrase)")
	// ErrRefused: the server refused to start the exchange (too many failed
	// attempts from this address).
	ErrRefused = errors.New("refused this device (too many failed attempts from this address)")
	// ErrBadAnswer: the server answered something that is not protocol
	// version 2.
	ErrBadAnswer = errors.New("answered something that is not the Enxame protocol")
	// ErrWrongDevice: the server's certificate is not the device asked for.
	ErrWrongDevice = errors.New("is not the device expected")
)

// Errors Guard.Admit returns. By then the client has had its refusal and
// the connection is closed; they are for logs and counters.
var (
	// ErrNoProof: the client's first line was not AUTH, or it left without
	// sending its proof.
	ErrNoProof = errors.New("client did not prove membership")
	// ErrBadProof: the client's proof is malformed or wrong.
	ErrBadProof = errors.New("client's proof of membership is wrong")
	// ErrRateLimited: too many failed attempts from the client's address.
	ErrRateLimited = errors.New("too many failed attempts from this address")
	// ErrNotTLS: the client spoke in the clear.
	ErrNotTLS = errors.New("client does not speak TLS")
)

// AuthError is a failed membership check, as a client sees it.
type AuthError struct {
	Role string // "tracker", "peer" (Dialer.Role), or "server"
	Addr string // the server's address
	Err  error  // one of the sentinels above
}

func (e *AuthError) Error() string {
	return "the " + e.Role + " at " + e.Addr + " " + e.Err.Error()
}

func (e *AuthError) Unwrap() error { return e.Err }
