// Package wire holds what every Enxame component agrees on: content ids and
// manifests, the tracker's JSON line messages, the peer protocol's request
// lines and responses, error codes and the limits that bound every input.
//
// It is the executable form of docs/PROTOCOL.md. Nothing here does I/O
// beyond framing on a caller-supplied reader or writer.
package wire
