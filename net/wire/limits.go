package wire

import "time"

// Limits of protocol version 1. Each is documented in docs/PROTOCOL.md.
const (
	// MinChunkSize and MaxChunkSize bound the chunk size of a manifest.
	MinChunkSize = 256 << 10
	MaxChunkSize = 16 << 20
	// TargetChunks is the chunk count above which the chunk size doubles.
	TargetChunks = 2048

	// MaxTrackerLineBytes is the longest tracker request line accepted
	// (the contract guarantees 1 MiB and allows at most 4 MiB).
	MaxTrackerLineBytes = 4 << 20
	// MaxTrackerResponseBytes bounds a tracker response a client will read.
	MaxTrackerResponseBytes = 64 << 20
	// MaxFilesPerPeer is the most file entries one registration may carry.
	MaxFilesPerPeer = 20000
	// MaxNameBytes is the longest shared file name, in bytes.
	MaxNameBytes = 4096

	// MaxPeerLineBytes is the longest peer request line, newline included.
	MaxPeerLineBytes = 1024
	// MaxRequestSize is the largest GET size a peer serves in one response.
	MaxRequestSize = 16 << 20
	// MaxManifestBytes bounds a manifest's JSON; it covers files of several TiB.
	MaxManifestBytes = 16 << 20

	// ProtocolTag is hashed in front of every content id.
	ProtocolTag = "enxame/1"
)

// Defaults shared by the tracker and its clients.
const (
	DefaultHeartbeatInterval = 5 * time.Second
	DefaultPeerTimeout       = 15 * time.Second
	DefaultTrackerPort       = 7077
)
