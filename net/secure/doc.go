// Package secure is the security layer of protocol version 2: TLS 1.3 on
// every connection, device identities, and private networks whose members
// prove that they know the network's passphrase on every connection.
//
// A server wraps its listener and calls Guard.Admit on each connection
// before it reads a request; a client dials with a Dialer. On an open
// network that is TLS and nothing more. On a private network the client
// speaks first ("AUTH"), the server proves membership, then the client
// does; see docs/SECURITY.md for the design and its threat model, and
// docs/PROTOCOL.md ("Version 2") for the bytes.
//
// The package knows nothing of the tracker and peer protocols: each server
// passes the writer of its own one-line refusal (a Refusal).
package secure
